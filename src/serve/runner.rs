//! The runner: the engine on the thread that owns the store, following the wall clock.
//!
//! It loops: requests from the HTTP side first (each one's writes committed before it is
//! answered), then everything due up to the wall clock's second, then a sleep until the next
//! due instant, a request, or a tick ([`TICK`], when signals and reloads are looked at). A run
//! in progress gives way to requests between two units of work once it has run
//! [`GIVE_WAY_AFTER`]: the requests are answered and the run goes on where it was.
//!
//! With a delivery target (`--deliver`), outbox rows due are delivered between runs, in slices
//! of at most [`DELIVERY_SLICE`] (and one row): a waiting request ends a slice, and the next
//! slice comes after the requests are answered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::oneshot;

use super::metrics::Metrics;
use super::reads::{Current, Live};
use crate::check::ir::Program;
use crate::deliver::{DeliverError, Deliverer, DeliverySummary, Target};
use crate::engine::events::{ImportSummary, InputRejected};
use crate::engine::inputs::{parse_people_csv, parse_people_json, InputError};
use crate::engine::run::{Engine, RunSummary};
use crate::engine::stop::Stop;
use crate::store::{Store, StoreError};

/// The longest sleep: signals and reload requests are looked at this often.
pub const TICK: Duration = Duration::from_millis(100);
/// A run gives way to waiting requests once it has run this long.
pub const GIVE_WAY_AFTER: Duration = Duration::from_millis(5);

/// A slice of deliveries ends once it has run this long (or a request is waiting).
pub const DELIVERY_SLICE: Duration = Duration::from_millis(50);
/// Rows waiting for a later try are looked for this often when nothing else happens.
const DELIVERY_POLL: Duration = Duration::from_secs(1);

/// The name given to a request's body in messages.
const BODY: &str = "body";

/// Why a request's body was not stored.
#[derive(Debug)]
pub enum Rejection {
    /// A bad line (or CSV row, or object of a JSON array): nothing of the body was stored.
    Input {
        /// 1-based line (row, object).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    Store(StoreError),
}

impl From<InputError> for Rejection {
    fn from(e: InputError) -> Rejection {
        Rejection::Input {
            line: e.line,
            message: e.message,
        }
    }
}

/// A request for the runner.
enum Command {
    /// Store these events (JSON lines).
    Events {
        body: Bytes,
        reply: oneshot::Sender<Result<usize, Rejection>>,
    },
    /// Import these people (a CSV, or a JSON array when `json`).
    People {
        body: Bytes,
        json: bool,
        reply: oneshot::Sender<Result<ImportSummary, Rejection>>,
    },
}

/// The HTTP side's way to the runner.
#[derive(Clone, Debug)]
pub struct RunnerHandle {
    tx: Sender<Command>,
    /// Set with each request: a run in progress gives way.
    interrupt: Arc<AtomicBool>,
}

impl RunnerHandle {
    fn send(&self, cmd: Command) -> bool {
        // Sent first: a runner that sees the flag finds the request in the channel.
        let sent = self.tx.send(cmd).is_ok();
        self.interrupt.store(true, Ordering::SeqCst);
        sent
    }

    /// Asks the runner to store `body`'s events; the answer comes once they are committed.
    /// `None` when the runner has stopped.
    pub fn events(&self, body: Bytes) -> Option<oneshot::Receiver<Result<usize, Rejection>>> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Events { body, reply }).then_some(rx)
    }

    /// Asks the runner to import `body`'s people; the answer comes once they are committed.
    pub fn people(
        &self,
        body: Bytes,
        json: bool,
    ) -> Option<oneshot::Receiver<Result<ImportSummary, Rejection>>> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::People { body, json, reply })
            .then_some(rx)
    }
}

/// Reloads the scripts: the checked program with its texts, or `None` (the diagnostics are
/// logged).
pub type Loader<'a> = Box<dyn FnMut() -> Option<Live> + 'a>;

/// Delivery from the runner: the target, the deliverer for the program in force, the metrics
/// the outcomes are counted in.
pub struct Delivery {
    /// Where messages go.
    pub target: Target,
    /// The deliverer for the program in force (`None` with the target `none`).
    pub deliverer: Option<Deliverer>,
    /// Where `camp_deliveries_total` is counted.
    pub metrics: Arc<Metrics>,
    /// Whether rows may be due that a slice has not handled yet.
    pending: bool,
    /// When due rows were last looked for.
    looked: std::time::Instant,
}

impl Delivery {
    /// Delivery to `target` with `deliverer`, made for the program the server starts with.
    pub fn new(target: Target, deliverer: Option<Deliverer>, metrics: Arc<Metrics>) -> Delivery {
        Delivery {
            target,
            deliverer,
            metrics,
            pending: true,
            looked: std::time::Instant::now(),
        }
    }

    /// A deliverer for a reloaded program (`Ok(None)` with the target `none`).
    fn for_program(&self, program: &Program) -> Result<Option<Deliverer>, DeliverError> {
        match self.target {
            Target::None => Ok(None),
            _ => Deliverer::new(program, self.target.clone()).map(Some),
        }
    }

