//! Processes sharing one PostgreSQL store (LANGUAGE.md 13.4): `camp run` killed with SIGKILL
//! at pseudo-random instants and started again ends like one uninterrupted run, and three
//! processes working at once, one of them killed mid-way, end like one process: every unit of
//! work done exactly once (up to the ids processes assign and the order of their commits).
//!
//! The scenario is the crash test's (`support/crash_scenario.rs`): people created by events,
//! trigger campaigns with waits and sends, a score cascade, a daily batch run. The tests need a
//! server: `CAMP_TEST_POSTGRES` (set by `tests/run`); without it they say `skipped:`.

#[path = "support/crash_scenario.rs"]
mod crash_scenario;
#[path = "support/postgres.rs"]
mod postgres_db;

use std::process::Child;
use std::time::{Duration, Instant};

use crash_scenario::*;

/// People in the scenario (each brings an event, a wait, sends; a third visit Pricing twice).
const PEOPLE: usize = 900;

/// [`PEOPLE`], or `CAMP_TEST_WORKERS_PEOPLE` for the full-size run of `bench/postgres-workers.sh`
/// (100,000 people: 166,666 events and two batch runs over 100,000 people).
fn people() -> usize {
    std::env::var("CAMP_TEST_WORKERS_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PEOPLE)
}

/// Up to 10 lines of `a` that `b` lacks (both sorted).
fn only_in<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    let mut b = b.iter().peekable();
    let mut out = Vec::new();
    for line in a {
        while b.peek().is_some_and(|x| *x < line) {
            b.next();
        }
        if b.peek() == Some(&line) {
            b.next();
        } else if out.len() < 10 {
            out.push(line);
        }
    }
    out
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits for `child`, asserting that it succeeded.
fn finish(child: Child) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn killed_runs_on_postgres_end_like_one_run() {
    let Some(a) = postgres_db::database("crash_a") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), PEOPLE);
    setup(dir.path(), &a.url);
    let started = Instant::now();
    finish(run_cmd(dir.path(), &a.url).spawn().unwrap());
    let reference = started.elapsed();
    let want = shared_state(&a.url, false);
    no_wait_lost(&a.url);
    assert!(
        want.log.len() > 5_000,
        "a large enough run: {}",
        want.log.len()
    );
    finish(run_cmd(dir.path(), &a.url).spawn().unwrap());
    assert_eq!(
        shared_state(&a.url, false),
        want,
        "a second run does nothing"
    );

    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut kills = 0;
    for round in 1..=2 {
        let Some(b) = postgres_db::database(&format!("crash_b{round}")) else {
            return;
        };
        setup(dir.path(), &b.url);
        loop {
            let mut child = run_cmd(dir.path(), &b.url)
                .env("CAMP_COMMIT_EVERY", "64")
                .spawn()
                .unwrap();
            let span = (reference.as_millis() as u64 / 4).max(50);
            std::thread::sleep(Duration::from_millis(100 + rng.below(span)));
            match child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success(), "a run that was not killed fails");
                    break;
                }
                None => {
                    kill(&mut child);
                    kills += 1;
                }
            }
        }
        assert_same(&shared_state(&b.url, false), &want, round);
        no_wait_lost(&b.url);
    }
    assert!(kills >= 4, "only {kills} kills");
}

#[test]
fn three_workers_with_one_killed_end_like_one_worker() {
    let Some(one) = postgres_db::database("workers_one") else {
        return;
    };
    let Some(three) = postgres_db::database("workers_three") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), people());
    setup(dir.path(), &one.url);
    let started = Instant::now();
    finish(run_cmd(dir.path(), &one.url).spawn().unwrap());
    let reference = started.elapsed();
    let want = shared_state(&one.url, true);

    setup(dir.path(), &three.url);
    let mut workers: Vec<Child> = (0..3)
        .map(|_| run_cmd(dir.path(), &three.url).spawn().unwrap())
        .collect();
    // One worker dies mid-way, holding claims: they return when its connection ends.
    std::thread::sleep(reference / 4);
    let mut killed = workers.remove(1);
    let died_early = killed.try_wait().unwrap().is_some();
    kill(&mut killed);
    for w in workers {
        finish(w);
    }
    // What the dead worker held and the others had passed over is done by the next run.
    finish(run_cmd(dir.path(), &three.url).spawn().unwrap());
    assert!(!died_early, "the run ended before a worker could be killed");
    let got = shared_state(&three.url, true);
    assert_eq!(got.clock, want.clock);
    assert_eq!(
        got.log.len(),
        want.log.len(),
        "log length; only with three workers: {:#?}; only with one: {:#?}",
        only_in(&got.log, &want.log),
        only_in(&want.log, &got.log)
    );
    for (g, w) in got.log.iter().zip(&want.log) {
        assert_eq!(g, w);
    }
    assert_eq!(got.outbox, want.outbox, "outbox");
    assert_eq!(got.waits, want.waits, "waits");
    no_wait_lost(&three.url);
}

/// The numbers of a run's summary line (`... 2 batch runs, 900 wakes, 300 inputs`).
fn summary(stderr: &str) -> (u64, u64, u64) {
    let mut counts = (0, 0, 0);
    let line = stderr.lines().last().unwrap_or_default();
    for part in line.split([',', ';']) {
        let words: Vec<&str> = part.split_whitespace().collect();
        if let [n, what @ ..] = words.as_slice() {
            let n: u64 = n.parse().unwrap_or(0);
            match what.join(" ").as_str() {
                "batch runs" | "batch run" => counts.0 += n,
                "wakes" | "wake" => counts.1 += n,
                "inputs" | "input" => counts.2 += n,
                _ => {}
            }
        }
    }
    counts
}

/// Three workers each take part of the work, and together do each unit once.
#[test]
fn three_workers_share_the_work() {
    let Some(db) = postgres_db::database("workers_share") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), PEOPLE);
    setup(dir.path(), &db.url);
    let workers: Vec<Child> = (0..3)
        .map(|_| {
            camp()
                .arg("run")
                .arg(dir.path().join("crash.camp"))
                .args(["--db", &db.url, "--until", UNTIL])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut totals = (0, 0, 0);
    let mut busy = 0;
    for w in workers {
        let out = w.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let (runs, wakes, inputs) = summary(&stderr);
        busy += usize::from(inputs + wakes > 0);
        totals = (totals.0 + runs, totals.1 + wakes, totals.2 + inputs);
    }
    // (A worker started late on a loaded machine may find little left: two is enough.)
    assert!(busy >= 2, "only {busy} of 3 workers did anything");
    let events = events(PEOPLE).lines().count() as u64;
    let mut client = db.client();
    let woke: i64 = client
        .query_one(
            "SELECT count(*) FROM activities a JOIN names t ON t.id = a.type WHERE t.name = 'wake'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(woke > PEOPLE as i64, "{woke} wakes");
    assert_eq!(totals, (2, woke as u64, events), "each unit once");
    let left: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM inputs) + (SELECT count(*) FROM queue)
                  + (SELECT count(*) FROM run_members) + (SELECT count(*) FROM runs)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "no work left behind");
}
