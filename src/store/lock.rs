//! The runner lock (LANGUAGE.md 13.1): at most one process writes a store at a time.
//!
//! The lock is an advisory lock of the operating system (`flock`) on a file beside the store,
//! `camp.db.lock` for `camp.db`. The system releases it with the process that holds it, however
//! that process ends (kill -9 and power loss included), so a lock left by a dead process is free
//! at once: nothing is ever judged by the age of a file. The holder writes its pid, command line
//! and start time into the file, so that a refusal can name it; the file itself stays beside the
//! store (removing it would let two processes lock two different files of the same name).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};

/// Who holds a runner lock, as it recorded itself in the lock file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its command line (`camp run onboarding.camp`).
    pub command: String,
    /// When it took the lock (seconds since the Unix epoch).
    pub since: i64,
}

impl Holder {
    /// The current process, started with `command`.
    pub fn current(command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            command: command.to_string(),
            since: chrono::Utc::now().timestamp(),
        }
    }
}

impl std::fmt::Display for Holder {
    /// `pid 4242 (camp run onboarding.camp, since 14:02:11)`: the start time in local time,
    /// with its date when it is not today.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::{Local, TimeZone};
        let since = match Local.timestamp_opt(self.since, 0).single() {
            Some(t) if t.date_naive() == Local::now().date_naive() => {
                t.format("%H:%M:%S").to_string()
            }
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => self.since.to_string(),
        };
        write!(f, "pid {} ({}, since {since})", self.pid, self.command)
    }
}

/// Why the runner lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it (`None`: it has not recorded itself yet, or could not).
    #[error("{}", held_message(.store, .holder.as_ref()))]
    Held {
        /// The store, as the user named it.
        store: String,
        /// The holder, when its record could be read.
        holder: Option<Holder>,
    },
    /// Waiting for the lock was given up (a signal asked the process to stop).
    #[error("stopped while waiting for `{store}`")]
    GaveUp {
        /// The store, as the user named it.
        store: String,
    },
    /// The lock file could not be created, opened, locked or written.
    #[error("cannot lock `{}`: {source}", .lock.display())]
    Io {
        /// The lock file.
        lock: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

fn held_message(store: &str, holder: Option<&Holder>) -> String {
    match holder {
        Some(h) => format!("`{store}` is being run by {h}; wait for it or pass --wait"),
        None => format!("`{store}` is being run by another process; wait for it or pass --wait"),
    }
}

/// The runner lock of one store, held until it is dropped.
#[derive(Debug)]
pub struct RunnerLock {
    file: File,
    path: PathBuf,
}

/// Whether to wait for a lock another process holds.
pub enum Wait<'a> {
    /// Refuse at once ([`LockError::Held`]).
    No,
    /// Wait, trying again every [`RETRY`].
    Yes {
        /// Told once whom the wait is for, before waiting.
        told: &'a mut dyn FnMut(Option<&Holder>),
        /// Asked between two tries: true gives up ([`LockError::GaveUp`]).
        give_up: &'a dyn Fn() -> bool,
    },
}

/// How often a waiting process tries the lock again.
pub const RETRY: Duration = Duration::from_millis(50);

