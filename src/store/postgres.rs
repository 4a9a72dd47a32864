//! The server store: one PostgreSQL database (LANGUAGE.md 13.4), with the SQLite store's layout
//! and semantics, shared by several processes.
//!
//! Several `camp run` and `camp serve` processes may work on one database at once. Each unit of
//! work is claimed by one of them inside its transaction: inputs, waits, queued activities and
//! the packed rows of a batch run's members are read `FOR UPDATE SKIP LOCKED`, so a row another
//! process holds is passed over; a schedule's run is taken by the one process that locks and
//! moves its `last_run`. A unit's person is claimed with a transaction-level advisory lock
//! ([`Store::claim_person`]); the engine, refused, commits what it has done and waits for that
//! person holding nothing, so two processes never deadlock. An input or a wait waits for the
//! person's earlier ones (`person_key`, `wake_at`), so one person's work keeps its order.
//! Deliveries are claimed with session-level advisory locks, released once their outcome is
//! committed. All of these locks end with the connection: a process killed with `kill -9` loses
//! nothing, and its claims are free as soon as the server notices.
//!
//! Activity ids come from a counter row moved on a second connection, so that no transaction
//! holds it; a transaction gives back the ids it reserved and did not use, so a single process
//! numbers the log without gaps, as the SQLite store does. Names are interned on that second
//! connection too, committed at once (a name is never wrong to keep).
//!
//! Inside a transaction, writes whose answer nothing waits for travel with the next statement
//! that needs an answer ([`conn`]), so a unit of work costs a round trip per read.
//! `docs/scale-out.md` has the whole design.

mod conn;
mod migrate;
pub mod select;
pub mod value;

use std::cell::{Cell, Ref, RefCell};
use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use conn::{Conn, Param};

use super::layout::{
    column, field_type, outcome_code, outcome_of, prepared_for, ACTIVITY_SELECT, OUTBOX_COLUMNS,
};
use super::*;
use crate::check::ir::BUILTIN_FIELDS;
use value::{column_type, decode, PgRead, PgValue};

/// Owned parameters of a write (see [`PostgresStore::write`]).
macro_rules! owned {
    ($($v:expr),* $(,)?) => { vec![$(Box::new($v) as Param),*] };
}

/// Rows read per query by scans (people, the log, the outbox), so that no scan holds a whole
/// table in memory.
const PAGE: i64 = 2_000;

/// Activity ids reserved at a time.
const ID_BLOCK: i64 = 64;

/// Activities written per `INSERT`.
const LOG_ROWS: usize = 256;

/// Waits as [`read_wait`] reads them.
const WAIT_COLUMNS: &str = "id, person, campaign, path, wake_at, depth, context";

/// A camp database in PostgreSQL.
pub struct PostgresStore {
    conn: RefCell<Conn>,
    /// The URL to connect with.
    url: String,
    /// The URL as shown (the password hidden).
    shown: String,
    /// The second connection (ids, names), opened when first needed.
    side: RefCell<Option<Conn>>,
    /// Column name and type per field id, set by `prepare`.
    columns: Vec<(String, FieldType)>,
    select_person: String,
    select_person_by_id: String,
    update_field: Vec<String>,
    names: RefCell<HashMap<String, i64>>,
    in_tx: Cell<bool>,
    /// This process's row in `clocks`.
    worker: String,
    tx: RefCell<TxState>,
    /// Outbox rows whose delivery this connection holds (session advisory locks).
    deliveries: RefCell<HashSet<i64>>,
}

/// What one transaction keeps in memory.
#[derive(Debug, Default)]
struct TxState {
    /// The clock as this transaction sees it, and whether it was set.
    clock: Option<Option<i64>>,
    clock_unwritten: bool,
    /// People claimed in this transaction.
    people: HashSet<PersonId>,
    /// Activities logged and not written yet.
    log: Vec<LogRow>,
    /// Reserved activity ids: the next to give and the end of the block.
    ids: Option<(i64, i64)>,
    /// The last batch-run cause interned, and its name id.
    last_cause: Option<(Json, i64)>,
    /// Deliveries recorded, whose locks go with the commit.
    delivered: Vec<i64>,
    /// The person last read (claimed people change only through this transaction).
    person: Option<Person>,
    /// The last email looked up, and whose it is.
    email: Option<(String, Option<PersonId>)>,
    /// The answer of `next_wait(up_to)` for this `up_to` (the row is claimed).
    next_wait: Option<(i64, Option<WaitRow>)>,
    /// The answer of `next_input(up_to)` for this `up_to` (the row is claimed).
    next_input: Option<(i64, Option<InputRow>)>,
}

/// One activity row, as written.
#[derive(Debug, Clone)]
struct LogRow {
    id: i64,
    at: i64,
    person: i64,
    email: Option<String>,
    campaign: Option<i64>,
    step: Option<i64>,
    kind: i64,
    primary: Option<i64>,
    attributes: String,
    result: i16,
    reason: Option<String>,
    depth: i32,
    cause_activity: Option<i64>,
    cause_run: Option<i64>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// A PostgreSQL error as a store error: a full disk, a lock conflict, or the server's words.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    if e.is_closed() {
        return StoreError::Unreachable("the connection to the server was lost".into());
    }
    // Connection exceptions (class 08) and the server shutting the session down (57P0x).
    if let Some(code) = e.code().map(|c| c.code()) {
        if code.starts_with("08") || code.starts_with("57P0") {
            let text = e
                .as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_string());
            return StoreError::Unreachable(text);
        }
    }
    match e.code() {
        Some(c) if *c == SqlState::DISK_FULL => StoreError::DiskFull,
        Some(c)
            if *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::LOCK_NOT_AVAILABLE =>
        {
            StoreError::Locked
        }
        _ => {
            let text = match e.as_db_error() {
                Some(db) => db.message().to_string(),
                None => e.to_string(),
            };
            StoreError::Postgres(text)
        }
    }
}

/// A field's column name: `f_<name>`, shortened with a hash of the name past PostgreSQL's 63
/// bytes.
fn field_column(name: &str) -> String {
    let col = format!("f_{name}");
    if col.len() <= 63 {
        return col;
    }
    // FNV-1a: a stable hash, the same in every process and version.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut cut = 40;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("f_{}_{h:016x}", &name[..cut])
}

impl PostgresStore {
    /// Connects to the database at `url` (shown to users as `shown`) and brings its tables up
    /// to date, creating them when `create` (a database without them is refused otherwise).
    pub fn connect(url: &str, shown: &str, create: bool) -> Result<PostgresStore> {
        let conn = Conn::open(url, shown)?;
        migrate::migrate(&conn, shown, create)?;
        let worker = format!(
            "{}-{}-{:x}",
            hostname(),
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let mut store = PostgresStore {
            conn: RefCell::new(conn),
            url: url.to_string(),
            shown: shown.to_string(),
            side: RefCell::new(None),
            columns: Vec::new(),
            select_person: String::new(),
            select_person_by_id: String::new(),
            update_field: Vec::new(),
            names: RefCell::new(HashMap::new()),
            in_tx: Cell::new(false),
            worker,
            tx: RefCell::new(TxState::default()),
            deliveries: RefCell::new(HashSet::new()),
        };
        // Until `prepare` says otherwise, people have the built-in fields.
        store.set_columns(
            BUILTIN_FIELDS
                .iter()
                .map(|(name, ty, _)| (name.to_string(), *ty))
                .collect(),
        );
        Ok(store)
    }

    /// The people table's columns, and the statements built from them.
    fn set_columns(&mut self, columns: Vec<(String, FieldType)>) {
        self.select_person = format!(
            "SELECT {} FROM people",
            columns
                .iter()
                .map(|(c, _)| format!("people.\"{}\"", c.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.update_field = columns
            .iter()
            .map(|(c, _)| {
                format!(
                    "UPDATE people SET \"{}\" = $1, updated_at = $2 WHERE id = $3",
                    c.replace('"', "\"\"")
                )
            })
            .collect();
        self.select_person_by_id = format!("{} WHERE id = $1", self.select_person);
        self.columns = columns;
    }

    fn not_camp(shown: &str, why: &str) -> StoreError {
        StoreError::NotCamp(format!("`{shown}` is not a camp database: {why}"))
    }

    /// Connects again when the connection was lost and no transaction was open (a transaction
    /// in progress is lost with its connection: the server rolled it back, and the caller
    /// hears of it). What the old connection held (its prepared statements, its delivery
    /// claims) went with it.
    fn reconnect_if_lost(&self) -> Result<()> {
        if self.in_tx.get() || !self.conn.borrow().is_closed() {
            return Ok(());
        }
        let conn = Conn::open(&self.url, &self.shown)?;
        *self.conn.borrow_mut() = conn;
        self.deliveries.borrow_mut().clear();
        Ok(())
    }

    /// The connection, connected again first when it was lost between transactions.
    fn conn(&self) -> Result<Ref<'_, Conn>> {
        self.reconnect_if_lost()?;
        Ok(self.conn.borrow())
    }

    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        self.conn()?.query(sql, params)
    }

    fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        self.query(sql, params)?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Postgres("a query returned no row".into()))
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.conn()?.execute(sql, params)
    }

