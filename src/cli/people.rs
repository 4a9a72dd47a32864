//! `camp people`, `camp import`: people in the store.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::common::{open_store, parse_time, print_table, wall_clock, Exit};
use super::{DiagFormat, PeopleFormat, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::check::ir::Program;
use crate::engine::conditions::Eval;
use crate::engine::inputs::parse_people_csv;
use crate::engine::run::Engine;
use crate::report::person_json;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use crate::workspace::Workspace;

/// Arguments of `camp people`.
#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// Scripts that declare the fields and assets the condition names (default: what the
    /// store knows).
    files: Vec<PathBuf>,
    /// The database file.
    #[arg(long, default_value = "camp.db")]
    db: String,
    /// Only people matching this condition (the condition language of smart lists).
    #[arg(long = "where")]
    condition: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: PeopleFormat,
}

/// Arguments of `camp import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The people CSV (a header row of field names; `email` identifies a person).
    csv: PathBuf,
    /// Scripts that declare the fields (default: the fields the store knows).
    files: Vec<PathBuf>,
    /// The database file.
    #[arg(long, default_value = "camp.db")]
    db: String,
    /// Where a new store's clock starts.
    #[arg(long)]
    from: Option<String>,
}

fn fail(e: crate::store::StoreError) -> Exit {
    eprintln!("error: {e}");
    EXIT_FAILURE
}

/// The program to read people with: the scripts when given, else the store's declarations.
fn program_for(
    files: &[PathBuf],
    store: &SqliteStore,
    condition: Option<&str>,
) -> Result<(Program, Option<crate::check::ir::Cond>), Exit> {
    let ws = if files.is_empty() {
        Workspace::new()
    } else {
        match Workspace::load(files) {
            Ok(ws) => ws,
            Err(e) => {
                eprintln!("error: {e}");
                return Err(EXIT_FAILURE);
            }
        }
    };
    let extra = if files.is_empty() {
        crate::query::declarations_from_store(store).map_err(fail)?
    } else {
        String::new()
    };
    let cond_text = condition.unwrap_or("all people");
    match crate::query::compile_condition(&ws, &extra, cond_text) {
        Ok((p, c)) => Ok((p, condition.map(|_| c))),
        Err((sources, diags)) => {
            let _ = super::check::print(&diags, &sources, DiagFormat::Human);
            Err(EXIT_REJECTED)
        }
    }
}

/// Runs `camp people`.
pub fn run_people(args: &PeopleArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        if args.db != ":memory:" && !std::path::Path::new(&args.db).exists() {
            eprintln!(
                "error: `{}` does not exist: run `camp run` or `camp import` first",
                args.db
            );
            return Err(EXIT_FAILURE);
        }
        let mut store = open_store(&args.db)?;
        let (program, cond) = program_for(&args.files, &store, args.condition.as_deref())?;
        store.prepare(&program).map_err(fail)?;
        let now = store.clock().map_err(fail)?.unwrap_or_else(wall_clock);
        let eval = Eval {
            program: &program,
            store: &store,
            now,
            tz: program.settings.time_zone,
        };
        let mut people = Vec::new();
        store
            .scan_people(&mut |p| {
                let keep = match &cond {
                    Some(c) => eval.cond(c, &p)?,
                    None => true,
                };
                if keep {
                    people.push(p);
                }
                Ok(())
            })
            .map_err(fail)?;
        let mut rows = Vec::new();
        for p in &people {
            let lists = store.lists_of(p.id).map_err(fail)?;
            rows.push(person_json(&program, p, &lists));
        }
        let mut out = std::io::stdout().lock();
        let res = match args.format {
            PeopleFormat::Json => rows.iter().try_for_each(|r| writeln!(out, "{r}")),
            PeopleFormat::Csv | PeopleFormat::Table => {
                let header: Vec<String> = rows
                    .first()
                    .and_then(|r| r.as_object())
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_else(|| vec!["id".into(), "email".into()]);
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        header
                            .iter()
                            .map(|h| crate::report::cell(r.get(h)))
                            .collect()
                    })
                    .collect();
                if args.format == PeopleFormat::Csv {
                    write_csv(&mut out, &header, &cells)
                } else {
                    let h: Vec<&str> = header.iter().map(String::as_str).collect();
                    print_table(&mut out, &h, &cells)
                }
            }
        };
        res.and_then(|_| out.flush()).map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}

fn write_csv(out: &mut dyn Write, header: &[String], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header).map_err(std::io::Error::other)?;
    for r in rows {
        w.write_record(r).map_err(std::io::Error::other)?;
    }
    w.flush()
}

/// Runs `camp import`.
pub fn run_import(args: &ImportArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let bytes = std::fs::read(&args.csv).map_err(|e| {
            eprintln!("error: cannot read `{}`: {e}", args.csv.display());
            EXIT_FAILURE
        })?;
        let mut store = open_store(&args.db)?;
        let (program, _) = program_for(&args.files, &store, None)?;
        let tz = program.settings.time_zone;
        let from = args
            .from
            .as_deref()
            .map(|t| parse_time("--from", t, tz))
            .transpose()?;
        let name = args.csv.display().to_string();
        let records = parse_people_csv(&program, &name, &bytes).map_err(|e| {
            eprintln!("error: {e}");
            EXIT_REJECTED
        })?;
        let mut engine = Engine::new(&program, &mut store).map_err(fail)?;
        let clock = match (engine.clock().map_err(fail)?, from) {
            (Some(c), Some(f)) if f < c => {
                eprintln!("error: --from is before the store's clock: time never goes backwards");
                return Err(EXIT_FAILURE);
            }
            (Some(c), Some(f)) => {
                engine.store().set_clock(f.max(c)).map_err(fail)?;
                f.max(c)
            }
            (Some(c), None) => c,
            (None, f) => engine
                .clock_or_start(f.unwrap_or_else(wall_clock))
                .map_err(fail)?,
        };
        let summary = engine.import_people(&records, clock).map_err(fail)?;
        engine.flush().map_err(fail)?;
        eprintln!(
            "{} created, {} updated, {} unchanged",
            summary.created, summary.updated, summary.unchanged
        );
        Ok(())
    };
    inner().err().unwrap_or(EXIT_OK)
}
