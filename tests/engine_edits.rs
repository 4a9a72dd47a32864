//! The engine across script edits (LANGUAGE.md 9.5): a store written by one version of a script
//! and run again with another. People already waiting in a deactivated campaign finish; people
//! waiting at a step path or in a campaign that no longer exists leave the flow with a reason.
//! Also the attributes of a `cascade_limit` activity (9.6).

use camp::check::ir::Program;
use camp::engine::events::read_events;
use camp::engine::inputs::parse_instant;
use camp::engine::run::Engine;
use camp::store::sqlite::SqliteStore;
use camp::store::{Activity, LogQuery, Outcome, Store};
use camp::workspace::Workspace;

fn program(text: &str) -> Program {
    let mut ws = Workspace::new();
    ws.add_text("script.camp", text.to_string());
    let checked = camp::check::check_workspace(&ws);
    match checked.program {
        Some(p) => p,
        None => panic!(
            "script does not check:\n{}",
            checked
                .diagnostics
                .iter()
                .map(|d| d.render(&ws.sources, false, false))
                .collect::<String>()
        ),
    }
}

fn t(s: &str) -> i64 {
    parse_instant(s, chrono_tz::UTC).unwrap().timestamp()
}

/// Runs `script` over the store at `db` from `from` to `until`, after adding `events`.
fn run(db: &str, script: &str, from: &str, until: &str, events: &str) {
    let program = program(script);
    let mut store = SqliteStore::open(db).unwrap();
    let mut engine = Engine::new(&program, &mut store).unwrap();
    let clock = engine.clock_or_start(t(from)).unwrap();
    if !events.is_empty() {
        let parsed = read_events(&program, "events.jsonl", events).unwrap();
        engine.add_events("events.jsonl", &parsed, clock).unwrap();
    }
    engine.run_until(t(until)).unwrap();
}

fn log(db: &str) -> Vec<Activity> {
    SqliteStore::open(db)
        .unwrap()
        .log(&LogQuery::default())
        .unwrap()
}

