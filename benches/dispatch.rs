//! Trigger dispatch (LANGUAGE.md 9.4): events per second end to end, and the cost of one event
//! as the number of active trigger campaigns that cannot match it grows.
//!
//! 1. End to end: 1,000 active trigger campaigns, each listening to a different page or form,
//!    plus 3 that listen to "Pricing"; a stream of `visits_page` events (one in ten to
//!    "Pricing", the rest to pages some campaign listens to) read, validated, stored and run
//!    through a file store. Goal: at least 100,000 events/s.
//! 2. Dispatch cost: the same stream of `visits_page` events to "Pricing", which none of 10,
//!    100, 1,000 or 10,000 active campaigns listens to (they listen to other pages). Goal: the
//!    cost per event at 10,000 campaigns at most 1.5 times the cost at 10.
//!
//! 3. Baseline for 1: a hand-written rusqlite loop over the same file writes the same rows
//!    (the pending inputs, then per event its removal, the `visit_page` activity, and per
//!    matching campaign the membership and the `enter_flow` and `interesting_moment`
//!    activities), with the store's settings and chunks, in a plain layout (names as text, as
//!    `PLAIN_LOG` says): what SQLite alone costs on this machine for the log the contract asks
//!    for.
//!
//! `cargo bench --bench dispatch` (`CAMP_BENCH_EVENTS`, default 100,000 events).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use camp::check::ir::Program;
use camp::engine::events::read_events;
use camp::engine::inputs::parse_people_csv;
use camp::engine::run::Engine;
use camp::store::sqlite::SqliteStore;
use camp::workspace::Workspace;

const PEOPLE: usize = 1_000;
const T0: &str = "2026-12-01T00:00:00Z";

/// The plain layout the hand-written loop writes: the log of `support/plain_log.sql` (names as
/// text, `AUTOINCREMENT` ids), and the tables this loop also writes in the same plain way.
const PLAIN_LOG: &str = concat!(
    include_str!("support/plain_log.sql"),
    r#"
DROP TABLE inputs;
CREATE TABLE inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, source TEXT NOT NULL,
    line INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX inputs_due ON inputs (at, seq);
"#
);

fn program(text: String) -> Program {
    let mut ws = Workspace::new();
    ws.add_text("bench.camp", text);
    camp::check::check_workspace(&ws)
        .program
        .expect("bench script checks")
}

/// `n` campaigns listening to pages `Page i` (even i) and forms `Form i` (odd i), each logging
/// an interesting moment; plus `matching` campaigns listening to "Pricing".
fn script(n: usize, matching: usize) -> String {
    let mut s = String::from("page \"Pricing\"\n");
    for i in 0..n {
        if i % 2 == 0 {
            writeln!(s, "page \"Page {i}\"").unwrap();
        } else {
            writeln!(s, "form \"Form {i}\"").unwrap();
        }
    }
    for i in 0..n {
        let trigger = if i % 2 == 0 {
            format!("visits page \"Page {i}\"")
        } else {
            format!("fills out form \"Form {i}\"")
        };
        writeln!(
            s,
            "campaign \"C{i}\" {{\n  smart list {{ trigger {trigger} }}\n  flow {{ interesting moment \"c{i}\" }}\n  qualify every time\n}}"
        )
        .unwrap();
    }
    for i in 0..matching {
        writeln!(
            s,
            "campaign \"Pricing {i}\" {{\n  smart list {{ trigger visits page \"Pricing\" }}\n  flow {{ interesting moment \"pricing\" }}\n  qualify every time\n}}"
        )
        .unwrap();
    }
    s
}

