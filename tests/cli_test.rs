//! `camp test` through the real binary (LANGUAGE.md 11): exit statuses, the human lines and
//! summary, `--format json`, `--junit` (parsed as XML), `--filter`, folders as workspaces,
//! determinism whatever the order, and a workspace with errors that runs nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SCRIPT: &str = r#"schema person { first_name: text, state: text }
form "Contact Us"
list "Engaged"
email "Welcome" {
  subject "Welcome, {{person.first_name:default=friend}}"
  body "Hi {{person.first_name:default=there}}"
}
campaign "Contact follow-up" {
  smart list { trigger fills out form "Contact Us" }
  flow {
    send email "Welcome"
    wait 2 days
    change score by 10
    add to list "Engaged"
  }
}
campaign "Californians" {
  smart list { filter state is "CA" }
  flow { add to list "Engaged" }
}
"#;

const PASSING: &str = r#"test "Follow-up scores after two days" {
  from 2026-12-01 09:00
  person "ann@example.com" { first_name "Ann" }
  at 2026-12-01 10:00 "ann@example.com" fills out form "Contact Us"
  expect email "Welcome" to "ann@example.com" subject is "Welcome, Ann"
  expect "ann@example.com" waiting in "Contact follow-up"
  until 2026-12-03 10:00
  expect "ann@example.com" score is 10 and member of list "Engaged"
}

test "Only Californians" {
  from 2026-12-01 09:00
  person "ann@example.com" { state "CA" }
  person "bo@example.com" { state "NY" }
  run "Californians"
  expect 1 person member of list "Engaged"
  expect "bo@example.com" not member of list "Engaged"
}
"#;

const FAILING: &str = r#"test "Greets by name" {
  from 2026-12-01 09:00
  at 2026-12-01 10:00 "cy@example.com" fills out form "Contact Us"
  expect email "Welcome" to "cy@example.com" subject is "Welcome, Cy"
}
"#;

