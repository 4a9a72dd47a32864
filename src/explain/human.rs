//! Explanations as indented text: one line per fact, marked ✔/✘ (or `yes`/`no` where the
//! output is not a terminal or `NO_COLOR` is set), values quoted as the script writes them.

use chrono_tz::Tz;
use serde_json::Value as Json;

use crate::engine::value::local_time;

/// How verdicts are marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marks {
    /// ✔ and ✘.
    Symbols,
    /// `yes` and `no`.
    Words,
}

impl Marks {
    /// ✔/✘ on a terminal without `NO_COLOR`, `yes`/`no` otherwise.
    pub fn for_stdout() -> Marks {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if !no_color && std::io::stdout().is_terminal() {
            Marks::Symbols
        } else {
            Marks::Words
        }
    }

    fn mark(self, v: bool) -> &'static str {
        match (self, v) {
            (Marks::Symbols, true) => "✔",
            (Marks::Symbols, false) => "✘",
            (Marks::Words, true) => "yes",
            (Marks::Words, false) => "no",
        }
    }

    fn of(self, v: &Json) -> &'static str {
        self.mark(v.as_bool().unwrap_or(false))
    }
}

/// How an explanation is written: its verdict marks, and the time zone its instants are read
/// in (the script's, as in the other tables; JSON keeps RFC 3339 UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// The verdict marks.
    pub marks: Marks,
    /// The zone instants are shown in.
    pub tz: Tz,
}

impl Style {
    /// The marks for standard output, instants in `tz`.
    pub fn for_stdout(tz: Tz) -> Style {
        Style {
            marks: Marks::for_stdout(),
            tz,
        }
    }

    fn mark(self, v: bool) -> &'static str {
        self.marks.mark(v)
    }

    fn of(self, v: &Json) -> &'static str {
        self.marks.of(v)
    }

    /// An RFC 3339 instant as a local reading in the style's zone (anything else unchanged).
    fn instant(self, s: &str) -> String {
        match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) if s.len() > 10 => local_time(t.timestamp(), self.tz),
            _ => s.to_string(),
        }
    }

    /// A JSON value as the script writes it: text quoted, numbers, booleans, dates bare,
    /// instants as local readings, null `empty`.
    fn value(self, v: &Json) -> String {
        match v {
            Json::Null => "empty".into(),
            Json::String(s) if is_date_or_instant(s) => self.instant(s),
            Json::String(s) => crate::query::quote(s),
            Json::Array(items) => items
                .iter()
                .map(|v| self.value(v))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
}

/// `2026-12-01` or `2026-12-01T09:00:00Z`: how dates and instants read back from JSON.
fn is_date_or_instant(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    let date = |b: &[u8]| b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    match b.len() {
        10 => date(b) && digits(0..4) && digits(5..7) && digits(8..10),
        20 => {
            date(b)
                && digits(0..4)
                && digits(5..7)
                && digits(8..10)
                && b[10] == b'T'
                && b[19] == b'Z'
                && digits(11..13)
                && digits(14..16)
                && digits(17..19)
        }
        _ => false,
    }
}

fn text<'j>(v: &'j Json, key: &str) -> &'j str {
    v.get(key).and_then(Json::as_str).unwrap_or("")
}

