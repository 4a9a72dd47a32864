//! Checkpointing the write-ahead log beside the writer. A commit that finds the log past
//! `wal_autocheckpoint` pages copies it back into the database file itself, and waits for the
//! disk while it does; a writing store instead leaves that to a thread of its own, with its own
//! connection, that checkpoints (`PASSIVE`: never waiting for, nor blocking, the writer or any
//! reader) every [`EVERY`]. The writer's own automatic checkpoint stays as a backstop, at a
//! larger size ([`BACKSTOP_PAGES`]), should the thread fall behind or fail.
//!
//! A checkpoint only copies committed pages from one file of SQLite's to the other, as SQLite
//! would on the writer's thread: a crash at any point leaves the database as the last commit
//! left it.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How often the thread checkpoints.
const EVERY: Duration = Duration::from_millis(250);

/// The writer's own automatic checkpoint while the thread runs, in pages (256 MiB of 4 KiB
/// pages).
pub(super) const BACKSTOP_PAGES: u32 = 65_536;

/// The checkpointing thread of one store; stopped (and joined) when dropped.
pub(super) struct Checkpointer {
    /// Dropped to stop the thread.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer").finish_non_exhaustive()
    }
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`; `None` when it cannot be opened a second
    /// time (the writer then checkpoints on its own, as SQLite does by default).
    pub(super) fn start(path: &str) -> Option<Checkpointer> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        let (stop, stopped) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("camp-checkpoint".into())
            .spawn(move || {
                // Every `EVERY` until the store lets go of the sender.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    // A failure (the file gone, a full disk) is the writer's to meet and
                    // report: the backstop checkpoint then runs on its thread.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
