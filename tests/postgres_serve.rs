//! Several `camp serve` processes on one PostgreSQL store (LANGUAGE.md 13.2, 13.3, 13.4), with
//! the real binary, a real HTTP client and a real SMTP server on loopback: events posted to
//! either server run once, each email goes out once, and a server killed with SIGKILL loses
//! nothing: the other one finishes its work, sending an email at most once more.
//!
//! The tests need a server: `CAMP_TEST_POSTGRES` (set by `tests/run`); without it they say
//! `skipped:`.

#[path = "support/postgres.rs"]
mod postgres_db;
#[path = "support/servers.rs"]
mod servers;
#[path = "support/serving.rs"]
mod serving;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serving::{agent, get, post, sign_up_with_sender, Server};

fn sign_up(i: usize) -> String {
    format!(
        r#"{{"type":"fills_out_form","person":"p{i}@example.com","form":"Sign Up","fields":{{"first_name":"P{i}"}}}}"#
    )
}

/// Waits up to `within` for `f` to say yes.
fn until(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < within, "waited {within:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many emails each recipient was sent.
fn tries(smtp: &servers::SmtpServer) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for r in smtp.received() {
        *out.entry(r.rcpt).or_default() += 1;
    }
    out
}

/// The number of succeeded activities of `kind` in the store.
fn count(db: &postgres_db::TestDb, kind: &str) -> i64 {
    db.client()
        .query_one(
            "SELECT count(*) FROM activities a JOIN names t ON t.id = a.type
             WHERE t.name = $1 AND a.result = 0",
            &[&kind],
        )
        .unwrap()
        .get(0)
}

fn start(dir: &std::path::Path, db: &postgres_db::TestDb, smtp: &servers::SmtpServer) -> Server {
    Server::start(
        dir,
        "s.camp",
        &db.url,
        &["--deliver", &format!("smtp:{}", smtp.url)],
        &[],
    )
}

#[test]
fn two_servers_on_one_store_run_each_event_and_send_each_email_once() {
    let Some(db) = postgres_db::database("serve_two") else {
        return;
    };
    let smtp = servers::SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), sign_up_with_sender()).unwrap();
    let a = start(dir.path(), &db, &smtp);
    let b = start(dir.path(), &db, &smtp);
    let agent = agent();
    const N: usize = 120;
    for i in 0..N {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, body) = post(&agent, &server.url("/v1/events"), &sign_up(i));
        assert_eq!(status, 202, "{body}");
    }
    until(Duration::from_secs(60), "every email", || {
        count(&db, "email_delivered") == N as i64
    });
    let sent = tries(&smtp);
    assert_eq!(sent.len(), N, "every person got their email");
    assert!(
        sent.values().all(|n| *n == 1),
        "an email went out twice: {sent:?}"
    );
    assert_eq!(count(&db, "fill_out_form"), N as i64);
    assert_eq!(count(&db, "send_email"), N as i64);
    // Either server answers for the whole store.
    let (status, body) = get(&agent, &b.url("/v1/people/p0@example.com/log"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("email_delivered"), "{body}");
}

#[test]
fn a_server_killed_mid_way_loses_nothing_and_the_other_finishes() {
    let Some(db) = postgres_db::database("serve_kill") else {
        return;
    };
    let smtp = servers::SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), sign_up_with_sender()).unwrap();
    let mut a = start(dir.path(), &db, &smtp);
    let agent = agent();
    const N: usize = 300;
    // Everything is accepted by the server that will die.
    for i in 0..N {
        let (status, body) = post(&agent, &a.url("/v1/events"), &sign_up(i));
        assert_eq!(status, 202, "{body}");
    }
    until(Duration::from_secs(30), "a first delivery", || {
        !smtp.received().is_empty()
    });
    a.signal("KILL");
    let _ = a.wait(Duration::from_secs(10));
    let b = start(dir.path(), &db, &smtp);
    until(Duration::from_secs(90), "every email", || {
        count(&db, "email_delivered") >= N as i64
    });
    assert_eq!(count(&db, "fill_out_form"), N as i64, "{}", b.logs());
    assert_eq!(count(&db, "send_email"), N as i64);
    let sent = tries(&smtp);
    assert_eq!(sent.len(), N, "every person got their email");
    assert!(
        sent.values().all(|n| *n <= 2),
        "an email went out more than once more: {sent:?}"
    );
    // A repeated email is the same message: the same idempotency key.
    let mut ids: HashMap<String, Vec<String>> = HashMap::new();
    for r in smtp.received() {
        let id = r
            .data
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .unwrap_or_default()
            .to_string();
        ids.entry(r.rcpt).or_default().push(id);
    }
    for (rcpt, seen) in ids {
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{rcpt}: {seen:?}");
    }
}

/// Cuts every connection camp has to the test's database, as a server restart or a network
/// failure would.
fn cut_connections(db: &postgres_db::TestDb) -> i64 {
    db.client()
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'camp'",
            &[],
        )
        .unwrap()
        .len() as i64
}

#[test]
fn a_server_whose_connections_are_cut_connects_again_and_goes_on() {
    let Some(db) = postgres_db::database("serve_cut") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), sign_up_with_sender()).unwrap();
    let mut server = Server::start(dir.path(), "s.camp", &db.url, &[], &[]);
    let agent = agent();
    let (status, body) = post(&agent, &server.url("/v1/events"), &sign_up(0));
    assert_eq!(status, 202, "{body}");
    until(Duration::from_secs(10), "the first event", || {
        count(&db, "fill_out_form") == 1
    });
    assert!(cut_connections(&db) >= 1, "no connection of camp's to cut");
    // A request may fail while the server connects again; an accepted one is never lost.
    let mut accepted: i64 = 0;
    let mut last = 0;
    for i in 1..=20 {
        let (status, _) = post(&agent, &server.url("/v1/events"), &sign_up(i));
        if status == 202 {
            accepted += 1;
            last = i;
        } else {
            assert!(status >= 500, "{status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        accepted >= 10,
        "only {accepted} of 20 accepted after the cut"
    );
    until(Duration::from_secs(15), "every accepted event", || {
        count(&db, "fill_out_form") == 1 + accepted
    });
    assert_eq!(count(&db, "send_email"), 1 + accepted);
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "{}",
        server.logs()
    );
    // The readers connect again too.
    let (status, body) = get(
        &agent,
        &server.url(&format!("/v1/people/p{last}@example.com/log")),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("send_email"), "{body}");
    let (status, body) = get(&agent, &server.url("/health"));
    assert_eq!(status, 200, "{body}");
    server.signal("TERM");
    assert_eq!(
        server.wait(Duration::from_secs(10)),
        Some(0),
        "{}",
        server.logs()
    );
}
