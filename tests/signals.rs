//! Clean stops (LANGUAGE.md 13.1, 9.7): `camp run` sent SIGTERM at pseudo-random instants
//! finishes the unit of work in hand, commits, says where it stopped and exits 143; a new
//! `camp run` then ends exactly like one uninterrupted run. The scenario and the comparison are
//! the crash test's (`support/crash_scenario.rs`).

#[path = "support/crash_scenario.rs"]
mod crash_scenario;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crash_scenario::*;

const ROUNDS: u32 = 20;
const PEOPLE: usize = 600;

/// Sends `signal` (`TERM`, `INT`) to process `pid`.
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    // The process may have ended on its own meanwhile.
    let _ = status;
}

/// Copies a store file closed cleanly (no write-ahead log beside it).
fn copy_store(from: &str, to: &str) {
    assert!(!std::path::Path::new(&format!("{from}-wal")).exists());
    std::fs::copy(from, to).unwrap();
}

#[test]
fn runs_stopped_by_sigterm_end_like_one_run() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), PEOPLE);
    let base = dir.path().join("base.db").display().to_string();
    setup(dir.path(), &base);
    let a = dir.path().join("a.db").display().to_string();
    copy_store(&base, &a);
    let started = Instant::now();
    let out = run_cmd(dir.path(), &a).output().unwrap();
    let reference_ms = started.elapsed().as_millis() as u64;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = state(&a);
    assert!(
        want.log.len() > 3_000,
        "a large enough run: {}",
        want.log.len()
    );

    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut stopped, mut finished, mut early) = (0, 0, 0);
    for round in 1..=ROUNDS {
        let b = dir
            .path()
            .join(format!("b{round}.db"))
            .display()
            .to_string();
        copy_store(&base, &b);
        // Small chunks: many commit points, so a stop often lands mid-chunk.
        let child = run_cmd(dir.path(), &b)
            .env("CAMP_COMMIT_EVERY", "64")
            .spawn()
            .unwrap();
        // The reference may have run while the other tests of this file loaded the machine:
        // stop within the first three quarters of its time, so that most rounds stop mid-run.
        let delay = rng.below(reference_ms * 3 / 4 + 1);
        std::thread::sleep(Duration::from_millis(delay));
        signal(child.id(), "TERM");
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match (out.status.code(), out.status.signal()) {
            // Handled before anything was written (a stop between the handlers' installation
            // and the run's first write): the store is as it was.
            (Some(143), _) if stderr.contains("before anything was written") => early += 1,
            (Some(143), _) => {
                stopped += 1;
                assert!(
                    stderr.contains("stopped by SIGTERM at ")
                        && stderr.contains("a new `camp run` continues from there"),
                    "round {round}: {stderr}"
                );
            }
            (Some(0), _) => finished += 1,
            // Before the handlers were installed, SIGTERM ends the process as usual: nothing
            // had been written yet.
            (None, Some(15)) => early += 1,
            other => panic!("round {round}: unexpected end {other:?}: {stderr}"),
        }
        let out = run_cmd(dir.path(), &b).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_same(&state(&b), &want, round);
        no_wait_lost(&b);
    }
    eprintln!(
        "{ROUNDS} rounds: {stopped} stopped by SIGTERM, {finished} finished first, {early} ended before writing anything; reference run {reference_ms} ms"
    );
    assert!(
        stopped >= ROUNDS / 4,
        "a quarter of the rounds at least stop mid-run: {stopped}"
    );
}

#[test]
fn sigint_stops_a_run_with_status_130() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), PEOPLE);
    let b = dir.path().join("b.db").display().to_string();
    setup(dir.path(), &b);
    let mut child = run_cmd(dir.path(), &b)
        .env("CAMP_COMMIT_EVERY", "16")
        .spawn()
        .unwrap();
    // Wait for the run to be under way: it has written to the store's journal.
    let wal = format!("{b}-wal");
    let t = Instant::now();
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 100_000 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the run never started"
        );
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(child.id(), "INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT at "), "{stderr}");
    // The clock stopped where the work did, before the run's end.
    assert!(
        state(&b).clock
            < Some(
                chrono::DateTime::parse_from_rfc3339(UNTIL)
                    .unwrap()
                    .timestamp()
            )
    );
}

/// How an import sent SIGTERM ended.
#[derive(Debug, PartialEq)]
enum Import {
    /// Stopped before writing anything: no store.
    NotStarted,
    /// Finished the import, saved it whole, then stopped with status 143.
    SavedThenStopped,
    /// Finished before the signal came.
    Finished,
}

/// Sends SIGTERM to an import of `rows` people `delay_ms` after it holds the store's lock.
fn import_stopped_after(delay_ms: u64, rows: usize) -> Import {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), "schema person { state: text }\n").unwrap();
    let mut csv = String::from("email,state\n");
    for i in 0..rows {
        csv.push_str(&format!("p{i}@example.com,CA\n"));
    }
    std::fs::write(dir.path().join("people.csv"), csv).unwrap();
    let db = dir.path().join("i.db");
    let child = Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir.path())
        .args(["import", "people.csv", "s.camp", "--db", "i.db"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the lock names the import, the signals are handled.
    let lock = dir.path().join("i.db.lock");
    let t = Instant::now();
    while !std::fs::read_to_string(&lock)
        .is_ok_and(|s| s.contains(&format!("\"pid\":{}", child.id())))
    {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the import never took the lock"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(delay_ms));
    signal(child.id(), "TERM");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(0) {
        return Import::Finished;
    }
    assert_eq!(
        out.status.code(),
        Some(143),
        "{:?} {stderr}",
        out.status.signal()
    );
    if stderr.contains("before anything was written") {
        assert_eq!(
            stderr.trim_end(),
            "stopped by SIGTERM before anything was written to `i.db`"
        );
        assert!(!db.exists(), "no store left: {stderr}");
        return Import::NotStarted;
    }
    assert!(
        stderr.contains(&format!("{rows} created, 0 updated, 0 unchanged"))
            && stderr.contains("stopped by SIGTERM after the import was saved in `i.db`"),
        "{stderr}"
    );
    let people = Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir.path())
        .args(["people", "--db", "i.db", "--format", "csv"])
        .output()
        .unwrap();
    assert!(people.status.success());
    let listed = String::from_utf8_lossy(&people.stdout).lines().count();
    assert_eq!(listed, rows + 1, "every person and the header");
    Import::SavedThenStopped
}

#[test]
fn an_import_stopped_by_sigterm_is_saved_whole_or_not_at_all() {
    // Later and later signals: first before the import writes, then while it does.
    let mut seen = Vec::new();
    let mut delay = 0;
    while !(seen.contains(&Import::NotStarted) && seen.contains(&Import::SavedThenStopped)) {
        assert!(delay <= 2_000, "never stopped both ways: {seen:?}");
        seen.push(import_stopped_after(delay, 20_000));
        delay += 10;
    }
    eprintln!("{seen:?}");
}
