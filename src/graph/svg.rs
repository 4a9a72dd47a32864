//! A graph as a standalone SVG image, laid out in-process ([`super::layout`]).
//!
//! Text is set in a monospace font so that its width is known without measuring glyphs: boxes
//! are sized to their text and never clip it. Long lines are wrapped at spaces.

use std::fmt::Write;

use super::layout::{layout, EdgeIn, NodeBox};
use super::mermaid::LOOP_COLOUR;
use super::{EdgeKind, Graph, NodeKind};
use crate::report::xml::xml_escape;

const FONT_SIZE: f64 = 12.0;
/// Advance of one character of the monospace font, a little generous.
const CHAR_W: f64 = 7.4;
const LINE_H: f64 = 16.0;
const PAD_X: f64 = 10.0;
const PAD_Y: f64 = 7.0;
/// Lines longer than this many characters are wrapped.
const WRAP: usize = 64;

/// The graph as an SVG document.
pub fn render(g: &Graph) -> String {
    let node_lines: Vec<Vec<String>> = g.nodes.iter().map(|n| wrap_all(&n.lines)).collect();
    let edge_lines: Vec<Vec<String>> = g
        .edges
        .iter()
        .map(|e| {
            e.label
                .as_deref()
                .map(|l| wrap_all(&l.lines().map(str::to_string).collect::<Vec<_>>()))
                .unwrap_or_default()
        })
        .collect();
    let boxes: Vec<NodeBox> = g
        .nodes
        .iter()
        .zip(&node_lines)
        .map(|(n, lines)| {
            let (tw, th) = text_size(lines);
            match n.kind {
                NodeKind::Choice => NodeBox {
                    w: tw + 4.0 * PAD_X,
                    h: th + 4.0 * PAD_Y,
                    spread_ports: false,
                },
                NodeKind::End => NodeBox {
                    w: tw + 3.0 * PAD_X,
                    h: th + 2.0 * PAD_Y,
                    spread_ports: false,
                },
                NodeKind::Wait => NodeBox {
                    w: tw + 2.0 * PAD_X + th,
                    h: th + 2.0 * PAD_Y,
                    spread_ports: true,
                },
                _ => NodeBox {
                    w: tw + 2.0 * PAD_X,
                    h: th + 2.0 * PAD_Y,
                    spread_ports: true,
                },
            }
        })
        .collect();
    let edges: Vec<EdgeIn> = g
        .edges
        .iter()
        .zip(&edge_lines)
        .map(|(e, lines)| EdgeIn {
            from: e.from,
            to: e.to,
            label: (!lines.is_empty()).then(|| {
                let (w, h) = text_size(lines);
                (w + 4.0, h + 2.0)
            }),
        })
        .collect();
    let l = layout(&boxes, &edges);

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT_SIZE}">"#,
        w = l.width.ceil(),
        h = l.height.ceil()
    );
    let _ = writeln!(out, "<title>{}</title>", xml_escape(&g.title));
    let _ = writeln!(
        out,
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker><marker id="arrow-loop" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="12" markerHeight="12" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{LOOP_COLOUR}"/></marker></defs>"##
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    // Edges first, so boxes and labels sit on top of them.
    for (i, e) in g.edges.iter().enumerate() {
        let Some(r) = l.routes.get(i).filter(|r| r.points.len() >= 2) else {
            continue;
        };
        let d: Vec<String> = r
            .points
            .iter()
            .enumerate()
            .map(|(k, (x, y))| format!("{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" }))
            .collect();
        let (colour, width) = if e.in_loop {
            (LOOP_COLOUR, 2.5)
        } else {
            ("#444", 1.2)
        };
        let dash = match e.kind {
            EdgeKind::Requests => r#" stroke-dasharray="6 4""#,
            _ => "",
        };
        let width = if e.kind == EdgeKind::Executes {
            width + 1.0
        } else {
            width
        };
        let marker = if e.in_loop { "arrow-loop" } else { "arrow" };
        let _ = writeln!(
            out,
            r#"<g class="edge {kind}"><title>{title}</title><path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{dash} marker-end="url(#{marker})"/></g>"#,
            kind = edge_class(e.kind),
            title = xml_escape(&format!(
                "{} → {}{}",
                first_line(g, e.from),
                first_line(g, e.to),
                e.label
                    .as_deref()
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default()
            )),
            d = d.join(" ")
        );
        if let Some((lx, ly)) = r.label {
            let lines = &edge_lines[i];
            let (tw, th) = text_size(lines);
            let _ = write!(
                out,
                r#"<g class="edge-label"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="white" fill-opacity="0.9"/>"#,
                lx - 2.0,
                ly,
                tw + 4.0,
                th + 2.0
            );
            let fill = if e.in_loop { LOOP_COLOUR } else { "#333" };
            text_lines(&mut out, lines, lx, ly + 1.0, "start", fill);
            out.push_str("</g>\n");
        }
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let (cx, cy) = l.centres[i];
        let b = boxes[i];
        let (x, y) = (cx - b.w / 2.0, cy - b.h / 2.0);
        let (stroke, sw) = if n.in_loop {
            (LOOP_COLOUR, 3.0)
        } else {
            ("#333", 1.2)
        };
        let _ = write!(
            out,
            r#"<g class="node {}"><title>{}</title>"#,
            node_class(n.kind),
            xml_escape(&n.lines.join("\n"))
        );
        let shape = match n.kind {
            NodeKind::SmartList => format!(
                r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#eef4fb" stroke="{stroke}" stroke-width="{sw}"/>"##,
                b.w, b.h
            ),
            NodeKind::Step => format!(
                r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" rx="6" fill="#ffffff" stroke="{stroke}" stroke-width="{sw}"/>"##,
                b.w, b.h
            ),
            NodeKind::Wait => format!(
                r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" rx="{:.1}" fill="#fdf6e3" stroke="{stroke}" stroke-width="{sw}" stroke-dasharray="5 3"/>"##,
                b.w,
                b.h,
                b.h / 2.0
            ),
            NodeKind::Choice => format!(
                r##"<polygon points="{cx:.1},{y:.1} {:.1},{cy:.1} {cx:.1},{:.1} {x:.1},{cy:.1}" fill="#fff8e1" stroke="{stroke}" stroke-width="{sw}"/>"##,
                x + b.w,
                y + b.h
            ),
            NodeKind::End => format!(
                r##"<ellipse cx="{cx:.1}" cy="{cy:.1}" rx="{:.1}" ry="{:.1}" fill="#f0f0f0" stroke="{stroke}" stroke-width="{sw}"/>"##,
                b.w / 2.0,
                b.h / 2.0
            ),
            NodeKind::Campaign(_) => format!(
                r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" rx="3" fill="#eef7ee" stroke="{stroke}" stroke-width="{sw}"/><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="none" stroke="{stroke}" stroke-width="0.8"/>"##,
                b.w,
                b.h,
                x + 3.0,
                y + 3.0,
                b.w - 6.0,
                b.h - 6.0
            ),
        };
        out.push_str(&shape);
        let lines = &node_lines[i];
        let th = lines.len() as f64 * LINE_H;
        let ty = cy - th / 2.0;
        match n.kind {
            NodeKind::SmartList => text_lines(&mut out, lines, x + PAD_X, ty, "start", "#111"),
            _ => text_lines(&mut out, lines, cx, ty, "middle", "#111"),
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// A node's first line (empty for an index out of range).
fn first_line(g: &Graph, node: usize) -> &str {
    g.nodes
        .get(node)
        .and_then(|n| n.lines.first())
        .map_or("", String::as_str)
}

fn edge_class(k: EdgeKind) -> &'static str {
    match k {
        EdgeKind::Flow => "flow",
        EdgeKind::Fires => "fires",
        EdgeKind::Executes => "executes",
        EdgeKind::Requests => "requests",
    }
}

fn node_class(k: NodeKind) -> &'static str {
    match k {
        NodeKind::SmartList => "smart-list",
        NodeKind::Step => "step",
        NodeKind::Wait => "wait",
        NodeKind::Choice => "choice",
        NodeKind::End => "end",
        NodeKind::Campaign(_) => "campaign",
    }
}

