//! The same script, people and events run twice into two stores give the same log and outbox
//! (LANGUAGE.md 9.1: the engine is a deterministic discrete-event simulation).

use camp::engine::events::read_events;
use camp::engine::inputs::{parse_instant, parse_people_csv};
use camp::engine::run::Engine;
use camp::report::{activity_json, outbox_json};
use camp::store::sqlite::SqliteStore;
use camp::store::{LogQuery, Store};
use camp::workspace::Workspace;
use serde_json::Value;

const SCRIPT: &str = r#"
schema person { first_name: text  state: text }
list "Engaged"
email "Welcome" { subject "Hi {{person.first_name:default=friend}}" body "Hello {{person.state}}" }
form "Contact Us"
campaign "Blast" {
  smart list { filter state is "CA", "NY" }
  flow {
    send email "Welcome"
    wait 1 day
    if state is "CA" { change score by 10 } else { add to list "Engaged" }
  }
  run every day at 09:00 from 2026-12-01 until 2026-12-03
  qualify every time
}
campaign "Responder" {
  smart list { trigger fills out form "Contact Us" }
  flow {
    change state to "CA"
    add to list "Engaged"
  }
  qualify every time
}
campaign "Scored" {
  smart list { trigger score is changed }
  flow { interesting moment "scored {{person.email}}" }
  qualify every time
}
"#;

const PEOPLE: &str =
    "email,first_name,state\nann@example.com,Ann,CA\nbo@example.com,Bo,NY\ncy@example.com,,TX\n";

const EVENTS: &str = r#"{"at":"2026-12-01T10:00:00Z","type":"fills_out_form","person":"cy@example.com","form":"Contact Us","fields":{"first_name":"Cy"}}
{"at":"2026-12-01T11:00:00Z","type":"fills_out_form","person":"dee@example.com","form":"Contact Us","fields":{"first_name":"Dee"}}
"#;

fn run_once(path: &std::path::Path) -> (Vec<Value>, Vec<Value>) {
    let mut ws = Workspace::new();
    ws.add_text("d.camp", SCRIPT.to_string());
    let program = camp::check::check_workspace(&ws)
        .program
        .expect("script checks clean");
    let tz = program.settings.time_zone;
    let at = |s: &str| parse_instant(s, tz).unwrap().timestamp();
    let people = parse_people_csv(&program, "people.csv", PEOPLE.as_bytes()).unwrap();
    let events = read_events(&program, "events.jsonl", EVENTS).unwrap();
    let mut store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    {
        let mut engine = Engine::new(&program, &mut store).unwrap();
        let start = engine.clock_or_start(at("2026-12-01 00:00")).unwrap();
        engine.import_people(&people, start).unwrap();
        engine.add_events("events.jsonl", &events, start).unwrap();
        engine.run_until(at("2026-12-02 12:00")).unwrap();
        engine.run_until(at("2026-12-05 00:00")).unwrap();
    }
    let log = store
        .log(&LogQuery::default())
        .unwrap()
        .iter()
        .map(activity_json)
        .collect();
    let outbox = store.outbox().unwrap().iter().map(outbox_json).collect();
    (log, outbox)
}

#[test]
fn two_runs_give_identical_logs_and_outboxes() {
    let dir = tempfile::tempdir().unwrap();
    let (log1, out1) = run_once(&dir.path().join("one.db"));
    let (log2, out2) = run_once(&dir.path().join("two.db"));
    assert!(log1.len() > 20, "the scenario does something: {log1:#?}");
    assert!(!out1.is_empty());
    assert_eq!(log1, log2);
    assert_eq!(out1, out2);
}
