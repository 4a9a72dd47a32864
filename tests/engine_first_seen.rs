//! A campaign added to the script after the store's clock has passed its first instants runs
//! only from the clock on (LANGUAGE.md 5: a run earlier than the clock when the campaign is first
//! seen is in the past and never runs).

use camp::check::ir::Program;
use camp::engine::inputs::{parse_instant, parse_people_csv};
use camp::engine::run::Engine;
use camp::engine::value::rfc3339;
use camp::store::sqlite::SqliteStore;
use camp::store::{LogQuery, Store};
use camp::workspace::Workspace;

const FIRST: &str = r#"
campaign "Old" {
  smart list { filter all people }
  flow { interesting moment "old" }
  run every day at 09:00 from 2026-12-01
  qualify every time
}
"#;

const ADDED: &str = r#"
campaign "New" {
  smart list { filter all people }
  flow { interesting moment "new" }
  run every day at 08:00 from 2026-12-01
  qualify every time
}
"#;

fn program(texts: &[&str]) -> Program {
    let mut ws = Workspace::new();
    for (i, t) in texts.iter().enumerate() {
        ws.add_text(&format!("s{i}.camp"), t.to_string());
    }
    camp::check::check_workspace(&ws)
        .program
        .expect("checks clean")
}

#[test]
fn a_campaign_first_seen_late_skips_its_past_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("camp.db");
    let at = |s: &str| parse_instant(s, chrono_tz::UTC).unwrap().timestamp();
    {
        let p = program(&[FIRST]);
        let people = parse_people_csv(&p, "people.csv", b"email\nann@example.com\n").unwrap();
        let mut store = SqliteStore::open(db.to_str().unwrap()).unwrap();
        let mut engine = Engine::new(&p, &mut store).unwrap();
        let start = engine.clock_or_start(at("2026-12-01 00:00")).unwrap();
        engine.import_people(&people, start).unwrap();
        engine.run_until(at("2026-12-03 08:30")).unwrap();
    }
    {
        let p = program(&[FIRST, ADDED]);
        let mut store = SqliteStore::open(db.to_str().unwrap()).unwrap();
        let mut engine = Engine::new(&p, &mut store).unwrap();
        engine.run_until(at("2026-12-04 12:00")).unwrap();
    }
    let store = SqliteStore::open(db.to_str().unwrap()).unwrap();
    let runs: Vec<String> = store
        .log(&LogQuery::default())
        .unwrap()
        .iter()
        .filter(|a| a.kind == "interesting_moment")
        .map(|a| format!("{} {}", rfc3339(a.at), a.primary.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        runs,
        [
            "2026-12-01T09:00:00Z old",
            "2026-12-02T09:00:00Z old",
            "2026-12-03T09:00:00Z old",
            "2026-12-04T08:00:00Z new",
            "2026-12-04T09:00:00Z old",
        ]
    );
}
