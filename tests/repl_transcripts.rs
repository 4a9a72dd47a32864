//! Transcript tests of the REPL: each `tests/repl/*.txt` holds inputs (`> ` first line, `. `
//! continuation lines) each followed by the output expected, run through `Session::eval`, the
//! code path of the interactive loop. Lines before the first input are `# ` comments or
//! settings: `# from: 2026-12-01T09:00:00Z` starts the store's clock there, `# width: 60`
//! renders diagnostics 60 characters wide (as on a terminal that wide).
//!
//! `CAMP_BLESS=1 cargo test --test repl_transcripts` rewrites the expected outputs.

use std::path::Path;

use camp::repl::Session;
use camp::store::open::{open, Access};

struct Case {
    header: Vec<String>,
    steps: Vec<(Vec<String>, Vec<String>)>,
}

fn parse(text: &str) -> Case {
    let mut header = Vec::new();
    let mut steps: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(input) = line.strip_prefix("> ").or((line == ">").then_some("")) {
            steps.push((vec![input.to_string()], Vec::new()));
        } else if let Some(more) = line.strip_prefix(". ").or((line == ".").then_some("")) {
            match steps.last_mut() {
                Some((input, out)) if out.is_empty() => input.push(more.to_string()),
                _ => panic!("a continuation line must follow an input: {line}"),
            }
        } else if let Some((_, out)) = steps.last_mut() {
            out.push(line.to_string());
        } else {
            header.push(line.to_string());
        }
    }
    Case { header, steps }
}

fn normalize(lines: &[String]) -> String {
    let mut v: Vec<&str> = lines.iter().map(|l| l.trim_end()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v.join("\n")
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case = parse(&text);
    let store = open(":memory:", Access::Read).map_err(|e| e.to_string())?;
    let mut from = "2026-12-01T09:00:00Z".to_string();
    let mut width = None;
    for h in &case.header {
        if let Some(f) = h.strip_prefix("# from: ") {
            from = f.trim().to_string();
        }
        if let Some(w) = h.strip_prefix("# width: ") {
            width = Some(w.trim().parse::<usize>().map_err(|e| e.to_string())?);
        }
    }
    let start = chrono::DateTime::parse_from_rfc3339(&from)
        .map_err(|e| e.to_string())?
        .timestamp();
    let mut session = Session::new(store, start)?;
    if let Some(w) = width {
        session.set_width(w);
    }
    let mut blessed = case.header.join("\n");
    let mut failures = Vec::new();
    for (input, expected) in &case.steps {
        let got = session.eval(&input.join("\n"));
        let got_lines: Vec<String> = got.lines().map(str::to_string).collect();
        let (want, have) = (normalize(expected), normalize(&got_lines));
        if want != have {
            failures.push(format!(
                "input:\n{}\n--- expected\n{want}\n--- got\n{have}\n",
                input.join("\n")
            ));
        }
        if !blessed.is_empty() {
            blessed.push('\n');
        }
        for (i, l) in input.iter().enumerate() {
            let mark = if i == 0 { ">" } else { "." };
            if l.is_empty() {
                blessed.push_str(&format!("{mark}\n"));
            } else {
                blessed.push_str(&format!("{mark} {l}\n"));
            }
        }
        if !have.is_empty() {
            blessed.push_str(&have);
            blessed.push('\n');
        }
    }
    if std::env::var_os("CAMP_BLESS").is_some() {
        std::fs::write(path, blessed).map_err(|e| e.to_string())?;
        return Ok(());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

#[test]
fn transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repl");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/repl exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    let mut failed = Vec::new();
    for p in &paths {
        if let Err(e) = run_case(p) {
            failed.push(format!("== {}\n{e}", p.display()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(paths.len() >= 8, "expected at least 8 transcripts");
}
