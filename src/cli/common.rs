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
    out.write_all(crate::report::table(header, rows).as_bytes())
}
