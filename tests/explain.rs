//! `camp explain` (LANGUAGE.md 12) through the built binary, over the scenario in
//! `tests/explain/`: golden explanations, human and JSON, of a batch campaign with every kind of
//! filter (live and as of a past instant), a trigger campaign with a wait in progress, an
//! executable campaign, and of activities: a `communication_limit` skip, a
//! `qualification_rule` skip, a `cascade_limit` failure, an `execute campaign` not qualified,
//! steps after a wake and in a batch run. Snapshots are in `tests/snapshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("camp runs")
}

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explain")
}

/// The scenario's store, run once: people imported on 2026-11-28, the events, up to
/// 2026-12-02 12:00 (`ann` waits in "Contact follow-up" until the 3rd).
fn store() -> &'static (tempfile::TempDir, String, String) {
    static STORE: OnceLock<(tempfile::TempDir, String, String)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("camp.db").display().to_string();
        let s = scenario();
        let script = s.join("script.camp").display().to_string();
        let out = camp(&[
            "run",
            &script,
            "--db",
            &db,
            "--people",
            &s.join("people.csv").display().to_string(),
            "--events",
            &s.join("events.jsonl").display().to_string(),
            "--from",
            "2026-11-28 09:00",
            "--until",
            "2026-12-02 12:00",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, db, script)
    })
}

