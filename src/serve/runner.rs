//! The runner: the engine on the thread that owns the store, following the wall clock.
//!
//! It loops: requests from the HTTP side first (each one's writes committed before it is
//! answered), then everything due up to the wall clock's second, then a sleep until the next
//! due instant, a request, or a tick ([`TICK`], when signals and reloads are looked at). A run
//! in progress gives way to requests between two units of work once it has run
//! [`GIVE_WAY_AFTER`]: the requests are answered and the run goes on where it was.
//!
//! With a delivery target (`--deliver`), a courier thread of its own hands the outbox's rows
//! over (SMTP, HTTP, files) and the runner records each outcome, with its activity and the
//! campaigns it fires, as it records a request: the runner never waits for a mail server, a
//! webhook or a delivery rate, so a server that hangs delays its messages and nothing else. At
//! most [`IN_FLIGHT`] rows are with the courier at a time; a crash may repeat those of them that
//! were handed over but not yet recorded, once each, with the same keys (LANGUAGE.md 13.3).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use std::time::Instant;

use axum::body::Bytes;
use tokio::sync::oneshot;

use super::metrics::Metrics;
use super::reads::{Current, Live};
use crate::check::ir::Program;
use crate::deliver::{record, Attempt, DeliverError, Deliverer, DeliverySummary, Target};
use crate::engine::events::{ImportSummary, InputRejected};
use crate::engine::inputs::{parse_people_csv, parse_people_json, InputError};
use crate::engine::run::{Engine, RunSummary};
use crate::engine::stop::Stop;
use crate::store::{OutboxRow, Store, StoreError};

/// The longest sleep: signals and reload requests are looked at this often.
pub const TICK: Duration = Duration::from_millis(100);
/// A run gives way to waiting requests once it has run this long.
pub const GIVE_WAY_AFTER: Duration = Duration::from_millis(5);

/// Rows with the courier and not yet recorded, at most.
pub const IN_FLIGHT: usize = 64;
/// Rows waiting for a later try are looked for this often when nothing else happens.
const DELIVERY_POLL: Duration = Duration::from_secs(1);
/// On a stop, how long the outcome of the row the courier is handing over is waited for.
const COURIER_GRACE: Duration = Duration::from_secs(10);

