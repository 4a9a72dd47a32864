//! The data store behind the engine: people, memberships, the activity log, the outbox, parked
//! waits, pending inputs, batch runs and the clock.
//!
//! The engine talks to the [`Store`] trait, never to SQL; [`sqlite::SqliteStore`] is the
//! embedded implementation, [`postgres::PostgresStore`] the server one, which several processes
//! may share. Times are whole seconds since the Unix epoch (UTC).
//!
//! Commands reach a store through [`open::open`], the one opening path: for reading it takes no
//! lock; for writing it takes the store's runner lock ([`lock`], LANGUAGE.md 13.1) first.

pub mod layout;
pub mod lock;
pub mod open;
pub mod postgres;
pub mod sqlite;

use serde::Serialize;

use crate::check::ir::{FieldId, FieldType, Filters, Program, Scalar};
use crate::engine::conditions::Eval;

/// A person's id.
pub type PersonId = i64;

/// A store failure: I/O, a locked or corrupt database, a database that is not camp's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The PostgreSQL server reported an error.
    #[error("database error: {0}")]
    Postgres(String),
    /// The database server could not be reached, or refused the connection.
    #[error("cannot connect: {0}")]
    Unreachable(String),
    /// Another process holds the database.
    #[error("the database is locked by another process: try again when it has finished")]
    Locked,
    /// The file is not a camp database (or is from a newer camp).
    #[error("{0}")]
    NotCamp(String),
    /// The script and the database disagree (a field's type changed...).
    #[error("{0}")]
    Schema(String),
    /// A stored value could not be read back.
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// The disk holding the store is full (nothing of the failed transaction was written).
    #[error("the disk holding the store is full")]
    DiskFull,
    /// A scan's callback stopped it (its output was closed): not a store failure.
    #[error("stopped by its reader")]
    Stopped,
}

impl StoreError {
    /// Whether trying again later may succeed: the store was busy, or its server could not be
    /// reached (a server store connects again by itself).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Locked | StoreError::Unreachable(_))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Locked
            }
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull,
            _ => StoreError::Sqlite(e),
        }
    }
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A person: one value per field of the program, indexed by [`FieldId`].
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// The person's id.
    pub id: PersonId,
    /// Field values (`None`: empty).
    pub values: Vec<Option<Scalar>>,
}

impl Person {
    /// The value of `field`.
    pub fn get(&self, field: FieldId) -> Option<&Scalar> {
        self.values.get(field.index()).and_then(|v| v.as_ref())
    }

    /// The person's email address, if any.
    pub fn email(&self) -> Option<&str> {
        match self.values.get(1) {
            Some(Some(Scalar::Text(e))) if !e.is_empty() => Some(e),
            _ => None,
        }
    }
}

/// An activity's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Succeeded,
    /// It was skipped, with a reason.
    Skipped,
    /// It failed, with the error.
    Failed,
}

impl Outcome {
    /// The outcome's name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome named `s`.
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "succeeded" => Some(Outcome::Succeeded),
            "skipped" => Some(Outcome::Skipped),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// One row of the activity log.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Its id (log order).
    pub id: i64,
    /// When it happened.
    pub at: i64,
    /// Whose activity it is.
    pub person: PersonId,
    /// The person's email when it was logged.
    pub email: Option<String>,
    /// The campaign that produced it.
    pub campaign: Option<String>,
    /// The step path that produced it.
    pub step: Option<String>,
    /// The activity type (`send_email`...).
    pub kind: String,
    /// The primary value (asset, field, campaign...).
    pub primary: Option<String>,
    /// Further attributes (a JSON object).
    pub attributes: serde_json::Value,
    /// What happened.
    pub outcome: Outcome,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Cascade depth of the activity (0 for inputs).
    pub depth: u32,
}

