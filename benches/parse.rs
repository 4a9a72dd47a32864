//! Parse throughput: a generated workspace of 1,000 varied campaigns (batch and trigger, smart
//! lists, flows with choices and waits, emails), parsed to the AST.
//!
//! `cargo bench --bench parse -- --warm-up-time 1 --measurement-time 5`

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::hint::black_box;

use camp::syntax::parse_file;
use camp::syntax::parser::{CampParser, Rule};
use camp::syntax::span::FileId;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pest::Parser;

fn parse(c: &mut Criterion) {
    let text = corpus::workspace(1_000, 42);
    assert!(
        parse_file(FileId(0), &text).is_ok(),
        "the generated workspace parses"
    );
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("1000 campaigns", |b| {
        b.iter(|| parse_file(FileId(0), black_box(&text)))
    });
    // The grammar alone, without lowering to the AST: shows which half dominates.
    group.bench_function("1000 campaigns, grammar only", |b| {
        b.iter(|| CampParser::parse(Rule::file, black_box(&text)).map(|p| p.count()))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
