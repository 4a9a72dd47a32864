//! `camp fmt`: every example, check case and language snippet formats idempotently, re-parses
//! to the same AST (spans aside), checks to the same codes and keeps every comment; golden
//! files in `tests/fmt/` show the layout.

use std::path::{Path, PathBuf};

use camp::check::check;
use camp::fmt::{comments, format_items, format_source};
use camp::syntax::ast::{Item, Script};
use camp::syntax::span::FileId;
use camp::syntax::{parse_file, parse_items};
use serde_json::Value;

/// The AST as JSON without positions: spans, `op_span`, `header`, `keyword` and file ids
/// removed, so two parses of differently laid-out text compare equal when they mean the same.
fn strip(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let is_span = map.len() == 3
                && map.contains_key("file")
                && map.contains_key("start")
                && map.contains_key("end");
            if is_span {
                return Value::Null;
            }
            Value::Object(
                map.into_iter()
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            "span" | "op_span" | "header" | "keyword" | "file" | "repeated"
                        )
                    })
                    .map(|(k, v)| (k, strip(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(strip).collect()),
        other => other,
    }
}

fn ast(items: &[Item]) -> Value {
    strip(serde_json::to_value(items).unwrap_or(Value::Null))
}

fn codes(scripts: &[Script]) -> Vec<&'static str> {
    let mut c: Vec<&'static str> = check(scripts).diagnostics.iter().map(|d| d.code).collect();
    c.sort_unstable();
    c
}

fn comment_texts(text: &str) -> Vec<String> {
    comments::collect(text)
        .into_iter()
        .map(|c| c.text)
        .collect()
}

/// Formats `items` (parsed from `text`) and checks every property; returns the formatted text.
fn roundtrip(path: &Path, text: &str, items: &[Item]) -> Result<String, String> {
    let name = path.display();
    let once = format_items(items, text);
    let again = parse_items(FileId(0), &once)
        .map_err(|d| format!("{name}: formatted text does not parse: {d:?}\n{once}"))?;
    if ast(items) != ast(&again) {
        return Err(format!("{name}: the AST changed\n{once}"));
    }
    let twice = format_items(&again, &once);
    if once != twice {
        return Err(format!(
            "{name}: not idempotent\n--- once\n{once}\n--- twice\n{twice}"
        ));
    }
    if comment_texts(text) != comment_texts(&once) {
        return Err(format!("{name}: comments changed\n{once}"));
    }
    let before = codes(&[Script {
        file: FileId(0),
        items: items.to_vec(),
    }]);
    let after = codes(&[Script {
        file: FileId(0),
        items: again,
    }]);
    if before != after {
        return Err(format!("{name}: codes {before:?} became {after:?}"));
    }
    Ok(once)
}

fn files(dir: &str, recursive: bool) -> Vec<PathBuf> {
    fn walk(d: &Path, rec: bool, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() && rec {
                walk(&p, rec, out);
            } else if p.extension().is_some_and(|x| x == "camp") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        recursive,
        &mut out,
    );
    out.sort();
    out
}

fn run_all(paths: &[PathBuf], as_items: bool) -> usize {
    let mut failures = Vec::new();
    let mut done = 0;
    for p in paths {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let parsed = if as_items {
            parse_items(FileId(0), &text)
        } else {
            parse_file(FileId(0), &text).map(|s| s.items)
        };
        let Ok(items) = parsed else { continue };
        done += 1;
        if let Err(e) = roundtrip(p, &text, &items) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    done
}

#[test]
fn examples_format_stably() {
    let paths = files("examples", true);
    assert!(run_all(&paths, false) >= 8);
}

#[test]
fn examples_format_as_a_workspace_with_the_same_codes() {
    let paths = files("examples", true);
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let id = FileId(i as u32);
        let Ok(s) = parse_file(id, &text) else {
            continue;
        };
        let formatted = format_source(id, &text).unwrap_or_default();
        let t = parse_file(id, &formatted).expect("formatted example parses");
        before.push(s);
        after.push(t);
    }
    assert_eq!(codes(&before), codes(&after));
}

#[test]
fn check_cases_format_stably() {
    let paths = files("tests/cases", true);
    assert!(run_all(&paths, false) > 40);
}

#[test]
fn language_snippets_format_stably() {
    let paths = files("tests/language", false);
    run_all(&paths, true);
}

#[test]
fn golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fmt");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    inputs.retain(|p| p.to_string_lossy().ends_with(".in.camp"));
    inputs.sort();
    assert!(!inputs.is_empty(), "no golden inputs in {}", dir.display());
    let bless = std::env::var_os("CAMP_BLESS").is_some();
    let mut failures = Vec::new();
    for input in inputs {
        let text = std::fs::read_to_string(&input).unwrap_or_default();
        let items = parse_file(FileId(0), &text)
            .unwrap_or_else(|d| panic!("{}: {d:?}", input.display()))
            .items;
        let got = match roundtrip(&input, &text, &items) {
            Ok(g) => g,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let out = PathBuf::from(input.to_string_lossy().replace(".in.camp", ".out.camp"));
        if bless {
            std::fs::write(&out, &got).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
            continue;
        }
        let want = std::fs::read_to_string(&out).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "{}: differs from {}\n--- got\n{got}",
                input.display(),
                out.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn syntax_errors_are_not_formatted() {
    let err = format_source(FileId(0), "campaign \"X\" {\n  flow {\n").unwrap_err();
    assert_eq!(err[0].code, "camp::syntax");
}

#[test]
fn fmt_check_names_files_and_leaves_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = dir.path().join("messy.camp");
    let tidy = dir.path().join("tidy.camp");
    let broken = dir.path().join("broken.camp");
    std::fs::write(&messy, "list   \"A\"\nlist \"B\"   # b\n").expect("write");
    std::fs::write(&tidy, "list \"A\"\n").expect("write");
    std::fs::write(&broken, "list A\n").expect("write");
    let bin = env!("CARGO_BIN_EXE_camp");
    let out = std::process::Command::new(bin)
        .args(["fmt", "--check"])
        .arg(&messy)
        .arg(&tidy)
        .output()
        .expect("run camp fmt");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("messy.camp") && !stdout.contains("tidy.camp"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap_or_default(),
        "list   \"A\"\nlist \"B\"   # b\n"
    );

    let out = std::process::Command::new(bin)
        .arg("fmt")
        .arg(&messy)
        .arg(&tidy)
        .output()
        .expect("run camp fmt");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap_or_default(),
        "list \"A\"\nlist \"B\" # b\n"
    );

    let out = std::process::Command::new(bin)
        .arg("fmt")
        .arg(&broken)
        .output()
        .expect("run camp fmt");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("camp::syntax"));
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap_or_default(),
        "list A\n"
    );
}