/// Writes `lines` from `top` down, one `<text>` each.
fn text_lines(out: &mut String, lines: &[String], x: f64, top: f64, anchor: &str, fill: &str) {
    for (k, line) in lines.iter().enumerate() {
        // The baseline sits about a fifth of the line height above the line's bottom.
        let y = top + (k as f64 + 1.0) * LINE_H - 4.0;
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="{fill}" xml:space="preserve">{}</text>"#,
            xml_escape(line)
        );
    }
}

/// Width and height of a block of lines.
fn text_size(lines: &[String]) -> (f64, f64) {
    let w = lines.iter().map(|l| columns(l)).max().unwrap_or(0) as f64 * CHAR_W;
    (w, lines.len().max(1) as f64 * LINE_H)
}

/// Columns a line takes: wide (East Asian) characters count two.
fn columns(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// Each line wrapped at spaces to [`WRAP`] columns, continuations indented by two.
fn wrap_all(lines: &[String]) -> Vec<String> {
    lines.iter().flat_map(|l| wrap(l)).collect()
}

fn wrap(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let indent = if out.is_empty() { 0 } else { 2 };
        if !cur.is_empty() && columns(&cur) + 1 + columns(word) + indent > WRAP {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push(cur);
    out.into_iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l } else { format!("  {l}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_long_lines_at_spaces() {
        let long =
            "filter email not contains \"@acme.example\", \"@test.example\", \"@example.org\"";
        let lines = wrap(long);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| columns(l) <= WRAP));
        assert_eq!(
            lines
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            long
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
