//! Conditions (filters and `if` choices): names resolved, values typed for their fields,
//! operators checked against field types.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{
    self, BoolExpr, Condition, ConditionKind, FieldCondition, FieldOp, FieldType, LogicOp, Span,
    Spanned, ValueKind,
};

use super::activities::activity;
use super::ir::{Cond, Count, FieldTest, History, HistoryWindow};
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
                count: match &h.count {
                    None => Count::AtLeast(1),
                    Some(c) => match c.op {
                        ast::CountOp::AtLeast => Count::AtLeast(c.n.node),
                        ast::CountOp::AtMost => Count::AtMost(c.n.node),
                        ast::CountOp::Exactly => Count::Exactly(c.n.node),
                    },
                },
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

/// `camp::smart_list::ambiguous_logic` for `a and b or c`: the whole expression is labelled
/// (labels on its operators inside it would not render legibly), naming the first `or` after an
/// `and` or the first `and` after an `or`.
pub(crate) fn ambiguous(span: Span, ops: &[Spanned<LogicOp>]) -> Diagnostic {
    let word = |op: LogicOp| match op {
        LogicOp::And => "and",
        LogicOp::Or => "or",
    };
    let label = ops
        .windows(2)
        .find(|w| w[0].node != w[1].node)
        .map(|w| {
            format!(
                "`{}` here follows `{}`: which comes first is unclear",
                word(w[1].node),
                word(w[0].node)
            )
        })
        .unwrap_or_else(|| "which comes first is unclear".to_string());
    Diagnostic::error(
        "camp::smart_list::ambiguous_logic",
        span,
        "`and` and `or` are mixed without parentheses",
    )
    .with_label(label)
    .with_help("add parentheses, e.g. `(1 and 2) or 3` or `1 and (2 or 3)`")
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
