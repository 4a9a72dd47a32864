//! Conditions (filters and `if` choices) and activities (triggers and history conditions):
//! names resolved, values typed for their fields, operators checked against field types.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{
    self, Activity, BoolExpr, Condition, ConditionKind, FieldCondition, FieldOp, FieldType,
    LogicOp, Span, Spanned, ValueKind,
};

use super::ir::{ActivityMatch, ActivityType, Cond, Constraint, FieldTest, History, HistoryWindow};
use super::names::unknown;
use super::values::{instant, mismatch, plain_text, scalar};
use super::Ctx;

/// A condition, resolved and typed (`None` when a problem was reported).
pub(crate) fn condition(cx: &mut Ctx<'_>, c: &Condition) -> Option<Cond> {
    let inner = match &c.kind {
        ConditionKind::Field(fc) => {
            let (id, ty, _) = cx.names.resolve_field(&fc.field, &mut cx.diags)?;
            let what = format!("field `{}`", fc.field.name);
            let tz = cx.settings.time_zone;
            let test = field_test(fc, ty, &what, tz, &mut cx.diags)?;
            Cond::Field { field: id, test }
        }
        ConditionKind::AllPeople => Cond::AllPeople,
        ConditionKind::MemberOfList(n) => {
            Cond::MemberOfList(super::ir::ListId(cx.names.lists.resolve(n, &mut cx.diags)?))
        }
        ConditionKind::MemberOfSmartList(n) => Cond::MemberOfSmartList(super::ir::SmartListId(
            cx.names.smart_lists.resolve(n, &mut cx.diags)?,
        )),
        ConditionKind::MemberOfProgram(n) => Cond::MemberOfProgram(super::ir::ProgramId(
            cx.names.programs.resolve(n, &mut cx.diags)?,
        )),
        ConditionKind::ProgramStatus { program, status } => {
            let p = cx.names.programs.resolve(program, &mut cx.diags)?;
            let s = cx.names.resolve_status(p, status, &mut cx.diags)?;
            Cond::ProgramStatus(super::ir::ProgramId(p), s)
        }
        ConditionKind::MemberOfCampaign(n) => Cond::MemberOfCampaign(super::ir::CampaignId(
            cx.names.campaigns.resolve(n, &mut cx.diags)?,
        )),
        ConditionKind::History(h) => {
            let what = activity(cx, &h.what, c.span, None);
            let window = h.window.as_ref().map(|w| window(cx, w));
            let window = match window {
                Some(None) => return None,
                Some(Some(w)) => Some(w),
                None => None,
            };
            Cond::History(History {
                what: what?,
                window,
                at_least: h.at_least.as_ref().map_or(1, |n| n.node),
            })
        }
    };
    Some(if c.negated {
        Cond::Not(Box::new(inner))
    } else {
        inner
    })
}

fn window(cx: &mut Ctx<'_>, w: &ast::Window) -> Option<HistoryWindow> {
    let tz = cx.settings.time_zone;
    let d = &mut cx.diags;
    Some(match w {
        ast::Window::InPast(dur) => HistoryWindow::InPast(dur.seconds()),
        ast::Window::Since(v) => HistoryWindow::Since(instant(v, false, "`since`", tz, d)?),
        ast::Window::Before(v) => HistoryWindow::Before(instant(v, false, "`before`", tz, d)?),
        ast::Window::Between(a, b, _) => {
            let a = instant(a, false, "`between`", tz, d);
            let b = instant(b, true, "`between`", tz, d);
            HistoryWindow::Between(a?, b?)
        }
    })
}

/// `if` logic over conditions; mixed `and`/`or` is `camp::smart_list::ambiguous_logic`.
pub(crate) fn cond_expr(cx: &mut Ctx<'_>, e: &BoolExpr<Condition>) -> Option<Cond> {
    match e {
        BoolExpr::Atom(c) => condition(cx, c),
        BoolExpr::Not(x, _) => Some(Cond::Not(Box::new(cond_expr(cx, x)?))),
        BoolExpr::Group(x, _) => cond_expr(cx, x),
        BoolExpr::And(xs, _) => all(cx, xs).map(Cond::And),
        BoolExpr::Or(xs, _) => all(cx, xs).map(Cond::Or),
        BoolExpr::Mixed { items, ops, span } => {
            all(cx, items);
            cx.report(ambiguous(*span, ops));
            None
        }
    }
}

