//! `camp fmt FILE... [--check]`

use std::path::PathBuf;

use clap::Args;

use super::{DiagFormat, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::diagnostic::SourceMap;

/// Arguments of `camp fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// The files to format in place (a folder stands for every `.camp` file under it).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

/// Runs `camp fmt`.
pub fn run(args: &FmtArgs) -> i32 {
    let mut status = EXIT_OK;
    let files = match crate::workspace::expand(&args.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    for path in &files {
        let shown = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read `{shown}`: {e}");
                return EXIT_FAILURE;
            }
        };
        let mut sources = SourceMap::new();
        let file = crate::syntax::span::FileId(0);
        let text = match crate::syntax::decode(file, bytes) {
            Ok(t) => t,
            Err(bad) => {
                let (text, diag) = *bad;
                sources.add(&shown, text);
                let _ = super::check::print(&[diag], &sources, DiagFormat::Human);
                status = EXIT_REJECTED;
                continue;
            }
        };
        let formatted = match crate::fmt::format_source(file, &text) {
            Ok(f) => f,
            Err(diags) => {
                sources.add(&shown, text);
                let _ = super::check::print(&diags, &sources, DiagFormat::Human);
                status = EXIT_REJECTED;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            println!("{shown}");
            status = EXIT_REJECTED;
        } else if let Err(e) = std::fs::write(path, formatted) {
            eprintln!("error: cannot write `{shown}`: {e}");
            return EXIT_FAILURE;
        }
    }
    status
}
