//! Writing the activity log: inside a transaction, appended activities wait in memory (their
//! ids assigned in order, as SQLite would: the largest id plus one) and are written many rows
//! to a statement, before anything reads the log and before the commit. Outside a transaction
//! each is written at once. Nothing of the log is ever written outside the transaction that
//! logged it, so a crash loses or keeps the transaction whole, as before.

use rusqlite::types::Value as SqlValue;
use serde_json::Value as Json;

use super::SqliteStore;
use crate::store::layout::{split_cause, CauseCols};
use crate::store::{Activity, Result};

/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = 32;

/// Columns of one activity row, in the order of [`insert_sql`].
const COLUMNS: usize = 14;

/// Activities logged in the open transaction and not written yet.
#[derive(Debug, Default)]
pub(super) struct PendingLog {
    /// The id the next activity gets, once read in this transaction.
    next_id: Option<i64>,
    rows: Vec<[SqlValue; COLUMNS]>,
    /// The last batch-run cause written and its JSON text (a run logs the same one for every
    /// activity).
    last_cause: Option<(Json, String)>,
}

impl PendingLog {
    /// Forgets everything (a transaction starts or ends).
    pub(super) fn clear(&mut self) {
        self.next_id = None;
        self.rows.clear();
    }
}

/// `INSERT` of `n` activity rows (1 to [`ROWS_PER_INSERT`]), built once.
fn insert_sql(n: usize) -> &'static str {
    static SQL: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let row = format!("({})", vec!["?"; COLUMNS].join(", "));
        (0..=ROWS_PER_INSERT)
            .map(|n| {
                format!(
                    "INSERT INTO activities (id, at, person, email, campaign, step, type, \
                     primary_value, attributes, result, reason, depth, cause_activity, cause_run) \
                     VALUES {}",
                    vec![row.as_str(); n].join(", ")
                )
            })
            .collect()
    });
    &SQL[n.min(ROWS_PER_INSERT)]
}

impl SqliteStore {
    /// Logs an activity: the row with its names interned, written now outside a transaction,
    /// kept for [`Self::flush_log`] inside one. Returns its id.
    pub(super) fn log_activity(&self, a: &Activity) -> Result<i64> {
        let (cause, attrs) = split_cause(&a.attributes);
        let opt = |v: Option<i64>| v.map_or(SqlValue::Null, SqlValue::Integer);
        let (cause_activity, cause_run) = match cause {
            None => (None, None),
            Some(CauseCols::Activity(id)) => (Some(id), None),
            Some(CauseCols::Run(cause)) => (None, Some(self.intern(&self.cause_text(cause))?)),
        };
        let text = |v: &Option<String>| v.clone().map_or(SqlValue::Null, SqlValue::Text);
        let mut row = [
            SqlValue::Null,
            SqlValue::Integer(a.at),
            SqlValue::Integer(a.person),
            text(&a.email),
            opt(self.intern_opt(a.campaign.as_deref())?),
            opt(self.intern_opt(a.step.as_deref())?),
            SqlValue::Integer(self.intern(&a.kind)?),
            opt(self.intern_opt(a.primary.as_deref())?),
            SqlValue::Text(attrs),
            SqlValue::Integer(i64::from(crate::store::layout::outcome_code(a.outcome))),
            text(&a.reason),
            SqlValue::Integer(i64::from(a.depth)),
            opt(cause_activity),
            opt(cause_run),
        ];
        if !self.in_tx() {
            self.flush_log()?;
            self.conn
                .prepare_cached(insert_sql(1))?
                .execute(rusqlite::params_from_iter(row))?;
            return Ok(self.conn.last_insert_rowid());
        }
        let next = match self.pending.borrow().next_id {
            Some(id) => id,
            None => {
                self.conn
                    .query_row("SELECT coalesce(max(id), 0) + 1 FROM activities", [], |r| {
                        r.get(0)
                    })?
            }
        };
        row[0] = SqlValue::Integer(next);
        let full = {
            let mut pending = self.pending.borrow_mut();
            pending.next_id = Some(next + 1);
            pending.rows.push(row);
            pending.rows.len() >= ROWS_PER_INSERT
        };
        if full {
            self.flush_log()?;
        }
        Ok(next)
    }

    /// The JSON text of a batch run's cause.
    fn cause_text(&self, cause: &Json) -> String {
        let mut pending = self.pending.borrow_mut();
        match &pending.last_cause {
            Some((last, text)) if last == cause => text.clone(),
            _ => {
                let text = serde_json::to_string(cause).unwrap_or_default();
                pending.last_cause = Some((cause.clone(), text.clone()));
                text
            }
        }
    }

    /// Writes the activities kept in memory.
    pub(super) fn flush_log(&self) -> Result<()> {
        let rows = {
            let mut pending = self.pending.borrow_mut();
            if pending.rows.is_empty() {
                return Ok(());
            }
            std::mem::take(&mut pending.rows)
        };
        let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
        for chunk in &mut chunks {
            self.conn
                .prepare_cached(insert_sql(ROWS_PER_INSERT))?
                .execute(rusqlite::params_from_iter(chunk.iter().flatten()))?;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.conn
                .prepare_cached(insert_sql(rest.len()))?
                .execute(rusqlite::params_from_iter(rest.iter().flatten()))?;
        }
        Ok(())
    }
}