/// How long the runner waits before trying a server store again after losing it.
const RETRY_STORE: Duration = Duration::from_secs(1);

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
    /// The courier handed `row` over (or could not): its outcome, to record.
    Delivered {
        row: Box<OutboxRow>,
        attempt: Result<Attempt, DeliverError>,
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

/// Delivery from the runner: the target, the courier that hands rows over, the metrics the
/// outcomes are counted in.
pub struct Delivery {
    /// Where messages go.
    pub target: Target,
    /// A deliverer for the program in force not yet given to the courier (`None` with the
    /// target `none`).
    pub deliverer: Option<Deliverer>,
    /// Where `camp_deliveries_total` is counted.
    pub metrics: Arc<Metrics>,
    courier: Option<Courier>,
    /// The way back to the runner for the courier's outcomes.
    results: Option<Sender<Command>>,
    /// The rows with the courier.
    in_flight: HashSet<i64>,
    /// Outcomes recorded since the courier was last idle (logged then).
    summary: DeliverySummary,
    /// Whether rows may be due that have not been handed over yet.
    pending: bool,
    /// When due rows were last looked for.
    looked: Instant,
}

/// The courier's thread and the way to it.
struct Courier {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Set on a stop: rows not handed over yet are left to the next start.
    stop: Arc<AtomicBool>,
}

/// Work for the courier.
enum Job {
    /// Hand this row over.
    Row(Box<OutboxRow>),
    /// Deliver with this from now on (the scripts were reloaded).
    Use(Box<Deliverer>),
}

impl Courier {
    /// Starts the courier with `deliverer`; outcomes come back to the runner through `results`.
    fn start(deliverer: Deliverer, results: Sender<Command>) -> std::io::Result<Courier> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("camp-courier".to_string())
            .spawn(move || {
                let mut deliverer = deliverer;
                for job in rx {
                    match job {
                        Job::Use(d) => deliverer = *d,
                        // Left due in the store: the next start hands it over.
                        Job::Row(_) if stopped.load(Ordering::SeqCst) => {}
                        Job::Row(row) => {
                            let attempt = deliverer.attempt(&row);
                            if results.send(Command::Delivered { row, attempt }).is_err() {
                                break;
                            }
                        }
                    }
                }
            })?;
        Ok(Courier {
            jobs: Some(jobs),
            thread: Some(thread),
            stop,
        })
    }

    fn send(&self, job: Job) -> bool {
        self.jobs.as_ref().is_some_and(|j| j.send(job).is_ok())
    }

    /// Whether the thread has ended.
    fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Delivery {
    /// Delivery to `target` with `deliverer`, made for the program the server starts with.
    pub fn new(target: Target, deliverer: Option<Deliverer>, metrics: Arc<Metrics>) -> Delivery {
        Delivery {
            target,
            deliverer,
            metrics,
            courier: None,
            results: None,
            in_flight: HashSet::new(),
            summary: DeliverySummary::default(),
            pending: true,
            looked: Instant::now(),
        }
    }

    /// A deliverer for a reloaded program (`Ok(None)` with the target `none`).
    fn for_program(&self, program: &Program) -> Result<Option<Deliverer>, DeliverError> {
        match self.target {
            Target::None => Ok(None),
            _ => Deliverer::new(program, self.target.clone()).map(Some),
        }
    }

    /// Counts an outcome, and logs what was delivered once the courier has nothing left.
    fn count(&mut self, state: crate::store::DeliveryState) {
        let mut one = DeliverySummary::default();
        one.count(state);
        for (outcome, n) in [
            ("delivered", one.delivered),
            ("bounced", one.bounced),
            ("retrying", one.retrying),
            ("failed", one.failed),
        ] {
            if n > 0 {
                self.metrics
                    .deliveries
                    .with_label_values(&[outcome])
                    .inc_by(u64::from(n));
            }
        }
        self.summary.count(state);
        if self.in_flight.is_empty() {
            let s = std::mem::take(&mut self.summary);
            tracing::info!(
                delivered = s.delivered,
                bounced = s.bounced,
                retrying = s.retrying,
                failed = s.failed,
                "delivered"
            );
        }
    }

    /// Hands the courier the rows due at `now` that it does not have, when some may be: after
    /// other work (`dirty`), after an outcome, or every [`DELIVERY_POLL`] for retries. Starts
    /// the courier (or gives it the reloaded program's deliverer) first.
    fn feed(&mut self, engine: &mut Engine<'_>, now: i64, dirty: bool) -> Result<(), StoreError> {
        if let Some(mut deliverer) = self.deliverer.take() {
            match deliverer.prepare(engine, now) {
                Ok(()) => {}
                Err(DeliverError::Store(e)) => return Err(e),
                Err(e) => {
                    tracing::error!(error = %e, "delivery cannot start");
                    return Ok(());
                }
            }
            match &self.courier {
                Some(c) => {
                    c.send(Job::Use(Box::new(deliverer)));
                }
                None => match self.results.clone().map(|r| Courier::start(deliverer, r)) {
                    Some(Ok(c)) => self.courier = Some(c),
                    None => return Ok(()),
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "cannot start the courier: nothing is delivered");
                        return Ok(());
                    }
                },
            }
            self.pending = true;
        }
        let Some(courier) = &self.courier else {
            return Ok(());
        };
        if !(dirty || self.pending || self.looked.elapsed() >= DELIVERY_POLL) {
            return Ok(());
        }
        let room = IN_FLIGHT.saturating_sub(self.in_flight.len());
        if room == 0 {
            return Ok(());
        }
        self.looked = Instant::now();
        let want = self.in_flight.len() + room;
        let rows =
            engine
                .store()
                .due_deliveries(now, 0, u32::try_from(want).unwrap_or(u32::MAX))?;
        self.pending = rows.len() >= want;
        for row in rows {
            if self.in_flight.contains(&row.id) {
                continue;
            }
            if self.in_flight.len() >= IN_FLIGHT {
                self.pending = true;
                break;
            }
            self.in_flight.insert(row.id);
            if !courier.send(Job::Row(Box::new(row))) {
                tracing::error!("the courier has stopped: nothing more is delivered");
                self.courier = None;
                self.in_flight.clear();
                break;
            }
        }
        Ok(())
    }

    /// Records the outcome of a row the courier handed over (or could not).
    fn recorded(
        &mut self,
        engine: &mut Engine<'_>,
        row: &OutboxRow,
        attempt: Result<Attempt, DeliverError>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.in_flight.remove(&row.id);
        let outcome = attempt.and_then(|a| record(engine, row, &a, now));
        match outcome {
            Ok(state) => {
                self.count(state);
                // Room for more, and the outcome's campaigns may have written rows.
                self.pending = true;
            }
            Err(DeliverError::Store(e)) => return Err(e),
            Err(e) => {
                // A target that cannot be written (a full disk, a directory removed): the row
                // stays due and is tried again at the next poll.
                tracing::error!(error = %e, "delivery failed");
                self.pending = false;
                self.looked = Instant::now();
            }
        }
        Ok(())
    }

    /// On a stop: no more rows for the courier; the outcome of the one it is handing over is
    /// waited for (at most [`COURIER_GRACE`]) and recorded, with any request still coming.
    fn finish(
        &mut self,
        engine: &mut Engine<'_>,
        rx: &Receiver<Command>,
    ) -> Result<(), StoreError> {
        let Some(mut courier) = self.courier.take() else {
            return Ok(());
        };
        courier.stop.store(true, Ordering::SeqCst);
        drop(courier.jobs.take());
        let deadline = Instant::now() + COURIER_GRACE;
        while !courier.finished() && Instant::now() < deadline {
            if let Ok(cmd) = rx.recv_timeout(Duration::from_millis(20)) {
                handle(engine, cmd, self)?;
            }
        }
        while let Ok(cmd) = rx.try_recv() {
            handle(engine, cmd, self)?;
        }
        if !courier.finished() {
            tracing::warn!(
                "a message was still being handed over: it will be sent again, with the same key, at the next start"
            );
        }
        Ok(())
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
            delivery: Delivery {
                results: Some(tx.clone()),
                ..delivery
            },
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
        let mut warned_ahead = false;
        loop {
            let next = match self.drive_program(&program, &mut warned_ahead) {
                Ok(next) => next,
                // A server store that cannot be reached, or a conflict with another process
                // sharing it: what was not committed is rolled back; the runner goes on with a
                // new connection once the server answers.
                Err(e) if e.is_transient() && self.store.claims() => {
                    tracing::warn!(error = %e, "the store is unavailable: trying again in a second");
                    let until = std::time::Instant::now() + RETRY_STORE;
                    while std::time::Instant::now() < until && self.stop.requested().is_none() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    if self.stop.requested().is_some() {
                        return Ok(());
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
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

    /// Runs `program` until a reload or a stop (see [`drive`]).
    fn drive_program(
        &mut self,
        program: &Arc<Program>,
        warned_ahead: &mut bool,
    ) -> Result<Next, StoreError> {
        let mut engine = Engine::new(program, &mut *self.store)?;
        engine.stop_on(self.stop.clone());
        engine.yield_on(Arc::clone(&self.interrupt), GIVE_WAY_AFTER);
        let ahead = engine.clock()?.filter(|c| *c > wall_ms().div_euclid(1000));
        if let (Some(clock), false) = (ahead, *warned_ahead) {
            *warned_ahead = true;
            tracing::warn!(
                clock = %crate::engine::value::rfc3339(clock),
                "the store's clock is ahead of the wall clock: nothing runs until the wall clock reaches it"
            );
        }
        drive(
            &mut engine,
            &self.rx,
            &self.interrupt,
            &self.stop,
            &self.reload,
            &mut self.loader,
            &mut self.delivery,
        )
    }

    /// After a stop: answers the requests still coming (the HTTP side finishes those in hand)
    /// until `done` says the HTTP side has finished. Nothing else runs.
    pub fn drain(&mut self, done: impl Fn() -> bool) -> Result<(), StoreError> {
        let (_, program) = self.current.get();
        let mut engine = Engine::new(&program, &mut *self.store)?;
        while !done() {
            match self.rx.recv_timeout(Duration::from_millis(20)) {
                Ok(cmd) => handle(&mut engine, cmd, &mut self.delivery)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        while let Ok(cmd) = self.rx.try_recv() {
            handle(&mut engine, cmd, &mut self.delivery)?;
        }
        self.delivery.finish(&mut engine, &self.rx)?;
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
            handle(engine, cmd, delivery)?;
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
        // Rows due for the courier, at the instant events happen now.
        let now = engine.clock()?.map_or(wall, |c| c.max(wall));
        delivery.feed(engine, now, worked)?;
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
                handle(engine, cmd, delivery)?;
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
fn handle(
    engine: &mut Engine<'_>,
    cmd: Command,
    delivery: &mut Delivery,
) -> Result<(), StoreError> {
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
        Command::Delivered { row, attempt } => {
            delivery.recorded(engine, &row, attempt, now)?;
        }
    }
    Ok(())
}
