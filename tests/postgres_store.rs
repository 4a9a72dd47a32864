//! `--db postgres://...` (LANGUAGE.md 13.4) with the real binary: the commands print on a
//! PostgreSQL store what they print on SQLite, and a database that is not camp's, not camp's
//! yet, or a newer camp's is refused in one line without being changed.
//!
//! The tests need a server: `CAMP_TEST_POSTGRES` (set by `tests/run`); without it they say
//! `skipped:`.

#[path = "support/postgres.rs"]
mod postgres_db;

use std::path::Path;
use std::process::{Command, Output};

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One line on standard error, exit 2, mentioning `what`.
fn refused(out: &Output, what: &str) {
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(text.starts_with("error: ") && text.contains(what), "{text}");
}

fn tables(db: &postgres_db::TestDb) -> Vec<String> {
    db.client()
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const RUN: &[&str] = &[
    "run",
    "examples/lead_scoring/",
    "--people",
    "examples/lead_scoring/people.csv",
    "--events",
    "examples/lead_scoring/events.jsonl",
    "--from",
    "2026-12-01 00:00",
    "--until",
    "2027-03-31 23:59",
];

#[test]
fn the_example_prints_the_same_on_both_stores() {
    let Some(db) = postgres_db::database("example") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("camp.db").display().to_string();
    let with = |db: &str| {
        let mut args = RUN.to_vec();
        args.extend(["--db", db]);
        ok(&camp(&args))
    };
    assert_eq!(with(&db.url), with(&sqlite), "camp run");
    for listing in [
        &["people", "examples/lead_scoring/", "--format", "json"][..],
        &["log", "--format", "json"][..],
        &[
            "people",
            "examples/lead_scoring/",
            "--where",
            "score at least 10",
        ][..],
        &["log", "--person", "bo.chen@globex.example"][..],
    ] {
        let on = |db: &str| {
            let mut args = listing.to_vec();
            args.extend(["--db", db]);
            ok(&camp(&args))
        };
        assert_eq!(on(&db.url), on(&sqlite), "{listing:?}");
    }
}

#[test]
fn a_database_that_is_not_camps_is_refused_and_left_alone() {
    let Some(db) = postgres_db::database("not_camp") else {
        return;
    };
    db.client()
        .batch_execute("CREATE TABLE orders (id int PRIMARY KEY)")
        .unwrap();
    let mut args = RUN.to_vec();
    args.extend(["--db", &db.url]);
    refused(&camp(&args), "it holds tables that camp did not create");
    assert_eq!(tables(&db), ["orders"]);
}

#[test]
fn reading_a_database_camp_never_wrote_creates_nothing() {
    let Some(db) = postgres_db::database("empty") else {
        return;
    };
    refused(
        &camp(&["log", "--db", &db.url]),
        "the database holds no camp store yet",
    );
    assert!(tables(&db).is_empty(), "{:?}", tables(&db));
}

#[test]
fn a_database_written_by_a_newer_camp_is_refused() {
    let Some(db) = postgres_db::database("newer") else {
        return;
    };
    let mut args = RUN.to_vec();
    args.extend(["--db", &db.url]);
    ok(&camp(&args));
    db.client()
        .batch_execute("UPDATE camp_schema SET version = 99")
        .unwrap();
    refused(
        &camp(&["log", "--db", &db.url]),
        "it was written by a newer version of camp",
    );
}

#[test]
fn a_server_that_cannot_be_reached_is_named_without_its_password() {
    let out = camp(&["log", "--db", "postgres://camp:secret@127.0.0.1:1/camp"]);
    refused(&out, "postgres://camp:***@127.0.0.1:1/camp");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("secret"));
}
