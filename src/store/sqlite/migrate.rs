//! The store's versioned migrations: `PRAGMA user_version` counts those applied, and each runs
//! once, in its own transaction, when a store is opened.
//!
//! - 1: the first layout.
//! - 2: delivery columns on the outbox (LANGUAGE.md 13.3).
//! - 3: the activity log with interned names: campaign, step, type and primary value are
//!   integer keys into `names`, the result a small integer, the `cause` attribute in columns
//!   of its own (the activity's id, or the batch run's JSON text as a name); a batch run's
//!   members packed 1,024 to a row; and no table but `people` keeps `AUTOINCREMENT` (the other
//!   tables never reuse an id that matters: activities and outbox rows are never deleted, and
//!   waits, inputs, queued activities and runs are only ordered among the rows present).

use rusqlite::{Connection, OptionalExtension};

use super::{not_camp, APPLICATION_ID};
use crate::store::Result;

/// A migration: SQL, or a function of the connection and the store's path.
enum Step {
    Sql(&'static str),
    Code(fn(&Connection, &str) -> Result<()>),
}

/// Migrations, in order.
const MIGRATIONS: &[Step] = &[Step::Sql(V1), Step::Sql(V2), Step::Code(v3)];

/// The first layout.
pub(super) const V1: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE fields (name TEXT PRIMARY KEY, type TEXT NOT NULL);
CREATE TABLE people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT,
    score REAL NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    unsubscribed INTEGER NOT NULL DEFAULT 0,
    marketing_suspended INTEGER NOT NULL DEFAULT 0,
    email_invalid INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX people_email ON people (email COLLATE NOCASE);
CREATE TABLE list_members (
    list TEXT NOT NULL, person INTEGER NOT NULL, added_at INTEGER NOT NULL,
    PRIMARY KEY (list, person)
) WITHOUT ROWID;
CREATE INDEX list_members_person ON list_members (person);
CREATE TABLE program_members (
    program TEXT NOT NULL, person INTEGER NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (program, person)
) WITHOUT ROWID;
CREATE TABLE campaign_members (
    campaign TEXT NOT NULL, person INTEGER NOT NULL, since INTEGER NOT NULL, last_entered INTEGER,
    PRIMARY KEY (campaign, person)
) WITHOUT ROWID;
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    person INTEGER NOT NULL,
    email TEXT,
    campaign TEXT,
    step TEXT,
    type TEXT NOT NULL,
    primary_value TEXT,
    attributes TEXT NOT NULL,
    result TEXT NOT NULL,
    reason TEXT,
    depth INTEGER NOT NULL
);
CREATE INDEX activities_history ON activities (person, type, primary_value, at);
CREATE INDEX activities_campaign ON activities (campaign);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    person INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    email TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    campaign TEXT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    operational INTEGER NOT NULL
);
CREATE INDEX outbox_person ON outbox (person, at);
CREATE TABLE waits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person INTEGER NOT NULL,
    campaign TEXT NOT NULL,
    path TEXT NOT NULL,
    wake_at INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    context TEXT NOT NULL
);
CREATE INDEX waits_due ON waits (wake_at, id);
CREATE INDEX waits_person ON waits (person, campaign);
CREATE TABLE inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX inputs_due ON inputs (at, seq);
CREATE TABLE queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    activity INTEGER NOT NULL,
    chain TEXT NOT NULL
);
CREATE TABLE schedules (campaign TEXT PRIMARY KEY, last_run INTEGER NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE run_members (
    run INTEGER NOT NULL, ord INTEGER NOT NULL, person INTEGER NOT NULL,
    PRIMARY KEY (run, ord)
) WITHOUT ROWID;
"#;

/// Delivery columns on the outbox.
pub(super) const V2: &str = r#"
ALTER TABLE outbox ADD COLUMN delivery TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN first_try INTEGER;
ALTER TABLE outbox ADD COLUMN next_try INTEGER;
ALTER TABLE outbox ADD COLUMN delivery_status INTEGER;
ALTER TABLE outbox ADD COLUMN delivery_error TEXT;
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivery IN ('pending', 'retrying');
"#;

/// The tables of migration 3, created empty beside the old ones.
const V3_TABLES: &str = r#"
CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE activities_v3 (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    person INTEGER NOT NULL,
    email TEXT,
    campaign INTEGER,
    step INTEGER,
    type INTEGER NOT NULL,
    primary_value INTEGER,
    attributes TEXT NOT NULL,
    result INTEGER NOT NULL,
    reason TEXT,
    depth INTEGER NOT NULL,
    cause_activity INTEGER,
    cause_run INTEGER
);
CREATE TABLE outbox_v3 (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    person INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    email TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    campaign TEXT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    operational INTEGER NOT NULL,
    delivery TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    first_try INTEGER,
    next_try INTEGER,
    delivery_status INTEGER,
    delivery_error TEXT
);
CREATE TABLE waits_v3 (
    id INTEGER PRIMARY KEY,
    person INTEGER NOT NULL,
    campaign TEXT NOT NULL,
    path TEXT NOT NULL,
    wake_at INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    context TEXT NOT NULL
);
CREATE TABLE inputs_v3 (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE queue_v3 (seq INTEGER PRIMARY KEY, activity INTEGER NOT NULL, chain TEXT NOT NULL);
CREATE TABLE runs_v3 (
    id INTEGER PRIMARY KEY,
    campaign TEXT NOT NULL,
    at INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT -1
);
CREATE TABLE run_members_v3 (
    run INTEGER NOT NULL,
    first INTEGER NOT NULL,
    n INTEGER NOT NULL,
    people BLOB NOT NULL,
    PRIMARY KEY (run, first)
);
INSERT INTO names (name)
    SELECT name FROM (
        SELECT type AS name FROM activities UNION SELECT campaign FROM activities
        UNION SELECT step FROM activities UNION SELECT primary_value FROM activities
    ) WHERE name IS NOT NULL ORDER BY name;
"#;

/// One chunk of the activity log, rewritten with interned names.
const V3_COPY_ACTIVITIES: &str = "
INSERT INTO activities_v3
    (id, at, person, email, campaign, step, type, primary_value, attributes, result, reason, depth)
SELECT a.id, a.at, a.person, a.email,
    (SELECT n.id FROM names n WHERE n.name = a.campaign),
    (SELECT n.id FROM names n WHERE n.name = a.step),
    (SELECT n.id FROM names n WHERE n.name = a.type),
    (SELECT n.id FROM names n WHERE n.name = a.primary_value),
    a.attributes,
    CASE a.result WHEN 'succeeded' THEN 0 WHEN 'skipped' THEN 1 ELSE 2 END,
    a.reason, a.depth
FROM activities a WHERE a.id > ?1 AND a.id <= ?2";

/// The rest of migration 3: the other tables copied, the old ones replaced, the indexes made.
const V3_FINISH: &str = r#"
INSERT INTO outbox_v3 (id, at, person, recipient, email, subject, body, campaign, key, kind,
        operational, delivery, attempts, first_try, next_try, delivery_status, delivery_error)
    SELECT id, at, person, recipient, email, subject, body, campaign, key, kind,
        operational, delivery, attempts, first_try, next_try, delivery_status, delivery_error
    FROM outbox;
INSERT INTO waits_v3 SELECT id, person, campaign, path, wake_at, depth, context FROM waits;
INSERT INTO inputs_v3 SELECT seq, at, source, line, body FROM inputs;
INSERT INTO queue_v3 SELECT seq, activity, chain FROM queue;
INSERT INTO runs_v3 (id, campaign, at) SELECT id, campaign, at FROM runs;
DROP TABLE activities;
DROP TABLE outbox;
DROP TABLE waits;
DROP TABLE inputs;
DROP TABLE queue;
DROP TABLE runs;
DROP TABLE run_members;
ALTER TABLE activities_v3 RENAME TO activities;
ALTER TABLE outbox_v3 RENAME TO outbox;
ALTER TABLE waits_v3 RENAME TO waits;
ALTER TABLE inputs_v3 RENAME TO inputs;
ALTER TABLE queue_v3 RENAME TO queue;
ALTER TABLE runs_v3 RENAME TO runs;
ALTER TABLE run_members_v3 RENAME TO run_members;
CREATE INDEX activities_history ON activities (person, type, primary_value, at);
CREATE INDEX activities_campaign ON activities (campaign) WHERE campaign IS NOT NULL;
CREATE INDEX outbox_person ON outbox (person, at);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivery IN ('pending', 'retrying');
CREATE INDEX waits_due ON waits (wake_at, id);
CREATE INDEX waits_person ON waits (person, campaign);
CREATE INDEX inputs_due ON inputs (at, seq);
"#;

/// Activities copied per statement by migration 3; a log longer than this reports progress.
const V3_CHUNK: i64 = 250_000;

/// Migration 3 (see the module's documentation), saying how far it has got on standard error
/// for a large log.
fn v3(conn: &Connection, path: &str) -> Result<()> {
    v3_by(conn, path, V3_CHUNK, &mut |line| eprintln!("{line}"))
}

/// Migration 3, copying the log `chunk` activities at a time and telling `progress` after each
/// chunk when there is more than one. A store that already has `names` (a store of this layout
/// whose version was set back) is left as it is.
fn v3_by(
    conn: &Connection,
    path: &str,
    chunk: i64,
    progress: &mut dyn FnMut(String),
) -> Result<()> {
    let done: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'names'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if done.is_some() {
        return Ok(());
    }
    let (first, last): (i64, i64) = conn.query_row(
        "SELECT coalesce(min(id), 1), coalesce(max(id), 0) FROM activities",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let total = last - first + 1;
    let report = total > chunk;
    if report {
        progress(format!(
            "upgrading `{path}` to this version's activity log ({total} activities, once)"
        ));
    }
    conn.execute_batch(V3_TABLES)?;
    let mut copy = conn.prepare(V3_COPY_ACTIVITIES)?;
    let mut from = first - 1;
    while from < last {
        let to = from.saturating_add(chunk).min(last);
        copy.execute([from, to])?;
        from = to;
        if report {
            progress(format!(
                "upgrading `{path}`: {} of {total} activities",
                to - first + 1
            ));
        }
    }
    drop(copy);
    copy_run_members(conn)?;
    conn.execute_batch(V3_FINISH)?;
    if report {
        progress(format!("upgraded `{path}`"));
    }
    Ok(())
}

/// The members of unfinished runs, packed as [`super::runs`] keeps them: consecutive
/// positions to a row.
fn copy_run_members(conn: &Connection) -> Result<()> {
    let mut read = conn.prepare("SELECT run, ord, person FROM run_members ORDER BY run, ord")?;
    let mut write =
        conn.prepare("INSERT INTO run_members_v3 (run, first, n, people) VALUES (?1, ?2, ?3, ?4)")?;
    let mut flush = |group: &mut Option<(i64, i64, Vec<i64>)>| -> Result<()> {
        if let Some((run, first, ids)) = group.take() {
            write.execute(rusqlite::params![
                run,
                first,
                ids.len() as i64,
                crate::store::layout::pack(&ids)
            ])?;
        }
        Ok(())
    };
    let mut group: Option<(i64, i64, Vec<i64>)> = None;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let (run, ord, person): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let follows = group.as_ref().is_some_and(|(g, first, ids)| {
            *g == run
                && *first + ids.len() as i64 == ord
                && ids.len() < crate::store::layout::MEMBERS_PER_ROW
        });
        if !follows {
            flush(&mut group)?;
            group = Some((run, ord, Vec::new()));
        }
        if let Some((_, _, ids)) = group.as_mut() {
            ids.push(person);
        }
    }
    flush(&mut group)
}

/// Applies the migrations `conn` lacks, each in its own transaction; refuses a store written
/// by a newer camp.
pub(super) fn migrate(conn: &Connection, path: &str) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() as i64 {
        return Err(not_camp(path, "it was written by a newer version of camp"));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        match m {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Code(f) => f(&tx, path)?,
        }
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
            i + 1
        ))?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store of schema version 2 holding `n` activities in the old layout.
    fn v2_store(n: i64) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(V2).unwrap();
        conn.execute_batch("PRAGMA user_version = 2").unwrap();
        for i in 1..=n {
            conn.execute(
                "INSERT INTO activities (at, person, email, campaign, step, type, primary_value,
                     attributes, result, reason, depth)
                 VALUES (?1, 1, 'a@example.com', 'Blast', '1', 'send_email', 'Offer', '{}',
                     ?2, NULL, 0)",
                rusqlite::params![i, if i % 2 == 0 { "succeeded" } else { "skipped" }],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn a_large_log_is_copied_in_chunks_with_a_line_per_chunk() {
        let conn = v2_store(5);
        let mut lines = Vec::new();
        let tx = conn.unchecked_transaction().unwrap();
        v3_by(&tx, "big.db", 2, &mut |l| lines.push(l)).unwrap();
        tx.commit().unwrap();
        assert_eq!(
            lines,
            [
                "upgrading `big.db` to this version's activity log (5 activities, once)",
                "upgrading `big.db`: 2 of 5 activities",
                "upgrading `big.db`: 4 of 5 activities",
                "upgrading `big.db`: 5 of 5 activities",
                "upgraded `big.db`",
            ]
        );
        let rows: Vec<(i64, i64, String, String)> = conn
            .prepare(
                "SELECT a.id, a.result, t.name, p.name FROM activities a
                 JOIN names t ON t.id = a.type JOIN names p ON p.id = a.primary_value ORDER BY a.id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(rows.len(), 5);
        assert!(rows
            .iter()
            .all(|(id, result, t, p)| *result == i64::from(id % 2 != 0)
                && t == "send_email"
                && p == "Offer"));
    }

    #[test]
    fn a_small_log_is_upgraded_without_a_word() {
        let conn = v2_store(3);
        let mut lines = Vec::new();
        v3_by(&conn, "small.db", 10, &mut |l| lines.push(l)).unwrap();
        assert!(lines.is_empty(), "{lines:?}");
    }

    #[test]
    fn a_store_already_in_this_layout_is_left_as_it_is() {
        let conn = v2_store(1);
        v3_by(&conn, "t.db", 10, &mut |_| {}).unwrap();
        conn.execute_batch("INSERT INTO names (name) VALUES ('kept')")
            .unwrap();
        v3_by(&conn, "t.db", 10, &mut |_| {}).unwrap();
        let kept: i64 = conn
            .query_row("SELECT count(*) FROM names WHERE name = 'kept'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(kept, 1);
    }

    #[test]
    fn the_members_left_in_an_unfinished_run_are_kept_in_order() {
        use crate::store::Store;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").display().to_string();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(V1).unwrap();
            conn.execute_batch(V2).unwrap();
            conn.execute_batch(&format!(
                "PRAGMA user_version = 2; PRAGMA application_id = {APPLICATION_ID};
                 INSERT INTO runs (id, campaign, at) VALUES (7, 'Blast', 100);"
            ))
            .unwrap();
            // Members 0 to 4 were processed (and removed) before the upgrade.
            let tx = conn.unchecked_transaction().unwrap();
            for ord in 5..2_100i64 {
                conn.execute(
                    "INSERT INTO run_members (run, ord, person) VALUES (7, ?1, ?2)",
                    [ord, 10 * ord],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        let store = super::super::SqliteStore::open(&path).unwrap();
        let run = store.open_run().unwrap().unwrap();
        assert_eq!((run.id, run.campaign.as_str(), run.at), (7, "Blast", 100));
        let members = store.run_members(7, u32::MAX).unwrap();
        assert_eq!(
            members,
            (5..2_100i64).map(|o| (o, 10 * o)).collect::<Vec<_>>()
        );
    }
}
