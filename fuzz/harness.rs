//! What each fuzz target does with its input. Shared by the targets (`fuzz_targets/*.rs`) and by
//! `tests/fuzz_regressions.rs`, so a saved crash is replayed through exactly the same code.
//!
//! Every function must return normally for any input: errors and diagnostics are fine, panics
//! (and stack overflows) are the bugs.
#![allow(dead_code)]

use std::sync::OnceLock;

use camp::check::check_workspace;
use camp::check::ir::Program;
use camp::engine::events::read_events;
use camp::engine::inputs::{parse_events, parse_people_csv};
use camp::engine::run::Engine;
use camp::engine::template::{render, Escape};
use camp::store::sqlite::SqliteStore;
use camp::syntax::ast::Item;
use camp::syntax::parse_file;
use camp::syntax::span::FileId;
use camp::workspace::Workspace;

/// Declarations the `check`, `events`, `csv` and `run` targets build on.
pub const PRELUDE: &str = r#"
schema person {
  first_name: text
  state: text
  employees: number
  birthday: date
  renewal_at: datetime
  vip: bool
}
list "Engaged"
list "Cold"
form "Contact Us"
page "Pricing"
token company = "Acme"
program "Webinar" { statuses "Invited", "Registered", "Attended" }
event "trial_started" { plan: text, seats: number }
email "Welcome" {
  subject "Hi {{person.first_name:default=friend}}"
  body "<p>From {{my.company}} to {{person.state}}</p>"
}
webhook "Notify" { url "https://example.com/{{person.email}}" method "POST" body "{{person.score}}" }
"#;

/// The campaigns the `events` and `csv` targets are checked with.
const CAMPAIGNS: &str = r#"
campaign "Follow-up" {
  smart list {
    trigger fills out form "Contact Us" on page "Pricing"
    trigger event "trial_started" where plan is "pro"
  }
  flow {
    send email "Welcome"
    change score by 10
    wait 1 day
    if state is "CA" { add to list "Engaged" } else { call webhook "Notify" }
  }
  qualify every time
}
campaign "Scored" {
  smart list { trigger score is changed }
  flow { change program status "Webinar" to "Registered" }
}
"#;

/// Start of the `run` window: 2026-11-18 20:53:20 UTC.
const T0: i64 = 1_795_000_000;

/// People the `run` target imports before its window.
const PEOPLE: &str = "email,first_name,state,employees,birthday,renewal_at,vip\n\
ann@example.com,Ann,CA,120,1988-03-14,2026-11-20 09:00,true\n\
bo@example.com,Bo,NY,2400,1979-11-19,,false\n\
cy@example.com,,TX,,,,\n";

/// Events the `run` target adds (those its program knows how to read).
const EVENTS: &str = r#"{"at":"2026-11-18T21:00:00Z","type":"fills_out_form","person":"ann@example.com","form":"Contact Us","page":"Pricing","fields":{"state":"CA"}}
{"at":"2026-11-18T22:00:00Z","type":"visits_page","person":"bo@example.com","page":"Pricing"}
{"at":"2026-11-19T09:00:00Z","type":"trial_started","person":"cy@example.com","plan":"pro","seats":5}
{"at":"2026-11-19T10:00:00Z","type":"opens_email","person":"ann@example.com","email":"Welcome"}
{"at":"2026-11-19T10:05:00Z","type":"clicks_link_in_email","person":"ann@example.com","email":"Welcome","link":"https://x.example"}
"#;

/// The program the `events` and `csv` targets read their inputs against.
fn fixed_program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let mut ws = Workspace::new();
        ws.add_text("prelude.camp", format!("{PRELUDE}{CAMPAIGNS}"));
        check_workspace(&ws)
            .program
            .expect("the fuzz prelude checks")
    })
}

/// Renders every diagnostic, which must not panic either (spans inside their files).
fn render_all(ws: &Workspace, diagnostics: &[camp::diagnostic::Diagnostic]) {
    for d in diagnostics {
        let _ = d.render_plain(&ws.sources);
    }
}

