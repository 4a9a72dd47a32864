//! `camp serve` (LANGUAGE.md 13.2): the campaigns running live behind an HTTP API.
//!
//! Two sides share one store:
//! - the runner ([`runner`]) owns the store's writing connection and the engine, on the thread
//!   that opened the store. It follows the wall clock: it runs everything due, then sleeps until
//!   the next due instant or until a request arrives. Requests that write (events, people) reach
//!   it through a channel; a run in progress gives way to them between two units of work, so a
//!   large batch run never holds back an event's commit;
//! - the HTTP side ([`http`]), axum on a tokio runtime of its own thread. Reading requests go
//!   through read-only connections of their own ([`reads`]): SQLite's write-ahead log lets them
//!   read what is committed while the runner writes.
//!
//! With `--deliver`, the runner also hands the outbox's due rows to their target
//! ([`crate::deliver`]), in short slices between its other work.
//!
//! The same HTTP side serves a read-only web view at `/` ([`web`]), reading like the API.
//!
//! Scripts are reloaded on `SIGHUP` or a change of a script file ([`watch`]). `SIGINT` and
//! `SIGTERM` stop the HTTP side from accepting, let the requests in hand finish, and end the
//! runner between two units of work, after a commit.
//!
//! Choices where the contract is silent are in `docs/serve.md`.

pub mod auth;
pub mod http;
pub mod metrics;
pub mod reads;
pub mod runner;
pub mod watch;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use auth::ApiKeys;

/// How `camp serve` was asked to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on (port 0: one the system chooses; the bound address is printed).
    pub listen: SocketAddr,
    /// The API keys requests must carry (none: every request is let in, loopback only).
    pub keys: ApiKeys,
    /// The certificate chain and private key (PEM) to serve HTTPS with.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The store, for the reading connections.
    pub db: crate::store::open::Location,
    /// The script files, watched for changes.
    pub files: Vec<PathBuf>,
    /// Where the outbox's rows are delivered.
    pub deliver: crate::deliver::Target,
}

/// Why `camp serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound, or the TLS files could not be read.
    #[error("cannot listen on `{0}`: {1}")]
    Listen(SocketAddr, String),
    /// The HTTP side could not start.
    #[error("cannot start the HTTP server: {0}")]
    Start(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Serves `live` (a program and its texts) over `store` (opened for writing, its runner lock
/// held) until `stop` is requested; `loader` reloads the scripts; `deliverer`, made for the
/// program with `config.deliver`, delivers (`None` with the target `none`). The bound address
/// is printed on standard output as `listening on http://ADDR` (or `https://`) before anything
/// is served.
pub fn run(
    live: reads::Live,
    store: &mut dyn crate::store::Store,
    config: Config,
    stop: crate::engine::stop::Stop,
    loader: runner::Loader<'_>,
    deliverer: Option<crate::deliver::Deliverer>,
) -> Result<(), ServeError> {
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("camp-http")
        .build()
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let tls = match &config.tls {
        None => None,
        Some((cert, key)) => {
            // ring builds with a C compiler alone; its lack of post-quantum key exchange is
            // the reason for the deprecation.
            #[allow(deprecated)]
            let _ = rustls::crypto::ring::default_provider().install_default();
            let loaded = rt.block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(
                cert, key,
            ));
            Some(loaded.map_err(|e| {
                ServeError::Listen(
                    config.listen,
                    format!(
                        "cannot use `{}` and `{}` for TLS: {e}",
                        cert.display(),
                        key.display()
                    ),
                )
            })?)
        }
    };
    // The store is ready for the program before anyone reads it; its clock starts now.
    store.prepare(&live.program)?;
    if store.clock()?.is_none() {
        store.set_clock(chrono::Utc::now().timestamp())?;
    }
    let last_activity = store.last_activity_id()?;

    let listener = std::net::TcpListener::bind(config.listen)
        .and_then(|l| l.set_nonblocking(true).map(|_| l))
        .map_err(|e| ServeError::Listen(config.listen, e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Listen(config.listen, e.to_string()))?;

    let current = Arc::new(reads::Current::new(live));
    let reload = Arc::new(AtomicBool::new(false));
    if let Err(e) = watch::on_sighup(&reload) {
        tracing::warn!(error = %e, "SIGHUP will not reload the scripts");
    }
    let _watcher = match watch::on_change(&config.files, &reload) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "changes of the script files will not be noticed (SIGHUP reloads)");
            None
        }
    };
    let metrics = Arc::new(metrics::Metrics::new(last_activity));
    let delivery = runner::Delivery::new(config.deliver.clone(), deliverer, Arc::clone(&metrics));
    let (mut runner, handle) =
        runner::runner(store, Arc::clone(&current), stop, reload, loader, delivery);
    let state = Arc::new(http::AppState {
        runner: handle,
        reads: reads::ReadPool::new(config.db.clone()),
        current,
        metrics,
        keys: config.keys.clone(),
        sessions: web::Sessions::new(config.tls.is_some())
            .map_err(|e| ServeError::Start(e.to_string()))?,
    });
    let server = axum_server::Handle::new();
    let serving = {
        let server = server.clone();
        let tls = tls.clone();
        std::thread::Builder::new()
            .name("camp-http".to_string())
            .spawn(move || rt.block_on(http::serve(listener, tls, state, server)))
            .map_err(|e| ServeError::Start(e.to_string()))?
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{addr}");
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, tls = tls.is_some(), keys = !config.keys.is_empty(), "serving");

    let result = runner.run();
    // Stop accepting; the requests in hand are answered, then the HTTP side ends.
    server.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    let drained = runner.drain(|| serving.is_finished());
    match serving.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "the HTTP server failed"),
        Err(_) => tracing::error!("the HTTP server panicked"),
    }
    result?;
    drained?;
    tracing::info!("stopped: the work done is committed");
    Ok(())
}
