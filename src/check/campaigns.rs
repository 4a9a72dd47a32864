//! Campaigns: kind inference and contradictions, which statements each kind takes, and the
//! assembly of the checked campaign.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{
    self, Activity, CampaignKind, CampaignStatement, Item, QualifyRule, Span,
};

use super::activities::activity;
use super::flow::{self, CampaignCx};
use super::ir::{self, CampaignId, Qualify};
use super::schedule::schedule;
use super::smart_lists::filters;
use super::tokens::{template, Place};
use super::Ctx;

/// A campaign's kind: the declared one, else trigger when it has a trigger, else batch.
pub fn infer_kind(declared: Option<CampaignKind>, has_trigger: bool) -> CampaignKind {
    match declared {
        Some(k) => k,
        None if has_trigger => CampaignKind::Trigger,
        None => CampaignKind::Batch,
    }
}

fn triggers(c: &ast::Campaign) -> impl Iterator<Item = &ast::Trigger> {
    c.statements.iter().flat_map(|s| match s {
        CampaignStatement::SmartList(b) => b.triggers.as_slice(),
        _ => &[],
    })
}

/// The campaign's kind, and whether it has a `campaign is requested` trigger.
pub(crate) fn kind_of(c: &ast::Campaign) -> (CampaignKind, bool) {
    let has = triggers(c).next().is_some();
    let requestable = triggers(c).any(|t| matches!(t.activity, Activity::CampaignRequested { .. }));
    (
        infer_kind(c.declared_kind.as_ref().map(|k| k.node), has),
        requestable,
    )
}

/// Checks every campaign; returns the kept ones (indexed like the name table).
pub(crate) fn check_all(cx: &mut Ctx<'_>) -> Vec<ir::Campaign> {
    let mut out = Vec::with_capacity(cx.names.campaigns.len());
    let items = cx.names.items.clone();
    for item in items {
        let Item::Campaign(c) = item else { continue };
        let kept = cx.names.campaigns.is_kept(&c.name.text, c);
        let id = cx.names.campaigns.get(&c.name.text).unwrap_or(0);
        let kind = match cx.kinds.get(id as usize) {
            Some(k) if kept => *k,
            _ => kind_of(c).0,
        };
        let campaign = check_campaign(cx, c, CampaignId(id), kind);
        if kept {
            out.push(campaign);
        }
    }
    out
}

/// The group a statement counts in for "at most once" (`active` and `inactive` together).
fn statement_key(s: &CampaignStatement) -> &'static str {
    match s {
        CampaignStatement::Activation(..) => "active",
        other => other.describe(),
    }
}

fn kind_diagnostics(cx: &mut Ctx<'_>, c: &ast::Campaign, kind: CampaignKind) {
    let trig: Vec<Span> = triggers(c).map(|t| t.span).collect();
    let declared = c.declared_kind.as_ref();
    match kind {
        CampaignKind::Batch if declared.is_some() && !trig.is_empty() => {
            let mut d = Diagnostic::error(
                "camp::kind::batch_has_trigger",
                c.header,
                format!("batch campaign `{}` holds a trigger", c.name.text),
            )
            .with_label("declared `batch` here")
            .with_help(
                "remove `batch` to make it a trigger campaign, or turn the trigger into a filter",
            );
            for s in &trig {
                d = d.with_secondary(*s, "a trigger");
            }
            cx.report(d);
        }
        CampaignKind::Trigger if trig.is_empty() => cx.report(
            Diagnostic::error(
                "camp::kind::trigger_without_trigger",
                c.header,
                format!("trigger campaign `{}` holds no trigger", c.name.text),
            )
            .with_label("declared `trigger` here")
            .with_help("add a `trigger ...` line to its smart list, or remove `trigger`"),
        ),
        CampaignKind::Executable => {
            for s in &trig {
                let mut d = Diagnostic::error(
                    "camp::kind::executable_has_trigger",
                    *s,
                    format!("executable campaign `{}` holds a trigger", c.name.text),
                )
                .with_label("not allowed in an executable campaign")
                .with_help("executable campaigns run only through `execute campaign`; use a filter instead");
                if let Some(k) = declared {
                    d = d.with_secondary(k.span, "declared executable here");
                }
                cx.report(d);
            }
        }
        _ => {}
    }
}

/// The code and help for a statement the campaign's kind does not take, if it does not.
fn refused(kind: CampaignKind, s: &CampaignStatement) -> Option<(&'static str, &'static str)> {
    use CampaignKind as K;
    use CampaignStatement as S;
    match (kind, s) {
        (K::Trigger, S::Run(_)) => Some((
            "camp::schedule::trigger_scheduled",
            "trigger campaigns run when a trigger fires; remove `run`",
        )),
        (K::Batch, S::Activation(..)) => Some((
            "camp::schedule::batch_activation",
            "batch campaigns run on their schedule; remove this line",
        )),
        (K::Executable, S::Run(_) | S::Activation(..)) => Some((
            "camp::schedule::executable_scheduled",
            "executable campaigns run only through `execute campaign`; remove this line",
        )),
        (K::Executable, S::Qualify(..) | S::BlockNonOperational(_)) => Some((
            "camp::campaign::statement",
            "executable campaigns use their caller's settings; remove this line",
        )),
        (K::Trigger | K::Executable, S::MaxPeople(..)) => Some((
            "camp::campaign::statement",
            "`max people` applies to batch campaigns only",
        )),
        _ => None,
    }
}