fn all(cx: &mut Ctx<'_>, xs: &[BoolExpr<Condition>]) -> Option<Vec<Cond>> {
    let out: Vec<Option<Cond>> = xs.iter().map(|x| cond_expr(cx, x)).collect();
    out.into_iter().collect()
}

/// `camp::smart_list::ambiguous_logic` for `a and b or c`.
pub(crate) fn ambiguous(span: Span, ops: &[Spanned<LogicOp>]) -> Diagnostic {
    let mut d = Diagnostic::error(
        "camp::smart_list::ambiguous_logic",
        span,
        "`and` and `or` are mixed without parentheses",
    )
    .with_label("which comes first is unclear")
    .with_help("add parentheses, e.g. `(1 and 2) or 3` or `1 and (2 or 3)`");
    if let Some(and) = ops.iter().find(|o| o.node == LogicOp::And) {
        d = d.with_secondary(and.span, "`and`");
    }
    if let Some(or) = ops.iter().find(|o| o.node == LogicOp::Or) {
        d = d.with_secondary(or.span, "`or`");
    }
    d
}

/// The operators each field type takes, for messages.
fn operators(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "`is`, `is not`, `starts with`, `not starts with`, `contains`, `not contains`, `is empty`, `is not empty`",
        FieldType::Number => "`is`, `is not`, `greater than`, `less than`, `at least`, `at most`, `between`, `is empty`, `is not empty`",
        FieldType::Date | FieldType::DateTime => "`is`, `before`, `after`, `on or before`, `on or after`, `between`, `in past`, `in past before`, `in future`, `in future after`, `is empty`, `is not empty`",
        FieldType::Bool => "`is true`, `is false`",
    }
}

fn takes(ty: FieldType, op: &FieldOp) -> bool {
    use FieldOp as O;
    match ty {
        FieldType::Text => matches!(
            op,
            O::Is(_)
                | O::IsNot(_)
                | O::StartsWith(_)
                | O::NotStartsWith(_)
                | O::Contains(_)
                | O::NotContains(_)
                | O::IsEmpty
                | O::IsNotEmpty
        ),
        FieldType::Number => matches!(
            op,
            O::Is(_)
                | O::IsNot(_)
                | O::Greater(_)
                | O::Less(_)
                | O::AtLeast(_)
                | O::AtMost(_)
                | O::Between(..)
                | O::IsEmpty
                | O::IsNotEmpty
        ),
        FieldType::Date | FieldType::DateTime => matches!(
            op,
            O::Is(_)
                | O::Before(_)
                | O::After(_)
                | O::OnOrBefore(_)
                | O::OnOrAfter(_)
                | O::Between(..)
                | O::InPast(_)
                | O::InPastBefore(_)
                | O::InFuture(_)
                | O::InFutureAfter(_)
                | O::IsEmpty
                | O::IsNotEmpty
        ),
        FieldType::Bool => matches!(op, O::Is(_)),
    }
}

