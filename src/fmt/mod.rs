//! `camp fmt`: prints scripts in one canonical layout, from the AST, keeping every comment.
//!
//! The rules are in `docs/formatting.md`. The printer never changes meaning: the formatted text
//! parses to the same AST (spans aside), and formatting it again changes nothing.

pub mod comments;
mod printer;
pub mod text;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::Item;
use crate::syntax::span::FileId;

/// Formats a whole file. A file with syntax errors is not formatted: its diagnostics are
/// returned instead.
pub fn format_source(file: FileId, src: &str) -> Result<String, Vec<Diagnostic>> {
    let script = crate::syntax::parse_file(file, src)?;
    Ok(format_items(&script.items, src))
}

/// Prints `items`, parsed from `src`, with the comments of `src` put back.
pub fn format_items(items: &[Item], src: &str) -> String {
    printer::Printer::new(src, comments::collect(src)).items(items)
}
