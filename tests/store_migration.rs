//! A store written by the previous layout (schema version 2, text names in the activity log) is
//! upgraded once, in place, when a newer camp opens it: listings read exactly what the older
//! camp listed, and a run continued on the upgraded store ends with the log an uninterrupted
//! run of the older camp wrote.
//!
//! `tests/fixtures/store-v2/lead_scoring.db` was written by the camp of schema version 2:
//! `camp run examples/lead_scoring/ --people ... --events ... --from "2026-12-01 00:00"
//! --until "2027-01-15 23:59"` (three inputs still pending). Beside it, what that camp listed:
//! `log.jsonl` and `outbox.jsonl` (`--format json`), and `full-run-log.jsonl`, the log of the
//! same run taken to `2027-03-31 23:59` in one go.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lead_scoring")
}

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .output()
        .expect("camp runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).expect("fixture")
}

/// A copy of the version-2 store in a fresh folder.
fn old_store() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("camp.db");
    std::fs::copy(fixtures().join("lead_scoring.db"), &db).unwrap();
    (dir, db.display().to_string())
}

fn user_version(db: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_fixture_is_a_version_2_store() {
    let (_dir, db) = old_store();
    assert_eq!(user_version(&db), 2);
}

#[test]
fn an_upgraded_store_lists_what_the_older_camp_listed() {
    let (_dir, db) = old_store();
    let log = stdout(&camp(&["log", "--db", &db, "--format", "json"]));
    assert_eq!(log, fixture("log.jsonl"));
    assert_eq!(user_version(&db), 3);
    let outbox = stdout(&camp(&["outbox", "--db", &db, "--format", "json"]));
    assert_eq!(outbox, fixture("outbox.jsonl"));
    let by_campaign = stdout(&camp(&[
        "log",
        "--db",
        &db,
        "--format",
        "json",
        "--campaign",
        "Score decay",
    ]));
    let want: Vec<String> = fixture("log.jsonl")
        .lines()
        .filter(|l| l.contains(r#""campaign":"Score decay""#))
        .map(str::to_string)
        .collect();
    assert!(!want.is_empty(), "the fixture logs `Score decay`");
    assert_eq!(by_campaign.lines().collect::<Vec<_>>(), want);
}

#[test]
fn a_run_continued_on_an_upgraded_store_ends_as_an_uninterrupted_one() {
    let (_dir, db) = old_store();
    let example = example();
    let script = example.display().to_string();
    let out = camp(&["run", &script, "--db", &db, "--until", "2027-03-31 23:59"]);
    stdout(&out);
    // A small store upgrades without a word.
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("upgrading"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = stdout(&camp(&["log", "--db", &db, "--format", "json"]));
    assert_eq!(log, fixture("full-run-log.jsonl"));
    assert_eq!(user_version(&db), 3);
}

#[test]
fn a_store_of_a_newer_camp_is_refused_and_left_alone() {
    let (_dir, db) = old_store();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let out = camp(&["log", "--db", &db]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("written by a newer version of camp"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
