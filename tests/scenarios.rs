//! Scenario tests: a script, people and events, one or more runs, then the activity log and the
//! outbox compared with expectations written by hand from LANGUAGE.md.
//!
//! Each scenario is a folder under `tests/scenarios/` holding:
//! - `script.camp` (more `*.camp` files join the workspace);
//! - optionally `people.csv` and `events.jsonl`;
//! - `runs.txt`: one run per line, `from=T until=T [campaign=NAME] [people] [events]`, where
//!   `people`/`events` import the files in that run (T is `2026-12-01 09:00` or RFC 3339);
//! - `log.txt`: the expected log, one activity per line:
//!   `AT PERSON CAMPAIGN STEP TYPE PRIMARY RESULT` with `-` for none, names quoted when they
//!   hold spaces, and `skipped(reason)` / `failed(reason)` (`succeeded(reason)` for a
//!   `leave_flow`) for results;
//! - optionally `outbox.txt`: `AT TO EMAIL SUBJECT` per row (subject quoted).
//!
//! A new scenario is a new folder. Every scenario runs on the SQLite store, and on PostgreSQL
//! when `CAMP_TEST_POSTGRES` names a server (`tests/run` starts one).

#[path = "support/postgres.rs"]
mod postgres_db;

use std::path::{Path, PathBuf};

use camp::engine::events::read_events;
use camp::engine::inputs::{parse_instant, parse_people_csv};
use camp::engine::run::Engine;
use camp::engine::value::rfc3339;
use camp::store::sqlite::SqliteStore;
use camp::store::{Activity, LogQuery, Outcome, Store};
use camp::workspace::Workspace;

fn q(s: &str) -> String {
    if s.is_empty() || s.contains(char::is_whitespace) || s.contains('"') {
        format!("{s:?}")
    } else {
        s.to_string()
    }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(q).unwrap_or_else(|| "-".into())
}

/// One activity in the compact form of `log.txt`.
pub fn line(a: &Activity) -> String {
    let result = match (a.outcome, &a.reason) {
        (Outcome::Succeeded, None) => "succeeded".to_string(),
        (o, Some(r)) => format!("{}({r})", o.as_str()),
        (o, None) => o.as_str().to_string(),
    };
    format!(
        "{} {} {} {} {} {} {}",
        rfc3339(a.at),
        a.email
            .as_deref()
            .map(q)
            .unwrap_or_else(|| a.person.to_string()),
        opt(&a.campaign),
        opt(&a.step),
        a.kind,
        opt(&a.primary),
        result
    )
}

