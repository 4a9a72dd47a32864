//! Crash safety (LANGUAGE.md 9.7): `camp run` killed with SIGKILL at pseudo-random instants and
//! started again ends with the same log and outbox as one uninterrupted run: no step lost, none
//! performed twice, no duplicate outbox rows, no lost waits.
//!
//! The scenario: a few thousand people created by events, a trigger campaign with a wait and two
//! sends, a trigger campaign with a filter, a score cascade with an alert, and a daily batch
//! campaign with a wait. Each round sets up a fresh store B (not killed), then repeatedly runs
//! `camp run ... --db B` and kills it after a delay, until a run finishes on its own; then B is
//! compared with the reference store A. Rounds go on until at least [`MIN_KILLS`] kills.
//! `bench/crash.sh` is the long version.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use camp::store::sqlite::SqliteStore;
use camp::store::{LogQuery, Store};

const MIN_KILLS: u32 = 50;
const PEOPLE: usize = 1500;
/// Units of work per transaction in the runs that get killed.
const KILLED_CHUNK: &str = "256";
/// Stop starting new rounds after this long (the test still needs [`MIN_KILLS`]).
const BUDGET: Duration = Duration::from_secs(45);

pub const SCRIPT: &str = r#"
schema person { first_name: text  state: text }
list "Engaged"
page "Pricing"
email "Welcome" { subject "Welcome {{person.first_name}}" body "<p>Hi {{person.first_name}}</p>" }
email "Followup" { subject "Still there, {{person.first_name}}?" body "<p>Hello</p>" }
email "Offer" { subject "Offer for {{person.first_name}}" body "<p>Offer</p>" }

campaign "Welcome new" {
  smart list { trigger person is created }
  flow {
    send email "Welcome"
    wait 1 day
    send email "Followup"
    add to list "Engaged"
  }
}
campaign "Pricing" {
  smart list {
    trigger visits page "Pricing"
    filter state is "CA"
  }
  flow {
    change score by 5
    wait 2 hours
    send email "Followup"
  }
  qualify every time
}
campaign "Hot" {
  smart list {
    trigger score is changed
    filter score at least 10
  }
  flow {
    add to list "Engaged"
    send alert "Offer" to "sales@example.com"
  }
}
campaign "Daily offer" {
  smart list { filter member of list "Engaged" }
  flow {
    send email "Offer"
    wait 1 day
    change score by 1
  }
  run every day at 09:00 from 2026-12-02 until 2026-12-03
  qualify every time
}
"#;

pub const FROM: &str = "2026-12-01T00:00:00Z";
pub const UNTIL: &str = "2026-12-05T00:00:00Z";

/// Events: everyone created in the morning, Californians visiting Pricing twice.
pub fn events(people: usize) -> String {
    let mut out = String::new();
    let states = ["CA", "NY", "TX"];
    for i in 0..people {
        let (h, m, s) = (1 + i / 3600, (i / 60) % 60, i % 60);
        out.push_str(&format!(
            "{{\"at\":\"2026-12-01T{h:02}:{m:02}:{s:02}Z\",\"type\":\"person_created\",\"person\":{{\"email\":\"p{i}@example.com\",\"first_name\":\"P{i}\",\"state\":\"{}\"}}}}\n",
            states[i % 3]
        ));
    }
    for visit in 0..2 {
        for i in (0..people).step_by(3) {
            let (h, m, s) = (12 + visit * 3 + i / 3600, (i / 60) % 60, i % 60);
            out.push_str(&format!(
                "{{\"at\":\"2026-12-01T{h:02}:{m:02}:{s:02}Z\",\"type\":\"visits_page\",\"person\":\"p{i}@example.com\",\"page\":\"Pricing\"}}\n"
            ));
        }
    }
    out
}

