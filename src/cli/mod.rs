//! The `camp` command line: a thin front end over the library.

mod check;
mod common;
mod deliver;
pub mod explain;
mod fmt;
mod graph;
mod log;
mod lsp;
mod people;
mod progress;
mod repl;
mod run;
mod schedule;
mod serve;
mod test;

use std::io::IsTerminal;

use clap::{Parser, Subcommand, ValueEnum};

/// camp: campaigns as code.
#[derive(Debug, Parser)]
#[command(
    name = "camp",
    version,
    about = "A language and interpreter for marketing-automation smart campaigns"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check scripts for syntax, name, type and campaign-rule problems.
    Check(check::CheckArgs),
    /// Run campaigns against the store up to a time.
    Run(run::RunArgs),
    /// Import people from a CSV file.
    Import(people::ImportArgs),
    /// List people, optionally those matching a condition.
    People(people::PeopleArgs),
    /// Show the activity log.
    Log(log::LogArgs),
    /// Show the outbox: emails, alerts and webhook calls, with their delivery state.
    Outbox(log::OutboxArgs),
    /// Deliver what the outbox holds (email over SMTP or to files, webhooks over HTTP), then exit.
    Deliver(deliver::DeliverArgs),
    /// Explain why a person would or would not qualify for a campaign, or why an activity happened.
    Explain(explain::ExplainArgs),
    /// Show the batch runs in a window with their steps up to the first wait.
    Schedule(schedule::ScheduleArgs),
    /// Draw a campaign's flow, or the workspace's campaigns and cascade, as Mermaid, DOT or SVG.
    Graph(graph::GraphArgs),
    /// Explore scripts and a store interactively.
    Repl(repl::ReplArgs),
    /// Rewrite scripts in the canonical layout (`--check` only lists the files that would change).
    Fmt(fmt::FmtArgs),
    /// Run the language server on standard input and output.
    Lsp(lsp::LspArgs),
    /// Run the workspace's tests, each in a fresh in-memory store.
    Test(test::TestArgs),
    /// Run the campaigns live behind an HTTP API.
    Serve(serve::ServeArgs),
}

/// Output format of listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON object per line.
    Json,
}

/// Output format of `camp people`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PeopleFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON object per line.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

/// Output format of `camp check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    /// Rendered for people, on standard error.
    Human,
    /// One JSON object per diagnostic, on standard output.
    Json,
}

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the workspace has errors or an input file was rejected.
pub const EXIT_REJECTED: i32 = 1;
/// Exit status: usage, I/O or database failure.
pub const EXIT_FAILURE: i32 = 2;

/// Whether standard error gets colour: a terminal, and `NO_COLOR` unset or empty.
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Whether standard output gets colour: a terminal, and `NO_COLOR` unset or empty.
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Runs the command line and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_FAILURE
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Import(args) => people::run_import(&args),
        Command::People(args) => people::run_people(&args),
        Command::Log(args) => log::run_log(&args),
        Command::Outbox(args) => log::run_outbox(&args),
        Command::Deliver(args) => deliver::run(&args),
        Command::Schedule(args) => schedule::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Repl(args) => repl::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Serve(args) => serve::run(&args),
    }
}
