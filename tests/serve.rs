//! `camp serve` (LANGUAGE.md 13.2) with the real binary on an ephemeral loopback port and a
//! real HTTP client: triggers, batch runs and waits on the wall clock, authentication, limits,
//! stopping and crashing under load, reloading, TLS.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/servers.rs"]
mod servers;
#[path = "support/serving.rs"]
mod serving;

use serving::{agent, camp, get, post, sign_up_with_sender, Server, SIGN_UP};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn now_secs_f64() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

fn rfc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn at_of(activity: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(activity["at"].as_str().unwrap())
        .unwrap()
        .timestamp()
}

/// Polls `f` until it gives something, for at most `within`.
fn until<T>(within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < within, "nothing after {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The log entries of `campaign` (over HTTP).
fn campaign_log(agent: &ureq::Agent, server: &Server, campaign: &str) -> Vec<Value> {
    let (status, body) = get(
        agent,
        &server.url(&format!(
            "/v1/log?campaign={}",
            campaign.replace(' ', "%20")
        )),
    );
    assert_eq!(status, 200, "{body}");
    json(&body).as_array().unwrap().clone()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

/// Waits up to `secs` seconds for campaign `campaign`'s `interesting moment`, and checks that
/// it is logged at instant `at` and happened less than 1.5 s after it on the wall clock.
fn moment_on_time(agent: &ureq::Agent, server: &Server, campaign: &str, at: i64, secs: u64) {
    let (moment, seen) = until(Duration::from_secs(secs), || {
        campaign_log(agent, server, campaign)
            .into_iter()
            .find(|a| a["type"] == "interesting_moment")
            .map(|a| (a, now_secs_f64()))
    });
    assert_eq!(at_of(&moment), at);
    let late = seen - at as f64;
    assert!(
        (0.0..1.5).contains(&late),
        "`{campaign}` ran {late} s after its instant"
    );
}

#[test]
fn a_form_fill_posted_runs_its_trigger_campaign_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let agent = agent();
    let (status, body) = get(&agent, &server.url("/health"));
    assert_eq!(status, 200, "{body}");
    let event = r#"{"type":"fills_out_form","person":"ann@example.com","form":"Sign Up","fields":{"first_name":"Ann"}}"#;
    let posted = Instant::now();
    let (status, body) = post(&agent, &server.url("/v1/events"), event);
    assert_eq!(
        (status, json(&body)),
        (202, serde_json::json!({"accepted": 1}))
    );
    let moment = until(Duration::from_secs(1), || {
        campaign_log(&agent, &server, "Welcome")
            .into_iter()
            .find(|a| a["type"] == "interesting_moment")
    });
    assert!(posted.elapsed() < Duration::from_secs(1));
    assert_eq!(moment["email"], "ann@example.com");
    assert!((at_of(&moment) - now()).abs() <= 2, "{moment}");

    // The reading endpoints, in the shapes of `camp people`, `camp log` and `camp outbox`.
    let (status, body) = get(&agent, &server.url("/v1/people/ann@example.com"));
    assert_eq!(status, 200);
    let person = json(&body);
    assert_eq!(person["first_name"], "Ann");
    let id = person["id"].as_i64().unwrap();
    let (status, body) = get(&agent, &server.url(&format!("/v1/people/{id}/log")));
    assert_eq!(status, 200);
    let types: Vec<String> = json(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "new_person",
            "change_data_value",
            "fill_out_form",
            "enter_flow",
            "send_email",
            "interesting_moment"
        ]
    );
    let (status, body) = get(&agent, &server.url("/v1/outbox?since=0"));
    assert_eq!(status, 200);
    let outbox = json(&body);
    assert_eq!(outbox[0]["subject"], "Hi Ann");
    let first = outbox[0]["id"].as_i64().unwrap();
    let (_, body) = get(&agent, &server.url(&format!("/v1/outbox?since={first}")));
    assert_eq!(json(&body), serde_json::json!([]));
    let (status, body) = get(&agent, &server.url("/v1/campaigns"));
    assert_eq!(status, 200);
    assert_eq!(
        json(&body),
        serde_json::json!([{"name": "Welcome", "kind": "trigger", "state": "active",
            "waiting": 0, "entries": 1, "next_run": null}])
    );
    let (status, body) = get(&agent, &server.url("/v1/people/bo@example.com"));
    assert_eq!(status, 404, "{body}");
    assert!(json(&body)["error"].is_string());
    // Explanations, as `camp explain --format json` gives them.
    let (status, body) = get(
        &agent,
        &server.url("/v1/explain?person=ann@example.com&campaign=Welcome"),
    );
    assert_eq!(status, 200, "{body}");
    let why = json(&body);
    assert_eq!(why["person"], id);
    assert_eq!(why["email"], "ann@example.com");
    assert_eq!(why["campaign"], "Welcome");
    assert_eq!(why["kind"], "trigger");
    assert_eq!(why["existed"], true);
    assert_eq!(why["filters"], serde_json::json!([]));
    assert_eq!(why["qualification"]["rule"], "qualify once");
    assert_eq!(why["qualification"]["verdict"], false, "{why}");
    assert_eq!(why["qualifies"], false, "entered once already: {why}");
    assert_eq!(why["triggers"][0]["text"], "fills out form \"Sign Up\"");
    assert_eq!(why["triggers"][0]["last_match"]["type"], "fill_out_form");
    let (status, body) = get(
        &agent,
        &server.url("/v1/explain?person=ann@example.com&campaign=Welcom"),
    );
    assert_eq!(status, 404, "{body}");
    let message = json(&body)["error"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("no campaign is called `Welcom`") && message.contains("`Welcome`"),
        "{message}"
    );
    let (status, body) = get(
        &agent,
        &server.url("/v1/explain?person=ann@example.co&campaign=Welcome"),
    );
    assert_eq!(status, 404, "{body}");
    let message = json(&body)["error"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("no person is `ann@example.co`")
            && message.contains("`ann@example.com`"),
        "{message}"
    );
    let (status, body) = get(&agent, &server.url("/v1/explain?person=ann@example.com"));
    assert_eq!(status, 400, "{body}");
    let moment_id = moment["id"].as_i64().unwrap();
    let (status, body) = get(
        &agent,
        &server.url(&format!("/v1/explain?activity={moment_id}")),
    );
    assert_eq!(status, 200, "{body}");
    let why = json(&body);
    assert_eq!(why["activity"]["id"], moment_id);
    assert_eq!(why["activity"]["type"], "interesting_moment");
    let chain: Vec<&str> = why["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert!(chain.contains(&"fill_out_form"), "{why}");
    let (status, body) = get(&agent, &server.url("/v1/explain?activity=999999"));
    assert_eq!(status, 404, "{body}");
    assert_eq!(json(&body)["error"], "the log has no activity 999999");
    let (status, body) = get(&agent, &server.url("/metrics"));
    assert_eq!(status, 200);
    for line in [
        "camp_events_accepted_total 1",
        "camp_activities_total{result=\"succeeded\",type=\"interesting_moment\"} 1",
        "camp_queue_depth 0",
        "camp_waits_parked 0",
        "camp_request_duration_seconds_count{route=\"/v1/events\",status=\"202\"} 1",
    ] {
        assert!(body.lines().any(|l| l == line), "no `{line}` in\n{body}");
    }
    // People: CSV and JSON.
    let (status, body) = post(
        &agent,
        &server.url("/v1/people"),
        "email,first_name\nann@example.com,Annie\ncy@example.com,Cy\n",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"created": 1, "updated": 1, "unchanged": 0})
    );
    let (status, body) = post(
        &agent,
        &server.url("/v1/people"),
        r#"[{"email": "cy@example.com", "first_name": "Cy"}, {"email": "di@example.com"}]"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"created": 1, "updated": 0, "unchanged": 1})
    );
    let (status, body) = post(
        &agent,
        &server.url("/v1/people"),
        r#"[{"email": "ed@example.com"}, {"email": "fay@example.com", "frist_name": "Fay"}]"#,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(json(&body)["line"], 2);
    let (status, _) = get(&agent, &server.url("/v1/people/ed@example.com"));
    assert_eq!(status, 404, "a rejected body stores nothing");
}

