//! Smart-list selection in SQL selects exactly whom the in-memory evaluation selects.
//!
//! A seeded generator builds stores of people (empty values, mixed case, non-ASCII text, zero,
//! dates at day boundaries, booleans, list, program and campaign memberships, activities) and
//! random conditions over every field test, membership and history form, combined with `and`,
//! `or` and `not`, and smart lists and batch campaigns with `match` logic. For each, the SQLite
//! store's `select_people` must return the people, in order, that reading everyone and
//! evaluating in memory (`select_by_scan`) returns; the same on the PostgreSQL store when
//! `CAMP_TEST_POSTGRES` names a server (`tests/run` starts one).

#[path = "support/postgres.rs"]
mod postgres_db;

use camp::check::ir::{Filters, Logic, Program};
use camp::query::{compile_condition, quote};
use camp::report::{cell, person_json, PersonColumns};
use camp::store::postgres::PostgresStore;
use camp::store::sqlite::SqliteStore;
use camp::store::{select_by_scan, Activity, Outcome, Store};
use camp::workspace::Workspace;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// SplitMix64: small, seeded, good enough to explore.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const ZONES: &[&str] = &["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"];

/// Text values people hold; needles are drawn from them, their pieces and case variants.
const TEXTS: &[&str] = &[
    "CA",
    "ca",
    "Ca",
    "NY",
    "",
    "California",
    "Québec",
    "QUÉBEC",
    "québec",
    "\u{212A}elvin",
    "kelvin",
    "KELVIN",
    "\u{130}stanbul",
    "istanbul",
    "i\u{307}stanbul",
    "straße",
    "STRASSE",
    "ΣΑΣ",
    "σας",
    "100%",
    "100",
    "a_b",
    "axb",
    "a\\b",
    "日本",
    " spaced ",
    "0",
    "true",
];

const NUMBERS: &[f64] = &[0.0, 1.0, -5.0, 3.25, 10.0, 42.0, 1_000_000.0, -0.5];

const LISTS: &[&str] = &["L1", "L2", "Ünï"];
const STATUSES: &[&str] = &["Invited", "Registered", "Attended"];

/// The base instant: people's dates and the evaluation instants are around it.
fn base() -> i64 {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .unwrap()
        .timestamp()
}

struct World {
    rng: Rng,
    tz: Tz,
    /// Values people hold, to draw literals from (so that boundaries are hit).
    dates: Vec<NaiveDate>,
    instants: Vec<i64>,
    numbers: Vec<f64>,
}

impl World {
    fn text_needle(&mut self) -> String {
        let t = self.rng.pick(TEXTS).to_string();
        let chars: Vec<char> = t.chars().collect();
        let piece: String = match self.rng.below(6) {
            0 if !chars.is_empty() => {
                let a = self.rng.below(chars.len());
                let b = a + self.rng.below(chars.len() - a) + 1;
                chars[a..b].iter().collect()
            }
            1 => t.to_uppercase(),
            2 => t.to_lowercase(),
            3 => ["%", "_", "\\", "k", "i", "s"][self.rng.below(6)].to_string(),
            _ => t,
        };
        piece
    }

