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

/// Events come in line order but are checked in time order: a person may be named on a line
/// before the line that creates them when the creation happens earlier.
#[test]
fn people_named_by_email_are_settled_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(p("script.camp"), SCRIPT).unwrap();
    let script = p("script.camp");
    let visit = |at: &str, who: &str| {
        format!(
            r#"{{"at":"2026-12-01T{at}Z","type":"visits_page","person":"{who}","page":"Pricing"}}"#
        )
    };
    let created = |at: &str, who: &str| {
        format!(
            r#"{{"at":"2026-12-01T{at}Z","type":"person_created","person":{{"email":"{who}"}}}}"#
        )
    };
    let run = |name: &str, lines: &[u8]| {
        let file = p(&format!("{name}.jsonl"));
        std::fs::write(&file, lines).unwrap();
        let db = p(&format!("{name}.db"));
        let out = camp(&[
            "run",
            &script,
            "--db",
            &db,
            "--events",
            &file,
            "--from",
            "2026-12-01T00:00:00Z",
            "--until",
            "2026-12-02T00:00:00Z",
            "-q",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr, file, db)
    };

    // Named on line 1 at 13:10, created on line 2 at 13:05: accepted, and run in time order.
    let text = format!(
        "{}\n{}\n",
        visit("13:10:00", "new@example.com"),
        created("13:05:00", "new@example.com")
    );
    let (code, stderr, _, db) = run("later_line_earlier_time", text.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    let log = log_lines(&db);
    assert_eq!(
        log.len(),
        4,
        "new_person, visit_page, enter_flow, interesting_moment: {log:?}"
    );
    assert!(
        log[0].contains("new_person") && log[1].contains("visit_page"),
        "{log:?}"
    );

    let rejected: [(&str, Vec<u8>, u64, &str); 3] = [
        (
            "named_before_created",
            format!(
                "{}\n{}\n",
                visit("13:00:00", "late@example.com"),
                created("13:05:00", "late@example.com")
            )
            .into_bytes(),
            1,
            "no person has email `late@example.com`",
        ),
        (
            "created_twice",
            format!(
                "{}\n{}\n",
                created("13:06:00", "two@example.com"),
                created("13:05:00", "TWO@example.com")
            )
            .into_bytes(),
            1,
            "already exists",
        ),
        (
            "not_utf8",
            [
                created("13:05:00", "ok@example.com").as_bytes(),
                b"\n{\"at\":\"\xff\"}\n",
            ]
            .concat(),
            2,
            "UTF-8",
        ),
    ];
    for (name, bytes, line, mention) in rejected {
        let (code, stderr, file, db) = run(name, &bytes);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        let shown = Path::new(&file).display().to_string();
        assert!(
            stderr.contains(&format!("{shown}:{line}")),
            "{name}: line {line}: {stderr}"
        );
        assert!(stderr.contains(mention), "{name}: {stderr}");
        // Nothing was applied, and the store the failed run would have created is not left
        // behind (nor its lock file).
        assert!(!Path::new(&db).exists(), "{name}: no store left");
        assert!(
            !Path::new(&format!("{db}.lock")).exists(),
            "{name}: no lock left"
        );
    }
}

/// An events file that cannot be read at all is a failure (2), not a rejected line; a byte order
/// mark and Windows line ends are read as text.
#[test]
fn unreadable_events_files_exit_2_and_crlf_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(p("script.camp"), SCRIPT).unwrap();
    std::fs::write(p("people.csv"), "email\nann@example.com\n").unwrap();
    let script = p("script.camp");
    let run = |events: &str, db: &str| {
        camp(&[
            "run",
            &script,
            "--db",
            &p(db),
            "--people",
            &p("people.csv"),
            "--events",
            events,
            "--from",
            "2026-12-01T00:00:00Z",
            "--until",
            "2026-12-02T00:00:00Z",
            "-q",
        ])
    };
    for (events, db) in [(p("missing.jsonl"), "a.db"), (p(""), "b.db")] {
        let out = run(&events, db);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{events}: {stderr}");
        assert!(stderr.contains("cannot read"), "{stderr}");
    }
    std::fs::write(p("crlf.jsonl"), format!("\u{feff}{GOOD}\r\n\r\n{GOOD}\r\n")).unwrap();
    let out = run(&p("crlf.jsonl"), "c.db");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = log_lines(&p("c.db"));
    assert_eq!(
        log.iter().filter(|l| l.contains("visit_page")).count(),
        2,
        "both events ran: {log:?}"
    );
}