#[test]
fn a_batch_campaign_runs_at_its_instant_and_a_wait_wakes_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let start = now();
    let batch_at = start + 3;
    let wake_at = start + 4;
    let script = write(
        dir.path(),
        "s.camp",
        &format!(
            r#"
settings {{ time zone "UTC" }}
page "Pricing"
campaign "Blast" {{
  smart list {{ filter email is not empty }}
  flow {{ interesting moment "blast" }}
  run at {}
}}
campaign "Later" {{
  smart list {{ trigger visits page "Pricing" }}
  flow {{
    wait until {}
    interesting moment "woke"
  }}
}}
"#,
            rfc(batch_at),
            rfc(wake_at)
        ),
    );
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let agent = agent();
    let (status, body) = post(
        &agent,
        &server.url("/v1/events"),
        r#"{"type":"fills_out_form","person":"ann@example.com","form":"Sign Up"}"#,
    );
    // (No form of that name: the whole body is refused.)
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        &agent,
        &server.url("/v1/people"),
        "email\nann@example.com\n",
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &agent,
        &server.url("/v1/events"),
        r#"{"type":"visits_page","person":"ann@example.com","page":"Pricing"}"#,
    );
    assert_eq!(status, 202, "{body}");
    // (A 202 says the event is stored; it runs a moment later.)
    let campaigns = until(Duration::from_secs(2), || {
        let (_, body) = get(&agent, &server.url("/v1/campaigns"));
        let campaigns = json(&body);
        (campaigns[1]["waiting"] == 1).then_some(campaigns)
    });
    assert_eq!(campaigns[0]["next_run"], rfc(batch_at).as_str());

    moment_on_time(&agent, &server, "Blast", batch_at, 6);

    moment_on_time(&agent, &server, "Later", wake_at, 6);
}

