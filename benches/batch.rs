//! Batch throughput: N generated people (default 1,000,000; `CAMP_BENCH_PEOPLE`) through a
//! 3-step batch flow (send email, change score, add to list), against a hand-written rusqlite
//! loop that writes the same rows in the same chunks, in a plain layout (names as text, as
//! `PLAIN_LOG` says). Prints times, the ratio and peak memory.
//!
//! `cargo bench --bench batch`

use std::time::Instant;

use camp::engine::run::Engine;
use camp::store::sqlite::SqliteStore;
use camp::store::Store;
use camp::workspace::Workspace;
use rusqlite::params;

const SCRIPT: &str = r#"
schema person { first_name: text  state: text }
list "Engaged"
email "Offer" { subject "Hi {{person.first_name:default=friend}}" body "<p>Hello {{person.first_name}}</p>" }
campaign "Blast" {
  smart list { filter state is "CA" }
  flow {
    send email "Offer"
    change score by 10
    add to list "Engaged"
  }
}
"#;

const T0: i64 = 1_795_000_000;

/// The plain layout the hand-written loop writes: the log of `support/plain_log.sql` (names as
/// text, `AUTOINCREMENT` ids), and the tables this loop also writes in the same plain way.
const PLAIN_LOG: &str = concat!(
    include_str!("support/plain_log.sql"),
    r#"
DROP TABLE outbox;
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, person INTEGER NOT NULL,
    recipient TEXT NOT NULL, email TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    campaign TEXT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, operational INTEGER NOT NULL,
    delivery TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    first_try INTEGER, next_try INTEGER, delivery_status INTEGER, delivery_error TEXT
);
CREATE INDEX outbox_person ON outbox (person, at);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivery IN ('pending', 'retrying');
"#
);

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn people(conn: &rusqlite::Connection, n: u64) {
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut stmt = conn
            .prepare("INSERT INTO people (email, created_at, updated_at, f_first_name, f_state) VALUES (?1, ?2, ?2, ?3, 'CA')")
            .unwrap();
        for i in 0..n {
            stmt.execute(params![format!("p{i}@example.com"), T0, format!("P{i}")])
                .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
}

fn db_path(name: &str) -> String {
    let dir = std::env::temp_dir().join("camp-bench");
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
    }
    p.display().to_string()
}

fn main() {
    let n: u64 = std::env::var("CAMP_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut ws = Workspace::new();
    ws.add_text("bench.camp", SCRIPT.to_string());
    let program = camp::check::check_workspace(&ws)
        .program
        .expect("bench script checks");
    let cid = program.campaign("Blast").unwrap();

    // The engine.
    let path = db_path("engine.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store.prepare(&program).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        people(&conn, n);
    }
    let start = Instant::now();
    {
        let mut engine = Engine::new(&program, &mut store).unwrap();
        engine.clock_or_start(T0).unwrap();
        engine.run_batch_now(cid, T0).unwrap();
        engine.flush().unwrap();
    }
    let engine_secs = start.elapsed().as_secs_f64();
    let engine_rss = peak_rss_mib();
    let outbox = store.outbox().map(|o| o.len()).unwrap_or(0);
    assert_eq!(outbox as u64, n, "every person was sent the email");
    drop(store);

    // The hand-written loop: the same rows, prepared statements, the same chunking.
    let path = db_path("baseline.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store.prepare(&program).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // The store's own settings: WAL, NORMAL sync, a 64 MiB page cache.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
    )
    .unwrap();
    conn.execute_batch(PLAIN_LOG).unwrap();
    people(&conn, n);
    let start = Instant::now();
    {
        let ids: Vec<(i64, String, String)> = {
            let mut stmt = conn
                .prepare("SELECT id, email, f_first_name FROM people WHERE lower(f_state) = 'ca' ORDER BY id")
                .unwrap();
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap();
            rows.map(Result::unwrap).collect()
        };
        let mut act = conn.prepare_cached(
            "INSERT INTO activities (at, person, email, campaign, step, type, primary_value, attributes, result, reason, depth) VALUES (?1, ?2, ?3, 'Blast', ?4, ?5, ?6, ?7, 'succeeded', NULL, ?8)").unwrap();
        let mut out = conn.prepare_cached(
            "INSERT INTO outbox (at, person, recipient, email, subject, body, campaign, key, kind, operational) VALUES (?1, ?2, ?3, 'Offer', ?4, ?5, 'Blast', ?6, 'email', 0)").unwrap();
        let mut score = conn
            .prepare_cached("UPDATE people SET score = score + 10, updated_at = ?1 WHERE id = ?2")
            .unwrap();
        let mut list = conn.prepare_cached("INSERT OR IGNORE INTO list_members (list, person, added_at) VALUES ('Engaged', ?1, ?2)").unwrap();
        let mut member = conn.prepare_cached("INSERT INTO campaign_members (campaign, person, since, last_entered) VALUES ('Blast', ?1, ?2, ?2) ON CONFLICT DO UPDATE SET last_entered = excluded.last_entered").unwrap();
        conn.execute_batch("BEGIN").unwrap();
        for (i, (id, email, first)) in ids.iter().enumerate() {
            // The engine's chunk: 4,096 people per transaction.
            if i > 0 && i % 4096 == 0 {
                conn.execute_batch("COMMIT; BEGIN").unwrap();
            }
            member.execute(params![id, T0]).unwrap();
            act.execute(params![
                T0,
                id,
                email,
                None::<String>,
                "enter_flow",
                None::<String>,
                "{}",
                0
            ])
            .unwrap();
            let subject = format!("Hi {first}");
            act.execute(params![
                T0,
                id,
                email,
                "1",
                "send_email",
                "Offer",
                format!("{{\"to\":\"{email}\",\"subject\":\"{subject}\",\"operational\":false}}"),
                1
            ])
            .unwrap();
            let key = format!("email-{}", conn.last_insert_rowid());
            out.execute(params![
                T0,
                id,
                email,
                subject,
                format!("<p>Hello {first}</p>"),
                key
            ])
            .unwrap();
            score.execute(params![T0, id]).unwrap();
            act.execute(params![
                T0,
                id,
                email,
                "2",
                "change_score",
                "score",
                "{\"old\":0,\"new\":10,\"source\":\"flow\",\"delta\":10}",
                1
            ])
            .unwrap();
            list.execute(params![id, T0]).unwrap();
            act.execute(params![
                T0,
                id,
                email,
                "3",
                "add_to_list",
                "Engaged",
                "{}",
                1
            ])
            .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }
    let base_secs = start.elapsed().as_secs_f64();

    println!("batch: {n} people through a 3-step flow");
    println!(
        "  engine:       {engine_secs:8.2} s  ({:.0} people/s)",
        n as f64 / engine_secs
    );
    println!(
        "  rusqlite loop:{base_secs:8.2} s  ({:.0} people/s)",
        n as f64 / base_secs
    );
    println!("  ratio:        {:8.2}x", engine_secs / base_secs);
    println!("  peak memory:  {engine_rss:8.1} MiB (after the engine run)");
}
