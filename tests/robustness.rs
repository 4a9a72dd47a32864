//! No input makes the front end panic or exhaust the stack: deep nesting, invalid UTF-8, random
//! bytes, truncated examples and very large files each either parse or give located diagnostics.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;
use std::time::Instant;

use camp::check::check_workspace;
use camp::diagnostic::Diagnostic;
use camp::syntax::span::FileId;
use camp::syntax::{parse_condition, parse_file, parse_items, parse_step, MAX_NESTING};
use camp::workspace::Workspace;
use corpus::Rng;

/// Runs `f` on a thread with a 2 MiB stack, the size of a default spawned thread, so that
/// unbounded recursion would overflow it.
fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .expect("the parser neither panicked nor overflowed its stack");
}

/// Asserts that every diagnostic lies inside a text of `len` bytes and renders without panic.
fn assert_located(ws: &Workspace, diags: &[Diagnostic]) {
    for d in diags {
        let file = ws
            .sources
            .get(d.primary.span.file)
            .expect("the diagnostic's file is in the workspace");
        let span = d.primary.span;
        assert!(
            span.start <= span.end && span.end as usize <= file.text.len(),
            "span {}..{} outside {} ({} bytes): {}",
            span.start,
            span.end,
            file.name,
            file.text.len(),
            d.message
        );
        for l in &d.secondary {
            assert!(l.span.end as usize <= file.text.len(), "{}", d.message);
        }
        assert!(!d.render(&ws.sources, false, false).is_empty());
    }
}

/// Parses and checks `bytes` as a one-file workspace; returns its diagnostics.
fn check_bytes(name: &str, bytes: Vec<u8>) -> (Workspace, Vec<Diagnostic>) {
    let mut ws = Workspace::new();
    ws.add_bytes(name, bytes);
    let diags = check_workspace(&ws).diagnostics;
    assert_located(&ws, &diags);
    (ws, diags)
}

/// Asserts that `text` is rejected for nesting too deeply, at a located place.
fn assert_too_deep(name: &str, text: String) {
    let (_, diags) = check_bytes(name, text.into_bytes());
    assert_eq!(diags.len(), 1, "{name}: {diags:?}");
    assert_eq!(diags[0].code, "camp::syntax");
    assert!(diags[0].message.contains("nest"), "{}", diags[0].message);
}

const DEEP: usize = 10_000;

#[test]
fn ten_thousand_parentheses_in_a_condition() {
    on_small_stack(|| {
        let cond = format!("{}state is \"CA\"{}", "(".repeat(DEEP), ")".repeat(DEEP));
        let text = format!(
            "campaign \"Deep\" {{\n  smart list {{ trigger person is created }}\n  \
             flow {{\n    if {cond} {{ add to list \"Deep\" }}\n  }}\n}}\n"
        );
        assert_too_deep("parens.camp", text);
        let matched = format!(
            "smart list \"Deep\" {{\n  filter state is \"CA\"\n  match {}1{}\n}}\n",
            "(".repeat(DEEP),
            ")".repeat(DEEP)
        );
        assert_too_deep("match.camp", matched);
        let unbalanced = "(".repeat(DEEP);
        assert_too_deep(
            "open.camp",
            format!("campaign \"x\" {{ flow {{ if {unbalanced}"),
        );
        assert!(parse_condition(FileId(0), &cond).is_err());
        let step = format!("if {cond} {{ add to list \"Deep\" }}");
        assert!(parse_step(FileId(0), &step).is_err());
    });
}

#[test]
fn ten_thousand_nested_ifs() {
    on_small_stack(|| {
        let mut text = String::from(
            "campaign \"Deep\" {\n  smart list { trigger person is created }\n  flow {\n",
        );
        for i in 0..DEEP {
            text.push_str(&format!("if score at least {i} {{\n"));
        }
        text.push_str("add to list \"Deep\"\n");
        text.push_str(&"}\n".repeat(DEEP));
        text.push_str("  }\n}\n");
        assert!(parse_items(FileId(0), &text).is_err());
        assert_too_deep("ifs.camp", text);
    });
}

