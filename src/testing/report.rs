//! Test results for machines: one JSON object per test (LANGUAGE.md 11), and JUnit XML in the
//! shape CI systems read (`testsuites` › `testsuite` per file › `testcase`, with a `failure`
//! element per failed test), using only the elements and attributes of the common JUnit schema
//! (Jenkins' `junit-10.xsd`): a test's line is in its failure text, not in an attribute.

use serde_json::{json, Value as Json};

use super::Outcome;
use crate::diagnostic::SourceMap;
use crate::report::xml::xml_escape;

/// The file name and 1-based line of a test.
pub fn location(o: &Outcome, sources: &SourceMap) -> (String, usize) {
    match sources.get(o.span.file) {
        Some(f) => (f.name.clone(), f.line_col(o.span.start as usize).0),
        None => (String::new(), 1),
    }
}

/// `{"name", "file", "line", "result", "millis", "failures"}`; failures are 10.1 diagnostics.
pub fn json(o: &Outcome, sources: &SourceMap) -> Json {
    let (file, line) = location(o, sources);
    let failures: Vec<Json> = o
        .failures
        .iter()
        .map(|d| serde_json::to_value(d.to_json(sources)).unwrap_or(Json::Null))
        .collect();
    json!({
        "name": o.name,
        "file": file,
        "line": line,
        "result": if o.passed { "passed" } else { "failed" },
        "millis": o.millis,
        "failures": failures,
    })
}

fn seconds(millis: u64) -> String {
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// The whole JUnit XML document: one `testsuite` per file, in the order the files come.
pub fn junit(outcomes: &[Outcome], sources: &SourceMap) -> String {
    let mut files: Vec<String> = Vec::new();
    for o in outcomes {
        let (f, _) = location(o, sources);
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let failures = outcomes.iter().filter(|o| !o.passed).count();
    let total_ms: u64 = outcomes.iter().map(|o| o.millis).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"camp test\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">\n",
        outcomes.len(),
        seconds(total_ms)
    ));
    for file in &files {
        let cases: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| location(o, sources).0 == *file)
            .collect();
        let failed = cases.iter().filter(|o| !o.passed).count();
        let ms: u64 = cases.iter().map(|o| o.millis).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{}\" file=\"{}\">\n",
            xml_escape(file),
            cases.len(),
            seconds(ms),
            xml_escape(file)
        ));
        for o in cases {
            let (f, _) = location(o, sources);
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                xml_escape(&o.name),
                xml_escape(&f),
                seconds(o.millis)
            );
            if o.passed {
                x.push_str(&open);
                x.push_str("/>\n");
                continue;
            }
            x.push_str(&open);
            x.push_str(">\n");
            let message = o
                .failures
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default();
            let text: String = o.failures.iter().map(|d| d.render_plain(sources)).collect();
            x.push_str(&format!(
                "      <failure message=\"{}\" type=\"camp::test::failed\">{}</failure>\n",
                xml_escape(&message),
                xml_escape(&text)
            ));
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}
