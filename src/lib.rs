//! camp: a language and interpreter for marketing-automation smart campaigns.
//!
//! The pipeline: [`syntax`] turns text into an owned AST, [`check`] resolves and types it into
//! the checked program ([`check::ir`]), and the engine runs that program against a store.
//! [`cond`] says what a condition means whatever the store: the engine's evaluator applies its
//! field tests and activity matches, and each store renders its backend-neutral push-down of a
//! smart list (a superset and a subset predicate) in its own SQL. Commands reach a store only
//! through [`store::Store`], opened from `--db` by [`store::open`].
//! [`explain`] answers why a person would qualify for a campaign and why an activity happened,
//! through the engine's own evaluator.
//! [`testing`] runs a workspace's `test` items, each in a fresh in-memory store, and explains a
//! failed condition as [`explain`] does. [`graph`] draws a campaign's flow or the workspace's
//! cascade as Mermaid, DOT or SVG. [`deliver`] hands the outbox to SMTP servers, webhooks and
//! files, and records each outcome as an activity that fires triggers. [`serve`] runs the engine
//! live, on the wall clock, behind an HTTP API (`camp serve`), with a read-only web view of
//! campaigns, people and the schedule for a browser ([`serve::web`]).
pub mod check;
pub mod cli;
pub mod cond;
pub mod deliver;
pub mod diagnostic;
pub mod engine;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod lsp;
pub mod query;
pub mod repl;
pub mod report;
pub mod serve;
pub mod store;
pub mod syntax;
pub mod testing;
pub mod workspace;
