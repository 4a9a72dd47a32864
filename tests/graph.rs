//! `camp graph` and `camp schedule --format ical`: golden Mermaid and DOT pictures of every
//! example (each workspace and each of its campaigns' flows), SVG that parses with every step's
//! label in a box of its own that holds it, loops highlighted, the command line's errors, and
//! an iCalendar file that parses back with one event per run at the right instant.
//!
//! The examples are found under `examples/` at any depth: a folder directly under it is one
//! workspace (its `.camp` files together, subfolders included), a file directly in `examples/` is a workspace of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use camp::check::check_workspace;
use camp::check::ir::Program;
use camp::fmt::text::Strings;
use camp::graph::{flow_graph, render, workspace_graph, Format, Graph};
use camp::syntax::ast::{self, CampaignStatement, Item};
use camp::workspace::Workspace;

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn camp_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            camp_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "camp") {
            out.push(p);
        }
    }
}

/// The example workspaces by name: a folder's name directly below `examples/`, or a
/// file's stem for files directly in `examples/`.
fn example_workspaces() -> BTreeMap<String, Vec<PathBuf>> {
    let root = examples_root();
    let mut files = Vec::new();
    camp_files(&root, &mut files);
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let parent = f.parent().unwrap_or(&root);
        let name = if parent == root {
            f.file_stem().map(|s| s.to_string_lossy().into_owned())
        } else {
            // A folder directly under `examples/` is one workspace, its subfolders (`tests/`)
            // included.
            parent
                .strip_prefix(&root)
                .ok()
                .and_then(|p| p.components().next())
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
        }
        .expect("a name");
        out.entry(name).or_default().push(f);
    }
    assert!(!out.is_empty(), "no examples found under examples/");
    out
}

fn load(files: &[PathBuf]) -> (Workspace, Program) {
    let ws = Workspace::load(files).expect("examples read");
    let checked = check_workspace(&ws);
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{files:?} has errors: {:?}", checked.diagnostics));
    (ws, program)
}

/// A snapshot name from a campaign's name: lower-case letters and digits, `_` between words.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "snapshots/graph", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name.to_string(), text);
    });
}

#[test]
fn every_example_workspace_and_flow_has_golden_mermaid_and_dot() {
    for (name, files) in example_workspaces() {
        let (ws, program) = load(&files);
        let g = workspace_graph(&program);
        assert_eq!(g.nodes.len(), program.campaigns.len());
        snapshot(
            &format!("{name}__workspace.mmd"),
            &render(&g, Format::Mermaid),
        );
        snapshot(&format!("{name}__workspace.dot"), &render(&g, Format::Dot));
        for c in &program.campaigns {
            let g = flow_graph(&ws.scripts, &ws.sources, &program, &c.name).expect("flow");
            let base = format!("{name}__{}", slug(&c.name));
            snapshot(&format!("{base}.mmd"), &render(&g, Format::Mermaid));
            snapshot(&format!("{base}.dot"), &render(&g, Format::Dot));
        }
    }
}

/// Every step of a flow, as the formatter prints it (an `if` contributes its branches' steps).
fn step_texts(strings: &Strings<'_>, steps: &[ast::Step], out: &mut Vec<String>) {
    for s in steps {
        match &s.kind {
            ast::StepKind::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    step_texts(strings, &b.steps, out);
                }
                if let Some(b) = otherwise {
                    step_texts(strings, &b.steps, out);
                }
            }
            k => out.push(strings.simple_step(k, 0)),
        }
    }
}

/// A box: left, top, right, bottom.
type Bounds = (f64, f64, f64, f64);

fn attr(n: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    n.attribute(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("`{name}` on {n:?}"))
}

