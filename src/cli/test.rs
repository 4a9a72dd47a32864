//! `camp test FILE... [--filter TEXT] [--format human|json] [--junit PATH]`

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{DiagFormat, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::diagnostic::Diagnostic;
use crate::explain::Marks;
use crate::testing::why::Why;
use crate::testing::{self, report, Options};
use crate::workspace::Workspace;

/// Output format of `camp test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// A line per test, then the failures rendered, then a summary line.
    Human,
    /// One JSON object per test, on standard output.
    Json,
}

/// Arguments of `camp test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The workspace's files (a folder stands for every `.camp` file under it).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Run only the tests whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// How to print the results.
    #[arg(long, value_enum, default_value = "human")]
    format: TestFormat,
    /// Also write the results as JUnit XML to this file.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// How many tests to run at once (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
}

/// Runs `camp test`.
pub fn run(args: &TestArgs) -> i32 {
    let ws = match Workspace::load(&args.files) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let checked = crate::check::check_workspace(&ws);
    let diag_format = match args.format {
        TestFormat::Human => DiagFormat::Human,
        TestFormat::Json => DiagFormat::Json,
    };
    let program = match checked.program {
        Some(p) if !checked.diagnostics.iter().any(Diagnostic::is_error) => {
            if !checked.diagnostics.is_empty() && args.format == TestFormat::Human {
                let _ = super::check::print(&checked.diagnostics, &ws.sources, diag_format);
            }
            p
        }
        _ => {
            if super::check::print(&checked.diagnostics, &ws.sources, diag_format).is_err() {
                return EXIT_FAILURE;
            }
            eprintln!("error: the workspace has errors: no test was run");
            return EXIT_REJECTED;
        }
    };
    let marks = match args.format {
        TestFormat::Human => Marks::for_stdout(),
        TestFormat::Json => Marks::Words,
    };
    let why = Why::new(&ws.scripts, &ws.sources, marks);
    let mut options = Options {
        filter: args.filter.as_deref(),
        explainer: Some(&why),
        ..Options::default()
    };
    if let Some(j) = args.jobs {
        options.threads = j.max(1);
    }
    let outcomes = testing::run_all(&program, &ws, &options);
    if print(&outcomes, &ws, args.format).is_err() {
        return EXIT_FAILURE;
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, report::junit(&outcomes, &ws.sources)) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return EXIT_FAILURE;
        }
    }
    if outcomes.iter().all(|o| o.passed) {
        EXIT_OK
    } else {
        EXIT_REJECTED
    }
}

fn print(outcomes: &[testing::Outcome], ws: &Workspace, format: TestFormat) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        TestFormat::Json => {
            for o in outcomes {
                writeln!(out, "{}", report::json(o, &ws.sources))?;
            }
        }
        TestFormat::Human => {
            let color = super::stdout_color();
            for o in outcomes {
                let verdict = if o.passed { "ok" } else { "FAILED" };
                writeln!(out, "test \"{}\" ... {verdict} ({} ms)", o.name, o.millis)?;
            }
            for o in outcomes.iter().filter(|o| !o.passed) {
                writeln!(out)?;
                for d in &o.failures {
                    write!(out, "{}", d.render(&ws.sources, color, color))?;
                }
            }
            let passed = outcomes.iter().filter(|o| o.passed).count();
            writeln!(out)?;
            writeln!(out, "{passed} passed, {} failed", outcomes.len() - passed)?;
        }
    }
    out.flush()
}
