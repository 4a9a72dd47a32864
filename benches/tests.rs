//! `camp test` on 1,000 small tests (5 people, 3 events each): each test in its own in-memory
//! store, on every core (goal: under 2 s on a 2-core machine).

use std::fmt::Write;
use std::path::PathBuf;

use camp::check::check;
use camp::syntax::parse_file;
use camp::syntax::span::FileId;
use camp::testing::{run_all, FileBase, Options};
use criterion::{criterion_group, criterion_main, Criterion};

/// A workspace of two trigger campaigns and one batch campaign, and `n` tests of 5 people and
/// 3 events each.
pub fn workspace(n: usize) -> String {
    let mut s = String::from(
        "schema person { first_name: text, state: text }\n\
         form \"Contact Us\"\npage \"Pricing\"\nlist \"Engaged\"\n\
         email \"Welcome\" { subject \"Welcome, {{person.first_name:default=friend}}\" body \"Hi\" }\n\
         campaign \"Follow-up\" {\n  smart list { trigger fills out form \"Contact Us\" }\n  \
         flow {\n    send email \"Welcome\"\n    wait 1 day\n    change score by 10\n  }\n}\n\
         campaign \"Pricing\" {\n  smart list { trigger visits page \"Pricing\" }\n  \
         flow { change score by 5 }\n  qualify every time\n}\n\
         campaign \"Californians\" {\n  smart list { filter state is \"CA\" }\n  \
         flow { add to list \"Engaged\" }\n}\n",
    );
    for t in 0..n {
        let _ = writeln!(s, "test \"T{t}\" {{\n  from 2026-12-01 09:00");
        for p in 0..5 {
            let state = if p % 2 == 0 { "CA" } else { "NY" };
            let _ = writeln!(
                s,
                "  person \"p{p}@example.com\" {{ first_name \"P{p}\", state \"{state}\" }}"
            );
        }
        let _ = writeln!(
            s,
            "  at 2026-12-01 10:00 \"p0@example.com\" fills out form \"Contact Us\"\n  \
             at 2026-12-01 10:05 \"p1@example.com\" visits page \"Pricing\"\n  \
             at 2026-12-01 10:10 \"p2@example.com\" visits page \"Pricing\"\n  \
             run \"Californians\"\n  until 2026-12-02 11:00\n  \
             expect \"p0@example.com\" score is 10\n  \
             expect 3 people member of list \"Engaged\"\n}}"
        );
    }
    s
}

struct Here;

impl FileBase for Here {
    fn dir_of(&self, _: FileId) -> PathBuf {
        PathBuf::from(".")
    }
}

fn bench(c: &mut Criterion) {
    let text = workspace(1_000);
    let script = parse_file(FileId(0), &text).expect("the generated workspace parses");
    let program = check(&[script]).program.expect("and checks clean");
    let mut g = c.benchmark_group("tests");
    g.sample_size(10);
    g.bench_function("1000 small tests", |b| {
        b.iter(|| {
            let outcomes = run_all(&program, &Here, &Options::default());
            assert!(outcomes.iter().all(|o| o.passed));
            outcomes.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
