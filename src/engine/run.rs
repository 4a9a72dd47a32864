//! The engine's main loop: everything due up to an instant, in time order, with the store's
//! clock following (LANGUAGE.md 9.1, 9.3, 9.4, 9.6, 9.7).
//!
//! At one instant the order is: queued activities (cascades) first, then inputs in arrival
//! order, then waking people in wait order, then batch runs in campaign order. Work is committed
//! in chunks; each unit of work (one person through a batch flow, one input, one wake, one
//! dispatched activity) commits together with its effects, its activities, its outbox rows and
//! the removal of what caused it, so a crash loses nothing and repeats nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::conditions::{activity_matches, Eval};
use super::dispatch::TriggerIndex;
use super::flow::{Cause, FlowContext, Queued, Runner, TriggerInfo};
use super::schedule::next_after;
use super::stop::Stop;
use super::value::instant;
use crate::check::ir::{ActivityType, CampaignId, CampaignKind, Program};
use crate::store::{Outcome, PersonId, Result, Store, StoreError, Take};

/// Units of work per transaction (the environment variable `CAMP_COMMIT_EVERY` overrides it,
/// for tests that need many commit points). Every commit writes each page it changed to the
/// write-ahead log, and the activity indexes spread one chunk's writes over many pages, so
/// large chunks cost far less per unit (a crash redoes at most one chunk).
const CHUNK: u32 = 4096;

/// Work is committed at least this often, so that what a run has done becomes durable (and
/// visible to other readers) steadily.
const COMMIT_INTERVAL: Duration = Duration::from_millis(200);

/// How long a process sharing its store waits before asking again whether a batch run may
/// start (see [`Take::NotYet`]).
const BARRIER_PAUSE: Duration = Duration::from_millis(20);

/// A progress callback.
type ProgressFn<'a> = Box<dyn FnMut(&Progress<'_>) + 'a>;

/// Where a long piece of work stands, for progress displays. Reported between units of work
/// when the work has lasted a while (at commit points), and once more when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress<'s> {
    /// What is being done: `` `Onboarding catch-up` `` for a batch run, `import` for an import.
    pub work: &'s str,
    /// People done so far.
    pub done: u64,
    /// People in all, when known (a batch run resumed after a stop only knows what is left).
    pub total: Option<u64>,
}

/// What a run did, for summaries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Batch runs started.
    pub batch_runs: u32,
    /// People who woke from a wait.
    pub wakes: u32,
    /// Inputs processed.
    pub inputs: u32,
    /// Activities dispatched to triggers.
    pub dispatched: u32,
    /// Whether a stop request ended the run early (after committing the work done; the clock
    /// stays where the work stopped and a later run continues from there).
    pub stopped: bool,
    /// Whether the run gave way to other work (see [`Engine::yield_on`]) before reaching its
    /// end: the work done is committed, the clock stays where the work stopped, and a later run
    /// continues from there (an unfinished batch run first).
    pub interrupted: bool,
}

/// A request, made from another thread, that a run give way between two units of work.
#[derive(Clone, Debug)]
struct YieldOn {
    /// Set by whoever wants the store.
    flag: Arc<AtomicBool>,
    /// A run gives way only once it has run this long, so that it always makes progress.
    after: Duration,
}

/// The engine over one store.
pub struct Engine<'a> {
    program: &'a Program,
    store: &'a mut dyn Store,
    index: TriggerIndex,
    /// Units of work in the open transaction.
    pending: u32,
    in_tx: bool,
    /// When the open transaction began.
    tx_started: Instant,
    /// Units of work per transaction ([`CHUNK`], or `CAMP_COMMIT_EVERY`).
    pub(crate) chunk: u32,
    /// Next scheduled instant per batch campaign (None: no more runs).
    next_runs: HashMap<CampaignId, Option<i64>>,
    /// Activities logged in the open transaction and not dispatched yet. A unit of work
    /// dispatches everything it queues before it ends, so within a run this never reaches the
    /// store; what a commit finds here (activities of `run_flow_for` or an import) is written
    /// to the store's queue for the next run.
    queue: VecDeque<Queued>,
    /// Whether the store's queue may hold activities (older than anything in `queue`).
    stored_queue: bool,
    /// Progress callback: called as long work proceeds.
    pub(crate) progress: Option<ProgressFn<'a>>,
    /// Looked at between units of work: when asked, the run commits and returns.
    stop: Stop,
    /// Looked at between units of work: when asked, the run commits and returns early.
    yield_on: Option<YieldOn>,
    /// When the current run started.
    run_started: Instant,
}

