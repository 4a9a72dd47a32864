//! The built `camp` binary: `run`, then `log`, `outbox` and `people` as JSON (LANGUAGE.md 10.1),
//! `people --where`, rejected inputs and databases, and `schedule`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SCRIPT: &str = r#"
schema person { first_name: text  state: text  employees: number  vip: bool  signup: date }
list "Engaged"
email "Offer" { subject "Hi {{person.first_name:default=friend}}" body "<p>Offer</p>" }
campaign "California blast" {
  smart list { filter state is "CA" }
  flow {
    send email "Offer"
    change score by 10
    add to list "Engaged"
    wait 1 day
    change vip to true
  }
  run at 2026-12-01 09:00
}
"#;

const PEOPLE: &str = "email,first_name,state,employees,vip,signup\n\
ann@example.com,Ann,CA,12,no,2026-11-02\n\
bo@example.com,Bo,NY,,,\n";

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .output()
        .expect("camp runs")
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    script: PathBuf,
    people: PathBuf,
    db: PathBuf,
}

fn fixture(people: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("blast.camp");
    std::fs::write(&script, SCRIPT).unwrap();
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, people).unwrap();
    let db = dir.path().join("camp.db");
    Fixture {
        script,
        people: csv,
        db,
        _dir: dir,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn has_keys(v: &Value, want: &[&str]) {
    for k in want {
        assert!(v.get(k).is_some(), "`{k}` missing in {v}");
    }
}

#[test]
fn run_then_log_outbox_people_as_json() {
    let f = fixture(PEOPLE);
    let out = camp(&[
        "run",
        s(&f.script),
        "--db",
        s(&f.db),
        "--people",
        s(&f.people),
        "--from",
        "2026-12-01 00:00",
        "--until",
        "2026-12-01T12:00:00Z",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let log = json_lines(&camp(&["log", "--format", "json", "--db", s(&f.db)]));
    let types: Vec<&str> = log.iter().map(|a| a["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "new_person",
            "new_person",
            "enter_flow",
            "send_email",
            "change_score",
            "add_to_list",
            "wait"
        ]
    );
    for a in &log {
        has_keys(
            a,
            &[
                "id",
                "at",
                "person",
                "email",
                "campaign",
                "step",
                "type",
                "primary",
                "attributes",
                "result",
                "reason",
            ],
        );
        assert!(a["id"].is_i64() && a["person"].is_i64(), "{a}");
        assert!(a["attributes"].is_object(), "{a}");
        assert_eq!(a["result"], "succeeded");
        assert!(a["reason"].is_null());
    }
    assert_eq!(log[0]["at"], "2026-12-01T00:00:00Z");
    assert_eq!(log[0]["campaign"], Value::Null);
    assert_eq!(log[0]["step"], Value::Null);
    let send = &log[3];
    assert_eq!(send["at"], "2026-12-01T09:00:00Z");
    assert_eq!(send["email"], "ann@example.com");
    assert_eq!(send["campaign"], "California blast");
    assert_eq!(send["step"], "1");
    assert_eq!(send["primary"], "Offer");
    assert_eq!(log[6]["step"], "4");
    assert_eq!(log[6]["attributes"]["until"], "2026-12-02T09:00:00Z");

    let outbox = json_lines(&camp(&["outbox", "--format", "json", "--db", s(&f.db)]));
    assert_eq!(outbox.len(), 1);
    let o = &outbox[0];
    has_keys(
        o,
        &[
            "id", "at", "person", "to", "email", "subject", "body", "campaign", "key",
        ],
    );
    assert_eq!(o["at"], "2026-12-01T09:00:00Z");
    assert_eq!(o["person"], send["person"]);
    assert_eq!(o["to"], "ann@example.com");
    assert_eq!(o["email"], "Offer");
    assert_eq!(o["subject"], "Hi Ann");
    assert_eq!(o["body"], "<p>Offer</p>");
    assert_eq!(o["campaign"], "California blast");
    assert!(o["key"].is_string() && !o["key"].as_str().unwrap().is_empty());

    let people = json_lines(&camp(&["people", "--format", "json", "--db", s(&f.db)]));
    assert_eq!(people.len(), 2);
    let ann = &people[0];
    has_keys(
        ann,
        &[
            "id",
            "email",
            "score",
            "created_at",
            "updated_at",
            "unsubscribed",
            "marketing_suspended",
            "email_invalid",
            "first_name",
            "state",
            "employees",
            "vip",
            "signup",
            "lists",
        ],
    );
    assert_eq!(ann["email"], "ann@example.com");
    assert!(ann["id"].is_u64());
    // Numbers are JSON numbers, integers without a fraction.
    assert_eq!(ann["score"].to_string(), "10");
    assert_eq!(ann["employees"].to_string(), "12");
    assert_eq!(ann["created_at"], "2026-12-01T00:00:00Z");
    assert!(ann["updated_at"].is_string());
    assert_eq!(ann["unsubscribed"], false);
    assert_eq!(ann["marketing_suspended"], false);
    assert_eq!(ann["email_invalid"], false);
    assert_eq!(ann["first_name"], "Ann");
    assert_eq!(ann["vip"], false);
    assert_eq!(ann["signup"], "2026-11-02");
    assert_eq!(ann["lists"], serde_json::json!(["Engaged"]));
    let bo = &people[1];
    assert_eq!(bo["score"].to_string(), "0");
    assert_eq!(bo["employees"], Value::Null);
    assert_eq!(bo["signup"], Value::Null);
    assert_eq!(bo["lists"], serde_json::json!([]));

    let ca = json_lines(&camp(&[
        "people",
        "--format",
        "json",
        "--db",
        s(&f.db),
        "--where",
        r#"state is "CA""#,
    ]));
    assert_eq!(ca.len(), 1);
    assert_eq!(ca[0]["email"], "ann@example.com");

    // A later run continues from the stored clock; an earlier --until is an error.
    let back = camp(&[
        "run",
        s(&f.script),
        "--db",
        s(&f.db),
        "--until",
        "2026-12-01T11:00:00Z",
    ]);
    assert_eq!(back.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&back.stderr).trim().is_empty());
}

#[test]
fn a_bad_csv_value_imports_nothing() {
    let f = fixture("email,first_name,employees\nann@example.com,Ann,12\nbo@example.com,Bo,abc\n");
    let out = camp(&[
        "run",
        s(&f.script),
        "--db",
        s(&f.db),
        "--people",
        s(&f.people),
        "--from",
        "2026-12-01 00:00",
        "--until",
        "2026-12-01 12:00",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("people.csv:3:3"), "{err}");
    assert!(err.contains("employees"), "{err}");
    let out = camp(&["people", "--format", "json", "--db", s(&f.db)]);
    // Either the store was never created or it holds nobody.
    if out.status.success() {
        assert!(json_lines(&out).is_empty());
    }
}

#[test]
fn a_file_that_is_not_a_camp_database_exits_2() {
    let f = fixture(PEOPLE);
    std::fs::write(&f.db, b"this is not a database at all, just some bytes\n").unwrap();
    let out = camp(&["people", "--format", "json", "--db", s(&f.db)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a camp database"), "{err}");
    let out = camp(&[
        "run",
        s(&f.script),
        "--db",
        s(&f.db),
        "--until",
        "2026-12-01 12:00",
    ]);
    assert_eq!(out.status.code(), Some(2));

    // A SQLite file holding someone else's tables.
    let other = f.db.with_file_name("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);")
            .unwrap();
    }
    let out = camp(&["log", "--format", "json", "--db", s(&other)]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a camp database"), "{err}");
}

#[test]
fn schedule_lists_runs_with_steps_up_to_the_first_wait() {
    let f = fixture(PEOPLE);
    let rows = json_lines(&camp(&[
        "schedule",
        s(&f.script),
        "--from",
        "2026-11-30 00:00",
        "--to",
        "2026-12-31 00:00",
        "--format",
        "json",
    ]));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["at"], "2026-12-01T09:00:00Z");
    assert_eq!(rows[0]["campaign"], "California blast");
    let steps: Vec<&str> = rows[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(steps[0].contains("send email"), "{steps:?}");
    assert!(steps[2].contains("add to list"), "{steps:?}");
}