/// `parse`: any bytes as one file, then the whole workspace checked.
pub fn parse(data: &[u8]) {
    let mut ws = Workspace::new();
    ws.add_bytes("fuzz.camp", data.to_vec());
    let checked = check_workspace(&ws);
    render_all(&ws, &ws.diagnostics);
    render_all(&ws, &checked.diagnostics);
}

/// `check`: the fuzz text after a fixed schema and assets, so that names resolve and the
/// checker goes past name resolution.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut ws = Workspace::new();
    ws.add_text("fuzz.camp", format!("{PRELUDE}\n{text}"));
    let checked = check_workspace(&ws);
    render_all(&ws, &ws.diagnostics);
    render_all(&ws, &checked.diagnostics);
}

/// `template`: the fuzz text as an email body (quotes and backslashes escaped), rendered with
/// each escaping against a source that knows some tokens.
pub fn template(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
    let script = format!("email \"x\" {{ body \"{quoted}\" }}");
    let Ok(parsed) = parse_file(FileId(0), &script) else {
        return;
    };
    let source = |namespace: &str, name: &str| -> Option<String> {
        match (namespace, name) {
            ("person", "first_name") => Some("Ann <&> \"Lee\" 'x' é 😀".to_string()),
            ("person", "score") => Some("42".to_string()),
            ("person", "email") => Some(String::new()),
            ("my", _) => Some(format!("{name}/{name}?a=b&c=d %")),
            ("trigger", _) => Some(name.repeat(3)),
            _ => None,
        }
    };
    for item in &parsed.items {
        if let Item::Email(email) = item {
            for t in email.body.iter().chain(email.subject.iter()) {
                for escape in [Escape::Html, Escape::Url, Escape::Plain] {
                    let _ = render(t, &source, escape);
                }
            }
        }
    }
}

/// `events`: the fuzz text as an events file for a fixed program.
pub fn events(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let program = fixed_program();
    let _ = parse_events(program, "events.jsonl", &text);
    let _ = read_events(program, "events.jsonl", &text);
    // The raw bytes, line by line, into a store with two people; when accepted, a day of them.
    let Ok(mut store) = SqliteStore::open(":memory:") else {
        return;
    };
    let Ok(mut engine) = Engine::new(program, &mut store) else {
        return;
    };
    let Ok(clock) = engine.clock_or_start(T0) else {
        return;
    };
    let people = b"email\nann@example.com\nbo@example.com\n";
    if let Ok(records) = parse_people_csv(program, "people.csv", &people[..]) {
        let _ = engine.import_people(&records, clock);
    }
    if engine.add_events_from("events.jsonl", data, clock).is_ok() {
        let _ = engine.run_until(clock + 86_400);
    }
}

/// `csv`: the fuzz bytes as a people CSV for a fixed program.
pub fn csv(data: &[u8]) {
    let _ = parse_people_csv(fixed_program(), "people.csv", data);
}

/// `run`: the fuzz text as campaigns after the prelude; when it checks, three people and a few
/// events through a three-day window on an in-memory store, cascades limited to depth 16.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut ws = Workspace::new();
    ws.add_text("fuzz.camp", format!("{PRELUDE}\n{text}"));
    let Some(mut program) = check_workspace(&ws).program else {
        return;
    };
    program.settings.cascade_depth = program.settings.cascade_depth.min(16);
    let Ok(mut store) = SqliteStore::open(":memory:") else {
        return;
    };
    let Ok(mut engine) = Engine::new(&program, &mut store) else {
        return;
    };
    let Ok(clock) = engine.clock_or_start(T0) else {
        return;
    };
    if let Ok(people) = parse_people_csv(&program, "people.csv", PEOPLE.as_bytes()) {
        let _ = engine.import_people(&people, clock);
    }
    if let Ok(events) = read_events(&program, "events.jsonl", EVENTS) {
        let _ = engine.add_events("events.jsonl", &events, clock);
    }
    let _ = engine.run_until(T0 + 3 * 86_400);
}
