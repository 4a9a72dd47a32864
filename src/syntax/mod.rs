//! Text to AST: the pest grammar, the owned AST with spans, and syntax diagnostics.
//!
//! [`parse_file`] is the entry point: text in, a [`Script`] or its `camp::syntax` diagnostics
//! out. It never panics and never recurses without bound: nesting deeper than
//! [`MAX_NESTING`] is reported before pest sees the text.
pub mod ast;
mod error;
pub mod fits;
pub mod keywords;
mod lower;
pub mod parser;
pub mod scan;
pub mod span;

use pest::Parser;

use crate::diagnostic::Diagnostic;
use ast::{BoolExpr, Condition, Item, Script, Step};
use parser::{CampParser, Rule};
use span::{FileId, Span};

/// How deeply braces and parentheses may nest.
pub const MAX_NESTING: usize = 64;

/// Parses one file. On failure, every syntax problem found (at least one).
pub fn parse_file(file: FileId, text: &str) -> Result<Script, Vec<Diagnostic>> {
    check_nesting(file, text)?;
    let mut pairs =
        CampParser::parse(Rule::file, text).map_err(|e| vec![error::from_pest(file, text, &e)])?;
    let mut lowerer = lower::Lowerer::new(file);
    let script = match pairs.next() {
        Some(p) => lowerer.script(p),
        None => Script {
            file,
            items: Vec::new(),
        },
    };
    if lowerer.diagnostics.is_empty() {
        Ok(script)
    } else {
        Err(lowerer.diagnostics)
    }
}

/// Decodes a file's bytes as UTF-8, or reports where the first invalid byte is.
pub fn decode(file: FileId, bytes: Vec<u8>) -> Result<String, Box<(String, Diagnostic)>> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // The lossy text may be longer than the valid prefix; offsets before `at` agree.
            let diag = Diagnostic::error(
                "camp::syntax",
                Span::new(file, at, at),
                "the file is not valid UTF-8",
            )
            .with_label("invalid byte here")
            .with_help("save the file as UTF-8");
            Err(Box::new((shown, diag)))
        }
    }
}

/// Parses declarations and campaigns typed at the REPL.
pub fn parse_items(file: FileId, text: &str) -> Result<Vec<Item>, Vec<Diagnostic>> {
    check_nesting(file, text)?;
    let pairs = CampParser::parse(Rule::repl_items, text)
        .map_err(|e| vec![error::from_pest(file, text, &e)])?;
    let mut lowerer = lower::Lowerer::new(file);
    let items = match pairs.into_iter().next() {
        Some(p) => lowerer.items(p.into_inner()),
        None => Vec::new(),
    };
    if lowerer.diagnostics.is_empty() {
        Ok(items)
    } else {
        Err(lowerer.diagnostics)
    }
}

/// Parses a condition typed at the REPL or given to `camp people --where`.
pub fn parse_condition(file: FileId, text: &str) -> Result<BoolExpr<Condition>, Vec<Diagnostic>> {
    check_nesting(file, text)?;
    let pairs = CampParser::parse(Rule::repl_condition, text)
        .map_err(|e| vec![error::from_pest(file, text, &e)])?;
    let mut lowerer = lower::Lowerer::new(file);
    let expr = pairs
        .into_iter()
        .next()
        .and_then(|p| p.into_inner().find(|c| c.as_rule() == Rule::cond_expr))
        .and_then(|c| lowerer.cond_expr(c));
    match expr {
        Some(e) if lowerer.diagnostics.is_empty() => Ok(e),
        _ => Err(nonempty(lowerer.diagnostics, file, text)),
    }
}

/// Parses a flow step typed at the REPL, optionally followed by `for PERSON`.
pub fn parse_step(file: FileId, text: &str) -> Result<(Step, Option<String>), Vec<Diagnostic>> {
    check_nesting(file, text)?;
    let pairs = CampParser::parse(Rule::repl_step, text)
        .map_err(|e| vec![error::from_pest(file, text, &e)])?;
    let mut lowerer = lower::Lowerer::new(file);
    let mut step = None;
    let mut target = None;
    if let Some(p) = pairs.into_iter().next() {
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::step => step = c.into_inner().next().and_then(|s| lowerer.step(s)),
                Rule::repl_target => target = Some(c.as_str().to_string()),
                _ => {}
            }
        }
    }
    match step {
        Some(s) if lowerer.diagnostics.is_empty() => Ok((s, target)),
        _ => Err(nonempty(lowerer.diagnostics, file, text)),
    }
}

fn nonempty(mut diags: Vec<Diagnostic>, file: FileId, text: &str) -> Vec<Diagnostic> {
    if diags.is_empty() {
        diags.push(Diagnostic::error(
            "camp::syntax",
            Span::new(file, 0, text.len()),
            "this text could not be read",
        ));
    }
    diags
}

/// Reports nesting of braces and parentheses deeper than [`MAX_NESTING`], outside strings and
/// comments, so that no later recursive pass can exhaust the stack.
fn check_nesting(file: FileId, text: &str) -> Result<(), Vec<Diagnostic>> {
    let mut depth = 0usize;
    let mut too_deep = None;
    scan::scan(text, |piece| {
        match piece {
            scan::Piece::Code(_, b'}' | b')') => depth = depth.saturating_sub(1),
            scan::Piece::Code(i, b'{' | b'(') => {
                depth += 1;
                if depth > MAX_NESTING {
                    too_deep = Some(i);
                    return false;
                }
            }
            _ => {}
        }
        true
    });
    match too_deep {
        None => Ok(()),
        Some(i) => Err(vec![Diagnostic::error(
            "camp::syntax",
            Span::new(file, i, i + 1),
            format!("blocks and parentheses nest more than {MAX_NESTING} deep here"),
        )
        .with_label("too deep")
        .with_help("split the logic into smaller campaigns or smart lists")]),
    }
}
