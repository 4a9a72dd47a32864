//! Assets (lists, emails, forms, pages, webhooks, events, programs, tokens): their templates
//! checked and their checked form built; and the emails with `{{trigger.*}}` that batch
//! campaigns send.

use std::collections::HashSet;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{self, CampaignKind, Item, Span, Template, TemplatePart};

use super::ir;
use super::tokens::{first_trigger_token, template, Place};
use super::Ctx;

/// The checked assets, indexed like the name tables.
pub(crate) struct Assets {
    /// Static lists.
    pub lists: Vec<ir::Asset>,
    /// Emails.
    pub emails: Vec<ir::Email>,
    /// Forms.
    pub forms: Vec<ir::Asset>,
    /// Web pages.
    pub pages: Vec<ir::Asset>,
    /// Webhooks.
    pub webhooks: Vec<ir::Webhook>,
    /// Custom events.
    pub events: Vec<ir::Event>,
    /// Programs.
    pub programs: Vec<ir::ProgramDef>,
    /// `my.*` tokens.
    pub tokens: Vec<ir::TokenDef>,
}

fn repeated(cx: &mut Ctx<'_>, what: &str, name: &str, spans: &[Span]) {
    for s in spans {
        cx.report(
            Diagnostic::error(
                "camp::campaign::statement",
                *s,
                format!("a statement is written twice in {what} `{name}`"),
            )
            .with_label("written again here")
            .with_help("keep only one"),
        );
    }
}

fn plain(text: &str, span: Span) -> Template {
    Template {
        parts: if text.is_empty() {
            Vec::new()
        } else {
            vec![TemplatePart::Text(text.to_string())]
        },
        span,
    }
}

/// Checks the templates of every email, webhook and token, and builds the checked assets.
pub(crate) fn check_all(cx: &mut Ctx<'_>) -> Assets {
    let items = cx.names.items.clone();
    for item in &items {
        match item {
            Item::Email(e) => {
                repeated(cx, "email", &e.name.text, &e.repeated);
                for t in e.subject.iter().chain(e.body.iter()) {
                    template(cx, t, Place::Other);
                }
            }
            Item::Webhook(w) => {
                repeated(cx, "webhook", &w.name.text, &w.repeated);
                for t in w.url.iter().chain(w.body.iter()) {
                    template(cx, t, Place::Other);
                }
            }
            Item::Token(t) => template(cx, &t.value, Place::Other),
            _ => {}
        }
    }
    let n = &cx.names;
    let asset = |d: &super::names::Decl<'_, ast::Name>| ir::Asset {
        name: d.name.to_string(),
        span: d.span,
    };
    Assets {
        lists: n.lists.iter().map(asset).collect(),
        forms: n.forms.iter().map(asset).collect(),
        pages: n.pages.iter().map(asset).collect(),
        emails: n
            .emails
            .iter()
            .map(|d| ir::Email {
                name: d.name.to_string(),
                subject: d
                    .node
                    .subject
                    .clone()
                    .unwrap_or_else(|| plain(d.name, d.span)),
                body: d.node.body.clone().unwrap_or_else(|| plain("", d.span)),
                operational: d.node.operational.is_some(),
                span: d.node.span,
            })
            .collect(),
        webhooks: n
            .webhooks
            .iter()
            .map(|d| ir::Webhook {
                name: d.name.to_string(),
                url: d.node.url.clone().unwrap_or_else(|| plain("", d.span)),
                method: d
                    .node
                    .method
                    .as_ref()
                    .map_or_else(|| "POST".to_string(), |m| m.text.to_uppercase()),
                body: d.node.body.clone(),
                span: d.node.span,
            })
            .collect(),
        events: n
            .events
            .iter()
            .map(|d| ir::Event {
                name: d.name.to_string(),
                attributes: d
                    .node
                    .attributes
                    .iter()
                    .map(|a| (a.name.name.clone(), a.ty.node))
                    .collect(),
                span: d.node.span,
            })
            .collect(),
        programs: n
            .programs
            .iter()
            .map(|d| ir::ProgramDef {
                name: d.name.to_string(),
                statuses: d.node.statuses.iter().map(|s| s.text.clone()).collect(),
                span: d.node.span,
            })
            .collect(),
        tokens: n
            .tokens
            .iter()
            .map(|d| ir::TokenDef {
                name: d.name.to_string(),
                value: d.node.value.clone(),
            })
            .collect(),
    }
}