/// What a filter read, on one line: `state = "CA"`, `member = yes`, `count = 2 of 1 needed`.
fn reads(values: &Json, st: Style) -> String {
    let Some(m) = values.as_object() else {
        return String::new();
    };
    if let Some(count) = m.get("count") {
        let rule = match (m.get("needed"), m.get("at_most"), m.get("exactly")) {
            (Some(n), _, _) => format!("{} needed", st.value(n)),
            (_, Some(n), _) => format!("at most {} allowed", st.value(n)),
            (_, _, Some(n)) => format!("exactly {} needed", st.value(n)),
            _ => String::new(),
        };
        let mut s = format!("{count} matching, {rule}");
        match (m.get("from"), m.get("to")) {
            (Some(f), Some(t)) => s.push_str(&format!(", from {} to {}", st.value(f), st.value(t))),
            (None, Some(t)) => s.push_str(&format!(", up to {}", st.value(t))),
            _ => {}
        }
        if let Some(Json::Array(ids)) = m.get("activities") {
            if !ids.is_empty() {
                let ids: Vec<String> = ids.iter().map(|i| format!("#{i}")).collect();
                s.push_str(&format!(" ({})", ids.join(", ")));
            }
        }
        return s;
    }
    m.iter()
        .map(|(k, v)| match (k.as_str(), v) {
            ("member", Json::Bool(b)) => format!("member: {}", st.mark(*b)),
            _ => format!("{k} = {}", st.value(v)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn filters(out: &mut String, list: &Json, logic: &Json, indent: usize, st: Style) {
    let pad = "  ".repeat(indent);
    for f in list.as_array().into_iter().flatten() {
        let read = reads(&f["values"], st);
        let read = if read.is_empty() {
            String::new()
        } else {
            format!("    [{read}]")
        };
        out.push_str(&format!(
            "{pad}{} {}. {}{read}\n",
            st.of(&f["verdict"]),
            f["number"],
            text(f, "text"),
        ));
        if let Some(sl) = f.get("smart_list") {
            out.push_str(&format!("{pad}    smart list {:?}:\n", text(sl, "name")));
            filters(out, &sl["filters"], &sl["logic"], indent + 3, st);
        }
    }
    if !logic.is_null() {
        let substituted: String = text(logic, "evaluated")
            .split_inclusive([' ', '(', ')'])
            .map(|piece| {
                let word = piece.trim_end_matches([' ', '(', ')']);
                let rest = &piece[word.len()..];
                match word {
                    "true" => format!("{}{rest}", st.mark(true)),
                    "false" => format!("{}{rest}", st.mark(false)),
                    _ => piece.to_string(),
                }
            })
            .collect();
        out.push_str(&format!(
            "{pad}{} match {}: {substituted}\n",
            st.of(&logic["verdict"]),
            text(logic, "text"),
        ));
    }
}

/// A condition's explanation ([`crate::explain::explain_condition`]) as text, one line per
/// leaf, `indent` levels of two spaces in: `no score at least 10    [score = 0]`; an `and`,
/// `or` or `not` is a line of its own (`no all of:`, `yes any of:`, `no not:`) above its
/// parts, one level deeper.
pub fn condition(e: &Json, st: Style, indent: usize) -> String {
    let mut out = String::new();
    condition_lines(&mut out, e, st, indent);
    out
}

fn condition_lines(out: &mut String, e: &Json, st: Style, indent: usize) {
    let pad = "  ".repeat(indent);
    let mark = st.of(&e["verdict"]);
    let Some(parts) = e.get("parts").and_then(Json::as_array) else {
        let read = reads(&e["values"], st);
        let read = if read.is_empty() {
            String::new()
        } else {
            format!("    [{read}]")
        };
        out.push_str(&format!("{pad}{mark} {}{read}\n", text(e, "text")));
        return;
    };
    let head = match text(e, "op") {
        "and" => "all of",
        "or" => "any of",
        _ => "not",
    };
    out.push_str(&format!("{pad}{mark} {head}:\n"));
    for p in parts {
        condition_lines(out, p, st, indent + 1);
    }
}

/// A person and a campaign, as text.
pub fn person(e: &Json, st: Style) -> String {
    let mut out = String::new();
    let who = match e.get("email").and_then(Json::as_str) {
        Some(email) => format!("{email} (id {})", e["person"]),
        None => format!("person {}", e["person"]),
    };
    let verb = if e["qualifies"] == Json::Bool(true) {
        "qualifies for"
    } else {
        "does not qualify for"
    };
    out.push_str(&format!(
        "{} {who} {verb} {:?} ({} campaign) at {}\n",
        st.of(&e["qualifies"]),
        text(e, "campaign"),
        text(e, "kind"),
        st.instant(text(e, "at")),
    ));
    if e.get("existed") == Some(&Json::Bool(false)) {
        out.push_str(&format!(
            "  {} the person did not exist yet at {}\n",
            st.mark(false),
            st.instant(text(e, "at"))
        ));
        return out;
    }
    out.push_str("  smart list:\n");
    filters(&mut out, &e["filters"], &e["logic"], 2, st);
    let q = &e["qualification"];
    if q["rule"] == "the caller's" {
        out.push_str(&format!(
            "  {} no qualification rule of its own: the caller's entry applies\n",
            st.mark(true)
        ));
    } else if !q.is_null() {
        let last = match q.get("last_entered").and_then(Json::as_str) {
            Some(t) => format!("last entered {}", st.instant(t)),
            None => "never entered".into(),
        };
        let again = match q.get("eligible_from").and_then(Json::as_str) {
            Some(t) => format!("may enter from {}", st.instant(t)),
            None => "may not enter again".into(),
        };
        out.push_str(&format!(
            "  {} {}: {last}, {again}\n",
            st.of(&q["verdict"]),
            text(q, "rule"),
        ));
    }
    let max = &e["max_people"];
    if !max.is_null() {
        out.push_str(&format!(
            "  {} max people {}: {} qualify\n",
            st.of(&max["verdict"]),
            max["limit"],
            max["qualifying"],
        ));
    }
    if let Some(active) = e.get("active").and_then(Json::as_bool) {
        let state = if active { "active" } else { "inactive" };
        out.push_str(&format!("  {} {state}\n", st.mark(active)));
    }
    let triggers = e["triggers"].as_array().cloned().unwrap_or_default();
    if !triggers.is_empty() {
        out.push_str("  triggers:\n");
        for t in &triggers {
            let last = match t.get("last_match") {
                Some(a) if !a.is_null() => {
                    format!(
                        "last matched by #{} at {}",
                        a["id"],
                        st.instant(text(a, "at"))
                    )
                }
                _ => "never matched".into(),
            };
            out.push_str(&format!("    trigger {}: {last}\n", text(t, "text")));
        }
    }
    match e.get("position") {
        Some(p) if !p.is_null() => out.push_str(&format!(
            "  waiting at step {} until {}\n",
            text(p, "step"),
            st.instant(text(p, "until"))
        )),
        _ => out.push_str("  not waiting in this campaign\n"),
    }
    out
}

/// One activity or batch run of a chain, on one line.
fn link(a: &Json, st: Style) -> String {
    if let Some(run) = a.get("run") {
        return format!(
            "batch run of {} at {}",
            st.value(run),
            st.instant(text(a, "at"))
        );
    }
    let mut s = format!(
        "#{} {} {}",
        a["id"],
        st.instant(text(a, "at")),
        text(a, "type")
    );
    if let Some(p) = a.get("primary").and_then(Json::as_str) {
        s.push_str(&format!(" {}", st.value(&Json::String(p.into()))));
    }
    if let Some(c) = a.get("campaign").and_then(Json::as_str) {
        s.push_str(&format!(" in {c:?}"));
        if let Some(step) = a.get("step").and_then(Json::as_str) {
            s.push_str(&format!(" step {step}"));
        }
    }
    match (text(a, "result"), a.get("reason").and_then(Json::as_str)) {
        ("succeeded", _) | ("", _) => {}
        (r, Some(reason)) => s.push_str(&format!(": {r} ({reason})")),
        (r, None) => s.push_str(&format!(": {r}")),
    }
    s
}

/// An activity and its causes, as text.
pub fn activity(e: &Json, st: Style) -> String {
    let mut out = String::new();
    let a = &e["activity"];
    out.push_str(&format!("{}\n", link(a, st)));
    let chain = e["chain"].as_array().cloned().unwrap_or_default();
    if chain.is_empty() {
        out.push_str("  cause: an input (nothing caused it)\n");
    } else {
        out.push_str("  caused by, from the origin:\n");
        for c in &chain {
            out.push_str(&format!("    {}\n", link(c, st)));
        }
    }
    let d = &e["details"];
    if let Some(m) = d.as_object().filter(|m| !m.is_empty()) {
        out.push_str(&format!("  why {}:\n", text(a, "reason")));
        if m.contains_key("filters") {
            filters(&mut out, &d["filters"], &d["logic"], 2, st);
            return out;
        }
        for (k, v) in m {
            match v {
                Json::Array(items) if items.iter().all(|i| i.get("id").is_some()) => {
                    out.push_str(&format!("    {k}: {}\n", items.len()));
                    for i in items {
                        out.push_str(&format!("      {}\n", link(i, st)));
                    }
                }
                Json::Object(_) if v.get("id").is_some() => {
                    out.push_str(&format!("    {k}: {}\n", link(v, st)));
                }
                Json::Null if k == "eligible_from" => out.push_str(&format!("    {k}: never\n")),
                _ => out.push_str(&format!("    {k}: {}\n", st.value(v))),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_the_script_zone_dates_and_text_unchanged() {
        let st = Style {
            marks: Marks::Words,
            tz: chrono_tz::America::New_York,
        };
        assert_eq!(
            st.value(&Json::String("2027-01-15T05:00:00Z".into())),
            "2027-01-15 00:00 America/New_York"
        );
        assert_eq!(st.value(&Json::String("2027-01-15".into())), "2027-01-15");
        assert_eq!(st.value(&Json::String("CA".into())), "\"CA\"");
        assert_eq!(st.instant("never"), "never");
    }

    #[test]
    fn a_condition_is_one_line_per_leaf_under_its_and_or_not() {
        let e = serde_json::json!({
            "op": "or", "text": "x", "verdict": false, "parts": [
                {"text": "score at least 10", "verdict": false, "values": {"score": 0}},
                {"op": "not", "text": "y", "verdict": false, "parts": [
                    {"text": "member of list \"VIP\"", "verdict": true, "values": {"member": true}},
                ]},
            ]
        });
        let symbols = Style {
            marks: Marks::Symbols,
            tz: chrono_tz::UTC,
        };
        assert_eq!(
            condition(&e, symbols, 1),
            "  ✘ any of:\n    ✘ score at least 10    [score = 0]\n    ✘ not:\n      \
             ✔ member of list \"VIP\"    [member: ✔]\n"
        );
        let words = Style {
            marks: Marks::Words,
            ..symbols
        };
        assert!(condition(&e, words, 0).starts_with("no any of:\n  no score at least 10"));
    }
}
