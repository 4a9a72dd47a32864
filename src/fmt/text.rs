//! The canonical text of the constructs that print on one line (conditions, triggers, values,
//! one-line steps): pure functions from AST nodes to strings.
//!
//! Triple-quoted strings are the only multi-line leaves: their lines are indented one level
//! deeper than the statement that holds them (`indent` levels of two spaces).

use chrono::{NaiveDate, NaiveTime, Weekday};

use crate::syntax::ast::*;

/// Two spaces per level.
pub const INDENT: &str = "  ";

/// Prints strings: whether a template was written triple-quoted is read from the source.
pub struct Strings<'a> {
    /// The file's text.
    pub src: &'a str,
}

impl Strings<'_> {
    /// A template as a string literal: triple-quoted if it was written so.
    pub fn template(&self, t: &Template, indent: usize) -> String {
        let start = t.span.start as usize;
        let triple = self
            .src
            .get(start..)
            .is_some_and(|s| s.starts_with("\"\"\""));
        if triple {
            triple_literal(&t.parts, indent)
        } else {
            plain_literal(&t.parts)
        }
    }
}

/// A name (asset or campaign) as a plain string literal. Its text holds tokens written back as
/// `{{...}}`, which are kept as they are.
pub fn name(n: &Name) -> String {
    let mut out = String::from("\"");
    let text = n.text.as_str();
    for (i, c) in text.char_indices() {
        let rest = &text[i..];
        if c == '{' && rest[1..].starts_with('{') && !starts_with_token(rest) {
            out.push_str("\\u{7B}");
        } else {
            escape_plain_char(&mut out, c);
        }
    }
    out.push('"');
    out
}

/// Whether `s` starts with a `{{ns.name[:raw][:default=...]}}` token as the grammar reads it.
fn starts_with_token(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("{{") else {
        return false;
    };
    let word = |s: &str, first_digit: bool| -> usize {
        s.char_indices()
            .take_while(|&(i, c)| {
                c.is_ascii_lowercase() || c == '_' || (c.is_ascii_digit() && (i > 0 || first_digit))
            })
            .count()
    };
    let ns = word(rest, false);
    if ns == 0 || rest[..ns].starts_with('_') {
        return false;
    }
    let Some(rest) = rest[ns..].strip_prefix('.') else {
        return false;
    };
    let name = word(rest, false);
    if name == 0 {
        return false;
    }
    let mut rest = &rest[name..];
    if let Some(r) = rest.strip_prefix(":raw") {
        rest = r;
    }
    if let Some(r) = rest.strip_prefix(":default=") {
        let end = r.find(['}', '"', '\n']).unwrap_or(r.len());
        rest = &r[end..];
    }
    rest.starts_with("}}")
}

fn escape_plain_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
        c => out.push(c),
    }
}

/// Text parts, escaped by `esc`, with tokens written back; a `{` that would start a `{{` is
/// written `\u{7B}` so it stays text.
fn parts_text(parts: &[TemplatePart], esc: &dyn Fn(&mut String, char, Option<char>)) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        match p {
            TemplatePart::Token(t) => out.push_str(&t.to_string()),
            TemplatePart::Text(text) => {
                let next_is_token = matches!(parts.get(i + 1), Some(TemplatePart::Token(_)));
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    let next = chars.peek().copied().or(next_is_token.then_some('{'));
                    if c == '{' && next == Some('{') {
                        out.push_str("\\u{7B}");
                    } else {
                        esc(&mut out, c, next);
                    }
                }
            }
        }
    }
    out
}

fn plain_literal(parts: &[TemplatePart]) -> String {
    let body = parts_text(parts, &|out, c, _| escape_plain_char(out, c));
    format!("\"{body}\"")
}