    /// A write whose answer nothing waits for: inside a transaction it goes with the next
    /// statement that needs an answer (see [`conn`]); outside one, now.
    fn write(&self, sql: &str, params: Vec<Param>) -> Result<()> {
        let conn = self.conn()?;
        if self.in_tx.get() {
            conn.defer(sql, params)
        } else {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            conn.execute(sql, &refs).map(|_| ())
        }
    }

    /// The second connection, opened when first needed.
    fn side(&self) -> Result<Ref<'_, Conn>> {
        {
            let mut side = self.side.borrow_mut();
            if side.as_ref().is_none_or(|c| c.is_closed()) {
                *side = Some(Conn::open(&self.url, &self.shown)?);
            }
        }
        Ok(Ref::map(self.side.borrow(), |s| match s {
            Some(c) => c,
            None => unreachable!("connected above"),
        }))
    }

    /// The id of an interned name, if it has one.
    fn name_id(&self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.names.borrow().get(name) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .query_opt("SELECT id FROM names WHERE name = $1", &[&name])?
            .map(|r| r.get(0));
        if let Some(id) = id {
            self.names.borrow_mut().insert(name.to_string(), id);
        }
        Ok(id)
    }

    /// The id of `name`, interning it (committed at once, on the second connection) when it
    /// has none.
    fn intern(&self, name: &str) -> Result<i64> {
        if let Some(id) = self.name_id(name)? {
            return Ok(id);
        }
        let id: i64 = {
            let side = self.side()?;
            side.execute(
                "INSERT INTO names (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                &[&name],
            )?;
            side.query("SELECT id FROM names WHERE name = $1", &[&name])?
                .first()
                .ok_or_else(|| StoreError::Postgres(format!("the name `{name}` was not kept")))?
                .get(0)
        };
        self.names.borrow_mut().insert(name.to_string(), id);
        Ok(id)
    }

    fn intern_opt(&self, name: Option<&str>) -> Result<Option<i64>> {
        name.map(|n| self.intern(n)).transpose()
    }

    /// The next activity id, reserving a block on the second connection when none is left.
    fn next_activity_id(&self) -> Result<i64> {
        let block = if self.in_tx.get() { ID_BLOCK } else { 1 };
        let mut tx = self.tx.borrow_mut();
        if let Some((next, end)) = tx.ids {
            if next < end {
                tx.ids = Some((next + 1, end));
                return Ok(next);
            }
        }
        let first: i64 = self
            .side()?
            .query(
                "UPDATE counters SET next = next + $1 WHERE name = 'activities' RETURNING next - $1",
                &[&block],
            )?
            .first()
            .ok_or_else(|| StoreError::Corrupt("no activity counter".into()))?
            .get(0);
        tx.ids = Some((first + 1, first + block));
        Ok(first)
    }

    /// Gives back the ids reserved and not used, when no other process reserved since.
    fn give_back_ids(&self) -> Result<()> {
        let ids = self.tx.borrow_mut().ids.take();
        if let Some((next, end)) = ids {
            if next < end {
                self.side()?.execute(
                    "UPDATE counters SET next = $1 WHERE name = 'activities' AND next = $2",
                    &[&next, &end],
                )?;
            }
        }
        Ok(())
    }

    /// Writes the activities kept in memory.
    fn flush_log(&self) -> Result<()> {
        let rows = std::mem::take(&mut self.tx.borrow_mut().log);
        for chunk in rows.chunks(LOG_ROWS) {
            let col = |f: &dyn Fn(&LogRow) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
            let opt = |f: &dyn Fn(&LogRow) -> Option<i64>| {
                chunk.iter().map(f).collect::<Vec<Option<i64>>>()
            };
            let text = |f: &dyn Fn(&LogRow) -> Option<String>| {
                chunk.iter().map(f).collect::<Vec<Option<String>>>()
            };
            let ids = col(&|r| r.id);
            let ats = col(&|r| r.at);
            let people = col(&|r| r.person);
            let emails = text(&|r| r.email.clone());
            let campaigns = opt(&|r| r.campaign);
            let steps = opt(&|r| r.step);
            let kinds = col(&|r| r.kind);
            let primaries = opt(&|r| r.primary);
            let attributes: Vec<&str> = chunk.iter().map(|r| r.attributes.as_str()).collect();
            let results: Vec<i16> = chunk.iter().map(|r| r.result).collect();
            let reasons = text(&|r| r.reason.clone());
            let depths: Vec<i32> = chunk.iter().map(|r| r.depth).collect();
            let causes = opt(&|r| r.cause_activity);
            let runs = opt(&|r| r.cause_run);
            let attributes: Vec<String> = attributes.into_iter().map(str::to_string).collect();
            self.write(
                "INSERT INTO activities (id, at, person, email, campaign, step, type, primary_value,
                     attributes, result, reason, depth, cause_activity, cause_run)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[], $5::int8[],
                     $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::int2[], $11::text[],
                     $12::int4[], $13::int8[], $14::int8[])",
                owned![
                    ids, ats, people, emails, campaigns, steps, kinds, primaries, attributes,
                    results, reasons, depths, causes, runs,
                ],
            )?;
        }
        Ok(())
    }

    /// The name id of a batch run's cause (the same for every activity of a run).
    fn cause_id(&self, cause: &Json) -> Result<i64> {
        if let Some((last, id)) = &self.tx.borrow().last_cause {
            if last == cause {
                return Ok(*id);
            }
        }
        let id = self.intern(&serde_json::to_string(cause).unwrap_or_default())?;
        self.tx.borrow_mut().last_cause = Some((cause.clone(), id));
        Ok(id)
    }

    fn read_clock(&self) -> Result<Option<i64>> {
        Ok(self
            .query_one("SELECT max(at) FROM clocks", &[])?
            .get::<_, Option<i64>>(0))
    }

    fn write_clock(&self, at: i64) -> Result<()> {
        self.write(
            "INSERT INTO clocks (worker, at) VALUES ($1, $2)
             ON CONFLICT (worker) DO UPDATE SET at = greatest(clocks.at, excluded.at)",
            owned![self.worker.clone(), at],
        )
    }

    /// The SQL selecting the people `filters` hold for at `now` (see [`select`]).
    pub fn selection_plan(&self, program: &Program, filters: &Filters, now: i64) -> select::Plan {
        select::plan(program, &self.columns, filters, now)
    }

    fn read_person(&self, row: &Row) -> Result<Person> {
        let id: i64 = row.try_get(0).map_err(pg_error)?;
        let mut values = Vec::with_capacity(self.columns.len());
        for (i, (_, ty)) in self.columns.iter().enumerate() {
            let v: PgRead = row.try_get(i).map_err(pg_error)?;
            values.push(decode(*ty, v));
        }
        Ok(Person { id, values })
    }

    /// The people a query selects, page by page in id order: `sql` ends with
    /// `id > $k ORDER BY id LIMIT $k+1`, `$k` and `$k+1` bound here after `params`.
    fn page_people(
        &self,
        sql: &str,
        params: &[PgValue],
        ids: std::ops::RangeInclusive<PersonId>,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        let mut after = ids.start().saturating_sub(1);
        let last = *ids.end();
        loop {
            let mut all: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            all.push(&after);
            all.push(&PAGE);
            all.push(&last);
            let rows = self.query(sql, &all)?;
            let n = rows.len() as i64;
            let people = rows
                .iter()
                .map(|r| self.read_person(r))
                .collect::<Result<Vec<_>>>()?;
            drop(rows);
            for p in people {
                after = p.id;
                f(p)?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    /// Releases the delivery claims of rows whose outcome is committed.
    fn release_deliveries(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let keys: Vec<i64> = ids.iter().map(|id| -id).collect();
        self.query(
            "SELECT pg_advisory_unlock(k) FROM unnest($1::int8[]) AS k",
            &[&keys],
        )?;
        let mut held = self.deliveries.borrow_mut();
        for id in ids {
            held.remove(id);
        }
        Ok(())
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "camp".into())
}

fn read_activity(r: &Row) -> Result<Activity> {
    let get = |e: tokio_postgres::Error| pg_error(e);
    let attrs: String = r.try_get(8).map_err(get)?;
    let mut attributes = serde_json::from_str(&attrs).unwrap_or(Json::Null);
    super::layout::join_cause(
        &mut attributes,
        r.try_get(12).map_err(get)?,
        r.try_get(13).map_err(get)?,
    );
    Ok(Activity {
        id: r.try_get(0).map_err(get)?,
        at: r.try_get(1).map_err(get)?,
        person: r.try_get(2).map_err(get)?,
        email: r.try_get(3).map_err(get)?,
        campaign: r.try_get(4).map_err(get)?,
        step: r.try_get(5).map_err(get)?,
        kind: r
            .try_get::<_, Option<String>>(6)
            .map_err(get)?
            .unwrap_or_default(),
        primary: r.try_get(7).map_err(get)?,
        attributes,
        outcome: outcome_of(r.try_get::<_, i16>(9).map_err(get)?.into()),
        reason: r.try_get(10).map_err(get)?,
        depth: r.try_get::<_, i32>(11).map_err(get)?.max(0) as u32,
    })
}

fn read_outbox(r: &Row) -> Result<OutboxRow> {
    let get = |e: tokio_postgres::Error| pg_error(e);
    let state: String = r.try_get(11).map_err(get)?;
    let state = DeliveryState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("delivery state `{state}`")))?;
    Ok(OutboxRow {
        id: r.try_get(0).map_err(get)?,
        at: r.try_get(1).map_err(get)?,
        person: r.try_get(2).map_err(get)?,
        to: r.try_get(3).map_err(get)?,
        email: r.try_get(4).map_err(get)?,
        subject: r.try_get(5).map_err(get)?,
        body: r.try_get(6).map_err(get)?,
        campaign: r.try_get(7).map_err(get)?,
        key: r.try_get(8).map_err(get)?,
        kind: r.try_get(9).map_err(get)?,
        operational: r.try_get(10).map_err(get)?,
        delivery: Delivery {
            state,
            attempts: r.try_get::<_, i32>(12).map_err(get)?.max(0) as u32,
            first_try: r.try_get(13).map_err(get)?,
            next_try: r.try_get(14).map_err(get)?,
            status: r
                .try_get::<_, Option<i32>>(15)
                .map_err(get)?
                .and_then(|s| u16::try_from(s).ok()),
            error: r.try_get(16).map_err(get)?,
        },
    })
}

