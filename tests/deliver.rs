//! `camp deliver` against real servers on loopback (LANGUAGE.md 13.3): SMTP outcomes and
//! retries in store time, bounces that set `email_invalid` and fire `email bounces`
//! campaigns, webhooks with their status and `Idempotency-Key`, `file:` delivery, giving up
//! after a day, a missing sender, the upgrade of an older store, and kill -9 at random instants
//! without a lost message and with at most one repeat per kill.

#[path = "support/servers.rs"]
mod servers;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use serde_json::Value;
use servers::{HttpServer, SmtpServer, SmtpTls};

const T0: &str = "2026-12-01T09:00:00Z";

fn camp(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir)
        .env("CAMP_WEBHOOK_TIMEOUT_MS", "500")
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A workspace: the script, people, and a store run up to `T0`.
fn setup(script: &str, people: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.camp"), script).unwrap();
    std::fs::write(dir.path().join("p.csv"), people).unwrap();
    ok(camp(
        dir.path(),
        &[
            "run", "s.camp", "--db", "t.db", "--people", "p.csv", "--from", T0, "--until", T0,
        ],
    ));
    dir
}

fn deliver(dir: &Path, target: &str) -> Output {
    camp(
        dir,
        &["deliver", "s.camp", "--db", "t.db", "--deliver", target],
    )
}

fn advance(dir: &Path, to: &str) {
    ok(camp(dir, &["run", "s.camp", "--db", "t.db", "--until", to]));
}

/// The outbox as JSON objects keyed by recipient.
fn outbox(dir: &Path) -> HashMap<String, Value> {
    let rows = json_lines(&ok(camp(
        dir,
        &["outbox", "--db", "t.db", "--format", "json"],
    )));
    rows.into_iter()
        .map(|r| (r["to"].as_str().unwrap().to_string(), r))
        .collect()
}

fn log(dir: &Path) -> Vec<Value> {
    json_lines(&ok(camp(dir, &["log", "--db", "t.db", "--format", "json"])))
}

const EMAIL_SCRIPT: &str = r#"
settings { from "Acme News <news@acme.example>" }
schema person { first_name: text }
list "Bounced"
email "Welcome" {
  subject "Hi {{person.first_name}}"
  body "<p>Hello {{person.first_name}}, see <a href=\"https://acme.example/x\">this</a></p>"
}
email "Receipt" {
  subject "Your receipt"
  body "Thanks"
  operational
}
trigger campaign "Greet" {
  smart list { trigger person is created }
  flow {
    send email "Welcome"
    send alert "Receipt" to "sales@acme.example"
  }
}
trigger campaign "Bounces" {
  smart list { trigger email bounces "Welcome" }
  flow { add to list "Bounced" }
}
trigger campaign "Thanks for reading" {
  smart list { trigger email is delivered "Welcome" }
  flow { change score by 1 }
}
"#;

const EMAIL_PEOPLE: &str = "email,first_name\n\
ok@mail.example,Ann <b>&\n\
temp@mail.example,Tom\n\
bad@mail.example,Bea\n\
drop@mail.example,Dan\n";