impl RunnerLock {
    /// The lock file of the store at `db`: `camp.db.lock` for `camp.db`.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of the store at `db` for a process started with `command`, or waits for
    /// it (`wait`). The lock file is created when missing.
    pub fn acquire(db: &str, command: &str, wait: Wait<'_>) -> Result<RunnerLock, LockError> {
        let path = Self::path_for(Path::new(db));
        let io = |source| LockError::Io {
            lock: path.clone(),
            source,
        };
        let mut wait = wait;
        let mut told_once = false;
        let file = loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            if !file.try_lock_exclusive().map_err(io)? {
                let holder = read_holder(&file, &path);
                match &mut wait {
                    Wait::No => {
                        return Err(LockError::Held {
                            store: db.to_string(),
                            holder,
                        })
                    }
                    Wait::Yes { told, give_up } => {
                        if !told_once {
                            told(holder.as_ref());
                            told_once = true;
                        }
                        // Tried again and again rather than blocked on, so that the wait can
                        // be given up.
                        loop {
                            if give_up() {
                                return Err(LockError::GaveUp {
                                    store: db.to_string(),
                                });
                            }
                            std::thread::sleep(RETRY);
                            if file.try_lock_exclusive().map_err(io)? {
                                break;
                            }
                        }
                    }
                }
            }
            // The holder before may have removed the file (a failed command that created the
            // store removes its lock file too): the lock counts only on the file at `path`.
            if same_file(&file, &path) {
                break file;
            }
        };
        let mut lock = RunnerLock {
            file,
            path: path.clone(),
        };
        lock.record(&Holder::current(command)).map_err(io)?;
        Ok(lock)
    }

    /// Writes the holder's record into the lock file.
    fn record(&mut self, holder: &Holder) -> std::io::Result<()> {
        let text = serde_json::to_string(holder).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.file.flush()
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl RunnerLock {
    /// Removes the lock file, then releases the lock (for a command that leaves nothing behind).
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for RunnerLock {
    /// Clears the record, then releases the lock (closing the file would release it too).
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}

/// Whether `path` still names the open `file`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// Reads the holder's record from a lock file another process holds. The holder writes it right
/// after taking the lock, so an empty record, or one naming a process that no longer exists (the
/// record of an earlier holder that was killed), is read again for a short while.
fn read_holder(file: &File, path: &Path) -> Option<Holder> {
    let mut last = None;
    for _ in 0..20 {
        // A second handle: reading through `file` would move the offset the holder does not
        // share anyway, but a fresh open also sees a file replaced meanwhile.
        let text = File::open(path)
            .and_then(|mut f| {
                let mut s = String::new();
                f.read_to_string(&mut s).map(|_| s)
            })
            .or_else(|_| {
                let mut s = String::new();
                let mut f = file;
                f.seek(SeekFrom::Start(0))?;
                f.read_to_string(&mut s).map(|_| s)
            })
            .unwrap_or_default();
        if let Ok(h) = serde_json::from_str::<Holder>(text.trim()) {
            if process_exists(h.pid) {
                return Some(h);
            }
            last = Some(h);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    last
}

/// Whether a process with this id exists (always true where that cannot be told).
fn process_exists(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder_named_then_free_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("camp.db").display().to_string();
        let first = RunnerLock::acquire(&db, "camp run a.camp", Wait::No).unwrap();
        assert!(first.path().ends_with("camp.db.lock"));
        match RunnerLock::acquire(&db, "camp run b.camp", Wait::No) {
            Err(LockError::Held {
                holder: Some(h), ..
            }) => {
                assert_eq!(h.pid, std::process::id());
                assert_eq!(h.command, "camp run a.camp");
            }
            other => panic!("expected the lock to be held: {other:?}"),
        }
        drop(first);
        let again = RunnerLock::acquire(&db, "camp run b.camp", Wait::No).unwrap();
        drop(again);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("camp.db.lock")).unwrap(),
            ""
        );
    }

    #[test]
    fn waiting_says_whom_it_waits_for_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("camp.db").display().to_string();
        let first = RunnerLock::acquire(&db, "camp run a.camp", Wait::No).unwrap();
        let db2 = db.clone();
        let waiter = std::thread::spawn(move || {
            let mut told = Vec::new();
            let lock = RunnerLock::acquire(
                &db2,
                "camp run b.camp",
                Wait::Yes {
                    told: &mut |h| told.push(h.map(|h| h.command.clone())),
                    give_up: &|| false,
                },
            );
            (lock.is_ok(), told)
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        let (ok, told) = waiter.join().unwrap();
        assert!(ok);
        assert_eq!(told, vec![Some("camp run a.camp".to_string())]);
    }

    #[test]
    fn a_wait_can_be_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("camp.db").display().to_string();
        let _first = RunnerLock::acquire(&db, "camp run a.camp", Wait::No).unwrap();
        let tries = std::cell::Cell::new(0);
        let second = RunnerLock::acquire(
            &db,
            "camp run b.camp",
            Wait::Yes {
                told: &mut |_| {},
                give_up: &|| {
                    tries.set(tries.get() + 1);
                    tries.get() > 2
                },
            },
        );
        assert!(
            matches!(second, Err(LockError::GaveUp { .. })),
            "{second:?}"
        );
    }

    #[test]
    fn the_holder_reads_in_local_time() {
        let h = Holder {
            pid: 4242,
            command: "camp run onboarding.camp".into(),
            since: chrono::Utc::now().timestamp(),
        };
        let text = h.to_string();
        assert!(text.starts_with("pid 4242 (camp run onboarding.camp, since "));
        // Today: the time alone, `HH:MM:SS`.
        assert_eq!(
            text.len(),
            "pid 4242 (camp run onboarding.camp, since 14:02:11)".len()
        );
    }
}