fn camp(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run camp")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A workspace folder: `campaigns.camp` and `tests/*.camp`.
fn workspace(tests: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("campaigns.camp"), SCRIPT).unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    for (name, text) in tests {
        std::fs::write(dir.path().join("tests").join(name), text).unwrap();
    }
    dir
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Each test's name with its result and its failures' codes, lines and messages.
fn results(o: &Output) -> BTreeMap<String, Value> {
    json_lines(o)
        .into_iter()
        .map(|v| {
            let failures: Vec<Value> = v["failures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| serde_json::json!([f["code"], f["line"], f["message"], f["labels"]]))
                .collect();
            (
                v["name"].as_str().unwrap().to_string(),
                serde_json::json!([v["file"], v["line"], v["result"], failures]),
            )
        })
        .collect()
}

#[test]
fn a_passing_workspace_exits_0_with_a_line_per_test_and_a_summary() {
    let ws = workspace(&[("follow_up.camp", PASSING)]);
    let o = camp(ws.path(), &["test", "."]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("test \"Follow-up scores after two days\" ... ok ("),
        "{out}"
    );
    assert!(lines[0].ends_with(" ms)"), "{out}");
    assert!(
        lines[1].starts_with("test \"Only Californians\" ... ok ("),
        "{out}"
    );
    assert_eq!(lines.last(), Some(&"2 passed, 0 failed"), "{out}");
}

#[test]
fn a_failing_workspace_exits_1_and_shows_the_failure_at_its_expect() {
    let ws = workspace(&[("follow_up.camp", PASSING), ("greeting.camp", FAILING)]);
    let o = camp(ws.path(), &["test", "campaigns.camp", "tests"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("test \"Greets by name\" ... FAILED ("),
        "{out}"
    );
    assert!(out.contains("camp::test::failed"), "{out}");
    assert!(out.contains("found subject `Welcome, friend`"), "{out}");
    assert!(out.contains("greeting.camp:4:3"), "{out}");
    assert_eq!(out.lines().last(), Some("2 passed, 1 failed"), "{out}");
}

#[test]
fn json_gives_one_object_per_test() {
    let ws = workspace(&[("follow_up.camp", PASSING), ("greeting.camp", FAILING)]);
    let o = camp(ws.path(), &["test", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 3);
    let failed = v
        .iter()
        .find(|x| x["name"] == "Greets by name")
        .expect("the failing test");
    assert_eq!(failed["result"], "failed");
    assert_eq!(failed["line"], 1);
    assert!(failed["file"].as_str().unwrap().ends_with("greeting.camp"));
    assert!(failed["millis"].is_u64());
    let f = &failed["failures"][0];
    assert_eq!(f["code"], "camp::test::failed");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 4);
    assert_eq!(f["column"], 3);
    assert!(f["labels"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Welcome, friend"));
    let passed = v.iter().find(|x| x["name"] == "Only Californians").unwrap();
    assert_eq!(passed["result"], "passed");
    assert_eq!(passed["failures"], serde_json::json!([]));
}

#[test]
fn junit_xml_has_suites_cases_and_failures() {
    let ws = workspace(&[("follow_up.camp", PASSING), ("greeting.camp", FAILING)]);
    let xml = ws.path().join("report.xml");
    let o = camp(
        ws.path(),
        &[
            "test",
            ".",
            "--junit",
            xml.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&xml).expect("the report is written");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 2, "one suite per file");
    let mut cases = Vec::new();
    // Only the attributes the common JUnit schema (Jenkins' junit-10.xsd) allows.
    let allowed = |n: &roxmltree::Node, keys: &[&str]| {
        for a in n.attributes() {
            assert!(
                keys.contains(&a.name()),
                "`{}` on <{}> is not in the JUnit schema",
                a.name(),
                n.tag_name().name()
            );
        }
    };
    allowed(&root, &["name", "time", "tests", "failures", "errors"]);
    for s in &suites {
        assert_eq!(s.tag_name().name(), "testsuite");
        for key in ["name", "tests", "failures", "errors", "time"] {
            assert!(s.attribute(key).is_some(), "testsuite without {key}");
        }
        allowed(
            s,
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
            ],
        );
        let time = s.attribute("time").unwrap();
        assert!(
            time.chars().all(|c| c.is_ascii_digit() || c == '.'),
            "{time}"
        );
        let mine: Vec<_> = s.children().filter(|n| n.is_element()).collect();
        assert_eq!(s.attribute("tests"), Some(mine.len().to_string().as_str()));
        cases.extend(mine);
    }
    assert_eq!(cases.len(), 3);
    let mut failures = Vec::new();
    for c in &cases {
        assert_eq!(c.tag_name().name(), "testcase");
        for key in ["name", "classname", "time"] {
            assert!(c.attribute(key).is_some(), "testcase without {key}");
        }
        allowed(c, &["name", "time", "classname", "group"]);
        assert!(c.attribute("time").unwrap().parse::<f64>().is_ok());
        for f in c.children().filter(|n| n.is_element()) {
            assert_eq!(f.tag_name().name(), "failure");
            allowed(&f, &["type", "message"]);
            failures.push((c.attribute("name").unwrap(), f));
        }
    }
    assert_eq!(failures.len(), 1);
    let (name, f) = &failures[0];
    assert_eq!(*name, "Greets by name");
    assert!(f.attribute("message").unwrap().contains("does not match"));
    let body = f.text().unwrap_or("");
    assert!(body.contains("camp::test::failed"), "{body}");
    assert!(body.contains("Welcome, friend"), "{body}");
    assert!(
        body.contains("greeting.camp:4:3"),
        "the failure says where: {body}"
    );
}

#[test]
fn results_do_not_depend_on_order_or_on_running_alone() {
    let ws = workspace(&[("a.camp", PASSING), ("b.camp", FAILING)]);
    let all = camp(ws.path(), &["test", ".", "--format", "json"]);
    let all = results(&all);
    assert_eq!(all.len(), 3);
    let reversed = camp(
        ws.path(),
        &[
            "test",
            "tests/b.camp",
            "tests/a.camp",
            "campaigns.camp",
            "--format",
            "json",
            "--jobs",
            "1",
        ],
    );
    // Reversing the files moves the file ids, not what a test does or finds.
    let strip = |m: BTreeMap<String, Value>| -> BTreeMap<String, Value> {
        m.into_iter()
            .map(|(k, v)| {
                let mut v = v;
                v[0] = Value::from(v[0].as_str().unwrap().trim_start_matches("./"));
                (k, v)
            })
            .collect()
    };
    assert_eq!(strip(results(&reversed)), strip(all.clone()));
    for name in all.keys() {
        let alone = camp(
            ws.path(),
            &["test", ".", "--format", "json", "--filter", name],
        );
        let alone = results(&alone);
        assert_eq!(alone.len(), 1, "{name}");
        assert_eq!(alone.get(name), all.get(name), "{name}");
    }
}

#[test]
fn a_filter_that_matches_nothing_runs_nothing() {
    let ws = workspace(&[("a.camp", PASSING)]);
    let o = camp(ws.path(), &["test", ".", "--filter", "no such test"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).trim(), "0 passed, 0 failed");
}

#[test]
fn a_test_with_a_checker_error_is_reported_and_nothing_runs() {
    let broken = r#"test "Misspelt field" {
  from 2026-12-01 09:00
  person "ann@example.com" { frist_name "Ann" }
}
"#;
    let ws = workspace(&[("a.camp", PASSING), ("broken.camp", broken)]);
    let o = camp(ws.path(), &["test", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stdout(&o).contains("test \""), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("camp::name::unknown"), "{err}");
    assert!(err.contains("frist_name"), "{err}");
    assert!(err.contains("no test was run"), "{err}");
    let o = camp(ws.path(), &["test", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json_lines(&o);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["code"], "camp::name::unknown");
}

#[test]
fn a_missing_fixture_fails_its_test_at_the_statement() {
    let t = r#"test "Imports" {
  from 2026-12-01 09:00
  people "fixtures/people.csv"
}
"#;
    let ws = workspace(&[("a.camp", t)]);
    let o = camp(ws.path(), &["test", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v[0]["result"], "failed");
    assert_eq!(v[0]["failures"][0]["code"], "camp::test::input");
    assert_eq!(v[0]["failures"][0]["line"], 3);
    std::fs::create_dir(ws.path().join("tests/fixtures")).unwrap();
    std::fs::write(
        ws.path().join("tests/fixtures/people.csv"),
        "email,state\nann@example.com,CA\n",
    )
    .unwrap();
    let o = camp(ws.path(), &["test", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn usage_and_io_problems_exit_2() {
    let ws = workspace(&[("a.camp", PASSING)]);
    assert_eq!(camp(ws.path(), &["test"]).status.code(), Some(2));
    assert_eq!(
        camp(ws.path(), &["test", "no-such-file.camp"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        camp(ws.path(), &["test", ".", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    let o = camp(
        ws.path(),
        &["test", ".", "--junit", "no-such-dir/report.xml"],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// The README's tour (its `camp` blocks, together one workspace) passes its own test.
#[test]
fn the_readme_tour_test_passes() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md is readable");
    let mut text = String::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```camp\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("a closed block");
        text.push_str(&body[..end]);
        rest = &body[end..];
    }
    assert!(text.contains("test \""), "the tour shows a test");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tour.camp"), text).unwrap();
    let o = camp(dir.path(), &["test", "tour.camp"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).ends_with("1 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
}

const UNEXPLAINED: &str = r#"test "Engaged Californians" {
  from 2026-12-01 09:00
  person "ann@example.com" { state "NY" }
  person "bo@example.com" { state "CA" }
  run "Californians"
  expect "ann@example.com" state is "CA" and not member of list "Engaged"
  expect 2 people member of list "Engaged"
}
"#;

/// A failed `expect` about a condition says why, one line per leaf with what it read and its
/// verdict (`yes`/`no` off a terminal), in the human output and in the JSON failure's help.
#[test]
fn a_failed_condition_is_explained_part_by_part() {
    let ws = workspace(&[("why.camp", UNEXPLAINED)]);
    let o = camp(ws.path(), &["test", "."]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    for line in [
        "help: why, at 2026-12-01 09:00 UTC:",
        "no all of:",
        "no state is \"CA\"    [state = \"NY\"]",
        "yes not member of list \"Engaged\"    [member: no]",
        "why, at 2026-12-01 09:00 UTC, for the people who do not match:",
        "`ann@example.com`:",
        "no member of list \"Engaged\"    [member: no]",
    ] {
        assert!(out.contains(line), "`{line}` is missing from:\n{out}");
    }
    assert!(!out.contains('✘') && !out.contains('✔'), "{out}");

    let o = camp(ws.path(), &["test", ".", "--format", "json"]);
    let v = json_lines(&o);
    let failures = v[0]["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 2, "{v:?}");
    assert_eq!(
        failures[0]["help"],
        "why, at 2026-12-01 09:00 UTC:\n  no all of:\n    no state is \"CA\"    [state = \"NY\"]\n    \
         yes not member of list \"Engaged\"    [member: no]"
    );
    assert_eq!(
        failures[1]["help"],
        "why, at 2026-12-01 09:00 UTC, for the people who do not match:\n  `ann@example.com`:\n    \
         no member of list \"Engaged\"    [member: no]"
    );
}
