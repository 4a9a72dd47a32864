//! One test, top to bottom, in a fresh in-memory store: every statement goes through the
//! engine's own entry points, and the clock moves only forwards.
//!
//! A timed statement (`at T`, `run ... at T`, `until T`) first processes everything due up to
//! T; what a statement starts (an event, a batch run, a new person) is processed at once, at
//! the clock, cascades included, so an `expect` right after it sees its effects. A statement
//! that cannot be applied (a missing file, a rejected event) fails the test there and stops it;
//! a failed expectation does not stop it, so every failing `expect` is reported.

use std::path::Path;
use std::time::Instant;

use serde_json::{json, Map, Value as Json};

use super::{expect, Explainer, FileBase, Outcome};
use crate::check::ir::{Program, Test, TestEvent, TestStep, TestStepKind};
use crate::diagnostic::Diagnostic;
use crate::engine::events::InputRejected;
use crate::engine::inputs::{parse_people_csv, PersonRecord};
use crate::engine::run::Engine;
use crate::engine::value::{rfc3339, to_json};
use crate::store::sqlite::SqliteStore;
use crate::store::StoreError;

/// Runs one test in a new in-memory store and says how it went.
pub fn run_test(
    program: &Program,
    test: &Test,
    files: &dyn FileBase,
    explainer: Option<&dyn Explainer>,
) -> Outcome {
    let mut store = None;
    run_test_in(&mut store, program, test, files, explainer)
}

/// Runs one test in `store`, emptied first (a new in-memory store when there is none yet): a
/// thread running many tests keeps one connection and its compiled statements.
pub fn run_test_in(
    store: &mut Option<SqliteStore>,
    program: &Program,
    test: &Test,
    files: &dyn FileBase,
    explainer: Option<&dyn Explainer>,
) -> Outcome {
    let started = Instant::now();
    let ready = match store.take() {
        Some(mut s) => s.reset().map(|_| s),
        None => SqliteStore::open(":memory:"),
    };
    let failures = match ready {
        Ok(mut s) => {
            let f = run_steps(program, test, files, explainer, &mut s);
            *store = Some(s);
            f
        }
        Err(e) => vec![store_failure(test.span, &e)],
    };
    Outcome {
        name: test.name.clone(),
        span: test.span,
        passed: failures.is_empty(),
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        failures,
    }
}

fn store_failure(span: crate::syntax::ast::Span, e: &StoreError) -> Diagnostic {
    Diagnostic::error(
        "camp::test::store",
        span,
        format!("the test's store failed: {e}"),
    )
    .with_label("while applying this")
}

fn input_failure(step: &TestStep, message: String, label: &str) -> Diagnostic {
    Diagnostic::error("camp::test::input", step.span, message).with_label(label.to_string())
}

fn run_steps(
    program: &Program,
    test: &Test,
    files: &dyn FileBase,
    explainer: Option<&dyn Explainer>,
    store: &mut SqliteStore,
) -> Vec<Diagnostic> {
    let mut failures = Vec::new();
    let dir = files.dir_of(test.span.file);
    let mut engine = match Engine::new(program, store) {
        Ok(e) => e,
        Err(e) => return vec![store_failure(test.span, &e)],
    };
    let mut clock = 0i64;
    for step in &test.steps {
        match apply(program, &mut engine, &dir, step, &mut clock, explainer) {
            Ok(Applied::Done) => {}
            Ok(Applied::Failed(d)) => failures.push(d),
            Ok(Applied::Stop(d)) => {
                failures.push(d);
                break;
            }
            Err(e) => {
                failures.push(store_failure(step.span, &e));
                break;
            }
        }
    }
    failures
}

/// What applying a statement came to.
enum Applied {
    /// Applied (or an expectation that held).
    Done,
    /// An expectation that did not hold: the test goes on.
    Failed(Diagnostic),
    /// A statement that could not be applied: the test stops.
    Stop(Diagnostic),
}