#[test]
fn smtp_outcomes_retries_and_bounces() {
    let smtp = SmtpServer::start();
    let dir = setup(EMAIL_SCRIPT, EMAIL_PEOPLE);
    let d = dir.path();
    let out = ok(deliver(d, &smtp.url));
    let _ = out;

    let rows = outbox(d);
    assert_eq!(rows["ok@mail.example"]["delivery"], "delivered");
    assert_eq!(rows["ok@mail.example"]["status"], 250);
    assert_eq!(rows["sales@acme.example"]["delivery"], "delivered");
    assert_eq!(rows["bad@mail.example"]["delivery"], "bounced");
    assert_eq!(rows["bad@mail.example"]["status"], 550);
    for to in ["temp@mail.example", "drop@mail.example"] {
        assert_eq!(rows[to]["delivery"], "retrying", "{to}");
        assert_eq!(rows[to]["attempts"], 1);
        assert_eq!(rows[to]["next_try"], "2026-12-01T09:01:00Z");
    }

    // The bounce set `email_invalid` and fired the `email bounces` campaign.
    let people = json_lines(&ok(camp(
        d,
        &["people", "--db", "t.db", "--format", "json"],
    )));
    let bea = people
        .iter()
        .find(|p| p["email"] == "bad@mail.example")
        .unwrap();
    assert_eq!(bea["email_invalid"], true);
    assert_eq!(bea["lists"], serde_json::json!(["Bounced"]));
    let ann = people
        .iter()
        .find(|p| p["email"] == "ok@mail.example")
        .unwrap();
    assert_eq!(ann["email_invalid"], false);
    assert_eq!(ann["score"], 1);
    let entries = log(d);
    let bounce = entries
        .iter()
        .find(|a| a["type"] == "email_bounced")
        .unwrap();
    assert_eq!(bounce["email"], "bad@mail.example");
    assert_eq!(bounce["result"], "succeeded");
    assert_eq!(bounce["attributes"]["status"], 550);
    assert!(entries
        .iter()
        .any(|a| a["type"] == "add_to_list" && a["campaign"] == "Bounces"));

    // Nothing is due again before the next try, in store time.
    ok(deliver(d, &smtp.url));
    assert_eq!(smtp.tries("temp@mail.example"), 1);
    advance(d, "2026-12-01T09:01:00Z");
    ok(deliver(d, &smtp.url));
    let rows = outbox(d);
    for to in ["temp@mail.example", "drop@mail.example"] {
        assert_eq!(rows[to]["delivery"], "delivered", "{to}");
        assert_eq!(rows[to]["attempts"], 2);
        assert_eq!(smtp.tries(to), 2);
    }
    assert_eq!(smtp.tries("bad@mail.example"), 1, "a bounce is not retried");

    // One message accepted per row, each a valid MIME message with its headers.
    let received = smtp.received();
    let mut rcpts: Vec<&str> = received.iter().map(|r| r.rcpt.as_str()).collect();
    rcpts.sort();
    assert_eq!(
        rcpts,
        [
            "drop@mail.example",
            "ok@mail.example",
            "sales@acme.example",
            "sales@acme.example",
            "sales@acme.example",
            "sales@acme.example",
            "temp@mail.example"
        ]
    );
    let ann_row = &rows["ok@mail.example"];
    let ann_msg = received
        .iter()
        .find(|r| r.rcpt == "ok@mail.example")
        .unwrap();
    let m = MessageParser::default()
        .parse(ann_msg.data.as_bytes())
        .unwrap();
    // `<KEY.STORE@DOMAIN>`: the outbox key, then the store's identity.
    let id = m.message_id().unwrap();
    let (key, store) = id.split_once('@').unwrap().0.split_once('.').unwrap();
    assert_eq!(key, ann_row["key"].as_str().unwrap());
    assert_eq!(store.len(), 16, "{id}");
    assert!(id.ends_with("@acme.example"), "{id}");
    // The same store identity on every message, and in the repeated message of a retry.
    for r in &received {
        let m = MessageParser::default().parse(r.data.as_bytes()).unwrap();
        assert!(m.message_id().unwrap().contains(&format!(".{store}@")));
    }
    assert_eq!(m.subject(), Some("Hi Ann <b>&"));
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("news@acme.example"));
    assert_eq!(from.name(), Some("Acme News"));
    assert_eq!(
        m.to().unwrap().first().unwrap().address(),
        Some("ok@mail.example")
    );
    let html = m.body_html(0).unwrap();
    assert!(html.contains("Hello Ann &lt;b&gt;&amp;, see"), "{html}");
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("Hello Ann <b>&, see this (https://acme.example/x)"),
        "{text}"
    );
    assert!(m
        .header_raw("List-Unsubscribe")
        .is_some_and(|v| v.contains("mailto:news@acme.example")));
    // The operational alert has no List-Unsubscribe.
    let alert = received
        .iter()
        .find(|r| r.rcpt == "sales@acme.example")
        .unwrap();
    let a = MessageParser::default()
        .parse(alert.data.as_bytes())
        .unwrap();
    assert!(a.header_raw("List-Unsubscribe").is_none());
    assert_eq!(a.body_text(0).as_deref(), Some("Thanks"));
}

