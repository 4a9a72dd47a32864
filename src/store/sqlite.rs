//! The embedded store: one SQLite file (bundled SQLite, WAL mode, versioned migrations).

mod checkpoint;
mod log;
mod migrate;
mod runs;
pub mod select;

use std::cell::RefCell;
use std::collections::VecDeque;

use chrono::NaiveDate;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::layout::{
    column, field_type, outcome_of, prepared_for, ACTIVITY_SELECT, OUTBOX_COLUMNS,
};
use super::*;
use crate::check::ir::BUILTIN_FIELDS;

/// `camp` in ASCII: marks the file as a camp database.
const APPLICATION_ID: i64 = 0x6361_6d70;

/// A camp database in one SQLite file (or in memory).
pub struct SqliteStore {
    conn: Connection,
    /// Column name and type per field id, set by `prepare`.
    columns: Vec<(String, FieldType)>,
    select_person: String,
    /// `UPDATE people SET <column> = ...` per field.
    update_field: Vec<String>,
    /// `select_person` of one id, built once (it is the engine's most frequent read).
    select_person_by_id: String,
    /// Reads repeated inside one transaction; see [`TxCache`].
    cache: RefCell<TxCache>,
    /// Interned names known to this connection; see [`Names`].
    names: RefCell<Names>,
    /// Activities logged in the open transaction, not written yet (see [`log`]).
    pending: RefCell<log::PendingLog>,
    /// The database's file (`None` in memory), for the checkpointing thread.
    path: Option<String>,
    /// Checkpoints the write-ahead log beside this writer, from its first transaction on.
    checkpointer: Option<checkpoint::Checkpointer>,
}

/// The ids of the names (campaigns, steps, activity types, primary values) the activity log
/// refers to, as far as this connection has seen them. Names are never deleted (but by
/// `reset`), so an id read or written stays right, except one written by a transaction that
/// is rolled back: those are remembered until the commit and forgotten otherwise.
#[derive(Debug, Default)]
struct Names {
    ids: std::collections::HashMap<String, i64>,
    /// Names this connection added in the open transaction.
    added: Vec<String>,
}

impl Names {
    /// Forgets the names added by a transaction that did not commit.
    fn forget_added(&mut self) {
        for n in self.added.drain(..) {
            self.ids.remove(&n);
        }
    }
}

/// Inputs read ahead at a time by `next_input`.
const INPUT_READ_AHEAD: u32 = 256;

/// What the engine reads again and again inside one transaction: the clock, the next due wait
/// and input, the person it is working on. `BEGIN IMMEDIATE` holds the write lock, so inside a
/// transaction only this connection changes the database and each entry stays right until one
/// of this store's own writes drops it. Outside a transaction nothing is cached; `begin`,
/// `commit` and `rollback` start afresh.
#[derive(Debug, Default)]
struct TxCache {
    /// The clock as this transaction sees it.
    clock: Option<Option<i64>>,
    /// A clock set in this transaction and not written yet: `commit` writes it.
    clock_unwritten: bool,
    /// The answer of `next_wait(up_to)` for this `up_to`.
    next_wait: Option<(i64, Option<WaitRow>)>,
    /// Inputs due at or before `up_to`, read ahead in order.
    inputs: Option<InputAhead>,
    /// Inputs processed in this transaction and not deleted yet: deleted many to a statement,
    /// before anything reads the inputs and before the commit.
    deleted_inputs: Vec<i64>,
    /// The person last read (a field written updates it, as reading the row back would).
    person: Option<Person>,
}

/// The built-in `updated_at` field (`ir::BUILTIN_FIELDS`).
const UPDATED_AT: FieldId = FieldId(4);

/// Processed inputs deleted per statement.
const INPUTS_PER_DELETE: usize = 64;

