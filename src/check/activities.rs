//! Activities, as triggers and history conditions match them: assets resolved, constraints
//! (`link contains`, `on page`, `to`/`from`, `where`) typed.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{self, Activity, FieldType, Span, ValueKind};

use super::conditions::field_test;
use super::ir::{ActivityMatch, ActivityType, Constraint};
use super::names::unknown;
use super::values::{mismatch, plain_text, scalar};
use super::Ctx;

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
