//! `camp graph FILE... [--campaign NAME] [--format mermaid|dot|svg] [--output PATH]`: a
//! campaign's flow, or the workspace's campaigns and cascade, as a picture.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::common::{load_program, Exit};
use super::{EXIT_FAILURE, EXIT_OK};
use crate::graph::{self, Format};

/// Arguments of `camp graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Draw this campaign's flow (default: the whole workspace).
    #[arg(long, value_name = "NAME")]
    campaign: Option<String>,
    /// What to write.
    #[arg(long, value_enum, default_value = "mermaid")]
    format: GraphFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// Output format of `camp graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart text.
    Mermaid,
    /// Graphviz DOT text.
    Dot,
    /// An SVG image, laid out by camp itself.
    Svg,
}

/// Runs `camp graph`.
pub fn run(args: &GraphArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let (ws, program) = load_program(&args.files)?;
        let g = match &args.campaign {
            Some(name) => {
                graph::flow_graph(&ws.scripts, &ws.sources, &program, name).map_err(|e| {
                    eprintln!("error: {e}");
                    EXIT_FAILURE
                })?
            }
            None => graph::workspace_graph(&program),
        };
        let format = match args.format {
            GraphFormat::Mermaid => Format::Mermaid,
            GraphFormat::Dot => Format::Dot,
            GraphFormat::Svg => Format::Svg,
        };
        let text = graph::render(&g, format);
        match &args.output {
            Some(path) => std::fs::write(path, text).map_err(|e| {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                EXIT_FAILURE
            }),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(|_| EXIT_FAILURE)
            }
        }
    };
    inner().err().unwrap_or(EXIT_OK)
}