/// Types a field test for a field or attribute of type `ty` (`what` names it).
pub(crate) fn field_test(
    fc: &FieldCondition,
    ty: FieldType,
    what: &str,
    tz: chrono_tz::Tz,
    d: &mut Vec<Diagnostic>,
) -> Option<FieldTest> {
    use FieldOp as O;
    if !takes(ty, &fc.op) {
        d.push(
            Diagnostic::error(
                "camp::type::operator",
                fc.op_span,
                format!(
                    "`{}` does not apply to {what} of type {}",
                    fc.op.describe(),
                    ty.as_str()
                ),
            )
            .with_label(format!("not a {} operator", ty.as_str()))
            .with_help(format!("{} fields take {}", ty.as_str(), operators(ty))),
        );
        return None;
    }
    let one = |v: &ast::Value, d: &mut Vec<Diagnostic>| scalar(v, ty, what, tz, d);
    let many = |vs: &[ast::Value], d: &mut Vec<Diagnostic>| -> Option<Vec<_>> {
        let out: Vec<_> = vs.iter().map(|v| scalar(v, ty, what, tz, d)).collect();
        out.into_iter().collect()
    };
    let texts = |vs: &[ast::Value], d: &mut Vec<Diagnostic>| -> Option<Vec<String>> {
        let out: Vec<Option<String>> = vs
            .iter()
            .map(|v| match &v.kind {
                ValueKind::Text(t) => plain_text(t, "condition values", d),
                _ => {
                    d.push(mismatch(v, what, ty));
                    None
                }
            })
            .collect();
        out.into_iter().collect()
    };
    Some(match &fc.op {
        O::Is(vs) => FieldTest::Is(many(vs, d)?),
        O::IsNot(vs) => FieldTest::IsNot(many(vs, d)?),
        O::StartsWith(vs) => FieldTest::StartsWith(texts(vs, d)?),
        O::NotStartsWith(vs) => FieldTest::NotStartsWith(texts(vs, d)?),
        O::Contains(vs) => FieldTest::Contains(texts(vs, d)?),
        O::NotContains(vs) => FieldTest::NotContains(texts(vs, d)?),
        O::IsEmpty => FieldTest::IsEmpty,
        O::IsNotEmpty => FieldTest::IsNotEmpty,
        O::Greater(v) | O::After(v) => FieldTest::Greater(one(v, d)?),
        O::Less(v) | O::Before(v) => FieldTest::Less(one(v, d)?),
        O::AtLeast(v) | O::OnOrAfter(v) => FieldTest::AtLeast(one(v, d)?),
        O::AtMost(v) | O::OnOrBefore(v) => FieldTest::AtMost(one(v, d)?),
        O::Between(a, b) => {
            let (a, b) = (one(a, d), one(b, d));
            FieldTest::Between(a?, b?)
        }
        O::InPast(x) => FieldTest::InPast(x.seconds()),
        O::InPastBefore(x) => FieldTest::InPastBefore(x.seconds()),
        O::InFuture(x) => FieldTest::InFuture(x.seconds()),
        O::InFutureAfter(x) => FieldTest::InFutureAfter(x.seconds()),
    })
}

/// Resolves an optional asset name in `table`; `Err` when it was written and is unknown.
fn opt_name<T>(
    table: &super::names::Table<'_, T>,
    name: &Option<ast::Name>,
    d: &mut Vec<Diagnostic>,
) -> Result<Option<String>, ()> {
    match name {
        None => Ok(None),
        Some(n) => match table.resolve(n, d) {
            Some(_) => Ok(Some(n.text.clone())),
            None => Err(()),
        },
    }
}

