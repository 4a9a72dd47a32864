//! A fresh PostgreSQL database per test, on the server `CAMP_TEST_POSTGRES` names (a URL to a
//! database the tests may create databases from). `tests/run` starts a throw-away cluster on a
//! loopback port and sets it; without it the PostgreSQL tests say `skipped:` with the reason
//! and pass.

// Each including crate uses only part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// A database created for one test, dropped with it.
pub struct TestDb {
    /// The database's URL, for `--db`.
    pub url: String,
    admin: String,
    name: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A new empty database named after `test`, or `None` (with the reason printed) when no
/// server is configured.
pub fn database(test: &str) -> Option<TestDb> {
    let Ok(admin) = std::env::var("CAMP_TEST_POSTGRES") else {
        eprintln!(
            "skipped: {test} needs PostgreSQL: CAMP_TEST_POSTGRES is not set (tests/run starts a throw-away cluster and sets it)"
        );
        return None;
    };
    let name = format!(
        "camp_{}_{}_{}",
        test.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(30)
            .collect::<String>()
            .to_ascii_lowercase(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("CAMP_TEST_POSTGRES=`{admin}` cannot be reached: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE template0"))
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    let url = with_database(&admin, &name);
    Some(TestDb { url, admin, name })
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestDb {
    /// A plain client on the database.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}
