//! The cascade-loop warning (`camp::cascade::loop`): trigger campaigns, all qualifying every
//! time, whose flows produce activities that fire each other's triggers.
//!
//! The graph has an edge A → B when a step of A's flow (or of an executable campaign A
//! executes) produces an activity one of B's triggers matches (LANGUAGE.md section 8). Only
//! active trigger campaigns with `qualify every time` take part. Each strongly connected group
//! is reported once, naming one cycle through it.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{CampaignKind, Span};

use super::graph::{cycle_through, cyclic_components};
use super::ir::{self, ActivityMatch, ActivityType, Constraint, Qualify, Scalar, StepKind};
use super::Ctx;

/// An activity a flow step produces, as far as the checker can tell.
struct Produced {
    ty: ActivityType,
    asset: String,
    new_value: Option<Scalar>,
    status_to: Option<String>,
    step: Span,
}

fn produced(
    cx: &Ctx<'_>,
    all: &[ir::Campaign],
    steps: &[ir::Step],
    outer: Option<Span>,
    seen: &mut HashSet<usize>,
    out: &mut Vec<Produced>,
) {
    for s in steps {
        let step = outer.unwrap_or(s.span);
        let mut push = |ty, asset: &str, new_value, status_to| {
            out.push(Produced {
                ty,
                asset: asset.to_string(),
                new_value,
                status_to,
                step,
            })
        };
        match &s.kind {
            StepKind::ChangeField { field, value } => {
                let name = cx.names.fields.get(field.index()).map_or("", |f| f.name);
                let new_value = match value {
                    ir::ChangeValue::Set(v) => Some(v.clone()),
                    ir::ChangeValue::SetText(t) => t.as_plain().map(Scalar::Text),
                    _ => None,
                };
                if name == "score" {
                    push(ActivityType::ChangeScore, "", None, None);
                }
                push(ActivityType::ChangeDataValue, name, new_value, None);
            }
            StepKind::AddToList(l) => {
                let name = cx.names.lists.at(l.0).map_or("", |d| d.name);
                push(ActivityType::AddToList, name, None, None);
            }
            StepKind::RemoveFromList(l) => {
                let name = cx.names.lists.at(l.0).map_or("", |d| d.name);
                push(ActivityType::RemoveFromList, name, None, None);
            }
            StepKind::ChangeProgramStatus { program, status } => {
                let p = cx.names.programs.at(program.0);
                let name = p.map_or("", |d| d.name);
                let st = p
                    .and_then(|d| d.node.statuses.get(*status))
                    .map(|s| s.text.clone());
                push(ActivityType::ChangeProgramStatus, name, None, st);
            }
            StepKind::RequestCampaign(c) => {
                let name = all.get(c.index()).map_or("", |c| c.name.as_str());
                push(ActivityType::RequestCampaign, name, None, None);
            }
            StepKind::ExecuteCampaign(c) if seen.insert(c.index()) => {
                if let Some(child) = all.get(c.index()) {
                    produced(cx, all, &child.flow, Some(step), seen, out);
                }
            }
            StepKind::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    produced(cx, all, b, outer, seen, out);
                }
                if let Some(b) = otherwise {
                    produced(cx, all, b, outer, seen, out);
                }
            }
            _ => {}
        }
    }
}

fn same(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Text(x), Scalar::Text(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

/// Could the produced activity fire the trigger? Unknown values are assumed to match.
fn fires(p: &Produced, t: &ActivityMatch) -> bool {
    t.constraints.iter().all(|c| match c {
        Constraint::NewValue(Some(v)) => p.new_value.as_ref().is_none_or(|x| same(x, v)),
        Constraint::StatusTo(s) => p.status_to.as_ref().is_none_or(|x| x == s),
        _ => true,
    })
}

/// A trigger's activity type and asset (`None`: any).
type TriggerKey<'a> = (ActivityType, Option<&'a str>);

/// Reports each loop of trigger campaigns once.
pub(crate) fn check(cx: &mut Ctx<'_>, campaigns: &[ir::Campaign]) {
    let eligible: Vec<bool> = campaigns
        .iter()
        .map(|c| c.kind == CampaignKind::Trigger && c.active && c.qualify == Qualify::EveryTime)
        .collect();
    let mut index: HashMap<TriggerKey<'_>, Vec<(usize, &ActivityMatch)>> = HashMap::new();
    for (i, c) in campaigns.iter().enumerate().filter(|(i, _)| eligible[*i]) {
        for t in &c.triggers {
            index
                .entry((t.activity, t.asset.as_deref()))
                .or_default()
                .push((i, t));
        }
    }
    if index.is_empty() {
        return;
    }
    let n = campaigns.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut edge_step: HashMap<(usize, usize), Span> = HashMap::new();
    for (a, c) in campaigns.iter().enumerate().filter(|(i, _)| eligible[*i]) {
        let mut out = Vec::new();
        produced(cx, campaigns, &c.flow, None, &mut HashSet::new(), &mut out);
        for p in &out {
            for key in [(p.ty, Some(p.asset.as_str())), (p.ty, None)] {
                for &(b, t) in index.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                    if fires(p, t) && !edge_step.contains_key(&(a, b)) {
                        edge_step.insert((a, b), p.step);
                        adj[a].push(b);
                    }
                }
            }
        }
    }
    for comp in cyclic_components(&adj) {
        let Some(&start) = comp.first() else { continue };
        let cycle = cycle_through(&adj, &comp, start);
        let mut names: Vec<String> = cycle
            .iter()
            .map(|&i| format!("`{}`", campaigns[i].name))
            .collect();
        if let Some(f) = names.first().cloned() {
            names.push(f);
        }
        let mut d = Diagnostic::warning(
            "camp::cascade::loop",
            campaigns[start].span,
            format!("trigger campaigns fire each other in a loop: {}", names.join(" → ")),
        )
        .with_label("qualifies every time and is part of the loop")
        .with_help(format!(
            "the loop only stops at the cascade depth ({}); use `qualify once`, or narrow a trigger",
            cx.settings.cascade_depth
        ));
        for (k, &from) in cycle.iter().enumerate() {
            let to = cycle[(k + 1) % cycle.len()];
            if k > 0 {
                d = d.with_secondary(campaigns[from].span, "in the loop");
            }
            if let Some(s) = edge_step.get(&(from, to)) {
                d = d.with_secondary(*s, format!("fires `{}`", campaigns[to].name));
            }
        }
        cx.report(d);
    }
}