/// One outbox row: an email, an alert or a webhook request, and how far its delivery has got.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxRow {
    /// Its id.
    pub id: i64,
    /// When it was written.
    pub at: i64,
    /// The person it is about.
    pub person: PersonId,
    /// The recipient address.
    pub to: String,
    /// The email asset's name.
    pub email: String,
    /// Rendered subject.
    pub subject: String,
    /// Rendered body.
    pub body: String,
    /// The campaign that sent it.
    pub campaign: Option<String>,
    /// Unique idempotency key.
    pub key: String,
    /// `email` or `alert`.
    pub kind: String,
    /// Whether the email is operational.
    pub operational: bool,
    /// How far its delivery has got (LANGUAGE.md 13.3).
    pub delivery: Delivery,
}

/// Where an outbox row's delivery stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not tried yet.
    #[default]
    Pending,
    /// Tried, failed for a passing reason, to be tried again at `next_try`.
    Retrying,
    /// Handed over and acknowledged (an email accepted, a webhook answered 2xx, 3xx or 4xx).
    Delivered,
    /// Refused for good by the mail server (SMTP 5xx).
    Bounced,
    /// Given up on after retrying for 24 hours.
    Failed,
}

impl DeliveryState {
    /// The state's name in listings and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Bounced => "bounced",
            DeliveryState::Failed => "failed",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<DeliveryState> {
        Some(match s {
            "pending" => DeliveryState::Pending,
            "retrying" => DeliveryState::Retrying,
            "delivered" => DeliveryState::Delivered,
            "bounced" => DeliveryState::Bounced,
            "failed" => DeliveryState::Failed,
            _ => return None,
        })
    }

    /// Whether nothing more will be tried.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryState::Delivered | DeliveryState::Bounced | DeliveryState::Failed
        )
    }
}

/// The delivery record of one outbox row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// The first attempt (store time), when one was made.
    pub first_try: Option<i64>,
    /// The next attempt (store time) while retrying.
    pub next_try: Option<i64>,
    /// The last answer's code: the SMTP reply code or the HTTP status.
    pub status: Option<u16>,
    /// The last failure, in words.
    pub error: Option<String>,
}

/// A person parked in a flow.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitRow {
    /// Its id.
    pub id: i64,
    /// Who waits.
    pub person: PersonId,
    /// In which campaign.
    pub campaign: String,
    /// The path of the wait step.
    pub path: String,
    /// When to resume.
    pub wake_at: i64,
    /// Cascade depth of the flow.
    pub depth: u32,
    /// The flow's context (trigger values...), JSON.
    pub context: String,
}

/// An input waiting to be processed (an event line).
#[derive(Clone, Debug, PartialEq)]
pub struct InputRow {
    /// Arrival order.
    pub seq: i64,
    /// When it happens.
    pub at: i64,
    /// The file it came from.
    pub source: String,
    /// Its line in that file.
    pub line: u64,
    /// The JSON text of the event.
    pub body: String,
}

/// A queued activity whose triggers have not been dispatched yet.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedRow {
    /// Queue order.
    pub seq: i64,
    /// The activity.
    pub activity: i64,
    /// The campaign chain that led to it (for `cascade_limit`).
    pub chain: String,
}

/// A batch run in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Its id.
    pub id: i64,
    /// The campaign.
    pub campaign: String,
    /// The scheduled instant.
    pub at: i64,
}

/// The answer of [`Store::take_run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// The run is this process's to do.
    Taken,
    /// Another process took it (or a later one).
    Gone,
    /// Work due before it is still being done elsewhere: ask again shortly.
    NotYet,
}

/// Campaign membership and entry history of one person.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Membership {
    /// When the person first became a member.
    pub since: i64,
    /// When the person last entered the flow.
    pub last_entered: Option<i64>,
}

/// Names the store's tables mention.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamesInUse {
    /// Lists with members.
    pub lists: Vec<String>,
    /// Programs with members, with the statuses seen.
    pub programs: Vec<(String, Vec<String>)>,
    /// Campaigns with members.
    pub campaigns: Vec<String>,
}

/// Activity counts per type and result, and the last activity counted (see
/// [`Store::activity_counts_after`]).
pub type ActivityCounts = (Vec<(String, String, u64)>, i64);