/// The bounds of a node's first shape.
fn shape_bounds(g: roxmltree::Node<'_, '_>) -> Bounds {
    let shape = g
        .children()
        .find(|c| matches!(c.tag_name().name(), "rect" | "polygon" | "ellipse"))
        .expect("a shape");
    match shape.tag_name().name() {
        "rect" => {
            let (x, y) = (attr(shape, "x"), attr(shape, "y"));
            (x, y, x + attr(shape, "width"), y + attr(shape, "height"))
        }
        "ellipse" => {
            let (cx, cy, rx, ry) = (
                attr(shape, "cx"),
                attr(shape, "cy"),
                attr(shape, "rx"),
                attr(shape, "ry"),
            );
            (cx - rx, cy - ry, cx + rx, cy + ry)
        }
        _ => {
            let pts: Vec<(f64, f64)> = shape
                .attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect();
            let xs = pts.iter().map(|p| p.0);
            let ys = pts.iter().map(|p| p.1);
            (
                xs.clone().fold(f64::INFINITY, f64::min),
                ys.clone().fold(f64::INFINITY, f64::min),
                xs.fold(f64::NEG_INFINITY, f64::max),
                ys.fold(f64::NEG_INFINITY, f64::max),
            )
        }
    }
}

/// Checks an SVG picture of `g`: it parses; each node is a group titled with its text, its
/// lines drawn inside its shape (at the renderer's 7.4 px per character), no two shapes
/// overlap, and everything lies inside the image. Returns the node titles.
fn check_svg(what: &str, g: &Graph) -> Vec<String> {
    let svg = render(g, Format::Svg);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{what}: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{what}");
    let (width, height) = (attr(root, "width"), attr(root, "height"));
    let nodes: Vec<roxmltree::Node<'_, '_>> = root
        .children()
        .filter(|c| {
            c.tag_name().name() == "g"
                && c.attribute("class").is_some_and(|k| k.starts_with("node"))
        })
        .collect();
    assert_eq!(nodes.len(), g.nodes.len(), "{what}: one group per node");
    let mut titles = Vec::new();
    let mut boxes: Vec<Bounds> = Vec::new();
    for n in &nodes {
        let title = n
            .children()
            .find(|c| c.tag_name().name() == "title")
            .and_then(|t| t.text())
            .unwrap_or("")
            .to_string();
        let b = shape_bounds(*n);
        assert!(
            b.0 >= 0.0 && b.1 >= 0.0 && b.2 <= width && b.3 <= height,
            "{what}: `{title}` lies outside the image"
        );
        let mut words = Vec::new();
        for t in n.children().filter(|c| c.tag_name().name() == "text") {
            let text = t.text().unwrap_or("");
            let w = text.chars().count() as f64 * 7.4;
            let (x, y) = (attr(t, "x"), attr(t, "y"));
            let (left, right) = match t.attribute("text-anchor") {
                Some("middle") => (x - w / 2.0, x + w / 2.0),
                _ => (x, x + w),
            };
            assert!(
                left >= b.0 - 0.5 && right <= b.2 + 0.5 && y > b.1 && y < b.3,
                "{what}: the line `{text}` of `{title}` is clipped by its box"
            );
            words.extend(text.split_whitespace().map(str::to_string));
        }
        assert_eq!(
            words,
            title.split_whitespace().collect::<Vec<_>>(),
            "{what}: the box shows its whole text"
        );
        titles.push(title);
        boxes.push(b);
    }
    for i in 0..boxes.len() {
        for j in i + 1..boxes.len() {
            let (a, b) = (boxes[i], boxes[j]);
            let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
            assert!(apart, "{what}: `{}` overlaps `{}`", titles[i], titles[j]);
        }
    }
    titles
}

