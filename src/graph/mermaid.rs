//! A graph as Mermaid `flowchart` text, for Markdown documents that render it.

use std::fmt::Write;

use super::{EdgeKind, Graph, NodeKind};

/// The colour of loops, in every format.
pub const LOOP_COLOUR: &str = "#c0392b";

/// The graph as a Mermaid flowchart, top to bottom.
pub fn render(g: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "%% {}", one_line(&g.title));
    out.push_str("flowchart TD\n");
    for (i, n) in g.nodes.iter().enumerate() {
        let text = escape(&n.lines.join("\n"));
        let (open, close) = match n.kind {
            NodeKind::SmartList => ("[\"", "\"]"),
            NodeKind::Step => ("(\"", "\")"),
            NodeKind::Wait => ("([\"", "\"])"),
            NodeKind::Choice => ("{\"", "\"}"),
            NodeKind::End => ("((\"", "\"))"),
            NodeKind::Campaign(_) => ("[[\"", "\"]]"),
        };
        let _ = writeln!(out, "  n{i}{open}{text}{close}");
    }
    for e in &g.edges {
        let arrow = match e.kind {
            EdgeKind::Flow | EdgeKind::Fires => "-->",
            EdgeKind::Executes => "==>",
            EdgeKind::Requests => "-.->",
        };
        match &e.label {
            Some(l) => {
                let _ = writeln!(out, "  n{} {arrow}|\"{}\"| n{}", e.from, escape(l), e.to);
            }
            None => {
                let _ = writeln!(out, "  n{} {arrow} n{}", e.from, e.to);
            }
        }
    }
    let looped: Vec<String> = (0..g.nodes.len())
        .filter(|&i| g.nodes[i].in_loop)
        .map(|i| format!("n{i}"))
        .collect();
    if !looped.is_empty() {
        let _ = writeln!(
            out,
            "  classDef loop stroke:{LOOP_COLOUR},stroke-width:3px\n  class {} loop",
            looped.join(",")
        );
    }
    let links: Vec<String> = (0..g.edges.len())
        .filter(|&i| g.edges[i].in_loop)
        .map(|i| i.to_string())
        .collect();
    if !links.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:{LOOP_COLOUR},stroke-width:3px",
            links.join(",")
        );
    }
    out
}

/// Text inside a quoted Mermaid label: quotes, angle brackets, `#`, `&`, `|` and backquotes as
/// entity codes, line breaks as `<br/>`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' => out.push_str("<br/>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text on one line (for the title comment).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_mermaid_reads() {
        assert_eq!(
            escape("a \"b\" <c> #1 & `d` |\ne"),
            "a #quot;b#quot; #lt;c#gt; #35;1 #amp; #96;d#96; #124;<br/>e"
        );
    }
}
