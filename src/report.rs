//! Listings in their fixed shapes (LANGUAGE.md 10.1): the activity log, the outbox, people and
//! the program schedule view, as JSON values that the command line prints as JSON lines, or as
//! tables for people with times in the script's zone, laid out by [`layout`] for a pipe, a
//! terminal's width or `--wide` (docs/cli.md).

use chrono_tz::Tz;
use serde_json::{json, Map, Value as Json};

use crate::check::ir::{Program, StepKind};
use crate::diagnostic::SourceMap;
use crate::engine::schedule::instants_between;
use crate::engine::value::{instant, local_reading, rfc3339, to_json};
use crate::store::{Activity, Delivery, DeliveryState, OutboxRow, Person};

pub mod ical;
pub mod layout;
pub mod xml;

pub use layout::{lay_out, terminal_width, Columns, Layout};

/// Columns of activity tables (`attributes` only in [`Layout::Wide`]).
pub const LOG_HEADER: &[&str] = &[
    "id",
    "at",
    "person",
    "campaign",
    "step",
    "type",
    "primary",
    "result",
    "attributes",
];

/// What an activity table gives up first on a narrow terminal.
const LOG_COLUMNS: Columns = Columns {
    extra: &["attributes"],
    drop: &["step", "id"],
    cut: &["primary", "campaign", "person", "result"],
};

/// The `at` column's header: the time zone its times are read in.
fn at_header(tz: Tz) -> String {
    format!("at ({})", tz.name())
}

/// Activities as a table, times in `tz` (the person by email when known).
pub fn log_table(activities: &[Activity], tz: Tz, layout: Layout) -> String {
    let at = at_header(tz);
    let mut header = LOG_HEADER.to_vec();
    header[1] = &at;
    let rows: Vec<Vec<String>> = activities.iter().map(|a| activity_row(a, tz)).collect();
    lay_out(&header, &rows, &LOG_COLUMNS, layout)
}

/// One activity as a table row, in [`LOG_HEADER`]'s order, its time in `tz`.
pub fn activity_row(a: &Activity, tz: Tz) -> Vec<String> {
    let result = match &a.reason {
        Some(r) => format!("{} ({r})", a.outcome.as_str()),
        None => a.outcome.as_str().to_string(),
    };
    let attributes = match &a.attributes {
        Json::Object(m) if m.is_empty() => String::new(),
        Json::Null => String::new(),
        other => other.to_string(),
    };
    vec![
        a.id.to_string(),
        local_reading(a.at, tz),
        a.email.clone().unwrap_or_else(|| a.person.to_string()),
        a.campaign.clone().unwrap_or_default(),
        a.step.clone().unwrap_or_default(),
        a.kind.clone(),
        a.primary.clone().unwrap_or_default(),
        result,
        attributes,
    ]
}

/// Columns of outbox tables.
pub const OUTBOX_HEADER: &[&str] = &[
    "id", "at", "to", "email", "subject", "campaign", "delivery", "key",
];

/// What an outbox table gives up first on a narrow terminal.
const OUTBOX_COLUMNS: Columns = Columns {
    extra: &[],
    drop: &["key", "id"],
    cut: &["subject", "email", "campaign", "to", "delivery"],
};

/// Outbox rows as a table, times in `tz`.
pub fn outbox_table(rows: &[OutboxRow], tz: Tz, layout: Layout) -> String {
    let at = at_header(tz);
    let mut header = OUTBOX_HEADER.to_vec();
    header[1] = &at;
    let rows: Vec<Vec<String>> = rows.iter().map(|o| outbox_row(o, tz)).collect();
    lay_out(&header, &rows, &OUTBOX_COLUMNS, layout)
}

/// One outbox row as a table row, its time in `tz`.
pub fn outbox_row(o: &OutboxRow, tz: Tz) -> Vec<String> {
    vec![
        o.id.to_string(),
        local_reading(o.at, tz),
        o.to.clone(),
        o.email.clone(),
        o.subject.clone(),
        o.campaign.clone().unwrap_or_default(),
        delivery_cell(&o.delivery, tz),
        o.key.clone(),
    ]
}

/// An outbox row's delivery as a table cell: the state, with the attempts and the next try
/// while retrying and the last code or error once done.
pub fn delivery_cell(d: &Delivery, tz: Tz) -> String {
    let mut s = d.state.as_str().to_string();
    if d.attempts > 1 || (d.attempts == 1 && !d.state.is_final()) {
        let plural = if d.attempts == 1 { "" } else { "s" };
        s.push_str(&format!(" ({} attempt{plural})", d.attempts));
    }
    if let Some(next) = d.next_try.filter(|_| d.state == DeliveryState::Retrying) {
        s.push_str(&format!(", next {}", local_reading(next, tz)));
    }
    match (&d.status, &d.error) {
        (_, Some(e)) if d.state != DeliveryState::Delivered => s.push_str(&format!(": {e}")),
        (Some(code), _) => s.push_str(&format!(" {code}")),
        _ => {}
    }
    s
}

