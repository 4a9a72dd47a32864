//! Evaluating an `expect` at the test's clock, and saying what was found when it fails: the
//! person's values of the fields the condition reads, the activities behind each history
//! condition, the count and the first people who match, the actual subject and body.

use chrono_tz::Tz;

use crate::check::ir::{Cond, Expect, FieldTest, History, MessagePart, Program, Scalar};
use crate::diagnostic::Diagnostic;
use crate::engine::conditions::{field_test, log_types, Eval};
use crate::engine::value::display;
use crate::store::{Person, PersonId, Result, Store};

/// How many people, activities or characters a failure lists at most.
const SHOWN_PEOPLE: usize = 5;
const SHOWN_ACTIVITIES: usize = 5;
const SHOWN_CHARS: usize = 200;

/// A failed expectation: what was expected, and what was found instead.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// `camp::test::failed`, or `camp::test::unknown_person` for a person who never existed.
    pub code: &'static str,
    /// One line: what did not hold.
    pub message: String,
    /// What was found (the primary label).
    pub found: String,
    /// More of what was found, when there is more to say.
    pub detail: Option<String>,
    /// The person the expectation is about, if one exists.
    pub person: Option<PersonId>,
}

impl Found {
    /// The diagnostic at the `expect` statement.
    pub fn diagnostic(&self, span: crate::syntax::ast::Span) -> Diagnostic {
        let d =
            Diagnostic::error(self.code, span, self.message.clone()).with_label(self.found.clone());
        match &self.detail {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }
}

/// Evaluates `x` at `now`: `None` when it holds.
pub fn evaluate(
    program: &Program,
    store: &dyn Store,
    now: i64,
    x: &Expect,
) -> Result<Option<Found>> {
    let tz = program.settings.time_zone;
    let eval = Eval::new(program, store, now);
    match x {
        Expect::Person { person, cond } => {
            let Some(p) = find(store, person)? else {
                return Ok(Some(missing(store, person)?));
            };
            if eval.cond(cond, &p)? {
                return Ok(None);
            }
            let facts = facts(&eval, cond, &p)?;
            Ok(Some(Found {
                code: FAILED,
                message: format!("expectation failed: the condition does not hold for `{person}`"),
                found: format!("found {}", facts.summary.join(", ")),
                detail: facts.detail(),
                person: Some(p.id),
            }))
        }
        Expect::Count { count, cond } => {
            let mut matching = Vec::new();
            store.scan_people(&mut |p| {
                if eval.cond(cond, &p)? {
                    matching.push(p.email().unwrap_or("").to_string());
                }
                Ok(())
            })?;
            if matching.len() as u64 == u64::from(*count) {
                return Ok(None);
            }
            let n = matching.len();
            let shown: Vec<String> = matching
                .iter()
                .take(SHOWN_PEOPLE)
                .map(|e| format!("`{e}`"))
                .collect();
            let found = match n {
                0 => "found no one".to_string(),
                _ => {
                    let more = if n > SHOWN_PEOPLE {
                        format!(" and {} more", n - SHOWN_PEOPLE)
                    } else {
                        String::new()
                    };
                    format!("found {}: {}{more}", people(n), shown.join(", "))
                }
            };
            Ok(Some(Found {
                code: FAILED,
                message: format!(
                    "expectation failed: {} {}, not {count}",
                    people(n),
                    if n == 1 { "matches" } else { "match" }
                ),
                found,
                detail: None,
                person: None,
            }))
        }
        Expect::Email { email, to, tests } => {
            let name = program
                .emails
                .get(email.index())
                .map_or("", |e| e.name.as_str());
            let mut last = None;
            let mut others = Vec::new();
            store.scan_outbox(&mut |row| {
                if row.to.trim().eq_ignore_ascii_case(to) {
                    if row.email == name {
                        last = Some(row);
                    } else {
                        others.push(format!("`{}`", row.email));
                    }
                }
                Ok(())
            })?;
            let person = find(store, to)?.map(|p| p.id);
            let Some(row) = last else {
                others.dedup();
                return Ok(Some(Found {
                    code: FAILED,
                    message: format!("expectation failed: no email `{name}` was sent to `{to}`"),
                    found: "no message".to_string(),
                    detail: (!others.is_empty())
                        .then(|| format!("messages to `{to}`: {}", others.join(", "))),
                    person,
                }));
            };
            let failed: Vec<&(MessagePart, FieldTest)> = tests
                .iter()
                .filter(|(part, test)| {
                    let text = match part {
                        MessagePart::Subject => &row.subject,
                        MessagePart::Body => &row.body,
                    };
                    let value = Scalar::Text(text.clone());
                    !field_test(
                        crate::check::ir::FieldType::Text,
                        Some(&value),
                        test,
                        now,
                        tz,
                    )
                })
                .collect();
            if failed.is_empty() {
                return Ok(None);
            }
            let parts: Vec<&str> = failed.iter().map(|(p, _)| p.as_str()).collect();
            let mut found = format!("found subject {}", quoted(&row.subject));
            if failed.iter().any(|(p, _)| *p == MessagePart::Body) {
                found = format!("found body {}", quoted(&row.body));
            }
            Ok(Some(Found {
                code: FAILED,
                message: format!(
                    "expectation failed: the {} of the last `{name}` to `{to}` does not match",
                    parts.join(" and ")
                ),
                found,
                detail: Some(format!(
                    "the message: subject {}, body {}",
                    quoted(&row.subject),
                    quoted(&row.body)
                )),
                person,
            }))
        }
        Expect::Waiting {
            person,
            negated,
            campaign,
        } => {
            let Some(p) = find(store, person)? else {
                return Ok(Some(missing(store, person)?));
            };
            let cname = program
                .campaigns
                .get(campaign.index())
                .map_or("", |c| c.name.as_str());
            let waits: Vec<_> = store
                .waits()?
                .into_iter()
                .filter(|w| w.person == p.id)
                .collect();
            let here = waits.iter().find(|w| w.campaign == cname);
            match (here, negated) {
                (Some(_), false) | (None, true) => Ok(None),
                (Some(w), true) => Ok(Some(Found {
                    code: FAILED,
                    message: format!("expectation failed: `{person}` is waiting in `{cname}`"),
                    found: format!(
                        "waiting at step {} until {}",
                        w.path,
                        display(
                            Some(&Scalar::DateTime(crate::engine::value::instant(w.wake_at))),
                            tz
                        )
                    ),
                    detail: None,
                    person: Some(p.id),
                })),
                (None, _) => {
                    let elsewhere: Vec<String> = waits
                        .iter()
                        .map(|w| format!("`{}` (step {})", w.campaign, w.path))
                        .collect();
                    Ok(Some(Found {
                        code: FAILED,
                        message: format!(
                            "expectation failed: `{person}` is not waiting in `{cname}`"
                        ),
                        found: if elsewhere.is_empty() {
                            "not waiting in any campaign".to_string()
                        } else {
                            format!("waiting in {}", elsewhere.join(", "))
                        },
                        detail: None,
                        person: Some(p.id),
                    }))
                }
            }
        }
    }
}

fn people(n: usize) -> String {
    if n == 1 {
        "1 person".to_string()
    } else {
        format!("{n} people")
    }
}

fn quoted(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut s: String = one_line.chars().take(SHOWN_CHARS).collect();
    if one_line.chars().count() > SHOWN_CHARS {
        s.push('…');
    }
    format!("`{s}`")
}

fn find(store: &dyn Store, email: &str) -> Result<Option<Person>> {
    match store.person_by_email(email)? {
        Some(id) => store.person(id),
        None => Ok(None),
    }
}

/// A person the expectation names who is not in the store: deleted by a flow, or never created
/// (`camp::test::unknown_person`; the checker cannot know who a `people` or `events` file
/// creates).
fn missing(store: &dyn Store, email: &str) -> Result<Found> {
    let mut seen = false;
    store.scan_log(&crate::store::LogQuery::default(), &mut |a| {
        seen |= a
            .email
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(email));
        Ok(())
    })?;
    Ok(if seen {
        Found {
            code: FAILED,
            message: format!("expectation failed: `{email}` no longer exists"),
            found: "deleted".to_string(),
            detail: None,
            person: None,
        }
    } else {
        Found {
            code: "camp::test::unknown_person",
            message: format!("no person `{email}` exists at this point of the test"),
            found: "unknown person".to_string(),
            detail: Some("no statement or file of the test created this person".to_string()),
            person: None,
        }
    })
}

