//! Crash safety (LANGUAGE.md 9.7): `camp run` killed with SIGKILL at pseudo-random instants and
//! started again ends with the same log and outbox as one uninterrupted run: no step lost, none
//! performed twice, no duplicate outbox rows, no lost waits.
//!
//! The scenario is `support/crash_scenario.rs`. Each round sets up a fresh store B (not killed),
//! then repeatedly runs `camp run ... --db B` and kills it after a delay, until a run finishes on
//! its own; then B is compared with the reference store A. Rounds go on until at least
//! [`MIN_KILLS`] kills. `bench/crash.sh` is the long version.

#[path = "support/crash_scenario.rs"]
mod crash_scenario;

use std::time::{Duration, Instant};

use crash_scenario::*;

const MIN_KILLS: u32 = 50;
const PEOPLE: usize = 1500;
/// Units of work per transaction in the runs that get killed.
const KILLED_CHUNK: &str = "256";
/// Stop starting new rounds after this long (the test still needs [`MIN_KILLS`]).
const BUDGET: Duration = Duration::from_secs(45);

#[test]
fn killed_runs_end_like_one_run() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), PEOPLE);
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
        assert_same(&state(&b), &want, round);
        no_wait_lost(&b);
        eprintln!("round {round}: {kills} kills so far");
    }
    eprintln!(
        "{kills} kills in {round} rounds; reference run {reference_ms} ms, start-up {startup_ms} ms, {} activities",
        want.log.len()
    );
}
