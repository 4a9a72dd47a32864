//! Aligned tables for the REPL's listings.

use std::fmt::Write as _;

use chrono_tz::Tz;

pub use crate::report::{cell, table};
use crate::report::{log_table, Layout};
use crate::store::Activity;

/// At most this many activities are listed after one input.
const MAX_SHOWN: usize = 20;

/// New activities as a table (at most [`MAX_SHOWN`] rows, times in `tz`), or nothing.
pub fn activity_table(log: &[Activity], tz: Tz) -> String {
    if log.is_empty() {
        return String::new();
    }
    let mut out = log_table(&log[..log.len().min(MAX_SHOWN)], tz, Layout::Full);
    if log.len() > MAX_SHOWN {
        let _ = writeln!(out, "… and {} more (`:log`)", log.len() - MAX_SHOWN);
    }
    out
}