#[test]
fn nesting_up_to_the_limit_parses() {
    on_small_stack(|| {
        // `campaign {` and `flow {` take two levels; each `if` takes one more.
        let ifs = MAX_NESTING - 2;
        let mut text = String::from(
            "campaign \"Deep\" {\n  smart list { trigger person is created }\n  flow {\n",
        );
        for i in 0..ifs {
            text.push_str(&format!("if score at least {i} {{\n"));
        }
        text.push_str("add to list \"Deep\"\n");
        text.push_str(&"}\n".repeat(ifs));
        text.push_str("  }\n}\n");
        if let Err(d) = parse_file(FileId(0), &text) {
            panic!("{MAX_NESTING} levels should parse: {d:?}");
        }
        let cond = format!(
            "{}state is \"CA\"{}",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        if let Err(d) = parse_condition(FileId(0), &cond) {
            panic!("{MAX_NESTING} parentheses should parse: {d:?}");
        }
    });
}

#[test]
fn long_flat_chains_do_not_recurse() {
    on_small_stack(|| {
        let n = 5_000;
        let cond = vec!["score at least 1"; n].join(" and ");
        let nots = format!("{}state is \"CA\"", "not ".repeat(n));
        let text = format!(
            "smart list \"Wide\" {{\n  filter state is \"CA\"\n  match {}\n}}\n\
             campaign \"Wide\" {{\n  smart list {{ trigger person is created }}\n  flow {{\n    \
             if {cond} {{ add to list \"Wide\" }}\n    if {nots} {{ }}\n  }}\n}}\n",
            vec!["1"; n].join(" or ")
        );
        let (_, _diags) = check_bytes("wide.camp", text.into_bytes());
        let _ = parse_condition(FileId(0), &cond);
    });
}

#[test]
fn invalid_utf8_is_located() {
    let mut bytes = b"# caf\xc3\xa9 is fine\nlist \"Caf".to_vec();
    let bad_at = bytes.len();
    bytes.extend_from_slice(b"\xe9\"\nlist \"ok\"\n\xff\xfe");
    let (ws, diags) = check_bytes("latin1.camp", bytes);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, "camp::syntax");
    assert!(diags[0].message.contains("UTF-8"));
    assert_eq!(diags[0].primary.span.start as usize, bad_at);
    assert!(ws.scripts.is_empty());

    // A lone continuation byte, a truncated sequence at the very end, an overlong encoding.
    for bytes in [
        b"\x80".to_vec(),
        b"list \"x\"\n\xe2\x82".to_vec(),
        b"\xc0\xafcampaign".to_vec(),
    ] {
        let (_, diags) = check_bytes("bad.camp", bytes);
        assert_eq!(diags.len(), 1);
    }
}

