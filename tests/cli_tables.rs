//! The tables `camp run`, `camp log` and `camp outbox` print for people: times in the script's
//! time zone (JSON stays RFC 3339 UTC), the full table when piped, a table fitted to the
//! terminal's width on a terminal, and every column with `--wide`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const SCRIPT: &str = r#"
settings { time zone "America/New_York" }
schema person { state: text }
email "Offer" { subject "A rather long subject line for a narrow terminal" body "Hi" }
campaign "California blast with a long name" {
  smart list { filter state is "CA" }
  flow {
    send email "Offer"
    wait 1 day
    change score by 10
  }
  run at 2026-12-01 09:00
}
"#;

const PEOPLE: &str = "email,state\nann.longname@example.com,CA\n";

struct Fixture {
    _dir: tempfile::TempDir,
    script: PathBuf,
    people: PathBuf,
    db: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let script = dir.path().join("blast.camp");
    std::fs::write(&script, SCRIPT).expect("write the script");
    let people = dir.path().join("people.csv");
    std::fs::write(&people, PEOPLE).expect("write people");
    let db = dir.path().join("camp.db");
    Fixture {
        script,
        people,
        db,
        _dir: dir,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .expect("camp runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the campaign from 2026-12-01 08:00 to 2026-12-02 10:00, New York time.
fn ran(f: &Fixture) -> Output {
    let out = camp(&[
        "run",
        s(&f.script),
        "--db",
        s(&f.db),
        "--people",
        s(&f.people),
        "--from",
        "2026-12-01 08:00",
        "--until",
        "2026-12-02 10:00",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out
}

#[test]
fn piped_run_shows_local_times_in_the_full_table_and_json_stays_utc() {
    let f = fixture();
    let out = ran(&f);
    let table = text(&out.stdout);
    let header = table.lines().next().unwrap_or("");
    assert!(header.starts_with("id  at (America/New_York)"), "{table}");
    assert!(
        header.contains("step"),
        "piped tables keep every usual column: {table}"
    );
    assert!(!header.contains("attributes"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("2026-12-01 09:00") && l.contains("send_email")),
        "{table}"
    );
    assert!(
        table.contains("California blast with a long name"),
        "{table}"
    );
    assert!(!table.contains('…'), "{table}");
    let err = text(&out.stderr);
    assert!(
        err.contains("clock at 2026-12-02 10:00 America/New_York;"),
        "{err}"
    );

    let log = camp(&["log", "--db", s(&f.db), "--format", "json"]);
    let first: serde_json::Value =
        serde_json::from_str(text(&log.stdout).lines().nth(1).unwrap_or("")).expect("JSON");
    assert_eq!(first["at"], "2026-12-01T14:00:00Z", "{first}");

    let piped = camp(&["log", "--db", s(&f.db)]);
    assert!(
        text(&piped.stdout).starts_with("id  at (America/New_York)"),
        "camp log reads the zone from the store: {}",
        text(&piped.stdout)
    );
    let outbox = camp(&["outbox", "--db", s(&f.db)]);
    assert!(
        text(&outbox.stdout).contains("2026-12-01 09:00"),
        "{}",
        text(&outbox.stdout)
    );
}

#[test]
fn wide_shows_the_attributes_uncut() {
    let f = fixture();
    ran(&f);
    let out = camp(&["log", "--db", s(&f.db), "--wide"]);
    let table = text(&out.stdout);
    assert!(
        table.lines().next().unwrap_or("").ends_with("attributes"),
        "{table}"
    );
    assert!(
        table.contains(
            r#"{"until":"2026-12-02T14:00:00Z","cause":{"run":"California blast with a long name""#
        ),
        "{table}"
    );
}

#[test]
fn an_event_before_the_clock_names_both_times_in_the_script_zone() {
    let f = fixture();
    ran(&f);
    let events = f.db.with_file_name("late.jsonl");
    let line = r#"{"at":"2026-12-01T15:00:00Z","type":"visits_page","person":"ann.longname@example.com","page":"Pricing"}"#;
    std::fs::write(&events, format!("{line}\n")).expect("write events");
    let page = f.db.with_file_name("pages.camp");
    std::fs::write(&page, "page \"Pricing\"\n").expect("write a page");
    let out = camp(&[
        "run",
        s(&f.script),
        s(&page),
        "--db",
        s(&f.db),
        "--events",
        s(&events),
        "--until",
        "2026-12-03 10:00",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("this event is at 2026-12-01 10:00 America/New_York but the store's clock is already at 2026-12-02 10:00 America/New_York"),
        "{err}"
    );
}

/// `camp ARGS` on a terminal `columns` wide (through `COLUMNS`): its output, or `None` where
/// no pseudo-terminal can be opened.
fn on_terminal(args: &[&str], columns: &str) -> Option<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_camp"));
    cmd.args(args)
        .env("COLUMNS", columns)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut p = match expectrl::Session::spawn(cmd) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("no pseudo-terminal here ({e}); skipping");
            return None;
        }
    };
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    let seen = expectrl::Expect::expect(&mut p, expectrl::Eof).expect("camp ends");
    Some(text(seen.as_bytes()).replace("\r\n", "\n"))
}

#[test]
fn on_a_narrow_terminal_the_table_fits_by_dropping_and_cutting_columns() {
    let f = fixture();
    ran(&f);
    let Some(table) = on_terminal(&["log", "--db", s(&f.db)], "72") else {
        return;
    };
    assert!(table.lines().count() >= 4, "{table}");
    for line in table.lines() {
        assert!(
            line.chars().count() <= 72,
            "{} chars: {table}",
            line.chars().count()
        );
    }
    let header = table.lines().next().unwrap_or("");
    assert!(!header.contains("step"), "{table}");
    assert!(header.contains("type"), "{table}");
    assert!(table.contains('…'), "{table}");
    assert!(table.contains("2026-12-01 09:00"), "{table}");

    let Some(wide) = on_terminal(&["log", "--db", s(&f.db), "--wide"], "60") else {
        return;
    };
    assert!(wide.contains("California blast with a long name"), "{wide}");
    assert!(
        wide.lines().next().unwrap_or("").ends_with("attributes"),
        "{wide}"
    );
}

#[test]
fn the_schedule_table_reads_in_the_script_zone_and_its_json_in_utc() {
    let f = fixture();
    let args = [
        "schedule",
        s(&f.script),
        "--from",
        "2026-11-30 00:00",
        "--to",
        "2026-12-31 00:00",
    ];
    let out = camp(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.starts_with("at (America/New_York)  campaign"),
        "{table}"
    );
    assert!(table.contains("2026-12-01 09:00"), "{table}");
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = camp(&json_args);
    assert!(
        text(&json.stdout).contains(r#""at":"2026-12-01T14:00:00Z""#),
        "{}",
        text(&json.stdout)
    );
}
