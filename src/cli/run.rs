//! `camp run FILE... [--db PATH] [--people CSV] [--events JSONL] [--from T] [--until T]
//! [--campaign NAME]`

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::common::{load_program, open_store, parse_time, wall_clock, Exit};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::check::ir::CampaignKind;
use crate::engine::events::InputRejected;
use crate::engine::inputs::parse_people_csv;
use crate::engine::run::Engine;
use crate::store::{LogQuery, Store};

/// Arguments of `camp run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The database file (`:memory:` for a throw-away store).
    #[arg(long, default_value = "camp.db")]
    db: String,
    /// People to import first (CSV with a header row of field names).
    #[arg(long)]
    people: Option<PathBuf>,
    /// Events to process (one JSON object per line).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Where a new store's clock starts (RFC 3339 or `2026-12-01 09:00`).
    #[arg(long)]
    from: Option<String>,
    /// Process everything due up to this time (default: the wall clock's now).
    #[arg(long)]
    until: Option<String>,
    /// Run this batch campaign now, on demand.
    #[arg(long)]
    campaign: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Show every column, uncut (a table on a terminal is fitted to its width).
    #[arg(long)]
    wide: bool,
}

/// Runs `camp run`.
pub fn run(args: &RunArgs) -> i32 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, Exit> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        EXIT_FAILURE
    })
}

fn run_inner(args: &RunArgs) -> Result<(), Exit> {
    let (_ws, program) = load_program(&args.files)?;
    let tz = program.settings.time_zone;
    let from = args
        .from
        .as_deref()
        .map(|t| parse_time("--from", t, tz))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|t| parse_time("--until", t, tz))
        .transpose()?;
    let campaign = match &args.campaign {
        None => None,
        Some(name) => {
            match program.campaign(name) {
                Some(c) if program.campaigns[c.index()].kind == CampaignKind::Batch => Some(c),
                Some(_) => {
                    eprintln!("error: `{name}` is not a batch campaign: only batch campaigns run on demand");
                    return Err(EXIT_FAILURE);
                }
                None => {
                    let names = program.campaigns.iter().map(|c| c.name.as_str());
                    let hint = crate::diagnostic::did_you_mean(name, names)
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default();
                    eprintln!("error: no campaign is called `{name}`{hint}");
                    return Err(EXIT_FAILURE);
                }
            }
        }
    };
    let people = args.people.as_ref().map(read_file).transpose()?;
    // The events file is read line by line when it is added, never whole.
    let events = match &args.events {
        Some(p) if p.is_dir() => {
            eprintln!("error: cannot read `{}`: it is a directory", p.display());
            return Err(EXIT_FAILURE);
        }
        Some(p) => Some(std::fs::File::open(p).map_err(|e| {
            eprintln!("error: cannot read `{}`: {e}", p.display());
            EXIT_FAILURE
        })?),
        None => None,
    };

    let mut store = open_store(&args.db)?;
    let db_err = |e: crate::store::StoreError| {
        eprintln!("error: {e}");
        EXIT_FAILURE
    };
    let mut engine = Engine::new(&program, &mut store).map_err(db_err)?;
    let existing = engine.clock().map_err(db_err)?;
    let start = match (existing, from) {
        (Some(c), Some(f)) if f < c => {
            eprintln!(
                "error: --from is before the store's clock ({}): time never goes backwards",
                crate::engine::value::rfc3339(c)
            );
            return Err(EXIT_FAILURE);
        }
        (Some(c), _) => c,
        (None, Some(f)) => f,
        (None, None) => until.unwrap_or_else(wall_clock).min(wall_clock()),
    };
    let mut clock = engine.clock_or_start(start).map_err(db_err)?;
    if let Some(f) = from {
        if f > clock {
            engine.run_until(f).map_err(db_err)?;
            clock = f;
        }
    }
    let until = until.unwrap_or_else(|| wall_clock().max(clock));
    if until < clock {
        eprintln!(
            "error: --until is before the store's clock ({}): time never goes backwards",
            crate::engine::value::rfc3339(clock)
        );
        return Err(EXIT_FAILURE);
    }
    let first_new = engine.store().last_activity_id().map_err(db_err)?;

    if let (Some(bytes), Some(path)) = (&people, &args.people) {
        let name = path.display().to_string();
        let records = parse_people_csv(&program, &name, bytes).map_err(|e| {
            eprintln!("error: {e}");
            EXIT_REJECTED
        })?;
        engine.import_people(&records, clock).map_err(db_err)?;
    }
    if let (Some(file), Some(path)) = (events, &args.events) {
        let name = path.display().to_string();
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        match engine.add_events_from(&name, reader, clock) {
            Ok(_) => {}
            Err(InputRejected::Input(e)) => {
                eprintln!("error: {e}");
                return Err(EXIT_REJECTED);
            }
            Err(InputRejected::Store(e)) => return Err(db_err(e)),
        }
    }
    if std::io::stderr().is_terminal() && !args.quiet {
        engine.on_progress(|msg| eprint!("\r\x1b[2K{msg}"));
    }
    if let Some(cid) = campaign {
        engine.run_batch_now(cid, clock).map_err(db_err)?;
        engine.flush().map_err(db_err)?;
    }
    let summary = engine.run_until(until).map_err(db_err)?;
    if std::io::stderr().is_terminal() && !args.quiet {
        eprint!("\r\x1b[2K");
    }
    drop(engine);
    if args.quiet {
        return Ok(());
    }
    // The activities of this run, at most SHOWN of them (`camp log` has them all).
    const SHOWN: u32 = 1000;
    let new = store
        .log(&LogQuery {
            after: Some(first_new),
            limit: Some(SHOWN + 1),
            ..LogQuery::default()
        })
        .map_err(db_err)?;
    let total = store.last_activity_id().map_err(db_err)? - first_new;
    let shown = &new[..new.len().min(SHOWN as usize)];
    let layout = crate::report::Layout::for_stdout(args.wide);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(crate::report::log_table(shown, tz, layout).as_bytes());
    if total > i64::from(SHOWN) {
        let _ = writeln!(out, "… and {} more (camp log)", total - i64::from(SHOWN));
    }
    let _ = out.flush();
    eprintln!(
        "{} activities; clock at {}; {} batch runs, {} wakes, {} inputs",
        total,
        crate::engine::value::local_time(until, tz),
        summary.batch_runs,
        summary.wakes,
        summary.inputs
    );
    Ok(())
}