impl<'a> Engine<'a> {
    /// Prepares `store` for `program` (tables, field columns).
    pub fn new(program: &'a Program, store: &'a mut dyn Store) -> Result<Engine<'a>> {
        store.prepare(program)?;
        Ok(Engine {
            program,
            store,
            index: TriggerIndex::new(program),
            pending: 0,
            in_tx: false,
            tx_started: Instant::now(),
            chunk: std::env::var("CAMP_COMMIT_EVERY")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(CHUNK),
            next_runs: HashMap::new(),
            queue: VecDeque::new(),
            stored_queue: true,
            progress: None,
            stop: Stop::new(),
            yield_on: None,
            run_started: Instant::now(),
        })
    }

    /// Reports the progress of long work (batch runs, imports) through `f`.
    pub fn on_progress(&mut self, f: impl FnMut(&Progress<'_>) + 'a) {
        self.progress = Some(Box::new(f));
    }

    /// Makes runs stop, between two units of work, once `stop` is requested.
    pub fn stop_on(&mut self, stop: Stop) {
        self.stop = stop;
    }

    /// Whether a stop was requested.
    pub fn stopping(&self) -> bool {
        self.stop.requested().is_some()
    }

    /// Makes runs give way, between two units of work, once `flag` is set and the run has been
    /// going for at least `after` (`camp serve` lets requests reach the store this way while a
    /// large batch run is in progress). The run commits and returns with
    /// [`RunSummary::interrupted`]; the flag is left for the caller to clear.
    pub fn yield_on(&mut self, flag: Arc<AtomicBool>, after: Duration) {
        self.yield_on = Some(YieldOn { flag, after });
    }

    /// Whether the current run should give way.
    fn yielding(&self) -> bool {
        self.yield_on
            .as_ref()
            .is_some_and(|y| y.flag.load(Ordering::SeqCst) && self.run_started.elapsed() >= y.after)
    }

    /// The earliest instant at which work is due: a pending input, a wait, a scheduled batch
    /// run, or (as the store's clock) activities still queued for dispatch and a batch run left
    /// unfinished. `None` when nothing is due ever. Schedules are those the last
    /// [`Engine::run_until`] read.
    pub fn next_due(&mut self) -> Result<Option<i64>> {
        let clock = self.store.clock()?;
        // (Without trigger campaigns, queued activities wait for a program that has some.)
        let queued = !self.index.is_empty() && self.store.next_queued()?.is_some();
        if queued || self.store.open_run()?.is_some() {
            return Ok(Some(clock.unwrap_or(i64::MIN)));
        }
        let input = self.store.next_input(i64::MAX)?.map(|i| i.at);
        let wait = self.store.next_wait(i64::MAX)?.map(|w| w.wake_at);
        let batch = self.next_runs.values().filter_map(|t| *t).min();
        Ok([input, wait, batch].into_iter().flatten().min())
    }

    /// The store.
    pub fn store(&mut self) -> &mut dyn Store {
        self.store
    }

    /// The store's clock, starting it at `start` when it has none.
    pub fn clock_or_start(&mut self, start: i64) -> Result<i64> {
        match self.store.clock()? {
            Some(t) => Ok(t),
            None => {
                self.store.set_clock(start)?;
                Ok(start)
            }
        }
    }

    /// The store's clock.
    pub fn clock(&self) -> Result<Option<i64>> {
        self.store.clock()
    }

    pub(crate) fn begin(&mut self) -> Result<()> {
        if !self.in_tx {
            self.store.begin()?;
            self.in_tx = true;
            self.pending = 0;
            self.tx_started = Instant::now();
        }
        Ok(())
    }

    /// Ends a unit of work; commits every [`CHUNK`] units or [`COMMIT_INTERVAL`].
    fn unit_done(&mut self) -> Result<()> {
        self.pending += 1;
        if self.chunk_full() {
            self.flush()?;
        }
        Ok(())
    }

    /// Whether the open transaction has done enough to commit.
    fn chunk_full(&self) -> bool {
        self.pending >= self.chunk || self.tx_started.elapsed() >= COMMIT_INTERVAL
    }

    /// Commits the open transaction, first storing the activities still waiting for dispatch.
    pub fn flush(&mut self) -> Result<()> {
        if self.in_tx {
            if !self.queue.is_empty() {
                self.store_queue()?;
            }
            self.store.commit()?;
            self.in_tx = false;
            self.pending = 0;
        }
        Ok(())
    }

    /// Claims `person` for the unit of work about to start, on a store several processes share
    /// (LANGUAGE.md 13.4). When another process holds them: commits the work done so far, waits
    /// for the person holding nothing else (so that two processes never wait for each other),
    /// and returns false; the caller then looks for its work again, which may have been done
    /// meanwhile.
    fn take_person(&mut self, person: PersonId) -> Result<bool> {
        if !self.store.claims() || self.store.claim_person(person)? {
            return Ok(true);
        }
        self.wait_for_person(person)?;
        Ok(false)
    }

    /// Commits the work done, then waits for `person` holding nothing else, and claims them.
    fn wait_for_person(&mut self, person: PersonId) -> Result<()> {
        self.flush()?;
        self.begin()?;
        self.store.wait_for_person(person)
    }

    /// The person an input is about, when they exist (to claim them before the input is
    /// processed).
    fn input_person(&mut self, input: &crate::store::InputRow) -> Result<Option<PersonId>> {
        match crate::store::layout::input_person_key(&input.body) {
            Some(key) => match key.strip_prefix('#').and_then(|id| id.parse().ok()) {
                Some(id) => Ok(Some(id)),
                None => self.store.person_by_email(&key),
            },
            None => Ok(None),
        }
    }

    /// Moves the in-memory queue to the store's queue.
    fn store_queue(&mut self) -> Result<()> {
        for q in self.queue.drain(..) {
            let chain = serde_json::to_string(&q.chain).unwrap_or_else(|_| "[]".into());
            self.store.enqueue(q.activity.id, &chain)?;
        }
        self.stored_queue = true;
        Ok(())
    }

    /// Abandons the open transaction and everything it held in memory.
    pub(crate) fn abandon(&mut self) {
        let _ = self.store.rollback();
        self.in_tx = false;
        self.pending = 0;
        self.queue.clear();
        self.stored_queue = true;
    }

    fn runner(&mut self, now: i64) -> Runner<'_> {
        Runner {
            program: self.program,
            store: &mut *self.store,
            index: &self.index,
            now,
            queue: &mut self.queue,
        }
    }

    /// Runs `f` inside the engine's transaction, rolling back on error.
    pub fn with_tx<T>(&mut self, f: impl FnOnce(&mut Engine<'a>) -> Result<T>) -> Result<T> {
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.unit_done()?;
                Ok(v)
            }
            Err(e) => {
                self.abandon();
                Err(e)
            }
        }
    }

    /// Processes everything due up to `until` and leaves the clock there.
    pub fn run_until(&mut self, until: i64) -> Result<RunSummary> {
        let result = self.run_until_inner(until);
        match result {
            Ok(s) => {
                self.flush()?;
                Ok(s)
            }
            Err(e) => {
                self.abandon();
                Err(e)
            }
        }
    }

    fn run_until_inner(&mut self, until: i64) -> Result<RunSummary> {
        let mut summary = RunSummary::default();
        self.run_started = Instant::now();
        let start = self.clock_or_start(until)?;
        if until < start {
            return Err(StoreError::Schema(format!(
                "time never goes backwards: the store's clock is already at {}",
                super::value::local_time(start, self.program().settings.time_zone)
            )));
        }
        self.begin()?;
        self.init_schedules(start)?;
        let mut unfinished_runs = true;
        loop {
            if self.stopping() {
                summary.stopped = true;
                return Ok(summary);
            }
            if self.yielding() {
                summary.interrupted = true;
                return Ok(summary);
            }
            // Every unit of work runs inside the chunk's transaction, also after a commit.
            self.begin()?;
            // Cascades first.
            if self.dispatch_one()? {
                summary.dispatched += 1;
                self.unit_done()?;
                continue;
            }
            // A batch run left unfinished (a crash) goes on. Runs started below finish before
            // the loop goes on, so once none is left none appears.
            // (Processes sharing a store help with each other's runs as they go.)
            if unfinished_runs || self.store.claims() {
                match self.store.open_run()? {
                    Some(run) => {
                        self.continue_run(run.id, &run.campaign, run.at, None)?;
                        continue;
                    }
                    None => unfinished_runs = false,
                }
            }
            let next_input = self.store.next_input(until)?;
            let next_wait = self.store.next_wait(until)?;
            let next_batch = self
                .next_runs
                .iter()
                .filter_map(|(c, t)| t.map(|t| (t, *c)))
                .filter(|(t, _)| *t <= until)
                .min();
            let t_input = next_input.as_ref().map_or(i64::MAX, |i| i.at);
            let t_wait = next_wait.as_ref().map_or(i64::MAX, |w| w.wake_at);
            let t_batch = next_batch.map(|(t, _)| t).unwrap_or(i64::MAX);
            let t = t_input.min(t_wait).min(t_batch);
            if t == i64::MAX {
                break;
            }
            // One process never goes back in time. Processes sharing a store each take their
            // work at its own instant: the clock they share is the furthest any has got, and a
            // unit another process left (it died) is still due when it was.
            let now = if self.store.claims() {
                t
            } else {
                t.max(self.store.clock()?.unwrap_or(t))
            };
            self.store.set_clock(now)?;
            if t_input == t {
                if let Some(input) = next_input {
                    if self.process_input(now, input)? {
                        summary.inputs += 1;
                    }
                }
            } else if t_wait == t {
                if let Some(wait) = next_wait {
                    if self.wake(now, wait)? {
                        summary.wakes += 1;
                    }
                }
            } else if let Some((_, cid)) = next_batch {
                if self.start_batch(cid, t)? {
                    summary.batch_runs += 1;
                }
            }
        }
        let end = until.max(self.store.clock()?.unwrap_or(until));
        self.store.set_clock(end)?;
        Ok(summary)
    }

    /// Reads each batch campaign's last handled instant, recording "now" for campaigns seen
    /// for the first time so that runs before it never happen.
    fn init_schedules(&mut self, clock: i64) -> Result<()> {
        self.next_runs.clear();
        for (i, c) in self.program.campaigns.iter().enumerate() {
            let Some(rule) = &c.schedule else { continue };
            if c.kind != CampaignKind::Batch {
                continue;
            }
            let last = match self.store.last_run(&c.name)? {
                Some(t) => t,
                None => {
                    self.store.set_last_run(&c.name, clock - 1)?;
                    clock - 1
                }
            };
            let next = next_after(rule, instant(last)).map(|t| t.timestamp());
            self.next_runs.insert(CampaignId(i as u32), next);
        }
        Ok(())
    }

    /// Starts the batch run of campaign `cid` at instant `at`: records the instant, evaluates
    /// the smart list once over everyone, then puts each qualifying person through the flow.
    /// False when another process sharing the store took this run.
    fn start_batch(&mut self, cid: CampaignId, at: i64) -> Result<bool> {
        let program = self.program;
        let Some(c) = program.campaigns.get(cid.index()) else {
            return Ok(false);
        };
        let next = c
            .schedule
            .as_ref()
            .and_then(|r| next_after(r, instant(at)))
            .map(|t| t.timestamp());
        self.next_runs.insert(cid, next);
        match self.store.take_run(&c.name, at)? {
            Take::Taken => {}
            Take::Gone => return Ok(false),
            Take::NotYet => {
                // Other processes are finishing what comes first: let them (committing, so
                // that this process holds nothing), then look again.
                self.next_runs.insert(cid, Some(at));
                self.flush()?;
                std::thread::sleep(BARRIER_PAUSE);
                self.begin()?;
                return Ok(false);
            }
        }
        self.run_batch_now(cid, at)?;
        Ok(true)
    }

    /// Runs batch campaign `cid` at instant `now` (a schedule or an on-demand run).
    pub fn run_batch_now(&mut self, cid: CampaignId, now: i64) -> Result<()> {
        let program = self.program;
        let Some(c) = program.campaigns.get(cid.index()) else {
            return Ok(());
        };
        self.begin()?;
        let members = self.qualifying(cid, now)?;
        if let Some(max) = c.max_people {
            if members.len() as u64 > max {
                let mut runner = self.runner(now);
                for id in &members {
                    if let Some(person) = runner.store.person(*id)? {
                        runner.log_record(
                            &person,
                            Some(&c.name),
                            ActivityType::EnterFlow,
                            None,
                            json!({ "qualified": members.len(), "max_people": max }),
                            Outcome::Skipped,
                            Some("max_people"),
                            0,
                            Some(&Cause::run(&c.name, now)),
                        )?;
                    }
                }
                self.unit_done()?;
                return Ok(());
            }
        }
        let run = self.store.create_run(&c.name, now, &members)?;
        self.unit_done()?;
        self.continue_run(run, &c.name, now, Some(members.len() as u64))
    }

    /// Runs campaign `cid`'s flow for one person at `now`, skipping its smart list and
    /// qualification rule (the REPL applies typed steps this way). The activities it produces
    /// are dispatched to triggers by the next [`Engine::run_until`].
    pub fn run_flow_for(&mut self, cid: CampaignId, person: PersonId, now: i64) -> Result<()> {
        self.with_tx(|engine| {
            engine
                .runner(now)
                .run_flow(cid, person, &FlowContext::default())
        })?;
        self.flush()
    }

    /// Everyone whose filters hold for batch campaign `cid` at `now`, in id order.
    fn qualifying(&mut self, cid: CampaignId, now: i64) -> Result<Vec<PersonId>> {
        let program = self.program;
        let Some(c) = program.campaigns.get(cid.index()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        self.store
            .select_people(program, &c.filters, now, &mut |p| {
                out.push(p.id);
                Ok(())
            })?;
        Ok(out)
    }

    /// Puts the remaining members of a batch run (`total` of them, when known) through its flow.
    fn continue_run(
        &mut self,
        run: i64,
        campaign: &str,
        at: i64,
        total: Option<u64>,
    ) -> Result<()> {
        let cid = self.program.campaign(campaign);
        let now = if self.store.claims() {
            at
        } else {
            self.store.clock()?.unwrap_or(at).max(at)
        };
        let ctx = FlowContext {
            cause: Some(Cause::run(campaign, at)),
            ..FlowContext::default()
        };
        let mut done = 0u64;
        let work = format!("`{campaign}`");
        'members: loop {
            // Members leave the run in the transaction that puts them through the flow.
            self.begin()?;
            let members = self.store.run_members(run, self.chunk)?;
            if members.is_empty() {
                break;
            }
            let last = members.last().map_or(0, |m| m.0);
            let mut previous = None;
            for (ord, person) in members {
                if self.store.claims() && !self.store.claim_person(person)? {
                    // Another process holds this person: what is done is recorded and
                    // committed, and the members are read again once the person is free.
                    if let Some(p) = previous {
                        self.store.finish_run_members(run, p)?;
                    }
                    self.wait_for_person(person)?;
                    continue 'members;
                }
                previous = Some(ord);
                if let Some(cid) = cid {
                    self.runner(now).enter(cid, person, 0, &ctx)?;
                }
                while self.dispatch_one()? {}
                done += 1;
                self.pending += 1;
                if self.stopping() || self.yielding() {
                    // The rest of the run waits in the store for the next run.
                    self.store.finish_run_members(run, ord)?;
                    return Ok(());
                }
                if self.chunk_full() {
                    self.store.finish_run_members(run, ord)?;
                    self.flush()?;
                    self.begin()?;
                    if let Some(p) = &mut self.progress {
                        p(&Progress {
                            work: &work,
                            done,
                            total,
                        });
                    }
                    // The commit let go of the members read: another process sharing the
                    // store may have taken them since. They are read again.
                    continue 'members;
                }
            }
            self.store.finish_run_members(run, last)?;
        }
        self.store.close_run(run)?;
        if let Some(p) = &mut self.progress {
            p(&Progress {
                work: &work,
                done,
                total: Some(total.unwrap_or(done).max(done)),
            });
        }
        Ok(())
    }

    /// Wakes one parked person and continues their flow after the wait. False when another
    /// process held the person (nothing was done).
    fn wake(&mut self, now: i64, wait: crate::store::WaitRow) -> Result<bool> {
        if !self.take_person(wait.person)? {
            return Ok(false);
        }
        self.store.delete_wait(wait.id)?;
        let ctx: FlowContext = serde_json::from_str(&wait.context).unwrap_or_default();
        let Some(mut person) = self.store.person(wait.person)? else {
            self.unit_done()?;
            return Ok(true);
        };
        let cid = self.program.campaign(&wait.campaign);
        let mut runner = self.runner(now);
        let exists = cid.is_some_and(|c| runner.has_step(c, &wait.path));
        let resumed = match cid {
            Some(cid) if exists => {
                runner.log_record(
                    &person,
                    Some(&wait.campaign),
                    ActivityType::Wake,
                    None,
                    json!({ "path": wait.path }),
                    Outcome::Succeeded,
                    None,
                    wait.depth + 1,
                    ctx.cause.as_ref(),
                )?;
                runner.resume(cid, &wait.path, &mut person, wait.depth, &ctx)?
            }
            _ => false,
        };
        if !resumed {
            let reason = if cid.is_none() {
                "campaign_removed"
            } else {
                "step_removed"
            };
            runner.log_record(
                &person,
                Some(&wait.campaign),
                ActivityType::LeaveFlow,
                None,
                json!({ "path": wait.path }),
                Outcome::Succeeded,
                Some(reason),
                wait.depth + 1,
                ctx.cause.as_ref(),
            )?;
        }
        while self.dispatch_one()? {}
        self.unit_done()?;
        Ok(true)
    }

    /// The oldest activity waiting for dispatch, taken off its queue: the store's first (left
    /// by an earlier process or run), then the engine's.
    fn next_queued(&mut self) -> Result<Option<Queued>> {
        while self.stored_queue {
            let Some(q) = self.store.next_queued()? else {
                self.stored_queue = false;
                break;
            };
            let activity = self.store.activity(q.activity)?;
            if let Some(a) = &activity {
                if !self.take_person(a.person)? {
                    continue;
                }
            }
            self.store.dequeue(q.seq)?;
            if let Some(activity) = activity {
                let chain = serde_json::from_str(&q.chain).unwrap_or_default();
                return Ok(Some(Queued { activity, chain }));
            }
        }
        Ok(self.queue.pop_front())
    }

    /// Dispatches the oldest queued activity to the trigger campaigns that listen to it.
    /// Returns false when the queue is empty.
    fn dispatch_one(&mut self) -> Result<bool> {
        if self.index.is_empty() {
            return Ok(false);
        }
        let Some(Queued { activity, chain }) = self.next_queued()? else {
            return Ok(false);
        };
        let Some(kind) = ActivityType::parse(&activity.kind) else {
            return Ok(true);
        };
        let program = self.program;
        let now = activity.at;
        let tz = program.settings.time_zone;
        let candidates = self.index.candidates(kind, activity.primary.as_deref());
        for (cid, triggers) in candidates {
            let Some(c) = program.campaigns.get(cid.index()) else {
                continue;
            };
            let Some(tidx) = triggers.into_iter().find(|t| {
                c.triggers.get(*t).is_some_and(|m| {
                    activity_matches(
                        program,
                        m,
                        &activity.kind,
                        activity.primary.as_deref(),
                        &activity.attributes,
                        now,
                        tz,
                    )
                })
            }) else {
                continue;
            };
            let Some(person) = self.store.person(activity.person)? else {
                break;
            };
            if !c.active {
                if kind == ActivityType::RequestCampaign {
                    self.runner(now).log_record(
                        &person,
                        Some(&c.name),
                        ActivityType::EnterFlow,
                        None,
                        json!({}),
                        Outcome::Skipped,
                        Some("campaign_inactive"),
                        activity.depth,
                        Some(&Cause::Activity(activity.id)),
                    )?;
                }
                continue;
            }
            if activity.depth >= program.settings.cascade_depth {
                let mut full = chain.clone();
                full.push(c.name.clone());
                self.runner(now).log_record(
                    &person,
                    Some(&c.name),
                    ActivityType::CascadeLimit,
                    Some(c.name.clone()),
                    json!({ "depth": activity.depth, "chain": full }),
                    Outcome::Failed,
                    Some("cascade_limit"),
                    activity.depth,
                    Some(&Cause::Activity(activity.id)),
                )?;
                continue;
            }
            let eval = Eval::new(program, &*self.store, now);
            if !eval.filters(&c.filters, &person)? {
                continue;
            }
            let trigger = c.triggers.get(tidx);
            let mut attributes = activity.attributes.as_object().cloned().unwrap_or_default();
            // `{{trigger.form}}` is the form filled out (the activity's primary value).
            if kind == ActivityType::FillOutForm {
                if let Some(form) = &activity.primary {
                    attributes.insert("form".into(), json!(form));
                }
            }
            let info = TriggerInfo {
                name: trigger_name(kind),
                asset: activity.primary.clone(),
                attributes,
            };
            let ctx = FlowContext {
                trigger: Some(info),
                chain: chain.clone(),
                cause: Some(Cause::Activity(activity.id)),
            };
            let _ = trigger;
            self.runner(now)
                .enter(cid, person.id, activity.depth, &ctx)?;
        }
        Ok(true)
    }

    /// Processes one stored input event (see [`super::events`]). False when another process
    /// held its person (nothing was done).
    fn process_input(&mut self, now: i64, input: crate::store::InputRow) -> Result<bool> {
        if self.store.claims() {
            if let Some(person) = self.input_person(&input)? {
                if !self.take_person(person)? {
                    return Ok(false);
                }
            }
        }
        self.store.delete_input(input.seq)?;
        super::events::apply(self, now, &input)?;
        while self.dispatch_one()? {}
        self.unit_done()?;
        Ok(true)
    }

    /// Records one piece of outside news (a delivery's outcome) as a unit of work of its own:
    /// `f` writes through a runner at `now`, logging activities that fire triggers like input
    /// events do; everything it queued is dispatched, and the whole commits at once.
    /// On a store several processes share, `person` (the one the news is about) is claimed
    /// first.
    pub fn record_unit<T>(
        &mut self,
        now: i64,
        person: Option<PersonId>,
        f: impl FnOnce(&mut Runner<'_>) -> Result<T>,
    ) -> Result<T> {
        self.begin()?;
        if let Some(p) = person {
            // (Refused, it waits for the person and holds them: the unit goes on.)
            self.take_person(p)?;
        }
        let done = f(&mut self.runner(now)).and_then(|v| {
            while self.dispatch_one()? {}
            Ok(v)
        });
        match done {
            Ok(v) => {
                self.flush()?;
                Ok(v)
            }
            Err(e) => {
                self.abandon();
                Err(e)
            }
        }
    }

    /// A runner at `now` over this engine's store (for input processing).
    pub(crate) fn runner_at(&mut self, now: i64) -> Runner<'_> {
        self.runner(now)
    }

    /// The checked program.
    pub fn program(&self) -> &'a Program {
        self.program
    }
}

/// `{{trigger.name}}`: the trigger as a user writes it.
fn trigger_name(kind: ActivityType) -> String {
    match kind {
        ActivityType::NewPerson => "person is created",
        ActivityType::FillOutForm => "fills out form",
        ActivityType::VisitPage => "visits page",
        ActivityType::ClickEmail => "clicks link in email",
        ActivityType::OpenEmail => "opens email",
        ActivityType::EmailDelivered => "email is delivered",
        ActivityType::EmailBounced => "email bounces",
        ActivityType::UnsubscribeEmail => "unsubscribes from email",
        ActivityType::ChangeDataValue => "data value changes",
        ActivityType::ChangeScore => "score is changed",
        ActivityType::AddToList => "added to list",
        ActivityType::RemoveFromList => "removed from list",
        ActivityType::ChangeProgramStatus => "program status changes",
        ActivityType::RequestCampaign => "campaign is requested",
        ActivityType::CustomEvent => "event",
        other => other.as_str(),
    }
    .to_string()
}