fn read_wait(r: &Row) -> Result<WaitRow> {
    let get = |e: tokio_postgres::Error| pg_error(e);
    Ok(WaitRow {
        id: r.try_get(0).map_err(get)?,
        person: r.try_get(1).map_err(get)?,
        campaign: r.try_get(2).map_err(get)?,
        path: r.try_get(3).map_err(get)?,
        wake_at: r.try_get(4).map_err(get)?,
        depth: r.try_get::<_, i32>(5).map_err(get)?.max(0) as u32,
        context: r.try_get(6).map_err(get)?,
    })
}

fn read_input(r: &Row) -> Result<InputRow> {
    let get = |e: tokio_postgres::Error| pg_error(e);
    Ok(InputRow {
        seq: r.try_get(0).map_err(get)?,
        at: r.try_get(1).map_err(get)?,
        source: r.try_get(2).map_err(get)?,
        line: r.try_get::<_, i64>(3).map_err(get)?.max(0) as u64,
        body: r.try_get(4).map_err(get)?,
    })
}

fn strings(rows: Vec<Row>) -> Result<Vec<String>> {
    rows.iter()
        .map(|r| r.try_get(0).map_err(pg_error))
        .collect()
}

impl Store for PostgresStore {
    fn prepare(&mut self, program: &Program) -> Result<()> {
        let tz = program.settings.time_zone.name();
        let known = |s: &Self| -> Result<HashMap<String, String>> {
            Ok(s.query("SELECT name, type FROM fields", &[])?
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
                .collect())
        };
        let mut fields = known(self)?;
        let fits = program
            .fields
            .iter()
            .all(|f| f.builtin || fields.contains_key(&f.name))
            && self.meta("time_zone")?.as_deref() == Some(tz);
        if !fits {
            let outer = self.in_tx.get();
            if !outer {
                self.execute_batch("BEGIN")?;
            }
            let done = (|| -> Result<()> {
                self.query("SELECT pg_advisory_xact_lock($1)", &[&migrate::SCHEMA_LOCK])?;
                fields = known(self)?;
                for field in program.fields.iter().filter(|f| !f.builtin) {
                    if fields.contains_key(&field.name) {
                        continue;
                    }
                    let col = field_column(&field.name);
                    self.execute_batch(&format!(
                        "ALTER TABLE people ADD COLUMN IF NOT EXISTS \"{}\" {}",
                        col.replace('"', "\"\""),
                        column_type(field.ty)
                    ))?;
                    self.execute(
                        "INSERT INTO fields (name, type) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                        &[&field.name, &field.ty.as_str()],
                    )?;
                    fields.insert(field.name.clone(), field.ty.as_str().to_string());
                }
                self.execute(
                    "INSERT INTO meta (key, value) VALUES ('time_zone', $1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&tz],
                )?;
                Ok(())
            })();
            if !outer {
                match done {
                    Ok(()) => self.execute_batch("COMMIT")?,
                    Err(e) => {
                        let _ = self.execute_batch("ROLLBACK");
                        return Err(e);
                    }
                }
            } else {
                done?;
            }
            // Columns added: statements over `people` are prepared again.
            self.conn.borrow().forget_statements();
        }
        let mut columns = Vec::new();
        for field in &program.fields {
            if field.builtin {
                columns.push((field.name.clone(), field.ty));
                continue;
            }
            match fields.get(&field.name) {
                Some(t) if t == field.ty.as_str() => {}
                Some(t) => {
                    return Err(StoreError::Schema(format!(
                        "field `{}` is {} in this database but {} in the script",
                        field.name,
                        t,
                        field.ty.as_str()
                    )))
                }
                None => {
                    return Err(StoreError::Schema(format!(
                        "field `{}` has no column in this database",
                        field.name
                    )))
                }
            }
            columns.push((field_column(&field.name), field.ty));
        }
        debug_assert!(program
            .fields
            .iter()
            .zip(BUILTIN_FIELDS.iter())
            .all(|(f, b)| f.name == b.0));
        self.set_columns(columns);
        Ok(())
    }

