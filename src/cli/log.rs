//! `camp log`, `camp outbox`: listings of the store.

use std::io::Write;

use clap::Args;

use chrono_tz::Tz;

use super::common::{open_store, Access, Exit};
use super::{ListFormat, EXIT_FAILURE, EXIT_OK};
use crate::report::{activity_json, log_table, outbox_json, outbox_table, Layout};
use crate::store::{LogQuery, Result as StoreResult, Store, StoreError};

/// Arguments of `camp log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The database file (default `camp.db`).
    #[arg(long)]
    db: Option<String>,
    /// Only this person's activities (id or email).
    #[arg(long)]
    person: Option<String>,
    /// Only this campaign's activities.
    #[arg(long)]
    campaign: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
    /// Show every column, uncut (a table on a terminal is fitted to its width).
    #[arg(long)]
    wide: bool,
}

/// Arguments of `camp outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// The database file (default `camp.db`).
    #[arg(long)]
    db: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
    /// Show every column, uncut (a table on a terminal is fitted to its width).
    #[arg(long)]
    wide: bool,
}

/// The time zone the store's scripts last ran in (UTC before any did): tables show times in it.
pub fn store_time_zone(store: &dyn Store) -> Tz {
    store
        .meta("time_zone")
        .ok()
        .flatten()
        .and_then(|name| name.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// Finds a person by id or email.
pub fn resolve_person(
    store: &dyn Store,
    who: &str,
) -> Result<Option<i64>, crate::store::StoreError> {
    if let Ok(id) = who.parse::<i64>() {
        return Ok(store.person(id)?.map(|_| id).or(Some(id)));
    }
    store.person_by_email(who)
}

/// Runs `camp log`.
pub fn run_log(args: &LogArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let db = open_store(args.db.as_deref(), "camp.db", Access::Read)?;
        let store = db.open.get();
        let fail = |e: StoreError| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        };
        let person = match &args.person {
            Some(who) => match resolve_person(store, who).map_err(fail)? {
                Some(id) => Some(id),
                None => {
                    eprintln!("error: no person has email `{who}`");
                    return Err(EXIT_FAILURE);
                }
            },
            None => None,
        };
        let query = LogQuery {
            person,
            campaign: args.campaign.clone(),
            ..LogQuery::default()
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        match args.format {
            // JSON lines go out as they are read; a table needs every row for its widths.
            ListFormat::Json => stream(&mut out, fail, |f| {
                store.scan_log(&query, &mut |a| f(&activity_json(&a)))
            })?,
            _ => {
                let mut activities = Vec::new();
                store
                    .scan_log(&query, &mut |a| {
                        activities.push(a);
                        Ok(())
                    })
                    .map_err(fail)?;
                let table = log_table(
                    &activities,
                    store_time_zone(store),
                    Layout::for_stdout(args.wide),
                );
                out.write_all(table.as_bytes()).map_err(|_| EXIT_FAILURE)?;
            }
        }
        out.flush().map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}

/// Runs `camp outbox`.
pub fn run_outbox(args: &OutboxArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let db = open_store(args.db.as_deref(), "camp.db", Access::Read)?;
        let store = db.open.get();
        let fail = |e: StoreError| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        match args.format {
            ListFormat::Json => stream(&mut out, fail, |f| {
                store.scan_outbox(&mut |o| f(&outbox_json(&o)))
            })?,
            _ => {
                let mut rows = Vec::new();
                store
                    .scan_outbox(&mut |o| {
                        rows.push(o);
                        Ok(())
                    })
                    .map_err(fail)?;
                let table =
                    outbox_table(&rows, store_time_zone(store), Layout::for_stdout(args.wide));
                out.write_all(table.as_bytes()).map_err(|_| EXIT_FAILURE)?;
            }
        }
        out.flush().map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}

/// Writes the JSON lines `scan` produces as they come. A write that fails (a closed pipe) stops
/// the scan quietly with exit status 1; a store error is reported by `fail`.
fn stream(
    out: &mut dyn Write,
    fail: impl Fn(StoreError) -> Exit,
    scan: impl FnOnce(&mut dyn FnMut(&serde_json::Value) -> StoreResult<()>) -> StoreResult<()>,
) -> Result<(), Exit> {
    match scan(&mut |line| writeln!(out, "{line}").map_err(|_| StoreError::Stopped)) {
        Ok(()) => Ok(()),
        Err(StoreError::Stopped) => Err(EXIT_FAILURE),
        Err(e) => Err(fail(e)),
    }
}