/// `camp deliver` to `server` with `env` set (the CA file is written into the workspace).
fn deliver_with(dir: &Path, server: &SmtpServer, env: &[(&str, &str)]) -> Output {
    std::fs::write(dir.join("ca.pem"), &server.ca_pem).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_camp"));
    cmd.current_dir(dir)
        .env_remove("CAMP_SMTP_USER")
        .env_remove("CAMP_SMTP_PASSWORD")
        .env_remove("CAMP_SMTP_CA")
        .args([
            "deliver",
            "s.camp",
            "--db",
            "t.db",
            "--deliver",
            &server.url,
        ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const ONE_PERSON: &str = "email,first_name\nok@mail.example,Ann\n";

/// `camp deliver` to a STARTTLS server trusting its authority, logging in as `camp`.
fn deliver_logged_in(dir: &Path, server: &SmtpServer, password: &str) -> Output {
    deliver_with(
        dir,
        server,
        &[
            ("CAMP_SMTP_CA", "ca.pem"),
            ("CAMP_SMTP_USER", "camp"),
            ("CAMP_SMTP_PASSWORD", password),
        ],
    )
}

#[test]
fn starttls_and_auth_carry_the_message_encrypted_and_authenticated() {
    let smtp = SmtpServer::start_with(SmtpTls::StartTls, Some(("camp", "s3cret")));
    let dir = setup(EMAIL_SCRIPT, ONE_PERSON);
    let d = dir.path();
    ok(deliver_logged_in(d, &smtp, "s3cret"));
    let got = smtp.received();
    assert_eq!(got.len(), 2, "the email and the alert");
    assert!(got
        .iter()
        .all(|r| r.tls && r.user.as_deref() == Some("camp")));
    assert_eq!(outbox(d)["ok@mail.example"]["delivery"], "delivered");
}

#[test]
fn implicit_tls_delivers_over_smtps() {
    let smtp = SmtpServer::start_with(SmtpTls::Implicit, None);
    assert!(smtp.url.starts_with("smtps://"));
    let dir = setup(EMAIL_SCRIPT, ONE_PERSON);
    let d = dir.path();
    ok(deliver_with(d, &smtp, &[("CAMP_SMTP_CA", "ca.pem")]));
    let got = smtp.received();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r.tls));
    let m = MessageParser::default()
        .parse(got[0].data.as_bytes())
        .unwrap();
    assert!(m.message_id().is_some());
}

#[test]
fn a_refused_login_or_an_untrusted_certificate_retries_and_never_bounces() {
    // Wrong password: the server answers 535 to AUTH; the message waits for a retry.
    let smtp = SmtpServer::start_with(SmtpTls::StartTls, Some(("camp", "s3cret")));
    let dir = setup(EMAIL_SCRIPT, ONE_PERSON);
    let d = dir.path();
    ok(deliver_logged_in(d, &smtp, "wrong"));
    assert!(smtp.received().is_empty());
    let row = &outbox(d)["ok@mail.example"];
    assert_eq!(row["delivery"], "retrying", "{row}");
    assert!(
        row["error"]
            .as_str()
            .unwrap()
            .contains("authentication failed"),
        "{row}"
    );
    assert!(log(d).iter().all(|a| a["type"] != "email_bounced"));

    // The server's certificate is signed by an authority the client does not trust.
    let smtp = SmtpServer::start_with(SmtpTls::Implicit, None);
    let dir = setup(EMAIL_SCRIPT, ONE_PERSON);
    let d = dir.path();
    ok(deliver_with(d, &smtp, &[]));
    assert!(smtp.received().is_empty());
    let row = &outbox(d)["ok@mail.example"];
    assert_eq!(row["delivery"], "retrying", "{row}");

    // A CA file that holds no certificate stops before anything is tried.
    std::fs::write(d.join("empty.pem"), "not a certificate\n").unwrap();
    let out = deliver_with(d, &smtp, &[("CAMP_SMTP_CA", "empty.pem")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.pem") && err.contains("CAMP_SMTP_CA"),
        "{err}"
    );
}

#[test]
fn smtp_delivery_without_a_sender_is_refused_before_anything_is_sent() {
    let smtp = SmtpServer::start();
    let script = EMAIL_SCRIPT.replace("settings { from \"Acme News <news@acme.example>\" }", "");
    let dir = setup(&script, EMAIL_PEOPLE);
    let out = deliver(dir.path(), &smtp.url);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a sender: add `from"), "{err}");
    assert_eq!(smtp.tries("ok@mail.example"), 0);
    assert_eq!(outbox(dir.path())["ok@mail.example"]["delivery"], "pending");
}

#[test]
fn unreachable_servers_are_retried_for_a_day_then_given_up() {
    // A port nobody listens on: every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("smtp://127.0.0.1:{port}");
    let dir = setup(EMAIL_SCRIPT, "email,first_name\nok@mail.example,Ann\n");
    let d = dir.path();
    let start = chrono::DateTime::parse_from_rfc3339(T0).unwrap();
    let mut tries = Vec::new();
    for hour in 0..=25 {
        let at = (start + chrono::Duration::hours(hour)).to_rfc3339();
        advance(d, &at);
        ok(deliver(d, &url));
        let row = outbox(d).remove("ok@mail.example").unwrap();
        tries.push(row["attempts"].as_u64().unwrap());
        if row["delivery"] == "failed" {
            break;
        }
        assert_eq!(row["delivery"], "retrying");
    }
    let row = outbox(d).remove("ok@mail.example").unwrap();
    assert_eq!(row["delivery"], "failed");
    // One try an hour (the wait never exceeds an hour) until 24 hours after the first.
    assert_eq!(tries.len(), 25, "{tries:?}");
    let gave_up = log(d)
        .into_iter()
        .find(|a| a["type"] == "email_bounced")
        .unwrap();
    assert_eq!(gave_up["result"], "failed");
    assert_eq!(gave_up["reason"], "delivery_gave_up");
}

const WEBHOOK_SCRIPT: &str = r#"
settings { from "Acme <news@acme.example>" }
schema person { first_name: text }
webhook "Hook" { url "URL/{{person.first_name}}?e={{person.email}}" method "PUT" body "{\"name\": \"{{person.first_name}}\"}" }
trigger campaign "Call" {
  smart list { trigger person is created }
  flow { call webhook "Hook" }
}
trigger campaign "Called" {
  smart list { trigger person is created }
  flow { wait 1 minute }
}
"#;

#[test]
fn webhooks_get_their_status_recorded_and_are_retried_with_the_same_key() {
    let http = HttpServer::start();
    let script = WEBHOOK_SCRIPT.replace("URL", &http.url);
    let dir = setup(
        &script,
        "email,first_name\na@x.example,ok\nb@x.example,flaky\nc@x.example,hang\nd@x.example,gone\n",
    );
    let d = dir.path();
    let started = Instant::now();
    ok(deliver(d, "none"));
    assert!(http.requests().is_empty(), "`none` delivers nothing");
    ok(deliver(d, "smtp://127.0.0.1:1"));
    let rows = outbox(d);
    let by_name = |rows: &HashMap<String, Value>, name: &str| -> Value {
        rows.values()
            .find(|r| r["to"].as_str().unwrap().contains(&format!("/{name}?")))
            .unwrap()
            .clone()
    };
    assert_eq!(by_name(&rows, "ok")["delivery"], "delivered");
    assert_eq!(by_name(&rows, "ok")["status"], 200);
    assert_eq!(by_name(&rows, "flaky")["delivery"], "retrying");
    assert_eq!(by_name(&rows, "flaky")["status"], 500);
    assert_eq!(by_name(&rows, "hang")["delivery"], "retrying");
    assert_eq!(by_name(&rows, "gone")["delivery"], "failed");
    assert_eq!(by_name(&rows, "gone")["status"], 410);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the time-out is 500 ms here"
    );

    advance(d, "2026-12-01T09:01:00Z");
    ok(deliver(d, "none"));
    ok(deliver(d, "smtp://127.0.0.1:1"));
    let rows = outbox(d);
    for name in ["flaky", "hang"] {
        assert_eq!(by_name(&rows, name)["delivery"], "delivered", "{name}");
        assert_eq!(by_name(&rows, name)["attempts"], 2);
    }
    let requests = http.requests();
    assert_eq!(requests.len(), 6);
    for r in &requests {
        assert_eq!(r.method, "PUT");
        assert_eq!(r.headers["content-type"], "application/json");
        let row = rows
            .values()
            .find(|o| o["to"].as_str().unwrap().ends_with(&r.path))
            .unwrap();
        let key = &r.headers["idempotency-key"];
        let prefix = format!("{}.", row["key"].as_str().unwrap());
        assert!(key.starts_with(&prefix), "{key}");
    }
    let flaky: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/flaky"))
        .collect();
    assert_eq!(flaky.len(), 2);
    assert_eq!(
        flaky[0].headers["idempotency-key"], flaky[1].headers["idempotency-key"],
        "a retry carries the same key"
    );
    assert_eq!(flaky[0].body, "{\"name\": \"flaky\"}");
    assert_eq!(flaky[0].path, "/flaky?e=b%40x.example");

    let called: Vec<Value> = log(d)
        .into_iter()
        .filter(|a| a["type"] == "webhook_called")
        .collect();
    let statuses: Vec<(String, u64)> = called
        .iter()
        .map(|a| {
            (
                a["email"].as_str().unwrap().to_string(),
                a["attributes"]["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(statuses.contains(&("a@x.example".into(), 200)));
    assert!(statuses.contains(&("b@x.example".into(), 200)));
    assert!(statuses.contains(&("d@x.example".into(), 410)));
    assert_eq!(called.len(), 4, "one outcome per row: {statuses:?}");
}

#[test]
fn file_delivery_writes_eml_and_http_files_named_by_key() {
    let script = format!(
        "{EMAIL_SCRIPT}\nwebhook \"Hook\" {{ url \"https://crm.example/p\" body \"hi\" }}\ntrigger campaign \"Hooked\" {{\n  smart list {{ trigger person is created }}\n  flow {{ call webhook \"Hook\" }}\n}}\n"
    );
    let dir = setup(&script, "email,first_name\nok@mail.example,Ann\n");
    let d = dir.path();
    ok(deliver(d, "file:out"));
    let rows = outbox(d);
    let email_key = rows["ok@mail.example"]["key"].as_str().unwrap();
    let eml = std::fs::read(d.join("out").join(format!("{email_key}.eml"))).unwrap();
    let m = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(m.subject(), Some("Hi Ann"));
    // `<KEY.STORE@DOMAIN>`; the webhook's key carries the same store identity.
    let id = m.message_id().unwrap();
    let store = id.strip_prefix(&format!("{email_key}.")).unwrap();
    let store = store.strip_suffix("@acme.example").unwrap();
    let hook_key = rows["https://crm.example/p"]["key"].as_str().unwrap();
    let http = std::fs::read_to_string(d.join("out").join(format!("{hook_key}.http"))).unwrap();
    assert_eq!(
        http,
        format!("POST https://crm.example/p HTTP/1.1\r\nIdempotency-Key: {hook_key}.{store}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi")
    );
    assert!(rows.values().all(|r| r["delivery"] == "delivered"));
    let names: Vec<PathBuf> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn an_older_store_is_upgraded_with_its_outbox_pending() {
    let dir = setup(EMAIL_SCRIPT, "email,first_name\nok@mail.example,Ann\n");
    let d = dir.path();
    // Take the store back to the first schema version.
    let conn = rusqlite::Connection::open(d.join("t.db")).unwrap();
    conn.execute_batch(
        "DROP INDEX outbox_undelivered;
         ALTER TABLE outbox DROP COLUMN delivery; ALTER TABLE outbox DROP COLUMN attempts;
         ALTER TABLE outbox DROP COLUMN first_try; ALTER TABLE outbox DROP COLUMN next_try;
         ALTER TABLE outbox DROP COLUMN delivery_status; ALTER TABLE outbox DROP COLUMN delivery_error;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    ok(deliver(d, "file:out"));
    assert_eq!(outbox(d)["ok@mail.example"]["delivery"], "delivered");
}

#[test]
fn killed_at_random_instants_it_loses_nothing_and_repeats_at_most_one_message_per_kill() {
    let smtp = SmtpServer::start();
    let n = 10_000;
    let mut people = String::from("email,first_name\n");
    for i in 0..n {
        people.push_str(&format!("p{i}@mail{}.example,P{i}\n", i % 7));
    }
    let script = "settings { from \"Acme <news@acme.example>\" }\nschema person { first_name: text }\nemail \"Hi\" { subject \"Hi {{person.first_name}}\" body \"<p>Hi</p>\" }\ntrigger campaign \"Greet\" {\n  smart list { trigger person is created }\n  flow { send email \"Hi\" }\n}\n";
    let dir = setup(script, &people);
    let d = dir.path();
    let mut rng = 0x9e37_79b9_u64;
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..20 {
        if smtp.received().len() >= n || Instant::now() > deadline {
            break;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_camp"))
            .current_dir(d)
            .args([
                "deliver",
                "s.camp",
                "--db",
                "t.db",
                "--deliver",
                &smtp.url,
                "--wait",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + rng % 150));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    ok(deliver(d, &smtp.url));
    let rows = outbox(d);
    assert_eq!(rows.len(), n);
    assert!(rows.values().all(|r| r["delivery"] == "delivered"));
    let mut seen: HashMap<String, u32> = HashMap::new();
    for r in smtp.received() {
        let m = MessageParser::default().parse(r.data.as_bytes()).unwrap();
        *seen.entry(m.message_id().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(seen.len(), n, "every row received");
    let repeats: u32 = seen.values().map(|c| c - 1).sum();
    assert!(repeats <= kills, "{repeats} repeats for {kills} kills");
    assert!(kills >= 10, "only {kills} runs were killed");
    eprintln!("{kills} kills, {repeats} repeats");
}

#[test]
fn the_delivery_rate_paces_messages_to_one_domain() {
    let script = EMAIL_SCRIPT.replace(
        "settings { from \"Acme News <news@acme.example>\" }",
        "settings { from \"Acme News <news@acme.example>\" delivery rate 2 per second }",
    );
    let people = "email,first_name\na@one.example,A\nb@one.example,B\nc@one.example,C\nd@one.example,D\ne@one.example,E\n";
    let dir = setup(&script, people);
    let started = Instant::now();
    ok(deliver(dir.path(), "file:out"));
    // Two a second to one.example: the fifth message waits for the third second.
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
    assert!(outbox(dir.path())
        .values()
        .all(|r| r["delivery"] == "delivered"));
}
