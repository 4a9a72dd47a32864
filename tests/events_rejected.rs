//! A bad events file is rejected as a whole before anything runs (LANGUAGE.md 9.2): `camp run`
//! exits 1 naming the file and line, and `camp log` shows that nothing was applied.

use std::path::Path;
use std::process::{Command, Output};

const SCRIPT: &str = r#"
page "Pricing"
campaign "Visit" {
  smart list { trigger visits page "Pricing" }
  flow { interesting moment "visited" }
  qualify every time
}
"#;

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .output()
        .expect("camp runs")
}

fn log_lines(db: &str) -> Vec<String> {
    let out = camp(&["log", "--db", db, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

const GOOD: &str = r#"{"at":"2026-12-01T13:00:00Z","type":"visits_page","person":"ann@example.com","page":"Pricing"}"#;

#[test]
fn bad_events_files_are_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(p("script.camp"), SCRIPT).unwrap();
    std::fs::write(p("people.csv"), "email\nann@example.com\n").unwrap();
    let db = p("camp.db");
    let script = p("script.camp");
    let people = p("people.csv");
    let setup = camp(&[
        "run",
        &script,
        "--db",
        &db,
        "--people",
        &people,
        "--from",
        "2026-12-01T00:00:00Z",
        "--until",
        "2026-12-01T12:00:00Z",
        "-q",
    ]);
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let before = log_lines(&db);
    assert_eq!(before.len(), 1, "the import's new_person: {before:?}");

    let cases: [(&str, &str, &str); 6] = [
        (
            "malformed",
            r#"{"at":"2026-12-01T13:05:00Z","type":"visits_page","#,
            "",
        ),
        (
            "unknown_type",
            r#"{"at":"2026-12-01T13:05:00Z","type":"teleports","person":"ann@example.com"}"#,
            "teleports",
        ),
        (
            "unknown_person_id",
            r#"{"at":"2026-12-01T13:05:00Z","type":"visits_page","person":99,"page":"Pricing"}"#,
            "99",
        ),
        (
            "unknown_person_email",
            r#"{"at":"2026-12-01T13:05:00Z","type":"visits_page","person":"zed@example.com","page":"Pricing"}"#,
            "zed@example.com",
        ),
        (
            "unknown_asset",
            r#"{"at":"2026-12-01T13:05:00Z","type":"visits_page","person":"ann@example.com","page":"Nope"}"#,
            "Nope",
        ),
        (
            "before_clock",
            r#"{"at":"2026-12-01T11:00:00Z","type":"visits_page","person":"ann@example.com","page":"Pricing"}"#,
            "clock",
        ),
    ];
    for (name, bad, mention) in cases {
        let file = p(&format!("{name}.jsonl"));
        // A good line first: it must not be applied either.
        std::fs::write(&file, format!("{GOOD}\n{bad}\n")).unwrap();
        let out = camp(&[
            "run",
            &script,
            "--db",
            &db,
            "--events",
            &file,
            "--until",
            "2026-12-02T00:00:00Z",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let shown = Path::new(&file).display().to_string();
        assert!(
            stderr.contains(&format!("{shown}:2")),
            "{name}: the message names the file and line 2: {stderr}"
        );
        assert!(stderr.contains(mention), "{name}: {stderr}");
        assert_eq!(log_lines(&db), before, "{name}: nothing was applied");
    }

    // The clock did not move: the good line alone is still accepted and runs.
    let file = p("good.jsonl");
    std::fs::write(&file, format!("{GOOD}\n")).unwrap();
    let out = camp(&[
        "run",
        &script,
        "--db",
        &db,
        "--events",
        &file,
        "--until",
        "2026-12-02T00:00:00Z",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = log_lines(&db);
    assert_eq!(
        after.len(),
        4,
        "visit_page, enter_flow, interesting_moment: {after:?}"
    );
}
