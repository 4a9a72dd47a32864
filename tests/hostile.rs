//! Hostile inputs: SQL metacharacters and very long values everywhere a value goes (values are
//! always bound parameters), and databases that are locked, truncated or not SQLite at all.

use std::process::Command;

fn camp(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SCRIPT: &str = r#"
schema person { first_name: text  note: text }
list "Robert'); DROP TABLE people;--"
email "Hi" { subject "Hi {{person.first_name}}" body "<p>{{person.note}}</p>" }
campaign "Blast" {
  smart list { filter first_name contains "'" }
  flow {
    send email "Hi"
    add to list "Robert'); DROP TABLE people;--"
    change note to "{{person.first_name}} \" ; DELETE FROM activities; --"
  }
}
"#;

#[test]
fn metacharacters_and_long_values_are_only_data() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(200_000);
    std::fs::write(dir.path().join("s.camp"), SCRIPT).unwrap();
    std::fs::write(
        dir.path().join("people.csv"),
        format!(
            "email,first_name,note\n\"o'brien@example.com\",\"O'Brien\",\"<script>alert(1)</script>\"\n\"x@example.com\",\"'; DROP TABLE people; --\",{long}\n"
        ),
    )
    .unwrap();
    let (code, _, err) = camp(
        &[
            "run",
            "s.camp",
            "--db",
            "t.db",
            "--people",
            "people.csv",
            "--campaign",
            "Blast",
            "--from",
            "2026-12-01 09:00",
            "--until",
            "2026-12-01 10:00",
            "-q",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = camp(&["people", "--db", "t.db", "--format", "json"], dir.path());
    assert_eq!(code, 0, "{err}");
    let people: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(people.len(), 2, "both people are still there");
    assert_eq!(people[0]["first_name"], "O'Brien");
    assert_eq!(
        people[0]["note"], "O'Brien \" ; DELETE FROM activities; --",
        "the value is stored verbatim"
    );
    assert_eq!(people[1]["lists"][0], "Robert'); DROP TABLE people;--");
    // A condition holding quotes is a value too.
    let (code, out, err) = camp(
        &[
            "people",
            "--db",
            "t.db",
            "--format",
            "json",
            "--where",
            r#"first_name contains "'; DROP""#,
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1);
    // HTML in a person field is escaped in the body.
    let (_, out, _) = camp(&["outbox", "--db", "t.db", "--format", "json"], dir.path());
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["body"],
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    );
    let (code, out, _) = camp(&["log", "--db", "t.db", "--format", "json"], dir.path());
    assert_eq!(code, 0);
    assert!(out.lines().count() >= 8, "the log is intact");
}

#[test]
fn broken_databases_fail_clearly_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), SCRIPT).unwrap();
    // Not SQLite at all.
    std::fs::write(
        dir.path().join("garbage.db"),
        b"this is not a database, just text\n".repeat(200),
    )
    .unwrap();
    let (code, _, err) = camp(&["log", "--db", "garbage.db"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("not a SQLite database"), "{err}");
    // A real camp database, truncated.
    let (code, _, err) = camp(
        &[
            "run",
            "s.camp",
            "--db",
            "t.db",
            "--from",
            "2026-12-01 09:00",
            "--until",
            "2026-12-02 09:00",
            "-q",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(dir.path().join("t.db")).unwrap();
    std::fs::write(dir.path().join("trunc.db"), &bytes[..bytes.len().min(3000)]).unwrap();
    let (code, _, err) = camp(&["log", "--db", "trunc.db"], dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    // Locked by another connection holding a write transaction.
    let holder = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (code, _, err) = camp(
        &[
            "run",
            "s.camp",
            "--db",
            "t.db",
            "--until",
            "2026-12-03 09:00",
            "-q",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("locked"), "{err}");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    // Nothing was lost: the same run now succeeds.
    let (code, _, err) = camp(
        &[
            "run",
            "s.camp",
            "--db",
            "t.db",
            "--until",
            "2026-12-03 09:00",
            "-q",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
}
