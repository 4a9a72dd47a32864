//! Opening a store from a `--db` argument: the one way every command reaches its store.
//!
//! Opening for reading takes no lock and never creates anything. Opening for writing first
//! checks that the store can be written (not a directory, not a read-only file or folder), then
//! takes the runner lock ([`super::lock`]), then opens (or creates) the store. A store that the
//! opening created is removed again when the command fails ([`OpenStore`] is dropped without
//! [`OpenStore::keep`]), so a failed command never leaves a store behind.

use std::path::{Path, PathBuf};

use super::lock::{LockError, RunnerLock, Wait};
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::{Store, StoreError};

/// How a command uses its store.
pub enum Access<'a> {
    /// Reading: no lock; the store must exist.
    Read,
    /// Writing: the runner lock first, for a process started with `command`.
    Write {
        /// The command line recorded in the lock (`camp run onboarding.camp`).
        command: String,
        /// Whether to wait for the lock, and what to say once when waiting.
        wait: Wait<'a>,
    },
}

/// Where a store is, as `--db` names it (LANGUAGE.md 13.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file: a path, or `sqlite:PATH`.
    Sqlite(String),
    /// A throw-away SQLite store in memory (`:memory:`).
    Memory,
    /// A PostgreSQL database (`postgres://...` or `postgresql://...`).
    Postgres {
        /// The URL to connect with.
        url: String,
        /// The URL as shown to users: any password hidden.
        shown: String,
    },
}

impl Location {
    /// Reads a `--db` argument: `:memory:`, `sqlite:PATH`, `postgres://...`,
    /// `postgresql://...`, any other `scheme://` (refused), or a path.
    pub fn parse(db: &str) -> Result<Location, OpenError> {
        if db == ":memory:" || db == "sqlite::memory:" {
            return Ok(Location::Memory);
        }
        if let Some(path) = db.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(OpenError::Url(db.to_string(), "the path is missing".into()));
            }
            return Ok(Location::Sqlite(path.to_string()));
        }
        for scheme in ["postgres://", "postgresql://"] {
            if let Some(rest) = db.strip_prefix(scheme) {
                return Ok(Location::Postgres {
                    url: db.to_string(),
                    shown: format!("{scheme}{}", hide_password(rest)),
                });
            }
        }
        if let Some((scheme, _)) = db.split_once("://") {
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                return Err(OpenError::Url(
                    db.to_string(),
                    format!("`{scheme}` is not a kind of store: give a SQLite path, `sqlite:PATH` or `postgres://user@host/dbname`"),
                ));
            }
        }
        Ok(Location::Sqlite(db.to_string()))
    }

    /// The SQLite path (`:memory:` for a store in memory), for a SQLite location.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Memory => Some(":memory:"),
            Location::Postgres { .. } => None,
        }
    }

    /// The location as shown to users (a PostgreSQL password hidden).
    pub fn shown(&self) -> &str {
        match self {
            Location::Sqlite(p) => p,
            Location::Memory => ":memory:",
            Location::Postgres { shown, .. } => shown,
        }
    }
}

/// `user:password@host/db` with the password hidden (`user:***@host/db`).
fn hide_password(rest: &str) -> String {
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}{tail}"),
            None => rest.to_string(),
        },
        None => rest.to_string(),
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// `--db` looks like a URL camp cannot use.
    #[error("`{0}` does not name a store: {1}")]
    Url(String, String),
    /// Reading a store that does not exist.
    #[error("`{0}` does not exist: run `camp run` or `camp import` first")]
    Missing(String),
    /// The path is a directory.
    #[error("`{0}` is a directory, not a store: pass a file path with --db")]
    Directory(String),
    /// The folder the store would be in does not exist.
    #[error("the folder of `{0}` does not exist")]
    NoFolder(String),
    /// The store's file cannot be written.
    #[error("`{0}` is read-only: camp cannot write to it ({1})")]
    ReadOnly(String, String),
    /// The store's folder cannot be written (camp writes the store, its journal and its lock there).
    #[error("the folder of `{0}` is read-only: camp cannot write the store and its lock file there ({1})")]
    FolderReadOnly(String, String),
    /// Another process holds the runner lock, or the lock file is unusable.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The store itself could not be opened.
    #[error("cannot open `{0}`: {1}")]
    Store(String, StoreError),
}

