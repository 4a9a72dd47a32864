//! Flow steps: names resolved, values typed, each step given its path (`1`, `3.1.2`,
//! `3.else.1`), and the per-step rules of LANGUAGE.md section 6.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{
    self, CampaignKind, ChangeValue, FieldType, RecurOn, StepKind, ValueKind, WaitKind,
};

use super::conditions::cond_expr;
use super::ir::{self, CampaignId, RecurDays, Scalar};
use super::tokens::{template, Place};
use super::values::{day_start, instant, mismatch, scalar, token_not_allowed};
use super::Ctx;

/// The campaign whose flow is being checked.
pub(crate) struct CampaignCx<'c> {
    /// Its id.
    pub id: CampaignId,
    /// Its name.
    pub name: &'c str,
    /// Its kind.
    pub kind: CampaignKind,
}

impl CampaignCx<'_> {
    fn place(&self) -> Place {
        if self.kind == CampaignKind::Batch {
            Place::BatchStep
        } else {
            Place::Other
        }
    }
}

/// A campaign's flow block as checked steps.
pub(crate) fn flow(cx: &mut Ctx<'_>, cc: &CampaignCx<'_>, b: &ast::Block) -> Vec<ir::Step> {
    block(cx, cc, &b.steps, "")
}

fn block(
    cx: &mut Ctx<'_>,
    cc: &CampaignCx<'_>,
    steps: &[ast::Step],
    prefix: &str,
) -> Vec<ir::Step> {
    let mut out = Vec::with_capacity(steps.len());
    let mut removed: Option<ast::Span> = None;
    let mut warned = false;
    for (k, s) in steps.iter().enumerate() {
        let path = if prefix.is_empty() {
            (k + 1).to_string()
        } else {
            format!("{prefix}.{}", k + 1)
        };
        if let (Some(r), false) = (removed, warned) {
            warned = true;
            cx.report(
                Diagnostic::warning("camp::flow::unreachable", s.span, "this step never runs")
                    .with_label("unreachable")
                    .with_secondary(r, "the person leaves the flow here")
                    .with_help("remove the steps after `remove from flow`, or move them before it"),
            );
        }
        if let Some(kind) = step(cx, cc, s, &path) {
            out.push(ir::Step {
                path,
                kind,
                span: s.span,
            });
        }
        if removed.is_none() && removes_self(cc, &s.kind) {
            removed = Some(s.span);
        }
    }
    out
}

fn removes_self(cc: &CampaignCx<'_>, k: &StepKind) -> bool {
    match k {
        StepKind::RemoveFromFlow(names) => {
            names.is_empty() || names.iter().any(|n| n.text == cc.name)
        }
        _ => false,
    }
}

fn not_in_executable(cx: &mut Ctx<'_>, cc: &CampaignCx<'_>, s: &ast::Step) {
    if cc.kind == CampaignKind::Executable {
        cx.report(
            Diagnostic::error(
                "camp::flow::not_in_executable",
                s.span,
                format!("`{}` is not allowed in executable campaign `{}`", s.kind.describe(), cc.name),
            )
            .with_label("not allowed in an executable campaign")
            .with_help("executable campaigns run inside their caller's flow, in series; move this step to the caller"),
        );
    }
}