/// `n` visits: to `page(i)` for event i, one second apart from T0 + 1 minute.
fn events(n: usize, page: impl Fn(usize) -> String) -> String {
    let t0 = chrono::DateTime::parse_from_rfc3339(T0)
        .unwrap()
        .timestamp()
        + 60;
    let mut out = String::with_capacity(n * 110);
    for i in 0..n {
        let at = chrono::DateTime::from_timestamp(t0 + i as i64, 0).unwrap();
        writeln!(
            out,
            "{{\"at\":\"{}\",\"type\":\"visits_page\",\"person\":{},\"page\":\"{}\"}}",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            1 + i % PEOPLE,
            page(i)
        )
        .unwrap();
    }
    out
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

/// Nanoseconds this thread has spent on a CPU (Linux; 0 elsewhere): on a shared machine wall
/// time overstates the cost, so the report gives both.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

struct Timing {
    read: Duration,
    store: Duration,
    run: Duration,
    /// CPU time of read + store + run.
    cpu: Duration,
    /// CPU time of the run alone.
    run_cpu: Duration,
    activities: u64,
}

impl Timing {
    fn total(&self) -> Duration {
        self.read + self.store + self.run
    }
}

/// Imports the people, then reads, stores and runs `events`.
fn run(program: &Program, db: &str, events: &str) -> Timing {
    let mut store = SqliteStore::open(db).unwrap();
    let mut engine = Engine::new(program, &mut store).unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339(T0)
        .unwrap()
        .timestamp();
    let clock = engine.clock_or_start(t0).unwrap();
    let mut csv = String::from("email\n");
    for i in 0..PEOPLE {
        writeln!(csv, "p{i}@example.com").unwrap();
    }
    let records = parse_people_csv(program, "people.csv", csv.as_bytes()).unwrap();
    engine.import_people(&records, clock).unwrap();
    engine.run_until(clock).unwrap();

    let cpu0 = cpu_ns();
    let start = Instant::now();
    let parsed = read_events(program, "events.jsonl", events).unwrap();
    let read = start.elapsed();
    let start = Instant::now();
    engine.add_events("events.jsonl", &parsed, clock).unwrap();
    engine.flush().unwrap();
    let stored = start.elapsed();
    let cpu1 = cpu_ns();
    let start = Instant::now();
    // Past the last event (one a second from T0 + 1 minute).
    let last = parsed
        .iter()
        .map(|(e, _)| e.at.timestamp())
        .max()
        .unwrap_or(t0);
    engine.run_until(last.max(t0) + 1).unwrap();
    let ran = start.elapsed();
    let cpu2 = cpu_ns();
    drop(engine);
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    let activities = count("SELECT count(*) FROM activities");
    assert_eq!(
        count("SELECT count(*) FROM activities a JOIN names t ON t.id = a.type WHERE t.name = 'visit_page'"),
        parsed.len() as u64,
        "every event ran"
    );
    Timing {
        read,
        store: stored,
        run: ran,
        cpu: Duration::from_nanos(cpu2 - cpu0),
        run_cpu: Duration::from_nanos(cpu2 - cpu1),
        activities,
    }
}

/// The hand-written loop of benchmark 3: returns its time (reading, storing and running, as
/// [`Timing::total`]) and the activities it wrote.
fn baseline(db: &str, program: &Program, events: &str) -> (f64, u64) {
    use rusqlite::params;
    use std::collections::HashMap;

    // The store's tables and settings, and the same people.
    let mut store = SqliteStore::open(db).unwrap();
    camp::store::Store::prepare(&mut store, program).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
    )
    .unwrap();
    conn.execute_batch(PLAIN_LOG).unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339(T0)
        .unwrap()
        .timestamp();
    conn.execute_batch("BEGIN").unwrap();
    for i in 0..PEOPLE {
        conn.execute(
            "INSERT INTO people (email, created_at, updated_at) VALUES (?1, ?2, ?2)",
            params![format!("p{i}@example.com"), t0],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    // Which campaigns listen to which page, as the script says.
    let mut listeners: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for i in (0..1_000).step_by(2) {
        listeners
            .entry(format!("Page {i}"))
            .or_default()
            .push((format!("C{i}"), format!("c{i}")));
    }
    for i in 0..3 {
        listeners
            .entry("Pricing".into())
            .or_default()
            .push((format!("Pricing {i}"), "pricing".into()));
    }

    let start = Instant::now();
    // Read and store the file.
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut insert = conn
            .prepare_cached("INSERT INTO inputs (at, source, line, body) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        for (i, line) in events.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let at = chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap())
                .unwrap()
                .timestamp();
            insert
                .execute(params![at, "events.jsonl", i as i64 + 1, line])
                .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    // Run it: each input's removal and the rows it causes, 4,096 inputs a transaction.
    let mut activity = conn
        .prepare_cached(
            "INSERT INTO activities (at, person, email, campaign, step, type, primary_value, attributes, result, reason, depth)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'succeeded', NULL, ?9)",
        )
        .unwrap();
    let mut member = conn
        .prepare_cached(
            "INSERT INTO campaign_members (campaign, person, since, last_entered) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (campaign, person) DO UPDATE SET last_entered = excluded.last_entered",
        )
        .unwrap();
    let mut person = conn
        .prepare_cached("SELECT email FROM people WHERE id = ?1")
        .unwrap();
    let mut delete = conn
        .prepare_cached("DELETE FROM inputs WHERE seq = ?1")
        .unwrap();
    let mut next = conn
        .prepare_cached("SELECT seq, at, body FROM inputs ORDER BY at, seq LIMIT 4096")
        .unwrap();
    let mut rows = 0u64;
    loop {
        conn.execute_batch("BEGIN").unwrap();
        let chunk: Vec<(i64, i64, String)> = next
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        if chunk.is_empty() {
            conn.execute_batch("COMMIT").unwrap();
            break;
        }
        for (seq, at, body) in chunk {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let who = v["person"].as_i64().unwrap();
            let page = v["page"].as_str().unwrap();
            delete.execute([seq]).unwrap();
            let email: String = person.query_row([who], |r| r.get(0)).unwrap();
            let attrs = serde_json::json!({ "page": page }).to_string();
            activity
                .execute(params![
                    at,
                    who,
                    email,
                    None::<&str>,
                    None::<&str>,
                    "visit_page",
                    page,
                    attrs,
                    0
                ])
                .unwrap();
            rows += 1;
            for (campaign, moment) in listeners.get(page).into_iter().flatten() {
                member.execute(params![campaign, who, at]).unwrap();
                activity
                    .execute(params![
                        at,
                        who,
                        email,
                        campaign,
                        None::<&str>,
                        "enter_flow",
                        None::<&str>,
                        "{}",
                        0
                    ])
                    .unwrap();
                activity
                    .execute(params![
                        at,
                        who,
                        email,
                        campaign,
                        "1",
                        "interesting_moment",
                        moment,
                        "{}",
                        1
                    ])
                    .unwrap();
                rows += 2;
            }
        }
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('clock', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [t0.to_string()],
        )
        .unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
    (start.elapsed().as_secs_f64(), rows)
}

fn main() {
    let n: usize = std::env::var("CAMP_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);

    // 1. End to end.
    let p = program(script(1_000, 3));
    let stream = events(n, |i| {
        if i % 10 == 0 {
            "Pricing".to_string()
        } else {
            format!("Page {}", (i * 2) % 1_000)
        }
    });
    let t = run(&p, &db_path("dispatch-e2e.db"), &stream);
    let secs = t.total().as_secs_f64();
    println!(
        "end to end, 1,000 + 3 campaigns: {n} events in {:.2} s = {:.0} events/s; CPU {:.2} s = {:.0} events/s (read {:.2} s, store {:.2} s, run {:.2} s; {} activities)",
        secs,
        n as f64 / secs,
        t.cpu.as_secs_f64(),
        n as f64 / t.cpu.as_secs_f64(),
        t.read.as_secs_f64(),
        t.store.as_secs_f64(),
        t.run.as_secs_f64(),
        t.activities
    );

    // 3. The hand-written loop writing the same rows.
    let (secs, rows) = baseline(&db_path("dispatch-baseline.db"), &p, &stream);
    println!(
        "hand-written rusqlite loop, same rows: {n} events in {secs:.2} s = {:.0} events/s ({rows} activities); camp/loop time {:.2}x",
        n as f64 / secs,
        t.total().as_secs_f64() / secs
    );

    // 2. Dispatch cost per event against campaigns that cannot match.
    let stream = events(n, |_| "Pricing".to_string());
    let mut costs = Vec::new();
    for campaigns in [10, 100, 1_000, 10_000] {
        let p = program(script(campaigns, 0));
        let t = run(&p, &db_path(&format!("dispatch-{campaigns}.db")), &stream);
        let per_event = t.run.as_secs_f64() * 1e6 / n as f64;
        let total = t.total().as_secs_f64() * 1e6 / n as f64;
        let cpu = t.run_cpu.as_secs_f64() * 1e6 / n as f64;
        println!(
            "{campaigns:>6} campaigns that cannot match: run {per_event:.2} µs/event (CPU {cpu:.2} µs), end to end {total:.2} µs/event ({:.0} events/s)",
            1e6 / total
        );
        costs.push((per_event, cpu));
    }
    println!(
        "cost at 10,000 / cost at 10: {:.2} wall, {:.2} CPU (goal at most 1.5)",
        costs[3].0 / costs[0].0,
        costs[3].1 / costs[0].1
    );
}
