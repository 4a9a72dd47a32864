//! Helpers shared by the commands: loading and checking a workspace, opening the store, reading
//! times, printing tables.

use std::io::Write;

use chrono::Utc;
use chrono_tz::Tz;

use super::{DiagFormat, EXIT_FAILURE, EXIT_REJECTED};
use crate::check::ir::Program;
use crate::diagnostic::Diagnostic;
use crate::engine::stop::Stop;
use crate::store::lock::{Holder, LockError, Wait};
use crate::store::open::{OpenError, OpenStore};
use crate::store::{self, StoreError};
use crate::workspace::Workspace;

/// A command's failure: the exit status, after the message was printed.
pub type Exit = i32;

/// Loads and checks `files`; prints the diagnostics (warnings too) to standard error; returns
/// the program when there are no errors.
pub fn load_program(files: &[std::path::PathBuf]) -> Result<(Workspace, Program), Exit> {
    let ws = match Workspace::load(files) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(EXIT_FAILURE);
        }
    };
    let checked = crate::check::check_workspace(&ws);
    let _ = super::check::print(&checked.diagnostics, &ws.sources, DiagFormat::Human);
    match checked.program {
        Some(p) if !checked.diagnostics.iter().any(Diagnostic::is_error) => Ok((ws, p)),
        _ => Err(EXIT_REJECTED),
    }
}

/// How a command uses its store.
#[derive(Clone, Copy, Debug)]
pub enum Access<'a> {
    /// Listings: no lock, never waits, never creates a store.
    Read,
    /// Commands that write take the runner lock first; `wait` waits for it.
    Write {
        /// Wait for another runner instead of refusing.
        wait: bool,
        /// A stop request that ends the wait (`None`: signals keep their usual effect).
        stop: Option<&'a Stop>,
    },
}

/// The store a command works on, named as the user named it.
pub struct Db {
    /// The open store (with its runner lock when opened for writing).
    pub open: OpenStore,
    /// The `--db` argument, or the default.
    pub name: String,
    /// Whether `--db` was left out (a store created then is announced).
    implicit: bool,
}

impl Db {
    /// The store.
    pub fn store(&mut self) -> &mut dyn crate::store::Store {
        self.open.store()
    }

    /// Prints a store failure, naming the store, and returns the exit status.
    pub fn fail(&self, e: StoreError) -> Exit {
        store_failure(&self.name, &e);
        EXIT_FAILURE
    }

    /// Stops the command with the status of a signal that came before anything was written.
    pub fn stop_if_asked(&self, stop: &Stop) -> Result<(), Exit> {
        match stop.requested() {
            Some(signal) => {
                eprintln!(
                    "stopped by {} before anything was written to `{}`",
                    Stop::signal_name(signal),
                    self.name
                );
                Err(Stop::exit_status(signal))
            }
            None => Ok(()),
        }
    }

    /// Keeps the store: the command succeeded or did work worth keeping. A store created
    /// without `--db` is announced once.
    pub fn keep(&mut self) {
        if self.open.created() && self.implicit {
            eprintln!("created {} (use --db to choose another store)", self.name);
        }
        self.open.keep();
    }
}

/// From now on, `SIGINT` and `SIGTERM` ask the command to stop cleanly (`camp run`, `camp
/// import`): a wait for the store's lock ends, and the run stops between two units of work.
pub fn handle_signals() -> Result<Stop, Exit> {
    Stop::on_signals().map_err(|e| {
        eprintln!("error: cannot handle signals: {e}");
        EXIT_FAILURE
    })
}

/// Prints a store failure about the store `name`.
pub fn store_failure(name: &str, e: &StoreError) {
    match e {
        StoreError::DiskFull => eprintln!(
            "error: the disk holding `{name}` is full: free some space and run again (what was committed is intact)"
        ),
        StoreError::Locked => eprintln!(
            "error: `{name}` is locked by another program: try again when it has finished"
        ),
        e => eprintln!("error: {e}"),
    }
}

/// Opens the store named by `--db` (`db`; `default` when left out) for `access`: the one way
/// the commands reach their store. Writing takes the runner lock first.
pub fn open_store(db: Option<&str>, default: &str, access: Access) -> Result<Db, Exit> {
    let db_name = db.unwrap_or(default);
    let mut told = |holder: Option<&Holder>| {
        let who = holder.map_or_else(|| "another process".to_string(), Holder::to_string);
        eprintln!("waiting for {who} to finish with `{db_name}`");
    };
    let give_up = || stop_requested(&access).is_some();
    let store_access = match access {
        Access::Read => store::open::Access::Read,
        Access::Write { wait, .. } => store::open::Access::Write {
            command: command_line(),
            wait: if wait {
                Wait::Yes {
                    told: &mut told,
                    give_up: &give_up,
                }
            } else {
                Wait::No
            },
        },
    };
    match store::open::open(db_name, store_access) {
        Ok(open) => Ok(Db {
            open,
            name: db_name.to_string(),
            implicit: db.is_none(),
        }),
        Err(OpenError::Lock(LockError::GaveUp { .. })) => {
            let signal = stop_requested(&access).unwrap_or(0);
            eprintln!(
                "stopped by {} while waiting for `{db_name}`: nothing was done",
                Stop::signal_name(signal)
            );
            Err(Stop::exit_status(signal))
        }
        Err(OpenError::Store(_, e @ (StoreError::DiskFull | StoreError::Locked))) => {
            store_failure(db_name, &e);
            Err(EXIT_FAILURE)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_FAILURE)
        }
    }
}

/// The signal that asked a command opening its store with `access` to stop, if one did.
fn stop_requested(access: &Access<'_>) -> Option<i32> {
    match access {
        Access::Write {
            stop: Some(stop), ..
        } => stop.requested(),
        _ => None,
    }
}

/// This process's command line as a runner lock records it: `camp run onboarding.camp`.
fn command_line() -> String {
    let mut words = Vec::new();
    for (i, a) in std::env::args_os().enumerate() {
        let a = if i == 0 {
            std::path::Path::new(&a)
                .file_name()
                .map_or_else(|| a.clone(), |n| n.to_owned())
        } else {
            a
        };
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(char::is_whitespace) {
            words.push(format!("\"{a}\""));
        } else {
            words.push(a.into_owned());
        }
    }
    let line = words.join(" ");
    match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

/// Reads a time given on the command line: RFC 3339, or a script date-time in `tz`.
pub fn parse_time(flag: &str, text: &str, tz: Tz) -> Result<i64, Exit> {
    crate::engine::inputs::parse_instant(text, tz)
        .map(|t| t.timestamp())
        .ok_or_else(|| {
            eprintln!(
                "error: {flag} `{text}` is not a time: write RFC 3339 (`2026-12-01T09:00:00Z`) or `2026-12-01 09:00`"
            );
            EXIT_FAILURE
        })
}

/// The wall clock, in whole seconds.
pub fn wall_clock() -> i64 {
    Utc::now().timestamp()
}

/// Prints rows as an aligned table with a header.
pub fn print_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    out.write_all(crate::report::table(header, rows).as_bytes())
}