    /// Counts a slice's outcomes.
    fn count(&self, s: &DeliverySummary) {
        for (outcome, n) in [
            ("delivered", s.delivered),
            ("bounced", s.bounced),
            ("retrying", s.retrying),
            ("failed", s.failed),
        ] {
            if n > 0 {
                self.metrics
                    .deliveries
                    .with_label_values(&[outcome])
                    .inc_by(u64::from(n));
            }
        }
        if s.total() > 0 {
            tracing::info!(
                delivered = s.delivered,
                bounced = s.bounced,
                retrying = s.retrying,
                failed = s.failed,
                "delivered"
            );
        }
    }

    /// Delivers one slice of the rows due at `now`, when some may be: after other work
    /// (`dirty`), when the previous slice left rows, or every [`DELIVERY_POLL`] for retries.
    /// Whether rows due may be left.
    fn slice(
        &mut self,
        engine: &mut Engine<'_>,
        now: i64,
        dirty: bool,
        interrupt: &AtomicBool,
    ) -> Result<bool, StoreError> {
        let Some(deliverer) = self.deliverer.as_mut() else {
            return Ok(false);
        };
        if !(dirty || self.pending || self.looked.elapsed() >= DELIVERY_POLL) {
            return Ok(false);
        }
        self.looked = std::time::Instant::now();
        let started = std::time::Instant::now();
        let give_way = || started.elapsed() >= DELIVERY_SLICE || interrupt.load(Ordering::SeqCst);
        match deliverer.deliver_slice(engine, now, &give_way) {
            Ok((summary, more)) => {
                self.count(&summary);
                self.pending = more;
            }
            Err(DeliverError::Store(e)) => return Err(e),
            Err(e) => {
                // A target that cannot be written (a full disk, a directory removed): the
                // rows stay due and are tried again at the next poll.
                tracing::error!(error = %e, "delivery failed");
                self.pending = false;
            }
        }
        Ok(self.pending)
    }
}

/// The runner's side.
pub struct Runner<'a> {
    store: &'a mut dyn Store,
    current: Arc<Current>,
    rx: Receiver<Command>,
    interrupt: Arc<AtomicBool>,
    stop: Stop,
    reload: Arc<AtomicBool>,
    loader: Loader<'a>,
    delivery: Delivery,
}

/// A new runner over `store` and its handle for the HTTP side. `reload` is set (by a signal or
/// a file watcher) when the scripts are to be reloaded with `loader`; `delivery` says where
/// the outbox's rows go.
pub fn runner<'a>(
    store: &'a mut dyn Store,
    current: Arc<Current>,
    stop: Stop,
    reload: Arc<AtomicBool>,
    loader: Loader<'a>,
    delivery: Delivery,
) -> (Runner<'a>, RunnerHandle) {
    let (tx, rx) = std::sync::mpsc::channel();
    let interrupt = Arc::new(AtomicBool::new(false));
    (
        Runner {
            store,
            current,
            rx,
            interrupt: Arc::clone(&interrupt),
            stop,
            reload,
            loader,
            delivery,
        },
        RunnerHandle { tx, interrupt },
    )
}

/// The wall clock in milliseconds.
fn wall_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What ended a stretch of work with one program.
enum Next {
    /// The scripts were reloaded without errors.
    Reload(Live),
    Stop,
}

