//! Helpers shared by the commands: loading and checking a workspace, opening the store, reading
//! times, printing tables.

use std::io::Write;

use chrono::Utc;
use chrono_tz::Tz;

use super::{DiagFormat, EXIT_FAILURE, EXIT_REJECTED};
use crate::check::ir::Program;
use crate::diagnostic::Diagnostic;
use crate::store::sqlite::SqliteStore;
use crate::workspace::Workspace;

/// A command's failure: the exit status, after the message was printed.
pub type Exit = i32;

/// Loads and checks `files`; prints the diagnostics (warnings too) to standard error; returns
/// the program when there are no errors.
pub fn load_program(files: &[std::path::PathBuf]) -> Result<(Workspace, Program), Exit> {
    let ws = match Workspace::load(files) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(EXIT_FAILURE);
        }
    };
    let checked = crate::check::check_workspace(&ws);
    let _ = super::check::print(&checked.diagnostics, &ws.sources, DiagFormat::Human);
    match checked.program {
        Some(p) if !checked.diagnostics.iter().any(Diagnostic::is_error) => Ok((ws, p)),
        _ => Err(EXIT_REJECTED),
    }
}

/// Opens the store at `path`.
pub fn open_store(path: &str) -> Result<SqliteStore, Exit> {
    SqliteStore::open(path).map_err(|e| {
        eprintln!("error: cannot open `{path}`: {e}");
        EXIT_FAILURE
    })
}

/// Reads a time given on the command line: RFC 3339, or a script date-time in `tz`.
pub fn parse_time(flag: &str, text: &str, tz: Tz) -> Result<i64, Exit> {
    crate::engine::inputs::parse_instant(text, tz)
        .map(|t| t.timestamp())
        .ok_or_else(|| {
            eprintln!(
                "error: {flag} `{text}` is not a time: write RFC 3339 (`2026-12-01T09:00:00Z`) or `2026-12-01 09:00`"
            );
            EXIT_FAILURE
        })
}

/// The wall clock, in whole seconds.
pub fn wall_clock() -> i64 {
    Utc::now().timestamp()
}

/// Prints rows as an aligned table with a header.
pub fn print_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    const MAX: usize = 48;
    let clip = |s: &str| -> String {
        let one_line: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
        if one_line.chars().count() > MAX {
            let mut t: String = one_line.chars().take(MAX - 1).collect();
            t.push('…');
            t
        } else {
            one_line
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clip(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(c.chars().count());
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in &rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
