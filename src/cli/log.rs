//! `camp log`, `camp outbox`: listings of the store.

use std::io::Write;

use clap::Args;

use super::common::{open_store, print_table, Exit};
use super::{ListFormat, EXIT_FAILURE, EXIT_OK};
use crate::engine::value::rfc3339;
use crate::report::{activity_json, outbox_json};
use crate::store::{Activity, LogQuery, Store};

/// Columns of the log table.
pub const HEADER: &[&str] = &[
    "id", "at", "person", "campaign", "step", "type", "primary", "result",
];

/// One activity as a table row.
pub fn table_row(a: &Activity) -> Vec<String> {
    let result = match &a.reason {
        Some(r) => format!("{} ({r})", a.outcome.as_str()),
        None => a.outcome.as_str().to_string(),
    };
    vec![
        a.id.to_string(),
        rfc3339(a.at),
        a.email.clone().unwrap_or_else(|| a.person.to_string()),
        a.campaign.clone().unwrap_or_default(),
        a.step.clone().unwrap_or_default(),
        a.kind.clone(),
        a.primary.clone().unwrap_or_default(),
        result,
    ]
}

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
            })
            .map_err(fail)?;
        let mut out = std::io::stdout().lock();
        let res = match args.format {
            ListFormat::Json => log
                .iter()
                .try_for_each(|a| writeln!(out, "{}", activity_json(a))),
            _ => print_table(
                &mut out,
                HEADER,
                &log.iter().map(table_row).collect::<Vec<_>>(),
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
                &["id", "at", "to", "email", "subject", "campaign", "key"],
                &rows
                    .iter()
                    .map(|o| {
                        vec![
                            o.id.to_string(),
                            rfc3339(o.at),
                            o.to.clone(),
                            o.email.clone(),
                            o.subject.clone(),
                            o.campaign.clone().unwrap_or_default(),
                            o.key.clone(),
                        ]
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        res.and_then(|_| out.flush()).map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}
