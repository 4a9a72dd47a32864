//! A store that cannot be written (LANGUAGE.md 13.1) and the store's life cycle on the command
//! line: each failure exits 2 with one clear line and changes nothing; a failed command leaves no
//! store behind; a store created without `--db` is announced once.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const SCRIPT: &str = r#"
schema person { state: text }
email "Hi" { subject "Hi" body "<p>Hi</p>" }
campaign "Greet" {
  smart list { filter state is "CA" }
  flow { send email "Hi" }
  run at 2026-12-01 09:00
}
"#;

fn camp_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file of `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.path().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                b"(folder)".to_vec()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// A folder with the script, people, and a store `camp.db` that has run once.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), SCRIPT).unwrap();
    std::fs::write(
        dir.path().join("people.csv"),
        "email,state\nann@example.com,CA\nbo@example.com,NY\n",
    )
    .unwrap();
    let out = camp_in(
        dir.path(),
        &[
            "run",
            "s.camp",
            "--db",
            "camp.db",
            "--people",
            "people.csv",
            "--from",
            "2026-12-01T00:00:00Z",
            "--until",
            "2026-12-01T08:00:00Z",
            "-q",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

/// The run that the failure cases attempt.
const RUN: &[&str] = &[
    "run",
    "s.camp",
    "--db",
    "camp.db",
    "--until",
    "2026-12-02T00:00:00Z",
    "-q",
];

/// Asserts one line on standard error holding `mention`, and exit status 2.
fn refused(out: &Output, mention: &str) {
    let text = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(
        text.starts_with("error: ") && text.contains(mention),
        "{text}"
    );
}

/// Makes `path` read-only for real: `chattr +i` as root (for whom permissions deny nothing),
/// permissions otherwise. `None` when that cannot be done here (the reason is printed).
fn read_only(path: &Path) -> Option<ReadOnly> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "skipped: running as root and `chattr +i {}` is not available here, so nothing can be made read-only",
                path.display()
            );
            return None;
        }
        return Some(ReadOnly::Immutable(path.to_path_buf()));
    }
    use std::os::unix::fs::PermissionsExt;
    let before = std::fs::metadata(path).unwrap().permissions();
    let mode = if path.is_dir() { 0o555 } else { 0o444 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    Some(ReadOnly::Mode(path.to_path_buf(), before))
}

/// Undoes [`read_only`] when dropped.
enum ReadOnly {
    Immutable(std::path::PathBuf),
    Mode(std::path::PathBuf, std::fs::Permissions),
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        match self {
            ReadOnly::Immutable(p) => {
                let _ = Command::new("chattr").arg("-i").arg(&*p).status();
            }
            ReadOnly::Mode(p, before) => {
                let _ = std::fs::set_permissions(&*p, before.clone());
            }
        }
    }
}

#[test]
fn a_store_path_that_is_a_folder_is_refused() {
    let dir = workspace();
    std::fs::create_dir(dir.path().join("stores")).unwrap();
    let before = snapshot(dir.path());
    let out = camp_in(dir.path(), &["run", "s.camp", "--db", "stores", "-q"]);
    refused(
        &out,
        "`stores` is a directory, not a store: pass a file path with --db",
    );
    let out = camp_in(dir.path(), &["log", "--db", "stores"]);
    refused(&out, "`stores` is a directory");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_read_only_store_file_is_refused_and_left_as_it_was() {
    let dir = workspace();
    let before = snapshot(dir.path());
    let db = dir.path().join("camp.db");
    let Some(guard) = read_only(&db) else { return };
    let out = camp_in(dir.path(), RUN);
    refused(&out, "`camp.db` is read-only: camp cannot write to it");
    drop(guard);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_read_only_store_folder_is_refused_and_left_as_it_was() {
    let dir = workspace();
    let folder = dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(dir.path().join("camp.db"), folder.join("camp.db")).unwrap();
    let before = snapshot(&folder);
    let Some(guard) = read_only(&folder) else {
        return;
    };
    let out = camp_in(
        dir.path(),
        &[
            "run",
            "s.camp",
            "--db",
            "ro/camp.db",
            "--until",
            "2026-12-02T00:00:00Z",
            "-q",
        ],
    );
    refused(&out, "the folder of `ro/camp.db` is read-only");
    // A new store there is refused the same way, before anything is made.
    let out = camp_in(
        dir.path(),
        &["import", "people.csv", "s.camp", "--db", "ro/new.db"],
    );
    refused(&out, "the folder of `ro/new.db` is read-only");
    drop(guard);
    assert_eq!(snapshot(&folder), before);
}

#[test]
fn a_store_another_program_holds_exclusively_is_refused() {
    let dir = workspace();
    let db = dir.path().join("camp.db");
    let log_before = camp_in(dir.path(), &["log", "--db", "camp.db", "--format", "json"]);
    assert!(log_before.status.success());
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let out = camp_in(dir.path(), RUN);
    refused(
        &out,
        "`camp.db` is locked by another program: try again when it has finished",
    );
    other.execute_batch("ROLLBACK").unwrap();
    drop(other);
    let log_after = camp_in(dir.path(), &["log", "--db", "camp.db", "--format", "json"]);
    assert_eq!(log_after.stdout, log_before.stdout, "nothing changed");
}

#[test]
fn a_failed_command_leaves_no_store_behind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), SCRIPT).unwrap();
    std::fs::write(dir.path().join("bad.csv"), "email,state\nann@example.com\n").unwrap();
    let before = snapshot(dir.path());
    let out = camp_in(
        dir.path(),
        &[
            "run",
            "s.camp",
            "--from",
            "2027-01-15",
            "--until",
            "2026-12-01",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: --until is before --from: time never goes backwards\n"
    );
    // A bad people file found once the store is open: the new store goes again.
    let out = camp_in(dir.path(), &["run", "s.camp", "--people", "bad.csv", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = camp_in(dir.path(), &["import", "bad.csv", "s.camp"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(snapshot(dir.path()), before, "no camp.db, no lock file");
}

#[test]
fn a_store_made_without_db_is_announced_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), SCRIPT).unwrap();
    let run = [
        "run",
        "s.camp",
        "--from",
        "2026-12-01",
        "--until",
        "2026-12-02",
        "-q",
    ];
    let out = camp_in(dir.path(), &run);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "created camp.db (use --db to choose another store)\n"
    );
    let out = camp_in(
        dir.path(),
        &["run", "s.camp", "--until", "2026-12-03", "-q"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "announced once");
    let out = camp_in(dir.path(), &["run", "s.camp", "--db", "other.db", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a store named with --db is not announced");
}

#[test]
fn from_before_the_clock_names_the_store_and_the_way_out() {
    let dir = workspace();
    let out = camp_in(
        dir.path(),
        &[
            "run",
            "s.camp",
            "--db",
            "camp.db",
            "--from",
            "2026-11-01T00:00:00Z",
            "-q",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --from 2026-11-01 00:00 UTC is before the clock of `camp.db` (2026-12-01 08:00 UTC): \
         time never goes backwards; use --db another.db for a new store, or delete `camp.db` to start over\n"
    );
}

#[test]
fn import_lists_every_unknown_column_with_the_way_to_declare_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.csv"),
        "email,state,plan\nann@example.com,CA,pro\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    let out = camp_in(dir.path(), &["import", "people.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: people.csv:1:2: unknown columns `state`, `plan`\n\
         help: declare them in `schema person`, and pass the scripts: `camp import people.csv onboarding.camp`\n"
    );
    assert_eq!(snapshot(dir.path()), before, "no store left behind");
}

#[test]
fn db_takes_a_sqlite_url_and_refuses_stores_it_cannot_open() {
    let dir = workspace();
    let d = dir.path();
    // `sqlite:PATH` is the same store as PATH.
    let out = camp_in(
        d,
        &[
            "run",
            "s.camp",
            "--db",
            "sqlite:camp.db",
            "--until",
            "2026-12-02T00:00:00Z",
            "-q",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = camp_in(d, &["log", "--db", "sqlite:camp.db", "--format", "json"]);
    assert!(log.status.success(), "{}", stderr(&log));
    let text = String::from_utf8_lossy(&log.stdout);
    assert!(
        text.contains("\"send_email\"") && text.contains("ann@example.com"),
        "{text}"
    );
    assert!(!d.join("sqlite:camp.db").exists());

    let before = snapshot(d);
    // A PostgreSQL URL is named, its password hidden; nothing is created.
    for args in [
        &RUN[..3],
        &["log", "--db"][..],
        &["serve", "s.camp", "--db"][..],
    ] {
        let mut args = args.to_vec();
        args.push("postgres://camp:secret@db.example/camp");
        let out = camp_in(d, &args);
        refused(&out, "postgres://camp:***@db.example/camp");
        assert!(!stderr(&out).contains("secret"), "{}", stderr(&out));
    }
    // Another scheme is not a kind of store.
    refused(
        &camp_in(d, &["people", "--db", "mysql://db.example/camp"]),
        "`mysql` is not a kind of store",
    );
    assert_eq!(snapshot(d), before, "nothing changed");
}
