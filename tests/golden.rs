//! Golden cases: every `tests/cases/**/*.camp` is checked as its own workspace and its rendered
//! diagnostics (colour and unicode off) are compared with the snapshot stored next to it, in
//! `snapshots/<file stem>.snap`. A new case is a new file; `INSTA_UPDATE=always cargo test
//! --test golden` (or `cargo insta test`) writes its snapshot, which is then read and committed.
//! With `CI=true` nothing is written and a missing or changed snapshot fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use camp::check::check_workspace;
use camp::syntax::parser::Rule;
use camp::workspace::Workspace;

fn cases_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Every `.camp` file under `dir`, sorted, at any depth (`snapshots/` folders hold no cases).
fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            found.extend(case_files(&path));
        } else if path.extension().is_some_and(|x| x == "camp") {
            found.push(path);
        }
    }
    found
}

/// The case's path below `tests/cases`, with `/` separators: the file name diagnostics show.
fn display_name(path: &Path) -> String {
    let rel = path.strip_prefix(cases_root()).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Grammar rule names that are not also English words (`flow_block`, `kw_send`, `EOI`): they
/// belong to the grammar's internals and must never reach a user.
fn internal_names() -> Vec<String> {
    Rule::all_rules()
        .iter()
        .map(|r| format!("{r:?}"))
        .filter(|n| n.contains('_') || n.chars().all(|c| c.is_ascii_uppercase()))
        .collect()
}

/// The first internal rule name written as a word of `text`, if any.
fn internal_word(text: &str, internal: &[String]) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| internal.iter().any(|n| n == w))
        .map(str::to_string)
}

/// Checks one case as its own workspace and renders what a user would see.
fn render_case(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("case file is readable");
    let name = display_name(path);
    let mut ws = Workspace::new();
    ws.add_bytes(&name, bytes);
    let diags = check_workspace(&ws).diagnostics;
    let text_len = ws
        .sources
        .iter()
        .next()
        .map(|(_, f)| f.text.len())
        .unwrap_or(0);
    let internal = internal_names();
    let mut out = String::new();
    for d in &diags {
        let span = d.primary.span;
        assert!(
            span.start <= span.end && span.end as usize <= text_len,
            "{name}: diagnostic span {}..{} outside the file ({text_len} bytes)",
            span.start,
            span.end
        );
        if name.starts_with("syntax/") {
            assert_eq!(d.code, "camp::syntax", "{name}: {}", d.message);
        }
        let mut texts = vec![d.message.as_str(), d.primary.message.as_str()];
        texts.extend(d.help.as_deref());
        texts.extend(d.secondary.iter().map(|l| l.message.as_str()));
        for t in texts {
            if let Some(w) = internal_word(t, &internal) {
                panic!("{name}: `{t}` shows the grammar's internal name `{w}`");
            }
        }
        out.push_str(&d.render(&ws.sources, false, false));
    }
    if diags.is_empty() {
        out.push_str("(no diagnostics)\n");
    }
    out
}

#[test]
fn golden_cases() {
    let root = cases_root();
    let files = case_files(&root);
    assert!(!files.is_empty(), "no cases under {}", root.display());
    let mut failures = Vec::new();
    for path in &files {
        let snapshot_dir = path
            .parent()
            .expect("a case has a folder")
            .join("snapshots");
        let stem = path
            .file_stem()
            .expect("a case has a name")
            .to_string_lossy()
            .into_owned();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let rendered = render_case(path);
            insta::with_settings!({
                snapshot_path => snapshot_dir,
                prepend_module_to_snapshot => false,
                input_file => path,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(stem.as_str(), rendered);
            });
        }));
        if outcome.is_err() {
            failures.push(display_name(path));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed: {}",
        failures.len(),
        files.len(),
        failures.join(", ")
    );
}

/// An empty file and a file of only comments are clean workspaces.
#[test]
fn empty_and_comment_only_files_are_clean() {
    for (name, text) in [
        ("empty.camp", ""),
        ("blank.camp", "\n\n   \n\t\n"),
        ("comments.camp", "# only a comment"),
        ("comments_lines.camp", "# one\n#two\n   # three\n"),
        ("bom.camp", "\u{FEFF}# a byte-order mark, then a comment\n"),
    ] {
        let mut ws = Workspace::new();
        ws.add_text(name, text.to_string());
        let diags = check_workspace(&ws).diagnostics;
        assert!(diags.is_empty(), "{name}: {diags:?}");
        assert_eq!(ws.scripts.len(), 1, "{name}");
        assert!(ws.scripts[0].items.is_empty(), "{name}");
    }
}
