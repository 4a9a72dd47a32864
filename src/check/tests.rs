//! Tests (LANGUAGE.md 11): names, fields, assets and value types like everywhere else, plus
//! `camp::test::time` (no `from`, time going backwards, a test spanning too long),
//! `camp::test::unknown_person` and `camp::test::not_batch`.

use std::collections::HashSet;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{
    self, CampaignKind, Expectation, FieldType, FieldValue, Span, TestDecl, TestEvent,
    TestStatementKind, Value,
};

use super::conditions::{cond_expr, field_test};
use super::ir::{self, FieldId, Scalar};
use super::values::{day_start, instant, scalar};
use super::Ctx;

/// The longest time a test may cover, from its `from` to its last instant: a test runs every
/// scheduled batch run in between, so a daily campaign over centuries would run for hours.
pub const MAX_TEST_YEARS: i64 = 10;

const MAX_TEST_SECONDS: i64 = MAX_TEST_YEARS * 366 * 86_400;

/// Checks every test of the workspace.
pub(crate) fn check_all(cx: &mut Ctx<'_>) -> Vec<ir::Test> {
    let tests: Vec<&TestDecl> = cx.names.tests.iter().map(|d| d.node).collect();
    tests.into_iter().filter_map(|t| test(cx, t)).collect()
}

/// What the checker knows of a test as it reads it from the top.
struct State {
    /// The clock so far, with the statement's time that set it.
    clock: Option<(i64, Span)>,
    /// The `from` instant.
    start: Option<i64>,
    /// Emails created by earlier statements (lower case).
    people: HashSet<String>,
    /// A `people` or `events` file was read: who it creates is known only when the test runs.
    open: bool,
}

