//! `camp serve` end to end, with the release binary on a loopback port (not run in CI):
//!
//! 1. events accepted over HTTP in bodies of 1,000 lines, from 4 clients for a few seconds
//!    (goal: at least 50,000 events/s), and how fast the runner then processes them;
//! 2. one-event POST latency, p50 and p99, while idle;
//! 3. the same while a batch run over `CAMP_BENCH_PEOPLE` people (default 1,000,000) is in
//!    progress (goal: p99 under 100 ms in both).
//!
//!   cargo bench --bench serve
//!   CAMP_BENCH_PEOPLE=200000 cargo bench --bench serve

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CAMP: &str = env!("CARGO_BIN_EXE_camp");
const CLIENTS: usize = 4;
const BODY_LINES: usize = 1000;
const KNOWN_PEOPLE: usize = 10_000;

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, script: &str) -> Server {
    let mut child = Command::new(CAMP)
        .current_dir(dir)
        .args([
            "serve",
            script,
            "--db",
            "camp.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("CAMP_API_KEYS")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("serve.log")).expect("a log file"))
        .spawn()
        .expect("camp serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address");
    let base = line.trim().trim_start_matches("listening on ").to_string();
    Server(child, base)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn people_csv(dir: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("people.csv")).unwrap());
    writeln!(f, "email").unwrap();
    for i in 0..n {
        writeln!(f, "p{i}@example.com").unwrap();
    }
}

fn visit(i: usize) -> String {
    format!(
        r#"{{"type":"visits_page","person":"p{}@example.com","page":"Pricing"}}"#,
        i % KNOWN_PEOPLE
    )
}

fn percentiles(mut v: Vec<Duration>) -> String {
    if v.is_empty() {
        return "no samples".to_string();
    }
    v.sort();
    let at = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} requests",
        at(50).as_secs_f64() * 1000.0,
        at(99).as_secs_f64() * 1000.0,
        v[v.len() - 1].as_secs_f64() * 1000.0,
        v.len()
    )
}

fn queue_depth(agent: &ureq::Agent, base: &str) -> u64 {
    let text = agent
        .get(format!("{base}/metrics"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("camp_queue_depth "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// One-event POSTs, one after another, until `stop` (or `max` of them).
fn latencies(base: &str, stop: &AtomicBool, max: usize) -> Vec<Duration> {
    let agent = agent();
    let mut out = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) && out.len() < max {
        let t = Instant::now();
        let r = agent.post(format!("{base}/v1/events")).send(visit(i));
        if r.is_ok_and(|r| r.status().as_u16() == 202) {
            out.push(t.elapsed());
        }
        i += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    out
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let people: usize = std::env::var("CAMP_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(
        dir.join("s.camp"),
        r#"
page "Pricing"
campaign "Pricing visit" {
  smart list { trigger visits page "Pricing" }
  flow { change score by 1 }
  qualify every time
}
"#,
    )
    .unwrap();
    people_csv(dir, KNOWN_PEOPLE);
    let ok = Command::new(CAMP)
        .current_dir(dir)
        .args(["import", "people.csv", "--db", "camp.db"])
        .status()
        .unwrap()
        .success();
    assert!(ok, "camp import");

    // 1. Throughput.
    let server = serve(dir, "s.camp");
    let base = server.1.clone();
    let body: String = (0..BODY_LINES).map(|i| visit(i) + "\n").collect();
    let accepted = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (base, body, accepted, stop) = (
                base.clone(),
                body.clone(),
                Arc::clone(&accepted),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::SeqCst) {
                    if let Ok(r) = agent.post(format!("{base}/v1/events")).send(&body) {
                        if r.status().as_u16() == 202 {
                            accepted.fetch_add(BODY_LINES as u64, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let posting = started.elapsed();
    let n = accepted.load(Ordering::SeqCst);
    let agent = agent();
    while queue_depth(&agent, &base) != 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let processed = started.elapsed();
    println!(
        "events over HTTP, bodies of {BODY_LINES} lines, {CLIENTS} clients: {n} accepted in {:.2} s = {:.0} events/s accepted; all processed after {:.2} s = {:.0} events/s end to end",
        posting.as_secs_f64(),
        n as f64 / posting.as_secs_f64(),
        processed.as_secs_f64(),
        n as f64 / processed.as_secs_f64()
    );

    // 2. Latency while idle.
    let idle = latencies(&base, &AtomicBool::new(false), 500);
    println!("one-event POST while idle: {}", percentiles(idle));
    drop(server);

    // 3. Latency during a large batch run.
    people_csv(dir, people);
    let t = Instant::now();
    let ok = Command::new(CAMP)
        .current_dir(dir)
        .args(["import", "people.csv", "--db", "camp.db"])
        .status()
        .unwrap()
        .success();
    assert!(ok, "camp import");
    println!(
        "imported {people} people in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let at = chrono::Utc::now().timestamp() + 3;
    let when = chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ");
    let script = std::fs::read_to_string(dir.join("s.camp")).unwrap()
        + &format!(
            "campaign \"Blast\" {{\n  smart list {{ filter email is not empty }}\n  flow {{ change score by 1 }}\n  run at {when}\n}}\n"
        );
    std::fs::write(dir.join("s.camp"), script).unwrap();
    let server = serve(dir, "s.camp");
    let base = server.1.clone();
    while chrono::Utc::now().timestamp() < at {
        std::thread::sleep(Duration::from_millis(10));
    }
    let run_started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (base, done) = (base.clone(), Arc::clone(&done));
        std::thread::spawn(move || latencies(&base, &done, usize::MAX))
    };
    let last = format!("{base}/v1/people/p{}@example.com", people - 1);
    let finished = loop {
        std::thread::sleep(Duration::from_millis(200));
        let score = agent
            .get(&last)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["score"].as_f64());
        if score.is_some_and(|s| s >= 1.0) {
            break run_started.elapsed();
        }
    };
    done.store(true, Ordering::SeqCst);
    let during = sampler.join().unwrap();
    println!(
        "batch run over {people} people: {:.1} s; one-event POST meanwhile: {}",
        finished.as_secs_f64(),
        percentiles(during)
    );
    drop(server);
}