/// Work a store holds for later (see [`Store::backlog`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Inputs waiting to be processed.
    pub inputs: u64,
    /// Activities waiting for dispatch to triggers.
    pub queued: u64,
    /// People parked in a wait.
    pub waits: u64,
}

/// What the log listing shows.
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    /// Only this person's activities.
    pub person: Option<PersonId>,
    /// Only this campaign's activities.
    pub campaign: Option<String>,
    /// Only activities with a larger id.
    pub after: Option<i64>,
    /// At most this many (the first ones in log order).
    pub limit: Option<u32>,
}

/// A store as a trait object (every sized [`Store`] is one), for the trait's provided methods.
pub trait AsDynStore {
    /// `self` as `&dyn Store`.
    fn as_dyn_store(&self) -> &dyn Store;
}

impl<T: Store> AsDynStore for T {
    fn as_dyn_store(&self) -> &dyn Store {
        self
    }
}

/// The operations the engine needs from a data store.
pub trait Store: AsDynStore {
    /// Creates or upgrades the tables and adds a column for every schema field of `program`.
    fn prepare(&mut self, program: &Program) -> Result<()>;

    /// The fields this store has columns for, in creation order (built-ins excluded).
    fn stored_fields(&self) -> Result<Vec<(String, FieldType)>>;
    /// A stored setting (`time_zone`...).
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Records a setting.
    fn set_meta(&mut self, key: &str, value: &str) -> Result<()>;
    /// Names in use in the store: lists, programs, campaigns (for listings without a script).
    fn names_in_use(&self) -> Result<NamesInUse>;

    /// Starts a transaction.
    fn begin(&mut self) -> Result<()>;
    /// Commits the transaction.
    fn commit(&mut self) -> Result<()>;
    /// Abandons the transaction.
    fn rollback(&mut self) -> Result<()>;

    /// The store's clock, if it has been set.
    fn clock(&self) -> Result<Option<i64>>;
    /// Moves the clock.
    fn set_clock(&mut self, at: i64) -> Result<()>;

    /// Whether several processes may work on this store at once, each claiming its units of
    /// work and their people ([`Store::claim_person`]); false for a store that 13.1's runner
    /// lock gives to one process.
    fn claims(&self) -> bool {
        false
    }
    /// Claims `person` for the unit of work in progress, until the transaction ends, so that no
    /// other process sharing the store works on them meanwhile (LANGUAGE.md 13.4). False when
    /// another process holds them: the caller commits what it has done and calls
    /// [`Store::wait_for_person`]. A store only one process writes always says true.
    fn claim_person(&mut self, person: PersonId) -> Result<bool> {
        let _ = person;
        Ok(true)
    }
    /// Waits until `person` is free, then claims them as [`Store::claim_person`] does. Called
    /// holding no other claim (just after a commit), so that two processes never wait for each
    /// other.
    fn wait_for_person(&mut self, person: PersonId) -> Result<()> {
        let _ = person;
        Ok(())
    }

    /// The person with `id`.
    fn person(&self, id: PersonId) -> Result<Option<Person>>;
    /// The id of the person with `email` (case-insensitive).
    fn person_by_email(&self, email: &str) -> Result<Option<PersonId>>;
    /// Creates a person with the given values at `at`.
    fn insert_person(&mut self, values: &[(FieldId, Option<Scalar>)], at: i64) -> Result<PersonId>;
    /// Creates people with the given values at `at`, in order (an import): their ids, in the
    /// same order. A store may write them all at once.
    fn insert_people(
        &mut self,
        people: &[Vec<(FieldId, Option<Scalar>)>],
        at: i64,
    ) -> Result<Vec<PersonId>> {
        people.iter().map(|v| self.insert_person(v, at)).collect()
    }
    /// The ids of the people with these emails (case-insensitive), in order.
    fn people_by_email(&self, emails: &[&str]) -> Result<Vec<Option<PersonId>>> {
        emails.iter().map(|e| self.person_by_email(e)).collect()
    }
    /// The people with these ids, in order (`None` for an id nobody has).
    fn people(&self, ids: &[PersonId]) -> Result<Vec<Option<Person>>> {
        ids.iter().map(|id| self.person(*id)).collect()
    }
    /// Sets one field (and `updated_at`).
    fn set_field(
        &mut self,
        id: PersonId,
        field: FieldId,
        value: Option<&Scalar>,
        at: i64,
    ) -> Result<()>;
    /// Deletes a person with their memberships and waits (the log is kept).
    fn delete_person(&mut self, id: PersonId) -> Result<()>;
    /// Calls `f` for every person, in id order.
    fn scan_people(&self, f: &mut dyn FnMut(Person) -> Result<()>) -> Result<()>;
    /// How many people there are.
    fn count_people(&self) -> Result<u64>;
    /// Calls `f`, in id order, for every person for whom `filters` hold at instant `now` (a
    /// smart list's selection: `camp people --where`, a batch run). `program` is the one the
    /// store was prepared for. The provided method reads everyone and evaluates the filters in
    /// memory; a store may evaluate them, or part of them, in its own query language, as long
    /// as the result is the same.
    fn select_people(
        &self,
        program: &Program,
        filters: &Filters,
        now: i64,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        self.select_people_in(program, filters, now, PersonId::MIN..=PersonId::MAX, f)
    }

