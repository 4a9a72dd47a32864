//! Stopping a run cleanly: `SIGINT` and `SIGTERM` ask the engine to finish the unit of work in
//! hand, commit and return (LANGUAGE.md 13.1, 9.7). A second signal ends the process at once,
//! which is as safe as a crash: the open transaction is rolled back by the store.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};

/// A request to stop, shared between whoever asks (a signal handler, a test) and the engine,
/// which looks at it between units of work.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    /// The signal that asked (0: none yet).
    signal: Arc<AtomicUsize>,
}

impl Stop {
    /// A request nobody has made yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A request that `SIGINT` and `SIGTERM` make. After the first of them, a second one ends
    /// the process at once with status 130 or 143.
    pub fn on_signals() -> std::io::Result<Stop> {
        let stop = Stop::new();
        let asked = Arc::new(AtomicBool::new(false));
        for (signal, status) in [(SIGINT, 130), (SIGTERM, 143)] {
            // The shutdown goes first: it acts only once `asked` is set by an earlier signal.
            signal_hook::flag::register_conditional_shutdown(signal, status, Arc::clone(&asked))?;
            signal_hook::flag::register_usize(signal, Arc::clone(&stop.signal), signal as usize)?;
            signal_hook::flag::register(signal, Arc::clone(&asked))?;
        }
        Ok(stop)
    }

    /// Asks to stop, as `signal` would.
    pub fn request(&self, signal: i32) {
        self.signal.store(signal.max(1) as usize, Ordering::SeqCst);
    }

    /// The signal that asked to stop, if one did.
    pub fn requested(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s as i32),
        }
    }

    /// The signal's name (`SIGINT`, `SIGTERM`).
    pub fn signal_name(signal: i32) -> String {
        match signal {
            SIGINT => "SIGINT".to_string(),
            SIGTERM => "SIGTERM".to_string(),
            s => format!("signal {s}"),
        }
    }

    /// The exit status of a process stopped by `signal`: 128 + its number (130, 143).
    pub fn exit_status(signal: i32) -> i32 {
        128 + signal
    }
}