/// A send found in a flow: the step, and the email it renders.
struct Send {
    step: Span,
    email: ir::EmailId,
}

fn sends(steps: &[ir::Step], out: &mut Vec<Send>, executes: &mut Vec<(Span, ir::CampaignId)>) {
    for s in steps {
        match &s.kind {
            ir::StepKind::SendEmail(e) | ir::StepKind::SendAlert { email: e, .. } => {
                out.push(Send {
                    step: s.span,
                    email: *e,
                })
            }
            ir::StepKind::ExecuteCampaign(c) => executes.push((s.span, *c)),
            ir::StepKind::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    sends(b, out, executes);
                }
                if let Some(b) = otherwise {
                    sends(b, out, executes);
                }
            }
            _ => {}
        }
    }
}

/// `camp::token::trigger_in_batch_email`: a batch campaign sends (directly, or through the
/// executable campaigns it executes) an email that uses `{{trigger.*}}`.
///
/// Direct sends are labelled on the `send email` step; indirect ones on the batch campaign's
/// `execute campaign` step, with a label on the executable's send as well.
pub(crate) fn check_batch_emails(cx: &mut Ctx<'_>, campaigns: &[ir::Campaign]) {
    let tokens: Vec<Option<(Span, String)>> = cx
        .names
        .emails
        .iter()
        .map(|e| {
            let n = e.node;
            n.subject
                .iter()
                .chain(n.body.iter())
                .find_map(first_trigger_token)
                .map(|t| (t.span, t.to_string()))
        })
        .collect();
    if tokens.iter().all(Option::is_none) {
        return;
    }
    let mut found = Vec::new();
    for c in campaigns.iter().filter(|c| c.kind == CampaignKind::Batch) {
        let mut direct = Vec::new();
        let mut executes = Vec::new();
        sends(&c.flow, &mut direct, &mut executes);
        for s in &direct {
            if let Some(Some((tok_span, tok))) = tokens.get(s.email.index()) {
                found.push(warning(cx, c, s, s.step, None, *tok_span, tok));
            }
        }
        for (exec_step, target) in executes {
            let mut seen = HashSet::new();
            let mut stack = vec![target];
            while let Some(t) = stack.pop() {
                if !seen.insert(t) {
                    continue;
                }
                let Some(child) = campaigns.get(t.index()) else {
                    continue;
                };
                let mut inner = Vec::new();
                let mut more = Vec::new();
                sends(&child.flow, &mut inner, &mut more);
                stack.extend(more.into_iter().map(|(_, c)| c));
                for s in &inner {
                    if let Some(Some((tok_span, tok))) = tokens.get(s.email.index()) {
                        found.push(warning(
                            cx,
                            c,
                            s,
                            exec_step,
                            Some(&child.name),
                            *tok_span,
                            tok,
                        ));
                    }
                }
            }
        }
    }
    cx.diags.extend(found);
}

fn warning(
    cx: &Ctx<'_>,
    batch: &ir::Campaign,
    send: &Send,
    primary: Span,
    through: Option<&str>,
    tok_span: Span,
    tok: &str,
) -> Diagnostic {
    let email = cx.names.emails.at(send.email.0).map_or("", |e| e.name);
    let message = match through {
        None => format!(
            "batch campaign `{}` sends email `{email}`, which uses `{tok}`",
            batch.name
        ),
        Some(x) => format!(
            "batch campaign `{}` sends email `{email}` (through `{x}`), which uses `{tok}`",
            batch.name
        ),
    };
    let mut d = Diagnostic::warning("camp::token::trigger_in_batch_email", primary, message)
        .with_label("sent by a batch campaign");
    if through.is_some() {
        d = d.with_secondary(send.step, format!("sends `{email}`"));
    }
    d.with_secondary(tok_span, format!("`{tok}` in email `{email}`"))
        .with_help("a batch campaign has no trigger: the token renders its default or nothing")
}
