//! The crash test's scenario and machinery, shared by the tests that stop `camp run` at
//! pseudo-random instants (SIGKILL in `tests/crash.rs`, SIGTERM in `tests/signals.rs`) and
//! compare the result with one uninterrupted run.
//!
//! The scenario: a few thousand people created by events, a trigger campaign with a wait and two
//! sends, a trigger campaign with a filter, a score cascade with an alert, and a daily batch
//! campaign with a wait. `bench/crash.sh` reads [`SCRIPT`] from this file.

// Each including crate uses only part of it.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};

use camp::store::open::{open, Access, OpenStore};
use camp::store::{Activity, LogQuery, OutboxRow};

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

/// Events: everyone created from 01:00 on, one a second, Californians visiting Pricing twice
/// (from 12:00 and 15:00, one a second).
pub fn events(people: usize) -> String {
    let mut out = String::new();
    let states = ["CA", "NY", "TX"];
    let day = chrono::DateTime::parse_from_rfc3339(FROM)
        .unwrap()
        .timestamp();
    let at = |secs: i64| {
        chrono::DateTime::from_timestamp(day + secs, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    for i in 0..people {
        out.push_str(&format!(
            "{{\"at\":\"{}\",\"type\":\"person_created\",\"person\":{{\"email\":\"p{i}@example.com\",\"first_name\":\"P{i}\",\"state\":\"{}\"}}}}\n",
            at(3600 + i as i64),
            states[i % 3]
        ));
    }
    for visit in 0..2 {
        for i in (0..people).step_by(3) {
            out.push_str(&format!(
                "{{\"at\":\"{}\",\"type\":\"visits_page\",\"person\":\"p{i}@example.com\",\"page\":\"Pricing\"}}\n",
                at((12 + visit * 3) * 3600 + i as i64)
            ));
        }
    }
    out
}

pub fn camp() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_camp"));
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Writes the script and the events of `people` people into `dir`.
pub fn write_files(dir: &Path, people: usize) {
    std::fs::write(dir.join("crash.camp"), SCRIPT).unwrap();
    std::fs::write(dir.join("events.jsonl"), events(people)).unwrap();
}

/// Asserts that store `got` ended like the reference `want` (round `round`).
pub fn assert_same(got: &State, want: &State, round: u32) {
    assert_eq!(got.clock, want.clock, "round {round}");
    for (i, (g, w)) in got.log.iter().zip(&want.log).enumerate() {
        assert_eq!(g, w, "round {round}: activity {i}");
    }
    assert_eq!(got.log.len(), want.log.len(), "round {round}: log length");
    assert_eq!(got.outbox, want.outbox, "round {round}: outbox");
    assert_eq!(got.waits, want.waits, "round {round}: waits");
}

/// Creates a store at `db`: the clock at FROM and every event pending; nothing run yet.
pub fn setup(dir: &Path, db: &str) {
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

pub fn run_cmd(dir: &Path, db: &str) -> Command {
    let mut c = camp();
    c.arg("run")
        .arg(dir.join("crash.camp"))
        .args(["--db", db, "--until", UNTIL, "-q"]);
    c
}

/// xorshift64*: deterministic pseudo-random numbers.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What must survive crashes: the log and outbox without ids (keys checked unique), the waits.
#[derive(Debug, PartialEq)]
pub struct State {
    pub log: Vec<String>,
    pub outbox: Vec<String>,
    pub waits: Vec<String>,
    pub clock: Option<i64>,
}

/// An activity as the states compare it, its person written as `who`.
fn activity_line(a: &Activity, who: &str, attributes: &serde_json::Value) -> String {
    format!(
        "{} {} {:?} {:?} {:?} {} {:?} {} {} {:?} {}",
        a.at,
        who,
        a.email,
        a.campaign,
        a.step,
        a.kind,
        a.primary,
        attributes,
        a.outcome.as_str(),
        a.reason,
        a.depth
    )
}

/// The outbox rows as the states compare them (without ids; keys checked unique), each row's
/// person written as `who` says.
fn outbox_lines(rows: &[OutboxRow], mut who: impl FnMut(&OutboxRow) -> String) -> Vec<String> {
    let keys: HashSet<&str> = rows.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys.len(), rows.len(), "outbox keys are unique");
    rows.iter()
        .map(|o| {
            format!(
                "{} {} {} {} {} {} {:?} {} {}",
                o.at,
                who(o),
                o.to,
                o.email,
                o.subject,
                o.body,
                o.campaign,
                o.kind,
                o.operational
            )
        })
        .collect()
}

/// The store `--db db` names, for reading.
fn reader(db: &str) -> OpenStore {
    open(db, Access::Read).unwrap_or_else(|e| panic!("{db}: {e}"))
}

pub fn state(db: &str) -> State {
    let store = reader(db);
    let log = store
        .log(&LogQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| activity_line(&a, &a.person.to_string(), &a.attributes))
        .collect();
    let rows = store.outbox().unwrap();
    let outbox = outbox_lines(&rows, |o| o.person.to_string());
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
pub fn no_wait_lost(db: &str) {
    let store = reader(db);
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

/// What must survive crashes and be the same whichever process did the work, without the ids
/// processes assign in their own order: people by email, an activity's `cause` by what that
/// activity was; with `sorted`, every list in order (processes interleave their work).
pub fn shared_state(db: &str, sorted: bool) -> State {
    let store = reader(db);
    let log = store.log(&LogQuery::default()).unwrap();
    let mut emails = std::collections::HashMap::new();
    let mut email = |id: i64| -> String {
        emails
            .entry(id)
            .or_insert_with(|| {
                store
                    .person(id)
                    .unwrap()
                    .and_then(|p| p.email().map(str::to_string))
                    .unwrap_or_else(|| format!("#{id}"))
            })
            .clone()
    };
    let by_id: std::collections::HashMap<i64, String> = log
        .iter()
        .map(|a| {
            (
                a.id,
                format!("{} {} {} {:?}", a.at, email(a.person), a.kind, a.primary),
            )
        })
        .collect();
    let mut lines: Vec<String> = log
        .iter()
        .map(|a| {
            let mut attributes = a.attributes.clone();
            if let Some(id) = attributes.get("cause").and_then(|c| c.as_i64()) {
                let cause = by_id
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("missing {id}"));
                attributes["cause"] = serde_json::json!(cause);
            }
            activity_line(a, &email(a.person), &attributes)
        })
        .collect();
    let rows = store.outbox().unwrap();
    let mut outbox = outbox_lines(&rows, |o| email(o.person));
    let mut waits: Vec<String> = store
        .waits()
        .unwrap()
        .into_iter()
        .map(|w| {
            format!(
                "{} {} {} {} {}",
                email(w.person),
                w.campaign,
                w.path,
                w.wake_at,
                w.depth
            )
        })
        .collect();
    if sorted {
        lines.sort();
        outbox.sort();
        waits.sort();
    }
    State {
        log: lines,
        outbox,
        waits,
        clock: store.clock().unwrap(),
    }
}