fn step(cx: &mut Ctx<'_>, cc: &CampaignCx<'_>, s: &ast::Step, path: &str) -> Option<ir::StepKind> {
    use ir::StepKind as K;
    let place = cc.place();
    Some(match &s.kind {
        StepKind::SendEmail(n) => {
            K::SendEmail(ir::EmailId(cx.names.emails.resolve(n, &mut cx.diags)?))
        }
        StepKind::SendAlert { email, to } => {
            for t in to {
                template(cx, t, place);
            }
            K::SendAlert {
                email: ir::EmailId(cx.names.emails.resolve(email, &mut cx.diags)?),
                to: to.clone(),
            }
        }
        StepKind::ChangeField { field, value } => change(cx, place, s, field, value)?,
        StepKind::ChangeProgramStatus { program, status } => {
            let p = cx.names.programs.resolve(program, &mut cx.diags)?;
            let st = cx.names.resolve_status(p, status, &mut cx.diags)?;
            K::ChangeProgramStatus {
                program: ir::ProgramId(p),
                status: st,
            }
        }
        StepKind::AddToList(n) => {
            K::AddToList(ir::ListId(cx.names.lists.resolve(n, &mut cx.diags)?))
        }
        StepKind::RemoveFromList(n) => {
            K::RemoveFromList(ir::ListId(cx.names.lists.resolve(n, &mut cx.diags)?))
        }
        StepKind::Wait(w) => {
            not_in_executable(cx, cc, s);
            K::Wait(wait(cx, cc, s, w)?)
        }
        StepKind::RequestCampaign(n) => {
            let id = cx.names.campaigns.resolve(n, &mut cx.diags)?;
            if !cx.requestable.get(id as usize).copied().unwrap_or(false) {
                let mut d = Diagnostic::error(
                    "camp::flow::request_target",
                    s.span,
                    format!("campaign `{}` cannot be requested", n.text),
                )
                .with_label("its smart list has no `campaign is requested` trigger")
                .with_help(format!(
                    "add `trigger campaign is requested` to the smart list of `{}`",
                    n.text
                ));
                if let Some(t) = cx.names.campaigns.at(id) {
                    d = d.with_secondary(t.node.header, "declared here");
                }
                cx.report(d);
                return None;
            }
            K::RequestCampaign(CampaignId(id))
        }
        StepKind::ExecuteCampaign(n) => {
            let id = cx.names.campaigns.resolve(n, &mut cx.diags)?;
            let kind = cx.kinds.get(id as usize).copied();
            if kind != Some(CampaignKind::Executable) {
                let mut d = Diagnostic::error(
                    "camp::flow::execute_target",
                    s.span,
                    format!("campaign `{}` is not executable", n.text),
                )
                .with_label(format!(
                    "`{}` is a {} campaign",
                    n.text,
                    kind.map_or("", CampaignKind::as_str)
                ))
                .with_help(format!(
                    "declare it `executable campaign \"{}\"`, or use `request campaign` for a trigger campaign",
                    n.text
                ));
                if let Some(t) = cx.names.campaigns.at(id) {
                    d = d.with_secondary(t.node.header, "declared here");
                }
                cx.report(d);
                return None;
            }
            K::ExecuteCampaign(CampaignId(id))
        }
        StepKind::RemoveFromFlow(names) => {
            if names.is_empty() {
                K::RemoveFromFlow(vec![cc.id])
            } else {
                let ids: Vec<Option<u32>> = names
                    .iter()
                    .map(|n| cx.names.campaigns.resolve(n, &mut cx.diags))
                    .collect();
                K::RemoveFromFlow(
                    ids.into_iter()
                        .map(|i| i.map(CampaignId))
                        .collect::<Option<_>>()?,
                )
            }
        }
        StepKind::CallWebhook(n) => {
            not_in_executable(cx, cc, s);
            K::CallWebhook(ir::WebhookId(cx.names.webhooks.resolve(n, &mut cx.diags)?))
        }
        StepKind::InterestingMoment(t) => {
            template(cx, t, place);
            K::InterestingMoment(t.clone())
        }
        StepKind::DeletePerson => K::DeletePerson,
        StepKind::If {
            branches,
            otherwise,
        } => {
            let mut out = Vec::with_capacity(branches.len());
            let mut ok = true;
            for (j, (c, b)) in branches.iter().enumerate() {
                let c = cond_expr(cx, c);
                let steps = block(cx, cc, &b.steps, &format!("{path}.{}", j + 1));
                match c {
                    Some(c) => out.push((c, steps)),
                    None => ok = false,
                }
            }
            let otherwise = otherwise
                .as_ref()
                .map(|b| block(cx, cc, &b.steps, &format!("{path}.else")));
            if !ok {
                return None;
            }
            K::If {
                branches: out,
                otherwise,
            }
        }
    })
}

