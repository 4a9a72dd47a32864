//! `camp people`, `camp import`: people in the store.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};

use clap::Args;

use super::common::{
    handle_signals, open_store, parse_time, print_table, store_failure, wall_clock, Access, Db,
    Exit,
};
use super::{DiagFormat, PeopleFormat, EXIT_FAILURE, EXIT_OK, EXIT_REJECTED};
use crate::check::ir::{Filters, Logic, Program};
use crate::engine::inputs::parse_people_csv;
use crate::engine::run::Engine;
use crate::engine::stop::Stop;
use crate::engine::value::rfc3339;
use crate::report::PersonColumns;
use crate::store::{Person, PersonId, Store, StoreError};
use crate::workspace::Workspace;

/// Arguments of `camp people`.
#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// Scripts that declare the fields and assets the condition names (default: what the
    /// store knows).
    files: Vec<PathBuf>,
    /// The database file (default `camp.db`).
    #[arg(long)]
    db: Option<String>,
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
    /// The database file (default `camp.db`).
    #[arg(long)]
    db: Option<String>,
    /// Where a new store's clock starts.
    #[arg(long)]
    from: Option<String>,
    /// Wait for another process running the same store to finish, instead of refusing.
    #[arg(long)]
    wait: bool,
}

fn fail(e: crate::store::StoreError) -> Exit {
    eprintln!("error: {e}");
    EXIT_FAILURE
}

/// The program to read people with: the scripts when given, else the store's declarations.
fn program_for(
    files: &[PathBuf],
    store: &dyn Store,
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
        let mut db = open_store(args.db.as_deref(), "camp.db", Access::Read)?;
        let store = db.store();
        let (program, cond) = program_for(&args.files, store, args.condition.as_deref())?;
        store.prepare(&program).map_err(fail)?;
        let now = store.clock().map_err(fail)?.unwrap_or_else(wall_clock);
        let filters = Filters {
            conditions: cond.into_iter().collect(),
            logic: Logic::All,
        };
        let (columns, format) = (PersonColumns::new(&program), args.format);
        // A large store is read by two readers, each with its own connection, taking blocks of
        // ids in turn; the people are written on a third thread, block after block, so in id
        // order. A block's batches come back to be freed by the thread that made them (the
        // allocator's arenas are per thread).
        let span = store.person_id_span().map_err(fail)?;
        let mut second = span
            .filter(|(lo, hi)| hi - lo >= BLOCK_IDS)
            .and_then(|_| second_reader(args.db.as_deref().unwrap_or("camp.db"), &program));
        // One reader reads every id as one block.
        let (readers, blocks) = match (span, &second) {
            (Some((lo, hi)), Some(_)) => (2, ((hi - lo) / BLOCK_IDS + 1) as u64),
            _ => (1, 1),
        };
        let block = |b: u64| -> std::ops::RangeInclusive<PersonId> {
            match span {
                Some((lo, hi)) if readers > 1 => {
                    let first = lo + (b as i64) * BLOCK_IDS;
                    first..=(first + BLOCK_IDS - 1).min(hi)
                }
                _ => PersonId::MIN..=PersonId::MAX,
            }
        };
        let read =
            |store: &dyn Store, first: u64, parts: &SyncSender<Part>, back: &Receiver<Batch>| {
                let mut b = first;
                while b < blocks {
                    read_block(store, &program, &filters, now, block(b), parts, back)?;
                    b += readers;
                }
                Ok::<(), StoreError>(())
            };
        let (res, written) = std::thread::scope(|scope| {
            let mut parts = Vec::new();
            let mut backs = Vec::new();
            let mut ends = Vec::new();
            for _ in 0..readers {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Part>(QUEUED);
                let (back_tx, back) = std::sync::mpsc::channel::<Batch>();
                parts.push(rx);
                backs.push(back_tx);
                ends.push((tx, back));
            }
            let writer = scope.spawn(move || -> std::io::Result<()> {
                let mut sink = Sink::new(columns, format);
                for b in 0..blocks {
                    let i = (b % readers) as usize;
                    loop {
                        match parts[i].recv() {
                            Ok(Part::People(batch)) => {
                                sink.write(&batch.0, &batch.1)?;
                                let _ = backs[i].send(batch);
                            }
                            Ok(Part::End) => break,
                            // The reader failed: it says why.
                            Err(_) => return Ok(()),
                        }
                    }
                }
                sink.finish()
            });
            let mut ends = ends.into_iter();
            let (tx0, back0) = ends.next().expect("one reader at least");
            let other = match (second.take(), ends.next()) {
                (Some(reader), Some((tx1, back1))) => {
                    let read = &read;
                    Some(scope.spawn(move || read(reader.as_ref(), 1, &tx1, &back1)))
                }
                _ => None,
            };
            let mut res = read(&*store, 0, &tx0, &back0);
            drop(tx0);
            if let Some(other) = other {
                let theirs = other.join().unwrap_or(Err(StoreError::Stopped));
                res = res.and(theirs);
            }
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the writer failed")));
            (res, written)
        });
        match res {
            Ok(()) | Err(StoreError::Stopped) => {}
            Err(e) => return Err(fail(e)),
        }
        written.map_err(|_| EXIT_FAILURE)
    };
    inner().err().unwrap_or(EXIT_OK)
}

