//! Every example script parses, and every code block of LANGUAGE.md (kept verbatim in
//! `tests/language/*.camp`) parses once wrapped as its first line says: `# fragment: items`,
//! `conditions`, `triggers`, `schedules` or `steps`. Syntax only: fragments use names they do
//! not declare, so the checker is not run on them.

use std::path::{Path, PathBuf};

use camp::diagnostic::SourceMap;
use camp::syntax::parse_file;
use camp::workspace::Workspace;

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no .{ext} files in {}", dir.display());
    found
}

/// Parses `text` as one file and fails with the rendered diagnostics if it does not parse.
fn assert_parses(name: &str, text: &str) {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    if let Err(diags) = parse_file(id, text) {
        let shown: String = diags
            .iter()
            .map(|d| d.render(&sources, false, false))
            .collect();
        panic!("{name} does not parse:\n{shown}\n--- text ---\n{text}");
    }
}

/// Every `.camp` file of every example workspace (`examples/NAME/`, tests included).
fn example_scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let found = camp::workspace::expand(&[&dir]).expect("examples/ holds scripts");
    assert!(found.len() >= 8, "examples are missing");
    found
}

#[test]
fn every_example_parses() {
    for path in example_scripts() {
        let text = std::fs::read_to_string(&path).expect("example is UTF-8");
        assert_parses(&path.display().to_string(), &text);
    }
}

#[test]
fn every_example_is_a_workspace_without_syntax_errors() {
    for path in example_scripts() {
        let ws = Workspace::load(&[&path]).expect("example is readable");
        assert!(
            ws.diagnostics.is_empty(),
            "{}: {:?}",
            path.display(),
            ws.diagnostics
        );
        assert_eq!(ws.scripts.len(), 1);
        assert!(!ws.scripts[0].items.is_empty(), "{}", path.display());
    }
}

/// The fragment's lines without comments and blank lines.
fn code_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| strip_comment(l).trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// `line` up to a `#` that stands outside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The kind a fragment declares on its first line, `# fragment: <kind>`.
fn fragment_kind(path: &Path, text: &str) -> String {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# fragment:"))
        .map(|k| k.trim().to_string())
        .unwrap_or_else(|| panic!("{}: first line is not `# fragment: <kind>`", path.display()))
}

#[test]
fn every_language_fragment_parses() {
    let mut kinds = Vec::new();
    for path in files("tests/language", "camp") {
        let text = std::fs::read_to_string(&path).expect("fragment is UTF-8");
        let name = path.display().to_string();
        let kind = fragment_kind(&path, &text);
        match kind.as_str() {
            "items" => assert_parses(&name, &text),
            "conditions" => {
                for (i, line) in code_lines(&text).into_iter().enumerate() {
                    let wrapped = format!(
                        "campaign \"x\" {{\n  smart list {{\n    filter {line}\n  }}\n}}\n"
                    );
                    assert_parses(&format!("{name} (condition {})", i + 1), &wrapped);
                    // Conditions also stand in `if` choices.
                    let in_if = format!(
                        "campaign \"x\" {{\n  flow {{\n    if {line} {{ delete person }}\n  }}\n}}\n"
                    );
                    assert_parses(&format!("{name} (if {})", i + 1), &in_if);
                }
            }
            "triggers" => {
                let body: String = code_lines(&text)
                    .into_iter()
                    .map(|l| format!("    {l}\n"))
                    .collect();
                let wrapped = format!("campaign \"x\" {{\n  smart list {{\n{body}  }}\n}}\n");
                assert_parses(&name, &wrapped);
            }
            "schedules" => {
                for (i, line) in code_lines(&text).into_iter().enumerate() {
                    let wrapped = format!("campaign \"x{i}\" {{\n  {line}\n}}\n");
                    assert_parses(&format!("{name} (schedule {})", i + 1), &wrapped);
                }
            }
            "steps" => {
                let body: String = code_lines(&text)
                    .into_iter()
                    .map(|l| format!("    {l}\n"))
                    .collect();
                let wrapped = format!("campaign \"x\" {{\n  flow {{\n{body}  }}\n}}\n");
                assert_parses(&name, &wrapped);
            }
            other => panic!("{name}: unknown fragment kind `{other}`"),
        }
        kinds.push(kind);
    }
    for kind in ["items", "conditions", "triggers", "schedules", "steps"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no `{kind}` fragment in tests/language"
        );
    }
}

#[test]
fn readme_camp_blocks_parse() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let mut blocks = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```camp\n") {
        let body = &rest[start + "```camp\n".len()..];
        let end = body.find("```").expect("the block is closed");
        assert_parses(&format!("README.md block {}", blocks + 1), &body[..end]);
        blocks += 1;
        rest = &body[end..];
    }
    assert!(blocks > 0, "README.md has no camp block");
}

/// The field-condition forms of LANGUAGE.md 4.1's table, with `F` and `D` filled in.
const TABLE_FORMS: &[&str] = &[
    r#"state is "a", "b""#,
    r#"state is not "a""#,
    r#"state starts with "a""#,
    r#"state not starts with "a""#,
    r#"state contains "a""#,
    r#"state not contains "a""#,
    "state is empty",
    "state is not empty",
    "employees is 5",
    "employees is not 5",
    "employees greater than 5",
    "employees less than 5",
    "employees at least 5",
    "employees at most 5",
    "employees between 5 and 9",
    "employees is empty",
    "employees is not empty",
    "employees = 5",
    "employees != 5",
    "employees > 5",
    "employees < 5",
    "employees >= 5",
    "employees <= -5.5",
    "birthday is 2026-01-01",
    "birthday before 2026-01-01",
    "birthday after 2026-01-01",
    "birthday on or before 2026-01-01",
    "birthday on or after 2026-01-01",
    "birthday between 2026-01-01 and 2026-12-31",
    "birthday in past 30 days",
    "birthday in past before 30 days",
    "birthday in future 7 days",
    "birthday in future after 7 days",
    "renewal_at after 2026-12-01 09:00",
    "renewal_at before 2026-12-01T09:00:00Z",
    "renewal_at before 2026-12-01T09:00:00+01:00",
    "vip is true",
    "vip is false",
    "not vip is true",
    r#"not state is "CA""#,
    r#"email is empty"#,
    r#"was sent email in past 30 days at least 2 times"#,
    r#"visited page "Pricing" since 2026-12-01"#,
    r#"opened email "Welcome" between 2026-12-01 and 2026-12-31"#,
];

#[test]
fn condition_table_forms_parse() {
    for (i, form) in TABLE_FORMS.iter().enumerate() {
        let text = format!(
            "smart list \"s{i}\" {{\n  filter {form}\n}}\n\
             campaign \"c{i}\" {{\n  flow {{\n    if {form} {{ }}\n  }}\n}}\n"
        );
        assert_parses(&format!("table form `{form}`"), &text);
    }
}