fn change(
    cx: &mut Ctx<'_>,
    place: Place,
    s: &ast::Step,
    field: &ast::Ident,
    value: &ChangeValue,
) -> Option<ir::StepKind> {
    let (id, ty, read_only) = cx.names.resolve_field(field, &mut cx.diags)?;
    let what = format!("field `{}`", field.name);
    if read_only {
        cx.report(
            Diagnostic::error(
                "camp::type::read_only",
                field.span,
                format!("field `{}` is read-only", field.name),
            )
            .with_label("cannot be changed")
            .with_help("`id`, `created_at` and `updated_at` are kept by camp itself"),
        );
    }
    let value = match value {
        ChangeValue::To(v) => match (&v.kind, ty) {
            (ValueKind::Text(t), FieldType::Text) => {
                template(cx, t, place);
                ir::ChangeValue::SetText(t.clone())
            }
            (ValueKind::Text(t), _) if t.has_tokens() => {
                for tok in t.tokens() {
                    cx.report(token_not_allowed(
                        tok.span,
                        &tok.to_string(),
                        &format!("a change of a {} field", ty.as_str()),
                    ));
                }
                return None;
            }
            _ => {
                let tz = cx.settings.time_zone;
                match scalar(v, ty, &what, tz, &mut cx.diags)? {
                    Scalar::Date(d) if ty == FieldType::DateTime => {
                        ir::ChangeValue::Set(Scalar::DateTime(day_start(d, tz)))
                    }
                    other => ir::ChangeValue::Set(other),
                }
            }
        },
        ChangeValue::Empty(span) => {
            if ty == FieldType::Bool {
                cx.report(
                    Diagnostic::error(
                        "camp::type::mismatch",
                        *span,
                        format!("{what} is a bool and cannot be empty"),
                    )
                    .with_label("a bool is never empty")
                    .with_help("write `to false` instead"),
                );
                return None;
            }
            ir::ChangeValue::Clear
        }
        ChangeValue::By(v) => {
            if ty != FieldType::Number {
                cx.report(
                    Diagnostic::error(
                        "camp::type::operator",
                        s.span,
                        format!(
                            "`change ... by` does not apply to {what} of type {}",
                            ty.as_str()
                        ),
                    )
                    .with_label("only number fields change by an amount")
                    .with_help("write `change ... to` with the new value"),
                );
                return None;
            }
            match &v.kind {
                ValueKind::Number(n) => ir::ChangeValue::Add(*n),
                _ => {
                    cx.report(mismatch(v, "the amount", FieldType::Number));
                    return None;
                }
            }
        }
    };
    if read_only {
        return None;
    }
    Some(ir::StepKind::ChangeField { field: id, value })
}

fn wait(cx: &mut Ctx<'_>, cc: &CampaignCx<'_>, s: &ast::Step, w: &WaitKind) -> Option<ir::Wait> {
    let tz = cx.settings.time_zone;
    Some(match w {
        WaitKind::For { duration, on, at } => {
            let on = match on.as_ref().map(|o| (&o.node, o.span)) {
                None => RecurDays::Any,
                Some((RecurOn::Weekdays, _)) => RecurDays::Weekdays,
                Some((RecurOn::Days(ds), _)) => {
                    RecurDays::Days(ds.iter().map(|d| d.node).collect())
                }
                Some((_, span)) => {
                    cx.report(
                        Diagnostic::error(
                            "camp::schedule::invalid_recurrence",
                            span,
                            "a wait can only be limited to weekdays",
                        )
                        .with_label("not a weekday selector")
                        .with_help("write `on weekdays` or `on mon, thu`"),
                    );
                    return None;
                }
            };
            ir::Wait::For {
                amount: duration.amount,
                unit: duration.unit,
                on,
                at: at.as_ref().map(|a| a.node),
            }
        }
        WaitKind::Until(v) => {
            ir::Wait::Until(instant(v, false, "`wait until`", tz, &mut cx.diags)?)
        }
        WaitKind::UntilField { field, offset, at } => {
            let id = date_field(cx, cc, s, field)?;
            let offset = offset.map(|(minus, d)| {
                let n = i64::from(d.amount);
                (if minus { -n } else { n }, d.unit)
            });
            ir::Wait::UntilField {
                field: id,
                offset,
                at: at.as_ref().map(|a| a.node),
            }
        }
        WaitKind::NextAnniversary { field, at } => {
            let id = date_field(cx, cc, s, field)?;
            ir::Wait::NextAnniversary {
                field: id,
                at: at.as_ref().map(|a| a.node),
            }
        }
    })
}

/// The date or datetime field a wait reads; such waits are refused in batch campaigns.
fn date_field(
    cx: &mut Ctx<'_>,
    cc: &CampaignCx<'_>,
    s: &ast::Step,
    field: &ast::Ident,
) -> Option<ir::FieldId> {
    let (id, ty, _) = cx.names.resolve_field(field, &mut cx.diags)?;
    if !matches!(ty, FieldType::Date | FieldType::DateTime) {
        cx.report(
            Diagnostic::error(
                "camp::type::mismatch",
                field.span,
                format!(
                    "field `{}` is of type {}, not a date",
                    field.name,
                    ty.as_str()
                ),
            )
            .with_label(format!("a {} field", ty.as_str()))
            .with_help("a wait on a field needs a date or datetime field"),
        );
        return None;
    }
    if cc.kind == CampaignKind::Batch {
        cx.report(
            Diagnostic::error(
                "camp::flow::date_wait_in_batch",
                s.span,
                format!("batch campaign `{}` waits on the person's field `{}`", cc.name, field.name),
            )
            .with_label("a wait on a person's date")
            .with_help("waits on a person's dates belong in trigger campaigns; use `wait until` a fixed date here"),
        );
        return None;
    }
    Some(id)
}