impl Runner<'_> {
    /// Runs until a stop is requested (or every handle is gone). The work in hand is committed.
    pub fn run(&mut self) -> Result<(), StoreError> {
        let (_, mut program) = self.current.get();
        loop {
            let mut engine = Engine::new(&program, &mut *self.store)?;
            engine.stop_on(self.stop.clone());
            engine.yield_on(Arc::clone(&self.interrupt), GIVE_WAY_AFTER);
            let ahead = engine.clock()?.filter(|c| *c > wall_ms().div_euclid(1000));
            if let Some(clock) = ahead {
                tracing::warn!(
                    clock = %crate::engine::value::rfc3339(clock),
                    "the store's clock is ahead of the wall clock: nothing runs until the wall clock reaches it"
                );
            }
            let next = drive(
                &mut engine,
                &self.rx,
                &self.interrupt,
                &self.stop,
                &self.reload,
                &mut self.loader,
                &mut self.delivery,
            )?;
            drop(engine);
            match next {
                Next::Stop => return Ok(()),
                Next::Reload(new) => match self.delivery.for_program(&new.program) {
                    Err(e) => {
                        tracing::error!(error = %e, "the new program cannot deliver: the running program stays");
                    }
                    Ok(deliverer) => match self.store.prepare(&new.program) {
                        // The store takes the new program: it is in force, readers included.
                        Ok(()) => {
                            program = Arc::clone(&new.program);
                            self.current.set(new);
                            self.delivery.deliverer = deliverer;
                            self.delivery.pending = true;
                            tracing::info!("the new program is running");
                        }
                        Err(e @ StoreError::Schema(_)) => {
                            tracing::error!(error = %e, "the store cannot take the new program: the running program stays");
                        }
                        Err(e) => return Err(e),
                    },
                },
            }
        }
    }

    /// After a stop: answers the requests still coming (the HTTP side finishes those in hand)
    /// until `done` says the HTTP side has finished. Nothing else runs.
    pub fn drain(&mut self, done: impl Fn() -> bool) -> Result<(), StoreError> {
        let (_, program) = self.current.get();
        let mut engine = Engine::new(&program, &mut *self.store)?;
        while !done() {
            match self.rx.recv_timeout(Duration::from_millis(20)) {
                Ok(cmd) => handle(&mut engine, cmd)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        while let Ok(cmd) = self.rx.try_recv() {
            handle(&mut engine, cmd)?;
        }
        engine.flush()
    }
}

/// Runs one program until a reload or a stop.
fn drive(
    engine: &mut Engine<'_>,
    rx: &Receiver<Command>,
    interrupt: &AtomicBool,
    stop: &Stop,
    reload: &AtomicBool,
    loader: &mut Loader<'_>,
    delivery: &mut Delivery,
) -> Result<Next, StoreError> {
    // Whether something may be due that `next_due` does not know of (schedules are read by a
    // run; a request may have added inputs).
    let mut dirty = true;
    loop {
        if stop.requested().is_some() {
            return Ok(Next::Stop);
        }
        if reload.swap(false, Ordering::SeqCst) {
            tracing::info!("reloading the scripts");
            if let Some(live) = loader() {
                engine.flush()?;
                return Ok(Next::Reload(live));
            }
            tracing::warn!("the scripts have errors: the running program stays");
        }
        interrupt.store(false, Ordering::SeqCst);
        while let Ok(cmd) = rx.try_recv() {
            handle(engine, cmd)?;
            dirty = true;
        }
        let wall = wall_ms().div_euclid(1000);
        let clock = engine.clock()?;
        // Whether the outbox may have new rows: a request or a run.
        let mut worked = dirty;
        if clock.is_none_or(|c| c <= wall) {
            let due = if dirty {
                Some(i64::MIN)
            } else {
                engine.next_due()?
            };
            if due.is_some_and(|d| d <= wall) {
                let summary = engine.run_until(wall)?;
                dirty = summary.interrupted;
                worked = true;
                report(&summary);
                if summary.interrupted {
                    continue;
                }
                if summary.stopped {
                    return Ok(Next::Stop);
                }
            }
        }
        // Deliveries, a slice at a time, at the instant events happen now.
        let now = engine.clock()?.map_or(wall, |c| c.max(wall));
        if delivery.slice(engine, now, worked, interrupt)? {
            continue;
        }
        // Sleep until the next due instant (not before the store's clock), a request or a tick.
        let clock = engine.clock()?;
        let next = engine.next_due()?.map(|d| clock.map_or(d, |c| d.max(c)));
        let sleep = match next {
            Some(t) => {
                let ms = t.saturating_mul(1000).saturating_sub(wall_ms());
                Duration::from_millis(ms.clamp(0, TICK.as_millis() as i64) as u64)
            }
            None => TICK,
        };
        match rx.recv_timeout(sleep) {
            Ok(cmd) => {
                interrupt.store(false, Ordering::SeqCst);
                handle(engine, cmd)?;
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(Next::Stop),
        }
    }
}

/// Logs what a run did, when it did something.
fn report(s: &RunSummary) {
    if s.batch_runs + s.wakes + s.inputs > 0 {
        tracing::info!(
            inputs = s.inputs,
            wakes = s.wakes,
            batch_runs = s.batch_runs,
            "ran"
        );
    }
}

/// Answers one request. A failure of the store is answered and also returned when the store
/// cannot go on.
fn handle(engine: &mut Engine<'_>, cmd: Command) -> Result<(), StoreError> {
    let wall = wall_ms().div_euclid(1000);
    let clock = engine.clock()?.unwrap_or(wall);
    // Events without `at`, and imports, happen now; never before the store's clock.
    let now = wall.max(clock);
    match cmd {
        Command::Events { body, reply } => {
            let answer = match engine.add_events_from_at(BODY, &body[..], clock, Some(now)) {
                Ok(n) => Ok(n),
                Err(InputRejected::Input(e)) => Err(Rejection::from(e)),
                Err(InputRejected::Store(e)) => Err(Rejection::Store(e)),
            };
            let _ = reply.send(answer);
        }
        Command::People { body, json, reply } => {
            let program = engine.program();
            let parsed = if json {
                parse_people_json(program, BODY, &body)
            } else {
                parse_people_csv(program, BODY, &body)
            };
            let answer = match parsed {
                Err(e) => Err(Rejection::from(e)),
                Ok(records) => match engine
                    .import_people(&records, now)
                    .and_then(|s| engine.flush().map(|_| s))
                {
                    Ok(s) => {
                        tracing::info!(
                            created = s.created,
                            updated = s.updated,
                            unchanged = s.unchanged,
                            "people imported"
                        );
                        Ok(s)
                    }
                    Err(e) => Err(Rejection::Store(e)),
                },
            };
            let _ = reply.send(answer);
        }
    }
    Ok(())
}
