//! Pictures of a program: one campaign's flow, or the whole workspace's cascade, built once as
//! a small graph ([`Graph`]) and then written as Mermaid ([`mermaid`]), Graphviz DOT ([`dot`])
//! or SVG laid out in-process ([`svg`], over the layered layout of [`layout`]).
//!
//! [`build`] makes the graphs from the checked program and the scripts' syntax trees (the texts
//! of smart lists, conditions and steps are printed by the formatter's own printers).

pub mod build;
pub mod dot;
pub mod layout;
pub mod mermaid;
pub mod svg;

use crate::syntax::ast::CampaignKind;

pub use build::{flow_graph, workspace_graph, GraphError};

/// A directed graph of labelled boxes and arrows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// What the picture shows: `flow of "Sign-up form fill"`, `workspace`.
    pub title: String,
    /// The boxes, in the order they were met.
    pub nodes: Vec<Node>,
    /// The arrows, in the order they were met.
    pub edges: Vec<Edge>,
}

/// A box: its text lines and what it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The text, one entry per line (never empty).
    pub lines: Vec<String>,
    /// What the box stands for (its shape).
    pub kind: NodeKind,
    /// Part of a cascade loop (drawn highlighted).
    pub in_loop: bool,
}

/// What a box stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A campaign's smart list: the entry of its flow.
    SmartList,
    /// A flow step other than `wait` and `if`.
    Step,
    /// A `wait` step.
    Wait,
    /// An `if`: its branches leave it labelled with their conditions.
    Choice,
    /// The end of a flow.
    End,
    /// A campaign (in a flow picture: one that a step executes or requests).
    Campaign(CampaignKind),
}

/// An arrow.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The index of the node it leaves.
    pub from: usize,
    /// The index of the node it reaches.
    pub to: usize,
    /// Its text (a branch's condition, an activity), if any; lines separated by `\n`.
    pub label: Option<String>,
    /// What it means.
    pub kind: EdgeKind,
    /// Part of a cascade loop (drawn highlighted).
    pub in_loop: bool,
}

/// What an arrow means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// From one step to the next.
    Flow,
    /// A step produces an activity that fires a trigger of the campaign reached.
    Fires,
    /// `execute campaign`: the campaign's flow runs inside the caller's.
    Executes,
    /// `request campaign`: the campaign's `campaign is requested` trigger fires.
    Requests,
}

impl Graph {
    /// Adds a node and returns its index.
    pub fn add_node(&mut self, kind: NodeKind, lines: Vec<String>) -> usize {
        let lines = if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        };
        self.nodes.push(Node {
            lines,
            kind,
            in_loop: false,
        });
        self.nodes.len() - 1
    }

    /// Adds an edge.
    pub fn add_edge(&mut self, from: usize, to: usize, kind: EdgeKind, label: Option<String>) {
        self.edges.push(Edge {
            from,
            to,
            label,
            kind,
            in_loop: false,
        });
    }
}

/// The formats `camp graph` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Mermaid `flowchart` text.
    Mermaid,
    /// Graphviz DOT text.
    Dot,
    /// A standalone SVG image.
    Svg,
}

/// The graph written in `format`.
pub fn render(graph: &Graph, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid::render(graph),
        Format::Dot => dot::render(graph),
        Format::Svg => svg::render(graph),
    }
}