    /// [`Store::select_people`] among the people whose ids lie in `ids` (several readers
    /// share a large selection this way).
    fn select_people_in(
        &self,
        program: &Program,
        filters: &Filters,
        now: i64,
        ids: std::ops::RangeInclusive<PersonId>,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        select_by_scan_in(self.as_dyn_store(), program, filters, now, ids, f)
    }

    /// The smallest and the largest person id, when anyone exists.
    fn person_id_span(&self) -> Result<Option<(PersonId, PersonId)>>;

    /// Whether the person is in the list.
    fn in_list(&self, list: &str, person: PersonId) -> Result<bool>;
    /// Adds to a list; false when already a member.
    fn add_to_list(&mut self, list: &str, person: PersonId, at: i64) -> Result<bool>;
    /// Removes from a list; false when not a member.
    fn remove_from_list(&mut self, list: &str, person: PersonId) -> Result<bool>;
    /// The lists a person is in, by name.
    fn lists_of(&self, person: PersonId) -> Result<Vec<String>>;
    /// The lists each of `people` is in, by name: one vector per person, in the order given.
    fn lists_of_people(&self, people: &[PersonId]) -> Result<Vec<Vec<String>>> {
        people.iter().map(|p| self.lists_of(*p)).collect()
    }

    /// The person's status in a program, if a member.
    fn program_status(&self, program: &str, person: PersonId) -> Result<Option<String>>;
    /// Sets the person's status in a program (making them a member).
    fn set_program_status(
        &mut self,
        program: &str,
        person: PersonId,
        status: &str,
        at: i64,
    ) -> Result<()>;

    /// The person's membership of a campaign.
    fn membership(&self, campaign: &str, person: PersonId) -> Result<Option<Membership>>;
    /// Makes the person a member of the campaign (no-op when already one).
    fn add_member(&mut self, campaign: &str, person: PersonId, at: i64) -> Result<()>;
    /// Records that the person entered the campaign's flow at `at`.
    fn record_entry(&mut self, campaign: &str, person: PersonId, at: i64) -> Result<()>;

