//! `camp explain` never disagrees with the engine: over seeded random worlds (people whose
//! fields, lists, program statuses and history change through flows, and batch campaigns with
//! random filters, smart lists and `match` logic), the explanation's verdicts equal the engine's
//! own evaluation at the same instant, live and as of a past instant after later changes; and
//! the values reconstructed for a past instant are the ones the store held then.

use camp::check::ir::{CampaignId, Program};
use camp::engine::asof::AsOf;
use camp::engine::conditions::Eval;
use camp::engine::run::Engine;
use camp::explain::{explain_person, Question, Texts};
use camp::query::quote;
use camp::store::sqlite::SqliteStore;
use camp::store::{Person, Store};
use camp::workspace::Workspace;
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

/// SplitMix64, as the other generators of the project.
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

const ZONES: &[&str] = &["UTC", "America/New_York", "Asia/Kolkata"];
const TEXTS: &[&str] = &["CA", "ca", "NY", "", "California", "Québec", "québec", "0"];
const LISTS: &[&str] = &["L1", "L2"];
const STATUSES: &[&str] = &["Invited", "Registered", "Attended"];

/// The one-step flows that change people: each is an executable campaign, run for a person
/// at an instant as the REPL runs a typed step, so every change is logged as the engine logs it.
const CHANGES: &[&str] = &[
    "change state to \"CA\"",
    "change state to \"ca\"",
    "change state to \"NY\"",
    "change state to empty",
    "change city to \"Québec\"",
    "change city to empty",
    "change n to 5",
    "change n to 0",
    "change n to empty",
    "change score by 5",
    "change score by -3",
    "change birthday to 2026-11-20",
    "change birthday to empty",
    "change renewal_at to 2026-12-03 08:00",
    "change renewal_at to empty",
    "change vip to true",
    "change vip to false",
    "change unsubscribed to true",
    "add to list \"L1\"",
    "add to list \"L2\"",
    "remove from list \"L1\"",
    "remove from list \"L2\"",
    "send email \"E1\"",
    "change program status \"P1\" to \"Invited\"",
    "change program status \"P1\" to \"Registered\"",
    "change program status \"P1\" to \"Attended\"",
];

/// The instant the worlds are built around.
fn base() -> i64 {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .unwrap()
        .timestamp()
}

struct World {
    rng: Rng,
}

