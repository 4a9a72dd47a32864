//! `camp repl [FILE...] [--db PATH] [--from T]`

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::common::{open_store, parse_time, wall_clock, Access};
use super::{EXIT_FAILURE, EXIT_OK};
use crate::repl::Session;

/// Arguments of `camp repl`.
#[derive(Debug, Args)]
pub struct ReplArgs {
    /// Scripts to load first (as `:load` does).
    files: Vec<PathBuf>,
    /// The database file (default: a throw-away store in memory). A file is held with its
    /// runner lock for the whole session.
    #[arg(long)]
    db: Option<String>,
    /// Where a new store's clock starts (RFC 3339 or `2026-12-01 09:00`; default: now).
    #[arg(long)]
    from: Option<String>,
    /// Wait for another process running the same store to finish, instead of refusing.
    #[arg(long)]
    wait: bool,
}

/// Runs `camp repl`.
pub fn run(args: &ReplArgs) -> i32 {
    let access = Access::Write {
        wait: args.wait,
        stop: None,
    };
    let mut db = match open_store(args.db.as_deref(), ":memory:", access) {
        Ok(s) => s,
        Err(code) => return code,
    };
    db.keep();
    let mut session = match Session::new(db.open, wall_clock()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    // A person at a terminal is greeted once; piped input gets only the answers.
    if std::io::stdin().is_terminal() {
        println!("{}", crate::repl::interactive::banner());
    }
    for f in &args.files {
        print!("{}", session.load(&f.display().to_string()));
    }
    if let Some(t) = &args.from {
        let tz = session.program().settings.time_zone;
        match parse_time("--from", t, tz) {
            Ok(t) => print!("{}", session.start_at(t)),
            Err(code) => return code,
        }
    }
    let code = crate::repl::interactive::run(&mut session);
    if code == 0 {
        EXIT_OK
    } else {
        code
    }
}
