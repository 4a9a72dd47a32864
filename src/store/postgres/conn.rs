//! One connection to the server: `tokio-postgres` driven on the calling thread by a runtime of
//! its own (as the synchronous `postgres` crate does), plus pipelining: writes whose answer
//! nobody waits for are kept and sent in the same round trip as the next statement that needs
//! an answer, so a unit of work pays a round trip per read, not per statement.
//!
//! Requests leave in the order they were made and the server answers them in that order; a
//! write that fails makes the transaction fail, and the error is reported by the statement that
//! carried it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::pin;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::pg_error;
use super::value::PgValue;
use crate::store::{Result, StoreError};

/// A parameter of a kept write, owned until it is sent.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// A connection, its prepared statements and its kept writes.
pub struct Conn {
    rt: Runtime,
    client: Client,
    statements: RefCell<HashMap<String, Statement>>,
    writes: RefCell<Vec<(Statement, Vec<Param>)>>,
}

/// The references `execute` takes, to owned parameters.
fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// Sends `writes` (in order) and waits for their answers.
async fn send(client: &Client, writes: &[(Statement, Vec<Param>)]) -> Result<()> {
    let sent = writes.iter().map(|(s, p)| async move {
        let refs = refs(p);
        client.execute(s, &refs).await
    });
    for r in futures_util::future::join_all(sent).await {
        r.map_err(pg_error)?;
    }
    Ok(())
}

impl Conn {
    /// Connects to `url`, named `camp` on the server, giving up after 10 s without an answer.
    pub fn open(url: &str, shown: &str) -> Result<Conn> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| {
                StoreError::Postgres(format!("`{shown}` is not a PostgreSQL URL: {e}"))
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("camp");
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unreachable(e.to_string()))?;
        let (client, connection) = rt.block_on(config.connect(NoTls)).map_err(|e| {
            let why = match e.as_db_error() {
                Some(db) => db.message().to_string(),
                None => {
                    let text = e.to_string();
                    match std::error::Error::source(&e) {
                        Some(s) => format!("{text}: {s}"),
                        None => text,
                    }
                }
            };
            StoreError::Unreachable(why)
        })?;
        // Driven whenever the thread waits for an answer.
        rt.spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn {
            rt,
            client,
            statements: RefCell::new(HashMap::new()),
            writes: RefCell::new(Vec::new()),
        })
    }

    /// Whether the server closed the connection (as far as has been seen).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The prepared statement of `sql`, prepared once per connection.
    fn stmt(&self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        // Kept writes go first: they may be what the statement's tables need.
        self.flush()?;
        let s = self
            .rt
            .block_on(self.client.prepare(sql))
            .map_err(pg_error)?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), s.clone());
        Ok(s)
    }

    /// Forgets the prepared statements (the tables they read changed).
    pub fn forget_statements(&self) {
        self.statements.borrow_mut().clear();
    }

    /// Keeps a write, to be sent with the next statement that waits for an answer.
    pub fn defer(&self, sql: &str, params: Vec<Param>) -> Result<()> {
        let s = self.stmt(sql)?;
        self.writes.borrow_mut().push((s, params));
        Ok(())
    }

    /// Sends the kept writes now.
    pub fn flush(&self) -> Result<()> {
        let writes = std::mem::take(&mut *self.writes.borrow_mut());
        if writes.is_empty() {
            return Ok(());
        }
        self.rt.block_on(send(&self.client, &writes))
    }

    /// Forgets the kept writes (their transaction is abandoned).
    pub fn discard(&self) {
        self.writes.borrow_mut().clear();
    }

    /// The rows of `sql`, sent after the kept writes in one round trip.
    pub fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let s = self.stmt(sql)?;
        let writes = std::mem::take(&mut *self.writes.borrow_mut());
        self.rt.block_on(async {
            let (w, q) = tokio::join!(send(&self.client, &writes), self.client.query(&s, params));
            w?;
            q.map_err(pg_error)
        })
    }

    /// Two statements in one round trip (after the kept writes), the second run once the first
    /// has finished (it sees what the first waited for).
    pub fn query_two(
        &self,
        first: (&str, &[&(dyn ToSql + Sync)]),
        second: (&str, &[&(dyn ToSql + Sync)]),
    ) -> Result<(Vec<Row>, Vec<Row>)> {
        let (s1, s2) = (self.stmt(first.0)?, self.stmt(second.0)?);
        let writes = std::mem::take(&mut *self.writes.borrow_mut());
        self.rt.block_on(async {
            let (w, a, b) = tokio::join!(
                send(&self.client, &writes),
                self.client.query(&s1, first.1),
                self.client.query(&s2, second.1)
            );
            w?;
            Ok((a.map_err(pg_error)?, b.map_err(pg_error)?))
        })
    }

    /// The rows changed by `sql`, sent after the kept writes in one round trip.
    pub fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let s = self.stmt(sql)?;
        let writes = std::mem::take(&mut *self.writes.borrow_mut());
        self.rt.block_on(async {
            let (w, q) = tokio::join!(send(&self.client, &writes), self.client.execute(&s, params));
            w?;
            q.map_err(pg_error)
        })
    }

    /// Statements without parameters (DDL, several at once), after the kept writes.
    pub fn batch(&self, sql: &str) -> Result<()> {
        self.flush()?;
        self.rt
            .block_on(self.client.batch_execute(sql))
            .map_err(pg_error)
    }

    /// Writes `rows` with `COPY ... FROM STDIN BINARY` (`sql`), each row's values of `types`.
    pub fn copy_in(&self, sql: &str, types: &[Type], rows: &[Vec<PgValue>]) -> Result<u64> {
        self.flush()?;
        self.rt.block_on(async {
            let sink = self.client.copy_in(sql).await.map_err(pg_error)?;
            let mut writer = pin!(BinaryCopyInWriter::new(sink, types));
            for row in rows {
                let values: Vec<&(dyn ToSql + Sync)> =
                    row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                writer.as_mut().write(&values).await.map_err(pg_error)?;
            }
            writer.finish().await.map_err(pg_error)
        })
    }
}