/// The next inputs due, read ahead.
#[derive(Debug)]
struct InputAhead {
    up_to: i64,
    rows: VecDeque<InputRow>,
    /// Whether `rows` holds every input due (the read returned fewer than it asked for).
    complete: bool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn not_camp(path: &str, why: &str) -> StoreError {
    StoreError::NotCamp(format!("`{path}` is not a camp database: {why}"))
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`; `:memory:` is an in-memory store.
    pub fn open(path: &str) -> Result<SqliteStore> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?
        };
        conn.busy_timeout(std::time::Duration::from_millis(2000))?;
        // More distinct statements than rusqlite's default 16 run per unit of work.
        conn.set_prepared_statement_cache_capacity(64);
        select::register_functions(&conn)?;
        let app: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    not_camp(path, "the file is not a SQLite database")
                }
                other => StoreError::from(other),
            })?;
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 && app != APPLICATION_ID {
            return Err(not_camp(path, "it holds tables that camp did not create"));
        }
        if path != ":memory:" {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            let _ = mode;
        }
        // A larger page cache keeps the activity indexes' hot pages in memory across commits.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;",
        )?;
        migrate::migrate(&conn, path)?;
        Ok(SqliteStore {
            conn,
            columns: Vec::new(),
            select_person: String::new(),
            update_field: Vec::new(),
            select_person_by_id: String::new(),
            cache: RefCell::new(TxCache::default()),
            names: RefCell::new(Names::default()),
            pending: RefCell::new(log::PendingLog::default()),
            path: (path != ":memory:").then(|| path.to_string()),
            checkpointer: None,
        })
    }

    /// Sets the page cache to `mib` MiB. Writers keep 64 MiB (the activity indexes' hot pages);
    /// a command that only reads mostly scans, and a scan is faster through a small cache
    /// (pages are reused instead of allocated for each page read).
    pub fn set_cache_mib(&self, mib: u32) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024))?;
        Ok(())
    }

    /// Whether the system opened the database read-only (a write-protected file).
    pub fn read_only(&self) -> bool {
        self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false)
    }

    /// Empties every table but the registry of field columns, so that the store holds what a
    /// new one prepared for the same program holds, while keeping the connection and its
    /// compiled statements (the test runner reuses one store per thread this way). Ids start
    /// again from 1.
    pub fn reset(&mut self) -> Result<()> {
        if self.in_tx() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        let tables: Vec<String> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('fields', 'sqlite_sequence') ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let tx = self.conn.unchecked_transaction()?;
        for t in &tables {
            tx.prepare_cached(&format!("DELETE FROM \"{}\"", t.replace('"', "\"\"")))?
                .execute([])?;
        }
        tx.prepare_cached("DELETE FROM sqlite_sequence")?
            .execute([])?;
        tx.commit()?;
        *self.cache.get_mut() = TxCache::default();
        *self.names.get_mut() = Names::default();
        self.pending.get_mut().clear();
        Ok(())
    }

    /// The id of an interned name, if it has one.
    fn name_id(&self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.names.borrow().ids.get(name) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM names WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            self.names.borrow_mut().ids.insert(name.to_string(), id);
        }
        Ok(id)
    }

    /// The id of `name`, interning it when it has none.
    fn intern(&self, name: &str) -> Result<i64> {
        if let Some(id) = self.name_id(name)? {
            return Ok(id);
        }
        self.conn
            .prepare_cached("INSERT INTO names (name) VALUES (?1)")?
            .execute([name])?;
        let id = self.conn.last_insert_rowid();
        let mut names = self.names.borrow_mut();
        names.ids.insert(name.to_string(), id);
        if self.in_tx() {
            names.added.push(name.to_string());
        }
        Ok(id)
    }

    /// [`Self::intern`] of an optional name.
    fn intern_opt(&self, name: Option<&str>) -> Result<Option<i64>> {
        name.map(|n| self.intern(n)).transpose()
    }

    /// Whether a transaction is open (the cache is used only then).
    fn in_tx(&self) -> bool {
        !self.conn.is_autocommit()
    }

    fn read_clock(&self) -> Result<Option<i64>> {
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'clock'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        match v {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("clock `{s}`"))),
        }
    }

    fn write_clock(&self, at: i64) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO meta (key, value) VALUES ('clock', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?
            .execute([at.to_string()])?;
        Ok(())
    }

    /// Deletes the inputs [`Store::delete_input`] left for later.
    fn flush_input_deletes(&self) -> Result<()> {
        let seqs = {
            let mut cache = self.cache.borrow_mut();
            if cache.deleted_inputs.is_empty() {
                return Ok(());
            }
            std::mem::take(&mut cache.deleted_inputs)
        };
        static MANY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "DELETE FROM inputs WHERE seq IN ({})",
                vec!["?"; INPUTS_PER_DELETE].join(", ")
            )
        });
        let mut chunks = seqs.chunks_exact(INPUTS_PER_DELETE);
        for chunk in &mut chunks {
            self.conn
                .prepare_cached(&MANY)?
                .execute(rusqlite::params_from_iter(chunk))?;
        }
        for seq in chunks.remainder() {
            self.conn
                .prepare_cached("DELETE FROM inputs WHERE seq = ?1")?
                .execute([seq])?;
        }
        Ok(())
    }

    fn read_inputs(&self, up_to: i64, limit: u32) -> Result<Vec<InputRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, source, line, body FROM inputs WHERE at <= ?1 ORDER BY at, seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![up_to, limit], |r| {
            Ok(InputRow {
                seq: r.get(0)?,
                at: r.get(1)?,
                source: r.get(2)?,
                line: r.get::<_, i64>(3)? as u64,
                body: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The SQL selecting the people `filters` hold for at `now` (see [`select`]).
    pub fn selection_plan(&self, program: &Program, filters: &Filters, now: i64) -> select::Plan {
        select::plan(program, &self.columns, filters, now)
    }

    fn read_person(&self, row: &rusqlite::Row) -> rusqlite::Result<Person> {
        let id: i64 = row.get(0)?;
        let mut values = Vec::with_capacity(self.columns.len());
        for (i, (_, ty)) in self.columns.iter().enumerate() {
            values.push(decode(*ty, row.get_ref(i)?));
        }
        Ok(Person { id, values })
    }
}

fn encode(value: Option<&Scalar>) -> SqlValue {
    match value {
        None => SqlValue::Null,
        Some(Scalar::Text(s)) => SqlValue::Text(s.clone()),
        Some(Scalar::Number(n)) => SqlValue::Real(*n),
        Some(Scalar::Bool(b)) => SqlValue::Integer(i64::from(*b)),
        Some(Scalar::Date(d)) => SqlValue::Text(d.format("%Y-%m-%d").to_string()),
        Some(Scalar::DateTime(t)) => SqlValue::Integer(t.timestamp()),
    }
}

fn decode(ty: FieldType, v: ValueRef) -> Option<Scalar> {
    match (ty, v) {
        (FieldType::Bool, ValueRef::Null) => Some(Scalar::Bool(false)),
        (_, ValueRef::Null) => None,
        (FieldType::Text, ValueRef::Text(t)) => {
            Some(Scalar::Text(String::from_utf8_lossy(t).into()))
        }
        (FieldType::Number, ValueRef::Real(r)) => Some(Scalar::Number(r)),
        (FieldType::Number, ValueRef::Integer(i)) => Some(Scalar::Number(i as f64)),
        (FieldType::Bool, ValueRef::Integer(i)) => Some(Scalar::Bool(i != 0)),
        (FieldType::Date, ValueRef::Text(t)) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(Scalar::Date),
        (FieldType::DateTime, ValueRef::Integer(i)) => {
            chrono::DateTime::from_timestamp(i, 0).map(Scalar::DateTime)
        }
        (FieldType::Text, ValueRef::Integer(i)) => Some(Scalar::Text(i.to_string())),
        (FieldType::Text, ValueRef::Real(r)) => Some(Scalar::Text(r.to_string())),
        _ => None,
    }
}

fn type_name(ty: FieldType) -> &'static str {
    ty.as_str()
}

fn read_activity(r: &rusqlite::Row) -> rusqlite::Result<Activity> {
    let attrs: String = r.get(8)?;
    let result: i64 = r.get(9)?;
    let mut attributes = serde_json::from_str(&attrs).unwrap_or(serde_json::Value::Null);
    crate::store::layout::join_cause(&mut attributes, r.get(12)?, r.get(13)?);
    Ok(Activity {
        id: r.get(0)?,
        at: r.get(1)?,
        person: r.get(2)?,
        email: r.get(3)?,
        campaign: r.get(4)?,
        step: r.get(5)?,
        kind: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        primary: r.get(7)?,
        attributes,
        outcome: outcome_of(result),
        reason: r.get(10)?,
        depth: r.get::<_, i64>(11)? as u32,
    })
}

/// An outbox row read with [`OUTBOX_COLUMNS`].
fn read_outbox(r: &rusqlite::Row) -> Result<OutboxRow> {
    let state: String = r.get(11)?;
    let state = DeliveryState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("delivery state `{state}`")))?;
    Ok(OutboxRow {
        id: r.get(0)?,
        at: r.get(1)?,
        person: r.get(2)?,
        to: r.get(3)?,
        email: r.get(4)?,
        subject: r.get(5)?,
        body: r.get(6)?,
        campaign: r.get(7)?,
        key: r.get(8)?,
        kind: r.get(9)?,
        operational: r.get(10)?,
        delivery: Delivery {
            state,
            attempts: r.get(12)?,
            first_try: r.get(13)?,
            next_try: r.get(14)?,
            status: r.get(15)?,
            error: r.get(16)?,
        },
    })
}

fn read_wait(r: &rusqlite::Row) -> rusqlite::Result<WaitRow> {
    Ok(WaitRow {
        id: r.get(0)?,
        person: r.get(1)?,
        campaign: r.get(2)?,
        path: r.get(3)?,
        wake_at: r.get(4)?,
        depth: r.get::<_, i64>(5)? as u32,
        context: r.get(6)?,
    })
}

impl Store for SqliteStore {
    fn prepare(&mut self, program: &Program) -> Result<()> {
        self.cache.get_mut().person = None;
        let mut known = std::collections::HashMap::new();
        {
            let mut stmt = self.conn.prepare("SELECT name, type FROM fields")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (n, t) = row?;
                known.insert(n, t);
            }
        }
        let mut columns = Vec::new();
        // A store that already fits the program is only read: listings never take the write
        // lock, so they never wait for a runner nor make one wait.
        let tz = program.settings.time_zone.name();
        let fits = program
            .fields
            .iter()
            .all(|f| f.builtin || known.contains_key(&f.name))
            && self.meta("time_zone")?.as_deref() == Some(tz);
        let tx = if fits {
            None
        } else {
            Some(self.conn.unchecked_transaction()?)
        };
        for field in &program.fields {
            if field.builtin {
                columns.push((field.name.clone(), field.ty));
                continue;
            }
            let col = format!("f_{}", field.name);
            match known.get(&field.name) {
                Some(t) if t == type_name(field.ty) => {}
                Some(t) => {
                    return Err(StoreError::Schema(format!(
                        "field `{}` is {} in this database but {} in the script",
                        field.name,
                        t,
                        type_name(field.ty)
                    )))
                }
                None => {
                    // (`tx` is open: a store missing a field does not fit.)
                    if let Some(tx) = &tx {
                        tx.execute(
                            &format!(
                                "ALTER TABLE people ADD COLUMN \"{col}\" {}",
                                sql_type(field.ty)
                            ),
                            [],
                        )?;
                        tx.execute(
                            "INSERT INTO fields (name, type) VALUES (?1, ?2)",
                            params![field.name, type_name(field.ty)],
                        )?;
                    }
                }
            }
            columns.push((col, field.ty));
        }
        if let Some(tx) = tx {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('time_zone', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [tz],
            )?;
            tx.commit()?;
        }
        debug_assert!(program
            .fields
            .iter()
            .zip(BUILTIN_FIELDS.iter())
            .all(|(f, b)| f.name == b.0));
        self.select_person = format!(
            "SELECT {} FROM people",
            columns
                .iter()
                .map(|(c, _)| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.update_field = columns
            .iter()
            .map(|(c, _)| format!("UPDATE people SET \"{c}\" = ?1, updated_at = ?2 WHERE id = ?3"))
            .collect();
        self.select_person_by_id = format!("{} WHERE id = ?1", self.select_person);
        self.columns = columns;
        Ok(())
    }

    fn stored_fields(&self) -> Result<Vec<(String, FieldType)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, type FROM fields ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, ty) = row?;
            out.push((name, field_type(&ty)?));
        }
        Ok(out)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?
            .execute([key, value])?;
        Ok(())
    }

    fn names_in_use(&self) -> Result<NamesInUse> {
        let strings = |sql: &str| -> Result<Vec<String>> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let mut programs = Vec::new();
        for p in strings("SELECT DISTINCT program FROM program_members ORDER BY program")? {
            let mut stmt = self.conn.prepare(
                "SELECT DISTINCT status FROM program_members WHERE program = ?1 ORDER BY status",
            )?;
            let rows = stmt.query_map([&p], |r| r.get(0))?;
            programs.push((p, rows.collect::<rusqlite::Result<_>>()?));
        }
        Ok(NamesInUse {
            lists: strings("SELECT DISTINCT list FROM list_members ORDER BY list")?,
            programs,
            campaigns: strings("SELECT DISTINCT campaign FROM campaign_members ORDER BY campaign")?,
        })
    }

    fn begin(&mut self) -> Result<()> {
        if let Some(path) = self.path.take() {
            // The first write: from now on the log is checkpointed beside this writer.
            self.checkpointer = checkpoint::Checkpointer::start(&path);
            if self.checkpointer.is_some() {
                self.conn.execute_batch(&format!(
                    "PRAGMA wal_autocheckpoint = {}",
                    checkpoint::BACKSTOP_PAGES
                ))?;
            }
        }
        *self.cache.get_mut() = TxCache::default();
        self.names.get_mut().forget_added();
        self.pending.get_mut().clear();
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.flush_log()?;
        self.flush_input_deletes()?;
        self.pending.get_mut().clear();
        let cache = std::mem::take(self.cache.get_mut());
        if cache.clock_unwritten {
            if let Some(Some(at)) = cache.clock {
                self.write_clock(at)?;
            }
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            if self.conn.is_autocommit() {
                self.names.get_mut().forget_added();
            }
            return Err(e.into());
        }
        self.names.get_mut().added.clear();
        Ok(())
    }

    fn rollback(&mut self) -> Result<()> {
        *self.cache.get_mut() = TxCache::default();
        self.names.get_mut().forget_added();
        self.pending.get_mut().clear();
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    fn clock(&self) -> Result<Option<i64>> {
        if !self.in_tx() {
            return self.read_clock();
        }
        if let Some(c) = self.cache.borrow().clock {
            return Ok(c);
        }
        let c = self.read_clock()?;
        self.cache.borrow_mut().clock = Some(c);
        Ok(c)
    }

    fn set_clock(&mut self, at: i64) -> Result<()> {
        if !self.in_tx() {
            return self.write_clock(at);
        }
        let cache = self.cache.get_mut();
        if cache.clock != Some(Some(at)) {
            cache.clock = Some(Some(at));
            cache.clock_unwritten = true;
        }
        Ok(())
    }

    fn person(&self, id: PersonId) -> Result<Option<Person>> {
        let in_tx = self.in_tx();
        if in_tx {
            if let Some(p) = self.cache.borrow().person.as_ref().filter(|p| p.id == id) {
                return Ok(Some(p.clone()));
            }
        }
        let mut stmt = self.conn.prepare_cached(&self.select_person_by_id)?;
        let person = stmt.query_row([id], |r| self.read_person(r)).optional()?;
        if in_tx {
            self.cache.borrow_mut().person = person.clone();
        }
        Ok(person)
    }

    fn person_by_email(&self, email: &str) -> Result<Option<PersonId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM people WHERE email = ?1 COLLATE NOCASE")?
            .query_row([email], |r| r.get(0))
            .optional()?)
    }

    fn insert_person(&mut self, values: &[(FieldId, Option<Scalar>)], at: i64) -> Result<PersonId> {
        // A new id (`AUTOINCREMENT` never gives one twice): the person read stays right.
        let mut cols = vec!["created_at".to_string(), "updated_at".to_string()];
        let mut vals = vec![SqlValue::Integer(at), SqlValue::Integer(at)];
        for (f, v) in values {
            let (col, _) = column(&self.columns, *f)?;
            if matches!(col.as_str(), "id" | "created_at" | "updated_at") {
                continue;
            }
            cols.push(format!("\"{col}\""));
            vals.push(encode(v.as_ref()));
        }
        let placeholders = (1..=vals.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO people ({}) VALUES ({placeholders})",
            cols.join(", ")
        );
        self.conn
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(vals))?;
        Ok(self.conn.last_insert_rowid())
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
            .ok_or_else(|| StoreError::Schema(format!("unknown field #{}", field.0)))?;
        self.conn
            .prepare_cached(sql)?
            .execute(params![encode(value), at, id])?;
        // The person read stays read: the two columns written, as reading them back gives.
        let cache = self.cache.get_mut();
        let ty = self.columns.get(field.index()).map(|c| c.1);
        match (cache.person.as_mut().filter(|p| p.id == id), ty) {
            (Some(p), Some(ty)) if field != UPDATED_AT && p.values.len() == self.columns.len() => {
                p.values[field.index()] = decode(ty, ValueRef::from(&encode(value)));
                p.values[UPDATED_AT.index()] = decode(FieldType::DateTime, ValueRef::Integer(at));
            }
            _ => cache.person = None,
        }
        Ok(())
    }

    fn delete_person(&mut self, id: PersonId) -> Result<()> {
        let cache = self.cache.get_mut();
        cache.person = None;
        cache.next_wait = None;
        for sql in [
            "DELETE FROM people WHERE id = ?1",
            "DELETE FROM list_members WHERE person = ?1",
            "DELETE FROM program_members WHERE person = ?1",
            "DELETE FROM campaign_members WHERE person = ?1",
            "DELETE FROM waits WHERE person = ?1",
        ] {
            self.conn.prepare_cached(sql)?.execute([id])?;
        }
        Ok(())
    }

    fn scan_people(&self, f: &mut dyn FnMut(Person) -> Result<()>) -> Result<()> {
        let sql = format!("{} ORDER BY id", self.select_person);
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            f(self.read_person(row)?)?;
        }
        Ok(())
    }

    fn select_people_in(
        &self,
        program: &Program,
        filters: &Filters,
        now: i64,
        ids: std::ops::RangeInclusive<PersonId>,
        f: &mut dyn FnMut(Person) -> Result<()>,
    ) -> Result<()> {
        // The selection may read the log.
        self.flush_log()?;
        if !prepared_for(&self.columns, program) {
            return select_by_scan_in(self, program, filters, now, ids, f);
        }
        let mut plan = self.selection_plan(program, filters, now);
        let sql = format!(
            "{} WHERE ({}) AND id BETWEEN ? AND ? ORDER BY id",
            self.select_person, plan.sql
        );
        plan.params.push(SqlValue::Integer(*ids.start()));
        plan.params.push(SqlValue::Integer(*ids.end()));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(plan.params))?;
        // A clause that is only a superset: the filters decide, in memory.
        let eval =
            (!plan.exact).then_some(crate::engine::conditions::Eval::new(program, self, now));
        while let Some(row) = rows.next()? {
            let p = self.read_person(row)?;
            if let Some(eval) = &eval {
                if !eval.filters(filters, &p)? {
                    continue;
                }
            }
            f(p)?;
        }
        Ok(())
    }

    fn person_id_span(&self) -> Result<Option<(PersonId, PersonId)>> {
        let span: (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT (SELECT min(id) FROM people), (SELECT max(id) FROM people)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(span.0.zip(span.1))
    }

    fn count_people(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM people", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    fn in_list(&self, list: &str, person: PersonId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM list_members WHERE list = ?1 AND person = ?2")?
            .exists(params![list, person])?)
    }

    fn add_to_list(&mut self, list: &str, person: PersonId, at: i64) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO list_members (list, person, added_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![list, person, at])?;
        Ok(n > 0)
    }

    fn remove_from_list(&mut self, list: &str, person: PersonId) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM list_members WHERE list = ?1 AND person = ?2")?
            .execute(params![list, person])?;
        Ok(n > 0)
    }

    fn lists_of(&self, person: PersonId) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT list FROM list_members WHERE person = ?1 ORDER BY list")?;
        let rows = stmt.query_map([person], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn lists_of_people(&self, people: &[PersonId]) -> Result<Vec<Vec<String>>> {
        const CHUNK: usize = 256;
        let mut ids = people.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut lists: std::collections::HashMap<PersonId, Vec<String>> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT person, list FROM list_members WHERE person IN ({}) ORDER BY person, list",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk))?;
            while let Some(row) = rows.next()? {
                lists.entry(row.get(0)?).or_default().push(row.get(1)?);
            }
        }
        Ok(people
            .iter()
            .map(|p| lists.get(p).cloned().unwrap_or_default())
            .collect())
    }

    fn program_status(&self, program: &str, person: PersonId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT status FROM program_members WHERE program = ?1 AND person = ?2",
            )?
            .query_row(params![program, person], |r| r.get(0))
            .optional()?)
    }

    fn set_program_status(
        &mut self,
        program: &str,
        person: PersonId,
        status: &str,
        at: i64,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO program_members (program, person, status, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(program, person) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            )?
            .execute(params![program, person, status, at])?;
        Ok(())
    }

    fn membership(&self, campaign: &str, person: PersonId) -> Result<Option<Membership>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT since, last_entered FROM campaign_members WHERE campaign = ?1 AND person = ?2",
            )?
            .query_row(params![campaign, person], |r| {
                Ok(Membership {
                    since: r.get(0)?,
                    last_entered: r.get(1)?,
                })
            })
            .optional()?)
    }

    fn add_member(&mut self, campaign: &str, person: PersonId, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO campaign_members (campaign, person, since) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![campaign, person, at])?;
        Ok(())
    }

    fn record_entry(&mut self, campaign: &str, person: PersonId, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO campaign_members (campaign, person, since, last_entered) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT(campaign, person) DO UPDATE SET last_entered = excluded.last_entered",
            )?
            .execute(params![campaign, person, at])?;
        Ok(())
    }

    fn append_activity(&mut self, a: &Activity) -> Result<i64> {
        self.log_activity(a)
    }

    fn activity(&self, id: i64) -> Result<Option<Activity>> {
        self.flush_log()?;
        let sql = format!("{ACTIVITY_SELECT} WHERE a.id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], read_activity)
            .optional()?)
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
        let mut out = Vec::new();
        // A name never logged has no id, and no activity.
        let primary = match primary {
            Some(p) => match self.name_id(p)? {
                Some(id) => Some(id),
                None => return Ok(out),
            },
            None => None,
        };
        for kind in kinds {
            let Some(kind) = self.name_id(kind)? else {
                continue;
            };
            let sql = format!(
                "{ACTIVITY_SELECT}
                 WHERE a.person = ?1 AND a.type = ?2 AND (?3 IS NULL OR a.primary_value = ?3)
                   AND a.at >= ?4 AND a.at <= ?5 AND a.result = 0 ORDER BY a.id"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    person,
                    kind,
                    primary,
                    from.unwrap_or(i64::MIN),
                    to.unwrap_or(i64::MAX)
                ],
                read_activity,
            )?;
            for r in rows {
                out.push(r?);
            }
        }
        out.sort_by_key(|a| a.id);
        Ok(out)
    }

    fn scan_log(&self, q: &LogQuery, f: &mut dyn FnMut(Activity) -> Result<()>) -> Result<()> {
        self.flush_log()?;
        // Only the conditions asked for, so that one person's log is read through the
        // `activities_history` index instead of a scan of the whole log.
        let mut sql = format!("{ACTIVITY_SELECT} WHERE a.id > ?1");
        let mut values: Vec<rusqlite::types::Value> = vec![q.after.unwrap_or(0).into()];
        if let Some(p) = q.person {
            values.push(p.into());
            sql.push_str(&format!(" AND a.person = ?{}", values.len()));
        }
        if let Some(c) = &q.campaign {
            // A campaign that never logged anything has no id, and no activity.
            let Some(id) = self.name_id(c)? else {
                return Ok(());
            };
            values.push(id.into());
            sql.push_str(&format!(" AND a.campaign = ?{}", values.len()));
        }
        values.push(q.limit.map_or(-1, i64::from).into());
        sql.push_str(&format!(" ORDER BY a.id LIMIT ?{}", values.len()));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        while let Some(row) = rows.next()? {
            f(read_activity(row)?)?;
        }
        Ok(())
    }

    fn activity_counts_after(&self, after: i64) -> Result<super::ActivityCounts> {
        self.flush_log()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.name, a.result, count(*), max(a.id) FROM activities a JOIN names t ON t.id = a.type
             WHERE a.id > ?1 GROUP BY a.type, a.result",
        )?;
        let mut rows = stmt.query([after])?;
        let mut out = Vec::new();
        let mut last = after;
        while let Some(r) = rows.next()? {
            let result = outcome_of(r.get(1)?).as_str().to_string();
            out.push((r.get(0)?, result, r.get::<_, i64>(2)?.max(0) as u64));
            last = last.max(r.get(3)?);
        }
        Ok((out, last))
    }

    fn backlog(&self) -> Result<super::Backlog> {
        self.flush_input_deletes()?;
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
        };
        Ok(super::Backlog {
            inputs: count("SELECT count(*) FROM inputs")?,
            queued: count("SELECT count(*) FROM queue")?,
            waits: count("SELECT count(*) FROM waits")?,
        })
    }

    fn campaign_counts(&self) -> Result<std::collections::HashMap<String, (u64, u64)>> {
        self.flush_log()?;
        let mut out: std::collections::HashMap<String, (u64, u64)> = Default::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT campaign, count(*) FROM waits GROUP BY campaign")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().0 = r.get::<_, i64>(1)?.max(0) as u64;
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.name, count(*) FROM activities a JOIN names c ON c.id = a.campaign
             WHERE a.campaign IS NOT NULL AND a.result = 0
               AND a.type = (SELECT id FROM names WHERE name = 'enter_flow')
             GROUP BY a.campaign",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().1 = r.get::<_, i64>(1)?.max(0) as u64;
        }
        Ok(out)
    }

    fn entries_after(&self, campaign: Option<&str>, after: i64) -> Result<Vec<(String, i64)>> {
        self.flush_log()?;
        // One campaign's entries are found through the campaign index (names are keys into
        // `names`, `succeeded` is 0).
        let sql = match campaign {
            Some(_) => {
                "SELECT c.name, a.at FROM activities a JOIN names c ON c.id = a.campaign
                 WHERE a.campaign = (SELECT id FROM names WHERE name = ?1)
                   AND a.type = (SELECT id FROM names WHERE name = 'enter_flow')
                   AND a.result = 0 AND a.at > ?2 ORDER BY a.id"
            }
            None => {
                "SELECT c.name, a.at FROM activities a JOIN names c ON c.id = a.campaign
                 WHERE a.campaign IS NOT NULL AND ?1 IS NULL
                   AND a.type = (SELECT id FROM names WHERE name = 'enter_flow')
                   AND a.result = 0 AND a.at > ?2 ORDER BY a.id"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params![campaign, after])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((r.get(0)?, r.get(1)?));
        }
        Ok(out)
    }

    fn last_activity_id(&self) -> Result<i64> {
        self.flush_log()?;
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM activities", [], |r| {
                r.get(0)
            })?)
    }

    fn outbox_insert(&mut self, o: &OutboxRow) -> Result<()> {
        self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (at, person, recipient, email, subject, body, campaign, key, kind, operational)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                o.at,
                o.person,
                o.to,
                o.email,
                o.subject,
                o.body,
                o.campaign,
                o.key,
                o.kind,
                o.operational
            ])?;
        Ok(())
    }

    fn scan_outbox(&self, f: &mut dyn FnMut(OutboxRow) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(read_outbox(r)?)?;
        }
        Ok(())
    }

    fn due_deliveries(&self, now: i64, after: i64, limit: u32) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE delivery IN ('pending', 'retrying') AND id > ?1
               AND coalesce(next_try, at) <= ?2
             ORDER BY id LIMIT ?3"
        ))?;
        let mut rows = stmt.query(params![after, now, limit])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_outbox(r)?);
        }
        Ok(out)
    }

    fn set_delivery(&mut self, id: i64, d: &Delivery) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET delivery = ?2, attempts = ?3, first_try = ?4, next_try = ?5,
                 delivery_status = ?6, delivery_error = ?7 WHERE id = ?1",
            )?
            .execute(params![
                id,
                d.state.as_str(),
                d.attempts,
                d.first_try,
                d.next_try,
                d.status,
                d.error
            ])?;
        Ok(())
    }

    fn marketing_sends_since(&self, person: PersonId, since: i64) -> Result<u32> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE person = ?1 AND at >= ?2 AND kind = 'email' AND operational = 0",
            )?
            .query_row(params![person, since], |r| r.get::<_, i64>(0))? as u32)
    }

    fn insert_wait(&mut self, w: &WaitRow) -> Result<i64> {
        self.cache.get_mut().next_wait = None;
        self.conn
            .prepare_cached(
                "INSERT INTO waits (person, campaign, path, wake_at, depth, context) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![w.person, w.campaign, w.path, w.wake_at, w.depth, w.context])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn next_wait(&self, up_to: i64) -> Result<Option<WaitRow>> {
        let in_tx = self.in_tx();
        if in_tx {
            if let Some((_, w)) = self
                .cache
                .borrow()
                .next_wait
                .as_ref()
                .filter(|(u, _)| *u == up_to)
            {
                return Ok(w.clone());
            }
        }
        let wait = self
            .conn
            .prepare_cached(
                "SELECT id, person, campaign, path, wake_at, depth, context FROM waits
                 WHERE wake_at <= ?1 ORDER BY wake_at, id LIMIT 1",
            )?
            .query_row([up_to], read_wait)
            .optional()?;
        if in_tx {
            self.cache.borrow_mut().next_wait = Some((up_to, wait.clone()));
        }
        Ok(wait)
    }

    fn delete_wait(&mut self, id: i64) -> Result<()> {
        self.cache.get_mut().next_wait = None;
        self.conn
            .prepare_cached("DELETE FROM waits WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn delete_waits(&mut self, person: PersonId, campaign: &str) -> Result<u32> {
        self.cache.get_mut().next_wait = None;
        Ok(self
            .conn
            .prepare_cached("DELETE FROM waits WHERE person = ?1 AND campaign = ?2")?
            .execute(params![person, campaign])? as u32)
    }

    fn waits(&self) -> Result<Vec<WaitRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, person, campaign, path, wake_at, depth, context FROM waits ORDER BY wake_at, id",
        )?;
        let rows = stmt.query_map([], read_wait)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn person_waits(&self, person: PersonId) -> Result<Vec<WaitRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, person, campaign, path, wake_at, depth, context FROM waits
             WHERE person = ?1 ORDER BY wake_at, id",
        )?;
        let rows = stmt.query_map([person], read_wait)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn waits_in(&self, person: PersonId, campaign: &str) -> Result<Vec<WaitRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, person, campaign, path, wake_at, depth, context FROM waits
             WHERE person = ?1 AND campaign = ?2 ORDER BY wake_at, id",
        )?;
        let rows = stmt.query_map(params![person, campaign], read_wait)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_input(&mut self, i: &InputRow) -> Result<()> {
        self.cache.get_mut().inputs = None;
        self.conn
            .prepare_cached("INSERT INTO inputs (at, source, line, body) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![i.at, i.source, i.line as i64, i.body])?;
        Ok(())
    }

    fn next_input(&self, up_to: i64) -> Result<Option<InputRow>> {
        self.flush_input_deletes()?;
        if !self.in_tx() {
            return Ok(self.read_inputs(up_to, 1)?.into_iter().next());
        }
        let mut cache = self.cache.borrow_mut();
        let fresh = match &cache.inputs {
            Some(ahead) if ahead.up_to == up_to => !ahead.complete && ahead.rows.is_empty(),
            _ => true,
        };
        if fresh {
            let rows = self.read_inputs(up_to, INPUT_READ_AHEAD)?;
            cache.inputs = Some(InputAhead {
                up_to,
                complete: rows.len() < INPUT_READ_AHEAD as usize,
                rows: rows.into(),
            });
        }
        Ok(cache.inputs.as_ref().and_then(|a| a.rows.front().cloned()))
    }

    fn delete_input(&mut self, seq: i64) -> Result<()> {
        let in_tx = self.in_tx();
        let cache = self.cache.get_mut();
        match cache.inputs.as_mut() {
            Some(ahead) if ahead.rows.front().is_some_and(|r| r.seq == seq) => {
                ahead.rows.pop_front();
            }
            _ => cache.inputs = None,
        }
        if !in_tx {
            self.conn
                .prepare_cached("DELETE FROM inputs WHERE seq = ?1")?
                .execute([seq])?;
            return Ok(());
        }
        cache.deleted_inputs.push(seq);
        if cache.deleted_inputs.len() >= INPUTS_PER_DELETE {
            self.flush_input_deletes()?;
        }
        Ok(())
    }

    fn enqueue(&mut self, activity: i64, chain: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO queue (activity, chain) VALUES (?1, ?2)")?
            .execute(params![activity, chain])?;
        Ok(())
    }

    fn next_queued(&self) -> Result<Option<QueuedRow>> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq, activity, chain FROM queue ORDER BY seq LIMIT 1")?
            .query_row([], |r| {
                Ok(QueuedRow {
                    seq: r.get(0)?,
                    activity: r.get(1)?,
                    chain: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn dequeue(&mut self, seq: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM queue WHERE seq = ?1")?
            .execute([seq])?;
        Ok(())
    }

    fn last_run(&self, campaign: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT last_run FROM schedules WHERE campaign = ?1")?
            .query_row([campaign], |r| r.get(0))
            .optional()?)
    }

    fn set_last_run(&mut self, campaign: &str, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO schedules (campaign, last_run) VALUES (?1, ?2)
                 ON CONFLICT(campaign) DO UPDATE SET last_run = excluded.last_run",
            )?
            .execute(params![campaign, at])?;
        Ok(())
    }

    fn create_run(&mut self, campaign: &str, at: i64, members: &[PersonId]) -> Result<i64> {
        self.conn
            .prepare_cached("INSERT INTO runs (campaign, at) VALUES (?1, ?2)")?
            .execute(params![campaign, at])?;
        let run = self.conn.last_insert_rowid();
        self.insert_run_members(run, members)?;
        Ok(run)
    }

    fn open_run(&self) -> Result<Option<RunRow>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, campaign, at FROM runs ORDER BY id LIMIT 1")?
            .query_row([], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    campaign: r.get(1)?,
                    at: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn run_members(&self, run: i64, limit: u32) -> Result<Vec<(i64, PersonId)>> {
        self.unprocessed_members(run, limit)
    }

    fn finish_run_members(&mut self, run: i64, ord: i64) -> Result<()> {
        self.mark_members_done(run, ord)
    }

    fn close_run(&mut self, run: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM run_members WHERE run = ?1")?
            .execute([run])?;
        self.conn
            .prepare_cached("DELETE FROM runs WHERE id = ?1")?
            .execute([run])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Workspace;

    fn store() -> (tempfile::TempDir, String, SqliteStore) {
        let mut ws = Workspace::new();
        ws.add_text("t.camp", "schema person { state: text }\n".to_string());
        let program = crate::check::check_workspace(&ws).program.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").display().to_string();
        let mut store = SqliteStore::open(&path).unwrap();
        store.prepare(&program).unwrap();
        (dir, path, store)
    }

    fn input(at: i64, line: u64) -> InputRow {
        InputRow {
            seq: 0,
            at,
            source: "e.jsonl".into(),
            line,
            body: "{}".into(),
        }
    }

    fn wait(person: PersonId, wake_at: i64) -> WaitRow {
        WaitRow {
            id: 0,
            person,
            campaign: "C".into(),
            path: "1".into(),
            wake_at,
            depth: 0,
            context: "{}".into(),
        }
    }

    #[test]
    fn a_clock_set_in_a_transaction_is_written_by_its_commit_only() {
        let (_dir, path, mut store) = store();
        store.set_clock(10).unwrap();
        store.begin().unwrap();
        store.set_clock(20).unwrap();
        assert_eq!(store.clock().unwrap(), Some(20));
        store.rollback().unwrap();
        assert_eq!(store.clock().unwrap(), Some(10));
        store.begin().unwrap();
        store.set_clock(30).unwrap();
        store.commit().unwrap();
        assert_eq!(SqliteStore::open(&path).unwrap().clock().unwrap(), Some(30));
    }

    #[test]
    fn inputs_read_ahead_follow_inserts_and_deletes() {
        let (_dir, _path, mut store) = store();
        for i in 0..(INPUT_READ_AHEAD as i64 + 10) {
            store.insert_input(&input(100 + i, i as u64)).unwrap();
        }
        store.begin().unwrap();
        let mut seen = Vec::new();
        while let Some(i) = store.next_input(1_000).unwrap() {
            seen.push(i.line);
            store.delete_input(i.seq).unwrap();
            if i.line == 3 {
                // An earlier input arriving mid-run comes next.
                store.insert_input(&input(50, 999)).unwrap();
            }
        }
        // Deleted many to a statement, but deleted before anything counts them.
        assert_eq!(store.backlog().unwrap().inputs, 0);
        store.commit().unwrap();
        let mut want: Vec<u64> = (0..4).collect();
        want.push(999);
        want.extend(4..(INPUT_READ_AHEAD as u64 + 10));
        assert_eq!(seen, want);
        assert_eq!(store.next_input(i64::MAX).unwrap(), None);
    }

    #[test]
    fn the_next_wait_follows_inserts_and_deletes() {
        let (_dir, _path, mut store) = store();
        let p = store.insert_person(&[], 0).unwrap();
        store.begin().unwrap();
        assert_eq!(store.next_wait(100).unwrap(), None);
        let late = store.insert_wait(&wait(p, 90)).unwrap();
        assert_eq!(store.next_wait(100).unwrap().map(|w| w.id), Some(late));
        let early = store.insert_wait(&wait(p, 80)).unwrap();
        assert_eq!(store.next_wait(100).unwrap().map(|w| w.id), Some(early));
        assert_eq!(store.next_wait(85).unwrap().map(|w| w.id), Some(early));
        store.delete_wait(early).unwrap();
        assert_eq!(store.next_wait(100).unwrap().map(|w| w.id), Some(late));
        assert_eq!(store.delete_waits(p, "C").unwrap(), 1);
        assert_eq!(store.next_wait(100).unwrap(), None);
        store.rollback().unwrap();
        assert_eq!(store.next_wait(100).unwrap(), None);
    }

    #[test]
    fn a_person_read_in_a_transaction_follows_changes() {
        let (_dir, _path, mut store) = store();
        let state = FieldId(BUILTIN_FIELDS.len() as u32);
        let p = store
            .insert_person(&[(state, Some(Scalar::Text("CA".into())))], 0)
            .unwrap();
        store.begin().unwrap();
        let before = store.person(p).unwrap().unwrap();
        assert_eq!(before.get(state), Some(&Scalar::Text("CA".into())));
        store
            .set_field(p, state, Some(&Scalar::Text("NY".into())), 5)
            .unwrap();
        let after = store.person(p).unwrap().unwrap();
        assert_eq!(after.get(state), Some(&Scalar::Text("NY".into())));
        store.delete_person(p).unwrap();
        assert_eq!(store.person(p).unwrap(), None);
        store.rollback().unwrap();
        let back = store.person(p).unwrap().unwrap();
        assert_eq!(back.get(state), Some(&Scalar::Text("CA".into())));
    }

    #[test]
    fn a_writer_s_log_is_checkpointed_beside_it() {
        let (_dir, path, mut store) = store();
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        store.begin().unwrap();
        assert!(
            store.checkpointer.is_some(),
            "the first write starts the thread"
        );
        let before = size();
        for i in 0..5_000 {
            let mut row = input(i, i as u64);
            row.body = format!("{{\"n\": {i}, \"pad\": \"{}\"}}", "x".repeat(200));
            store.insert_input(&row).unwrap();
        }
        store.commit().unwrap();
        // The writer does nothing more: the pages reach the database file all the same.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while size() < before + 1_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint: {} bytes",
                size()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // Dropping the store stops the thread.
        drop(store);
    }

    #[test]
    fn a_person_kept_in_a_transaction_reads_as_the_store_would() {
        assert_eq!(BUILTIN_FIELDS[UPDATED_AT.index()].0, "updated_at");
        let mut ws = Workspace::new();
        ws.add_text(
            "t.camp",
            "schema person { t: text  n: number  b: bool  d: date  dt: datetime }\n".to_string(),
        );
        let program = crate::check::check_workspace(&ws).program.unwrap();
        let mut store = SqliteStore::open(":memory:").unwrap();
        store.prepare(&program).unwrap();
        let field = |name: &str| {
            FieldId(program.fields.iter().position(|f| f.name == name).unwrap() as u32)
        };
        let p = store.insert_person(&[], 0).unwrap();
        let fresh = |store: &SqliteStore| {
            store
                .conn
                .query_row(&store.select_person_by_id, [p], |r| store.read_person(r))
                .unwrap()
        };
        let date = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let values: Vec<(&str, Option<Scalar>)> = vec![
            ("t", Some(Scalar::Text("x".into()))),
            ("t", Some(Scalar::Text(String::new()))),
            ("t", None),
            ("n", Some(Scalar::Number(2.5))),
            ("n", None),
            ("b", Some(Scalar::Bool(true))),
            ("b", None),
            ("d", Some(Scalar::Date(date))),
            (
                "dt",
                chrono::DateTime::from_timestamp(1_800_000_000, 0).map(Scalar::DateTime),
            ),
            ("score", Some(Scalar::Number(10.0))),
            ("email", Some(Scalar::Text("a@example.com".into()))),
            (
                "updated_at",
                chrono::DateTime::from_timestamp(7, 0).map(Scalar::DateTime),
            ),
        ];
        store.begin().unwrap();
        for (at, (name, value)) in values.iter().enumerate() {
            store.person(p).unwrap();
            store
                .set_field(p, field(name), value.as_ref(), 100 + at as i64)
                .unwrap();
            assert_eq!(
                store.person(p).unwrap().unwrap(),
                fresh(&store),
                "after {name}"
            );
        }
        store.commit().unwrap();
    }
}
