//! `camp explain`: one person against a 20-filter batch campaign (fields of every type,
//! memberships, history with windows and counts, an included smart list, `match` logic) on a
//! large store, live and as of a past instant (reconstructed from the person's log). The store
//! holds `CAMP_BENCH_EXPLAIN_PEOPLE` people (default 100,000) with ten activities each (the
//! contract's goal is stated for 1,000,000 people and 10,000,000 activities: under 50 ms).
//!
//! `cargo bench --bench explain` (`CAMP_BENCH_EXPLAIN_PEOPLE=1000000` for the full size).

use camp::explain::{explain_person, Question, Texts};
use camp::store::sqlite::SqliteStore;
use camp::store::Store;
use camp::workspace::Workspace;
use criterion::{criterion_group, criterion_main, Criterion};
use rusqlite::params;

const SCRIPT: &str = r#"
schema person { state: text  city: text  employees: number  birthday: date  renewal_at: datetime  vip: bool }
list "Newsletter"
list "Engaged"
email "Welcome"
email "Digest"
page "Pricing"
form "Contact Us"
program "Webinar" { statuses "Invited", "Registered", "Attended" }
smart list "Californians" { filter state is "CA", "California" }
campaign "Twenty" {
  smart list {
    filter state is "ca", "ny"
    filter city is not empty
    filter employees at least 10
    filter employees between 5 and 500
    filter birthday before 2000-01-01
    filter renewal_at in future 90 days
    filter vip is true
    filter score greater than 3
    filter unsubscribed is false
    filter email contains "@example"
    filter member of list "Newsletter"
    filter not member of list "Engaged"
    filter member of smart list "Californians"
    filter program status "Webinar" is "Registered"
    filter visited page "Pricing" in past 30 days at least 2 times
    filter was sent email "Welcome" in past 7 days
    filter not was sent email "Digest" in past 1 day
    filter filled out form "Contact Us" since 2026-11-01
    filter clicked link in email "Welcome" link contains "pricing"
    filter score was changed in past 14 days
    match (1 or 13) and 2 and (3 or 4) and (5 or 6 or 7) and 8 and 9 and 10 and (11 or 12) and 14 and (15 or 16 or 17) and (18 or 19 or 20)
  }
  flow { send email "Digest" }
}
"#;

/// 2026-12-01T09:00:00Z.
const T0: i64 = 1_796_115_600;

fn db_path() -> String {
    let dir = std::env::temp_dir().join("camp-bench");
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join("explain.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
    }
    p.display().to_string()
}

/// `n` people with ten activities each, written straight to the tables.
fn fill(path: &str, n: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; BEGIN")
        .unwrap();
    {
        let mut person = conn
            .prepare(
                "INSERT INTO people (id, email, score, created_at, updated_at, f_state, f_city, f_employees, f_birthday, f_renewal_at, f_vip) \
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, 'Oakland', ?6, '1990-05-01', ?7, 1)",
            )
            .unwrap();
        let mut act = conn
            .prepare(
                "INSERT INTO activities (at, person, email, campaign, step, type, primary_value, attributes, result, reason, depth) \
                 VALUES (?1, ?2, NULL, NULL, NULL, (SELECT id FROM names WHERE name = ?3), \
                 (SELECT id FROM names WHERE name = ?4), ?5, 0, NULL, 0)",
            )
            .unwrap();
        let mut list = conn
            .prepare(
                "INSERT INTO list_members (list, person, added_at) VALUES ('Newsletter', ?1, ?2)",
            )
            .unwrap();
        let kinds = [
            ("visit_page", "Pricing", "{}"),
            ("visit_page", "Pricing", "{}"),
            ("send_email", "Welcome", "{\"operational\":false}"),
            ("fill_out_form", "Contact Us", "{\"page\":null}"),
            (
                "click_email",
                "Welcome",
                "{\"link\":\"https://acme.example/pricing\"}",
            ),
            (
                "change_score",
                "score",
                "{\"old\":0,\"new\":5,\"source\":\"flow\"}",
            ),
            (
                "change_data_value",
                "state",
                "{\"old\":\"NY\",\"new\":\"CA\",\"source\":\"import\"}",
            ),
            ("add_to_list", "Newsletter", "{}"),
            ("open_email", "Welcome", "{}"),
            (
                "change_program_status",
                "Webinar",
                "{\"from\":null,\"to\":\"Registered\"}",
            ),
        ];
        // The store interns the log's names.
        for (kind, primary, _) in &kinds {
            for name in [kind, primary] {
                conn.execute("INSERT OR IGNORE INTO names (name) VALUES (?1)", [name])
                    .unwrap();
            }
        }
        for id in 1..=n {
            let state = if id % 3 == 0 { "NY" } else { "CA" };
            person
                .execute(params![
                    id,
                    format!("p{id}@example.com"),
                    5.0,
                    T0 - 60 * 86_400,
                    state,
                    (id % 50) as f64,
                    T0 + 30 * 86_400
                ])
                .unwrap();
            list.execute(params![id, T0 - 20 * 86_400]).unwrap();
            for (k, (kind, primary, attrs)) in kinds.iter().enumerate() {
                let at = T0 - 20 * 86_400 + (k as i64) * 2 * 86_400 + id % 3_600;
                act.execute(params![at, id, kind, primary, attrs]).unwrap();
            }
        }
        conn.execute(
            "INSERT INTO program_members (program, person, status, updated_at) SELECT 'Webinar', id, 'Registered', ?1 FROM people",
            params![T0 - 10 * 86_400],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
}

fn bench(c: &mut Criterion) {
    let n: i64 = std::env::var("CAMP_BENCH_EXPLAIN_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut ws = Workspace::new();
    ws.add_text("bench.camp", SCRIPT.to_string());
    let program = camp::check::check_workspace(&ws)
        .program
        .expect("the bench script checks");
    let texts = Texts::new(&ws.scripts, &ws.sources);
    let campaign = program.campaign("Twenty").unwrap();
    let path = db_path();
    let mut store = SqliteStore::open(&path).unwrap();
    store.prepare(&program).unwrap();
    store.set_clock(T0).unwrap();
    drop(store);
    fill(&path, n);
    let mut store = SqliteStore::open(&path).unwrap();
    store.prepare(&program).unwrap();
    let person = store.person(n / 2).unwrap().expect("the person exists");
    let ask = |at: i64| {
        explain_person(&Question {
            program: &program,
            texts: &texts,
            store: &store,
            person: &person,
            campaign,
            at,
            clock: T0,
            before: None,
        })
        .unwrap()
    };
    let live = ask(T0);
    assert_eq!(live["filters"].as_array().map(Vec::len), Some(20));
    let mut g = c.benchmark_group(format!("explain_{n}_people_{}_activities", n * 10));
    g.sample_size(20);
    g.bench_function("one_person_20_filters_live", |b| b.iter(|| ask(T0)));
    g.bench_function("one_person_20_filters_past", |b| {
        b.iter(|| ask(T0 - 5 * 86_400))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
