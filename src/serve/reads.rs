//! What the reading endpoints answer, through read-only connections of their own: they read
//! what the runner has committed and never wait for it (SQLite's write-ahead log).

use std::sync::{Arc, Mutex, RwLock};

use serde_json::{json, Value as Json};

use crate::check::ir::{Campaign, CampaignKind, Program};
use crate::diagnostic::SourceMap;
use crate::engine::schedule::next_after;
use crate::engine::value::{instant, rfc3339};
use crate::explain::Texts;
use crate::report::{activity_json, outbox_json, person_json};
use crate::store::open::{reader, Location};
use crate::store::{LogQuery, PersonId, Store, StoreError};
use crate::syntax::ast::Script;

/// A checked program with the texts of its scripts (for explanations) and the parsed scripts
/// themselves (for the web view's pictures and schedule).
#[derive(Clone, Debug)]
pub struct Live {
    /// The checked program.
    pub program: Arc<Program>,
    /// The filters, triggers and rules as the scripts write them.
    pub texts: Arc<Texts>,
    /// The scripts the program was checked from.
    pub scripts: Arc<Vec<Script>>,
    /// The scripts' texts.
    pub sources: Arc<SourceMap>,
}

/// The program in force, with a number that changes at each reload.
#[derive(Debug)]
pub struct Current {
    program: RwLock<(u64, Live)>,
}

impl Current {
    /// The program the server started with.
    pub fn new(live: Live) -> Current {
        Current {
            program: RwLock::new((0, live)),
        }
    }

    /// The program in force and its generation.
    pub fn get(&self) -> (u64, Arc<Program>) {
        let (generation, live) = self.live();
        (generation, live.program)
    }

    /// The program in force with its texts, and its generation.
    pub fn live(&self) -> (u64, Live) {
        let g = self.program.read().unwrap_or_else(|e| e.into_inner());
        (g.0, g.1.clone())
    }

    /// Puts a reloaded program in force.
    pub fn set(&self, live: Live) {
        let mut g = self.program.write().unwrap_or_else(|e| e.into_inner());
        *g = (g.0 + 1, live);
    }
}

/// Read-only connections to the store, kept for reuse.
pub struct ReadPool {
    location: Location,
    idle: Mutex<Vec<(u64, Box<dyn Store + Send>)>>,
}

impl std::fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPool")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Connections kept idle at most.
const IDLE: usize = 8;

/// A connection taken from a [`ReadPool`], prepared for the program in force.
struct Slot {
    generation: u64,
    store: Option<Box<dyn Store + Send>>,
}

impl ReadPool {
    /// Connections to the store at `location` (opened when needed).
    pub fn new(location: Location) -> ReadPool {
        ReadPool {
            location,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with a connection prepared for the program of `current`.
    pub fn with<T>(
        &self,
        current: &Current,
        f: impl FnOnce(&dyn Store, &Program) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_live(current, |store, live| f(store, &live.program))
    }

    /// Runs `f` with a connection prepared for the program of `current`, given with its texts.
    pub fn with_live<T>(
        &self,
        current: &Current,
        f: impl FnOnce(&dyn Store, &Live) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (generation, live) = current.live();
        let program = &live.program;
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut slot = match taken {
            Some((g, store)) => Slot {
                generation: g,
                store: Some(store),
            },
            None => Slot {
                generation: u64::MAX,
                store: Some(reader(&self.location)?),
            },
        };
        let Some(store) = slot.store.as_mut() else {
            return Err(StoreError::Schema("no connection".to_string()));
        };
        if slot.generation != generation {
            // The runner prepared the store for this program: this only reads the columns.
            store.prepare(program)?;
            slot.generation = generation;
        }
        let result = f(&**store, &live);
        if result.is_ok() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < IDLE {
                if let Some(store) = slot.store.take() {
                    idle.push((slot.generation, store));
                }
            }
        }
        result
    }
}

/// A person named by id or email, if there is one.
pub fn resolve_person(store: &dyn Store, who: &str) -> Result<Option<PersonId>, StoreError> {
    if let Ok(id) = who.parse::<PersonId>() {
        return Ok(store.person(id)?.map(|p| p.id));
    }
    store.person_by_email(who.trim())
}

/// `GET /v1/people/{who}`: the person as `camp people --format json` shows them.
pub fn person(store: &dyn Store, program: &Program, who: &str) -> Result<Option<Json>, StoreError> {
    let Some(id) = resolve_person(store, who)? else {
        return Ok(None);
    };
    let Some(p) = store.person(id)? else {
        return Ok(None);
    };
    let lists = store.lists_of(id)?;
    Ok(Some(person_json(program, &p, &lists)))
}

/// A page of a listing: entries after an id, at most a number of them.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// Only entries with a larger id.
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// The log as `camp log --format json` shows it, for a person or a campaign, a page at a time.
pub fn log(
    store: &dyn Store,
    person: Option<PersonId>,
    campaign: Option<String>,
    page: Page,
) -> Result<Vec<Json>, StoreError> {
    let query = LogQuery {
        person,
        campaign,
        after: Some(page.after),
        limit: Some(page.limit),
    };
    let mut out = Vec::new();
    store.scan_log(&query, &mut |a| {
        out.push(activity_json(&a));
        Ok(())
    })?;
    Ok(out)
}

/// The outbox rows after id `page.after`, as `camp outbox --format json` shows them.
pub fn outbox(store: &dyn Store, page: Page) -> Result<Vec<Json>, StoreError> {
    let mut out = Vec::new();
    store.scan_outbox(&mut |o| {
        if o.id > page.after && out.len() < page.limit as usize {
            out.push(outbox_json(&o));
        }
        Ok(())
    })?;
    Ok(out)
}

/// A campaign's kind and state in words: `batch`, `trigger` or `executable`; `active`, or
/// `inactive` for a deactivated trigger campaign.
pub fn kind_and_state(c: &Campaign) -> (&'static str, &'static str) {
    match c.kind {
        CampaignKind::Batch => ("batch", "active"),
        CampaignKind::Trigger if c.active => ("trigger", "active"),
        CampaignKind::Trigger => ("trigger", "inactive"),
        CampaignKind::Executable => ("executable", "active"),
    }
}

/// A batch campaign's next scheduled run after its last one (or after the store's `clock`
/// when it never ran); `None` for other campaigns and finished schedules.
pub fn next_run(
    store: &dyn Store,
    c: &Campaign,
    clock: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    match (&c.schedule, c.kind) {
        (Some(rule), CampaignKind::Batch) => {
            let last = match store.last_run(&c.name)? {
                Some(t) => Some(t),
                None => clock.map(|t| t - 1),
            };
            Ok(last
                .and_then(|t| next_after(rule, instant(t)))
                .map(|t| t.timestamp()))
        }
        _ => Ok(None),
    }
}

/// `GET /v1/campaigns`: each campaign of the program in force with its kind, state, the people
/// waiting in its flow, its entries so far and its next scheduled run.
pub fn campaigns(store: &dyn Store, program: &Program) -> Result<Vec<Json>, StoreError> {
    let counts = store.campaign_counts()?;
    let clock = store.clock()?;
    let mut out = Vec::with_capacity(program.campaigns.len());
    for c in &program.campaigns {
        let (waiting, entries) = counts.get(&c.name).copied().unwrap_or_default();
        let (kind, state) = kind_and_state(c);
        let next_run = next_run(store, c, clock)?.map(rfc3339);
        out.push(json!({
            "name": c.name,
            "kind": kind,
            "state": state,
            "waiting": waiting,
            "entries": entries,
            "next_run": next_run,
        }));
    }
    Ok(out)
}