/// An open store, with the runner lock when opened for writing.
pub struct OpenStore {
    /// `None` only while being dropped.
    store: Option<Box<dyn Store>>,
    /// Held as long as the store is open for writing.
    lock: Option<RunnerLock>,
    /// The store's file, when this opening created it (and it is to go if the command fails).
    created: Option<PathBuf>,
    kept: bool,
}

impl std::fmt::Debug for OpenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStore")
            .field("lock", &self.lock)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl OpenStore {
    /// The store.
    pub fn store(&mut self) -> &mut dyn Store {
        match self.store.as_deref_mut() {
            Some(s) => s,
            None => unreachable!("the store is taken only by drop"),
        }
    }

    /// The store, for reading.
    pub fn get(&self) -> &dyn Store {
        match self.store.as_deref() {
            Some(s) => s,
            None => unreachable!("the store is taken only by drop"),
        }
    }

    /// Whether this opening created the store's file.
    pub fn created(&self) -> bool {
        self.created.is_some()
    }

    /// Keeps a store this opening created (the command succeeded, or did work worth keeping).
    pub fn keep(&mut self) {
        self.kept = true;
    }
}

impl std::ops::Deref for OpenStore {
    type Target = dyn Store;

    fn deref(&self) -> &(dyn Store + 'static) {
        match self.store.as_deref() {
            Some(s) => s,
            None => unreachable!("the store is taken only by drop"),
        }
    }
}

impl std::ops::DerefMut for OpenStore {
    fn deref_mut(&mut self) -> &mut (dyn Store + 'static) {
        match self.store.as_deref_mut() {
            Some(s) => s,
            None => unreachable!("the store is taken only by drop"),
        }
    }
}

impl Drop for OpenStore {
    /// Closes the store; removes it when this opening created it and it was not kept; then
    /// releases the lock.
    fn drop(&mut self) {
        drop(self.store.take());
        if let (Some(path), false) = (&self.created, self.kept) {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
            if let Some(lock) = self.lock.take() {
                lock.remove();
            }
        }
        drop(self.lock.take());
    }
}

/// The page cache of a command that only reads, in MiB.
const READER_CACHE_MIB: u32 = 8;

/// Opens the store that `--db` names (`db`: a path, `sqlite:PATH`, `:memory:`) for `access`.
pub fn open(db: &str, access: Access<'_>) -> Result<OpenStore, OpenError> {
    let db = match Location::parse(db)? {
        Location::Postgres { url, shown } => return open_postgres(&url, &shown, access),
        Location::Memory => ":memory:".to_string(),
        Location::Sqlite(path) => path,
    };
    let db = db.as_str();
    let memory = db == ":memory:";
    let path = Path::new(db);
    if !memory && path.is_dir() {
        return Err(OpenError::Directory(db.to_string()));
    }
    let exists = !memory && path.exists();
    let lock = match access {
        Access::Read => {
            if !memory && !exists {
                return Err(OpenError::Missing(db.to_string()));
            }
            None
        }
        Access::Write { .. } if memory => None,
        Access::Write { command, wait } => {
            writable(db, exists)?;
            Some(RunnerLock::acquire(db, &command, wait)?)
        }
    };
    // Created by this opening: it did not exist before the lock was taken, and no other writer
    // can have created it since.
    let created = (lock.is_some() && !path.exists()).then(|| path.to_path_buf());
    let mut opened = OpenStore {
        store: None,
        lock,
        created,
        kept: false,
    };
    let store = SqliteStore::open(db).map_err(|e| OpenError::Store(db.to_string(), e))?;
    if opened.lock.is_none() && !memory {
        store
            .set_cache_mib(READER_CACHE_MIB)
            .map_err(|e| OpenError::Store(db.to_string(), e))?;
    }
    if opened.lock.is_some() && store.read_only() {
        return Err(OpenError::ReadOnly(
            db.to_string(),
            "the system opened it read-only".to_string(),
        ));
    }
    opened.store = Some(Box::new(store));
    Ok(opened)
}

