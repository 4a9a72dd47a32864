//! `camp test` (LANGUAGE.md 11): each test of the checked program runs in a fresh in-memory
//! store through the engine's own entry points (imports, events intake, on-demand batch runs,
//! `run_until`), and its expectations are evaluated with the engine's condition evaluator.
//!
//! [`run`] applies one test's statements; [`expect`] evaluates an `expect` and, when it fails,
//! says what was found instead; [`why`] explains a failed condition part by part as
//! `camp explain` does; [`report`] writes the results as JSON lines and JUnit XML.
//! Tests share nothing, so [`run_all`] runs them on several threads and the results never
//! depend on the order they ran in. A thread reuses one in-memory store, emptied before each
//! test (`SqliteStore::reset`), so that SQLite compiles its statements once per thread rather
//! than once per test.

pub mod expect;
pub mod report;
pub mod run;
pub mod why;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::check::ir::{Expect, Program, Test};
use crate::diagnostic::Diagnostic;
use crate::store::Store;

/// The result of one test.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The test's name.
    pub name: String,
    /// Where the test's name is written (its file and line).
    pub span: crate::syntax::ast::Span,
    /// Whether every expectation held and every statement applied.
    pub passed: bool,
    /// Wall time spent, in milliseconds.
    pub millis: u64,
    /// Failed expectations and statements that could not be applied, in statement order.
    pub failures: Vec<Diagnostic>,
}

/// What a failure explanation can read: the program, the test's store at the failing
/// `expect`, its clock, the expectation and the person it is about (if one).
pub struct FailureContext<'a> {
    /// The checked program.
    pub program: &'a Program,
    /// The test's store, as the expectation saw it.
    pub store: &'a dyn Store,
    /// The test's clock.
    pub now: i64,
    /// The expectation that failed.
    pub expect: &'a Expect,
    /// The `expect` statement as written.
    pub span: crate::syntax::ast::Span,
    /// The person the expectation names, when it names one that exists.
    pub person: Option<crate::store::PersonId>,
}

/// Enriches the diagnostic of a failed expectation with an explanation of why a person did
/// or did not match its condition ([`why::Why`], `camp explain`'s evaluation and rendering).
pub trait Explainer: Sync {
    /// Returns `diag`, possibly with more labels or help.
    fn explain(&self, cx: &FailureContext<'_>, diag: Diagnostic) -> Diagnostic;
}

/// Where the files a test names (`people`, `events`) are read from: the folder of the file
/// holding the test.
pub trait FileBase: Sync {
    /// The folder of the file with id `file`.
    fn dir_of(&self, file: crate::syntax::span::FileId) -> PathBuf;
}

impl FileBase for crate::workspace::Workspace {
    fn dir_of(&self, file: crate::syntax::span::FileId) -> PathBuf {
        crate::workspace::Workspace::dir_of(self, file)
    }
}

/// Options of a test run.
pub struct Options<'a> {
    /// Only tests whose name contains this text.
    pub filter: Option<&'a str>,
    /// How many threads to use (at least 1).
    pub threads: usize,
    /// Adds explanations to failures (none: the failures say what was found, not why).
    pub explainer: Option<&'a dyn Explainer>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            filter: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            explainer: None,
        }
    }
}

/// The tests `filter` selects, in declaration order.
pub fn selected<'p>(program: &'p Program, filter: Option<&str>) -> Vec<&'p Test> {
    program
        .tests
        .iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .collect()
}

/// Runs the selected tests, each in its own store, on up to `options.threads` threads; the
/// outcomes come back in declaration order whatever order they ran in.
pub fn run_all(program: &Program, files: &dyn FileBase, options: &Options<'_>) -> Vec<Outcome> {
    let tests = selected(program, options.filter);
    let threads = options.threads.clamp(1, tests.len().max(1));
    if threads == 1 {
        let mut store = None;
        return tests
            .iter()
            .map(|t| run::run_test_in(&mut store, program, t, files, options.explainer))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; tests.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut store = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = tests.get(i) else { break };
                    let outcome =
                        run::run_test_in(&mut store, program, t, files, options.explainer);
                    if let Ok(mut r) = results.lock() {
                        if let Some(slot) = r.get_mut(i) {
                            *slot = Some(outcome);
                        }
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}