const FAILED: &str = "camp::test::failed";

/// What a condition read of one person.
#[derive(Default)]
struct Facts {
    /// Short facts: `score 5`, `lists: none`...
    summary: Vec<String>,
    /// Longer ones: the activities behind history conditions.
    activities: Vec<String>,
}

impl Facts {
    fn push(&mut self, s: String) {
        if !self.summary.contains(&s) {
            self.summary.push(s);
        }
    }

    fn detail(&self) -> Option<String> {
        (!self.activities.is_empty()).then(|| self.activities.join("; "))
    }
}

fn facts(eval: &Eval<'_>, cond: &Cond, person: &Person) -> Result<Facts> {
    let mut out = Facts::default();
    collect(eval, cond, person, &mut out)?;
    if out.summary.is_empty() {
        out.summary.push("nothing that matches".to_string());
    }
    Ok(out)
}

fn collect(eval: &Eval<'_>, cond: &Cond, person: &Person, out: &mut Facts) -> Result<()> {
    let p = eval.program;
    let tz: Tz = eval.tz;
    match cond {
        Cond::Field { field, .. } => {
            let name = p.fields.get(field.index()).map_or("", |f| f.name.as_str());
            let v = person.get(*field);
            let shown = match v {
                None => "empty".to_string(),
                Some(Scalar::Text(s)) if s.is_empty() => "empty".to_string(),
                Some(Scalar::Text(s)) => format!("\"{s}\""),
                Some(other) => display(Some(other), tz),
            };
            out.push(format!("{name} {shown}"));
        }
        Cond::AllPeople => {}
        Cond::MemberOfList(_) => {
            let lists = eval.store.lists_of(person.id)?;
            out.push(if lists.is_empty() {
                "in no list".to_string()
            } else {
                let names: Vec<String> = lists.iter().map(|l| format!("`{l}`")).collect();
                format!("lists {}", names.join(", "))
            });
        }
        Cond::MemberOfSmartList(s) => {
            let name = p.smart_lists.get(s.index()).map_or("", |x| x.name.as_str());
            let yes = eval.cond(cond, person)?;
            out.push(format!(
                "{} smart list `{name}`",
                if yes { "in" } else { "not in" }
            ));
        }
        Cond::MemberOfProgram(prog) | Cond::ProgramStatus(prog, _) => {
            if let Some(pr) = p.programs.get(prog.index()) {
                out.push(match eval.store.program_status(&pr.name, person.id)? {
                    Some(s) => format!("program `{}` status \"{s}\"", pr.name),
                    None => format!("not a member of program `{}`", pr.name),
                });
            }
        }
        Cond::MemberOfCampaign(c) => {
            if let Some(camp) = p.campaigns.get(c.index()) {
                let m = eval.store.membership(&camp.name, person.id)?.is_some();
                out.push(format!(
                    "{} of campaign `{}`",
                    if m { "a member" } else { "not a member" },
                    camp.name
                ));
            }
        }
        Cond::History(h) => history(eval, h, person, out)?,
        Cond::Not(c) => collect(eval, c, person, out)?,
        Cond::And(cs) | Cond::Or(cs) => {
            for c in cs {
                collect(eval, c, person, out)?;
            }
        }
    }
    Ok(())
}

