//! From a checked program and its syntax trees to the two pictures: one campaign's flow, and
//! the workspace's campaigns with the cascade between them.

use std::collections::HashMap;

use super::{EdgeKind, Graph, NodeKind};
use crate::check::ir::{self, Program};
use crate::diagnostic::{did_you_mean, SourceMap};
use crate::fmt::text::{match_expr, Strings};
use crate::syntax::ast::{self, CampaignStatement, Item, MatchLogic, Script};

/// Why a picture cannot be drawn.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// `--campaign` names no campaign of the workspace.
    #[error("no campaign is called `{name}`{}", hint.as_ref().map(|h| format!(": {h}")).unwrap_or_default())]
    UnknownCampaign {
        /// The name given.
        name: String,
        /// A close name, as `did you mean ...?`.
        hint: Option<String>,
    },
}

/// The flow of the campaign called `name`: its smart list as the entry box, its steps in order,
/// `if` branches labelled with their conditions, and the campaigns its steps execute or request.
pub fn flow_graph(
    scripts: &[Script],
    sources: &SourceMap,
    program: &Program,
    name: &str,
) -> Result<Graph, GraphError> {
    let unknown = || GraphError::UnknownCampaign {
        name: name.to_string(),
        hint: did_you_mean(name, program.campaigns.iter().map(|c| c.name.as_str())),
    };
    let checked = program
        .campaign(name)
        .and_then(|id| program.campaigns.get(id.index()))
        .ok_or_else(unknown)?;
    let (campaign, src) = scripts
        .iter()
        .find_map(|s| {
            s.items.iter().find_map(|item| match item {
                Item::Campaign(c) if c.name.text == name => {
                    let src = sources.get(s.file).map_or("", |f| f.text.as_str());
                    Some((c, src))
                }
                _ => None,
            })
        })
        .ok_or_else(unknown)?;
    let mut b = FlowBuilder {
        graph: Graph {
            title: format!("flow of \"{name}\""),
            ..Graph::default()
        },
        strings: Strings { src },
        program,
        reached: HashMap::new(),
        stops: Vec::new(),
    };
    let entry = b.entry(campaign, checked.kind);
    let mut ends = vec![(entry, None)];
    for st in &campaign.statements {
        if let CampaignStatement::Flow(block) = st {
            ends = b.block(&block.steps, ends);
        }
    }
    let end = b.graph.add_node(NodeKind::End, vec!["end".to_string()]);
    let stops = std::mem::take(&mut b.stops);
    for (from, label) in ends.into_iter().chain(stops.into_iter().map(|s| (s, None))) {
        b.graph.add_edge(from, end, EdgeKind::Flow, label);
    }
    Ok(b.graph)
}

/// A path still open at the end of a block: its last node and the label of the arrow that
/// continues it (a branch's condition when the branch was empty).
type Open = (usize, Option<String>);

struct FlowBuilder<'a> {
    graph: Graph,
    strings: Strings<'a>,
    program: &'a Program,
    /// The campaigns reached by `execute`/`request`, by name: one box each.
    reached: HashMap<String, usize>,
    /// Steps that end the flow (`remove from flow` without names).
    stops: Vec<usize>,
}

impl FlowBuilder<'_> {
    /// The entry box: the campaign's header, its triggers, filters and `match` line as written,
    /// and its `run` schedule.
    fn entry(&mut self, c: &ast::Campaign, kind: ast::CampaignKind) -> usize {
        let mut lines = vec![format!(
            "{} campaign {}",
            kind.as_str(),
            crate::fmt::text::name(&c.name)
        )];
        for st in &c.statements {
            match st {
                CampaignStatement::SmartList(body) => {
                    for t in &body.triggers {
                        lines.push(format!(
                            "trigger {}",
                            self.strings.activity(&t.activity, true, 0)
                        ));
                    }
                    for f in &body.filters {
                        lines.push(format!(
                            "filter {}",
                            self.strings.condition(&f.condition, 0)
                        ));
                    }
                    for m in &body.matches {
                        lines.push(match &m.logic {
                            MatchLogic::All => "match all".to_string(),
                            MatchLogic::Any => "match any".to_string(),
                            MatchLogic::Expr(e) => format!("match {}", match_expr(e)),
                        });
                    }
                }
                CampaignStatement::Run(s) => lines.push(self.strings.schedule(s, 0)),
                _ => {}
            }
        }
        self.graph.add_node(NodeKind::SmartList, lines)
    }

    /// Adds `steps` after the open paths `open`; returns the paths open after them.
    fn block(&mut self, steps: &[ast::Step], mut open: Vec<Open>) -> Vec<Open> {
        for step in steps {
            if open.is_empty() {
                break;
            }
            match &step.kind {
                ast::StepKind::If {
                    branches,
                    otherwise,
                } => {
                    let choice = self
                        .graph
                        .add_node(NodeKind::Choice, vec!["if".to_string()]);
                    self.join(&open, choice);
                    let mut after = Vec::new();
                    for (i, (cond, block)) in branches.iter().enumerate() {
                        let text = self.strings.cond_expr(cond, 0);
                        let label = if i == 0 {
                            text
                        } else {
                            format!("else if {text}")
                        };
                        after.extend(self.block(&block.steps, vec![(choice, Some(label))]));
                    }
                    let label = Some("else".to_string());
                    match otherwise {
                        Some(block) => {
                            after.extend(self.block(&block.steps, vec![(choice, label)]))
                        }
                        None => after.push((choice, label)),
                    }
                    open = after;
                }
                kind => {
                    let text = self.strings.simple_step(kind, 0);
                    let node_kind = match kind {
                        ast::StepKind::Wait(_) => NodeKind::Wait,
                        _ => NodeKind::Step,
                    };
                    let node = self.graph.add_node(node_kind, vec![text]);
                    self.join(&open, node);
                    open = vec![(node, None)];
                    match kind {
                        ast::StepKind::ExecuteCampaign(n) => {
                            self.reach(node, &n.text, EdgeKind::Executes)
                        }
                        ast::StepKind::RequestCampaign(n) => {
                            self.reach(node, &n.text, EdgeKind::Requests)
                        }
                        ast::StepKind::RemoveFromFlow(names) if names.is_empty() => {
                            self.stops.push(node);
                            open.clear();
                        }
                        ast::StepKind::DeletePerson => {
                            self.stops.push(node);
                            open.clear();
                        }
                        _ => {}
                    }
                }
            }
        }
        open
    }

    fn join(&mut self, open: &[Open], to: usize) {
        for (from, label) in open {
            self.graph
                .add_edge(*from, to, EdgeKind::Flow, label.clone());
        }
    }

    /// An arrow from `step` to the box of the campaign `name` (added once).
    fn reach(&mut self, step: usize, name: &str, kind: EdgeKind) {
        let node = match self.reached.get(name) {
            Some(&n) => n,
            None => {
                let ckind = self
                    .program
                    .campaign(name)
                    .and_then(|id| self.program.campaigns.get(id.index()))
                    .map_or(ast::CampaignKind::Executable, |c| c.kind);
                let n = self.graph.add_node(
                    NodeKind::Campaign(ckind),
                    vec![name.to_string(), ckind.as_str().to_string()],
                );
                self.reached.insert(name.to_string(), n);
                n
            }
        };
        let label = match kind {
            EdgeKind::Executes => "executes",
            _ => "requests",
        };
        self.graph
            .add_edge(step, node, kind, Some(label.to_string()));
    }
}