fn test(cx: &mut Ctx<'_>, t: &TestDecl) -> Option<ir::Test> {
    let mut st = State {
        clock: None,
        start: None,
        people: HashSet::new(),
        open: false,
    };
    let mut ok = true;
    let mut steps = Vec::new();
    match t.statements.first().map(|s| &s.kind) {
        Some(TestStatementKind::From(_)) => {}
        _ => {
            let at = t.statements.first().map_or(t.name.span, |s| s.span);
            cx.report(
                Diagnostic::error(
                    "camp::test::time",
                    at,
                    format!("test `{}` does not start with `from`", t.name.text),
                )
                .with_label("the first statement must be `from T`")
                .with_help(
                    "start the test with `from 2026-12-01 09:00`: the store's clock starts there",
                ),
            );
            ok = false;
        }
    }
    for (i, s) in t.statements.iter().enumerate() {
        match statement(cx, &mut st, i, s) {
            Some(kind) => steps.push(ir::TestStep { kind, span: s.span }),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(ir::Test {
        name: t.name.text.clone(),
        span: t.name.span,
        steps,
    })
}

/// Reads a time of a statement and moves the checker's clock to it, reporting time that goes
/// backwards.
fn time(cx: &mut Ctx<'_>, st: &mut State, v: &Value, what: &str) -> Option<i64> {
    let tz = cx.settings.time_zone;
    let t = instant(v, false, what, tz, &mut cx.diags)?.timestamp();
    if let Some((clock, at)) = st.clock {
        if t < clock {
            cx.report(
                Diagnostic::error(
                    "camp::test::time",
                    v.span,
                    "time goes backwards in this test",
                )
                .with_label("earlier than the clock")
                .with_secondary(at, "the clock is already here")
                .with_help("a test's statements happen in time order: move this statement up, or change its time"),
            );
            return None;
        }
    }
    if let Some(start) = st.start {
        if t - start > MAX_TEST_SECONDS {
            cx.report(
                Diagnostic::error(
                    "camp::test::time",
                    v.span,
                    format!("a test may cover at most {MAX_TEST_YEARS} years"),
                )
                .with_label(format!("more than {MAX_TEST_YEARS} years after `from`"))
                .with_help(
                    "every scheduled run in between would run; test a shorter stretch of time",
                ),
            );
            return None;
        }
    }
    st.clock = Some((t, v.span));
    Some(t)
}

/// Reports an email no earlier statement creates.
fn known(cx: &mut Ctx<'_>, st: &State, email: &ast::Name) -> bool {
    if st.open || st.people.contains(&email.text.trim().to_lowercase()) {
        return true;
    }
    cx.report(
        Diagnostic::error(
            "camp::test::unknown_person",
            email.span,
            format!("no earlier statement creates `{}`", email.text),
        )
        .with_label("unknown person")
        .with_help(
            "create the person first with `person \"EMAIL\"`, `people \"FILE.csv\"` or a form fill",
        ),
    );
    false
}

fn statement(
    cx: &mut Ctx<'_>,
    st: &mut State,
    index: usize,
    s: &ast::TestStatement,
) -> Option<ir::TestStepKind> {
    use ir::TestStepKind as K;
    Some(match &s.kind {
        TestStatementKind::From(v) => {
            if index != 0 {
                cx.report(
                    Diagnostic::error(
                        "camp::test::time",
                        s.span,
                        "`from` must be the test's first statement, written once",
                    )
                    .with_label("not the first statement")
                    .with_help(
                        "move the start of the clock to the top, or use `until` to move it on",
                    ),
                );
                return None;
            }
            let t = time(cx, st, v, "`from`")?;
            st.start = Some(t);
            K::From(t)
        }
        TestStatementKind::Person { email, fields } => {
            let values = person_fields(cx, fields)?;
            if email.text.trim().is_empty() {
                cx.report(
                    Diagnostic::error(
                        "camp::type::mismatch",
                        email.span,
                        "a person needs an email",
                    )
                    .with_label("empty email"),
                );
                return None;
            }
            st.people.insert(email.text.trim().to_lowercase());
            K::Person {
                email: email.text.trim().to_string(),
                values,
            }
        }
        TestStatementKind::People(path) => {
            st.open = true;
            K::People(path.text.clone())
        }
        TestStatementKind::Events(path) => {
            st.open = true;
            K::Events(path.text.clone())
        }
        TestStatementKind::At { at, person, event } => {
            let t = time(cx, st, at, "`at`");
            let creates = matches!(event, TestEvent::FillsOutForm { .. });
            let who = creates || known(cx, st, person);
            let ev = test_event(cx, event);
            if creates {
                st.people.insert(person.text.trim().to_lowercase());
            }
            if !who {
                return None;
            }
            K::Event {
                at: t?,
                person: person.text.trim().to_string(),
                event: ev?,
            }
        }
        TestStatementKind::Run { campaign, at } => {
            let t = match at {
                Some(v) => Some(time(cx, st, v, "`at`")?),
                None => None,
            };
            let cid = cx.names.campaigns.resolve(campaign, &mut cx.diags)?;
            let kind = cx.kinds.get(cid as usize).copied();
            if kind != Some(CampaignKind::Batch) {
                let what = kind.map_or("not a batch", |k| k.as_str());
                cx.report(
                    Diagnostic::error(
                        "camp::test::not_batch",
                        campaign.span,
                        format!("`{}` is not a batch campaign", campaign.text),
                    )
                    .with_label(format!("a {what} campaign"))
                    .with_help("only batch campaigns run on demand; a trigger campaign runs when an `at` event fires its trigger"),
                );
                return None;
            }
            K::Run {
                campaign: ir::CampaignId(cid),
                at: t,
            }
        }
        TestStatementKind::Until(v) => K::Until(time(cx, st, v, "`until`")?),
        TestStatementKind::Expect(x) => K::Expect(expectation(cx, st, x)?),
    })
}

/// `{ FIELD VALUE, ... }` of a person, a form fill or a data change: writable person fields,
/// values of their types.
fn person_fields(
    cx: &mut Ctx<'_>,
    fields: &[FieldValue],
) -> Option<Vec<(FieldId, Option<Scalar>)>> {
    let tz = cx.settings.time_zone;
    let mut out = Vec::new();
    let mut ok = true;
    for f in fields {
        let Some((id, ty, read_only)) = cx.names.resolve_field(&f.field, &mut cx.diags) else {
            ok = false;
            continue;
        };
        if read_only {
            cx.report(
                Diagnostic::error(
                    "camp::type::read_only",
                    f.field.span,
                    format!("field `{}` is read-only", f.field.name),
                )
                .with_label("set by camp itself")
                .with_help("`id`, `created_at` and `updated_at` cannot be given"),
            );
            ok = false;
            continue;
        }
        let what = format!("field `{}`", f.field.name);
        match scalar(&f.value, ty, &what, tz, &mut cx.diags) {
            // A date given for a date-time field is that day's first instant.
            Some(Scalar::Date(d)) if ty == FieldType::DateTime => {
                out.push((id, Some(Scalar::DateTime(day_start(d, tz)))))
            }
            Some(v) => out.push((id, Some(v))),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn test_event(cx: &mut Ctx<'_>, e: &TestEvent) -> Option<ir::TestEvent> {
    use ir::TestEvent as E;
    let d = &mut cx.diags;
    let names = &cx.names;
    Some(match e {
        TestEvent::FillsOutForm { form, page, fields } => {
            let f = names.forms.resolve(form, d);
            let p = page
                .as_ref()
                .map(|p| names.pages.resolve(p, d).map(ir::PageId));
            let fields = person_fields(cx, fields);
            E::FillsOutForm {
                form: ir::FormId(f?),
                page: match p {
                    Some(p) => Some(p?),
                    None => None,
                },
                fields: fields?,
            }
        }
        TestEvent::VisitsPage(p) => E::VisitsPage(ir::PageId(names.pages.resolve(p, d)?)),
        TestEvent::ClicksLink { link, email } => {
            let e = names.emails.resolve(email, d);
            let link = plain_name(link, d);
            E::ClicksLink {
                email: ir::EmailId(e?),
                link: link?,
            }
        }
        TestEvent::OpensEmail(e) => E::OpensEmail(ir::EmailId(names.emails.resolve(e, d)?)),
        TestEvent::EmailDelivered(e) => E::EmailDelivered(ir::EmailId(names.emails.resolve(e, d)?)),
        TestEvent::EmailBounces(e) => E::EmailBounced(ir::EmailId(names.emails.resolve(e, d)?)),
        TestEvent::Unsubscribes(e) => E::Unsubscribes(match e {
            Some(e) => Some(ir::EmailId(names.emails.resolve(e, d)?)),
            None => None,
        }),
        TestEvent::DataValueChanges(fields) => E::DataChanged(person_fields(cx, fields)?),
        TestEvent::HasEvent { event, attributes } => {
            let ev = names.events.resolve(event, d)?;
            let tz = cx.settings.time_zone;
            let mut data = Vec::new();
            let mut ok = true;
            for a in attributes {
                let Some(ty) = cx.names.attribute(ev, &a.field.name) else {
                    let declared: Vec<&str> = cx
                        .names
                        .events
                        .at(ev)
                        .map(|e| {
                            e.node
                                .attributes
                                .iter()
                                .map(|x| x.name.name.as_str())
                                .collect()
                        })
                        .unwrap_or_default();
                    cx.report(super::names::unknown(
                        "attribute",
                        &a.field.name,
                        a.field.span,
                        declared,
                    ));
                    ok = false;
                    continue;
                };
                let what = format!("attribute `{}`", a.field.name);
                match scalar(&a.value, ty, &what, tz, &mut cx.diags) {
                    Some(Scalar::Date(d)) if ty == FieldType::DateTime => data.push((
                        a.field.name.clone(),
                        Some(Scalar::DateTime(day_start(d, tz))),
                    )),
                    Some(v) => data.push((a.field.name.clone(), Some(v))),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            E::Custom {
                event: ir::EventId(ev),
                data,
            }
        }
        TestEvent::RequestsCampaign(c) => {
            E::RequestCampaign(ir::CampaignId(names.campaigns.resolve(c, d)?))
        }
    })
}

fn plain_name(n: &ast::Name, d: &mut Vec<Diagnostic>) -> Option<String> {
    if n.text.contains("{{") {
        d.push(
            Diagnostic::error(
                "camp::token::not_allowed",
                n.span,
                "tokens are not allowed in a test's values",
            )
            .with_label("a token")
            .with_help("write the value itself"),
        );
        return None;
    }
    Some(n.text.clone())
}

fn expectation(cx: &mut Ctx<'_>, st: &State, x: &Expectation) -> Option<ir::Expect> {
    use ir::Expect as X;
    Some(match x {
        Expectation::Person { person, condition } => {
            let who = known(cx, st, person);
            let cond = cond_expr(cx, condition);
            if !who {
                return None;
            }
            X::Person {
                person: person.text.trim().to_string(),
                cond: cond?,
            }
        }
        Expectation::Count {
            count, condition, ..
        } => X::Count {
            count: count.node,
            cond: cond_expr(cx, condition)?,
        },
        Expectation::Email {
            email,
            to,
            conditions,
        } => {
            let e = cx.names.emails.resolve(email, &mut cx.diags);
            let tz = cx.settings.time_zone;
            let mut tests = Vec::new();
            let mut ok = true;
            for c in conditions {
                let fc = ast::FieldCondition {
                    field: ast::Ident {
                        name: c.part.node.as_str().to_string(),
                        span: c.part.span,
                    },
                    op: c.op.clone(),
                    op_span: c.op_span,
                };
                let what = format!("the message's {}", c.part.node.as_str());
                match field_test(&fc, FieldType::Text, &what, tz, &mut cx.diags) {
                    Some(t) => tests.push((c.part.node, t)),
                    None => ok = false,
                }
            }
            let to = plain_name(to, &mut cx.diags).map(|t| t.trim().to_string());
            if !ok {
                return None;
            }
            X::Email {
                email: ir::EmailId(e?),
                to: to?,
                tests,
            }
        }
        Expectation::Waiting {
            person,
            negated,
            campaign,
        } => {
            let who = known(cx, st, person);
            let c = cx.names.campaigns.resolve(campaign, &mut cx.diags);
            if !who {
                return None;
            }
            X::Waiting {
                person: person.text.trim().to_string(),
                negated: *negated,
                campaign: ir::CampaignId(c?),
            }
        }
    })
}