/// `campaign type primary` of each activity of the person with id 1 in `campaign`.
fn steps(db: &str, campaign: &str) -> Vec<String> {
    log(db)
        .iter()
        .filter(|a| a.campaign.as_deref() == Some(campaign))
        .map(|a| {
            format!(
                "{} {} {} {}",
                a.email.as_deref().unwrap_or("-"),
                a.step.as_deref().unwrap_or("-"),
                a.kind,
                a.primary.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

const V1: &str = r#"
page "Pricing"
campaign "Nurture" {
  smart list { trigger visits page "Pricing" }
  flow {
    interesting moment "start"
    wait 1 day
    interesting moment "a"
    wait 1 day
    interesting moment "b"
  }
}
"#;

const EVENTS: &str = r#"{"at":"2026-12-01T10:00:00Z","type":"person_created","person":{"email":"ann@example.com"}}
{"at":"2026-12-01T10:00:00Z","type":"visits_page","person":"ann@example.com","page":"Pricing"}
"#;

const LATER: &str = r#"{"at":"2026-12-01T13:00:00Z","type":"person_created","person":{"email":"bo@example.com"}}
{"at":"2026-12-01T13:00:00Z","type":"visits_page","person":"bo@example.com","page":"Pricing"}
"#;

/// A fresh store file holding Ann parked at path 2 of "Nurture" (v1).
fn parked() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("camp.db").display().to_string();
    run(
        &db,
        V1,
        "2026-12-01T00:00:00Z",
        "2026-12-01T12:00:00Z",
        EVENTS,
    );
    assert_eq!(
        steps(&db, "Nurture"),
        [
            "ann@example.com - enter_flow -",
            "ann@example.com 1 interesting_moment start",
            "ann@example.com 2 wait -",
        ]
    );
    (dir, db)
}

#[test]
fn deactivated_campaign_lets_waiting_people_finish() {
    let (_dir, db) = parked();
    let v2 = V1.replace("flow {", "inactive\n  flow {");
    run(
        &db,
        &v2,
        "2026-12-01T12:00:00Z",
        "2026-12-05T00:00:00Z",
        LATER,
    );
    assert_eq!(
        steps(&db, "Nurture"),
        [
            "ann@example.com - enter_flow -",
            "ann@example.com 1 interesting_moment start",
            "ann@example.com 2 wait -",
            "ann@example.com - wake -",
            "ann@example.com 3 interesting_moment a",
            "ann@example.com 4 wait -",
            "ann@example.com - wake -",
            "ann@example.com 5 interesting_moment b",
        ],
        "Ann finishes; Bo, who visits after the deactivation, never enters"
    );
    let bo: Vec<_> = log(&db)
        .into_iter()
        .filter(|a| a.email.as_deref() == Some("bo@example.com"))
        .map(|a| a.kind)
        .collect();
    assert_eq!(bo, ["new_person", "visit_page"]);
}

fn leave_reason(db: &str) -> Vec<(String, Option<String>)> {
    log(db)
        .into_iter()
        .filter(|a| a.kind == "leave_flow")
        .map(|a| (a.campaign.unwrap_or_default(), a.reason))
        .collect()
}

#[test]
fn removed_step_path_makes_waiting_people_leave() {
    let (_dir, db) = parked();
    // The wait at path 2 (and everything after it) is gone.
    let v2 = r#"
page "Pricing"
campaign "Nurture" {
  smart list { trigger visits page "Pricing" }
  flow { interesting moment "start" }
}
"#;
    run(&db, v2, "2026-12-01T12:00:00Z", "2026-12-05T00:00:00Z", "");
    assert_eq!(
        leave_reason(&db),
        [("Nurture".to_string(), Some("step_removed".to_string()))]
    );
    let after: Vec<_> = log(&db)
        .into_iter()
        .filter(|a| a.at > t("2026-12-01T12:00:00Z"))
        .collect();
    assert!(after.iter().all(|a| a.at == t("2026-12-02T10:00:00Z")));
    assert_eq!(after.last().unwrap().kind, "leave_flow");
    assert!(!after.iter().any(|a| a.kind == "interesting_moment"));
    let waits = SqliteStore::open(&db).unwrap().waits().unwrap();
    assert!(waits.is_empty());
}

#[test]
fn removed_campaign_makes_waiting_people_leave() {
    let (_dir, db) = parked();
    let v2 = r#"
page "Pricing"
campaign "Other" {
  smart list { trigger visits page "Pricing" }
  flow { interesting moment "other" }
}
"#;
    run(&db, v2, "2026-12-01T12:00:00Z", "2026-12-05T00:00:00Z", "");
    assert_eq!(
        leave_reason(&db),
        [("Nurture".to_string(), Some("campaign_removed".to_string()))]
    );
    let leave = log(&db).into_iter().last().unwrap();
    assert_eq!(leave.kind, "leave_flow");
    assert_eq!(leave.at, t("2026-12-02T10:00:00Z"));
    assert!(SqliteStore::open(&db).unwrap().waits().unwrap().is_empty());
}

#[test]
fn cascade_limit_records_depth_and_chain() {
    let script = r#"
settings { cascade depth 3 }
campaign "Bump" {
  smart list { trigger score is changed }
  flow { change score by 1 }
  qualify every time
}
"#;
    let events = r#"{"at":"2026-12-01T10:00:00Z","type":"person_created","person":{"email":"ann@example.com"}}
{"at":"2026-12-01T10:00:00Z","type":"data_changed","person":"ann@example.com","fields":{"score":10}}
"#;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("camp.db").display().to_string();
    run(
        &db,
        script,
        "2026-12-01T00:00:00Z",
        "2026-12-02T00:00:00Z",
        events,
    );
    let all = log(&db);
    let limits: Vec<_> = all.iter().filter(|a| a.kind == "cascade_limit").collect();
    assert_eq!(limits.len(), 1);
    let l = limits[0];
    assert_eq!(l.outcome, Outcome::Failed);
    assert_eq!(l.campaign.as_deref(), Some("Bump"));
    assert_eq!(l.attributes["depth"], serde_json::json!(3));
    // The campaigns from the origin: the three runs of "Bump", then the one not started.
    assert_eq!(
        l.attributes["chain"],
        serde_json::json!(["Bump", "Bump", "Bump", "Bump"])
    );
    let changes = all
        .iter()
        .filter(|a| a.kind == "change_score" && a.campaign.is_some())
        .count();
    assert_eq!(changes, 3);
}
