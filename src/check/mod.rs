//! From the workspace's syntax trees to the checked [`ir::Program`] the engine runs, reporting
//! every problem of LANGUAGE.md section 8.
//!
//! The passes, in order: [`names`] collects every declaration (duplicates, settings);
//! [`smart_lists`] and [`campaigns`] resolve and type smart lists, campaigns, their conditions
//! ([`conditions`], [`activities`]), schedules ([`schedule`]), flows ([`flow`]) and templates ([`tokens`]);
//! [`assets`] checks emails, webhooks and tokens; then the whole-workspace graphs:
//! [`executes`] (chains of executable campaigns), [`cascade`] (trigger loops); last the
//! workspace's [`tests`].
pub mod ir;

mod activities;
mod assets;
mod campaigns;
mod cascade;
mod conditions;
mod executes;
mod flow;
mod graph;
mod names;
mod schedule;
mod smart_lists;
pub mod tests;
mod tokens;
mod values;

use crate::diagnostic::{self, Diagnostic};
use crate::syntax::ast::{CampaignKind, Script};
use crate::workspace::Workspace;

pub use campaigns::infer_kind;
pub use cascade::{cascade, Cascade, CascadeEdge};
pub use schedule::recurrence_rule;

/// The outcome of checking a workspace.
#[derive(Debug)]
pub struct Checked {
    /// The checked program: `Some` exactly when no error was found (warnings allowed).
    pub program: Option<ir::Program>,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks a parsed workspace: its syntax diagnostics, then (when every file parsed) the
/// checker's. A file that did not parse contributes no names, so checking the others would only
/// report names it declares as unknown.
pub fn check_workspace(ws: &Workspace) -> Checked {
    if !ws.diagnostics.is_empty() {
        let mut diagnostics = ws.diagnostics.clone();
        diagnostic::sort(&mut diagnostics);
        return Checked {
            program: None,
            diagnostics,
        };
    }
    check(&ws.scripts)
}

/// Checks every file of a workspace together (names are global across files).
pub fn check(scripts: &[Script]) -> Checked {
    let mut cx = Ctx::new(scripts);
    let smart_lists = smart_lists::check_all(&mut cx);
    let campaigns = campaigns::check_all(&mut cx);
    let assets = assets::check_all(&mut cx);
    executes::check(&mut cx, &campaigns);
    assets::check_batch_emails(&mut cx, &campaigns);
    cascade::check(&mut cx, &campaigns);
    let tests = tests::check_all(&mut cx);

    let mut diagnostics = std::mem::take(&mut cx.diags);
    diagnostic::sort(&mut diagnostics);
    let program = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        Some(ir::Program {
            settings: cx.settings.clone(),
            fields: cx.names.ir_fields(),
            lists: assets.lists,
            emails: assets.emails,
            forms: assets.forms,
            pages: assets.pages,
            webhooks: assets.webhooks,
            events: assets.events,
            programs: assets.programs,
            tokens: assets.tokens,
            smart_lists,
            campaigns,
            tests,
        })
    };
    Checked {
        program,
        diagnostics,
    }
}

/// The checker's shared state: the declaration tables, settings and collected diagnostics.
pub(crate) struct Ctx<'a> {
    /// Every declaration, by kind.
    pub names: names::Names<'a>,
    /// Settings with defaults filled in.
    pub settings: ir::Settings,
    /// The kind of each campaign (indexed like `names.campaigns`).
    pub kinds: Vec<CampaignKind>,
    /// Whether each campaign has a `campaign is requested` trigger.
    pub requestable: Vec<bool>,
    /// Problems found so far.
    pub diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    fn new(scripts: &'a [Script]) -> Ctx<'a> {
        let mut diags = Vec::new();
        let names = names::Names::collect(scripts, &mut diags);
        let settings = names::settings(&names, &mut diags);
        let mut kinds = Vec::with_capacity(names.campaigns.len());
        let mut requestable = Vec::with_capacity(names.campaigns.len());
        for c in names.campaigns.iter() {
            let (kind, req) = campaigns::kind_of(c.node);
            kinds.push(kind);
            requestable.push(req);
        }
        Ctx {
            names,
            settings,
            kinds,
            requestable,
            diags,
        }
    }

    /// Records a problem.
    pub fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
}
