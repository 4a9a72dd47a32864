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
use super::ir::{
    self, ActivityMatch, ActivityType, Constraint, Program, Qualify, Scalar, StepKind,
};
use super::names::Names;
use super::Ctx;

/// The names of the assets a flow step touches: from the checker's tables while checking, from
/// the checked program afterwards.
trait AssetNames {
    fn field(&self, i: usize) -> &str;
    fn list(&self, i: usize) -> &str;
    fn program(&self, i: usize) -> &str;
    fn status(&self, program: usize, status: usize) -> Option<String>;
}

impl AssetNames for Names<'_> {
    fn field(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.name)
    }
    fn list(&self, i: usize) -> &str {
        self.lists.at(i as u32).map_or("", |d| d.name)
    }
    fn program(&self, i: usize) -> &str {
        self.programs.at(i as u32).map_or("", |d| d.name)
    }
    fn status(&self, program: usize, status: usize) -> Option<String> {
        self.programs
            .at(program as u32)
            .and_then(|d| d.node.statuses.get(status))
            .map(|s| s.text.clone())
    }
}

impl AssetNames for Program {
    fn field(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.name.as_str())
    }
    fn list(&self, i: usize) -> &str {
        self.lists.get(i).map_or("", |l| l.name.as_str())
    }
    fn program(&self, i: usize) -> &str {
        self.programs.get(i).map_or("", |p| p.name.as_str())
    }
    fn status(&self, program: usize, status: usize) -> Option<String> {
        self.programs
            .get(program)
            .and_then(|p| p.statuses.get(status))
            .cloned()
    }
}

/// An activity a flow step produces, as far as the checker can tell.
struct Produced {
    ty: ActivityType,
    asset: String,
    new_value: Option<Scalar>,
    status_to: Option<String>,
    step: Span,
}

fn produced(
    cx: &dyn AssetNames,
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
                let name = cx.field(field.index());
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
                let name = cx.list(l.index());
                push(ActivityType::AddToList, name, None, None);
            }
            StepKind::RemoveFromList(l) => {
                let name = cx.list(l.index());
                push(ActivityType::RemoveFromList, name, None, None);
            }
            StepKind::ChangeProgramStatus { program, status } => {
                let name = cx.program(program.index());
                let st = cx.status(program.index(), *status);
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

/// An edge of the cascade graph: a step of `from`'s flow (or of a campaign it executes)
/// produces an activity one of `to`'s triggers matches.
#[derive(Clone, Debug, PartialEq)]
pub struct CascadeEdge {
    /// The campaign whose flow produces the activity (an index into the program's campaigns).
    pub from: usize,
    /// The trigger campaign it fires.
    pub to: usize,
    /// The activity produced.
    pub activity: ActivityType,
    /// The activity's asset (list, field, program or campaign name; empty when none).
    pub asset: String,
    /// The step that produces it (the `execute campaign` step for an executed flow's steps).
    pub step: Span,
}

/// The cascade graph of a checked program and its loops.
#[derive(Clone, Debug, Default)]
pub struct Cascade {
    /// Every edge from a batch or trigger campaign to a trigger campaign (active or not, any
    /// qualification rule), one per activity and asset, in campaign order.
    pub edges: Vec<CascadeEdge>,
    /// The loops `camp check` warns about (`camp::cascade::loop`): groups of active trigger
    /// campaigns that qualify every time and fire each other, each sorted.
    pub loops: Vec<Vec<usize>>,
}

/// The cascade graph of a checked program, as the checker builds it.
pub fn cascade(program: &Program) -> Cascade {
    let campaigns = &program.campaigns;
    let sources: Vec<bool> = campaigns
        .iter()
        .map(|c| c.kind != CampaignKind::Executable)
        .collect();
    let targets: Vec<bool> = campaigns
        .iter()
        .map(|c| c.kind == CampaignKind::Trigger)
        .collect();
    let edges = edges(program, campaigns, &sources, &targets);
    let eligible = eligible(campaigns);
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); campaigns.len()];
    for e in edges.iter().filter(|e| eligible[e.from] && eligible[e.to]) {
        if !adj[e.from].contains(&e.to) {
            adj[e.from].push(e.to);
        }
    }
    Cascade {
        edges,
        loops: cyclic_components(&adj),
    }
}

/// Active trigger campaigns that qualify every time: the only ones that can loop.
fn eligible(campaigns: &[ir::Campaign]) -> Vec<bool> {
    campaigns
        .iter()
        .map(|c| c.kind == CampaignKind::Trigger && c.active && c.qualify == Qualify::EveryTime)
        .collect()
}

/// The edges from the campaigns marked in `sources` to those marked in `targets`, one per
/// pair, activity and asset, in order of source, step and target.
fn edges(
    names: &dyn AssetNames,
    campaigns: &[ir::Campaign],
    sources: &[bool],
    targets: &[bool],
) -> Vec<CascadeEdge> {
    let mut index: HashMap<TriggerKey<'_>, Vec<(usize, &ActivityMatch)>> = HashMap::new();
    for (i, c) in campaigns.iter().enumerate().filter(|(i, _)| targets[*i]) {
        for t in &c.triggers {
            index
                .entry((t.activity, t.asset.as_deref()))
                .or_default()
                .push((i, t));
        }
    }
    let mut out_edges: Vec<CascadeEdge> = Vec::new();
    if index.is_empty() {
        return out_edges;
    }
    for (a, c) in campaigns.iter().enumerate().filter(|(i, _)| sources[*i]) {
        let mut out = Vec::new();
        produced(
            names,
            campaigns,
            &c.flow,
            None,
            &mut HashSet::new(),
            &mut out,
        );
        // One edge per target, activity and asset.
        let mut seen: HashSet<(usize, ActivityType, &str)> = HashSet::new();
        for p in &out {
            for key in [(p.ty, Some(p.asset.as_str())), (p.ty, None)] {
                for &(b, t) in index.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                    if fires(p, t) && seen.insert((b, p.ty, p.asset.as_str())) {
                        out_edges.push(CascadeEdge {
                            from: a,
                            to: b,
                            activity: p.ty,
                            asset: p.asset.clone(),
                            step: p.step,
                        });
                    }
                }
            }
        }
    }
    out_edges
}

/// Reports each loop of trigger campaigns once.
pub(crate) fn check(cx: &mut Ctx<'_>, campaigns: &[ir::Campaign]) {
    let eligible = eligible(campaigns);
    let n = campaigns.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut edge_step: HashMap<(usize, usize), Span> = HashMap::new();
    for e in edges(&cx.names, campaigns, &eligible, &eligible) {
        if let std::collections::hash_map::Entry::Vacant(v) = edge_step.entry((e.from, e.to)) {
            v.insert(e.step);
            adj[e.from].push(e.to);
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
