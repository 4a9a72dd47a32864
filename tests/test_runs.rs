//! Golden runs of `test` items: every `tests/testing/*.camp` is checked (it must have no error),
//! its tests are run, and what `camp test` shows of them (a line per test, then each failure
//! rendered with colour and unicode off) is compared with `tests/testing/snapshots/<stem>.snap`.
//! `INSTA_UPDATE=always cargo test --test test_runs` writes new snapshots.

use std::path::{Path, PathBuf};

use camp::check::check_workspace;
use camp::explain::Marks;
use camp::testing::why::Why;
use camp::testing::{run_all, Options};
use camp::workspace::Workspace;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new("tests/testing");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/testing is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "camp"))
        .collect();
    files.sort();
    files
}

fn render(path: &Path, threads: usize) -> String {
    let ws = Workspace::load(&[path]).expect("case is readable");
    let checked = check_workspace(&ws);
    assert!(
        !checked.diagnostics.iter().any(|d| d.is_error()),
        "{} has errors: {:?}",
        path.display(),
        checked.diagnostics
    );
    let program = checked.program.expect("a clean workspace has a program");
    let why = Why::new(&ws.scripts, &ws.sources, Marks::Words);
    let options = Options {
        threads,
        explainer: Some(&why),
        ..Options::default()
    };
    let outcomes = run_all(&program, &ws, &options);
    assert!(!outcomes.is_empty(), "{} holds no test", path.display());
    let mut out = String::new();
    for o in &outcomes {
        let verdict = if o.passed { "ok" } else { "FAILED" };
        out.push_str(&format!("test \"{}\" ... {verdict}\n", o.name));
    }
    for o in &outcomes {
        for d in &o.failures {
            out.push('\n');
            out.push_str(&d.render(&ws.sources, false, false));
        }
    }
    out
}

#[test]
fn golden_test_runs() {
    let files = cases();
    assert!(files.len() >= 8, "cases are missing");
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let rendered = render(path, 1);
        insta::with_settings!({
            snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testing/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(stem.as_str(), rendered);
        });
    }
}

/// Several threads give what one gives.
#[test]
fn threads_do_not_change_results() {
    for path in &cases() {
        assert_eq!(render(path, 1), render(path, 4), "{}", path.display());
    }
}

/// A store reused from test to test (emptied in between) gives what a new store gives.
#[test]
fn a_reused_store_gives_what_a_new_one_gives() {
    use camp::testing::run::run_test;
    for path in &cases() {
        let ws = Workspace::load(&[path]).expect("case is readable");
        let program = check_workspace(&ws).program.expect("no errors");
        let why = Why::new(&ws.scripts, &ws.sources, Marks::Words);
        let reused = run_all(
            &program,
            &ws,
            &Options {
                threads: 1,
                explainer: Some(&why),
                ..Options::default()
            },
        );
        for (t, r) in program.tests.iter().zip(&reused) {
            let fresh = run_test(&program, t, &ws, Some(&why));
            assert_eq!(fresh.failures, r.failures, "{}: {}", path.display(), t.name);
            assert_eq!(fresh.passed, r.passed);
        }
    }
}
