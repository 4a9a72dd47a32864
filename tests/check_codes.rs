//! Each `tests/cases/check/*.camp` case yields exactly the codes its `# expect:` line lists,
//! and its first diagnostic of the first listed code underlines the `# underline:` text.
//!
//! Plus: a workspace with many different errors reports them all, and every example checks
//! clean.

use std::path::{Path, PathBuf};

use camp::check::check;
use camp::diagnostic::Diagnostic;
use camp::syntax::parse_file;
use camp::syntax::span::FileId;

/// Parses and checks `files` as one workspace; syntax errors are returned as they are.
fn diagnostics(files: &[&str]) -> Vec<Diagnostic> {
    let mut scripts = Vec::new();
    let mut syntax = Vec::new();
    for (i, text) in files.iter().enumerate() {
        match parse_file(FileId(i as u32), text) {
            Ok(s) => scripts.push(s),
            Err(d) => syntax.extend(d),
        }
    }
    if !syntax.is_empty() {
        return syntax;
    }
    let checked = check(&scripts);
    assert_eq!(
        checked.program.is_some(),
        !checked.diagnostics.iter().any(Diagnostic::is_error),
        "a program exactly when there is no error"
    );
    checked.diagnostics
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "camp"));
    files.sort();
    files
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix('#')?.trim().strip_prefix(key))
        .map(str::trim)
}

fn check_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let expect = header(&text, "expect:").ok_or("no `# expect:` line")?;
    let mut want: Vec<&str> = expect.split(',').map(str::trim).collect();
    want.sort_unstable();
    let diags = diagnostics(&[&text]);
    let mut got: Vec<&str> = diags.iter().map(|d| d.code).collect();
    got.sort_unstable();
    if got != want {
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        return Err(format!(
            "expected {want:?}, got {got:?}\n  {}",
            msgs.join("\n  ")
        ));
    }
    if let Some(u) = header(&text, "underline:") {
        let u = u
            .strip_prefix('"')
            .and_then(|u| u.strip_suffix('"'))
            .unwrap_or(u);
        let first = expect.split(',').next().unwrap_or("").trim();
        let d = diags
            .iter()
            .find(|d| d.code == first)
            .ok_or("no diagnostic")?;
        let span = d.primary.span;
        let under = text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("<bad span>");
        // the parser's spans may still end in the whitespace that follows the construct
        if under.trim_end() != u {
            return Err(format!("underlined {under:?}, expected {u:?}"));
        }
    }
    for d in &diags {
        check_style(d)?;
    }
    Ok(())
}

/// Messages are lower case, without a final period, without line breaks.
fn check_style(d: &Diagnostic) -> Result<(), String> {
    let m = &d.message;
    let bad = m.is_empty()
        || m.ends_with('.')
        || m.contains('\n')
        || m.chars().next().is_some_and(char::is_uppercase);
    if bad {
        return Err(format!("message not in house style: {m:?}"));
    }
    Ok(())
}

