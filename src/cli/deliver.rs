//! `camp deliver FILE... [--db URL] [--deliver none|file:DIR|smtp:URL] [--wait]`: delivers what
//! the outbox holds at the store's clock, then exits (LANGUAGE.md 13.3).

use std::path::PathBuf;

use clap::Args;

use super::common::{handle_signals, load_program, open_store, wall_clock, Access, Exit};
use super::{EXIT_FAILURE, EXIT_OK};
use crate::deliver::{DeliverError, Deliverer, Target};
use crate::engine::run::Engine;
use crate::engine::stop::Stop;

/// Arguments of `camp deliver`.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The database file (default `camp.db`).
    #[arg(long)]
    db: Option<String>,
    /// Where messages go: `none` (the default), `file:DIR` or `smtp:URL`.
    #[arg(long, default_value = "none")]
    deliver: String,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Wait for another process running the same store to finish, instead of refusing.
    #[arg(long)]
    wait: bool,
}

/// Runs `camp deliver`.
pub fn run(args: &DeliverArgs) -> i32 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn fail(e: DeliverError) -> Exit {
    eprintln!("error: {e}");
    EXIT_FAILURE
}

fn run_inner(args: &DeliverArgs) -> Result<(), Exit> {
    let (_ws, program) = load_program(&args.files)?;
    let target = Target::parse(&args.deliver).map_err(fail)?;
    // A missing sender is reported before the store is opened and anything is sent.
    let mut deliverer = Deliverer::new(&program, target).map_err(fail)?;
    let stop = handle_signals()?;
    let access = Access::Write {
        wait: args.wait,
        stop: Some(&stop),
    };
    let mut db = open_store(args.db.as_deref(), "camp.db", access)?;
    db.stop_if_asked(&stop)?;
    let name = db.name.clone();
    let summary = {
        let mut engine = Engine::new(&program, db.store()).map_err(|e| {
            super::common::store_failure(&name, &e);
            EXIT_FAILURE
        })?;
        engine.stop_on(stop.clone());
        let now = engine
            .clock()
            .map_err(|e| {
                super::common::store_failure(&name, &e);
                EXIT_FAILURE
            })?
            .unwrap_or_else(wall_clock);
        deliverer
            .deliver_due(&mut engine, now)
            .map_err(|e| match e {
                DeliverError::Store(e) => {
                    super::common::store_failure(&name, &e);
                    EXIT_FAILURE
                }
                e => fail(e),
            })?
    };
    db.keep();
    if !args.quiet {
        eprintln!(
            "delivered {}, bounced {}, to retry {}, failed {}",
            summary.delivered, summary.bounced, summary.retrying, summary.failed
        );
    }
    if let Some(signal) = stop.requested() {
        return Err(Stop::exit_status(signal));
    }
    Ok(())
}