#[test]
fn svg_of_every_example_parses_and_shows_every_step() {
    for (name, files) in example_workspaces() {
        let (ws, program) = load(&files);
        let titles = check_svg(&name, &workspace_graph(&program));
        for c in &program.campaigns {
            assert!(
                titles
                    .iter()
                    .any(|t| t.lines().next() == Some(c.name.as_str())),
                "{name}: campaign `{}` has no box",
                c.name
            );
        }
        for script in &ws.scripts {
            let src = ws.sources.get(script.file).map_or("", |f| f.text.as_str());
            let strings = Strings { src };
            for item in &script.items {
                let Item::Campaign(c) = item else { continue };
                let g = flow_graph(&ws.scripts, &ws.sources, &program, &c.name.text).expect("flow");
                let what = format!("{name}: `{}`", c.name.text);
                let titles = check_svg(&what, &g);
                let mut steps = Vec::new();
                for st in &c.statements {
                    if let CampaignStatement::Flow(b) = st {
                        step_texts(&strings, &b.steps, &mut steps);
                    }
                }
                for s in steps {
                    assert!(titles.contains(&s), "{what}: no box says `{s}`");
                }
            }
        }
    }
}

fn camp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("camp runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const LOOP: &str = r#"
list "A"
list "B"
campaign "Adds to B" {
  smart list { trigger added to list "A" }
  flow { add to list "B" }
  qualify every time
}
campaign "Adds to A" {
  smart list { trigger added to list "B" }
  flow {
    add to list "A"
    execute campaign "Helper"
  }
  qualify every time
}
campaign "Once" {
  smart list { trigger added to list "B" }
  flow { add to list "A" }
}
executable campaign "Helper" {
  flow { request campaign "Requested" }
}
campaign "Requested" {
  smart list { trigger campaign is requested }
  flow { wait 1 day }
}
"#;

#[test]
fn workspace_picture_draws_the_cascade_and_highlights_loops() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("loop.camp");
    std::fs::write(&path, LOOP).expect("write");
    let p = path.to_str().expect("utf-8 path");
    let out = camp(&["graph", p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mmd = text(&out.stdout);
    // n0 `Adds to B`, n1 `Adds to A`, n2 `Once`, n3 `Helper`, n4 `Requested`. The request
    // that `Adds to A` makes through `Helper` is drawn once, from `Helper`.
    for edge in [
        "n0 -->|\"add_to_list #quot;B#quot;\"| n1",
        "n0 -->|\"add_to_list #quot;B#quot;\"| n2",
        "n1 -->|\"add_to_list #quot;A#quot;\"| n0",
        "n1 ==>|\"executes\"| n3",
        "n2 -->|\"add_to_list #quot;A#quot;\"| n0",
        "n3 -.->|\"requests\"| n4",
    ] {
        assert!(mmd.contains(edge), "missing `{edge}` in\n{mmd}");
    }
    // Only the loop `camp check` warns about: `Once` qualifies once, so it stops.
    assert!(mmd.contains("class n0,n1 loop"), "{mmd}");
    assert!(mmd.contains("linkStyle 0,2 stroke:#c0392b"), "{mmd}");
    let check = camp(&["check", p]);
    assert!(text(&check.stderr).contains("camp::cascade::loop"));

    let out = camp(&["graph", p, "--format", "dot"]);
    let dot = text(&out.stdout);
    assert!(
        dot.contains("n0 -> n1 [label=\"add_to_list \\\"B\\\"\", color=\"#c0392b\""),
        "{dot}"
    );
    assert!(
        dot.contains("n1 -> n3 [label=\"executes\", style=bold];"),
        "{dot}"
    );

    let svg_path = dir.path().join("loop.svg");
    let out = camp(&[
        "graph",
        p,
        "--format",
        "svg",
        "--output",
        svg_path.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let svg = std::fs::read_to_string(&svg_path).expect("svg written");
    let doc = roxmltree::Document::parse(&svg).expect("svg parses");
    let looped = doc
        .descendants()
        .filter(|n| n.attribute("stroke") == Some("#c0392b"))
        .count();
    assert!(looped >= 4, "two loop boxes and two loop arrows are red");
}

#[test]
fn flow_picture_shows_branches_waits_and_reached_campaigns() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("loop.camp");
    std::fs::write(&path, LOOP).expect("write");
    let out = camp(&[
        "graph",
        path.to_str().expect("path"),
        "--campaign",
        "Adds to A",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "%% flow of \"Adds to A\"\nflowchart TD\n  n0[\"trigger campaign #quot;Adds to A#quot;<br/>trigger added to list #quot;B#quot;\"]\n  n1(\"add to list #quot;A#quot;\")\n  n2(\"execute campaign #quot;Helper#quot;\")\n  n3[[\"Helper<br/>executable\"]]\n  n4((\"end\"))\n  n0 --> n1\n  n1 --> n2\n  n2 ==>|\"executes\"| n3\n  n2 --> n4\n"
    );
}

#[test]
fn unknown_campaign_exits_2_with_a_suggestion() {
    let onboarding = examples_root().join("onboarding");
    let out = camp(&[
        "graph",
        onboarding.to_str().expect("path"),
        "--campaign",
        "Sign-up form fil",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "error: no campaign is called `Sign-up form fil`: did you mean `Sign-up form fill`?\n"
    );
}

#[test]
fn a_workspace_with_errors_is_reported_and_exits_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bad.camp");
    std::fs::write(
        &path,
        "campaign \"X\" {\n  flow { add to list \"Nope\" }\n}\n",
    )
    .expect("write");
    let out = camp(&["graph", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("Nope"), "{}", text(&out.stderr));
}

#[test]
fn schedule_as_icalendar_parses_back_with_one_event_per_run() {
    use icalendar::{CalendarDateTime, Component, DatePerhapsTime};

    let onboarding = examples_root().join("onboarding");
    let file = onboarding.to_str().expect("path");
    // The window crosses the start of daylight saving time in New York (2027-03-14).
    let window = ["--from", "2027-03-10 00:00", "--to", "2027-03-20 00:00"];
    let args = |format: &'static str| {
        let mut a = vec!["schedule", file];
        a.extend(window);
        a.extend(["--format", format]);
        a
    };
    let json = camp(&args("json"));
    assert_eq!(json.status.code(), Some(0));
    let runs: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(runs.len() > 10);
    let out = camp(&args("ical"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ics = text(&out.stdout);
    let cal: icalendar::Calendar = ics.parse().expect("the file parses");
    let events: Vec<&icalendar::Event> = cal.events().collect();
    assert_eq!(events.len(), runs.len(), "one event per run");
    let mut uids = std::collections::HashSet::new();
    for (e, r) in events.iter().zip(&runs) {
        let start = match e.get_start() {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt))) => dt,
            other => panic!("not a UTC date-time: {other:?}"),
        };
        assert_eq!(
            start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r["at"]
        );
        assert_eq!(e.get_summary(), r["campaign"].as_str());
        let steps: Vec<&str> = r["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        assert_eq!(e.get_description(), Some(steps.join("\n").as_str()));
        assert!(
            uids.insert(e.get_uid().expect("uid").to_string()),
            "uids differ"
        );
    }
    // 08:00 in New York is 13:00 UTC before daylight saving time and 12:00 after.
    let catch_up: Vec<String> = events
        .iter()
        .filter(|e| e.get_summary() == Some("Onboarding catch-up"))
        .filter_map(|e| match e.get_start() {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt))) => Some(dt),
            _ => None,
        })
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect();
    assert!(
        catch_up.contains(&"2027-03-13T13:00Z".to_string()),
        "{catch_up:?}"
    );
    assert!(
        catch_up.contains(&"2027-03-14T12:00Z".to_string()),
        "{catch_up:?}"
    );
    assert!(ics.contains("X-WR-TIMEZONE:America/New_York"));
    // The same run has the same UID in a later export.
    let again = camp(&args("ical"));
    let again: icalendar::Calendar = text(&again.stdout).parse().expect("parses");
    let first_uid = events[0].get_uid();
    assert_eq!(again.events().next().and_then(|e| e.get_uid()), first_uid);
}