    fn texts(&mut self) -> String {
        let n = 1 + self.rng.below(3) * usize::from(self.rng.chance(40));
        (0..n)
            .map(|_| quote(&self.text_needle()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn number(&mut self) -> String {
        let n = if self.rng.chance(60) {
            self.rng.pick(&self.numbers.clone())
        } else {
            self.rng.range(-10, 50) as f64
        };
        format_number(n)
    }

    fn numbers(&mut self) -> String {
        let n = 1 + self.rng.below(3) * usize::from(self.rng.chance(40));
        (0..n).map(|_| self.number()).collect::<Vec<_>>().join(", ")
    }

    fn date(&mut self) -> NaiveDate {
        if self.rng.chance(60) && !self.dates.is_empty() {
            self.rng.pick(&self.dates.clone())
        } else {
            let today = DateTime::from_timestamp(base(), 0)
                .unwrap()
                .with_timezone(&self.tz)
                .date_naive();
            today + Duration::days(self.rng.range(-60, 60))
        }
    }

    fn date_literal(&mut self) -> String {
        self.date().format("%Y-%m-%d").to_string()
    }

    /// A date or date-time literal for a datetime field.
    fn datetime_literal(&mut self) -> String {
        if self.rng.chance(30) {
            return self.date_literal();
        }
        let t = if self.rng.chance(60) && !self.instants.is_empty() {
            self.rng.pick(&self.instants.clone())
        } else {
            base() + self.rng.range(-60 * 96, 60 * 96) * 900
        };
        let t = DateTime::from_timestamp(t, 0).unwrap();
        if self.rng.chance(50) {
            t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        } else {
            t.with_timezone(&self.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        }
    }

    fn duration(&mut self) -> String {
        let unit = self.rng.pick(&["minutes", "hours", "days", "weeks"]);
        let n = match unit {
            "minutes" => self.rng.range(1, 8) * 15,
            "hours" => self.rng.range(1, 72),
            "days" => self.rng.range(0, 60),
            _ => self.rng.range(1, 8),
        };
        format!("{n} {unit}")
    }

    fn field_test(&mut self) -> String {
        let fields = [
            ("state", "text"),
            ("city", "text"),
            ("email", "text"),
            ("n", "number"),
            ("amount", "number"),
            ("score", "number"),
            ("birthday", "date"),
            ("renewal_at", "datetime"),
            ("created_at", "datetime"),
            ("vip", "bool"),
            ("unsubscribed", "bool"),
        ];
        // Text tests have the most quirks: half of the tests are on text fields.
        let (f, ty) = if self.rng.chance(50) {
            fields[self.rng.below(3)]
        } else {
            self.rng.pick(&fields)
        };
        let test = match ty {
            "text" => match self.rng.below(8) {
                0 => format!("is {}", self.texts()),
                1 => format!("is not {}", self.texts()),
                2 => format!("starts with {}", self.texts()),
                3 => format!("not starts with {}", self.texts()),
                4 => format!("contains {}", self.texts()),
                5 => format!("not contains {}", self.texts()),
                6 => "is empty".into(),
                _ => "is not empty".into(),
            },
            "number" => match self.rng.below(11) {
                0 => format!("is {}", self.numbers()),
                1 => format!("is not {}", self.numbers()),
                2 => format!("greater than {}", self.number()),
                3 => format!("less than {}", self.number()),
                4 => format!("at least {}", self.number()),
                5 => format!("at most {}", self.number()),
                6 => format!("between {} and {}", self.number(), self.number()),
                7 => "is empty".into(),
                8 => "is not empty".into(),
                9 => format!(
                    "{} {}",
                    self.rng.pick(&["=", "!=", ">", "<", ">=", "<="]),
                    self.number()
                ),
                _ => "is 0".into(),
            },
            "date" | "datetime" => {
                let lit = |w: &mut World| {
                    if ty == "date" {
                        w.date_literal()
                    } else {
                        w.datetime_literal()
                    }
                };
                match self.rng.below(12) {
                    0 => {
                        let n = 1 + self.rng.below(2);
                        let vals: Vec<String> = (0..n).map(|_| lit(self)).collect();
                        format!("is {}", vals.join(", "))
                    }
                    1 => format!("before {}", lit(self)),
                    2 => format!("after {}", lit(self)),
                    3 => format!("on or before {}", lit(self)),
                    4 => format!("on or after {}", lit(self)),
                    5 => format!("between {} and {}", lit(self), lit(self)),
                    6 => format!("in past {}", self.duration()),
                    7 => format!("in past before {}", self.duration()),
                    8 => format!("in future {}", self.duration()),
                    9 => format!("in future after {}", self.duration()),
                    10 => "is empty".into(),
                    _ => "is not empty".into(),
                }
            }
            _ => format!("is {}", self.rng.pick(&["true", "false"])),
        };
        format!("{f} {test}")
    }

    fn window(&mut self) -> String {
        match self.rng.below(6) {
            0 => format!(" in past {}", self.duration()),
            1 => format!(" since {}", self.date_literal()),
            2 => format!(" before {}", self.datetime_literal()),
            3 => format!(
                " between {} and {}",
                self.date_literal(),
                self.date_literal()
            ),
            _ => String::new(),
        }
    }

    /// A history count, or none: `at least`, `at most` and `exactly`, zero included.
    fn times(&mut self) -> String {
        if !self.rng.chance(50) {
            return String::new();
        }
        let op = self.rng.pick(&["at least", "at most", "exactly"]);
        let n = self.rng.range(0, 3);
        let word = if n == 1 { "time" } else { "times" };
        format!(" {op} {n} {word}")
    }

    fn other_condition(&mut self) -> String {
        let list = quote(self.rng.pick(LISTS));
        match self.rng.below(14) {
            0 => format!("member of list {list}"),
            1 => "member of program \"P1\"".into(),
            2 => format!(
                "program status \"P1\" is {}",
                quote(self.rng.pick(STATUSES))
            ),
            3 => format!("member of campaign {}", quote(self.rng.pick(&["X1", "X2"]))),
            4 => format!(
                "member of smart list {}",
                quote(self.rng.pick(&["S1", "S2", "S3"]))
            ),
            5 => "all people".into(),
            6 => format!("was added to list {list}{}", self.window()),
            7 => {
                let times = self.times();
                let asset = if self.rng.chance(70) { " \"E1\"" } else { "" };
                format!("was sent email{asset}{}{times}", self.window())
            }
            8 => format!(
                "clicked link in email \"E1\" link contains {}{}{}",
                quote(self.rng.pick(&["pricing", "PRICING", "blog"])),
                self.window(),
                self.times()
            ),
            9 => format!(
                "had event \"ev\" where plan is {}{}",
                quote(self.rng.pick(&["pro", "Pro", "free"])),
                self.times()
            ),
            10 => format!(
                "data value changed state to {}",
                quote(self.rng.pick(&["CA", "ca", "NY"]))
            ),
            11 => "score was changed".into(),
            12 => format!("filled out form \"F1\"{}", self.window()),
            _ => format!("was removed from list {list}{}", self.window()),
        }
    }

    /// A condition of `if` choices: leaves combined with `and`, `or` and `not`.
    fn condition(&mut self, depth: u32) -> String {
        let leaf = |w: &mut World| {
            if w.rng.chance(70) {
                w.field_test()
            } else {
                w.other_condition()
            }
        };
        if depth == 0 || self.rng.chance(35) {
            let c = leaf(self);
            return if self.rng.chance(20) {
                format!("not {c}")
            } else {
                c
            };
        }
        match self.rng.below(3) {
            0 => format!("not ({})", self.condition(depth - 1)),
            1 => {
                let n = 2 + self.rng.below(2);
                let parts: Vec<String> = (0..n)
                    .map(|_| format!("({})", self.condition(depth - 1)))
                    .collect();
                parts.join(" and ")
            }
            _ => {
                let n = 2 + self.rng.below(2);
                let parts: Vec<String> = (0..n)
                    .map(|_| format!("({})", self.condition(depth - 1)))
                    .collect();
                parts.join(" or ")
            }
        }
    }

    /// One filter line's condition (no `and`/`or`); smart lists only name earlier ones.
    fn filter(&mut self, smart_lists: &[&str]) -> String {
        let c = if self.rng.chance(70) {
            self.field_test()
        } else if !smart_lists.is_empty() && self.rng.chance(30) {
            format!("member of smart list {}", quote(self.rng.pick(smart_lists)))
        } else {
            loop {
                let c = self.other_condition();
                if !c.starts_with("member of smart list") {
                    break c;
                }
            }
        };
        if self.rng.chance(20) {
            format!("not {c}")
        } else {
            c
        }
    }

    /// `match` logic over `n` filters.
    fn logic(&mut self, n: usize, depth: u32) -> String {
        if depth == 0 || self.rng.chance(40) {
            let f = 1 + self.rng.below(n);
            return if self.rng.chance(20) {
                format!("not {f}")
            } else {
                f.to_string()
            };
        }
        let op = if self.rng.chance(50) { "and" } else { "or" };
        let parts: Vec<String> = (0..2 + self.rng.below(2))
            .map(|_| format!("({})", self.logic(n, depth - 1)))
            .collect();
        parts.join(&format!(" {op} "))
    }

    fn filters_block(&mut self, smart_lists: &[&str]) -> String {
        let n = 1 + self.rng.below(4);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(&format!("    filter {}\n", self.filter(smart_lists)));
        }
        match self.rng.below(4) {
            0 => s.push_str("    match any\n"),
            1 => {}
            _ => s.push_str(&format!("    match {}\n", self.logic(n, 2))),
        }
        s
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The script of a world: fields, assets, smart lists and batch campaigns with random filters.
fn script(w: &mut World, campaigns: usize) -> String {
    let mut s = format!(
        "settings {{ time zone {} }}\n\
         schema person {{\n  state: text\n  city: text\n  n: number\n  amount: number\n  \
         birthday: date\n  renewal_at: datetime\n  vip: bool\n}}\n",
        quote(w.tz.name())
    );
    for l in LISTS {
        s.push_str(&format!("list {}\n", quote(l)));
    }
    s.push_str("program \"P1\" { statuses \"Invited\", \"Registered\", \"Attended\" }\n");
    s.push_str("email \"E1\"\nform \"F1\"\nevent \"ev\" { plan: text }\n");
    for x in ["X1", "X2"] {
        s.push_str(&format!(
            "executable campaign \"{x}\" {{ flow {{ interesting moment \"\" }} }}\n"
        ));
    }
    let names = ["S1", "S2", "S3"];
    for (i, name) in names.iter().enumerate() {
        let block = w.filters_block(&names[..i]);
        s.push_str(&format!("smart list \"{name}\" {{\n{block}}}\n"));
    }
    for i in 0..campaigns {
        let block = w.filters_block(&names);
        s.push_str(&format!(
            "campaign \"B{i}\" {{\n  smart list {{\n{block}  }}\n  flow {{ interesting moment \"\" }}\n}}\n"
        ));
    }
    s
}

/// Fills the store with people, memberships and activities.
fn populate(w: &mut World, program: &Program, store: &mut dyn Store, people: usize) {
    let field = |name: &str| program.field(name).expect("declared field");
    let (state, city, n, amount) = (field("state"), field("city"), field("n"), field("amount"));
    let (birthday, renewal, vip) = (field("birthday"), field("renewal_at"), field("vip"));
    let (email, score) = (field("email"), field("score"));
    let unsubscribed = field("unsubscribed");
    use camp::check::ir::Scalar;
    let today = DateTime::from_timestamp(base(), 0)
        .unwrap()
        .with_timezone(&w.tz)
        .date_naive();
    for i in 0..people {
        let mut values = Vec::new();
        let text = |w: &mut World| -> Option<Scalar> {
            if w.rng.chance(15) {
                None
            } else {
                Some(Scalar::Text(w.rng.pick(TEXTS).to_string()))
            }
        };
        values.push((state, text(w)));
        values.push((city, text(w)));
        let mail = match w.rng.below(6) {
            0 => None,
            1 => Some(format!("P{i}.\u{212A}@Example.com")),
            2 => Some(format!("p{i}.québec@example.com")),
            _ => Some(format!("p{i}@example.com")),
        };
        values.push((email, mail.map(Scalar::Text)));
        for f in [n, amount] {
            let v = if w.rng.chance(20) {
                None
            } else {
                Some(Scalar::Number(w.rng.pick(NUMBERS)))
            };
            values.push((f, v));
        }
        if w.rng.chance(70) {
            values.push((score, Some(Scalar::Number(w.rng.pick(NUMBERS)))));
        }
        let d = if w.rng.chance(20) {
            None
        } else {
            Some(today + Duration::days(w.rng.range(-70, 70)))
        };
        if let Some(d) = d {
            w.dates.push(d);
        }
        values.push((birthday, d.map(Scalar::Date)));
        let t = match w.rng.below(5) {
            0 => None,
            // Local midnights: the edges of date literals on a datetime field.
            1 => {
                let day = today + Duration::days(w.rng.range(-60, 60));
                Some(
                    w.tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                        .earliest()
                        .map_or(base(), |t| t.timestamp()),
                )
            }
            _ => Some(base() + w.rng.range(-60 * 96, 60 * 96) * 900),
        };
        if let Some(t) = t {
            w.instants.push(t);
        }
        values.push((
            renewal,
            t.map(|t| Scalar::DateTime(DateTime::from_timestamp(t, 0).unwrap())),
        ));
        match w.rng.below(3) {
            0 => {}
            1 => values.push((vip, Some(Scalar::Bool(true)))),
            _ => values.push((vip, Some(Scalar::Bool(false)))),
        }
        if w.rng.chance(30) {
            values.push((unsubscribed, Some(Scalar::Bool(w.rng.chance(50)))));
        }
        let created = base() + w.rng.range(-60 * 96, 0) * 900;
        w.instants.push(created);
        let id = store.insert_person(&values, created).unwrap();
        for l in LISTS {
            if w.rng.chance(35) {
                store.add_to_list(l, id, created).unwrap();
            }
        }
        if w.rng.chance(50) {
            store
                .set_program_status("P1", id, w.rng.pick(STATUSES), created)
                .unwrap();
        }
        for x in ["X1", "X2"] {
            if w.rng.chance(30) {
                store.add_member(x, id, created).unwrap();
            }
        }
        for _ in 0..w.rng.below(6) {
            let (kind, primary, attributes) = match w.rng.below(8) {
                0 => ("add_to_list", w.rng.pick(LISTS), serde_json::json!({})),
                1 => ("remove_from_list", w.rng.pick(LISTS), serde_json::json!({})),
                2 | 3 => ("send_email", "E1", serde_json::json!({})),
                4 => (
                    "click_email",
                    "E1",
                    serde_json::json!({ "link": w.rng.pick(&["https://x.com/Pricing", "https://x.com/blog"]) }),
                ),
                5 => (
                    "custom_event",
                    "ev",
                    serde_json::json!({ "plan": w.rng.pick(&["pro", "PRO", "free"]) }),
                ),
                6 => (
                    "change_data_value",
                    "state",
                    serde_json::json!({ "old": "NY", "new": w.rng.pick(&["CA", "Ca", "NY"]) }),
                ),
                _ => (
                    "change_score",
                    "score",
                    serde_json::json!({ "old": 0, "new": 5 }),
                ),
            };
            let outcome = if w.rng.chance(85) {
                Outcome::Succeeded
            } else {
                Outcome::Skipped
            };
            let at = base() + w.rng.range(-60 * 96, 4) * 900;
            store
                .append_activity(&Activity {
                    id: 0,
                    at,
                    person: id,
                    email: None,
                    campaign: None,
                    step: None,
                    kind: kind.into(),
                    primary: Some(primary.into()),
                    attributes,
                    outcome,
                    reason: None,
                    depth: 0,
                })
                .unwrap();
        }
        if w.rng.chance(30) {
            let at = base() + w.rng.range(-60 * 96, 0) * 900;
            store
                .append_activity(&Activity {
                    id: 0,
                    at,
                    person: id,
                    email: None,
                    campaign: None,
                    step: None,
                    kind: "fill_out_form".into(),
                    primary: Some("F1".into()),
                    attributes: serde_json::json!({ "page": "Pricing" }),
                    outcome: Outcome::Succeeded,
                    reason: None,
                    depth: 0,
                })
                .unwrap();
        }
    }
}

/// The SQL holds no values: its only string literals are the translation's own constants.
fn assert_no_literals(sql: &str) {
    let mut rest = sql.to_string();
    for constant in [
        "U&'\\212A'",
        "U&'\\0130'",
        "U&'i\\0307'",
        "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'",
        "'abcdefghijklmnopqrstuvwxyz'",
        "'\\'",
        "'k'",
        "'succeeded'",
        "''",
    ] {
        rest = rest.replace(constant, "");
    }
    assert!(!rest.contains('\''), "a literal in {sql}");
}

#[derive(Default)]
struct Stats {
    cases: usize,
    exact: usize,
    selected: usize,
}

/// A store under test, with the SQL of its selections.
enum Db {
    Sqlite(Box<SqliteStore>),
    Postgres(Box<PostgresStore>),
}

impl Db {
    fn store(&self) -> &dyn Store {
        match self {
            Db::Sqlite(s) => s.as_ref(),
            Db::Postgres(s) => s.as_ref(),
        }
    }

    fn store_mut(&mut self) -> &mut dyn Store {
        match self {
            Db::Sqlite(s) => s.as_mut(),
            Db::Postgres(s) => s.as_mut(),
        }
    }

    /// The `WHERE` clause and exactness of a selection.
    fn plan(&self, program: &Program, filters: &Filters, now: i64) -> (String, bool) {
        match self {
            Db::Sqlite(s) => {
                let p = s.selection_plan(program, filters, now);
                (p.sql, p.exact)
            }
            Db::Postgres(s) => {
                let p = s.selection_plan(program, filters, now);
                (p.sql, p.exact)
            }
        }
    }
}

fn compare(db: &Db, program: &Program, filters: &Filters, now: i64, what: &str, stats: &mut Stats) {
    let store = db.store();
    let mut sql = Vec::new();
    store
        .select_people(program, filters, now, &mut |p| {
            sql.push(p);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut memory = Vec::new();
    select_by_scan(store, program, filters, now, &mut |p| {
        memory.push(p);
        Ok(())
    })
    .unwrap();
    let (plan_sql, plan_exact) = db.plan(program, filters, now);
    let ids = |v: &[camp::store::Person]| v.iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(&sql),
        ids(&memory),
        "{what}\n  at {now}\n  where {plan_sql}\n  exact: {plan_exact}"
    );
    assert_eq!(sql, memory, "{what}: the people read differ");
    assert_no_literals(&plan_sql);
    stats.cases += 1;
    stats.exact += usize::from(plan_exact);
    stats.selected += sql.len();
}

/// `camp people`'s table and CSV cells, written without JSON, are those of the JSON objects.
fn people_cells_match_json(store: &dyn Store, program: &Program) {
    let columns = PersonColumns::new(program);
    let mut cells = Vec::new();
    store
        .scan_people(&mut |p| {
            let lists = store.lists_of(p.id)?;
            assert_eq!(
                store.lists_of_people(&[p.id, p.id])?,
                vec![lists.clone(), lists.clone()]
            );
            let json = person_json(program, &p, &lists);
            let keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
            assert_eq!(columns.header, keys);
            columns.cells(&p, &lists, &mut cells);
            let expected: Vec<String> = keys.iter().map(|k| cell(json.get(k))).collect();
            assert_eq!(cells, expected);
            let mut line = Vec::new();
            columns.json(&p, &lists, &mut line);
            assert_eq!(String::from_utf8(line).unwrap(), json.to_string());
            Ok(())
        })
        .unwrap();
}

#[test]
fn sql_selection_equals_in_memory_evaluation() {
    selection_equals_in_memory_evaluation(&|_| {
        Some((
            Db::Sqlite(Box::new(SqliteStore::open(":memory:").unwrap())),
            None,
        ))
    });
}

#[test]
fn sql_selection_equals_in_memory_evaluation_on_postgres() {
    selection_equals_in_memory_evaluation(&|seed| {
        let db = postgres_db::database(&format!("select_{seed}"))?;
        let store = PostgresStore::connect(&db.url, &db.url, true).unwrap();
        Some((Db::Postgres(Box::new(store)), Some(db)))
    });
}

/// A new store per seed (and the database to keep while it is used), or none to skip.
type MakeDb = dyn Fn(u64) -> Option<(Db, Option<postgres_db::TestDb>)>;

fn selection_equals_in_memory_evaluation(make: &MakeDb) {
    let mut stats = Stats::default();
    for seed in 0..12u64 {
        let mut rng = Rng(0x5EED_0000 + seed);
        let tz: Tz = rng.pick(ZONES).parse().unwrap();
        let mut w = World {
            rng,
            tz,
            dates: Vec::new(),
            instants: Vec::new(),
            numbers: NUMBERS.to_vec(),
        };
        let text = script(&mut w, 8);
        let mut ws = Workspace::new();
        ws.add_text("world.camp", text.clone());
        let checked = camp::check::check_workspace(&ws);
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(errors.is_empty(), "{text}\n{errors:#?}");
        let program = checked.program.expect("the world checks");
        let Some((mut db, _keep)) = make(seed) else {
            return;
        };
        db.store_mut().prepare(&program).unwrap();
        populate(&mut w, &program, db.store_mut(), 70);

        people_cells_match_json(db.store(), &program);
        for c in program.campaigns.iter().filter(|c| c.name.starts_with('B')) {
            let now = base() + w.rng.range(-8, 8) * 900;
            compare(
                &db,
                &program,
                &c.filters,
                now,
                &format!("seed {seed}, campaign {}:\n{text}", c.name),
                &mut stats,
            );
        }
        for i in 0..50 {
            // Single tests first, whose result reaches the selection unmasked.
            let cond_text = w.condition(if i < 20 { 0 } else { 3 });
            let (p, cond) = match compile_condition(&ws, "", &cond_text) {
                Ok(ok) => ok,
                Err((_, diags)) => panic!("`{cond_text}` does not check: {diags:#?}"),
            };
            db.store_mut().prepare(&p).unwrap();
            let filters = Filters {
                conditions: vec![cond],
                logic: Logic::All,
            };
            let now = base() + w.rng.range(-8, 8) * 900;
            compare(
                &db,
                &p,
                &filters,
                now,
                &format!("seed {seed}: {cond_text}\n{text}"),
                &mut stats,
            );
        }
    }
    eprintln!(
        "{} cases, {} exact in SQL, {} people selected",
        stats.cases, stats.exact, stats.selected
    );
    assert!(stats.cases >= 600);
    // Most conditions translate exactly; the rest have history constraints.
    assert!(stats.exact * 2 > stats.cases, "too few exact plans");
}

/// Plans for the usual forms are exact (no in-memory pass), and values are never in the SQL.
#[test]
fn common_conditions_are_exact_and_bound() {
    let text = "schema person { state: text\n birthday: date }\nlist \"L1\"\nemail \"E1\"\n";
    let mut ws = Workspace::new();
    ws.add_text("s.camp", text.into());
    let mut store = SqliteStore::open(":memory:").unwrap();
    for (cond, exact) in [
        ("state is \"CA\" and score at least 10", true),
        ("state is \"Québec\" or state contains \"\u{212A}\"", true),
        (
            "not (member of list \"L1\" or birthday in past 30 days)",
            true,
        ),
        (
            "was sent email \"E1\" in past 7 days at least 2 times",
            true,
        ),
        ("was sent email \"E1\" at most 1 time", true),
        ("was sent email exactly 0 times", true),
        (
            "not was sent email \"E1\" in past 7 days exactly 2 times",
            true,
        ),
        (
            "not clicked link in email \"E1\" link contains \"x'y\"",
            false,
        ),
        ("state starts with \"x'; DROP TABLE people; --\"", true),
    ] {
        let (p, c) = compile_condition(&ws, "", cond).unwrap_or_else(|_| panic!("{cond}"));
        store.prepare(&p).unwrap();
        let filters = Filters {
            conditions: vec![c],
            logic: Logic::All,
        };
        let plan = store.selection_plan(&p, &filters, base());
        assert_eq!(plan.exact, exact, "{cond}: {}", plan.sql);
        assert_no_literals(&plan.sql);
    }
}

/// A field named `lists` keeps its place among the columns and shows the person's lists, as in
/// the JSON object.
#[test]
fn a_field_named_lists_shows_the_lists() {
    let mut ws = Workspace::new();
    ws.add_text(
        "s.camp",
        "schema person { lists: text\n when: date }\nlist \"A \\\"quoted\\\" list\"\n".into(),
    );
    let program = camp::check::check_workspace(&ws).program.unwrap();
    let mut store = SqliteStore::open(":memory:").unwrap();
    store.prepare(&program).unwrap();
    let f = |n: &str| program.field(n).unwrap();
    use camp::check::ir::Scalar;
    let id = store
        .insert_person(
            &[
                (f("lists"), Some(Scalar::Text("own value".into()))),
                (f("email"), Some(Scalar::Text("a\"b@example.com".into()))),
                (
                    f("when"),
                    Some(Scalar::Date(NaiveDate::from_ymd_opt(2026, 2, 3).unwrap())),
                ),
            ],
            base(),
        )
        .unwrap();
    store.add_to_list("A \"quoted\" list", id, base()).unwrap();
    people_cells_match_json(&store, &program);
    let columns = PersonColumns::new(&program);
    assert_eq!(columns.header.last().map(String::as_str), Some("when"));
}
