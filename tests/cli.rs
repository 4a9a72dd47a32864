//! The `camp` binary as a user runs it: exit statuses, where output goes, the JSON shape of
//! `camp check --format json` (LANGUAGE.md 10.1) and colour.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CLEAN: &str = r#"# A clean workspace.
list "Engaged"
email "Welcome" { subject "Welcome" body "Hi {{person.email}}" }

campaign "Welcome series" {
  smart list { trigger person is created }
  flow {
    send email "Welcome"
    add to list "Engaged"
  }
}
"#;

const STEP_TYPO: &str = r#"campaign "Welcome series" {
  smart list { trigger person is created }
  flow {
    sned email "Welcome"
  }
}
"#;

const WAIT_TYPO: &str = "campaign \"Nudge\" {\n  flow { wait 4 hrs }\n}\n";

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run camp")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a script");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn clean_file_exits_0_and_says_so_on_stderr_only_for_people() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clean = write(dir.path(), "clean.camp", CLEAN);
    let other = write(dir.path(), "other.camp", "list \"Other\"\n");
    let out = camp(&["check", s(&clean), s(&other)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_eq!(stderr(&out), "checked 2 files: no problems\n");
    let out = camp(&["check", s(&clean), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn warnings_only_exit_0_and_the_last_line_counts_them() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let unused = r#"list "Leads"
campaign "Blast" {
  smart list {
    filter score at least 10
    filter email is not empty
    filter unsubscribed is false
    match 1 and 2
  }
  flow { add to list "Leads" }
}
"#;
    let file = write(dir.path(), "unused.camp", unused);
    let out = camp(&["check", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("camp::smart_list::unused_filter"), "{err}");
    assert!(err.ends_with("checked 1 file: 1 warning\n"), "{err}");
    let out = camp(&["check", s(&file), "--format", "json"]);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
}

#[test]
fn the_readme_example_checks_clean() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lead_scoring/");
    let out = camp(&["check", s(&example)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Every example workspace's tests pass (`camp test examples/NAME/`).
#[test]
fn the_examples_tests_pass() {
    for name in ["onboarding", "webinar", "renewal", "lead_scoring"] {
        let example = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        let out = camp(&["test", s(&example)]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stdout(&out));
        assert!(stdout(&out).contains(" passed, 0 failed"), "{name}");
    }
}

#[test]
fn syntax_error_exits_1_with_the_place_on_stderr() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bad = write(dir.path(), "bad.camp", STEP_TYPO);
    let out = camp(&["check", s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "human output goes to stderr only");
    let err = stderr(&out);
    assert!(err.contains("camp::syntax"), "{err}");
    assert!(err.contains("sned"), "{err}");
    assert!(err.contains("bad.camp:4:5"), "{err}");
    assert!(err.contains("did you mean `send`?"), "{err}");
    assert!(
        err.ends_with("checked 1 file: 1 error, 0 warnings\n"),
        "{err}"
    );
}

#[test]
fn missing_file_exits_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let missing = dir.path().join("nowhere.camp");
    let out = camp(&["check", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("nowhere.camp"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clean = write(dir.path(), "clean.camp", CLEAN);
    for args in [
        vec!["check", s(&clean), "--format", "xml"],
        vec!["check", s(&clean), "--bogus"],
        vec!["check"],
        vec!["frobnicate"],
        vec![],
    ] {
        let out = camp(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!out.stderr.is_empty(), "{args:?}: usage goes to stderr");
    }
    for args in [vec!["--help"], vec!["--version"], vec!["check", "--help"]] {
        let out = camp(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

const FIELDS: &[&str] = &[
    "code", "severity", "message", "file", "line", "column", "offset", "length", "labels", "help",
];
const LABEL_FIELDS: &[&str] = &["message", "line", "column", "offset", "length"];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(fields: &[&str]) -> Vec<String> {
    let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    f.sort();
    f
}

#[test]
fn json_is_one_object_per_line_on_stdout() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bad = write(dir.path(), "bad.camp", STEP_TYPO);
    let out = camp(&["check", s(&bad), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let d: Value = serde_json::from_str(lines[0]).expect("a JSON object");
    assert_eq!(keys(&d), sorted(FIELDS), "{d}");
    assert_eq!(d["code"], "camp::syntax");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], s(&bad));
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 5);
    let offset = d["offset"].as_u64().expect("offset") as usize;
    let length = d["length"].as_u64().expect("length") as usize;
    assert_eq!(&STEP_TYPO[offset..offset + length], "sned");
    assert!(d["message"].as_str().is_some_and(|m| m.contains("sned")));
    assert_eq!(d["help"], "did you mean `send`?");
    let labels = d["labels"].as_array().expect("labels");
    assert!(!labels.is_empty());
    for l in labels {
        assert_eq!(keys(l), sorted(LABEL_FIELDS), "{l}");
    }
    assert_eq!(labels[0]["offset"], d["offset"]);
    assert_eq!(labels[0]["line"], 4);
}

#[test]
fn json_help_is_null_when_there_is_none() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bad = write(dir.path(), "bad.camp", "audience \"Everyone\"\n");
    let out = camp(&["check", s(&bad), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let d: Value = serde_json::from_str(stdout(&out).trim()).expect("a JSON object");
    assert_eq!(keys(&d), sorted(FIELDS));
    assert!(d["help"].is_null(), "{d}");
}

#[test]
fn two_files_each_with_an_error_report_both() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let a = write(dir.path(), "a.camp", STEP_TYPO);
    let b = write(dir.path(), "b.camp", WAIT_TYPO);
    let out = camp(&["check", s(&a), s(&b), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let files: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).expect("a JSON object");
            d["file"].as_str().expect("file").to_string()
        })
        .collect();
    assert_eq!(files, [s(&a), s(&b)]);

    let out = camp(&["check", s(&a), s(&b)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("a.camp:4:5"), "{err}");
    assert!(err.contains("b.camp:2:17"), "{err}");
    assert!(err.contains("2 errors, 0 warnings"), "{err}");
}

#[test]
fn an_error_in_one_file_does_not_hide_another_files_status() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clean = write(dir.path(), "clean.camp", CLEAN);
    let bad = write(dir.path(), "bad.camp", WAIT_TYPO);
    let out = camp(&["check", s(&clean), s(&bad), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn no_colour_when_piped_or_with_no_color() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bad = write(dir.path(), "bad.camp", STEP_TYPO);
    let piped = camp(&["check", s(&bad)]);
    assert!(!piped.stderr.contains(&0x1b), "{}", stderr(&piped));
    let no_color = Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(["check", s(&bad)])
        .env("NO_COLOR", "1")
        .output()
        .expect("run camp");
    assert_eq!(no_color.status.code(), Some(1));
    assert!(!no_color.stderr.contains(&0x1b), "{}", stderr(&no_color));
    // Without colour, the report is plain ASCII apart from the user's own text.
    assert!(stderr(&no_color).is_ascii(), "{}", stderr(&no_color));
}

#[test]
fn invalid_utf8_file_exits_1_and_is_located() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("latin1.camp");
    std::fs::write(&path, b"list \"Caf\xe9\"\n").expect("write");
    let out = camp(&["check", s(&path), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let d: Value = serde_json::from_str(stdout(&out).trim()).expect("a JSON object");
    assert_eq!(d["offset"], 9);
    assert_eq!(d["line"], 1);
    assert_eq!(d["column"], 10);
}

/// On a terminal (through util-linux `script`, when installed) there is colour, unless
/// `NO_COLOR` is set.
#[cfg(target_os = "linux")]
#[test]
fn colour_on_a_terminal_unless_no_color() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: /usr/bin/script is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let bad = write(dir.path(), "bad.camp", STEP_TYPO);
    let command = format!("'{}' check '{}'", env!("CARGO_BIN_EXE_camp"), s(&bad));
    let run = |no_color: Option<&str>| {
        let mut c = Command::new("/usr/bin/script");
        c.args(["-qec", &command, "/dev/null"])
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        c.output().expect("run script")
    };
    let tty = run(None);
    assert!(tty.stdout.contains(&0x1b), "{}", stdout(&tty));
    let plain = run(Some("1"));
    assert!(
        stdout(&plain).contains("camp::syntax"),
        "{}",
        stdout(&plain)
    );
    assert!(!plain.stdout.contains(&0x1b), "{}", stdout(&plain));
}
