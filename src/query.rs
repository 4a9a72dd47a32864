//! Conditions typed outside a script (`camp people --where`, the REPL), checked with the same
//! checker as scripts, against a workspace or against what a store knows (its fields, lists,
//! programs and campaigns).

use std::fmt::Write as _;

use crate::check::ir::{Cond, FieldType, Program, StepKind};
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::store::{Result as StoreResult, Store};
use crate::workspace::Workspace;

/// The name of the campaign that carries a typed condition.
const CARRIER: &str = "camp: where";

/// Declarations for everything a store knows about, so that conditions can name it without the
/// scripts: fields, lists, programs (with the statuses in use) and campaigns.
pub fn declarations_from_store(store: &dyn Store) -> StoreResult<String> {
    let mut s = String::new();
    if let Some(tz) = store.meta("time_zone")? {
        let _ = writeln!(s, "settings {{ time zone {} }}", quote(&tz));
    }
    let fields = store.stored_fields()?;
    if !fields.is_empty() {
        s.push_str("schema person {\n");
        for (name, ty) in &fields {
            let _ = writeln!(s, "  {name}: {}", type_word(*ty));
        }
        s.push_str("}\n");
    }
    let names = store.names_in_use()?;
    for l in &names.lists {
        let _ = writeln!(s, "list {}", quote(l));
    }
    for (p, statuses) in &names.programs {
        let list = statuses
            .iter()
            .map(|x| quote(x))
            .collect::<Vec<_>>()
            .join(", ");
        if list.is_empty() {
            let _ = writeln!(s, "program {}", quote(p));
        } else {
            let _ = writeln!(s, "program {} {{ statuses {list} }}", quote(p));
        }
    }
    for c in &names.campaigns {
        let _ = writeln!(
            s,
            "executable campaign {} {{ flow {{ interesting moment \"\" }} }}",
            quote(c)
        );
    }
    Ok(s)
}

fn type_word(ty: FieldType) -> &'static str {
    ty.as_str()
}

/// A string literal for `text`.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\u{7B}"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Checks `condition` in the context of `ws` (whose files stay as they are) and returns the
/// checked program with the condition, or the diagnostics with the sources to render them.
pub fn compile_condition(
    ws: &Workspace,
    extra_declarations: &str,
    condition: &str,
) -> Result<(Program, Cond), (SourceMap, Vec<Diagnostic>)> {
    let mut ws2 = Workspace {
        sources: ws.sources.clone(),
        scripts: ws.scripts.clone(),
        diagnostics: ws.diagnostics.clone(),
    };
    if !extra_declarations.is_empty() {
        ws2.add_text("(store)", extra_declarations.to_string());
    }
    let prefix = format!("executable campaign {} {{ flow {{ if\n", quote(CARRIER));
    let carrier = format!("{prefix}{condition}\n{{ interesting moment \"\" }} }} }}\n");
    let cond_file = crate::syntax::span::FileId(ws2.sources.len() as u32);
    ws2.add_text("(condition)", carrier);
    let checked = crate::check::check_workspace(&ws2);
    let errors: Vec<Diagnostic> = checked
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    let found = checked.program.and_then(|p| {
        let c = p.campaigns.iter().find(|c| c.name == CARRIER)?;
        let cond = match c.flow.first().map(|s| &s.kind) {
            Some(StepKind::If { branches, .. }) => branches.first().map(|(c, _)| c.clone()),
            _ => None,
        }?;
        Some((p, cond))
    });
    match found {
        Some(ok) if errors.is_empty() => Ok(ok),
        _ => {
            let mut errors = errors;
            if errors.is_empty() {
                errors.push(Diagnostic::error(
                    "camp::syntax",
                    crate::syntax::span::Span::default(),
                    "the condition could not be read",
                ));
            }
            // Show the condition alone: spans in the carrier move back by its prefix.
            let shift = prefix.len() as u32;
            let mut sources = ws2.sources;
            sources.replace(cond_file, "condition", condition);
            let len = condition.len() as u32;
            for d in &mut errors {
                for l in std::iter::once(&mut d.primary).chain(d.secondary.iter_mut()) {
                    if l.span.file == cond_file {
                        l.span.start = l.span.start.saturating_sub(shift).min(len);
                        l.span.end = l.span.end.saturating_sub(shift).min(len);
                    }
                }
            }
            Err((sources, errors))
        }
    }
}
