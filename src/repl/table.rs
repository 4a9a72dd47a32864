//! Aligned tables for the REPL's listings.

use std::fmt::Write as _;

use crate::engine::value::rfc3339;
use crate::store::Activity;

/// At most this many activities are listed after one input.
const MAX_SHOWN: usize = 20;

/// Columns of activity tables.
pub const LOG_HEADER: &[&str] = &[
    "id", "at", "person", "campaign", "step", "type", "primary", "result",
];

pub fn activity_row(a: &Activity) -> Vec<String> {
    let result = match &a.reason {
        Some(r) => format!("{} ({r})", a.outcome.as_str()),
        None => a.outcome.as_str().to_string(),
    };
    vec![
        a.id.to_string(),
        rfc3339(a.at),
        a.email.clone().unwrap_or_else(|| a.person.to_string()),
        a.campaign.clone().unwrap_or_default(),
        a.step.clone().unwrap_or_default(),
        a.kind.clone(),
        a.primary.clone().unwrap_or_default(),
        result,
    ]
}

/// New activities as a table (at most [`MAX_SHOWN`] rows), or nothing.
pub fn activity_table(log: &[Activity]) -> String {
    if log.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = log.iter().take(MAX_SHOWN).map(activity_row).collect();
    let mut out = table(LOG_HEADER, &rows);
    if log.len() > MAX_SHOWN {
        let _ = writeln!(out, "… and {} more (`:log`)", log.len() - MAX_SHOWN);
    }
    out
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

pub fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
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
