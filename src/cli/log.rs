//! `camp log`, `camp outbox`: listings of the store.

use std::io::Write;

use clap::Args;

use super::common::{open_store, print_table, Exit};
use super::{ListFormat, EXIT_FAILURE, EXIT_OK};
use crate::report::{
    activity_json, activity_row, outbox_json, outbox_row, LOG_HEADER, OUTBOX_HEADER,
};
use crate::store::{LogQuery, Store};

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

fn existing_store(db: &str) -> Result<crate::store::sqlite::SqliteStore, Exit> {
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
        let fail = |e: crate::store::StoreError| {
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
        let log = store
            .log(&LogQuery {
                person,
                campaign: args.campaign.clone(),
                ..LogQuery::default()
            })
            .map_err(fail)?;
        let mut out = std::io::stdout().lock();
        let res = match args.format {
            ListFormat::Json => log
                .iter()
                .try_for_each(|a| writeln!(out, "{}", activity_json(a))),
            _ => print_table(
                &mut out,
                LOG_HEADER,
                &log.iter().map(activity_row).collect::<Vec<_>>(),
            ),
        };
        res.and_then(|_| out.flush()).map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}

/// Runs `camp outbox`.
pub fn run_outbox(args: &OutboxArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let store = existing_store(&args.db)?;
        let rows = store.outbox().map_err(|e| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        })?;
        let mut out = std::io::stdout().lock();
        let res = match args.format {
            ListFormat::Json => rows
                .iter()
                .try_for_each(|o| writeln!(out, "{}", outbox_json(o))),
            _ => print_table(
                &mut out,
                OUTBOX_HEADER,
                &rows.iter().map(outbox_row).collect::<Vec<_>>(),
            ),
        };
        res.and_then(|_| out.flush()).map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}
