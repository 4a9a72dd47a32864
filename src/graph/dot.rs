//! A graph as Graphviz DOT text.

use std::fmt::Write;

use super::mermaid::LOOP_COLOUR;
use super::{EdgeKind, Graph, NodeKind};

/// The graph as a DOT `digraph`, top to bottom.
pub fn render(g: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(&g.title));
    out.push_str("  graph [rankdir=TB, fontname=\"Helvetica\"];\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (i, n) in g.nodes.iter().enumerate() {
        let (label, attrs) = match n.kind {
            // Left-justified lines, like the script.
            NodeKind::SmartList => (
                n.lines
                    .iter()
                    .map(|l| format!("{}\\l", escape(l)))
                    .collect(),
                "shape=box, style=\"\"",
            ),
            NodeKind::Step => (escape(&n.lines.join("\n")), ""),
            NodeKind::Wait => (escape(&n.lines.join("\n")), "style=\"rounded,dashed\""),
            NodeKind::Choice => (escape(&n.lines.join("\n")), "shape=diamond, style=\"\""),
            NodeKind::End => (escape(&n.lines.join("\n")), "shape=circle, style=\"\""),
            NodeKind::Campaign(_) => (escape(&n.lines.join("\n")), "shape=box, style=\"\""),
        };
        let mut attrs = attrs.to_string();
        if n.in_loop {
            if !attrs.is_empty() {
                attrs.push_str(", ");
            }
            let _ = write!(attrs, "color=\"{LOOP_COLOUR}\", penwidth=2");
        }
        let sep = if attrs.is_empty() { "" } else { ", " };
        let _ = writeln!(out, "  n{i} [label=\"{label}\"{sep}{attrs}];");
    }
    for e in &g.edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label=\"{}\"", escape(l)));
        }
        match e.kind {
            EdgeKind::Flow | EdgeKind::Fires => {}
            EdgeKind::Executes => attrs.push("style=bold".to_string()),
            EdgeKind::Requests => attrs.push("style=dashed".to_string()),
        }
        if e.in_loop {
            attrs.push(format!("color=\"{LOOP_COLOUR}\", penwidth=2"));
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(out, "  n{} -> n{}{attrs};", e.from, e.to);
    }
    out.push_str("}\n");
    out
}

/// Text inside a DOT quoted string: backslashes and quotes escaped, line breaks as `\n`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_breaks() {
        assert_eq!(escape("a \"b\" \\n\nc"), "a \\\"b\\\" \\\\n\\nc");
    }
}