#[test]
fn a_wait_of_a_minute_wakes_on_time_in_a_store_whose_clock_was_set_before() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "s.camp",
        r#"
settings { time zone "UTC" }
page "Pricing"
campaign "Nurture" {
  smart list { trigger visits page "Pricing" }
  flow {
    wait 1 minute
    interesting moment "nurtured"
  }
}
"#,
    );
    // The visit happened 57 s ago, in a store run up to 56 s ago: the wake is 3 s ahead.
    let visit = now() - 57;
    let wake = visit + 60;
    write(
        dir.path(),
        "events.jsonl",
        &format!(
            r#"{{"at":"{}","type":"visits_page","person":"ann@example.com","page":"Pricing"}}"#,
            rfc(visit)
        ),
    );
    write(dir.path(), "people.csv", "email\nann@example.com\n");
    let out = camp()
        .current_dir(dir.path())
        .args(["run", &script, "--db", "camp.db", "--people", "people.csv"])
        .args(["--events", "events.jsonl", "--from", &rfc(visit - 1)])
        .args(["--until", &rfc(visit + 1), "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let agent = agent();
    moment_on_time(&agent, &server, "Nurture", wake, 8);
}

#[test]
fn api_keys_are_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &[],
        &[("CAMP_API_KEYS", "alpha, bravo")],
    );
    let agent = agent();
    let url = server.url("/v1/campaigns");
    let call = |auth: Option<&str>| {
        let mut req = agent.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let mut r = req.call().unwrap();
        let body = r.body_mut().read_to_string().unwrap_or_default();
        (r.status().as_u16(), body)
    };
    let (status, body) = call(None);
    assert_eq!(status, 401);
    assert!(json(&body)["error"].is_string());
    assert_eq!(call(Some("Bearer charlie")).0, 403);
    assert_eq!(call(Some("Bearer alph")).0, 403);
    assert_eq!(call(Some("Bearer alpha")).0, 200);
    assert_eq!(call(Some("Bearer bravo")).0, 200);
    let (status, _) = get(&agent, &server.url("/health"));
    assert_eq!(status, 200, "/health needs no key");
    let (status, _) = get(&agent, &server.url("/metrics"));
    assert_eq!(status, 401);
    let (status, _) = post(&agent, &server.url("/v1/events"), "{}");
    assert_eq!(status, 401);

    // The store is taken: a second server is refused, naming the first.
    let out = camp()
        .current_dir(dir.path())
        .args([
            "serve",
            &script,
            "--db",
            "camp.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&server.pid()) && err.contains("camp serve"),
        "{err}"
    );

    // Without keys, only a loopback address; SMTP delivery needs a sender.
    for (args, message) in [
        (
            vec!["--listen", "0.0.0.0:0"],
            "no API key is configured: set CAMP_API_KEYS",
        ),
        (
            vec!["--deliver", "smtp://mail.example:25"],
            "delivering email over SMTP needs a sender",
        ),
    ] {
        let out = camp()
            .current_dir(dir.path())
            .args(["serve", &script, "--db", "other.db"])
            .args(&args)
            .env_remove("CAMP_API_KEYS")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{err}");
    }
}