impl World {
    fn text(&mut self) -> String {
        let n = 1 + usize::from(self.rng.chance(30));
        (0..n)
            .map(|_| quote(self.rng.pick(TEXTS)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn duration(&mut self) -> String {
        match self.rng.below(3) {
            0 => format!("{} hours", self.rng.range(1, 72)),
            1 => format!("{} days", self.rng.range(0, 20)),
            _ => format!("{} weeks", self.rng.range(1, 3)),
        }
    }

    fn date(&mut self) -> String {
        format!("2026-11-{:02}", self.rng.range(15, 30))
    }

    fn field_test(&mut self) -> String {
        match self.rng.below(9) {
            0 | 1 => {
                let f = self.rng.pick(&["state", "city"]);
                match self.rng.below(6) {
                    0 => format!("{f} is {}", self.text()),
                    1 => format!("{f} is not {}", self.text()),
                    2 => format!("{f} contains {}", self.text()),
                    3 => format!("{f} starts with {}", self.text()),
                    4 => format!("{f} is empty"),
                    _ => format!("{f} is not empty"),
                }
            }
            2 | 3 => {
                let f = self.rng.pick(&["n", "score"]);
                match self.rng.below(5) {
                    0 => format!("{f} is 0"),
                    1 => format!("{f} at least {}", self.rng.range(-3, 6)),
                    2 => format!("{f} less than {}", self.rng.range(-3, 6)),
                    3 => format!("{f} is empty"),
                    _ => format!("{f} between 0 and {}", self.rng.range(0, 10)),
                }
            }
            4 => match self.rng.below(4) {
                0 => format!("birthday before {}", self.date()),
                1 => format!("birthday in past {}", self.duration()),
                2 => "birthday is empty".into(),
                _ => format!("birthday on or after {}", self.date()),
            },
            5 => match self.rng.below(3) {
                0 => format!("renewal_at in future {}", self.duration()),
                1 => format!("renewal_at after {}", self.date()),
                _ => "renewal_at is not empty".into(),
            },
            6 => format!("updated_at in past {}", self.duration()),
            _ => format!(
                "{} is {}",
                self.rng.pick(&["vip", "unsubscribed"]),
                self.rng.pick(&["true", "false"])
            ),
        }
    }

    fn window(&mut self) -> String {
        match self.rng.below(5) {
            0 => format!(" in past {}", self.duration()),
            1 => format!(" since {}", self.date()),
            2 => format!(" before {}", self.date()),
            3 => format!(" between {} and 2026-12-31", self.date()),
            _ => String::new(),
        }
    }

    fn times(&mut self) -> String {
        if self.rng.chance(30) {
            format!(" at least {} times", self.rng.range(1, 3))
        } else {
            String::new()
        }
    }

    fn other(&mut self, smart_lists: &[&str]) -> String {
        let list = quote(self.rng.pick(LISTS));
        match self.rng.below(10) {
            0 => format!("member of list {list}"),
            1 => "member of program \"P1\"".into(),
            2 => format!(
                "program status \"P1\" is {}",
                quote(self.rng.pick(STATUSES))
            ),
            3 if !smart_lists.is_empty() => {
                format!("member of smart list {}", quote(self.rng.pick(smart_lists)))
            }
            4 => format!("was sent email \"E1\"{}{}", self.window(), self.times()),
            5 => format!("was added to list {list}{}{}", self.window(), self.times()),
            6 => format!("was removed from list {list}{}", self.window()),
            7 => format!(
                "data value changed state to {}{}",
                quote(self.rng.pick(&["CA", "NY"])),
                self.window()
            ),
            8 => format!("score was changed{}{}", self.window(), self.times()),
            _ => "all people".into(),
        }
    }

    fn filter(&mut self, smart_lists: &[&str]) -> String {
        let c = if self.rng.chance(55) {
            self.field_test()
        } else {
            self.other(smart_lists)
        };
        if self.rng.chance(20) {
            format!("not {c}")
        } else {
            c
        }
    }

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
        let n = 1 + self.rng.below(5);
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

    fn script(&mut self, tz: Tz, campaigns: usize) -> String {
        let mut s = format!(
            "settings {{ time zone {} }}\n\
             schema person {{\n  state: text\n  city: text\n  n: number\n  birthday: date\n  \
             renewal_at: datetime\n  vip: bool\n}}\n\
             list \"L1\"\nlist \"L2\"\nemail \"E1\"\n\
             program \"P1\" {{ statuses \"Invited\", \"Registered\", \"Attended\" }}\n",
            quote(tz.name())
        );
        for (i, step) in CHANGES.iter().enumerate() {
            s.push_str(&format!(
                "executable campaign \"C{i}\" {{ flow {{ {step} }} }}\n"
            ));
        }
        let names = ["S1", "S2"];
        for (i, name) in names.iter().enumerate() {
            let block = self.filters_block(&names[..i]);
            s.push_str(&format!("smart list \"{name}\" {{\n{block}}}\n"));
        }
        for i in 0..campaigns {
            let block = self.filters_block(&names);
            s.push_str(&format!(
                "campaign \"B{i}\" {{\n  smart list {{\n{block}  }}\n  flow {{ interesting moment \"\" }}\n}}\n"
            ));
        }
        s
    }
}

/// Runs `rounds` random one-step flows for random people at random instants in `[from, to]`,
/// in time order.
fn change(
    w: &mut World,
    engine: &mut Engine<'_>,
    program: &Program,
    people: &[i64],
    from: i64,
    to: i64,
    rounds: usize,
) {
    let mut at: Vec<i64> = (0..rounds).map(|_| w.rng.range(from, to)).collect();
    at.sort();
    for t in at {
        let step = w.rng.below(CHANGES.len());
        let cid = program.campaign(&format!("C{step}")).unwrap();
        let person = w.rng.pick(people);
        engine.run_flow_for(cid, person, t).unwrap();
    }
}

fn engine_verdicts(store: &SqliteStore, program: &Program, people: &[i64], now: i64) -> Vec<bool> {
    let eval = Eval::new(program, store, now);
    let mut out = Vec::new();
    for p in people {
        let person = store.person(*p).unwrap().unwrap();
        for c in program.campaigns.iter().filter(|c| c.name.starts_with('B')) {
            out.push(eval.filters(&c.filters, &person).unwrap());
        }
    }
    out
}

fn explained_verdicts(
    store: &SqliteStore,
    program: &Program,
    texts: &Texts,
    people: &[i64],
    at: i64,
    clock: i64,
    context: &str,
) -> Vec<bool> {
    let mut out = Vec::new();
    for p in people {
        let person = store.person(*p).unwrap().unwrap();
        for (i, c) in program.campaigns.iter().enumerate() {
            if !c.name.starts_with('B') {
                continue;
            }
            let e = explain_person(&Question {
                program,
                texts,
                store,
                person: &person,
                campaign: CampaignId(i as u32),
                at,
                clock,
                before: None,
            })
            .unwrap();
            let logic = e["logic"]["verdict"].as_bool().unwrap();
            // Nobody ever enters these campaigns: the rule admits everyone, so the overall
            // verdict is the filters'.
            assert_eq!(e["qualifies"].as_bool(), Some(logic), "{context}\n{e:#}");
            if at == clock {
                // Each filter's verdict is the engine's verdict on that condition alone.
                let eval = Eval::new(program, store, at);
                for (n, cond) in c.filters.conditions.iter().enumerate() {
                    let engine = eval.cond(cond, &person).unwrap();
                    assert_eq!(
                        e["filters"][n]["verdict"].as_bool(),
                        Some(engine),
                        "filter {}, {context}\n{e:#}",
                        n + 1
                    );
                }
            }
            out.push(logic);
        }
    }
    out
}

fn snapshot(store: &SqliteStore, people: &[i64]) -> Vec<Person> {
    people
        .iter()
        .map(|p| store.person(*p).unwrap().unwrap())
        .collect()
}

#[test]
fn explain_agrees_with_the_engine_live_and_in_the_past() {
    let mut checked_cases = 0;
    // The worlds must exercise what is compared: verdicts both ways, verdicts and values that
    // changed after the past instant.
    let (mut held_true, mut flipped, mut values_changed) = (0, 0, 0);
    for seed in 0..10u64 {
        let mut rng = Rng(0xE8_0000 + seed);
        let tz: Tz = rng.pick(ZONES).parse().unwrap();
        let mut w = World { rng };
        let text = w.script(tz, 6);
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
        let texts = Texts::new(&ws.scripts, &ws.sources);
        let mut store = SqliteStore::open(":memory:").unwrap();
        let mut engine = Engine::new(&program, &mut store).unwrap();
        let start = base() - 10 * 86_400;
        engine.store().set_clock(start).unwrap();
        let email = program.field("email").unwrap();
        let people: Vec<i64> = (0..12)
            .map(|i| {
                let mail = (i % 5 != 0).then(|| format!("p{i}@example.com"));
                let at = start + i * 3_600;
                engine
                    .store()
                    .insert_person(&[(email, mail.map(camp::check::ir::Scalar::Text))], at)
                    .unwrap()
            })
            .collect();
        // Changes up to the past instant, the engine's verdicts and the people then...
        let past = base() - 2 * 86_400 + 1_800;
        change(
            &mut w,
            &mut engine,
            &program,
            &people,
            start + 86_400,
            past - 1,
            120,
        );
        drop(engine);
        let then = engine_verdicts(&store, &program, &people, past);
        let held = snapshot(&store, &people);
        // ...then later changes.
        let mut engine = Engine::new(&program, &mut store).unwrap();
        change(
            &mut w,
            &mut engine,
            &program,
            &people,
            past + 1,
            base(),
            120,
        );
        engine.store().set_clock(base()).unwrap();
        drop(engine);

        let context = format!("seed {seed}:\n{text}");
        // The reconstruction gives what the store held.
        for (p, held) in people.iter().zip(&held) {
            let now = store.person(*p).unwrap().unwrap();
            let asof = AsOf::reconstruct(&program, &store, &now, past).unwrap();
            assert_eq!(asof.person.as_ref(), Some(held), "person {p}, {context}");
            values_changed += usize::from(&now != held);
        }
        let explained =
            explained_verdicts(&store, &program, &texts, &people, past, base(), &context);
        assert_eq!(explained, then, "as of the past instant, {context}");
        let live = engine_verdicts(&store, &program, &people, base());
        let explained =
            explained_verdicts(&store, &program, &texts, &people, base(), base(), &context);
        assert_eq!(explained, live, "live, {context}");
        checked_cases += 2 * live.len();
        held_true += then.iter().filter(|v| **v).count();
        flipped += then.iter().zip(&live).filter(|(a, b)| a != b).count();
    }
    eprintln!(
        "{checked_cases} cases, {held_true} held in the past, {flipped} changed since, \
         {values_changed} people changed since"
    );
    assert!(checked_cases >= 1000, "{checked_cases} cases");
    assert!(held_true * 10 > checked_cases / 2, "too few verdicts hold");
    assert!(
        flipped * 20 > checked_cases / 2,
        "too few verdicts changed after the past instant"
    );
    assert!(
        values_changed > 50,
        "too few people changed after the past instant"
    );
}
