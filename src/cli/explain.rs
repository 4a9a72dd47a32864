//! `camp explain`: why a person would or would not qualify for a campaign, or why an activity
//! happened (LANGUAGE.md 12). A reading command: it takes no lock and writes nothing.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::common::{load_program, open_store, parse_time, Access, Exit};
use super::{EXIT_FAILURE, EXIT_OK};
use crate::explain::{explain_activity, explain_named, human, Style, Texts};
use crate::store::StoreError;

/// Output format of `camp explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// An indented tree with a verdict on each line.
    Human,
    /// One JSON object.
    Json,
}

/// Arguments of `camp explain`.
#[derive(Debug, Args)]
#[command(
    override_usage = "camp explain PERSON CAMPAIGN [--at T] [--db PATH] [--format human|json] FILE...\n       camp explain --activity ID [--db PATH] [--format human|json] FILE..."
)]
pub struct ExplainArgs {
    /// PERSON (id or email) and CAMPAIGN, then the workspace's files; with `--activity`, only
    /// the files.
    #[arg(required = true, value_name = "ARGS")]
    args: Vec<String>,
    /// Explain this activity (by id) instead of a person and a campaign.
    #[arg(long, value_name = "ID")]
    activity: Option<i64>,
    /// The instant to explain (default: the store's clock).
    #[arg(long, value_name = "T", conflicts_with = "activity")]
    at: Option<String>,
    /// The database file.
    #[arg(long, default_value = "camp.db")]
    db: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ExplainFormat,
}

/// Runs `camp explain`.
pub fn run(args: &ExplainArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let (who, files) = match args.activity {
            Some(_) => (None, &args.args[..]),
            None => match &args.args[..] {
                [person, campaign, files @ ..] if !files.is_empty() => {
                    (Some((person.as_str(), campaign.as_str())), files)
                }
                _ => {
                    eprintln!("error: `camp explain` needs PERSON CAMPAIGN FILE... or --activity ID FILE...");
                    return Err(EXIT_FAILURE);
                }
            },
        };
        let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        let (ws, program) = load_program(&files)?;
        let texts = Texts::new(&ws.scripts, &ws.sources);
        let mut db = open_store(Some(&args.db), "camp.db", Access::Read)?;
        let store = db.store();
        let fail = |e: StoreError| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        };
        store.prepare(&program).map_err(fail)?;
        let explanation = match (args.activity, who) {
            (Some(id), _) => match explain_activity(&program, &texts, store, id).map_err(fail)? {
                Some(e) => e,
                None => {
                    eprintln!("error: the log has no activity {id}");
                    return Err(EXIT_FAILURE);
                }
            },
            (None, Some((person, campaign))) => {
                let at = match &args.at {
                    Some(t) => Some(parse_time("--at", t, program.settings.time_zone)?),
                    None => None,
                };
                match explain_named(&program, &texts, store, person, campaign, at) {
                    Ok(e) => e,
                    Err(message) => {
                        eprintln!("error: {message}");
                        return Err(EXIT_FAILURE);
                    }
                }
            }
            (None, None) => return Err(EXIT_FAILURE),
        };
        let style = Style::for_stdout(program.settings.time_zone);
        let text = match args.format {
            ExplainFormat::Json => format!("{explanation}\n"),
            ExplainFormat::Human if args.activity.is_some() => human::activity(&explanation, style),
            ExplainFormat::Human => human::person(&explanation, style),
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}