#[test]
fn a_bad_line_is_a_400_with_its_number_and_nothing_is_stored_and_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &["--log-format", "json"],
        &[],
    );
    let agent = agent();
    let body = [
        r#"{"type":"fills_out_form","person":"ann@example.com","form":"Sign Up"}"#,
        r#"{"type":"fills_out_form","person":"bo@example.com","form":"Sing Up"}"#,
        r#"{"type":"fills_out_form","person":"cy@example.com","form":"Sign Up"}"#,
    ]
    .join("\n");
    let (status, text) = post(&agent, &server.url("/v1/events"), &body);
    assert_eq!(status, 400);
    let answer = json(&text);
    assert_eq!(answer["line"], 2);
    assert!(
        answer["error"].as_str().unwrap().contains("`Sing Up`"),
        "{answer}"
    );
    let (status, text) = post(&agent, &server.url("/v1/events"), "not json\n");
    assert_eq!((status, json(&text)["line"].as_i64()), (400, Some(1)));
    // Over 16 MiB: 413, nothing stored; said by the length, or found out while reading.
    let addr = server.base.trim_start_matches("http://").to_string();
    let big = 16 * 1024 * 1024 + 1;
    let (status, text) = raw(
        &addr,
        &format!("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: {big}\r\n\r\n"),
        &[],
    );
    assert_eq!(status, 413, "{text}");
    assert!(
        text.contains(r#"{"error":"the body is larger than 16 MiB"}"#),
        "{text}"
    );
    let line = r#"{"type":"visits_page","person":"ann@example.com","page":"Pricing"}"#;
    let chunk = format!("{line}\n").repeat(1000);
    let chunks = vec![format!("{:x}\r\n{chunk}\r\n", chunk.len()); big / chunk.len() + 2];
    let (status, text) = raw(
        &addr,
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        &chunks,
    );
    assert_eq!(status, 413, "{text}");
    std::thread::sleep(Duration::from_millis(300));
    let (status, text) = get(&agent, &server.url("/v1/log"));
    assert_eq!((status, text.as_str()), (200, "[]"));
    // Logged as JSON lines.
    let logs = server.logs();
    let rejected = logs
        .lines()
        .map(json)
        .find(|l| l["fields"]["message"] == "body rejected")
        .unwrap_or_else(|| panic!("no rejection logged in\n{logs}"));
    assert_eq!(rejected["fields"]["line"], 2);
    assert!(rejected["fields"]["reason"]
        .as_str()
        .unwrap()
        .contains("`Sing Up`"));
    assert_eq!(rejected["level"], "INFO");
    // The store is intact: a good body after the bad ones is accepted.
    let (status, _) = post(
        &agent,
        &server.url("/v1/events"),
        &body.replace("Sing", "Sign"),
    );
    assert_eq!(status, 202);
}

#[test]
fn beyond_64_requests_in_flight_the_answer_is_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let addr = server.base.trim_start_matches("http://").to_string();
    // 64 requests whose bodies never come: each is in progress until its body times out.
    let mut held = Vec::new();
    for _ in 0..64 {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            .unwrap();
        held.push(s);
    }
    std::thread::sleep(Duration::from_millis(500));
    let agent = agent();
    let mut r = agent.get(server.url("/health")).call().unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        r.headers().get("retry-after").map(|v| v.to_str().unwrap()),
        Some("1")
    );
    let body = r.body_mut().read_to_string().unwrap();
    assert!(json(&body)["error"].as_str().unwrap().contains("64"));
    drop(held);
    let (status, _) = until(Duration::from_secs(5), || {
        let r = get(&agent, &server.url("/health"));
        (r.0 == 200).then_some(r)
    });
    assert_eq!(status, 200);
}

/// Sends `head` then `chunks` on a connection of its own (write errors ignored: the server may
/// answer and close before the end), then reads the answer: its status and its whole text.
fn raw(addr: &str, head: &str, chunks: &[String]) -> (u16, String) {
    use std::io::Read;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(head.as_bytes());
    for c in chunks {
        if s.write_all(c.as_bytes()).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The answer ends when the server closes, or once its body is complete.
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn slow_headers_and_slow_bodies_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &[],
        &[
            ("CAMP_HEADER_TIMEOUT_MS", "300"),
            ("CAMP_BODY_TIMEOUT_MS", "300"),
        ],
    );
    let addr = server.base.trim_start_matches("http://").to_string();
    // Headers that never end: the connection is closed without an answer.
    let started = Instant::now();
    let (status, text) = raw(&addr, "GET /health HTTP/1.1\r\nHost: x\r\n", &[]);
    assert!(status == 0 || status == 408, "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A body that never ends: 408 with a JSON error, nothing stored.
    let (status, text) = raw(
        &addr,
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"type\":",
        &[],
    );
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("the body did not arrive in time"), "{text}");
    let (status, text) = get(&agent(), &server.url("/v1/log"));
    assert_eq!((status, text.as_str()), (200, "[]"));
}

