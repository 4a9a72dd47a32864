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
    engine.run_until(t0 + 86_400).unwrap();
    let ran = start.elapsed();
    let cpu2 = cpu_ns();
    drop(engine);
    let activities = rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM activities", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as u64;
    Timing {
        read,
        store: stored,
        run: ran,
        cpu: Duration::from_nanos(cpu2 - cpu0),
        run_cpu: Duration::from_nanos(cpu2 - cpu1),
        activities,
    }
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