#[test]
fn every_case_yields_its_codes() {
    let files = case_files();
    assert!(files.len() >= 40, "case files are missing");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|p| {
            check_case(p).err().map(|e| {
                format!(
                    "{}: {e}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_has_a_case() {
    let codes = [
        "camp::syntax",
        "camp::kind::batch_has_trigger",
        "camp::kind::trigger_without_trigger",
        "camp::kind::executable_has_trigger",
        "camp::schedule::trigger_scheduled",
        "camp::schedule::batch_activation",
        "camp::schedule::executable_scheduled",
        "camp::schedule::invalid_recurrence",
        "camp::smart_list::empty",
        "camp::smart_list::unknown_filter",
        "camp::smart_list::ambiguous_logic",
        "camp::smart_list::unused_filter",
        "camp::smart_list::trigger_outside_campaign",
        "camp::smart_list::cycle",
        "camp::flow::empty",
        "camp::flow::request_target",
        "camp::flow::execute_target",
        "camp::flow::execute_depth",
        "camp::flow::not_in_executable",
        "camp::flow::unreachable",
        "camp::flow::date_wait_in_batch",
        "camp::name::unknown",
        "camp::name::duplicate",
        "camp::type::mismatch",
        "camp::type::operator",
        "camp::type::read_only",
        "camp::token::trigger_in_batch",
        "camp::token::trigger_in_batch_email",
        "camp::cascade::loop",
        "camp::campaign::statement",
        "camp::token::not_allowed",
        "camp::test::time",
        "camp::test::unknown_person",
        "camp::test::not_batch",
    ];
    let names: Vec<String> = case_files()
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    for code in codes {
        let prefix = code.trim_start_matches("camp::").replace("::", "_");
        let prefix = if code == "camp::syntax" {
            "camp_syntax".to_string()
        } else {
            prefix
        };
        assert!(
            names.iter().any(|n| n.starts_with(&format!("{prefix}__"))),
            "no case for {code}"
        );
    }
}

/// Twenty different errors in one workspace of two files: all twenty are reported.
#[test]
fn reports_every_error_in_a_workspace() {
    let a = r#"
schema person { state: text, birthday: date }
list "Leads"
list "Leads"
email "Hi" { subject "Hi {{person.frist_name}}" }
smart list "S" { trigger visits page "Pricing" }
page "Pricing"
batch campaign "B1" {
  smart list { trigger visits page "Pricing" }
  flow { add to list "Leads" }
}
trigger campaign "T1" {
  smart list { filter state is "CA" }
  flow { add to list "Leads" }
}
campaign "T2" {
  smart list { trigger visits page "Pricing" }
  flow { add to list "Leads" }
  run at 2026-12-01 09:00
}
"#;
    let b = r#"
executable campaign "E1" {
  flow { wait 1 day add to list "Leadz" }
  active
}
campaign "B2" {
  smart list { filter state greater than 3 filter birthday is 2026-01-01 10:00 match 1 and 2 or 3 }
  flow {
    change id to 4
    request campaign "T1"
    execute campaign "T2"
    wait until next birthday
  }
  run every week on day 3 at 09:00 from 2026-12-01
}
campaign "B3" {
  flow { }
}
"#;
    let diags = diagnostics(&[a, b]);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    let list: Vec<String> = errors
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert_eq!(errors.len(), 20, "got:\n{}", list.join("\n"));
    let mut sorted = diags.clone();
    camp::diagnostic::sort(&mut sorted);
    assert_eq!(sorted, diags, "diagnostics come sorted");
}

#[test]
fn examples_check_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(folders.len() >= 4, "example workspaces are missing");
    for f in folders {
        // Each example is a workspace folder: its script and its tests check together.
        let files = camp::workspace::expand(&[&f]).expect("the example holds scripts");
        let texts: Vec<String> = files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let diags = diagnostics(&refs);
        let list: Vec<String> = diags
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(
            diags.is_empty(),
            "{} is not clean:\n{}",
            f.display(),
            list.join("\n")
        );
    }
}

/// Constructs that are easy to refuse by mistake check clean.
#[test]
fn valid_edge_cases_check_clean() {
    let text = r#"
settings { time zone "Europe/Paris" communication limits 1 per day }
schema person { state: text, renewal_at: datetime, birthday: date, seats: number }
schema person { vip: bool, first_name: text }
list "Leads"
form "Contact Us"
page "Pricing"
program "Webinar" { statuses "Invited", "Attended" }
event "trial_started" { plan: text, seats: number }
token company = "Acme {{program.name}}"
email "Thanks" { subject "Thanks {{trigger.plan:default=you}}" body "{{my.company}} {{system.date}}" }
email "Plain" { subject "Hello {{person.first_name:default=friend}}" }
smart list "Late" { filter renewal_at before 2026-12-01 filter member of smart list "Early" }
smart list "Early" { filter birthday after 1990-01-01 }

executable campaign "A" { flow { execute campaign "B" } }
executable campaign "B" { flow { execute campaign "C" } }
executable campaign "C" { flow { add to list "Leads" } }

campaign "Blast" {
  description "For {{campaign.name}}"
  smart list {
    filter renewal_at is 2026-12-01
    filter renewal_at between 2026-12-01 and 2026-12-24 18:00
    filter not member of smart list "Late"
    match 1 or (2 and not 3)
  }
  flow {
    execute campaign "A"
    send email "Plain"
    remove from flow "Welcome"
    change vip to true
    change renewal_at to 2027-01-01
    change state to "{{my.company}}"
    change seats by -2
    wait until 2026-12-24 09:00
    request campaign "Welcome"
    if state is "CA" { remove from flow } else { add to list "Leads" }
  }
  run every 2 weeks on mon, thu at 09:30 from 2026-12-01 until 2027-06-30
  max people 500
}

campaign "Welcome" {
  in program "Webinar"
  smart list {
    trigger campaign is requested
    trigger event "trial_started" where plan is "pro" and seats at least 5
    trigger fills out form "Contact Us" on page "Pricing"
  }
  flow {
    send email "Thanks"
    interesting moment "Trial {{trigger.plan}} on {{trigger.page}} in {{program.name}}"
    wait until next birthday at 09:00
    wait until renewal_at minus 30 days
    change program status "Webinar" to "Attended"
    add to list "Leads"
  }
  qualify every time
  inactive
}
"#;
    let diags = diagnostics(&[text]);
    let list: Vec<String> = diags
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(diags.is_empty(), "not clean:\n{}", list.join("\n"));
}

/// The checker never panics: every example with one of its lines removed (every third line in
/// turn) still checks when it parses, and no problem has an empty message.
#[test]
fn never_panics_on_damaged_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let files = camp::workspace::expand(&[&dir]).expect("examples/ holds scripts");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for skip in (0..lines.len()).step_by(3) {
            let damaged: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let damaged = damaged.join("\n");
            for d in diagnostics(&[&damaged]) {
                assert!(!d.message.is_empty());
            }
        }
    }
}
