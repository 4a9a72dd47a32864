//! camp: a language and interpreter for marketing-automation smart campaigns.
//!
//! The pipeline: [`syntax`] turns text into an owned AST, [`check`] resolves and types it into
//! the checked program ([`check::ir`]), and the engine runs that program against a store.
//! [`serve`] runs the engine live, on the wall clock, behind an HTTP API (`camp serve`).
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod engine;
pub mod fmt;
pub mod lsp;
pub mod query;
pub mod repl;
pub mod report;
pub mod serve;
pub mod store;
pub mod syntax;
pub mod workspace;
