//! `camp run FILE... [--db PATH] [--people CSV] [--events JSONL] [--from T] [--until T]
//! [--campaign NAME]`

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::common::{
    handle_signals, load_program, open_store, parse_time, store_failure, wall_clock, Access, Db,
    Exit,
};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::check::ir::{CampaignId, CampaignKind, Program};
use crate::engine::events::InputRejected;
use crate::engine::inputs::parse_people_csv;
use crate::engine::run::{Engine, RunSummary};
use crate::engine::stop::Stop;
use crate::engine::value::{local_time, rfc3339};
use crate::store::{LogQuery, Store, StoreError};

/// Arguments of `camp run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The database file (default `camp.db`; `:memory:` for a throw-away store).
    #[arg(long)]
    db: Option<String>,
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
    /// Wait for another process running the same store to finish, instead of refusing.
    #[arg(long)]
    wait: bool,
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

    if let (Some(f), Some(u)) = (from, until) {
        if u < f {
            eprintln!("error: --until is before --from: time never goes backwards");
            return Err(EXIT_FAILURE);
        }
    }

    let stop = handle_signals()?;
    let access = Access::Write {
        wait: args.wait,
        stop: Some(&stop),
    };
    let mut db = open_store(args.db.as_deref(), "camp.db", access)?;
    let inputs = Inputs {
        from,
        until,
        campaign,
        people,
        events,
    };
    let result = run_on(args, &program, &mut db, inputs, &stop);
    // A store this command created is kept when the command succeeded or was stopped with its
    // work saved; otherwise it goes.
    match result {
        Ok(Done::Finished) => {
            db.keep();
            Ok(())
        }
        Ok(Done::Stopped(signal)) => {
            db.keep();
            Err(Stop::exit_status(signal))
        }
        Err(code) => Err(code),
    }
}

/// What `camp run` was given besides the scripts, read and checked before the store is opened.
struct Inputs {
    from: Option<i64>,
    until: Option<i64>,
    campaign: Option<CampaignId>,
    people: Option<Vec<u8>>,
    events: Option<std::fs::File>,
}

/// How a run ended.
enum Done {
    /// Everything due up to `--until` was processed.
    Finished,
    /// A signal stopped it; the work done is committed.
    Stopped(i32),
}

fn run_on(
    args: &RunArgs,
    program: &Program,
    db: &mut Db,
    inputs: Inputs,
    stop: &Stop,
) -> Result<Done, Exit> {
    let Inputs {
        from,
        until,
        campaign,
        people,
        events,
    } = inputs;
    let tz = program.settings.time_zone;
    // Every time is checked against the store's clock before anything is written.
    let existing = db.store().clock().map_err(|e| db.fail(e))?;
    if let (Some(c), Some(f)) = (existing, from) {
        if f < c {
            eprintln!(
                "error: --from {} is before the clock of `{}` ({}): time never goes backwards; use --db another.db for a new store, or delete `{}` to start over",
                local_time(f, tz),
                db.name,
                local_time(c, tz),
                db.name
            );
            return Err(EXIT_FAILURE);
        }
    }
    let start = match (existing, from) {
        (Some(c), _) => c,
        (None, Some(f)) => f,
        (None, None) => until.unwrap_or_else(wall_clock).min(wall_clock()),
    };
    let clock = from.map_or(start, |f| f.max(start));
    let until = until.unwrap_or_else(|| wall_clock().max(clock));
    if until < clock {
        eprintln!(
            "error: --until {} is before the clock of `{}` ({}): time never goes backwards",
            local_time(until, tz),
            db.name,
            local_time(clock, tz)
        );
        return Err(EXIT_FAILURE);
    }
    // Parsed before anything is written: a bad file changes nothing.
    let records = match (&people, &args.people) {
        (Some(bytes), Some(path)) => {
            let name = path.display().to_string();
            Some(parse_people_csv(program, &name, bytes).map_err(|e| {
                eprintln!("error: {e}");
                EXIT_REJECTED
            })?)
        }
        _ => None,
    };

    let name = db.name.clone();
    let fail = |e: StoreError| {
        store_failure(&name, &e);
        EXIT_FAILURE
    };
    db.stop_if_asked(stop)?;
    let mut engine = Engine::new(program, db.store()).map_err(fail)?;
    engine.stop_on(stop.clone());
    let start = engine.clock_or_start(start).map_err(fail)?;
    let first_new = engine.store().last_activity_id().map_err(fail)?;
    let progress = std::io::stderr().is_terminal() && !args.quiet;
    if progress {
        // Dropped with the engine, which clears the bar.
        let mut bars = super::progress::Bars::new();
        engine.on_progress(move |p| bars.update(p));
    }
    let mut summary = RunSummary::default();
    if clock > start {
        summary = engine.run_until(clock).map_err(fail)?;
    }
    if !summary.stopped {
        if let Some(records) = &records {
            engine.import_people(records, clock).map_err(fail)?;
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
                Err(InputRejected::Store(e)) => return Err(fail(e)),
            }
        }
        if let Some(cid) = campaign {
            engine.run_batch_now(cid, clock).map_err(fail)?;
            engine.flush().map_err(fail)?;
        }
        summary = engine.run_until(until).map_err(fail)?;
    }
    drop(engine);
    let store = db.store();
    if let Some(signal) = stop.requested().filter(|_| summary.stopped) {
        eprintln!("{}", stopped_message(store, &name, signal).map_err(fail)?);
        return Ok(Done::Stopped(signal));
    }
    if args.quiet {
        return Ok(Done::Finished);
    }
    // The activities of this run, at most SHOWN of them (`camp log` has them all).
    const SHOWN: u32 = 1000;
    let new = store
        .log(&LogQuery {
            after: Some(first_new),
            limit: Some(SHOWN + 1),
            ..LogQuery::default()
        })
        .map_err(fail)?;
    let total = store.last_activity_id().map_err(fail)? - first_new;
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
        local_time(until, tz),
        summary.batch_runs,
        summary.wakes,
        summary.inputs
    );
    Ok(Done::Finished)
}

/// Where a stopped run stopped: the store's clock, and the batch run left unfinished if any.
fn stopped_message(store: &dyn Store, name: &str, signal: i32) -> Result<String, StoreError> {
    let clock = store.clock()?.map_or_else(|| "-".to_string(), rfc3339);
    let batch = match store.open_run()? {
        Some(run) => format!(
            " in the batch run of `{}` ({} people to go)",
            run.campaign,
            store.run_members(run.id, u32::MAX)?.len()
        ),
        None => String::new(),
    };
    Ok(format!(
        "stopped by {} at {clock}{batch}: the work done is saved in `{name}`, and a new `camp run` continues from there",
        Stop::signal_name(signal)
    ))
}
