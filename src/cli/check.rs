//! `camp check FILE... [--format human|json]`

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::{DiagFormat, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::diagnostic::{self, Diagnostic, SourceMap};
use crate::workspace::Workspace;

/// Arguments of `camp check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    format: DiagFormat,
}

/// Runs `camp check`.
pub fn run(args: &CheckArgs) -> i32 {
    let ws = match Workspace::load(&args.files) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut diags = crate::check::check_workspace(&ws).diagnostics;
    diagnostic::sort(&mut diags);
    let printed = match args.format {
        DiagFormat::Json => print(&diags, &ws.sources, DiagFormat::Json),
        // The last line is said even when all is well, so that a clean check is visibly one;
        // on standard error, like the diagnostics, so JSON consumers never see it.
        DiagFormat::Human => render(&diags, &ws.sources).and_then(|()| {
            let mut err = std::io::stderr().lock();
            writeln!(err, "{}", checked_line(ws.sources.len(), &diags))
        }),
    };
    if printed.is_err() {
        return EXIT_FAILURE;
    }
    if diags.iter().any(Diagnostic::is_error) {
        EXIT_REJECTED
    } else {
        EXIT_OK
    }
}

/// Prints diagnostics: human to standard error, JSON lines to standard output.
pub fn print(diags: &[Diagnostic], sources: &SourceMap, format: DiagFormat) -> std::io::Result<()> {
    match format {
        DiagFormat::Json => {
            let mut out = std::io::stdout().lock();
            for d in diags {
                let line = serde_json::to_string(&d.to_json(sources))?;
                writeln!(out, "{line}")?;
            }
            out.flush()
        }
        DiagFormat::Human => {
            render(diags, sources)?;
            let errors = diags.iter().filter(|d| d.is_error()).count();
            if !diags.is_empty() {
                eprintln!("{}", summary(errors, diags.len() - errors));
            }
            Ok(())
        }
    }
}

/// Renders diagnostics for people on standard error, at the terminal's width when it is one.
fn render(diags: &[Diagnostic], sources: &SourceMap) -> std::io::Result<()> {
    let color = super::stderr_color();
    let width = std::io::stderr()
        .is_terminal()
        .then(crate::report::terminal_width)
        .flatten()
        .unwrap_or(diagnostic::RENDER_WIDTH);
    let mut err = std::io::stderr().lock();
    for d in diags {
        write!(err, "{}", d.render_width(sources, color, color, width))?;
    }
    err.flush()
}

/// `checked 3 files: no problems`, `checked 1 file: 2 warnings`, `checked 2 files: 1 error, 1
/// warning`: the last line of `camp check`.
pub fn checked_line(files: usize, diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let found = match (errors, warnings) {
        (0, 0) => "no problems".to_string(),
        (0, w) => plural(w, "warning"),
        (e, w) => summary(e, w),
    };
    format!("checked {}: {found}", plural(files, "file"))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `2 errors, 1 warning`
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