fn expected(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn run_scenario(dir: &Path, store: &mut dyn Store) -> Result<(), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "camp"))
        .collect();
    files.sort();
    let ws = Workspace::load(&files).map_err(|e| e.to_string())?;
    let checked = camp::check::check_workspace(&ws);
    let program = checked.program.ok_or_else(|| {
        checked
            .diagnostics
            .iter()
            .map(|d| d.render(&ws.sources, false, false))
            .collect::<String>()
    })?;
    let tz = program.settings.time_zone;
    let runs =
        std::fs::read_to_string(dir.join("runs.txt")).map_err(|e| format!("runs.txt: {e}"))?;
    {
        let mut engine = Engine::new(&program, &mut *store).map_err(|e| e.to_string())?;
        for run in runs
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut from = None;
            let mut until = None;
            let mut campaign = None;
            let mut people = false;
            let mut events = false;
            // Values may hold one space (`2026-12-01 09:00`) or be quoted names.
            let mut rest = run;
            while !rest.is_empty() {
                rest = rest.trim_start();
                let (key, after) = rest.split_once('=').unwrap_or((rest, ""));
                let key = key.trim();
                if key == "people" || key == "events" || after.is_empty() {
                    let word = rest.split_whitespace().next().unwrap_or("");
                    match word {
                        "people" => people = true,
                        "events" => events = true,
                        other => return Err(format!("runs.txt: unknown word `{other}`")),
                    }
                    rest = &rest[word.len()..];
                    continue;
                }
                let (value, next) = if let Some(stripped) = after.strip_prefix('"') {
                    let end = stripped.find('"').ok_or("runs.txt: unterminated quote")?;
                    (&stripped[..end], &stripped[end + 1..])
                } else {
                    // Up to the next ` key=`.
                    let mut end = after.len();
                    for (i, _) in after.match_indices(' ') {
                        let tail = after[i + 1..].trim_start();
                        let w = tail.split_whitespace().next().unwrap_or("");
                        if w.contains('=') || w == "people" || w == "events" {
                            end = i;
                            break;
                        }
                    }
                    (&after[..end], &after[end..])
                };
                match key {
                    "from" => {
                        from = Some(
                            parse_instant(value, tz)
                                .ok_or(format!("bad time {value}"))?
                                .timestamp(),
                        )
                    }
                    "until" => {
                        until = Some(
                            parse_instant(value, tz)
                                .ok_or(format!("bad time {value}"))?
                                .timestamp(),
                        )
                    }
                    "campaign" => campaign = Some(value.to_string()),
                    other => return Err(format!("runs.txt: unknown key `{other}`")),
                }
                rest = next;
            }
            let until = until.ok_or("runs.txt: every run needs until=")?;
            let clock = engine
                .clock_or_start(from.unwrap_or(until))
                .map_err(|e| e.to_string())?;
            if let Some(f) = from {
                if f > clock {
                    engine.run_until(f).map_err(|e| e.to_string())?;
                }
            }
            let clock = engine.clock().map_err(|e| e.to_string())?.unwrap_or(until);
            if people {
                let bytes = std::fs::read(dir.join("people.csv")).map_err(|e| e.to_string())?;
                let records =
                    parse_people_csv(&program, "people.csv", &bytes).map_err(|e| e.to_string())?;
                engine
                    .import_people(&records, clock)
                    .map_err(|e| e.to_string())?;
            }
            if events {
                let text =
                    std::fs::read_to_string(dir.join("events.jsonl")).map_err(|e| e.to_string())?;
                let parsed =
                    read_events(&program, "events.jsonl", &text).map_err(|e| e.to_string())?;
                engine
                    .add_events("events.jsonl", &parsed, clock)
                    .map_err(|e| e.to_string())?;
            }
            if let Some(name) = campaign {
                let cid = program
                    .campaign(&name)
                    .ok_or(format!("no campaign {name}"))?;
                engine
                    .run_batch_now(cid, clock)
                    .map_err(|e| e.to_string())?;
            }
            engine.run_until(until).map_err(|e| e.to_string())?;
        }
    }
    let log: Vec<String> = store
        .log(&LogQuery::default())
        .map_err(|e| e.to_string())?
        .iter()
        .map(line)
        .collect();
    let want = expected(&dir.join("log.txt"));
    if log != want {
        return Err(format!(
            "log differs\n--- expected\n{}\n--- actual\n{}\n",
            want.join("\n"),
            log.join("\n")
        ));
    }
    let outbox_path = dir.join("outbox.txt");
    if outbox_path.exists() {
        let got: Vec<String> = store
            .outbox()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|o| {
                format!(
                    "{} {} {} {}",
                    rfc3339(o.at),
                    q(&o.to),
                    q(&o.email),
                    q(&o.subject)
                )
            })
            .collect();
        let want = expected(&outbox_path);
        if got != want {
            return Err(format!(
                "outbox differs\n--- expected\n{}\n--- actual\n{}\n",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    Ok(())
}

fn scenario_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenarios found");
    dirs
}

fn report(failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        total,
        failures.join("\n")
    );
}

#[test]
fn scenarios() {
    let dirs = scenario_dirs();
    let mut failures = Vec::new();
    for dir in &dirs {
        let result = SqliteStore::open(":memory:")
            .map_err(|e| e.to_string())
            .and_then(|mut store| run_scenario(dir, &mut store));
        if let Err(e) = result {
            failures.push(format!("== {}\n{e}", dir.display()));
        }
    }
    report(failures, dirs.len());
}

/// The same scenarios, the same expectations, on a PostgreSQL store (a fresh database each).
#[test]
fn scenarios_on_postgres() {
    let dirs = scenario_dirs();
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let Some(db) = postgres_db::database(&name) else {
            return;
        };
        let result = camp::store::postgres::PostgresStore::connect(&db.url, &db.url, true)
            .map_err(|e| e.to_string())
            .and_then(|mut store| run_scenario(dir, &mut store));
        if let Err(e) = result {
            failures.push(format!("== {} (PostgreSQL)\n{e}", dir.display()));
        }
    }
    report(failures, dirs.len());
}