    /// Appends an activity (its `id` is ignored) and returns its id.
    fn append_activity(&mut self, activity: &Activity) -> Result<i64>;
    /// The activity with `id`.
    fn activity(&self, id: i64) -> Result<Option<Activity>>;
    /// A person's activities of the given types, optionally with a primary value, in a time
    /// range (inclusive), in log order.
    fn history(
        &self,
        person: PersonId,
        kinds: &[&str],
        primary: Option<&str>,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<Activity>>;
    /// Calls `f` for each activity of the log the query selects, in log order.
    fn scan_log(&self, query: &LogQuery, f: &mut dyn FnMut(Activity) -> Result<()>) -> Result<()>;
    /// The log, filtered.
    fn log(&self, query: &LogQuery) -> Result<Vec<Activity>> {
        let mut out = Vec::new();
        self.scan_log(query, &mut |a| {
            out.push(a);
            Ok(())
        })?;
        Ok(out)
    }
    /// The id of the last activity logged (0 when the log is empty).
    fn last_activity_id(&self) -> Result<i64>;

    /// How many activities with an id above `after` there are, per type and result, and the
    /// largest id counted (`after` when none): `(type, result, count)` rows in no fixed order.
    fn activity_counts_after(&self, after: i64) -> Result<ActivityCounts> {
        let mut counts: std::collections::BTreeMap<(String, String), u64> = Default::default();
        let mut last = after;
        self.scan_log(
            &LogQuery {
                after: Some(after),
                ..LogQuery::default()
            },
            &mut |a| {
                last = last.max(a.id);
                *counts
                    .entry((a.kind, a.outcome.as_str().to_string()))
                    .or_default() += 1;
                Ok(())
            },
        )?;
        Ok((
            counts.into_iter().map(|((k, r), n)| (k, r, n)).collect(),
            last,
        ))
    }
    /// Work the store holds for later: pending inputs, activities queued for dispatch, and
    /// parked waits.
    fn backlog(&self) -> Result<Backlog> {
        Ok(Backlog {
            inputs: 0,
            queued: 0,
            waits: self.waits()?.len() as u64,
        })
    }
    /// Per campaign name: people waiting in its flow and entries into its flow so far.
    fn campaign_counts(&self) -> Result<std::collections::HashMap<String, (u64, u64)>> {
        let mut out: std::collections::HashMap<String, (u64, u64)> = Default::default();
        for w in self.waits()? {
            out.entry(w.campaign).or_default().0 += 1;
        }
        self.scan_log(&LogQuery::default(), &mut |a| {
            if a.kind == "enter_flow" && a.outcome == Outcome::Succeeded {
                if let Some(c) = a.campaign {
                    out.entry(c).or_default().1 += 1;
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The successful entries into a flow (`enter_flow` activities) after instant `after`, of
    /// one campaign or of all: each entry's campaign and instant, in log order.
    fn entries_after(&self, campaign: Option<&str>, after: i64) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        let query = LogQuery {
            campaign: campaign.map(str::to_string),
            ..LogQuery::default()
        };
        self.scan_log(&query, &mut |a| {
            if a.kind == "enter_flow" && a.outcome == Outcome::Succeeded && a.at > after {
                if let Some(c) = a.campaign {
                    out.push((c, a.at));
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Writes an outbox row; a row whose key is already there is left as it is.
    fn outbox_insert(&mut self, row: &OutboxRow) -> Result<()>;
    /// Calls `f` for every outbox row, in order.
    fn scan_outbox(&self, f: &mut dyn FnMut(OutboxRow) -> Result<()>) -> Result<()>;
    /// Every outbox row, in order.
    fn outbox(&self) -> Result<Vec<OutboxRow>> {
        let mut out = Vec::new();
        self.scan_outbox(&mut |o| {
            out.push(o);
            Ok(())
        })?;
        Ok(out)
    }
    /// Up to `limit` outbox rows whose delivery is due at `now` (not tried yet, or retrying
    /// with `next_try` at or before `now`), in outbox order, from the row after `after` on.
    fn due_deliveries(&self, now: i64, after: i64, limit: u32) -> Result<Vec<OutboxRow>>;
    /// Records an outbox row's delivery state.
    fn set_delivery(&mut self, id: i64, delivery: &Delivery) -> Result<()>;
    /// Non-operational emails sent to the person at or after `since`.
    fn marketing_sends_since(&self, person: PersonId, since: i64) -> Result<u32>;

    /// Parks a person.
    fn insert_wait(&mut self, wait: &WaitRow) -> Result<i64>;
    /// The earliest wait due at or before `up_to`.
    fn next_wait(&self, up_to: i64) -> Result<Option<WaitRow>>;
    /// Removes a wait.
    fn delete_wait(&mut self, id: i64) -> Result<()>;
    /// Removes a person's waits in a campaign; returns how many.
    fn delete_waits(&mut self, person: PersonId, campaign: &str) -> Result<u32>;
    /// Every wait, in order (for listings and script-change checks).
    fn waits(&self) -> Result<Vec<WaitRow>>;
    /// A person's waits, in wake order.
    fn person_waits(&self, person: PersonId) -> Result<Vec<WaitRow>> {
        let mut all = self.waits()?;
        all.retain(|w| w.person == person);
        Ok(all)
    }

    /// One person's waits in one campaign, in wake order.
    fn waits_in(&self, person: PersonId, campaign: &str) -> Result<Vec<WaitRow>> {
        Ok(self
            .waits()?
            .into_iter()
            .filter(|w| w.person == person && w.campaign == campaign)
            .collect())
    }

    /// Stores inputs to process later.
    fn insert_input(&mut self, input: &InputRow) -> Result<()>;
    /// The earliest input at or before `up_to` (arrival order within an instant).
    fn next_input(&self, up_to: i64) -> Result<Option<InputRow>>;
    /// Removes an input.
    fn delete_input(&mut self, seq: i64) -> Result<()>;

    /// Queues an activity for trigger dispatch.
    fn enqueue(&mut self, activity: i64, chain: &str) -> Result<()>;
    /// The oldest queued activity.
    fn next_queued(&self) -> Result<Option<QueuedRow>>;
    /// Removes a queued activity.
    fn dequeue(&mut self, seq: i64) -> Result<()>;

    /// The last scheduled instant handled for a campaign.
    fn last_run(&self, campaign: &str) -> Result<Option<i64>>;
    /// Records the last scheduled instant handled.
    fn set_last_run(&mut self, campaign: &str, at: i64) -> Result<()>;
    /// Takes the run of batch campaign `campaign` scheduled at `at` (LANGUAGE.md 9.3): records
    /// `at` as the last instant handled. On a store several processes share, the run may have
    /// been taken by another process, or may not start yet: everything due at or before `at`
    /// (inputs, waits) and every batch run in progress must be done first, as one process
    /// would have done them.
    fn take_run(&mut self, campaign: &str, at: i64) -> Result<Take> {
        self.set_last_run(campaign, at)?;
        Ok(Take::Taken)
    }
    /// Starts a batch run over `members` (in this order).
    fn create_run(&mut self, campaign: &str, at: i64, members: &[PersonId]) -> Result<i64>;
    /// A batch run still in progress.
    fn open_run(&self) -> Result<Option<RunRow>>;
    /// Up to `limit` members of a run still to process, in order: position and id.
    fn run_members(&self, run: i64, limit: u32) -> Result<Vec<(i64, PersonId)>>;
    /// Marks the members up to position `ord` as processed.
    fn finish_run_members(&mut self, run: i64, ord: i64) -> Result<()>;
    /// Closes a run.
    fn close_run(&mut self, run: i64) -> Result<()>;
}

/// [`Store::select_people`] by reading everyone and evaluating `filters` in memory.
pub fn select_by_scan(
    store: &dyn Store,
    program: &Program,
    filters: &Filters,
    now: i64,
    f: &mut dyn FnMut(Person) -> Result<()>,
) -> Result<()> {
    let eval = Eval::new(program, store, now);
    store.scan_people(&mut |p| {
        if eval.filters(filters, &p)? {
            f(p)?;
        }
        Ok(())
    })
}

/// [`select_by_scan`] among the people whose ids lie in `ids`.
pub fn select_by_scan_in(
    store: &dyn Store,
    program: &Program,
    filters: &Filters,
    now: i64,
    ids: std::ops::RangeInclusive<PersonId>,
    f: &mut dyn FnMut(Person) -> Result<()>,
) -> Result<()> {
    select_by_scan(store, program, filters, now, &mut |p| {
        if ids.contains(&p.id) {
            f(p)
        } else {
            Ok(())
        }
    })
}

/// The SQL type that stores a field type.
pub fn sql_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text | FieldType::Date => "TEXT",
        FieldType::Number => "REAL",
        FieldType::Bool | FieldType::DateTime => "INTEGER",
    }
}