/// Opens a PostgreSQL store. Several processes may write one at once: instead of 13.1's runner
/// lock, each unit of work is claimed as it is taken (see [`PostgresStore`]). Reading needs a
/// database camp has written.
fn open_postgres(url: &str, shown: &str, access: Access<'_>) -> Result<OpenStore, OpenError> {
    let create = matches!(access, Access::Write { .. });
    let store = PostgresStore::connect(url, shown, create)
        .map_err(|e| OpenError::Store(shown.to_string(), e))?;
    Ok(OpenStore {
        store: Some(Box::new(store)),
        lock: None,
        created: None,
        kept: false,
    })
}

/// Opens a store for the reading side of a server: no lock (the server's runner holds it).
pub fn reader(location: &Location) -> Result<Box<dyn Store + Send>, StoreError> {
    match location {
        Location::Postgres { url, shown } => {
            Ok(Box::new(PostgresStore::connect(url, shown, false)?))
        }
        _ => {
            let path = location.sqlite_path().unwrap_or(":memory:");
            Ok(Box::new(SqliteStore::open(path)?))
        }
    }
}

/// Checks, without changing anything, that the store's file (when it exists) and its folder can
/// be written.
fn writable(db: &str, exists: bool) -> Result<(), OpenError> {
    let path = Path::new(db);
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(OpenError::NoFolder(db.to_string()));
    }
    // The store's journal and lock file are written beside it.
    #[cfg(unix)]
    if let Err(e) = rustix::fs::access(folder, rustix::fs::Access::WRITE_OK) {
        let e = std::io::Error::from(e);
        return Err(OpenError::FolderReadOnly(db.to_string(), e.to_string()));
    }
    if exists {
        // Opening for writing changes nothing, not even the modification time.
        if let Err(e) = std::fs::OpenOptions::new().write(true).open(path) {
            return Err(OpenError::ReadOnly(db.to_string(), e.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let sqlite = |p: &str| Some(Location::Sqlite(p.to_string()));
        assert_eq!(Location::parse("camp.db").ok(), sqlite("camp.db"));
        assert_eq!(Location::parse("sqlite:camp.db").ok(), sqlite("camp.db"));
        assert_eq!(
            Location::parse("sqlite:///tmp/c.db").ok(),
            sqlite("/tmp/c.db")
        );
        assert_eq!(
            Location::parse("dir/with:colon.db").ok(),
            sqlite("dir/with:colon.db")
        );
        assert_eq!(Location::parse(":memory:").ok(), Some(Location::Memory));
        assert_eq!(
            Location::parse("postgres://camp:pw@db.example:5432/camp").ok(),
            Some(Location::Postgres {
                url: "postgres://camp:pw@db.example:5432/camp".into(),
                shown: "postgres://camp:***@db.example:5432/camp".into()
            })
        );
        assert_eq!(
            Location::parse("postgresql://camp@db.example/camp").ok(),
            Some(Location::Postgres {
                url: "postgresql://camp@db.example/camp".into(),
                shown: "postgresql://camp@db.example/camp".into()
            })
        );
        assert!(matches!(
            Location::parse("mysql://x/y"),
            Err(OpenError::Url(..))
        ));
        assert!(matches!(
            Location::parse("sqlite:"),
            Err(OpenError::Url(..))
        ));
    }
}