/// `camp explain ARGS --db DB SCRIPT`: its standard output, which must be a success.
fn explain(args: &[&str]) -> String {
    let (_, db, script) = store();
    let mut all: Vec<&str> = vec!["explain"];
    all.extend(args);
    all.extend(["--db", db, script]);
    let out = camp(&all);
    assert!(
        out.status.success(),
        "{args:?}: exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let text = explain(&all);
    assert_eq!(text.lines().count(), 1, "one JSON object: {text}");
    serde_json::from_str(&text).unwrap()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

#[test]
fn every_kind_of_filter_live() {
    let args = ["ann@example.com", "Every filter"];
    insta::assert_snapshot!("every_filter_human", explain(&args));
    let v = json(&args);
    insta::assert_snapshot!("every_filter_json", pretty(&v));
    // The state changed to NY after the past instant: filter 1 and the smart list fail now.
    assert_eq!(v["qualifies"], false);
    assert_eq!(v["filters"][0]["values"]["state"], "NY");
    assert_eq!(v["filters"][7]["smart_list"]["name"], "Californians");
}

#[test]
fn every_kind_of_filter_in_the_past() {
    let args = [
        "ann@example.com",
        "Every filter",
        "--at",
        "2026-12-01 16:00",
    ];
    insta::assert_snapshot!("every_filter_past_human", explain(&args));
    let v = json(&args);
    insta::assert_snapshot!("every_filter_past_json", pretty(&v));
    // Then she was in California (and `not 10` admits her: filter 10 is itself negated).
    assert_eq!(v["filters"][0]["values"]["state"], "CA");
    assert_eq!(v["filters"][0]["verdict"], true);
    assert_eq!(v["filters"][9]["verdict"], false);
    assert_eq!(v["logic"]["verdict"], true);
    assert_eq!(v["qualifies"], true);
    // By id too.
    assert_eq!(json(&["1", "Every filter", "--at", "2026-12-01 16:00"]), v);
}

#[test]
fn trigger_campaign_with_a_wait_in_progress() {
    let args = ["ann@example.com", "Contact follow-up"];
    insta::assert_snapshot!("contact_follow_up_human", explain(&args));
    let v = json(&args);
    insta::assert_snapshot!("contact_follow_up_json", pretty(&v));
    assert_eq!(v["kind"], "trigger");
    assert_eq!(v["position"]["step"], "4");
    assert_eq!(v["position"]["until"], "2026-12-03T12:00:00Z");
    assert_eq!(v["qualification"]["last_entered"], "2026-12-01T12:00:00Z");
    assert_eq!(v["qualification"]["eligible_from"], Value::Null);
    assert_eq!(v["triggers"][0]["last_match"]["id"], 22);
    // Before her form fill she had no match and could enter.
    let before = json(&[
        "ann@example.com",
        "Contact follow-up",
        "--at",
        "2026-12-01 11:00",
    ]);
    assert_eq!(before["triggers"][0]["last_match"], Value::Null);
    assert_eq!(before["qualification"]["verdict"], true);
    assert_eq!(before["position"], Value::Null);
}

#[test]
fn executable_campaign() {
    let args = ["bo@example.com", "Hot lead"];
    insta::assert_snapshot!("hot_lead_human", explain(&args));
    insta::assert_snapshot!("hot_lead_json", pretty(&json(&args)));
}

#[test]
fn activities() {
    for (name, id) in [
        ("activity_not_qualified", "16"),
        ("activity_communication_limit", "21"),
        ("activity_qualification_rule", "23"),
        ("activity_cascade_limit", "31"),
        ("activity_after_wake", "10"),
        ("activity_batch_run", "33"),
        ("activity_input", "13"),
    ] {
        let human = explain(&["--activity", id]);
        let v = json(&["--activity", id]);
        insta::assert_snapshot!(format!("{name}_human"), human);
        insta::assert_snapshot!(format!("{name}_json"), pretty(&v));
    }
}

#[test]
fn the_chain_names_each_link() {
    // A step after a wake: the form fill, the entry, the wake.
    let v = json(&["--activity", "10"]);
    let ids: Vec<&Value> = v["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [3, 4, 9]);
    // A batch run's step: the run and its instant, then the entry.
    let v = json(&["--activity", "33"]);
    assert_eq!(v["chain"][0]["run"], "Weekly digest");
    assert_eq!(v["chain"][0]["at"], "2026-12-02T08:00:00Z");
    assert_eq!(v["chain"][1]["id"], 32);
    // The sends that filled the limit.
    let v = json(&["--activity", "21"]);
    assert_eq!(v["details"]["sends_today"][0]["id"], 15);
    // The previous entry behind the rule.
    let v = json(&["--activity", "23"]);
    assert_eq!(v["details"]["previous_entry"]["id"], 14);
    // The cascade chain.
    let v = json(&["--activity", "31"]);
    assert_eq!(v["details"]["chain"].as_array().unwrap().len(), 4);
    assert_eq!(v["chain"][0]["id"], 24);
    // The field values behind `not_qualified`.
    let v = json(&["--activity", "16"]);
    assert_eq!(v["details"]["filters"][0]["values"]["score"], 0);
}

#[test]
fn the_log_records_causes() {
    let (_, db, _) = store();
    let out = camp(&["log", "--db", db, "--format", "json"]);
    assert!(out.status.success());
    let log: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cause = |id: usize| log[id - 1]["attributes"].get("cause").cloned();
    // Inputs have none; a triggered flow's steps name the trigger activity, also after a wake.
    assert_eq!(cause(3), None);
    assert_eq!(cause(5), Some(3.into()));
    assert_eq!(cause(9), Some(3.into()));
    assert_eq!(cause(10), Some(3.into()));
    // A batch run's entries and steps name the run.
    let run = serde_json::json!({ "run": "Weekly digest", "at": "2026-12-02T08:00:00Z" });
    assert_eq!(cause(32), Some(run.clone()));
    assert_eq!(cause(33), Some(run));
    // A cascade's steps name the activity that fired them.
    assert_eq!(cause(26), Some(24.into()));
    assert_eq!(cause(28), Some(26.into()));
    assert_eq!(cause(31), Some(30.into()));
}

#[test]
fn symbols_on_a_terminal_words_in_a_pipe() {
    // Piped (the tests' case), verdicts are words; the library renders symbols for terminals.
    let text = explain(&["ann@example.com", "Every filter"]);
    assert!(text.starts_with("no ann@example.com"), "{text}");
    assert!(!text.contains('✔') && !text.contains('✘'));
    let v = json(&["ann@example.com", "Every filter"]);
    let symbols = camp::explain::human::person(
        &v,
        camp::explain::Style {
            marks: camp::explain::Marks::Symbols,
            tz: chrono_tz::Tz::UTC,
        },
    );
    insta::assert_snapshot!("every_filter_symbols", symbols);
}

#[test]
fn unknown_names_and_instants() {
    let (_, db, script) = store();
    let run = |args: &[&str]| {
        let mut all = vec!["explain"];
        all.extend(args);
        all.extend(["--db", db, script]);
        camp(&all)
    };
    let out = run(&["ann@example.com", "Every filtr"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no campaign is called `Every filtr`: did you mean `Every filter`?"),
        "{err}"
    );
    let out = run(&["anne@example.com", "Every filter"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no person is `anne@example.com`: did you mean `ann@example.com`?"),
        "{err}"
    );
    let out = run(&["99", "Every filter"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--activity", "999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no activity 999"));
    let out = run(&["ann@example.com", "Every filter", "--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    // Before the person existed.
    let v = json(&[
        "ann@example.com",
        "Every filter",
        "--at",
        "2026-11-27 09:00",
    ]);
    assert_eq!(v["existed"], false);
    assert_eq!(v["qualifies"], false);
    let text = explain(&[
        "ann@example.com",
        "Every filter",
        "--at",
        "2026-11-27 09:00",
    ]);
    assert!(text.contains("did not exist yet"), "{text}");
}

#[test]
fn not_qualified_reads_the_values_before_the_step_at_the_same_instant() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.camp");
    std::fs::write(
        &script,
        r#"
form "F"
executable campaign "Hot" { smart list { filter score at least 50 } flow { interesting moment "hot" } }
campaign "Fill" {
  smart list { trigger fills out form "F" }
  flow {
    execute campaign "Hot"
    change score by 60
  }
}
"#,
    )
    .unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(
        &events,
        "{\"at\":\"2026-12-01T10:00:00Z\",\"type\":\"fills_out_form\",\"person\":\"a@example.com\",\"form\":\"F\"}\n",
    )
    .unwrap();
    let db = dir.path().join("camp.db").display().to_string();
    let script = script.display().to_string();
    let out = camp(&[
        "run",
        &script,
        "--db",
        &db,
        "--events",
        &events.display().to_string(),
        "--from",
        "2026-12-01 09:00",
        "--until",
        "2026-12-01 11:00",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 1 new_person, 2 fill_out_form, 3 enter_flow, 4 execute_campaign, 5 change_score.
    let out = camp(&[
        "explain",
        "--activity",
        "4",
        "--db",
        &db,
        "--format",
        "json",
        &script,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["activity"]["reason"], "not_qualified");
    assert_eq!(v["details"]["filters"][0]["values"]["score"], 0);
    assert_eq!(v["details"]["filters"][0]["verdict"], false);
    // The person now has 60: a live explanation says so.
    let out = camp(&[
        "explain",
        "a@example.com",
        "Hot",
        "--db",
        &db,
        "--format",
        "json",
        &script,
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["filters"][0]["values"]["score"], 60);
    assert_eq!(v["qualifies"], true);
}

#[test]
fn a_requested_campaign_chains_back_through_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.camp");
    std::fs::write(
        &script,
        r#"
form "F"
campaign "Alert" {
  smart list { trigger campaign is requested }
  flow { interesting moment "alerted" }
}
campaign "Fill" {
  smart list { trigger fills out form "F" }
  flow { request campaign "Alert" }
}
"#,
    )
    .unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(
        &events,
        "{\"at\":\"2026-12-01T10:00:00Z\",\"type\":\"fills_out_form\",\"person\":\"a@example.com\",\"form\":\"F\"}\n",
    )
    .unwrap();
    let db = dir.path().join("camp.db").display().to_string();
    let script = script.display().to_string();
    let out = camp(&[
        "run",
        &script,
        "--db",
        &db,
        "--events",
        &events.display().to_string(),
        "--from",
        "2026-12-01 09:00",
        "--until",
        "2026-12-01 11:00",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 1 new_person, 2 fill_out_form, 3 enter_flow Fill, 4 request_campaign, 5 enter_flow
    // Alert, 6 interesting_moment.
    let out = camp(&[
        "explain",
        "--activity",
        "6",
        "--db",
        &db,
        "--format",
        "json",
        &script,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let links: Vec<(i64, String)> = v["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            (2, "fill_out_form".to_string()),
            (3, "enter_flow".to_string()),
            (4, "request_campaign".to_string()),
            (5, "enter_flow".to_string()),
        ]
    );
    assert_eq!(v["activity"]["attributes"]["cause"], 4);
}