#[test]
fn a_post_is_answered_while_a_large_batch_run_is_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let people = 50_000;
    let csv: String = std::iter::once("email".to_string())
        .chain((0..people).map(|i| format!("p{i}@example.com")))
        .collect::<Vec<_>>()
        .join("\n");
    write(dir.path(), "people.csv", &csv);
    let out = camp()
        .current_dir(dir.path())
        .args(["import", "people.csv", "--db", "camp.db"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let at = now() + 2;
    let script = write(
        dir.path(),
        "s.camp",
        &format!(
            r#"
page "Pricing"
campaign "Blast" {{
  smart list {{ filter email is not empty }}
  flow {{ change score by 1 }}
  run at {}
}}
"#,
            rfc(at)
        ),
    );
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let agent = agent();
    let score = |who: &str| {
        let (_, body) = get(&agent, &server.url(&format!("/v1/people/{who}")));
        json(&body)["score"].as_f64().unwrap()
    };
    // The run has begun: the first person is through.
    until(Duration::from_secs(10), || {
        (score("p0@example.com") == 1.0).then_some(())
    });
    let (status, body) = post(
        &agent,
        &server.url("/v1/events"),
        r#"{"type":"visits_page","person":"p1@example.com","page":"Pricing"}"#,
    );
    assert_eq!(status, 202, "{body}");
    // Answered while the run goes on: the last person is not through yet.
    assert_eq!(score(&format!("p{}@example.com", people - 1)), 0.0);
    until(Duration::from_secs(30), || {
        (score(&format!("p{}@example.com", people - 1)) == 1.0).then_some(())
    });
}

/// Posts form fills from unique emails on `threads` threads until `stop`; the emails that got a
/// 202.
fn load(
    base: &str,
    threads: usize,
    stop: &Arc<AtomicBool>,
) -> (Vec<std::thread::JoinHandle<()>>, Arc<Mutex<Vec<String>>>) {
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let handles = (0..threads)
        .map(|t| {
            let base = base.to_string();
            let stop = Arc::clone(stop);
            let accepted = Arc::clone(&accepted);
            std::thread::spawn(move || {
                let agent = agent();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let emails: Vec<String> = (0..5)
                        .map(|i| format!("p{t}-{n}-{i}@example.com"))
                        .collect();
                    n += 1;
                    let body: Vec<String> = emails
                        .iter()
                        .map(|e| {
                            format!(
                                r#"{{"type":"fills_out_form","person":"{e}","form":"Sign Up"}}"#
                            )
                        })
                        .collect();
                    match agent
                        .post(format!("{base}/v1/events"))
                        .send(body.join("\n"))
                    {
                        Ok(r) if r.status().as_u16() == 202 => {
                            accepted.lock().unwrap().extend(emails)
                        }
                        Ok(_) => {}
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        })
        .collect();
    (handles, accepted)
}

/// The log of the store `db` (read with `camp log`, which never waits for a runner).
fn store_log(dir: &Path, db: &str) -> Vec<Value> {
    let out = camp()
        .current_dir(dir)
        .args(["log", "--db", db, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(json)
        .collect()
}

/// Stops a server with `signal` while posts come in, restarts it, and checks that every
/// accepted event ran exactly once.
fn stop_under_load(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let mut server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let (threads, accepted) = load(&server.base, 4, &stop);
    std::thread::sleep(Duration::from_millis(1200));
    server.signal(signal);
    let code = server.wait(Duration::from_secs(15));
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    if signal == "TERM" {
        assert_eq!(code, Some(0), "{}", server.logs());
    }
    let accepted: HashSet<String> = accepted.lock().unwrap().iter().cloned().collect();
    assert!(
        accepted.len() > 20,
        "too few events accepted: {}",
        accepted.len()
    );
    drop(server);
    // A restart finishes what was accepted.
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let agent = agent();
    until(Duration::from_secs(15), || {
        let (_, m) = get(&agent, &server.url("/metrics"));
        m.lines().any(|l| l == "camp_queue_depth 0").then_some(())
    });
    let mut server = server;
    server.signal("TERM");
    assert_eq!(server.wait(Duration::from_secs(10)), Some(0));
    let log = store_log(dir.path(), "camp.db");
    let mut fills: HashMap<String, u32> = HashMap::new();
    let mut moments: HashMap<String, u32> = HashMap::new();
    let mut sends: HashMap<String, u32> = HashMap::new();
    for a in &log {
        let email = a["email"].as_str().unwrap_or_default().to_string();
        let map = match a["type"].as_str() {
            Some("fill_out_form") => &mut fills,
            Some("interesting_moment") => &mut moments,
            Some("send_email") => &mut sends,
            _ => continue,
        };
        *map.entry(email).or_default() += 1;
    }
    for email in &accepted {
        assert_eq!(
            fills.get(email),
            Some(&1),
            "{email}: accepted, its fill is lost"
        );
        assert_eq!(
            moments.get(email),
            Some(&1),
            "{email}: its flow did not run once"
        );
        assert_eq!(
            sends.get(email),
            Some(&1),
            "{email}: its email was not sent once"
        );
    }
    for (email, n) in fills.iter().chain(&moments).chain(&sends) {
        assert_eq!(*n, 1, "{email}: a step ran {n} times");
    }
}

#[test]
fn sigterm_under_load_exits_0_and_a_restart_loses_and_repeats_nothing() {
    stop_under_load("TERM");
}

#[test]
fn kill_9_under_load_loses_no_accepted_event_and_repeats_no_step() {
    stop_under_load("KILL");
}

#[test]
fn sighup_reloads_a_fixed_script_and_keeps_the_old_program_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = SIGN_UP.to_string();
    let script = write(dir.path(), "s.camp", &v1);
    let server = Server::start(dir.path(), &script, "camp.db", &[], &[]);
    let agent = agent();
    let names = |agent: &ureq::Agent| -> Vec<String> {
        let (_, body) = get(agent, &server.url("/v1/campaigns"));
        json(&body)
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    // A broken script: the reload is refused, the old program keeps running.
    write(dir.path(), "s.camp", &v1.replace("flow {", "flow {{"));
    server.signal("HUP");
    until(Duration::from_secs(5), || {
        server
            .logs()
            .contains("the scripts have errors: the running program stays")
            .then_some(())
    });
    assert_eq!(names(&agent), ["Welcome"]);
    let fill = |e: &str| format!(r#"{{"type":"fills_out_form","person":"{e}","form":"Sign Up"}}"#);
    let (status, _) = post(&agent, &server.url("/v1/events"), &fill("ann@example.com"));
    assert_eq!(status, 202);
    until(Duration::from_secs(2), || {
        (campaign_log(&agent, &server, "Welcome").len() == 3).then_some(())
    });
    // A fixed one takes over.
    write(
        dir.path(),
        "s.camp",
        &v1.replace("\"Welcome\" {\n  smart", "\"Greeting\" {\n  smart"),
    );
    server.signal("HUP");
    until(Duration::from_secs(5), || {
        (names(&agent) == ["Greeting"]).then_some(())
    });
    let (status, _) = post(&agent, &server.url("/v1/events"), &fill("bo@example.com"));
    assert_eq!(status, 202);
    let greeted = until(Duration::from_secs(2), || {
        let log = campaign_log(&agent, &server, "Greeting");
        (log.len() == 3).then_some(log)
    });
    assert_eq!(greeted[0]["email"], "bo@example.com");
    // A change of the file on disk reloads it too.
    write(
        dir.path(),
        "s.camp",
        &v1.replace("\"Welcome\" {\n  smart", "\"Hello\" {\n  smart"),
    );
    until(Duration::from_secs(5), || {
        (names(&agent) == ["Hello"]).then_some(())
    });
}

#[test]
fn serves_https_with_a_certificate_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    write(dir.path(), "cert.pem", &cert.cert.pem());
    write(dir.path(), "key.pem", &cert.key_pair.serialize_pem());
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &["--tls-cert", "cert.pem", "--tls-key", "key.pem"],
        &[],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        )
        .build()
        .into();
    let (status, body) = get(&agent, &server.url("/health"));
    assert_eq!(status, 200, "{body}");
    // Plain HTTP on the same port is not answered as HTTP.
    let plain = server.base.replace("https://", "http://");
    assert!(agent.get(format!("{plain}/health")).call().is_err());
}

/// The log of the person `who` (over HTTP); empty while they do not exist yet (a 202 comes
/// once their first event is stored, before the runner has processed it).
fn person_log(agent: &ureq::Agent, server: &Server, who: &str) -> Vec<Value> {
    let (status, body) = get(agent, &server.url(&format!("/v1/people/{who}/log")));
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    json(&body).as_array().unwrap().clone()
}

const ANN_SIGNS_UP: &str = r#"{"type":"fills_out_form","person":"ann@example.com","form":"Sign Up","fields":{"first_name":"Ann"}}"#;

/// Posts [`ANN_SIGNS_UP`] and waits for the `email_delivered` activity of her welcome email.
fn ann_signs_up_and_is_delivered(agent: &ureq::Agent, server: &Server) -> Value {
    let (status, body) = post(agent, &server.url("/v1/events"), ANN_SIGNS_UP);
    assert_eq!(status, 202, "{body}");
    until(Duration::from_secs(5), || {
        person_log(agent, server, "ann@example.com")
            .into_iter()
            .find(|a| a["type"] == "email_delivered")
    })
}

#[test]
fn deliver_to_files_writes_the_email_logs_its_delivery_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", &sign_up_with_sender());
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &["--deliver", "file:out"],
        &[],
    );
    let agent = agent();
    let delivered = ann_signs_up_and_is_delivered(&agent, &server);
    assert_eq!(delivered["primary"], "Welcome");
    assert_eq!(delivered["result"], "succeeded");
    let key = delivered["attributes"]["key"].as_str().unwrap().to_string();
    let eml = std::fs::read_to_string(dir.path().join("out").join(format!("{key}.eml")))
        .unwrap_or_else(|e| panic!("no {key}.eml: {e}; logs: {}", server.logs()));
    assert!(eml.contains("Subject: Hi Ann"), "{eml}");
    let header = |name: &str| {
        eml.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(header("To: ").contains("ann@example.com"), "{eml}");
    assert!(header("From: ").contains("<news@acme.example>"), "{eml}");
    let (_, body) = get(&agent, &server.url("/v1/outbox?since=0"));
    assert_eq!(json(&body)[0]["delivery"], "delivered", "{body}");
    let (status, body) = get(&agent, &server.url("/metrics"));
    assert_eq!(status, 200);
    let line = "camp_deliveries_total{outcome=\"delivered\"} 1";
    assert!(body.lines().any(|l| l == line), "no `{line}` in\n{body}");
}

#[test]
fn deliver_over_smtp_sends_the_email_and_logs_its_delivery() {
    let smtp = servers::SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", &sign_up_with_sender());
    let mut server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &["--deliver", &format!("smtp:{}", smtp.url)],
        &[],
    );
    let agent = agent();
    let delivered = ann_signs_up_and_is_delivered(&agent, &server);
    assert_eq!(delivered["attributes"]["status"], 250, "{delivered}");
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt, "ann@example.com");
    assert!(received[0].data.contains("Subject: Hi Ann"));
    // A second sign-up of someone else goes out too, after the first.
    let event = ANN_SIGNS_UP
        .replace("ann@", "bo@")
        .replace("\"Ann\"", "\"Bo\"");
    let (status, _) = post(&agent, &server.url("/v1/events"), &event);
    assert_eq!(status, 202);
    until(Duration::from_secs(5), || {
        (smtp.tries("bo@example.com") == 1).then_some(())
    });
    until(Duration::from_secs(2), || {
        let (_, body) = get(&agent, &server.url("/metrics"));
        body.lines()
            .any(|l| l == "camp_deliveries_total{outcome=\"delivered\"} 2")
            .then_some(())
    });
    // The delivering server stops cleanly on SIGTERM.
    server.signal("TERM");
    assert_eq!(
        server.wait(Duration::from_secs(10)),
        Some(0),
        "{}",
        server.logs()
    );
}

#[test]
fn deliver_over_smtp_without_a_sender_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "s.camp", SIGN_UP);
    let out = camp()
        .current_dir(dir.path())
        .args([
            "serve",
            &script,
            "--db",
            "camp.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--deliver", "smtp://127.0.0.1:1"])
        .env_remove("CAMP_API_KEYS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: delivering email over SMTP needs a sender: add `from"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing is served");
    assert!(!dir.path().join("camp.db").exists(), "no store is made");
    let out = camp()
        .current_dir(dir.path())
        .args([
            "serve",
            &script,
            "--db",
            "camp.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--deliver", "mail"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`mail` is not a delivery target"), "{err}");
}

/// Posts a visit of `who` to "Pricing" and waits, at most `within`, for the interesting moment
/// of the campaign "Priced" that it triggers.
fn visit_pricing_and_see_it_run(agent: &ureq::Agent, server: &Server, who: &str, within: Duration) {
    let event = format!(r#"{{"type":"visits_page","person":"{who}","page":"Pricing"}}"#);
    let (status, body) = post(agent, &server.url("/v1/events"), &event);
    assert_eq!(status, 202, "{body}");
    until(within, || {
        campaign_log(agent, server, "Priced")
            .into_iter()
            .find(|a| a["type"] == "interesting_moment")
    });
}

#[test]
fn a_post_is_answered_while_throttled_deliveries_are_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "s.camp",
        r#"
settings { time zone "UTC" from "Acme <news@acme.example>" delivery rate 2 per second }
schema person { first_name: text }
page "Pricing"
email "Hi" { subject "Hi" body "<p>Hi</p>" }
campaign "Greet" {
  smart list { trigger person is created }
  flow { send email "Hi" }
}
campaign "Priced" {
  smart list { trigger visits page "Pricing" }
  flow { interesting moment "priced" }
}
"#,
    );
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &["--deliver", "file:out"],
        &[],
    );
    let agent = agent();
    let people = 12;
    let csv: String = std::iter::once("email".to_string())
        .chain((0..people).map(|i| format!("p{i}@example.com")))
        .collect::<Vec<_>>()
        .join("\n");
    let (status, body) = post(&agent, &server.url("/v1/people"), &csv);
    assert_eq!(status, 200, "{body}");
    let delivered = |agent: &ureq::Agent| {
        let (_, body) = get(agent, &server.url("/v1/outbox?since=0"));
        json(&body)
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["delivery"] == "delivered")
            .count()
    };
    // Two a second to one domain: the deliveries take several seconds.
    until(Duration::from_secs(5), || {
        (delivered(&agent) >= 1).then_some(())
    });
    // The event runs while the deliveries go on: not every email is out yet.
    visit_pricing_and_see_it_run(&agent, &server, "p0@example.com", Duration::from_secs(2));
    assert!(delivered(&agent) < people, "{}", server.logs());
    until(Duration::from_secs(15), || {
        (delivered(&agent) == people).then_some(())
    });
    let files = std::fs::read_dir(dir.path().join("out")).unwrap().count();
    assert_eq!(files, people);
}

