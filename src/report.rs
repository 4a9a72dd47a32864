//! Listings in their fixed shapes (LANGUAGE.md 10.1): the activity log, the outbox, people and
//! the program schedule view, as JSON values that the command line prints as JSON lines or
//! tables.

use serde_json::{json, Map, Value as Json};

use crate::check::ir::{Program, StepKind};
use crate::diagnostic::SourceMap;
use crate::engine::schedule::instants_between;
use crate::engine::value::{instant, rfc3339, to_json};
use crate::store::{Activity, OutboxRow, Person};

/// One activity as a `camp log` JSON object.
pub fn activity_json(a: &Activity) -> Json {
    json!({
        "id": a.id,
        "at": rfc3339(a.at),
        "person": a.person,
        "email": a.email,
        "campaign": a.campaign,
        "step": a.step,
        "type": a.kind,
        "primary": a.primary,
        "attributes": a.attributes,
        "result": a.outcome.as_str(),
        "reason": a.reason,
    })
}

/// One outbox row as a `camp outbox` JSON object.
pub fn outbox_json(o: &OutboxRow) -> Json {
    json!({
        "id": o.id,
        "at": rfc3339(o.at),
        "person": o.person,
        "to": o.to,
        "email": o.email,
        "subject": o.subject,
        "body": o.body,
        "campaign": o.campaign,
        "key": o.key,
    })
}

/// One person as a `camp people` JSON object: built-in fields, schema fields (null when
/// empty), then list names.
pub fn person_json(program: &Program, person: &Person, lists: &[String]) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), json!(person.id));
    for (i, f) in program.fields.iter().enumerate() {
        if f.name == "id" {
            continue;
        }
        let v = person.values.get(i).and_then(|v| v.as_ref());
        let j = match (f.name.as_str(), v) {
            ("created_at" | "updated_at", Some(crate::check::ir::Scalar::DateTime(t))) => {
                json!(rfc3339(t.timestamp()))
            }
            _ => to_json(v),
        };
        m.insert(f.name.clone(), j);
    }
    m.insert("lists".into(), json!(lists));
    Json::Object(m)
}

/// A row of the program schedule view.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScheduledRun {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The batch campaign.
    pub campaign: String,
    /// Its flow steps up to, not after, the first `wait`.
    pub steps: Vec<String>,
}

/// Every batch run in `(from, to]`, in time order (campaign order within an instant).
pub fn schedule_view(
    program: &Program,
    sources: &SourceMap,
    from: i64,
    to: i64,
) -> Vec<ScheduledRun> {
    let mut runs = Vec::new();
    for c in &program.campaigns {
        let Some(rule) = &c.schedule else { continue };
        let steps: Vec<String> = c
            .flow
            .iter()
            .take_while(|s| !matches!(s.kind, StepKind::Wait(_)))
            .map(|s| step_text(sources, s.span))
            .collect();
        for t in instants_between(rule, instant(from - 1), instant(to)) {
            runs.push((t.timestamp(), c.name.clone(), steps.clone()));
        }
    }
    runs.sort_by_key(|r| r.0);
    runs.into_iter()
        .map(|(t, campaign, steps)| ScheduledRun {
            at: rfc3339(t),
            campaign,
            steps,
        })
        .collect()
}

/// A step's source text on one line (an `if` up to its first block).
fn step_text(sources: &SourceMap, span: crate::syntax::span::Span) -> String {
    let text = sources
        .get(span.file)
        .and_then(|f| f.text.get(span.start as usize..span.end as usize))
        .unwrap_or("");
    let text = if text.starts_with("if") {
        text.split('{').next().unwrap_or(text)
    } else {
        text
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
