//! `camp people` on a store whose ids span several blocks: two readers share the selection and
//! the listing is still every matching person once, in id order, with their lists, in every
//! format, on SQLite and on PostgreSQL (`CAMP_TEST_POSTGRES`; `skipped:` without it); a reader
//! of a closed pipe stops.

#[path = "support/postgres.rs"]
mod postgres_db;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SCRIPT: &str = "schema person { state: text }\nlist \"VIP\"\n";

/// Ids far apart, so that the people lie in many blocks of ids (and both readers have some).
const SPREAD: i64 = 9_001;

const PEOPLE: i64 = 40;

fn camp(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir)
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .expect("camp runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// The people file of `people` people, every other one in California.
fn people_csv(dir: &Path, people: i64) {
    let mut csv = String::from("email,state\n");
    for i in 1..=people {
        let state = if i % 2 == 0 { "CA" } else { "NY" };
        csv.push_str(&format!("p{i}@example.com,{state}\n"));
    }
    std::fs::write(dir.join("people.csv"), csv).expect("write people");
}

/// A folder with the script and `people` people imported into the store `db` names (the
/// folder's `camp.db` without it).
fn imported(people: i64, db: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("s.camp"), SCRIPT).expect("write the script");
    people_csv(dir.path(), people);
    let mut args = vec![
        "import",
        "people.csv",
        "s.camp",
        "--from",
        "2026-12-01 00:00",
    ];
    args.extend_from_slice(db);
    let out = camp(dir.path(), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

/// The SQL that spreads the ids `SPREAD` apart and puts every third person in `VIP`.
fn spread() -> String {
    format!(
        "UPDATE people SET id = id * {SPREAD};
         INSERT INTO list_members (list, person, added_at)
             SELECT 'VIP', id, 0 FROM people WHERE (id / {SPREAD}) % 3 = 0;"
    )
}

/// A store of `people` people with ids `SPREAD` apart; every third is in `VIP`, every other
/// one is in California.
fn store(people: i64) -> tempfile::TempDir {
    let dir = imported(people, &[]);
    let conn = rusqlite::Connection::open(dir.path().join("camp.db")).expect("the store opens");
    conn.execute_batch(&spread()).expect("ids spread");
    dir
}

/// The CSV `camp people` should print for the people `keep` holds for.
fn expected(keep: impl Fn(i64) -> bool) -> Vec<String> {
    (1..=PEOPLE)
        .filter(|i| keep(*i))
        .map(|i| {
            let state = if i % 2 == 0 { "CA" } else { "NY" };
            let lists = if i % 3 == 0 { "VIP" } else { "" };
            format!(
                "{},p{i}@example.com,0,2026-12-01T00:00:00Z,2026-12-01T00:00:00Z,false,false,false,{state},{lists}",
                i * SPREAD
            )
        })
        .collect()
}

fn csv_rows(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// `camp people --where 'state is "ca"'` on the store `db` names lists every other person.
fn californians(dir: &Path, db: &[&str]) {
    let mut args = vec![
        "people",
        "s.camp",
        "--where",
        "state is \"ca\"",
        "--format",
        "csv",
    ];
    args.extend_from_slice(db);
    assert_eq!(csv_rows(&camp(dir, &args)), expected(|i| i % 2 == 0));
}

#[test]
fn a_selection_over_many_blocks_lists_everyone_once_in_id_order() {
    let dir = store(PEOPLE);
    let all = camp(dir.path(), &["people", "s.camp", "--format", "csv"]);
    assert_eq!(
        text(&all.stdout).lines().next(),
        Some("id,email,score,created_at,updated_at,unsubscribed,marketing_suspended,email_invalid,state,lists")
    );
    assert_eq!(csv_rows(&all), expected(|_| true));
    californians(dir.path(), &[]);
    let vip = camp(
        dir.path(),
        &[
            "people",
            "s.camp",
            "--where",
            "member of list \"VIP\" and state is \"NY\"",
            "--format",
            "csv",
        ],
    );
    assert_eq!(csv_rows(&vip), expected(|i| i % 3 == 0 && i % 2 == 1));
}

#[test]
fn every_format_lists_the_same_people() {
    let dir = store(PEOPLE);
    let json = camp(dir.path(), &["people", "s.camp", "--format", "json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let ids: Vec<i64> = text(&json.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["id"].as_i64().expect("an id")
        })
        .collect();
    let want: Vec<i64> = (1..=PEOPLE).map(|i| i * SPREAD).collect();
    assert_eq!(ids, want);
    let table = camp(dir.path(), &["people", "s.camp"]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let table = text(&table.stdout);
    // A header and a row per person.
    assert_eq!(table.lines().count(), PEOPLE as usize + 1, "{table}");
    let last = format!("p{PEOPLE}@example.com");
    assert!(
        table.lines().last().is_some_and(|l| l.contains(&last)),
        "{table}"
    );
}

#[test]
fn a_closed_pipe_stops_the_readers() {
    // More output than a pipe holds.
    let dir = store(3_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_camp"))
        .current_dir(dir.path())
        .args(["people", "s.camp", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("camp runs");
    let mut first = [0u8; 8];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe is closed here; the command ends (it neither hangs nor panics).
    let status = child.wait().expect("camp ends");
    assert!(status.code().is_some(), "ended by a signal: {status:?}");
    assert_ne!(status.code(), Some(101), "a panic");
}

#[test]
fn a_selection_over_many_blocks_on_postgresql() {
    let Some(db) = postgres_db::database("people listing") else {
        return;
    };
    let dir = imported(PEOPLE, &["--db", &db.url]);
    db.client().batch_execute(&spread()).expect("ids spread");
    californians(dir.path(), &["--db", &db.url]);
}
