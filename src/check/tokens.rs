//! `{{namespace.name}}` tokens in templates: namespaces and names checked, `{{trigger.*}}`
//! refused in a batch campaign's own flow.
//!
//! `{{program.name}}` is accepted everywhere: it renders empty when the campaign is not in a
//! program.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{Template, TokenRef};

use super::names::unknown;
use super::Ctx;

/// Where a template is written, which decides what `{{trigger.*}}` means there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A flow step of a batch campaign: trigger tokens are an error.
    BatchStep,
    /// Anywhere else (emails, tokens, webhooks, trigger and executable campaigns).
    Other,
}

const NAMESPACES: [&str; 6] = ["person", "my", "campaign", "program", "system", "trigger"];
const CAMPAIGN: [&str; 2] = ["campaign.name", "campaign.description"];
const PROGRAM: [&str; 1] = ["program.name"];
const SYSTEM: [&str; 2] = ["system.date", "system.datetime"];
const TRIGGER: [&str; 5] = ["name", "asset", "link", "page", "form"];

/// Checks every token of `t`.
pub(crate) fn template(cx: &mut Ctx<'_>, t: &Template, place: Place) {
    for tok in t.tokens() {
        token(cx, tok, place);
    }
}

/// The first `{{trigger.*}}` token of `t`, if any.
pub(crate) fn first_trigger_token(t: &Template) -> Option<&TokenRef> {
    t.tokens().find(|k| k.namespace.name == "trigger")
}

fn token(cx: &mut Ctx<'_>, tok: &TokenRef, place: Place) {
    let ns = tok.namespace.name.as_str();
    let name = tok.name.name.as_str();
    let qualified = format!("{ns}.{name}");
    let fixed = |list: &[&'static str]| list.contains(&qualified.as_str());
    let d = match ns {
        "person" => match cx.names.field(name) {
            Some(_) => None,
            None => Some(unknown(
                "field",
                name,
                tok.name.span,
                cx.names.fields.iter().map(|f| f.name),
            )),
        },
        "my" => match cx.names.tokens.get(name) {
            Some(_) => None,
            None => {
                let all: Vec<String> = cx.names.tokens.names().map(|n| format!("my.{n}")).collect();
                Some(unknown(
                    "token",
                    &qualified,
                    tok.name.span,
                    all.iter().map(String::as_str),
                ))
            }
        },
        "campaign" if !fixed(&CAMPAIGN) => {
            Some(unknown("token", &qualified, tok.name.span, CAMPAIGN))
        }
        "program" if !fixed(&PROGRAM) => Some(unknown("token", &qualified, tok.name.span, PROGRAM)),
        "system" if !fixed(&SYSTEM) => Some(unknown("token", &qualified, tok.name.span, SYSTEM)),
        "trigger" => {
            let known = TRIGGER.contains(&name)
                || cx
                    .names
                    .events
                    .iter()
                    .any(|e| e.node.attributes.iter().any(|a| a.name.name == name));
            if !known {
                let mut all: Vec<String> = TRIGGER.iter().map(|n| format!("trigger.{n}")).collect();
                for e in cx.names.events.iter() {
                    for a in &e.node.attributes {
                        all.push(format!("trigger.{}", a.name.name));
                    }
                }
                Some(
                    unknown(
                        "token",
                        &qualified,
                        tok.name.span,
                        all.iter().map(String::as_str),
                    )
                    .with_label("not a trigger token nor an attribute of a declared event"),
                )
            } else if place == Place::BatchStep {
                Some(
                    Diagnostic::error(
                        "camp::token::trigger_in_batch",
                        tok.span,
                        format!("`{tok}` is used in a batch campaign's flow"),
                    )
                    .with_label("a batch campaign has no trigger")
                    .with_help("batch campaigns run on a schedule: there is no triggering activity to read"),
                )
            } else {
                None
            }
        }
        "campaign" | "program" | "system" => None,
        _ => Some(
            unknown("token namespace", ns, tok.namespace.span, NAMESPACES)
                .with_label("not a token namespace"),
        ),
    };
    if let Some(d) = d {
        cx.report(d);
    }
}