/// The count of matching activities, and the activities of that type the person has.
fn history(eval: &Eval<'_>, h: &History, person: &Person, out: &mut Facts) -> Result<()> {
    let mut n = 0u32;
    eval.history_matches(h, person, &mut |_| {
        n += 1;
        true
    })?;
    let what = h.what.activity.as_str();
    let asset = h
        .what
        .asset
        .as_ref()
        .map(|a| format!(" `{a}`"))
        .unwrap_or_default();
    out.push(format!(
        "{n} matching `{what}`{asset} {}",
        if n == 1 { "activity" } else { "activities" }
    ));
    let kinds = log_types(&h.what);
    let seen = eval
        .store
        .history(person.id, &kinds, None, None, Some(eval.now))?;
    let total = seen.len();
    let mut shown: Vec<String> = seen
        .iter()
        .rev()
        .take(SHOWN_ACTIVITIES)
        .rev()
        .map(|a| {
            let at = display(
                Some(&Scalar::DateTime(crate::engine::value::instant(a.at))),
                eval.tz,
            );
            match &a.primary {
                Some(v) => format!("{} `{v}` at {at}", a.kind),
                None => format!("{} at {at}", a.kind),
            }
        })
        .collect();
    if total > SHOWN_ACTIVITIES {
        shown.insert(0, format!("{} earlier", total - SHOWN_ACTIVITIES));
    }
    out.activities.push(if shown.is_empty() {
        format!("no `{what}` activity in the log")
    } else {
        format!("`{what}` activities seen: {}", shown.join(", "))
    });
    Ok(())
}
