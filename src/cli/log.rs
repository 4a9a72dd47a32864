//! `camp log`, `camp outbox`: listings of the store.

use std::io::Write;

use clap::Args;

use super::common::{open_store, print_table, Exit};
use super::{ListFormat, EXIT_FAILURE, EXIT_OK};
use crate::report::{
    activity_json, activity_row, outbox_json, outbox_row, LOG_HEADER, OUTBOX_HEADER,
};
use crate::store::{LogQuery, Result as StoreResult, Store, StoreError};

/// Arguments of `camp log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The database file.
    #[arg(long, default_value = "camp.db")]
    db: String,
    /// Only this person's activities (id or email).
    #[arg(long)]
    person: Option<String>,
    /// Only this campaign's activities.
    #[arg(long)]
    campaign: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
}

/// Arguments of `camp outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// The database file.
    #[arg(long, default_value = "camp.db")]
    db: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
}

pub(super) fn existing_store(db: &str) -> Result<crate::store::sqlite::SqliteStore, Exit> {
    if db != ":memory:" && !std::path::Path::new(db).exists() {
        eprintln!("error: `{db}` does not exist: run `camp run` or `camp import` first");
        return Err(EXIT_FAILURE);
    }
    open_store(db)
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
        let store = existing_store(&args.db)?;
        let fail = |e: StoreError| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        };
        let person = match &args.person {
            Some(who) => match resolve_person(&store, who).map_err(fail)? {
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
                let mut rows = Vec::new();
                store
                    .scan_log(&query, &mut |a| {
                        rows.push(activity_row(&a));
                        Ok(())
                    })
                    .map_err(fail)?;
                print_table(&mut out, LOG_HEADER, &rows).map_err(|_| EXIT_FAILURE)?;
            }
        }
        out.flush().map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}

/// Runs `camp outbox`.
pub fn run_outbox(args: &OutboxArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let store = existing_store(&args.db)?;
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
                        rows.push(outbox_row(&o));
                        Ok(())
                    })
                    .map_err(fail)?;
                print_table(&mut out, OUTBOX_HEADER, &rows).map_err(|_| EXIT_FAILURE)?;
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