/// The workspace: every campaign (with its kind), the cascade between them (a step produces an
/// activity that fires another campaign's trigger, labelled with the activity), `execute` and
/// `request` arrows, and the loops `camp check` warns about highlighted.
pub fn workspace_graph(program: &Program) -> Graph {
    let mut g = Graph {
        title: "workspace".to_string(),
        ..Graph::default()
    };
    for c in &program.campaigns {
        let mut kind = c.kind.as_str().to_string();
        if c.kind == ast::CampaignKind::Trigger && !c.active {
            kind.push_str(", inactive");
        }
        g.add_node(NodeKind::Campaign(c.kind), vec![c.name.clone(), kind]);
    }
    let cascade = crate::check::cascade(program);
    let loop_of: HashMap<usize, usize> = cascade
        .loops
        .iter()
        .enumerate()
        .flat_map(|(k, members)| members.iter().map(move |&m| (m, k)))
        .collect();
    for (i, c) in program.campaigns.iter().enumerate() {
        // Fired triggers, one arrow per target campaign, its activities one per line.
        let mut fired: Vec<(usize, Vec<String>)> = Vec::new();
        for e in cascade.edges.iter().filter(|e| e.from == i) {
            let target = &program.campaigns[e.to].name;
            if e.activity == ir::ActivityType::RequestCampaign && &e.asset == target {
                continue; // drawn as the `requests` arrow
            }
            let text = if e.asset.is_empty() {
                e.activity.as_str().to_string()
            } else {
                format!("{} \"{}\"", e.activity.as_str(), e.asset)
            };
            match fired.iter_mut().find(|(to, _)| *to == e.to) {
                Some((_, texts)) => {
                    if !texts.contains(&text) {
                        texts.push(text)
                    }
                }
                None => fired.push((e.to, vec![text])),
            }
        }
        for (to, texts) in fired {
            g.add_edge(i, to, EdgeKind::Fires, Some(texts.join("\n")));
        }
        let mut reached = Vec::new();
        calls(&c.flow, &mut reached);
        for (to, kind) in reached {
            let label = match kind {
                EdgeKind::Executes => "executes",
                _ => "requests",
            };
            g.add_edge(i, to, kind, Some(label.to_string()));
        }
    }
    for (i, n) in g.nodes.iter_mut().enumerate() {
        n.in_loop = loop_of.contains_key(&i);
    }
    for e in &mut g.edges {
        e.in_loop = e.kind != EdgeKind::Executes
            && loop_of
                .get(&e.from)
                .is_some_and(|k| loop_of.get(&e.to) == Some(k));
    }
    g
}

/// The campaigns a flow executes or requests, each once per kind, in step order.
fn calls(steps: &[ir::Step], out: &mut Vec<(usize, EdgeKind)>) {
    for s in steps {
        let found = match &s.kind {
            ir::StepKind::ExecuteCampaign(c) => Some((c.index(), EdgeKind::Executes)),
            ir::StepKind::RequestCampaign(c) => Some((c.index(), EdgeKind::Requests)),
            ir::StepKind::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    calls(b, out);
                }
                if let Some(b) = otherwise {
                    calls(b, out);
                }
                None
            }
            _ => None,
        };
        if let Some(f) = found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
}
