//! Delivery throughput (LANGUAGE.md 13.3): 10,000 emails from a file store to an SMTP sink on
//! loopback over the deliverer's connection pool, each outcome committed with its
//! `email_delivered` activity and dispatched. Goal: at least 1,000 messages/s.
//!
//! `cargo bench --bench deliver` (`CAMP_BENCH_MESSAGES`, default 10,000). It measures once
//! and prints messages per second.

#[path = "../tests/support/servers.rs"]
mod servers;

use std::fmt::Write as _;
use std::time::Instant;

use camp::check::ir::Program;
use camp::deliver::{Deliverer, Target};
use camp::engine::inputs::parse_people_csv;
use camp::engine::run::Engine;
use camp::store::sqlite::SqliteStore;
use camp::workspace::Workspace;

const T0: i64 = 1_796_083_200; // 2026-12-01T00:00:00Z

const SCRIPT: &str = r#"
settings { from "Acme News <news@acme.example>" }
schema person { first_name: text }
email "Welcome" {
  subject "Welcome, {{person.first_name}}"
  body "<p>Hello {{person.first_name}},</p><p>see <a href=\"https://acme.example/start\">how to start</a>.</p>"
}
trigger campaign "Greet" {
  smart list { trigger person is created }
  flow { send email "Welcome" }
}
trigger campaign "Delivered" {
  smart list { trigger email is delivered "Welcome" }
  flow { change score by 1 }
}
"#;

fn program() -> Program {
    let mut ws = Workspace::new();
    ws.add_text("bench.camp", SCRIPT.to_string());
    camp::check::check_workspace(&ws)
        .program
        .expect("bench script checks")
}

fn main() {
    let n: usize = std::env::var("CAMP_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let sink = servers::SmtpServer::start();
    let program = program();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let mut store = SqliteStore::open(db.to_str().unwrap()).unwrap();
    let mut engine = Engine::new(&program, &mut store).unwrap();
    let mut csv = String::from("email,first_name\n");
    for i in 0..n {
        writeln!(csv, "p{i}@mail{}.example,P{i}", i % 50).unwrap();
    }
    let records = parse_people_csv(&program, "people.csv", csv.as_bytes()).unwrap();
    let clock = engine.clock_or_start(T0).unwrap();
    engine.import_people(&records, clock).unwrap();
    engine.run_until(T0).unwrap();

    let mut deliverer = Deliverer::new(&program, Target::Smtp(sink.url.clone())).unwrap();
    let start = Instant::now();
    let summary = deliverer.deliver_due(&mut engine, T0).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(summary.delivered as usize, n);
    assert_eq!(sink.received().len(), n);
    println!(
        "deliver: {n} messages in {:.2} s: {:.0} messages/s (goal 1,000)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
}
