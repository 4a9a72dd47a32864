//! `camp check FILE... [--format human|json]`

use std::io::Write;
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
    if print(&diags, &ws.sources, args.format).is_err() {
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
            let color = super::stderr_color();
            let mut err = std::io::stderr().lock();
            for d in diags {
                write!(err, "{}", d.render(sources, color, color))?;
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let warnings = diags.len() - errors;
            if !diags.is_empty() {
                writeln!(err, "{}", summary(errors, warnings))?;
            }
            err.flush()
        }
    }
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
