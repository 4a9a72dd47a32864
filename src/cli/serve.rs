//! `camp serve FILE... [--db PATH] [--listen ADDR] [--deliver none|file:DIR|smtp:URL] [--wait]
//! [--log-format human|json] [--tls-cert PEM --tls-key PEM]`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::common::{handle_signals, load_program, open_store, Access, Exit};
use super::{EXIT_FAILURE, EXIT_OK};
use crate::check::ir::Program;
use crate::deliver::{DeliverError, Deliverer, Target};
use crate::explain::Texts;
use crate::serve::reads::Live;
use crate::serve::{ApiKeys, Config};
use crate::store::open::Location;
use crate::workspace::Workspace;

/// Arguments of `camp serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The workspace's files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The database file (default `camp.db`).
    #[arg(long)]
    db: Option<String>,
    /// The address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8925")]
    listen: String,
    /// Where messages go: `none` (the outbox only), `file:DIR` or `smtp:URL`.
    #[arg(long, default_value = "none")]
    deliver: String,
    /// Wait for another process running the same store to finish, instead of refusing.
    #[arg(long)]
    wait: bool,
    /// How logs on standard error look.
    #[arg(long, value_enum, default_value = "human")]
    log_format: LogFormat,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// How logs look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event of note.
    Human,
    /// One JSON object per line.
    Json,
}

/// Runs `camp serve`.
pub fn run(args: &ServeArgs) -> i32 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

/// Sends logs to standard error, at `info` (`CAMP_LOG=debug` for every request).
fn init_logs(format: LogFormat) {
    let level = match std::env::var("CAMP_LOG").ok().as_deref() {
        Some("debug") => tracing::Level::DEBUG,
        Some("warn") => tracing::Level::WARN,
        Some("error") => tracing::Level::ERROR,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    let _ = match format {
        LogFormat::Human => builder.with_ansi(super::stderr_color()).try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}

/// A delivery setting that cannot be used, in the words of `camp deliver`.
fn refuse(e: DeliverError) -> Exit {
    eprintln!("error: {e}");
    EXIT_FAILURE
}

/// A checked program with its scripts and their texts.
fn with_texts(ws: &Workspace, program: Program) -> Live {
    Live {
        texts: Arc::new(Texts::new(&ws.scripts, &ws.sources)),
        program: Arc::new(program),
        scripts: Arc::new(ws.scripts.clone()),
        sources: Arc::new(ws.sources.clone()),
    }
}

fn run_inner(args: &ServeArgs) -> Result<(), Exit> {
    init_logs(args.log_format);
    let target = Target::parse(&args.deliver).map_err(refuse)?;
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        eprintln!(
            "error: --listen `{}` is not an address: write IP:PORT, like `127.0.0.1:8925`",
            args.listen
        );
        EXIT_FAILURE
    })?;
    let keys = ApiKeys::from_env();
    if keys.is_empty() && !listen.ip().is_loopback() {
        eprintln!(
            "error: no API key is configured: set CAMP_API_KEYS (comma-separated keys) to listen on `{listen}`, or listen on a loopback address"
        );
        return Err(EXIT_FAILURE);
    }
    let db_name = args.db.clone().unwrap_or_else(|| "camp.db".to_string());
    let location = match Location::parse(&db_name) {
        Ok(Location::Memory) => {
            eprintln!("error: camp serve needs a store file: pass --db PATH");
            return Err(EXIT_FAILURE);
        }
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(EXIT_FAILURE);
        }
    };
    let (ws, program) = load_program(&args.files)?;
    // A missing sender is reported before the store is opened, as `camp deliver` does.
    let deliverer = match target {
        Target::None => None,
        _ => Some(Deliverer::new(&program, target.clone()).map_err(refuse)?),
    };
    let live = with_texts(&ws, program);
    let stop = handle_signals()?;
    let access = Access::Write {
        wait: args.wait,
        stop: Some(&stop),
    };
    let mut db = open_store(Some(&db_name), "camp.db", access)?;
    db.keep();
    let files = args.files.clone();
    let loader = Box::new(move || load_program(&files).ok().map(|(ws, p)| with_texts(&ws, p)));
    let config = Config {
        listen,
        keys,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        db: location,
        files: args.files.clone(),
        deliver: target,
    };
    match crate::serve::run(live, db.store(), config, stop, loader, deliverer) {
        Ok(()) => Ok(()),
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_FAILURE)
        }
    }
}
