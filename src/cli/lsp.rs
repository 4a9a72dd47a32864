//! `camp lsp`: the language server over standard input and output.

use clap::Args;

use super::{EXIT_FAILURE, EXIT_OK};

/// Arguments of `camp lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; standard input and output are always used.
    #[arg(long)]
    stdio: bool,
}

/// Runs the server until the client asks it to exit.
pub fn run(_args: &LspArgs) -> i32 {
    match crate::lsp::run_stdio() {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}
