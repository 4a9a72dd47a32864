//! Why a failed `expect` about a condition failed, as `camp explain` would say it: for
//! `expect "EMAIL" CONDITION`, the condition explained for that person at the test's clock;
//! for `expect N people CONDITION`, for the first people who match when too many do, or who do
//! not when too few do. Each part of the `and`/`or`/`not` tree is shown with its text as
//! written, the values it read and its verdict, one line per leaf
//! ([`crate::explain::explain_condition`], [`crate::explain::human::condition`]).

use std::collections::HashMap;

use super::{Explainer, FailureContext};
use crate::check::ir::{Cond, Expect};
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::engine::conditions::Eval;
use crate::engine::value::local_time;
use crate::explain::{explain_condition, human, Marks, Style};
use crate::fmt::text::Strings;
use crate::store::{Person, Result};
use crate::syntax::ast::{BoolExpr, Condition, Expectation, Item, Script, Span, TestStatementKind};

/// How many people of a failed `expect N people` are explained at most.
const EXPLAINED_PEOPLE: usize = 3;

/// The explainer `camp test` and `:test` use: the written conditions of every `expect`, by
/// the statement's span, and the verdict marks to show.
pub struct Why<'w> {
    conditions: HashMap<Span, (&'w BoolExpr<Condition>, &'w str)>,
    marks: Marks,
}

impl<'w> Why<'w> {
    /// Reads the `expect` conditions of the scripts' tests.
    pub fn new(scripts: &'w [Script], sources: &'w SourceMap, marks: Marks) -> Why<'w> {
        let mut conditions = HashMap::new();
        for script in scripts {
            let src = sources
                .get(script.file)
                .map(|f| f.text.as_str())
                .unwrap_or("");
            for item in &script.items {
                let Item::Test(t) = item else { continue };
                for st in &t.statements {
                    if let TestStatementKind::Expect(
                        Expectation::Person { condition, .. }
                        | Expectation::Count { condition, .. },
                    ) = &st.kind
                    {
                        conditions.insert(st.span, (condition, src));
                    }
                }
            }
        }
        Why { conditions, marks }
    }

    fn lines(&self, cx: &FailureContext<'_>) -> Result<Option<String>> {
        let Some((written, src)) = self.conditions.get(&cx.span) else {
            return Ok(None);
        };
        let tz = cx.program.settings.time_zone;
        let style = Style {
            marks: self.marks,
            tz,
        };
        let eval = Eval::new(cx.program, cx.store, cx.now);
        let strings = Strings { src };
        let explain = |cond: &Cond, p: &Person, indent: usize| -> Result<String> {
            let e = explain_condition(&eval, &strings, written, cond, p)?;
            Ok(human::condition(&e, style, indent))
        };
        let at = local_time(cx.now, tz);
        match cx.expect {
            Expect::Person { cond, .. } => {
                let Some(p) = cx
                    .person
                    .map(|id| cx.store.person(id))
                    .transpose()?
                    .flatten()
                else {
                    return Ok(None);
                };
                Ok(Some(format!("why, at {at}:\n{}", explain(cond, &p, 1)?)))
            }
            Expect::Count { count, cond } => {
                let mut matching = Vec::new();
                let mut others = Vec::new();
                cx.store.scan_people(&mut |p| {
                    if eval.cond(cond, &p)? {
                        matching.push(p);
                    } else {
                        others.push(p);
                    }
                    Ok(())
                })?;
                let (who, people) = if matching.len() as u64 > u64::from(*count) {
                    ("match", matching)
                } else {
                    ("do not match", others)
                };
                if people.is_empty() {
                    return Ok(None);
                }
                let n = people.len();
                let mut s = if n > EXPLAINED_PEOPLE {
                    format!("why, at {at}, for the first {EXPLAINED_PEOPLE} of the {n} people who {who}:\n")
                } else {
                    format!("why, at {at}, for the people who {who}:\n")
                };
                for p in people.iter().take(EXPLAINED_PEOPLE) {
                    s.push_str(&format!("  `{}`:\n", p.email().unwrap_or("")));
                    s.push_str(&explain(cond, p, 2)?);
                }
                Ok(Some(s))
            }
            Expect::Email { .. } | Expect::Waiting { .. } => Ok(None),
        }
    }
}

impl Explainer for Why<'_> {
    fn explain(&self, cx: &FailureContext<'_>, mut diag: Diagnostic) -> Diagnostic {
        let why = match self.lines(cx) {
            Ok(Some(w)) => w.trim_end().to_string(),
            Ok(None) => return diag,
            Err(e) => format!("why: the store failed while explaining: {e}"),
        };
        diag.help = Some(match diag.help.take() {
            Some(h) => format!("{why}\n{h}"),
            None => why,
        });
        diag
    }
}