fn check_statements(cx: &mut Ctx<'_>, c: &ast::Campaign, kind: CampaignKind) {
    let mut seen: Vec<(&'static str, Span)> = Vec::new();
    for s in &c.statements {
        let key = statement_key(s);
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            cx.report(
                Diagnostic::error(
                    "camp::campaign::statement",
                    s.span(),
                    format!(
                        "`{}` is written more than once in campaign `{}`",
                        s.describe(),
                        c.name.text
                    ),
                )
                .with_label("written again here")
                .with_secondary(*first, "first written here")
                .with_help("keep only one"),
            );
            continue;
        }
        seen.push((key, s.span()));
        if let Some((code, help)) = refused(kind, s) {
            cx.report(
                Diagnostic::error(
                    code,
                    s.span(),
                    format!(
                        "{} campaign `{}` cannot have `{}`",
                        kind.as_str(),
                        c.name.text,
                        s.describe()
                    ),
                )
                .with_label(format!("not allowed in a {} campaign", kind.as_str()))
                .with_help(help),
            );
        }
    }
}

fn check_campaign(
    cx: &mut Ctx<'_>,
    c: &ast::Campaign,
    id: CampaignId,
    kind: CampaignKind,
) -> ir::Campaign {
    kind_diagnostics(cx, c, kind);
    check_statements(cx, c, kind);
    let own = c.name.text.as_str();
    let mut out = ir::Campaign {
        name: own.to_string(),
        kind,
        description: None,
        program: None,
        triggers: Vec::new(),
        filters: ir::Filters::default(),
        flow: Vec::new(),
        schedule: None,
        active: true,
        qualify: Qualify::Once,
        block_non_operational: false,
        max_people: None,
        span: c.header,
    };
    let (mut smart_list, mut flow_block) = (None, None);
    let (mut has_desc, mut has_qualify, mut has_active) = (false, false, false);
    for s in &c.statements {
        match s {
            CampaignStatement::Description(t, _) => {
                template(cx, t, Place::Other);
                if !has_desc {
                    has_desc = true;
                    out.description = Some(t.clone());
                }
            }
            CampaignStatement::InProgram(n, _) => {
                if let Some(p) = cx.names.programs.resolve(n, &mut cx.diags) {
                    out.program.get_or_insert(ir::ProgramId(p));
                }
            }
            CampaignStatement::SmartList(b) => {
                let mut trig = Vec::new();
                for t in &b.triggers {
                    if let Some(m) = activity(cx, &t.activity, t.span, Some(own)) {
                        trig.push(m);
                    }
                }
                let f = filters(cx, b);
                if smart_list.is_none() {
                    smart_list = Some(b);
                    out.triggers = trig;
                    out.filters = f;
                }
            }
            CampaignStatement::Flow(b) => {
                let cc = CampaignCx {
                    id,
                    name: own,
                    kind,
                };
                let steps = flow::flow(cx, &cc, b);
                if flow_block.is_none() {
                    flow_block = Some(b);
                    out.flow = steps;
                }
            }
            CampaignStatement::Run(r) => {
                if kind == CampaignKind::Batch && out.schedule.is_none() {
                    out.schedule = schedule(cx, r);
                }
            }
            CampaignStatement::Activation(on, _) => {
                if kind == CampaignKind::Trigger && !has_active {
                    out.active = *on;
                }
                has_active = true;
            }
            CampaignStatement::Qualify(q, _) => {
                if !has_qualify && kind != CampaignKind::Executable {
                    out.qualify = match q {
                        QualifyRule::Once => Qualify::Once,
                        QualifyRule::EveryTime => Qualify::EveryTime,
                        QualifyRule::OnceEvery(d) => Qualify::OnceEvery(d.seconds()),
                    };
                }
                has_qualify = true;
            }
            CampaignStatement::BlockNonOperational(_) => {
                out.block_non_operational = kind != CampaignKind::Executable;
            }
            CampaignStatement::MaxPeople(n, _) => {
                if kind == CampaignKind::Batch {
                    out.max_people.get_or_insert(n.node);
                }
            }
        }
    }
    let empty_list = smart_list.is_none_or(|b| b.triggers.is_empty() && b.filters.is_empty());
    if kind != CampaignKind::Executable && empty_list {
        let (span, label) = match smart_list {
            Some(b) => (b.span, "no filters and no triggers"),
            None => (c.header, "no smart list"),
        };
        cx.report(
            Diagnostic::error(
                "camp::smart_list::empty",
                span,
                format!("campaign `{}` has an empty smart list", c.name.text),
            )
            .with_label(label)
            .with_help(match kind {
                CampaignKind::Trigger => "add a trigger such as `trigger fills out form \"...\"`",
                _ => "add a filter such as `filter all people` to say who it is for",
            }),
        );
    }
    if flow_block.is_none_or(|b| b.steps.is_empty()) {
        let (span, label) = match flow_block {
            Some(b) => (b.span, "no steps"),
            None => (c.header, "no flow"),
        };
        cx.report(
            Diagnostic::error(
                "camp::flow::empty",
                span,
                format!("campaign `{}` has no flow steps", c.name.text),
            )
            .with_label(label)
            .with_help("add at least one step, such as `send email \"...\"`"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_inferred_from_triggers_unless_declared() {
        use CampaignKind as K;
        assert_eq!(infer_kind(None, true), K::Trigger);
        assert_eq!(infer_kind(None, false), K::Batch);
        assert_eq!(infer_kind(Some(K::Batch), true), K::Batch);
        assert_eq!(infer_kind(Some(K::Trigger), false), K::Trigger);
        assert_eq!(infer_kind(Some(K::Executable), false), K::Executable);
        assert_eq!(infer_kind(Some(K::Executable), true), K::Executable);
    }
}