/// Words and punctuation of the language, so that random inputs reach deep into the grammar.
const PIECES: &[&str] = &[
    "campaign",
    "smart list",
    "flow",
    "{",
    "}",
    "(",
    ")",
    "\"",
    "\"\"\"",
    "trigger",
    "filter",
    "match",
    "if",
    "else",
    "send email",
    "wait",
    "3",
    "days",
    "hrs",
    "at",
    "09:00",
    "25:00",
    "2026-12-01",
    "2026-02-30",
    "from",
    "until",
    "run every",
    "week",
    "on",
    "mon",
    "and",
    "or",
    "not",
    "is",
    "\"CA\"",
    "{{person.first_name}}",
    "{{",
    "}}",
    "\\u{1F600}",
    "\\q",
    "state",
    "score",
    "by",
    "-5",
    "3.25",
    ",",
    ":",
    "=",
    "#",
    "\n",
    " ",
    "\t",
    "schema person",
    "text",
    "email",
    "é",
    "\u{FEFF}",
    "qualify",
    "once",
    "every time",
    "list",
    "settings",
    "time zone",
    "communication limits 1 per day",
    "member of",
    "was sent email",
    "in past",
    "\r\n",
    "\\",
];

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng::new(0xC0FFEE);
    let mut diagnosed = 0;
    for round in 0..400 {
        let len = rng.below(400);
        let bytes: Vec<u8> = if round % 2 == 0 {
            (0..len).map(|_| (rng.next_u64() & 0xFF) as u8).collect()
        } else {
            let mut text = String::new();
            while text.len() < len {
                text.push_str(rng.pick(PIECES));
                if rng.below(3) == 0 {
                    text.push(' ');
                }
            }
            text.into_bytes()
        };
        let (ws, diags) = check_bytes(&format!("garbage{round}.camp"), bytes);
        if !diags.is_empty() {
            diagnosed += 1;
        } else {
            assert_eq!(
                ws.scripts.len(),
                1,
                "round {round}: neither parsed nor diagnosed"
            );
        }
        let text = ws.sources.iter().next().map(|(_, f)| f.text.clone());
        if let Some(text) = text {
            let _ = parse_condition(FileId(0), &text);
            let _ = parse_step(FileId(0), &text);
            let _ = parse_items(FileId(0), &text);
        }
    }
    assert!(
        diagnosed > 300,
        "only {diagnosed} of 400 random inputs were diagnosed"
    );
}

fn examples() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = camp::workspace::expand(&[&dir]).expect("examples/ holds scripts");
    files.sort();
    assert!(!files.is_empty());
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("example is readable"))
        })
        .collect()
}

#[test]
fn truncated_examples_never_panic() {
    for (name, bytes) in examples() {
        for cut in (0..bytes.len()).step_by(37) {
            let mut ws = Workspace::new();
            ws.add_bytes(&name, bytes[..cut].to_vec());
            let diags = check_workspace(&ws).diagnostics;
            if diags.is_empty() {
                assert_eq!(ws.scripts.len(), 1, "{name} cut at {cut}");
                continue;
            }
            for d in &diags {
                let span = d.primary.span;
                assert!(
                    span.start <= span.end && span.end as usize <= cut,
                    "{name} cut at {cut}: span {}..{}: {}",
                    span.start,
                    span.end,
                    d.message
                );
            }
            // Rendering every one would be slow in debug builds; render the first.
            assert!(!diags[0].render(&ws.sources, false, false).is_empty());
        }
    }
}

fn parse_big(target_bytes: usize) {
    let mut text = corpus::header();
    let mut rng = Rng::new(7);
    let mut i = 0;
    while text.len() < target_bytes {
        text.push_str(&corpus::campaign(i, &mut rng));
        i += 1;
    }
    let started = Instant::now();
    let script = match parse_file(FileId(0), &text) {
        Ok(s) => s,
        Err(d) => panic!("{} bytes did not parse: {:?}", text.len(), d.first()),
    };
    assert!(script.items.len() > i, "{} items", script.items.len());
    eprintln!(
        "parsed {} bytes ({i} campaigns) in {:?}",
        text.len(),
        started.elapsed()
    );
}

#[test]
fn five_megabyte_file_parses() {
    parse_big(5 * 1024 * 1024);
}

/// About two minutes in a debug build (the 5 MB test runs by default); run it with
/// `cargo test --release --test robustness -- --ignored`.
#[test]
#[ignore]
fn fifty_megabyte_file_parses() {
    parse_big(50 * 1024 * 1024);
}

#[test]
fn empty_and_comment_only_bytes_are_clean() {
    for bytes in [&b""[..], b"# nothing\n", b"\n\n", b"#", b"\xef\xbb\xbf"] {
        let (ws, diags) = check_bytes("quiet.camp", bytes.to_vec());
        assert!(diags.is_empty(), "{bytes:?}: {diags:?}");
        assert_eq!(ws.scripts.len(), 1);
    }
}