    fn stored_fields(&self) -> Result<Vec<(String, FieldType)>> {
        let mut out = Vec::new();
        for r in self.query("SELECT name, type FROM fields ORDER BY pos", &[])? {
            let (name, ty): (String, String) = (r.get(0), r.get(1));
            out.push((name, field_type(&ty)?));
        }
        Ok(out)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            owned![key.to_string(), value.to_string()],
        )
    }

    fn names_in_use(&self) -> Result<NamesInUse> {
        let mut programs = Vec::new();
        for p in strings(self.query(
            "SELECT DISTINCT program FROM program_members ORDER BY program",
            &[],
        )?)? {
            let statuses = strings(self.query(
                "SELECT DISTINCT status FROM program_members WHERE program = $1 ORDER BY status",
                &[&p],
            )?)?;
            programs.push((p, statuses));
        }
        Ok(NamesInUse {
            lists: strings(
                self.query("SELECT DISTINCT list FROM list_members ORDER BY list", &[])?,
            )?,
            programs,
            campaigns: strings(self.query(
                "SELECT DISTINCT campaign FROM campaign_members ORDER BY campaign",
                &[],
            )?)?,
        })
    }

    fn begin(&mut self) -> Result<()> {
        *self.tx.get_mut() = TxState::default();
        // Sent with the transaction's first statement.
        self.conn()?.defer("BEGIN", Vec::new())?;
        self.in_tx.set(true);
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        let done = (|| -> Result<()> {
            self.flush_log()?;
            let (clock, unwritten) = {
                let tx = self.tx.borrow();
                (tx.clock, tx.clock_unwritten)
            };
            if unwritten {
                if let Some(Some(at)) = clock {
                    self.write_clock(at)?;
                }
            }
            // The kept writes and the commit in one round trip.
            self.conn.borrow().execute("COMMIT", &[]).map(|_| ())
        })();
        self.in_tx.set(false);
        let tx = std::mem::take(self.tx.get_mut());
        if done.is_err() {
            self.conn.borrow().discard();
            let _ = self.execute_batch("ROLLBACK");
        }
        self.tx.get_mut().ids = tx.ids;
        self.give_back_ids()?;
        done?;
        self.release_deliveries(&tx.delivered)
    }

    fn rollback(&mut self) -> Result<()> {
        let was = self.in_tx.replace(false);
        let ids = std::mem::take(self.tx.get_mut()).ids;
        self.tx.get_mut().ids = ids;
        self.conn.borrow().discard();
        self.give_back_ids()?;
        if was {
            self.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    fn clock(&self) -> Result<Option<i64>> {
        if !self.in_tx.get() {
            return self.read_clock();
        }
        if let Some(c) = self.tx.borrow().clock {
            return Ok(c);
        }
        let c = self.read_clock()?;
        self.tx.borrow_mut().clock = Some(c);
        Ok(c)
    }

    fn set_clock(&mut self, at: i64) -> Result<()> {
        if !self.in_tx.get() {
            return self.write_clock(at);
        }
        let tx = self.tx.get_mut();
        if tx.clock != Some(Some(at)) {
            tx.clock = Some(Some(at));
            tx.clock_unwritten = true;
        }
        Ok(())
    }

    fn claims(&self) -> bool {
        true
    }

    fn claim_person(&mut self, person: PersonId) -> Result<bool> {
        if !self.in_tx.get() || self.tx.get_mut().people.contains(&person) {
            return Ok(true);
        }
        // The lock and the person in one round trip: the read runs after the lock is taken, so
        // it sees what the last holder committed; it is kept only when the lock was got.
        let sql = self.select_person_by_id.clone();
        let (lock, row) = self.conn()?.query_two(
            ("SELECT pg_try_advisory_xact_lock($1)", &[&person]),
            (&sql, &[&person]),
        )?;
        let got: bool = lock
            .first()
            .ok_or_else(|| StoreError::Postgres("no answer to a lock".into()))?
            .get(0);
        if got {
            let read = row.first().map(|r| self.read_person(r)).transpose()?;
            let tx = self.tx.get_mut();
            tx.people.insert(person);
            if read.is_some() {
                tx.person = read;
            }
        }
        Ok(got)
    }

    fn wait_for_person(&mut self, person: PersonId) -> Result<()> {
        if !self.in_tx.get() || self.tx.get_mut().people.contains(&person) {
            return Ok(());
        }
        self.query("SELECT pg_advisory_xact_lock($1)", &[&person])?;
        self.tx.get_mut().people.insert(person);
        Ok(())
    }

    fn person(&self, id: PersonId) -> Result<Option<Person>> {
        let in_tx = self.in_tx.get();
        if in_tx {
            if let Some(p) = self.tx.borrow().person.as_ref().filter(|p| p.id == id) {
                return Ok(Some(p.clone()));
            }
        }
        let person = match self.query_opt(&self.select_person_by_id, &[&id])? {
            Some(r) => Some(self.read_person(&r)?),
            None => None,
        };
        if in_tx {
            self.tx.borrow_mut().person = person.clone();
        }
        Ok(person)
    }

    fn person_by_email(&self, email: &str) -> Result<Option<PersonId>> {
        let in_tx = self.in_tx.get();
        if in_tx {
            if let Some((_, id)) = self.tx.borrow().email.as_ref().filter(|(e, _)| e == email) {
                return Ok(*id);
            }
        }
        let id = self
            .query_opt(
                "SELECT id FROM people
                 WHERE translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
                     = translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')",
                &[&email],
            )?
            .map(|r| r.get(0));
        if in_tx {
            self.tx.borrow_mut().email = Some((email.to_string(), id));
        }
        Ok(id)
    }

    fn insert_person(&mut self, values: &[(FieldId, Option<Scalar>)], at: i64) -> Result<PersonId> {
        let tx = self.tx.get_mut();
        tx.person = None;
        tx.email = None;
        let mut cols = vec!["created_at".to_string(), "updated_at".to_string()];
        let mut vals = vec![PgValue::Int(at), PgValue::Int(at)];
        for (f, v) in values {
            let (col, _) = column(&self.columns, *f)?;
            if matches!(col.as_str(), "id" | "created_at" | "updated_at") {
                continue;
            }
            cols.push(format!("\"{}\"", col.replace('"', "\"\"")));
            vals.push(PgValue::of(v.as_ref()));
        }
        let marks = (1..=vals.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO people ({}) VALUES ({marks}) RETURNING id",
            cols.join(", ")
        );
        let params: Vec<&(dyn ToSql + Sync)> =
            vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let id: i64 = self.query_one(&sql, &params)?.get(0);
        // A new person is this transaction's: no other process can know them yet.
        if self.in_tx.get() {
            self.tx.get_mut().people.insert(id);
        }
        Ok(id)
    }

    fn insert_people(
        &mut self,
        people: &[Vec<(FieldId, Option<Scalar>)>],
        at: i64,
    ) -> Result<Vec<PersonId>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.tx.get_mut();
        tx.person = None;
        tx.email = None;
        // Ids from the table's own sequence, then every row in one binary `COPY`; rows that
        // set different fields go in groups of their own (a field not set keeps its default).
        let n = people.len() as i64;
        let ids: Vec<i64> = self
            .query(
                "SELECT nextval(pg_get_serial_sequence('people', 'id')) FROM generate_series(1, $1::int8)",
                &[&n],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let fields_of = |v: &Vec<(FieldId, Option<Scalar>)>| -> Vec<FieldId> {
            v.iter()
                .map(|(f, _)| *f)
                .filter(|f| !matches!(f.index(), 0 | 3 | 4))
                .collect()
        };
        let mut start = 0;
        while start < people.len() {
            let fields = fields_of(&people[start]);
            let end = (start..people.len())
                .find(|i| fields_of(&people[*i]) != fields)
                .unwrap_or(people.len());
            let mut cols = vec!["id".to_string(), "created_at".into(), "updated_at".into()];
            let mut types = vec![
                tokio_postgres::types::Type::INT8,
                tokio_postgres::types::Type::INT8,
                tokio_postgres::types::Type::INT8,
            ];
            for f in &fields {
                let (col, ty) = column(&self.columns, *f)?;
                cols.push(format!("\"{}\"", col.replace('"', "\"\"")));
                types.push(match ty {
                    FieldType::Text => tokio_postgres::types::Type::TEXT,
                    FieldType::Number => tokio_postgres::types::Type::FLOAT8,
                    FieldType::Bool => tokio_postgres::types::Type::BOOL,
                    FieldType::Date => tokio_postgres::types::Type::DATE,
                    FieldType::DateTime => tokio_postgres::types::Type::INT8,
                });
            }
            let sql = format!("COPY people ({}) FROM STDIN BINARY", cols.join(", "));
            let rows: Vec<Vec<PgValue>> = people[start..end]
                .iter()
                .zip(&ids[start..end])
                .map(|(row, id)| {
                    let mut values = vec![PgValue::Int(*id), PgValue::Int(at), PgValue::Int(at)];
                    for f in &fields {
                        let v = row
                            .iter()
                            .rev()
                            .find(|(g, _)| g == f)
                            .and_then(|(_, v)| v.as_ref());
                        values.push(PgValue::of(v));
                    }
                    values
                })
                .collect();
            self.conn()?.copy_in(&sql, &types, &rows)?;
            start = end;
        }
        if self.in_tx.get() {
            self.tx.get_mut().people.extend(ids.iter().copied());
        }
        Ok(ids)
    }

    fn people_by_email(&self, emails: &[&str]) -> Result<Vec<Option<PersonId>>> {
        let fold = |e: &str| e.to_ascii_lowercase();
        let keys: Vec<String> = emails.iter().map(|e| fold(e)).collect();
        let mut found: HashMap<String, PersonId> = HashMap::new();
        for r in self.query(
            "SELECT id, translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
             FROM people
             WHERE translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = ANY($1)",
            &[&keys],
        )? {
            found.insert(r.get(1), r.get(0));
        }
        Ok(keys.iter().map(|k| found.get(k).copied()).collect())
    }

    fn people(&self, ids: &[PersonId]) -> Result<Vec<Option<Person>>> {
        let sql = format!("{} WHERE people.id = ANY($1)", self.select_person);
        let mut found: HashMap<PersonId, Person> = HashMap::new();
        for r in self.query(&sql, &[&ids])? {
            let p = self.read_person(&r)?;
            found.insert(p.id, p);
        }
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    fn set_field(
        &mut self,
        id: PersonId,
        field: FieldId,
        value: Option<&Scalar>,
        at: i64,
    ) -> Result<()> {
        let sql = self
            .update_field
            .get(field.index())
            .ok_or_else(|| StoreError::Schema(format!("unknown field #{}", field.0)))?
            .clone();
        let tx = self.tx.get_mut();
        tx.person = None;
        tx.email = None;
        self.write(&sql, owned![PgValue::of(value), at, id])
    }

    fn delete_person(&mut self, id: PersonId) -> Result<()> {
        let tx = self.tx.get_mut();
        tx.person = None;
        tx.email = None;
        tx.next_wait = None;
        for sql in [
            "DELETE FROM people WHERE id = $1",
            "DELETE FROM list_members WHERE person = $1",
            "DELETE FROM program_members WHERE person = $1",
            "DELETE FROM campaign_members WHERE person = $1",
            "DELETE FROM waits WHERE person = $1",
        ] {
            self.write(sql, owned![id])?;
        }
        Ok(())
    }

    fn scan_people(&self, f: &mut dyn FnMut(Person) -> Result<()>) -> Result<()> {
        let sql = format!(
            "{} WHERE people.id > $1 AND people.id <= $3 ORDER BY people.id LIMIT $2",
            self.select_person
        );
        self.page_people(&sql, &[], PersonId::MIN..=PersonId::MAX, f)
    }

    fn person_id_span(&self) -> Result<Option<(PersonId, PersonId)>> {
        let row = self.query_one(
            "SELECT (SELECT min(id) FROM people), (SELECT max(id) FROM people)",
            &[],
        )?;
        let lo: Option<i64> = row.try_get(0).map_err(pg_error)?;
        let hi: Option<i64> = row.try_get(1).map_err(pg_error)?;
        Ok(lo.zip(hi))
    }

    fn count_people(&self) -> Result<u64> {
        Ok(self
            .query_one("SELECT count(*) FROM people", &[])?
            .get::<_, i64>(0)
            .max(0) as u64)
    }

    fn select_people_in(
        &self,
        program: &Program,
        filters: &Filters,
        now: i64,
        ids: std::ops::RangeInclusive<PersonId>,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        self.flush_log()?;
        if !prepared_for(&self.columns, program) {
            return select_by_scan_in(self, program, filters, now, ids, f);
        }
        let plan = self.selection_plan(program, filters, now);
        let n = plan.params.len();
        let sql = format!(
            "{} WHERE ({}) AND people.id > ${} AND people.id <= ${} ORDER BY people.id LIMIT ${}",
            self.select_person,
            plan.sql,
            n + 1,
            n + 3,
            n + 2
        );
        let eval =
            (!plan.exact).then_some(crate::engine::conditions::Eval::new(program, self, now));
        self.page_people(&sql, &plan.params, ids, &mut |p| {
            if let Some(eval) = &eval {
                if !eval.filters(filters, &p)? {
                    return Ok(());
                }
            }
            f(p)
        })
    }

    fn in_list(&self, list: &str, person: PersonId) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM list_members WHERE list = $1 AND person = $2",
                &[&list, &person],
            )?
            .is_some())
    }

    fn add_to_list(&mut self, list: &str, person: PersonId, at: i64) -> Result<bool> {
        Ok(self.execute(
            "INSERT INTO list_members (list, person, added_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&list, &person, &at],
        )? > 0)
    }

    fn remove_from_list(&mut self, list: &str, person: PersonId) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM list_members WHERE list = $1 AND person = $2",
            &[&list, &person],
        )? > 0)
    }

    fn lists_of(&self, person: PersonId) -> Result<Vec<String>> {
        strings(self.query(
            "SELECT list FROM list_members WHERE person = $1 ORDER BY list",
            &[&person],
        )?)
    }

    fn lists_of_people(&self, people: &[PersonId]) -> Result<Vec<Vec<String>>> {
        let mut ids = people.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut lists: HashMap<PersonId, Vec<String>> = HashMap::new();
        for r in self.query(
            "SELECT person, list FROM list_members WHERE person = ANY($1) ORDER BY person, list",
            &[&ids],
        )? {
            lists.entry(r.get(0)).or_default().push(r.get(1));
        }
        Ok(people
            .iter()
            .map(|p| lists.get(p).cloned().unwrap_or_default())
            .collect())
    }

    fn program_status(&self, program: &str, person: PersonId) -> Result<Option<String>> {
        Ok(self
            .query_opt(
                "SELECT status FROM program_members WHERE program = $1 AND person = $2",
                &[&program, &person],
            )?
            .map(|r| r.get(0)))
    }

    fn set_program_status(
        &mut self,
        program: &str,
        person: PersonId,
        status: &str,
        at: i64,
    ) -> Result<()> {
        self.write(
            "INSERT INTO program_members (program, person, status, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (program, person) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            owned![program.to_string(), person, status.to_string(), at],
        )
    }

    fn membership(&self, campaign: &str, person: PersonId) -> Result<Option<Membership>> {
        Ok(self
            .query_opt(
                "SELECT since, last_entered FROM campaign_members WHERE campaign = $1 AND person = $2",
                &[&campaign, &person],
            )?
            .map(|r| Membership {
                since: r.get(0),
                last_entered: r.get(1),
            }))
    }

    fn add_member(&mut self, campaign: &str, person: PersonId, at: i64) -> Result<()> {
        self.write(
            "INSERT INTO campaign_members (campaign, person, since) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            owned![campaign.to_string(), person, at],
        )
    }

    fn record_entry(&mut self, campaign: &str, person: PersonId, at: i64) -> Result<()> {
        self.write(
            "INSERT INTO campaign_members (campaign, person, since, last_entered) VALUES ($1, $2, $3, $3)
             ON CONFLICT (campaign, person) DO UPDATE SET last_entered = excluded.last_entered",
            owned![campaign.to_string(), person, at],
        )
    }

    fn append_activity(&mut self, a: &Activity) -> Result<i64> {
        let (cause, attributes) = super::layout::split_cause(&a.attributes);
        let (cause_activity, cause_run) = match cause {
            None => (None, None),
            Some(super::layout::CauseCols::Activity(id)) => (Some(id), None),
            Some(super::layout::CauseCols::Run(c)) => (None, Some(self.cause_id(c)?)),
        };
        let row = LogRow {
            id: self.next_activity_id()?,
            at: a.at,
            person: a.person,
            email: a.email.clone(),
            campaign: self.intern_opt(a.campaign.as_deref())?,
            step: self.intern_opt(a.step.as_deref())?,
            kind: self.intern(&a.kind)?,
            primary: self.intern_opt(a.primary.as_deref())?,
            attributes,
            result: outcome_code(a.outcome),
            reason: a.reason.clone(),
            depth: i32::try_from(a.depth).unwrap_or(i32::MAX),
            cause_activity,
            cause_run,
        };
        let id = row.id;
        let full = {
            let tx = self.tx.get_mut();
            tx.log.push(row);
            tx.log.len() >= LOG_ROWS
        };
        if full || !self.in_tx.get() {
            self.flush_log()?;
        }
        Ok(id)
    }

    fn activity(&self, id: i64) -> Result<Option<Activity>> {
        self.flush_log()?;
        let sql = format!("{ACTIVITY_SELECT} WHERE a.id = $1");
        self.query_opt(&sql, &[&id])?
            .map(|r| read_activity(&r))
            .transpose()
    }

    fn history(
        &self,
        person: PersonId,
        kinds: &[&str],
        primary: Option<&str>,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<Activity>> {
        self.flush_log()?;
        let primary = match primary {
            Some(p) => match self.name_id(p)? {
                Some(id) => Some(id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let mut types = Vec::new();
        for k in kinds {
            if let Some(id) = self.name_id(k)? {
                types.push(id);
            }
        }
        if types.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{ACTIVITY_SELECT}
             WHERE a.person = $1 AND a.type = ANY($2) AND ($3::int8 IS NULL OR a.primary_value = $3)
               AND a.at >= $4 AND a.at <= $5 AND a.result = 0 ORDER BY a.id"
        );
        self.query(
            &sql,
            &[
                &person,
                &types,
                &primary,
                &from.unwrap_or(i64::MIN),
                &to.unwrap_or(i64::MAX),
            ],
        )?
        .iter()
        .map(read_activity)
        .collect()
    }

    fn scan_log(&self, q: &LogQuery, f: &mut dyn FnMut(Activity) -> Result<()>) -> Result<()> {
        self.flush_log()?;
        let campaign = match &q.campaign {
            Some(c) => match self.name_id(c)? {
                Some(id) => Some(id),
                None => return Ok(()),
            },
            None => None,
        };
        let mut sql = format!("{ACTIVITY_SELECT} WHERE a.id > $1");
        if q.person.is_some() {
            sql.push_str(" AND a.person = $3");
        } else {
            sql.push_str(" AND $3::int8 IS NULL");
        }
        if campaign.is_some() {
            sql.push_str(" AND a.campaign = $4");
        } else {
            sql.push_str(" AND $4::int8 IS NULL");
        }
        sql.push_str(" ORDER BY a.id LIMIT $2");
        let mut after = q.after.unwrap_or(0);
        let mut left = q.limit.map_or(i64::MAX, i64::from);
        while left > 0 {
            let page = left.min(PAGE);
            let rows = self.query(&sql, &[&after, &page, &q.person, &campaign])?;
            let n = rows.len() as i64;
            let activities = rows.iter().map(read_activity).collect::<Result<Vec<_>>>()?;
            drop(rows);
            for a in activities {
                after = a.id;
                f(a)?;
            }
            left -= n;
            if n < page {
                break;
            }
        }
        Ok(())
    }

    fn last_activity_id(&self) -> Result<i64> {
        self.flush_log()?;
        Ok(self
            .query_one("SELECT coalesce(max(id), 0)::int8 FROM activities", &[])?
            .get(0))
    }

    fn activity_counts_after(&self, after: i64) -> Result<ActivityCounts> {
        self.flush_log()?;
        let mut out = Vec::new();
        let mut last = after;
        for r in self.query(
            "SELECT t.name, a.result, count(*), max(a.id) FROM activities a JOIN names t ON t.id = a.type
             WHERE a.id > $1 GROUP BY t.name, a.result",
            &[&after],
        )? {
            let result = outcome_of(r.get::<_, i16>(1).into()).as_str().to_string();
            out.push((r.get(0), result, r.get::<_, i64>(2).max(0) as u64));
            last = last.max(r.get(3));
        }
        Ok((out, last))
    }

    fn backlog(&self) -> Result<Backlog> {
        let r = self.query_one(
            "SELECT (SELECT count(*) FROM inputs), (SELECT count(*) FROM queue),
                    (SELECT count(*) FROM waits)",
            &[],
        )?;
        let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
        Ok(Backlog {
            inputs: n(0),
            queued: n(1),
            waits: n(2),
        })
    }

    fn campaign_counts(&self) -> Result<HashMap<String, (u64, u64)>> {
        self.flush_log()?;
        let mut out: HashMap<String, (u64, u64)> = HashMap::new();
        for r in self.query(
            "SELECT campaign, count(*) FROM waits GROUP BY campaign",
            &[],
        )? {
            out.entry(r.get(0)).or_default().0 = r.get::<_, i64>(1).max(0) as u64;
        }
        for r in self.query(
            "SELECT c.name, count(*) FROM activities a JOIN names c ON c.id = a.campaign
             WHERE a.campaign IS NOT NULL AND a.result = 0
               AND a.type = (SELECT id FROM names WHERE name = 'enter_flow')
             GROUP BY c.name",
            &[],
        )? {
            out.entry(r.get(0)).or_default().1 = r.get::<_, i64>(1).max(0) as u64;
        }
        Ok(out)
    }

    fn entries_after(&self, campaign: Option<&str>, after: i64) -> Result<Vec<(String, i64)>> {
        self.flush_log()?;
        let rows = self.query(
            "SELECT c.name, a.at FROM activities a JOIN names c ON c.id = a.campaign
             WHERE a.campaign IS NOT NULL
               AND ($1::text IS NULL OR a.campaign = (SELECT id FROM names WHERE name = $1))
               AND a.type = (SELECT id FROM names WHERE name = 'enter_flow')
               AND a.result = 0 AND a.at > $2 ORDER BY a.id",
            &[&campaign, &after],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn outbox_insert(&mut self, o: &OutboxRow) -> Result<()> {
        self.write(
            "INSERT INTO outbox (at, person, recipient, email, subject, body, campaign, key, kind, operational)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO NOTHING",
            owned![
                o.at,
                o.person,
                o.to.clone(),
                o.email.clone(),
                o.subject.clone(),
                o.body.clone(),
                o.campaign.clone(),
                o.key.clone(),
                o.kind.clone(),
                o.operational,
            ],
        )
    }

    fn scan_outbox(&self, f: &mut dyn FnMut(OutboxRow) -> Result<()>) -> Result<()> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id > $1 ORDER BY id LIMIT $2");
        let mut after = 0i64;
        loop {
            let rows = self.query(&sql, &[&after, &PAGE])?;
            let n = rows.len() as i64;
            let out = rows.iter().map(read_outbox).collect::<Result<Vec<_>>>()?;
            drop(rows);
            for o in out {
                after = o.id;
                f(o)?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    fn due_deliveries(&self, now: i64, after: i64, limit: u32) -> Result<Vec<OutboxRow>> {
        let due = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE delivery IN ('pending', 'retrying') AND id > $1 AND coalesce(next_try, at) <= $2
             ORDER BY id LIMIT $3"
        );
        let rows = self.query(&due, &[&after, &now, &i64::from(limit)])?;
        let candidates = rows.iter().map(read_outbox).collect::<Result<Vec<_>>>()?;
        drop(rows);
        // Claim the rows not held yet; a row another process holds is passed over.
        let fresh: Vec<i64> = {
            let held = self.deliveries.borrow();
            candidates
                .iter()
                .map(|o| o.id)
                .filter(|id| !held.contains(id))
                .collect()
        };
        let keys: Vec<i64> = fresh.iter().map(|id| -id).collect();
        let mut claimed: HashSet<i64> = HashSet::new();
        if !keys.is_empty() {
            for r in self.query(
                "SELECT k, pg_try_advisory_lock(k) FROM unnest($1::int8[]) AS k",
                &[&keys],
            )? {
                if r.get::<_, bool>(1) {
                    claimed.insert(-r.get::<_, i64>(0));
                }
            }
        }
        // A row claimed here may have been delivered by its last holder since it was read.
        let recheck: Vec<i64> = claimed.iter().copied().collect();
        let still: HashSet<i64> = if recheck.is_empty() {
            HashSet::new()
        } else {
            self.query(
                "SELECT id FROM outbox WHERE id = ANY($1)
                   AND delivery IN ('pending', 'retrying') AND coalesce(next_try, at) <= $2",
                &[&recheck, &now],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        };
        let gone: Vec<i64> = claimed.difference(&still).copied().collect();
        self.deliveries.borrow_mut().extend(still.iter().copied());
        self.release_deliveries(&gone)?;
        let held = self.deliveries.borrow();
        Ok(candidates
            .into_iter()
            .filter(|o| held.contains(&o.id) && (!claimed.contains(&o.id) || still.contains(&o.id)))
            .collect())
    }

    fn set_delivery(&mut self, id: i64, d: &Delivery) -> Result<()> {
        self.write(
            "UPDATE outbox SET delivery = $2, attempts = $3, first_try = $4, next_try = $5,
             delivery_status = $6, delivery_error = $7 WHERE id = $1",
            owned![
                id,
                d.state.as_str().to_string(),
                i32::try_from(d.attempts).unwrap_or(i32::MAX),
                d.first_try,
                d.next_try,
                d.status.map(i32::from),
                d.error.clone(),
            ],
        )?;
        if self.deliveries.get_mut().contains(&id) {
            if self.in_tx.get() {
                self.tx.get_mut().delivered.push(id);
            } else {
                self.release_deliveries(&[id])?;
            }
        }
        Ok(())
    }

    fn marketing_sends_since(&self, person: PersonId, since: i64) -> Result<u32> {
        Ok(self
            .query_one(
                "SELECT count(*) FROM outbox WHERE person = $1 AND at >= $2 AND kind = 'email' AND NOT operational",
                &[&person, &since],
            )?
            .get::<_, i64>(0)
            .clamp(0, i64::from(u32::MAX)) as u32)
    }

    fn insert_wait(&mut self, w: &WaitRow) -> Result<i64> {
        self.tx.get_mut().next_wait = None;
        Ok(self
            .query_one(
                "INSERT INTO waits (person, campaign, path, wake_at, depth, context)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &w.person,
                    &w.campaign,
                    &w.path,
                    &w.wake_at,
                    &i32::try_from(w.depth).unwrap_or(i32::MAX),
                    &w.context,
                ],
            )?
            .get(0))
    }

    fn next_wait(&self, up_to: i64) -> Result<Option<WaitRow>> {
        // Outside a transaction (a listing) nothing is claimed.
        let sql = if self.in_tx.get() {
            "SELECT id, person, campaign, path, wake_at, depth, context FROM waits w
             WHERE wake_at <= $1 AND NOT EXISTS (SELECT 1 FROM waits e WHERE e.person = w.person
                 AND (e.wake_at, e.id) < (w.wake_at, w.id))
               AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.at < w.wake_at)
             ORDER BY wake_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
        } else {
            "SELECT id, person, campaign, path, wake_at, depth, context FROM waits
             WHERE wake_at <= $1 ORDER BY wake_at, id LIMIT 1"
        };
        let in_tx = self.in_tx.get();
        if in_tx {
            if let Some((_, w)) = self
                .tx
                .borrow()
                .next_wait
                .as_ref()
                .filter(|(u, _)| *u == up_to)
            {
                return Ok(w.clone());
            }
        }
        let wait = self
            .query_opt(sql, &[&up_to])?
            .map(|r| read_wait(&r))
            .transpose()?;
        if in_tx {
            self.tx.borrow_mut().next_wait = Some((up_to, wait.clone()));
        }
        Ok(wait)
    }

    fn delete_wait(&mut self, id: i64) -> Result<()> {
        self.tx.get_mut().next_wait = None;
        self.write("DELETE FROM waits WHERE id = $1", owned![id])
    }

    fn delete_waits(&mut self, person: PersonId, campaign: &str) -> Result<u32> {
        self.tx.get_mut().next_wait = None;
        Ok(self.execute(
            "DELETE FROM waits WHERE person = $1 AND campaign = $2",
            &[&person, &campaign],
        )? as u32)
    }

    fn waits(&self) -> Result<Vec<WaitRow>> {
        self.query(
            &format!("SELECT {WAIT_COLUMNS} FROM waits ORDER BY wake_at, id"),
            &[],
        )?
        .iter()
        .map(read_wait)
        .collect()
    }

    fn person_waits(&self, person: PersonId) -> Result<Vec<WaitRow>> {
        self.query(
            &format!("SELECT {WAIT_COLUMNS} FROM waits WHERE person = $1 ORDER BY wake_at, id"),
            &[&person],
        )?
        .iter()
        .map(read_wait)
        .collect()
    }

    fn waits_in(&self, person: PersonId, campaign: &str) -> Result<Vec<WaitRow>> {
        self.query(
            &format!(
                "SELECT {WAIT_COLUMNS} FROM waits WHERE person = $1 AND campaign = $2 ORDER BY wake_at, id"
            ),
            &[&person, &campaign],
        )?
        .iter()
        .map(read_wait)
        .collect()
    }

    fn insert_input(&mut self, i: &InputRow) -> Result<()> {
        self.tx.get_mut().next_input = None;
        let key = super::layout::input_person_key(&i.body)
            .unwrap_or_else(|| format!("@{}:{}", i.source, i.line));
        self.write(
            "INSERT INTO inputs (at, source, line, body, person_key) VALUES ($1, $2, $3, $4, $5)",
            owned![
                i.at,
                i.source.clone(),
                i64::try_from(i.line).unwrap_or(i64::MAX),
                i.body.clone(),
                key,
            ],
        )
    }

    fn next_input(&self, up_to: i64) -> Result<Option<InputRow>> {
        let sql = if self.in_tx.get() {
            "SELECT seq, at, source, line, body FROM inputs i
             WHERE at <= $1 AND NOT EXISTS (SELECT 1 FROM inputs e
                 WHERE e.person_key = i.person_key AND (e.at, e.seq) < (i.at, i.seq))
               AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.at < i.at)
             ORDER BY at, seq LIMIT 1 FOR UPDATE SKIP LOCKED"
        } else {
            "SELECT seq, at, source, line, body FROM inputs WHERE at <= $1 ORDER BY at, seq LIMIT 1"
        };
        let in_tx = self.in_tx.get();
        if in_tx {
            if let Some((_, i)) = self
                .tx
                .borrow()
                .next_input
                .as_ref()
                .filter(|(u, _)| *u == up_to)
            {
                return Ok(i.clone());
            }
        }
        let input = self
            .query_opt(sql, &[&up_to])?
            .map(|r| read_input(&r))
            .transpose()?;
        if in_tx {
            self.tx.borrow_mut().next_input = Some((up_to, input.clone()));
        }
        Ok(input)
    }

    fn delete_input(&mut self, seq: i64) -> Result<()> {
        self.tx.get_mut().next_input = None;
        self.write("DELETE FROM inputs WHERE seq = $1", owned![seq])
    }

    fn enqueue(&mut self, activity: i64, chain: &str) -> Result<()> {
        self.write(
            "INSERT INTO queue (activity, chain) VALUES ($1, $2)",
            owned![activity, chain.to_string()],
        )
    }

    fn next_queued(&self) -> Result<Option<QueuedRow>> {
        let sql = if self.in_tx.get() {
            "SELECT seq, activity, chain FROM queue ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED"
        } else {
            "SELECT seq, activity, chain FROM queue ORDER BY seq LIMIT 1"
        };
        Ok(self.query_opt(sql, &[])?.map(|r| QueuedRow {
            seq: r.get(0),
            activity: r.get(1),
            chain: r.get(2),
        }))
    }

    fn dequeue(&mut self, seq: i64) -> Result<()> {
        self.write("DELETE FROM queue WHERE seq = $1", owned![seq])
    }

    fn last_run(&self, campaign: &str) -> Result<Option<i64>> {
        Ok(self
            .query_opt(
                "SELECT last_run FROM schedules WHERE campaign = $1",
                &[&campaign],
            )?
            .map(|r| r.get(0)))
    }

    fn set_last_run(&mut self, campaign: &str, at: i64) -> Result<()> {
        // Never back: another process may have handled a later instant.
        self.write(
            "INSERT INTO schedules (campaign, last_run) VALUES ($1, $2)
             ON CONFLICT (campaign) DO UPDATE SET last_run = greatest(schedules.last_run, excluded.last_run)",
            owned![campaign.to_string(), at],
        )
    }

    fn take_run(&mut self, campaign: &str, at: i64) -> Result<Take> {
        // Rows other processes hold (even those they have deleted and not committed) are
        // visible here: the run waits for them.
        let waiting: bool = self
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM inputs WHERE at <= $1)
                     OR EXISTS (SELECT 1 FROM waits WHERE wake_at <= $1)
                     OR EXISTS (SELECT 1 FROM runs)",
                &[&at],
            )?
            .get(0);
        if waiting {
            return Ok(Take::NotYet);
        }
        let row = self.query_opt(
            "SELECT last_run FROM schedules WHERE campaign = $1 FOR UPDATE SKIP LOCKED",
            &[&campaign],
        )?;
        match row {
            Some(r) if r.get::<_, i64>(0) >= at => Ok(Take::Gone),
            Some(_) => {
                self.execute(
                    "UPDATE schedules SET last_run = $2 WHERE campaign = $1",
                    &[&campaign, &at],
                )?;
                Ok(Take::Taken)
            }
            None => {
                let inserted = self.execute(
                    "INSERT INTO schedules (campaign, last_run) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&campaign, &at],
                )?;
                Ok(if inserted > 0 {
                    Take::Taken
                } else {
                    Take::Gone
                })
            }
        }
    }

    fn create_run(&mut self, campaign: &str, at: i64, members: &[PersonId]) -> Result<i64> {
        let run: i64 = self
            .query_one(
                "INSERT INTO runs (campaign, at) VALUES ($1, $2) RETURNING id",
                &[&campaign, &at],
            )?
            .get(0);
        let per_row = super::layout::MEMBERS_PER_ROW;
        let mut firsts = Vec::new();
        let mut ns = Vec::new();
        let mut packs = Vec::new();
        for (k, chunk) in members.chunks(per_row).enumerate() {
            firsts.push((k * per_row) as i64);
            ns.push(chunk.len() as i64);
            packs.push(super::layout::pack(chunk));
        }
        for ((f, n), p) in firsts
            .chunks(256)
            .zip(ns.chunks(256))
            .zip(packs.chunks(256))
        {
            self.write(
                "INSERT INTO run_members (run, first, n, done, people)
                 SELECT $1, f, n, f - 1, p FROM unnest($2::int8[], $3::int8[], $4::bytea[]) AS m(f, n, p)",
                owned![run, f.to_vec(), n.to_vec(), p.to_vec()],
            )?;
        }
        Ok(run)
    }

    fn open_run(&self) -> Result<Option<RunRow>> {
        let read = |r: Row| RunRow {
            id: r.get(0),
            campaign: r.get(1),
            at: r.get(2),
        };
        if !self.in_tx.get() {
            return Ok(self
                .query_opt("SELECT id, campaign, at FROM runs ORDER BY id LIMIT 1", &[])?
                .map(read));
        }
        // A run with members no other process holds (claiming the first of them), or a run
        // left with none (to be closed): both asked in one round trip.
        let (claimed, empty) = self.conn()?.query_two(
            (
                "SELECT r.id, r.campaign, r.at FROM runs r WHERE r.id = (SELECT run FROM run_members
                     ORDER BY run, first LIMIT 1 FOR UPDATE SKIP LOCKED)",
                &[],
            ),
            (
                "SELECT id, campaign, at FROM runs r
                 WHERE NOT EXISTS (SELECT 1 FROM run_members m WHERE m.run = r.id)
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                &[],
            ),
        )?;
        Ok(claimed.into_iter().chain(empty).next().map(read))
    }

    fn run_members(&self, run: i64, limit: u32) -> Result<Vec<(i64, PersonId)>> {
        let sql = if self.in_tx.get() {
            "SELECT first, done, people FROM run_members WHERE run = $1
             ORDER BY first LIMIT 1 FOR UPDATE SKIP LOCKED"
        } else {
            "SELECT first, done, people FROM run_members WHERE run = $1 ORDER BY first LIMIT 1"
        };
        let mut out = Vec::new();
        if let Some(r) = self.query_opt(sql, &[&run])? {
            let (first, done): (i64, i64) = (r.get(0), r.get(1));
            let bytes: &[u8] = r.get(2);
            for (i, id) in super::layout::unpack(bytes).enumerate() {
                let ord = first + i as i64;
                if ord > done {
                    if out.len() >= limit as usize {
                        break;
                    }
                    out.push((ord, id));
                }
            }
        }
        Ok(out)
    }

    fn finish_run_members(&mut self, run: i64, ord: i64) -> Result<()> {
        self.write(
            "DELETE FROM run_members WHERE run = $1 AND first + n - 1 = $2",
            owned![run, ord],
        )?;
        self.write(
            "UPDATE run_members SET done = $2 WHERE run = $1 AND first <= $2 AND first + n - 1 > $2",
            owned![run, ord],
        )
    }

    fn close_run(&mut self, run: i64) -> Result<()> {
        self.write(
            "DELETE FROM runs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM run_members WHERE run = $1)",
            owned![run],
        )
    }
}

impl PostgresStore {
    fn execute_batch(&self, sql: &str) -> Result<()> {
        self.conn()?.batch(sql)
    }
}
