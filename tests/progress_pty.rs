//! Progress bars of long work: `camp import` and a batch run of `camp run` in a real
//! pseudo-terminal show people done of the total with the rate and the time left; with
//! standard error piped they add nothing.

#![cfg(unix)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Expect, Regex, Session};

const SCRIPT: &str = r#"schema person { first_name: text }
batch campaign "Everyone" {
  smart list { filter all people }
  flow { change first_name to "x" }
}
"#;

/// Enough people that importing them, and running a campaign over them, lasts past the first
/// progress report even in an unoptimised build.
const PEOPLE: usize = 30_000;

fn setup(dir: &Path) {
    std::fs::write(dir.join("s.camp"), SCRIPT).expect("script");
    let mut csv = String::from("email,first_name\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!("p{i}@example.com,P{i}\n"));
    }
    std::fs::write(dir.join("people.csv"), csv).expect("people");
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_camp"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        // Commit (and report) every 500 people.
        .env("CAMP_COMMIT_EVERY", "500");
    cmd
}

const IMPORT: &[&str] = &[
    "import",
    "people.csv",
    "s.camp",
    "--db",
    "camp.db",
    "--from",
    "2026-12-01 09:00",
];
const RUN: &[&str] = &[
    "run",
    "s.camp",
    "--db",
    "camp.db",
    "--campaign",
    "Everyone",
    "--until",
    "2026-12-01 10:00",
];

#[test]
fn import_and_batch_run_show_a_progress_bar_in_a_terminal() {
    let dir = tempfile::tempdir().expect("temporary directory");
    setup(dir.path());
    let spawn = |args: &[&str]| {
        let mut p = Session::spawn(command(dir.path(), args)).ok()?;
        let _ = p.get_process_mut().set_window_size(120, 30);
        p.set_expect_timeout(Some(Duration::from_secs(120)));
        Some(p)
    };
    let Some(mut p) = spawn(IMPORT) else {
        eprintln!("no pseudo-terminal here; skipping");
        return;
    };
    p.expect(Regex(&format!(
        r"import \[[=> ]+\] \d+/{PEOPLE} people, (\d+|…)/s, (\d+s|…) left"
    )))
    .expect("the import's bar");
    p.expect(format!("{PEOPLE} created, 0 updated, 0 unchanged"))
        .expect("the import's summary");
    // The import holds the store's lock until it exits: the run starts after that.
    p.expect(Eof).expect("the import's end");

    let mut p = spawn(RUN).expect("pseudo-terminal");
    p.expect(Regex(&format!(
        r"`Everyone` \[[=> ]+\] \d+/{PEOPLE} people, (\d+|…)/s, (\d+s|…) left"
    )))
    .expect("the batch run's bar");
    p.expect(Regex(r"\d+ activities; clock at 2026-12-01 10:00"))
        .expect("the run's summary");
}

#[test]
fn piped_output_has_no_progress() {
    let dir = tempfile::tempdir().expect("temporary directory");
    setup(dir.path());
    let out = command(dir.path(), IMPORT).output().expect("import runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{PEOPLE} created, 0 updated, 0 unchanged\n")
    );
    let out = command(dir.path(), RUN).output().expect("run runs");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("people,") && !err.contains('\r') && !err.contains('\x1b'),
        "{err:?}"
    );
}
