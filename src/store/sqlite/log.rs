//! Writing the activity log: inside a transaction, appended activities wait in memory (their
//! ids assigned in order, as SQLite would: the largest id plus one) and are written many rows
//! to a statement, before anything reads the log and before the commit. Outside a transaction
//! each is written at once. Nothing of the log is ever written outside the transaction that
//! logged it, so a crash loses or keeps the transaction whole, as before.

use rusqlite::types::Value as SqlValue;
use serde_json::Value as Json;

use super::SqliteStore;
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

/// `INSERT` of `n` activity rows.
fn insert_sql(n: usize) -> String {
    let row = format!("({})", vec!["?"; COLUMNS].join(", "));
    format!(
        "INSERT INTO activities (id, at, person, email, campaign, step, type, primary_value, \
         attributes, result, reason, depth, cause_activity, cause_run) VALUES {}",
        vec![row.as_str(); n].join(", ")
    )
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
            SqlValue::Integer(super::outcome_code(a.outcome)),
            text(&a.reason),
            SqlValue::Integer(i64::from(a.depth)),
            opt(cause_activity),
            opt(cause_run),
        ];
        if !self.in_tx() {
            self.flush_log()?;
            self.conn
                .prepare_cached(&insert_sql(1))?
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
                .prepare_cached(&insert_sql(ROWS_PER_INSERT))?
                .execute(rusqlite::params_from_iter(chunk.iter().flatten()))?;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.conn
                .prepare_cached(&insert_sql(rest.len()))?
                .execute(rusqlite::params_from_iter(rest.iter().flatten()))?;
        }
        Ok(())
    }
}

/// The `cause` attribute (LANGUAGE.md 12) in columns: the id of the activity that started the
/// flow, or the batch run that did, whose JSON text (`{"run":"C","at":"T"}`) is interned.
#[derive(Debug, PartialEq)]
enum CauseCols<'a> {
    Activity(i64),
    Run(&'a Json),
}

/// The attributes as JSON text, with their `cause` in columns when it is their last key (as the
/// engine logs it); otherwise the whole object stays in the text.
fn split_cause(attributes: &Json) -> (Option<CauseCols<'_>>, String) {
    let whole = || {
        (
            None,
            serde_json::to_string(attributes).unwrap_or_else(|_| "{}".into()),
        )
    };
    let Some(map) = attributes.as_object() else {
        return whole();
    };
    let Some((key, cause)) = map.iter().next_back() else {
        return whole();
    };
    let cols = match cause {
        _ if key != "cause" => return whole(),
        Json::Number(n) => match n.as_i64() {
            Some(id) => CauseCols::Activity(id),
            None => return whole(),
        },
        Json::Object(_) => CauseCols::Run(cause),
        _ => return whole(),
    };
    // The object without its last key, as `serde_json::to_string` writes objects.
    let mut text = Vec::with_capacity(64);
    text.push(b'{');
    for (i, (k, v)) in map.iter().take(map.len() - 1).enumerate() {
        if i > 0 {
            text.push(b',');
        }
        let written = serde_json::to_writer(&mut text, k).and_then(|()| {
            text.push(b':');
            serde_json::to_writer(&mut text, v)
        });
        if written.is_err() {
            return whole();
        }
    }
    text.push(b'}');
    match String::from_utf8(text) {
        Ok(text) => (Some(cols), text),
        Err(_) => whole(),
    }
}

/// `attributes` read back with the `cause` of the columns, last, as it was logged.
pub(super) fn join_cause(attributes: &mut Json, activity: Option<i64>, run: Option<String>) {
    let cause = match (activity, run) {
        (Some(id), _) => Json::from(id),
        (None, Some(text)) => match serde_json::from_str(&text) {
            Ok(cause) => cause,
            Err(_) => return,
        },
        _ => return,
    };
    if let Some(map) = attributes.as_object_mut() {
        map.insert("cause".to_string(), cause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cause_in_columns_reads_back_as_it_was_logged() {
        for attrs in [
            json!({ "to": "a@example.com", "cause": { "run": "Blast", "at": "2026-12-01T09:00:00Z" } }),
            json!({ "cause": 17 }),
            json!({ "old": 0, "new": 10, "cause": 3 }),
        ] {
            let (cols, text) = split_cause(&attrs);
            let mut rest: Json = serde_json::from_str(&text).unwrap();
            assert!(rest.get("cause").is_none());
            let (a, r) = match cols.expect("compact") {
                CauseCols::Activity(id) => (Some(id), None),
                CauseCols::Run(cause) => (None, Some(serde_json::to_string(cause).unwrap())),
            };
            join_cause(&mut rest, a, r);
            assert_eq!(
                serde_json::to_string(&rest).unwrap(),
                serde_json::to_string(&attrs).unwrap()
            );
        }
    }

    #[test]
    fn a_cause_that_columns_would_not_give_back_stays_in_the_json() {
        for attrs in [
            json!({ "cause": 3, "old": 0 }),
            json!({ "cause": "text" }),
            json!({ "cause": 1.5 }),
            json!({}),
            json!(null),
        ] {
            let (cols, text) = split_cause(&attrs);
            assert_eq!(cols, None, "{attrs}");
            assert_eq!(text, serde_json::to_string(&attrs).unwrap());
        }
    }
}