/// People written per batch.
const BATCH: usize = 4096;

/// Batches selected and not written yet, per reader, at most.
const QUEUED: usize = 4;

/// Ids per block of a selection shared by two readers.
const BLOCK_IDS: i64 = 65_536;

/// People selected with their lists, and whom they are about.
type Batch = (Vec<Person>, Vec<Vec<String>>);

/// What a reader sends the writer: people, or the end of a block.
enum Part {
    People(Batch),
    End,
}

/// A second connection to the store `db` names, prepared for `program`; `None` for a store in
/// memory or one that cannot be opened again (one reader then reads everything).
fn second_reader(db: &str, program: &Program) -> Option<Box<dyn Store + Send>> {
    use crate::store::open::{reader, Location};
    let location = Location::parse(db).ok()?;
    if matches!(location, Location::Memory) {
        return None;
    }
    let mut store = reader(&location).ok()?;
    store.prepare(program).ok()?;
    Some(store)
}

/// Selects the people of one block of ids and sends them, in batches with their lists, then
/// the block's end. Fails with [`StoreError::Stopped`] when the writer is gone (it failed).
fn read_block(
    store: &dyn Store,
    program: &Program,
    filters: &Filters,
    now: i64,
    ids: std::ops::RangeInclusive<PersonId>,
    parts: &SyncSender<Part>,
    back: &Receiver<Batch>,
) -> Result<(), StoreError> {
    let mut batch: Vec<Person> = Vec::with_capacity(BATCH);
    let send = |batch: &mut Vec<Person>| -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let ids: Vec<_> = batch.iter().map(|p| p.id).collect();
        let lists = store.lists_of_people(&ids)?;
        let people = std::mem::replace(batch, Vec::with_capacity(BATCH));
        back.try_iter().for_each(drop);
        parts
            .send(Part::People((people, lists)))
            .map_err(|_| StoreError::Stopped)
    };
    store.select_people_in(program, filters, now, ids, &mut |p| {
        batch.push(p);
        if batch.len() >= BATCH {
            send(&mut batch)?;
        }
        Ok(())
    })?;
    send(&mut batch)?;
    parts.send(Part::End).map_err(|_| StoreError::Stopped)
}

/// Where `camp people` writes: JSON and CSV lines as they come; a table at the end (its
/// columns are as wide as their widest cell).
struct Sink {
    format: PeopleFormat,
    columns: PersonColumns,
    /// JSON lines.
    json: std::io::BufWriter<std::io::StdoutLock<'static>>,
    /// CSV, once a person has been written.
    csv: Option<csv::Writer<std::io::StdoutLock<'static>>>,
    /// One row's cells (their buffers are reused).
    cells: Vec<String>,
    /// One JSON line.
    line: Vec<u8>,
    /// The table's rows.
    table: Vec<Vec<String>>,
}

impl Sink {
    fn new(columns: PersonColumns, format: PeopleFormat) -> Sink {
        Sink {
            format,
            columns,
            json: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
            csv: None,
            cells: Vec::new(),
            line: Vec::new(),
            table: Vec::new(),
        }
    }

    /// Writes `people`, each with their lists.
    fn write(&mut self, people: &[Person], lists: &[Vec<String>]) -> std::io::Result<()> {
        for (p, lists) in people.iter().zip(lists) {
            self.row(p, lists)?;
        }
        Ok(())
    }

    fn row(&mut self, p: &Person, lists: &[String]) -> std::io::Result<()> {
        match self.format {
            PeopleFormat::Json => {
                self.line.clear();
                self.columns.json(p, lists, &mut self.line);
                self.line.push(b'\n');
                self.json.write_all(&self.line)
            }
            PeopleFormat::Table => {
                let mut cells = Vec::new();
                self.columns.cells(p, lists, &mut cells);
                self.table.push(cells);
                Ok(())
            }
            PeopleFormat::Csv => {
                self.columns.cells(p, lists, &mut self.cells);
                let csv = match &mut self.csv {
                    Some(w) => w,
                    None => self.csv.insert(csv_writer(&self.columns.header)?),
                };
                csv.write_record(&self.cells).map_err(std::io::Error::other)
            }
        }
    }