/// An activity (trigger or history condition) as a match on the activity log.
///
/// `own` is the campaign a trigger belongs to: `trigger campaign is requested` matches requests
/// of that campaign.
pub(crate) fn activity(
    cx: &mut Ctx<'_>,
    a: &Activity,
    span: Span,
    own: Option<&str>,
) -> Option<ActivityMatch> {
    let names = &cx.names;
    let d = &mut cx.diags;
    let tz = cx.settings.time_zone;
    let mut constraints = Vec::new();
    let mut ok = true;
    let named = |r: Result<Option<String>, ()>, ok: &mut bool| match r {
        Ok(x) => x,
        Err(()) => {
            *ok = false;
            None
        }
    };
    let (activity, asset) = match a {
        Activity::EmailSent { email } => (
            ActivityType::SendEmail,
            named(opt_name(&names.emails, email, d), &mut ok),
        ),
        Activity::EmailOpened { email } => (
            ActivityType::OpenEmail,
            named(opt_name(&names.emails, email, d), &mut ok),
        ),
        Activity::EmailClicked { email, link } => {
            let asset = named(opt_name(&names.emails, email, d), &mut ok);
            if let Some(l) = link {
                let text = match &l.text.kind {
                    ValueKind::Text(t) => plain_text(t, "link constraints", d),
                    _ => {
                        d.push(mismatch(&l.text, "a link", FieldType::Text));
                        None
                    }
                };
                match text {
                    Some(t) if l.contains => constraints.push(Constraint::LinkContains(t)),
                    Some(t) => constraints.push(Constraint::LinkIs(t)),
                    None => ok = false,
                }
            }
            (ActivityType::ClickEmail, asset)
        }
        Activity::EmailDelivered { email } => (
            ActivityType::EmailDelivered,
            named(opt_name(&names.emails, email, d), &mut ok),
        ),
        Activity::EmailBounced { email } => (
            ActivityType::EmailBounced,
            named(opt_name(&names.emails, email, d), &mut ok),
        ),
        Activity::Unsubscribed { email } => (
            ActivityType::UnsubscribeEmail,
            named(opt_name(&names.emails, email, d), &mut ok),
        ),
        Activity::FormFilled { form, page } => {
            let asset = named(opt_name(&names.forms, form, d), &mut ok);
            if let Some(p) = named(opt_name(&names.pages, page, d), &mut ok) {
                constraints.push(Constraint::OnPage(p));
            }
            (ActivityType::FillOutForm, asset)
        }
        Activity::PageVisited { page } => (
            ActivityType::VisitPage,
            named(opt_name(&names.pages, page, d), &mut ok),
        ),
        Activity::AddedToList { list } => (
            ActivityType::AddToList,
            named(opt_name(&names.lists, list, d), &mut ok),
        ),
        Activity::RemovedFromList { list } => (
            ActivityType::RemoveFromList,
            named(opt_name(&names.lists, list, d), &mut ok),
        ),
        Activity::DataValueChanged { field, to, from } => {
            match names.resolve_field(field, d) {
                Some((_, ty, _)) => {
                    let what = format!("field `{}`", field.name);
                    if let Some(v) = to {
                        match scalar(v, ty, &what, tz, d) {
                            Some(s) => constraints.push(Constraint::NewValue(Some(s))),
                            None => ok = false,
                        }
                    }
                    if let Some(v) = from {
                        match scalar(v, ty, &what, tz, d) {
                            Some(s) => constraints.push(Constraint::OldValue(Some(s))),
                            None => ok = false,
                        }
                    }
                }
                None => ok = false,
            }
            (ActivityType::ChangeDataValue, Some(field.name.clone()))
        }
        Activity::ScoreChanged => (ActivityType::ChangeScore, None),
        Activity::PersonCreated => (ActivityType::NewPerson, None),
        Activity::ProgramStatusChanged { program, to, from } => {
            let asset = named(opt_name(&names.programs, program, d), &mut ok);
            let pid = program.as_ref().and_then(|p| names.programs.get(&p.text));
            for (status, is_to) in [(to, true), (from, false)] {
                let Some(s) = status else { continue };
                let known = match (program, pid) {
                    (Some(_), Some(p)) => names.resolve_status(p, s, d).is_some(),
                    (Some(_), None) => false,
                    (None, _) => any_status(names, s, d),
                };
                if !known {
                    ok = false;
                } else if is_to {
                    constraints.push(Constraint::StatusTo(s.text.clone()));
                } else {
                    constraints.push(Constraint::StatusFrom(s.text.clone()));
                }
            }
            (ActivityType::ChangeProgramStatus, asset)
        }
        Activity::CampaignRequested { campaign } => {
            let asset = match campaign {
                Some(_) => named(opt_name(&names.campaigns, campaign, d), &mut ok),
                None => own.map(str::to_string),
            };
            (ActivityType::RequestCampaign, asset)
        }
        Activity::CustomEvent { event, conditions } => {
            let eid = names.events.resolve(event, d);
            match eid {
                Some(e) => {
                    for c in conditions {
                        match names.attribute(e, &c.field.name) {
                            Some(ty) => {
                                let what = format!("attribute `{}`", c.field.name);
                                match field_test(c, ty, &what, tz, d) {
                                    Some(test) => constraints.push(Constraint::Attribute {
                                        name: c.field.name.clone(),
                                        ty,
                                        test,
                                    }),
                                    None => ok = false,
                                }
                            }
                            None => {
                                ok = false;
                                let attrs = names.events.at(e).map(|x| {
                                    x.node
                                        .attributes
                                        .iter()
                                        .map(|a| a.name.name.as_str())
                                        .collect::<Vec<_>>()
                                });
                                let mut diag = unknown(
                                    "attribute",
                                    &c.field.name,
                                    c.field.span,
                                    attrs.unwrap_or_default(),
                                );
                                diag.message = format!(
                                    "unknown attribute `{}` of event `{}`",
                                    c.field.name, event.text
                                );
                                d.push(diag);
                            }
                        }
                    }
                }
                None => ok = false,
            }
            (ActivityType::CustomEvent, Some(event.text.clone()))
        }
    };
    ok.then_some(ActivityMatch {
        activity,
        asset,
        constraints,
        span,
    })
}

/// True when some program declares status `s`; otherwise reports it.
fn any_status(names: &super::names::Names<'_>, s: &ast::Name, d: &mut Vec<Diagnostic>) -> bool {
    let all: Vec<&str> = names
        .programs
        .iter()
        .flat_map(|p| p.node.statuses.iter().map(|x| x.text.as_str()))
        .collect();
    if all.contains(&s.text.as_str()) {
        return true;
    }
    d.push(unknown("status", &s.text, s.span, all));
    false
}