#[test]
fn a_hanging_webhook_holds_up_its_row_and_nothing_else() {
    let smtp = servers::SmtpServer::start();
    let http = servers::HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "s.camp",
        &r#"
settings { time zone "UTC" from "Acme <news@acme.example>" }
schema person { first_name: text }
page "Pricing"
webhook "Hook" { url "URL/hang" method "POST" body "{}" }
campaign "Call" {
  smart list { trigger person is created }
  flow { call webhook "Hook" }
}
campaign "Priced" {
  smart list { trigger visits page "Pricing" }
  flow { interesting moment "priced" }
}
"#
        .replace("URL", &http.url),
    );
    let server = Server::start(
        dir.path(),
        &script,
        "camp.db",
        &["--deliver", &smtp.url],
        &[],
    );
    let agent = agent();
    let (status, body) = post(&agent, &server.url("/v1/people"), "email\nann@example.com");
    assert_eq!(status, 200, "{body}");
    // The server has the request and answers nothing for 3 s.
    until(Duration::from_secs(5), || {
        (!http.requests().is_empty()).then_some(())
    });
    visit_pricing_and_see_it_run(&agent, &server, "ann@example.com", Duration::from_secs(5));
    // The event ran while the webhook's request was still hanging.
    let outbox = |agent: &ureq::Agent| {
        let (_, body) = get(agent, &server.url("/v1/outbox?since=0"));
        json(&body)[0].clone()
    };
    assert_eq!(outbox(&agent)["delivery"], "pending", "{}", server.logs());
    // Then the hang ends without an answer: the row waits for its retry.
    let row = until(Duration::from_secs(10), || {
        let row = outbox(&agent);
        (row["delivery"] == "retrying").then_some(row)
    });
    assert_eq!(row["attempts"], 1, "{row}");
}