    /// Writes what is left: the table, or a CSV header alone when no one matched (the
    /// columns are those of the people written; `id` and `email` without any).
    fn finish(mut self) -> std::io::Result<()> {
        let empty = self.table.is_empty();
        let header = if empty {
            vec!["id".to_string(), "email".to_string()]
        } else {
            std::mem::take(&mut self.columns.header)
        };
        match self.format {
            PeopleFormat::Json => self.json.flush(),
            PeopleFormat::Csv => match self.csv.take() {
                Some(mut w) => w.flush(),
                None => csv_writer(&header)?.flush(),
            },
            PeopleFormat::Table => {
                let h: Vec<&str> = header.iter().map(String::as_str).collect();
                let mut out = std::io::stdout().lock();
                print_table(&mut out, &h, &self.table)?;
                out.flush()
            }
        }
    }
}

/// A CSV writer on standard output that has written `header`.
fn csv_writer(header: &[String]) -> std::io::Result<csv::Writer<std::io::StdoutLock<'static>>> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    w.write_record(header).map_err(std::io::Error::other)?;
    Ok(w)
}

/// Runs `camp import`.
pub fn run_import(args: &ImportArgs) -> i32 {
    let inner = || -> Result<(), Exit> {
        let bytes = std::fs::read(&args.csv).map_err(|e| {
            eprintln!("error: cannot read `{}`: {e}", args.csv.display());
            EXIT_FAILURE
        })?;
        let stop = handle_signals()?;
        let access = Access::Write {
            wait: args.wait,
            stop: Some(&stop),
        };
        let mut db = open_store(args.db.as_deref(), "camp.db", access)?;
        let result = import_into(args, &bytes, &mut db, &stop);
        if let Ok(signal) = result {
            db.keep();
            if let Some(signal) = signal {
                return Err(Stop::exit_status(signal));
            }
        }
        result.map(|_| ())
    };
    inner().err().unwrap_or(EXIT_OK)
}

/// Imports the CSV into the open store; returns the signal that asked to stop meanwhile, if one
/// did (the import, one transaction, is committed whole).
fn import_into(
    args: &ImportArgs,
    bytes: &[u8],
    db: &mut Db,
    stop: &Stop,
) -> Result<Option<i32>, Exit> {
    let (program, _) = program_for(&args.files, db.store(), None)?;
    let tz = program.settings.time_zone;
    let from = args
        .from
        .as_deref()
        .map(|t| parse_time("--from", t, tz))
        .transpose()?;
    let name = args.csv.display().to_string();
    let records = parse_people_csv(&program, &name, bytes).map_err(|e| {
        eprintln!("error: {e}");
        if !e.unknown_columns.is_empty() {
            let csv = args.csv.display();
            if args.files.is_empty() {
                eprintln!(
                    "help: declare them in `schema person`, and pass the scripts: `camp import {csv} onboarding.camp`"
                );
            } else {
                eprintln!("help: declare them in `schema person`");
            }
        }
        EXIT_REJECTED
    })?;
    let existing = db.store().clock().map_err(|e| db.fail(e))?;
    if let (Some(c), Some(f)) = (existing, from) {
        if f < c {
            eprintln!(
                "error: --from {} is before the clock of `{}` ({}): time never goes backwards; use --db another.db for a new store, or delete `{}` to start over",
                rfc3339(f),
                db.name,
                rfc3339(c),
                db.name
            );
            return Err(EXIT_FAILURE);
        }
    }
    let name = db.name.clone();
    let fail = |e: StoreError| {
        store_failure(&name, &e);
        EXIT_FAILURE
    };
    db.stop_if_asked(stop)?;
    let mut engine = Engine::new(&program, db.store()).map_err(fail)?;
    let clock = match (existing, from) {
        (Some(c), Some(f)) => {
            engine.store().set_clock(f.max(c)).map_err(fail)?;
            f.max(c)
        }
        (Some(c), None) => c,
        (None, f) => engine
            .clock_or_start(f.unwrap_or_else(wall_clock))
            .map_err(fail)?,
    };
    if std::io::stderr().is_terminal() {
        // Dropped with the engine, which clears the bar.
        let mut bars = super::progress::Bars::new();
        engine.on_progress(move |p| bars.update(p));
    }
    let summary = engine.import_people(&records, clock).map_err(fail)?;
    engine.flush().map_err(fail)?;
    drop(engine);
    eprintln!(
        "{} created, {} updated, {} unchanged",
        summary.created, summary.updated, summary.unchanged
    );
    if let Some(signal) = stop.requested() {
        eprintln!(
            "stopped by {} after the import was saved in `{name}`",
            Stop::signal_name(signal)
        );
    }
    Ok(stop.requested())
}
