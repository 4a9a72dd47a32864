//! Aligned tables for the REPL's listings.

use std::fmt::Write as _;

pub use crate::report::{activity_row, cell, table, LOG_HEADER};
use crate::store::Activity;

/// At most this many activities are listed after one input.
const MAX_SHOWN: usize = 20;

/// New activities as a table (at most [`MAX_SHOWN`] rows), or nothing.
pub fn activity_table(log: &[Activity]) -> String {
    if log.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = log.iter().take(MAX_SHOWN).map(activity_row).collect();
    let mut out = table(LOG_HEADER, &rows);
    if log.len() > MAX_SHOWN {
        let _ = writeln!(out, "… and {} more (`:log`)", log.len() - MAX_SHOWN);
    }
    out
}
