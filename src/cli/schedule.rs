//! `camp schedule FILE... [--from T] [--to T] [--format table|json|ical]`: the program schedule
//! view.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::common::{load_program, parse_time, print_table, wall_clock, Exit};
use super::{EXIT_FAILURE, EXIT_OK};
use crate::report::schedule_view;

/// Arguments of `camp schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Start of the window (default: now).
    #[arg(long)]
    from: Option<String>,
    /// End of the window (default: 31 days after its start).
    #[arg(long)]
    to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ScheduleFormat,
}

/// Output format of `camp schedule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleFormat {
    /// Aligned columns.
    Table,
    /// One JSON object per line.
    Json,
    /// An iCalendar file, one event per run.
    Ical,
}

/// Runs `camp schedule`.
pub fn run(args: &ScheduleArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let (ws, program) = load_program(&args.files)?;
        let tz = program.settings.time_zone;
        let from = match &args.from {
            Some(t) => parse_time("--from", t, tz)?,
            None => wall_clock(),
        };
        let to = match &args.to {
            Some(t) => parse_time("--to", t, tz)?,
            None => from + 31 * 86_400,
        };
        if to < from {
            eprintln!("error: --to is before --from");
            return Err(EXIT_FAILURE);
        }
        let runs = schedule_view(&program, &ws.sources, from, to);
        let mut out = std::io::stdout().lock();
        let res = match args.format {
            ScheduleFormat::Ical => {
                out.write_all(crate::report::ical::ical(&runs, tz, wall_clock()).as_bytes())
            }
            ScheduleFormat::Json => runs.iter().try_for_each(|r| {
                writeln!(out, "{}", serde_json::to_string(r).unwrap_or_default())
            }),
            ScheduleFormat::Table => print_table(
                &mut out,
                &[&format!("at ({})", tz.name()), "campaign", "steps"],
                &runs
                    .iter()
                    .map(|r| {
                        vec![
                            crate::engine::value::local_reading(r.instant, tz),
                            r.campaign.clone(),
                            r.steps.join("; "),
                        ]
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        res.and_then(|_| out.flush()).map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}