fn camp() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_camp"));
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Creates a store at `db`: the clock at FROM and every event pending; nothing run yet.
fn setup(dir: &Path, db: &str) {
    let out = camp()
        .arg("run")
        .arg(dir.join("crash.camp"))
        .args(["--db", db, "--events"])
        .arg(dir.join("events.jsonl"))
        .args(["--from", FROM, "--until", FROM, "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_cmd(dir: &Path, db: &str) -> Command {
    let mut c = camp();
    c.arg("run")
        .arg(dir.join("crash.camp"))
        .args(["--db", db, "--until", UNTIL, "-q"]);
    c
}

/// xorshift64*: deterministic pseudo-random numbers.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What must survive crashes: the log and outbox without ids (keys checked unique), the waits.
#[derive(Debug, PartialEq)]
struct State {
    log: Vec<String>,
    outbox: Vec<String>,
    waits: Vec<String>,
    clock: Option<i64>,
}

fn state(db: &str) -> State {
    let store = SqliteStore::open(db).unwrap();
    let log = store
        .log(&LogQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| {
            format!(
                "{} {} {:?} {:?} {:?} {} {:?} {} {} {:?} {}",
                a.at,
                a.person,
                a.email,
                a.campaign,
                a.step,
                a.kind,
                a.primary,
                a.attributes,
                a.outcome.as_str(),
                a.reason,
                a.depth
            )
        })
        .collect();
    let rows = store.outbox().unwrap();
    let keys: HashSet<&str> = rows.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys.len(), rows.len(), "outbox keys are unique");
    let outbox = rows
        .iter()
        .map(|o| {
            format!(
                "{} {} {} {} {} {} {:?} {} {}",
                o.at, o.person, o.to, o.email, o.subject, o.body, o.campaign, o.kind, o.operational
            )
        })
        .collect();
    let waits = store
        .waits()
        .unwrap()
        .into_iter()
        .map(|w| {
            format!(
                "{} {} {} {} {} {}",
                w.person, w.campaign, w.path, w.wake_at, w.depth, w.context
            )
        })
        .collect();
    State {
        log,
        outbox,
        waits,
        clock: store.clock().unwrap(),
    }
}

/// Every parked wait either woke or is still in the table.
fn no_wait_lost(db: &str) {
    let store = SqliteStore::open(db).unwrap();
    let log = store.log(&LogQuery::default()).unwrap();
    let parked = log
        .iter()
        .filter(|a| {
            a.kind == "wait"
                && a.attributes["until"].as_str().is_some_and(|u| {
                    chrono::DateTime::parse_from_rfc3339(u).unwrap().timestamp() > a.at
                })
        })
        .count();
    let woke = log.iter().filter(|a| a.kind == "wake").count();
    let pending = store.waits().unwrap().len();
    assert_eq!(parked, woke + pending, "parked = woke + still waiting");
}

#[test]
fn killed_runs_end_like_one_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("crash.camp"), SCRIPT).unwrap();
    std::fs::write(dir.path().join("events.jsonl"), events(PEOPLE)).unwrap();
    let a = dir.path().join("a.db").display().to_string();
    setup(dir.path(), &a);
    let started = Instant::now();
    let out = run_cmd(dir.path(), &a).output().unwrap();
    let reference_ms = started.elapsed().as_millis() as u64;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = state(&a);
    no_wait_lost(&a);
    assert!(
        want.log.len() > 10_000,
        "a large enough run: {}",
        want.log.len()
    );
    assert!(want.outbox.len() > 3_000);

    // How long a run takes that has nothing to do (start-up).
    let started = Instant::now();
    assert!(run_cmd(dir.path(), &a).status().unwrap().success());
    let startup_ms = started.elapsed().as_millis() as u64;
    assert_eq!(state(&a), want, "a second run does nothing");

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut kills = 0u32;
    let test_start = Instant::now();
    let mut round = 0;
    while kills < MIN_KILLS || round == 0 {
        assert!(
            test_start.elapsed() < BUDGET * 2,
            "too slow: {kills} kills after {round} rounds"
        );
        round += 1;
        let b = dir
            .path()
            .join(format!("b{round}.db"))
            .display()
            .to_string();
        setup(dir.path(), &b);
        // Kill until a run finishes by itself (or, past the budget, finish it).
        loop {
            // Killed runs commit in small chunks (many commit points to be killed between),
            // the reference run in the default ones: chunking never shows in the result.
            let mut child = run_cmd(dir.path(), &b)
                .env("CAMP_COMMIT_EVERY", KILLED_CHUNK)
                .spawn()
                .unwrap();
            let span = (reference_ms / 6).max(20);
            let delay = startup_ms / 2 + rng.below(span + startup_ms);
            std::thread::sleep(Duration::from_millis(delay));
            match child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success(), "an unkilled run succeeds");
                    break;
                }
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                }
            }
            if test_start.elapsed() > BUDGET && kills >= MIN_KILLS {
                let out = run_cmd(dir.path(), &b).output().unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                break;
            }
        }
        let got = state(&b);
        assert_eq!(got.clock, want.clock, "round {round}");
        for (i, (g, w)) in got.log.iter().zip(&want.log).enumerate() {
            assert_eq!(g, w, "round {round}: activity {i}");
        }
        assert_eq!(got.log.len(), want.log.len(), "round {round}: log length");
        assert_eq!(got.outbox, want.outbox, "round {round}: outbox");
        assert_eq!(got.waits, want.waits, "round {round}: waits");
        no_wait_lost(&b);
        eprintln!("round {round}: {kills} kills so far");
    }
    eprintln!(
        "{kills} kills in {round} rounds; reference run {reference_ms} ms, start-up {startup_ms} ms, {} activities",
        want.log.len()
    );
}