/// A JSON value as a table cell: strings bare, lists joined with `, `, null empty.
pub fn cell(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// An aligned table with a header; cells on one line, clipped at 64 characters.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    const MAX: usize = 64;
    let clip = |s: &str| -> String {
        let one: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
        if one.chars().count() > MAX {
            let mut t: String = one.chars().take(MAX - 1).collect();
            t.push('…');
            t
        } else {
            one
        }
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let rows: Vec<Vec<String>> = std::iter::once(head)
        .chain(rows.iter().map(|r| r.iter().map(|c| clip(c)).collect()))
        .collect();
    let mut widths = vec![0; header.len()];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(c.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

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
        "kind": o.kind,
        "delivery": o.delivery.state.as_str(),
        "attempts": o.delivery.attempts,
        "next_try": o.delivery.next_try.filter(|_| o.delivery.state == DeliveryState::Retrying).map(rfc3339),
        "status": o.delivery.status,
        "error": o.delivery.error,
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

/// The columns of people listings (the keys of [`person_json`]), and a person's cells or JSON
/// object written straight from its values: the same text as [`cell`] of [`person_json`]'s
/// values, and as [`person_json`] itself.
#[derive(Clone, Debug)]
pub struct PersonColumns {
    /// Column names: `id`, the fields, `lists`.
    pub header: Vec<String>,
    /// What each column holds.
    sources: Vec<Source>,
}

/// What a column of [`PersonColumns`] holds.
#[derive(Clone, Copy, Debug)]
enum Source {
    Id,
    Field(usize),
    Lists,
}

impl PersonColumns {
    /// The columns for `program`'s people.
    pub fn new(program: &Program) -> PersonColumns {
        let mut header = vec!["id".to_string()];
        let mut sources = vec![Source::Id];
        // As `person_json`'s map: a name inserted again keeps its place and takes the value.
        let mut put = |name: &str, source: Source| match header.iter().position(|h| h == name) {
            Some(i) => sources[i] = source,
            None => {
                header.push(name.to_string());
                sources.push(source);
            }
        };
        for (i, f) in program.fields.iter().enumerate() {
            if f.name != "id" {
                put(&f.name, Source::Field(i));
            }
        }
        put("lists", Source::Lists);
        PersonColumns { header, sources }
    }

    /// Writes `person`'s cells into `cells` (one per column; their buffers are reused).
    pub fn cells(&self, person: &Person, lists: &[String], cells: &mut Vec<String>) {
        cells.resize(self.header.len(), String::new());
        for (c, source) in cells.iter_mut().zip(&self.sources) {
            c.clear();
            match source {
                Source::Id => push_int(c, person.id),
                Source::Field(i) => scalar_cell(c, person.values.get(*i).and_then(Option::as_ref)),
                Source::Lists => {
                    for (i, l) in lists.iter().enumerate() {
                        if i > 0 {
                            c.push_str(", ");
                        }
                        c.push_str(l);
                    }
                }
            }
        }
    }

    /// Writes `person`'s JSON object (as [`person_json`] prints it) to `out`.
    pub fn json(&self, person: &Person, lists: &[String], out: &mut Vec<u8>) {
        use crate::check::ir::Scalar;
        use std::io::Write as _;
        out.push(b'{');
        for (i, (name, source)) in self.header.iter().zip(&self.sources).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = serde_json::to_writer(&mut *out, name);
            out.push(b':');
            let _ = match source {
                Source::Id => write!(out, "{}", person.id),
                Source::Lists => serde_json::to_writer(&mut *out, lists).map_err(Into::into),
                Source::Field(f) => match person.values.get(*f).and_then(Option::as_ref) {
                    v @ Some(Scalar::Date(_) | Scalar::DateTime(_)) => {
                        let mut text = String::new();
                        scalar_cell(&mut text, v);
                        serde_json::to_writer(&mut *out, &text).map_err(Into::into)
                    }
                    v => serde_json::to_writer(&mut *out, &to_json(v)).map_err(Into::into),
                },
            };
        }
        out.push(b'}');
    }
}

/// `cell(to_json(v))` written into `out` (dates and times as [`to_json`] formats them).
fn scalar_cell(out: &mut String, v: Option<&crate::check::ir::Scalar>) {
    use crate::check::ir::Scalar;
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    match v {
        None => {}
        Some(Scalar::Text(s)) => out.push_str(s),
        Some(Scalar::Number(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => push_int(out, *n as i64),
        Some(Scalar::Number(n)) => {
            if let j @ Json::Number(_) = crate::engine::value::number_json(*n) {
                let _ = write!(out, "{j}");
            }
        }
        Some(Scalar::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Scalar::Date(d)) if (0..=9999).contains(&d.year()) => {
            push_date(out, d.year(), d.month(), d.day())
        }
        Some(Scalar::DateTime(t)) if (0..=9999).contains(&t.year()) => {
            let t = t.naive_utc();
            push_date(out, t.year(), t.month(), t.day());
            out.push('T');
            push_digits(out, t.hour(), 2);
            out.push(':');
            push_digits(out, t.minute(), 2);
            out.push(':');
            push_digits(out, t.second(), 2);
            out.push('Z');
        }
        Some(other) => out.push_str(&cell(Some(&to_json(Some(other))))),
    }
}

/// `YYYY-MM-DD` (a year of 0-9999).
fn push_date(out: &mut String, year: i32, month: u32, day: u32) {
    push_digits(out, year.unsigned_abs(), 4);
    out.push('-');
    push_digits(out, month, 2);
    out.push('-');
    push_digits(out, day, 2);
}

/// `v` in exactly `width` (at most 10) decimal digits, zero-padded.
fn push_digits(out: &mut String, mut v: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let width = width.min(buf.len());
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend(buf[..width].iter().map(|&b| char::from(b)));
}

/// `n` in decimal.
fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut v = n.unsigned_abs();
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

/// A row of the program schedule view.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScheduledRun {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// When, in seconds since the epoch (for tables, which show it in the script's zone).
    #[serde(skip)]
    pub instant: i64,
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
            instant: t,
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