fn triple_literal(parts: &[TemplatePart], indent: usize) -> String {
    let body = parts_text(parts, &|out, c, next| match c {
        '\\' => out.push_str("\\\\"),
        '"' if next == Some('"') => out.push_str("\\\""),
        '\r' => out.push_str("\\u{D}"),
        c => out.push(c),
    });
    let inner = INDENT.repeat(indent + 1);
    let mut out = String::from("\"\"\"\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&inner);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push_str(&INDENT.repeat(indent));
    out.push_str("\"\"\"");
    out
}

/// A number as written: integers without a fraction.
pub fn number(v: f64) -> String {
    format!("{v}")
}

/// `YYYY-MM-DD`
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `HH:MM`
pub fn time(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// `YYYY-MM-DD HH:MM[:SS][Z|+HH:MM]`
pub fn datetime(d: &DateTimeLit) -> String {
    let fmt = if d.local.format("%S").to_string() == "00" {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    let mut out = d.local.format(fmt).to_string();
    match d.offset_seconds {
        None => {}
        Some(0) => out.push('Z'),
        Some(s) => {
            let sign = if s < 0 { '-' } else { '+' };
            let a = s.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
        }
    }
    out
}

impl Strings<'_> {
    /// A literal value.
    pub fn value(&self, v: &Value, indent: usize) -> String {
        match &v.kind {
            ValueKind::Text(t) => self.template(t, indent),
            ValueKind::Number(n) => number(*n),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Date(d) => date(*d),
            ValueKind::DateTime(d) => datetime(d),
        }
    }

    fn values(&self, vs: &[Value], indent: usize) -> String {
        vs.iter()
            .map(|v| self.value(v, indent))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `field op operands`: a comparison written as a symbol (`>=`) keeps it, every other
    /// operator is in its keyword form.
    pub fn field_condition(&self, c: &FieldCondition, indent: usize) -> String {
        format!(
            "{} {}",
            c.field.name,
            self.field_op(&c.op, c.op_span, indent)
        )
    }

    /// An operator with its operands (`op_span`: where it was written, to keep a symbol).
    pub fn field_op(&self, op: &FieldOp, op_span: Span, indent: usize) -> String {
        let v = |x: &Value| self.value(x, indent);
        let written = self
            .src
            .get(op_span.start as usize..op_span.end as usize)
            .unwrap_or("")
            .trim();
        let symbol = matches!(written, "=" | "!=" | ">=" | "<=" | ">" | "<");
        match op {
            FieldOp::Is(vs) if symbol => format!("= {}", self.values(vs, indent)),
            FieldOp::IsNot(vs) if symbol => format!("!= {}", self.values(vs, indent)),
            FieldOp::Greater(x) if symbol => format!("> {}", v(x)),
            FieldOp::Less(x) if symbol => format!("< {}", v(x)),
            FieldOp::AtLeast(x) if symbol => format!(">= {}", v(x)),
            FieldOp::AtMost(x) if symbol => format!("<= {}", v(x)),
            FieldOp::Is(vs) => format!("is {}", self.values(vs, indent)),
            FieldOp::IsNot(vs) => format!("is not {}", self.values(vs, indent)),
            FieldOp::StartsWith(vs) => format!("starts with {}", self.values(vs, indent)),
            FieldOp::NotStartsWith(vs) => format!("not starts with {}", self.values(vs, indent)),
            FieldOp::Contains(vs) => format!("contains {}", self.values(vs, indent)),
            FieldOp::NotContains(vs) => format!("not contains {}", self.values(vs, indent)),
            FieldOp::IsEmpty => "is empty".to_string(),
            FieldOp::IsNotEmpty => "is not empty".to_string(),
            FieldOp::Greater(x) => format!("greater than {}", v(x)),
            FieldOp::Less(x) => format!("less than {}", v(x)),
            FieldOp::AtLeast(x) => format!("at least {}", v(x)),
            FieldOp::AtMost(x) => format!("at most {}", v(x)),
            FieldOp::Between(a, b) => format!("between {} and {}", v(a), v(b)),
            FieldOp::Before(x) => format!("before {}", v(x)),
            FieldOp::After(x) => format!("after {}", v(x)),
            FieldOp::OnOrBefore(x) => format!("on or before {}", v(x)),
            FieldOp::OnOrAfter(x) => format!("on or after {}", v(x)),
            FieldOp::InPast(d) => format!("in past {}", duration(d)),
            FieldOp::InPastBefore(d) => format!("in past before {}", duration(d)),
            FieldOp::InFuture(d) => format!("in future {}", duration(d)),
            FieldOp::InFutureAfter(d) => format!("in future after {}", duration(d)),
        }
    }

    /// `{ first_name "Ann", state "CA" }` (empty when there are no values).
    pub fn field_values(&self, fields: &[FieldValue], indent: usize) -> String {
        if fields.is_empty() {
            return String::new();
        }
        let inner: Vec<String> = fields
            .iter()
            .map(|f| format!("{} {}", f.field.name, self.value(&f.value, indent)))
            .collect();
        format!(" {{ {} }}", inner.join(", "))
    }

    /// One statement of a test, on one line.
    pub fn test_statement(&self, st: &TestStatement, indent: usize) -> String {
        let v = |x: &Value| self.value(x, indent);
        match &st.kind {
            TestStatementKind::From(t) => format!("from {}", v(t)),
            TestStatementKind::Person { email, fields } => {
                format!(
                    "person {}{}",
                    name(email),
                    self.field_values(fields, indent)
                )
            }
            TestStatementKind::People(f) => format!("people {}", name(f)),
            TestStatementKind::Events(f) => format!("events {}", name(f)),
            TestStatementKind::At { at, person, event } => format!(
                "at {} {} {}",
                v(at),
                name(person),
                self.test_event(event, indent)
            ),
            TestStatementKind::Run { campaign, at } => match at {
                Some(t) => format!("run {} at {}", name(campaign), v(t)),
                None => format!("run {}", name(campaign)),
            },
            TestStatementKind::Until(t) => format!("until {}", v(t)),
            TestStatementKind::Expect(x) => format!("expect {}", self.expectation(x, indent)),
        }
    }

    fn test_event(&self, e: &TestEvent, indent: usize) -> String {
        match e {
            TestEvent::FillsOutForm { form, page, fields } => {
                let mut s = format!("fills out form {}", name(form));
                if let Some(p) = page {
                    s.push_str(&format!(" on page {}", name(p)));
                }
                s.push_str(&self.field_values(fields, indent));
                s
            }
            TestEvent::VisitsPage(p) => format!("visits page {}", name(p)),
            TestEvent::ClicksLink { link, email } => {
                format!("clicks link {} in email {}", name(link), name(email))
            }
            TestEvent::OpensEmail(e) => format!("opens email {}", name(e)),
            TestEvent::EmailDelivered(e) => format!("email is delivered {}", name(e)),
            TestEvent::EmailBounces(e) => format!("email bounces {}", name(e)),
            TestEvent::Unsubscribes(None) => "unsubscribes from email".to_string(),
            TestEvent::Unsubscribes(Some(e)) => format!("unsubscribes from email {}", name(e)),
            TestEvent::DataValueChanges(fields) => {
                format!("data value changes{}", self.field_values(fields, indent))
            }
            TestEvent::HasEvent { event, attributes } => format!(
                "has event {}{}",
                name(event),
                self.field_values(attributes, indent)
            ),
            TestEvent::RequestsCampaign(c) => format!("requests campaign {}", name(c)),
        }
    }

    /// What follows `expect`.
    pub fn expectation(&self, x: &Expectation, indent: usize) -> String {
        match x {
            Expectation::Person { person, condition } => {
                format!("{} {}", name(person), self.cond_expr(condition, indent))
            }
            Expectation::Count {
                count,
                word,
                condition,
            } => {
                let who = match word {
                    CountWord::NoOne => "no one".to_string(),
                    CountWord::Person => format!("{} person", count.node),
                    CountWord::People => format!("{} people", count.node),
                };
                format!("{who} {}", self.cond_expr(condition, indent))
            }
            Expectation::Email {
                email,
                to,
                conditions,
            } => {
                let mut s = format!("email {} to {}", name(email), name(to));
                for (i, c) in conditions.iter().enumerate() {
                    s.push_str(if i == 0 { " " } else { " and " });
                    s.push_str(&format!(
                        "{} {}",
                        c.part.node.as_str(),
                        self.field_op(&c.op, c.op_span, indent)
                    ));
                }
                s
            }
            Expectation::Waiting {
                person,
                negated,
                campaign,
            } => format!(
                "{} {}waiting in {}",
                name(person),
                if *negated { "not " } else { "" },
                name(campaign)
            ),
        }
    }

    /// A condition, `not` included.
    pub fn condition(&self, c: &Condition, indent: usize) -> String {
        let body = match &c.kind {
            ConditionKind::Field(f) => self.field_condition(f, indent),
            ConditionKind::AllPeople => "all people".to_string(),
            ConditionKind::MemberOfList(n) => format!("member of list {}", name(n)),
            ConditionKind::MemberOfSmartList(n) => format!("member of smart list {}", name(n)),
            ConditionKind::MemberOfProgram(n) => format!("member of program {}", name(n)),
            ConditionKind::ProgramStatus { program, status } => {
                format!("program status {} is {}", name(program), name(status))
            }
            ConditionKind::MemberOfCampaign(n) => format!("member of campaign {}", name(n)),
            ConditionKind::History(h) => {
                let mut s = self.activity(&h.what, false, indent);
                match &h.window {
                    None => {}
                    Some(Window::InPast(d)) => s.push_str(&format!(" in past {}", duration(d))),
                    Some(Window::Since(v)) => {
                        s.push_str(&format!(" since {}", self.value(v, indent)))
                    }
                    Some(Window::Before(v)) => {
                        s.push_str(&format!(" before {}", self.value(v, indent)))
                    }
                    Some(Window::Between(a, b, _)) => s.push_str(&format!(
                        " between {} and {}",
                        self.value(a, indent),
                        self.value(b, indent)
                    )),
                }
                if let Some(c) = &h.count {
                    let word = if c.n.node == 1 { "time" } else { "times" };
                    s.push_str(&format!(" {} {} {word}", c.op.as_str(), c.n.node));
                }
                s
            }
        };
        if c.negated {
            format!("not {body}")
        } else {
            body
        }
    }

    /// An activity in its trigger form (`trigger` is true) or its filter form.
    pub fn activity(&self, a: &Activity, trigger: bool, indent: usize) -> String {
        let opt = |n: &Option<Name>| {
            n.as_ref()
                .map(|n| format!(" {}", name(n)))
                .unwrap_or_default()
        };
        let pick = |t: &str, f: &str| {
            if trigger {
                t.to_string()
            } else {
                f.to_string()
            }
        };
        match a {
            Activity::EmailSent { email } => format!("was sent email{}", opt(email)),
            Activity::EmailOpened { email } => {
                format!("{}{}", pick("opens email", "opened email"), opt(email))
            }
            Activity::EmailClicked { email, link } => {
                let mut s = format!(
                    "{}{}",
                    pick("clicks link in email", "clicked link in email"),
                    opt(email)
                );
                if let Some(l) = link {
                    let op = if l.contains { "contains" } else { "is" };
                    s.push_str(&format!(" link {op} {}", self.value(&l.text, indent)));
                }
                s
            }
            Activity::EmailDelivered { email } => format!(
                "{}{}",
                pick("email is delivered", "was delivered email"),
                opt(email)
            ),
            Activity::EmailBounced { email } => {
                format!("{}{}", pick("email bounces", "email bounced"), opt(email))
            }
            Activity::Unsubscribed { email } => format!(
                "{}{}",
                pick("unsubscribes from email", "unsubscribed from email"),
                opt(email)
            ),
            Activity::FormFilled { form, page } => {
                let mut s = format!("{}{}", pick("fills out form", "filled out form"), opt(form));
                if let Some(p) = page {
                    s.push_str(&format!(" on page {}", name(p)));
                }
                s
            }
            Activity::PageVisited { page } => {
                format!("{}{}", pick("visits page", "visited page"), opt(page))
            }
            Activity::AddedToList { list } => {
                format!(
                    "{}{}",
                    pick("added to list", "was added to list"),
                    opt(list)
                )
            }
            Activity::RemovedFromList { list } => format!(
                "{}{}",
                pick("removed from list", "was removed from list"),
                opt(list)
            ),
            Activity::DataValueChanged { field, to, from } => {
                let mut s = format!(
                    "{} {}",
                    pick("data value changes", "data value changed"),
                    field.name
                );
                if let Some(v) = to {
                    s.push_str(&format!(" to {}", self.value(v, indent)));
                }
                if let Some(v) = from {
                    s.push_str(&format!(" from {}", self.value(v, indent)));
                }
                s
            }
            Activity::ScoreChanged => pick("score is changed", "score was changed"),
            Activity::PersonCreated => pick("person is created", "person was created"),
            Activity::ProgramStatusChanged { program, to, from } => {
                let mut s = format!("program status changes{}", opt(program));
                if let Some(n) = to {
                    s.push_str(&format!(" to {}", name(n)));
                }
                if let Some(n) = from {
                    s.push_str(&format!(" from {}", name(n)));
                }
                s
            }
            Activity::CampaignRequested { campaign } => {
                if trigger {
                    "campaign is requested".to_string()
                } else {
                    format!("campaign was requested{}", opt(campaign))
                }
            }
            Activity::CustomEvent { event, conditions } => {
                let mut s = format!("{} {}", pick("event", "had event"), name(event));
                if !conditions.is_empty() {
                    let cs: Vec<String> = conditions
                        .iter()
                        .map(|c| self.field_condition(c, indent))
                        .collect();
                    s.push_str(&format!(" where {}", cs.join(" and ")));
                }
                s
            }
        }
    }

    /// Conditions combined with `and`, `or`, `not` and parentheses.
    pub fn cond_expr(&self, e: &BoolExpr<Condition>, indent: usize) -> String {
        bool_expr(e, &|c| self.condition(c, indent))
    }
}

/// `match` logic over filter numbers.
pub fn match_expr(e: &BoolExpr<crate::syntax::span::Spanned<u32>>) -> String {
    bool_expr(e, &|n| n.node.to_string())
}

/// `match` logic with each filter number printed by `atom` (`camp explain` puts verdicts there).
pub fn match_expr_with(
    e: &BoolExpr<crate::syntax::span::Spanned<u32>>,
    atom: &dyn Fn(u32) -> String,
) -> String {
    bool_expr(e, &|n| atom(n.node))
}

fn bool_expr<T>(e: &BoolExpr<T>, atom: &dyn Fn(&T) -> String) -> String {
    let join = |items: &[BoolExpr<T>], op: &str| {
        items
            .iter()
            .map(|i| bool_expr(i, atom))
            .collect::<Vec<_>>()
            .join(op)
    };
    match e {
        BoolExpr::Atom(a) => atom(a),
        BoolExpr::Not(x, _) => format!("not {}", bool_expr(x, atom)),
        BoolExpr::And(items, _) => join(items, " and "),
        BoolExpr::Or(items, _) => join(items, " or "),
        BoolExpr::Mixed { items, ops, .. } => {
            let mut s = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let op = match ops.get(i - 1).map(|o| o.node) {
                        Some(LogicOp::And) => " and ",
                        _ => " or ",
                    };
                    s.push_str(op);
                }
                s.push_str(&bool_expr(item, atom));
            }
            s
        }
        BoolExpr::Group(x, _) => format!("({})", bool_expr(x, atom)),
    }
}

/// `N unit`, plural unless N is 1.
pub fn duration(d: &Duration) -> String {
    format!("{} {}", d.amount, d.unit.word(d.amount != 1))
}

/// `mon`, `tue`...
pub fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// `on weekdays`, `on mon, thu`, `on day 15`, `on 2nd tue`, `on last fri`.
pub fn recur_on(on: &RecurOn) -> String {
    match on {
        RecurOn::Weekdays => "on weekdays".to_string(),
        RecurOn::Days(ds) => format!(
            "on {}",
            ds.iter()
                .map(|d| weekday(d.node))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        RecurOn::DayOfMonth(n) => format!("on day {n}"),
        RecurOn::NthWeekday(n, d) => {
            let ord = match n {
                1 => "1st",
                2 => "2nd",
                3 => "3rd",
                4 => "4th",
                _ => "last",
            };
            format!("on {ord} {}", weekday(*d))
        }
    }
}

impl Strings<'_> {
    /// `run at ...` / `run every ...`
    pub fn schedule(&self, s: &Schedule, indent: usize) -> String {
        match &s.kind {
            ScheduleKind::Once(v) => format!("run at {}", self.value(v, indent)),
            ScheduleKind::Every(r) => {
                let n = r.interval.node;
                let unit = match (r.unit.node, n == 1) {
                    (RecurUnit::Day, true) => "day",
                    (RecurUnit::Day, false) => "days",
                    (RecurUnit::Week, true) => "week",
                    (RecurUnit::Week, false) => "weeks",
                    (RecurUnit::Month, true) => "month",
                    (RecurUnit::Month, false) => "months",
                };
                let mut out = if n == 1 {
                    format!("run every {unit}")
                } else {
                    format!("run every {n} {unit}")
                };
                if let Some(on) = &r.on {
                    out.push(' ');
                    out.push_str(&recur_on(&on.node));
                }
                out.push_str(&format!(" at {}", time(r.at.node)));
                if let Some(v) = &r.from {
                    out.push_str(&format!(" from {}", self.value(v, indent)));
                }
                if let Some(v) = &r.until {
                    out.push_str(&format!(" until {}", self.value(v, indent)));
                }
                out
            }
        }
    }

    /// A flow step other than `if`.
    pub fn simple_step(&self, k: &StepKind, indent: usize) -> String {
        match k {
            StepKind::SendEmail(n) => format!("send email {}", name(n)),
            StepKind::SendAlert { email, to } => {
                let to: Vec<String> = to.iter().map(|t| self.template(t, indent)).collect();
                format!("send alert {} to {}", name(email), to.join(", "))
            }
            StepKind::ChangeField { field, value } => match value {
                ChangeValue::To(v) => format!("change {} to {}", field.name, self.value(v, indent)),
                ChangeValue::Empty(_) => format!("change {} to empty", field.name),
                ChangeValue::By(v) => format!("change {} by {}", field.name, self.value(v, indent)),
            },
            StepKind::ChangeProgramStatus { program, status } => {
                format!(
                    "change program status {} to {}",
                    name(program),
                    name(status)
                )
            }
            StepKind::AddToList(n) => format!("add to list {}", name(n)),
            StepKind::RemoveFromList(n) => format!("remove from list {}", name(n)),
            StepKind::Wait(w) => format!("wait {}", self.wait(w, indent)),
            StepKind::RequestCampaign(n) => format!("request campaign {}", name(n)),
            StepKind::ExecuteCampaign(n) => format!("execute campaign {}", name(n)),
            StepKind::RemoveFromFlow(ns) => {
                if ns.is_empty() {
                    "remove from flow".to_string()
                } else {
                    let ns: Vec<String> = ns.iter().map(name).collect();
                    format!("remove from flow {}", ns.join(", "))
                }
            }
            StepKind::CallWebhook(n) => format!("call webhook {}", name(n)),
            StepKind::InterestingMoment(t) => {
                format!("interesting moment {}", self.template(t, indent))
            }
            StepKind::DeletePerson => "delete person".to_string(),
            StepKind::If { .. } => "if".to_string(),
        }
    }

    fn wait(&self, w: &WaitKind, indent: usize) -> String {
        let at = |a: &Option<crate::syntax::span::Spanned<NaiveTime>>| {
            a.as_ref()
                .map(|t| format!(" at {}", time(t.node)))
                .unwrap_or_default()
        };
        match w {
            WaitKind::For {
                duration: d,
                on,
                at: t,
            } => {
                let on = on
                    .as_ref()
                    .map(|o| format!(" {}", recur_on(&o.node)))
                    .unwrap_or_default();
                format!("{}{on}{}", duration(d), at(t))
            }
            WaitKind::Until(v) => format!("until {}", self.value(v, indent)),
            WaitKind::UntilField {
                field,
                offset,
                at: t,
            } => {
                let off = offset
                    .as_ref()
                    .map(|(minus, d)| {
                        format!(" {} {}", if *minus { "minus" } else { "plus" }, duration(d))
                    })
                    .unwrap_or_default();
                format!("until {}{off}{}", field.name, at(t))
            }
            WaitKind::NextAnniversary { field, at: t } => {
                format!("until next {}{}", field.name, at(t))
            }
        }
    }
}
