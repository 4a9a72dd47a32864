//! A batch run's members: packed [`MEMBERS_PER_ROW`] to a row (each id as 8 bytes, little
//! endian), with the run's progress in `runs.done`, so that starting a run over a million
//! people writes a thousand rows, not a million, and finishing a chunk of members is one
//! update.

use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::store::layout::{pack, unpack, MEMBERS_PER_ROW};
use crate::store::{PersonId, Result, StoreError};

impl SqliteStore {
    /// Records run `run`'s members, in order (positions from 0).
    pub(super) fn insert_run_members(&self, run: i64, members: &[PersonId]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO run_members (run, first, n, people) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (k, chunk) in members.chunks(MEMBERS_PER_ROW).enumerate() {
            stmt.execute(params![
                run,
                (k * MEMBERS_PER_ROW) as i64,
                chunk.len() as i64,
                pack(chunk)
            ])?;
        }
        Ok(())
    }

    /// Up to `limit` members of run `run` not processed yet, in order, with their positions.
    pub(super) fn unprocessed_members(&self, run: i64, limit: u32) -> Result<Vec<(i64, PersonId)>> {
        let Some(done) = self
            .conn
            .prepare_cached("SELECT done FROM runs WHERE id = ?1")?
            .query_row([run], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT first, people FROM run_members WHERE run = ?1 AND first + n - 1 > ?2 ORDER BY first",
        )?;
        let mut rows = stmt.query(params![run, done])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let first: i64 = r.get(0)?;
            let bytes = r
                .get_ref(1)?
                .as_blob()
                .map_err(|_| StoreError::Corrupt(format!("members of run {run}")))?;
            for (i, id) in unpack(bytes).enumerate() {
                let ord = first + i as i64;
                if ord > done {
                    if out.len() >= limit as usize {
                        return Ok(out);
                    }
                    out.push((ord, id));
                }
            }
        }
        Ok(out)
    }

    /// Marks run `run`'s members up to position `ord` as processed.
    pub(super) fn mark_members_done(&self, run: i64, ord: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE runs SET done = ?2 WHERE id = ?1 AND done < ?2")?
            .execute(params![run, ord])?;
        self.conn
            .prepare_cached("DELETE FROM run_members WHERE run = ?1 AND first + n - 1 <= ?2")?
            .execute(params![run, ord])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_in_order_across_rows_and_leave_when_done() {
        let mut store = SqliteStore::open(":memory:").unwrap();
        let members: Vec<PersonId> = (0..(MEMBERS_PER_ROW as i64 * 2 + 10))
            .map(|i| i * 3)
            .collect();
        use crate::store::Store;
        let run = store.create_run("C", 0, &members).unwrap();
        let all = store.run_members(run, u32::MAX).unwrap();
        assert_eq!(
            all,
            members
                .iter()
                .enumerate()
                .map(|(i, p)| (i as i64, *p))
                .collect::<Vec<_>>()
        );
        assert_eq!(store.run_members(run, 2).unwrap(), all[..2]);
        store.finish_run_members(run, 1500).unwrap();
        assert_eq!(store.run_members(run, 3).unwrap(), all[1501..1504]);
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM run_members", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2, "the first row's members are all done");
        store.close_run(run).unwrap();
        assert_eq!(store.run_members(run, 10).unwrap(), Vec::new());
        assert_eq!(store.open_run().unwrap(), None);
    }
}