fn apply(
    program: &Program,
    engine: &mut Engine<'_>,
    dir: &Path,
    step: &TestStep,
    clock: &mut i64,
    explainer: Option<&dyn Explainer>,
) -> Result<Applied, StoreError> {
    match &step.kind {
        TestStepKind::From(t) => {
            *clock = engine.clock_or_start(*t)?;
            engine.run_until(*clock)?;
        }
        TestStepKind::Person { email, values } => {
            let record = PersonRecord {
                line: 0,
                email: email.clone(),
                values: values.clone(),
            };
            engine.import_people(&[record], *clock)?;
            engine.run_until(*clock)?;
        }
        TestStepKind::People(path) => {
            let full = dir.join(path);
            let bytes = match std::fs::read(&full) {
                Ok(b) => b,
                Err(e) => {
                    return Ok(Applied::Stop(input_failure(
                        step,
                        format!("cannot read `{}`: {e}", full.display()),
                        "this people file",
                    )))
                }
            };
            let records = match parse_people_csv(program, &full.display().to_string(), &bytes) {
                Ok(r) => r,
                Err(e) => {
                    return Ok(Applied::Stop(input_failure(
                        step,
                        e.to_string(),
                        "rejected people file",
                    )))
                }
            };
            engine.import_people(&records, *clock)?;
            engine.run_until(*clock)?;
        }
        TestStepKind::Events(path) => {
            let full = dir.join(path);
            let file = match std::fs::File::open(&full) {
                Ok(f) if !full.is_dir() => f,
                Ok(_) => {
                    return Ok(Applied::Stop(input_failure(
                        step,
                        format!("cannot read `{}`: it is a folder", full.display()),
                        "this events file",
                    )))
                }
                Err(e) => {
                    return Ok(Applied::Stop(input_failure(
                        step,
                        format!("cannot read `{}`: {e}", full.display()),
                        "this events file",
                    )))
                }
            };
            let reader = std::io::BufReader::new(file);
            if let Some(d) = intake(engine, step, &full.display().to_string(), reader, *clock)? {
                return Ok(Applied::Stop(d));
            }
            engine.run_until(*clock)?;
        }
        TestStepKind::Event { at, person, event } => {
            engine.run_until(*at)?;
            *clock = *at;
            let creates = matches!(event, TestEvent::FillsOutForm { .. });
            if !creates && engine.store().person_by_email(person)?.is_none() {
                return Ok(Applied::Stop(
                    Diagnostic::error(
                        "camp::test::unknown_person",
                        step.span,
                        format!("no person `{person}` exists at this point of the test"),
                    )
                    .with_label("unknown person"),
                ));
            }
            let line = event_line(program, *at, person, event);
            if let Some(d) = intake(engine, step, "test", line.as_bytes(), *clock)? {
                return Ok(Applied::Stop(d));
            }
            engine.run_until(*clock)?;
        }
        TestStepKind::Run { campaign, at } => {
            let t = at.unwrap_or(*clock);
            engine.run_until(t)?;
            *clock = t;
            engine.run_batch_now(*campaign, t)?;
            engine.flush()?;
            engine.run_until(t)?;
        }
        TestStepKind::Until(t) => {
            engine.run_until(*t)?;
            *clock = *t;
        }
        TestStepKind::Expect(x) => {
            let found = expect::evaluate(program, engine.store(), *clock, x)?;
            if let Some(f) = found {
                let cx = super::FailureContext {
                    program,
                    store: engine.store(),
                    now: *clock,
                    expect: x,
                    span: step.span,
                    person: f.person,
                };
                let diag = f.diagnostic(step.span);
                let diag = match explainer {
                    Some(e) => e.explain(&cx, diag),
                    None => diag,
                };
                return Ok(Applied::Failed(diag));
            }
        }
    }
    Ok(Applied::Done)
}

/// Hands events to the engine's intake; a rejected file or event is a failure of the step.
fn intake(
    engine: &mut Engine<'_>,
    step: &TestStep,
    name: &str,
    reader: impl std::io::BufRead,
    clock: i64,
) -> Result<Option<Diagnostic>, StoreError> {
    match engine.add_events_from(name, reader, clock) {
        Ok(_) => Ok(None),
        Err(InputRejected::Input(e)) => {
            Ok(Some(input_failure(step, e.to_string(), "rejected events")))
        }
        Err(InputRejected::Store(e)) => Err(e),
    }
}

/// The event as one line of an events file (LANGUAGE.md 9.2), so that it goes through the same
/// validation and processing as a file's events.
fn event_line(program: &Program, at: i64, person: &str, event: &TestEvent) -> String {
    let fields = |values: &[(crate::check::ir::FieldId, Option<crate::check::ir::Scalar>)]| {
        let mut m = Map::new();
        for (f, v) in values {
            if let Some(field) = program.fields.get(f.index()) {
                m.insert(field.name.clone(), to_json(v.as_ref()));
            }
        }
        Json::Object(m)
    };
    let email = |e: &crate::check::ir::EmailId| {
        program
            .emails
            .get(e.index())
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let mut line = json!({ "at": rfc3339(at), "person": person });
    let (kind, extra) = match event {
        TestEvent::FillsOutForm {
            form,
            page,
            fields: fs,
        } => {
            let mut x = json!({
                "form": program.forms.get(form.index()).map(|f| f.name.clone()),
                "fields": fields(fs),
            });
            if let Some(p) = page {
                x["page"] = json!(program.pages.get(p.index()).map(|p| p.name.clone()));
            }
            ("fills_out_form", x)
        }
        TestEvent::VisitsPage(p) => (
            "visits_page",
            json!({ "page": program.pages.get(p.index()).map(|p| p.name.clone()) }),
        ),
        TestEvent::ClicksLink { email: e, link } => (
            "clicks_link_in_email",
            json!({ "email": email(e), "link": link }),
        ),
        TestEvent::OpensEmail(e) => ("opens_email", json!({ "email": email(e) })),
        TestEvent::EmailDelivered(e) => ("email_delivered", json!({ "email": email(e) })),
        TestEvent::EmailBounced(e) => ("email_bounced", json!({ "email": email(e) })),
        TestEvent::Unsubscribes(e) => (
            "unsubscribes",
            match e {
                Some(e) => json!({ "email": email(e) }),
                None => json!({}),
            },
        ),
        TestEvent::DataChanged(fs) => ("data_changed", json!({ "fields": fields(fs) })),
        TestEvent::Custom { event, data } => {
            let mut m = Map::new();
            for (name, v) in data {
                m.insert(name.clone(), to_json(v.as_ref()));
            }
            (
                "event",
                json!({
                    "name": program.events.get(event.index()).map(|e| e.name.clone()),
                    "data": Json::Object(m),
                }),
            )
        }
        TestEvent::RequestCampaign(c) => (
            "request_campaign",
            json!({ "campaign": program.campaigns.get(c.index()).map(|c| c.name.clone()) }),
        ),
    };
    line["type"] = json!(kind);
    if let (Json::Object(l), Json::Object(x)) = (&mut line, extra) {
        l.extend(x);
    }
    line.to_string()
}
