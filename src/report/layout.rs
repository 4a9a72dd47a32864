//! Tables for people, laid out for where they go: the full table for a pipe or a file, a table
//! cut to the width of a terminal, or every column uncut (`--wide`).

use std::io::IsTerminal;

/// How a table for people is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The usual columns, cells clipped at 64 characters: what a pipe or a file gets, so that
    /// scripts reading it see the same columns whatever the terminal.
    Full,
    /// Every column, extra ones too (an activity's attributes), cells never clipped.
    Wide,
    /// The usual columns fitted to a terminal this many characters wide: the least useful
    /// columns are dropped, then the longest cells are cut with `…`.
    Fit(usize),
}

impl Layout {
    /// The layout for standard output: [`Layout::Wide`] when asked, [`Layout::Fit`] on a
    /// terminal (its width from `COLUMNS` when set, else from the terminal), [`Layout::Full`]
    /// otherwise.
    pub fn for_stdout(wide: bool) -> Layout {
        if wide {
            Layout::Wide
        } else if std::io::stdout().is_terminal() {
            Layout::Fit(terminal_width().unwrap_or(80))
        } else {
            Layout::Full
        }
    }
}

/// The terminal's width: `COLUMNS` when it holds a positive number, else what the terminal on
/// standard output (or standard error) reports.
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return Some(n);
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .or_else(|| terminal_size::terminal_size_of(std::io::stderr()))
        .map(|(w, _)| usize::from(w.0))
        .filter(|&n| n > 0)
}

/// What a table's columns are to a layout.
pub struct Columns<'a> {
    /// Columns shown only by [`Layout::Wide`].
    pub extra: &'a [&'a str],
    /// Columns [`Layout::Fit`] drops, first to last, while the table is too wide.
    pub drop: &'a [&'a str],
    /// Columns [`Layout::Fit`] may then cut, down to [`MIN_CUT`] characters.
    pub cut: &'a [&'a str],
}

/// The narrowest a cut column gets.
pub const MIN_CUT: usize = 8;

/// The widest a cell is in [`Layout::Full`] and [`Layout::Fit`].
const MAX_CELL: usize = 64;

/// Lays out `rows` under `header` (cells in header order) as aligned columns.
pub fn lay_out(header: &[&str], rows: &[Vec<String>], columns: &Columns, layout: Layout) -> String {
    let mut keep: Vec<usize> = (0..header.len())
        .filter(|&i| layout == Layout::Wide || !columns.extra.contains(&header[i]))
        .collect();
    let cells: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(rows.iter().cloned())
        .map(|r: Vec<String>| r.iter().map(|c| one_line(c)).collect())
        .collect();
    let natural = |i: usize| -> usize {
        let w = cells
            .iter()
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .max()
            .unwrap_or(0);
        if layout == Layout::Wide {
            w
        } else {
            w.min(MAX_CELL)
        }
    };
    let mut widths: Vec<usize> = (0..header.len()).map(natural).collect();
    if let Layout::Fit(room) = layout {
        let total = |keep: &[usize], widths: &[usize]| -> usize {
            keep.iter().map(|&i| widths[i]).sum::<usize>() + 2 * keep.len().saturating_sub(1)
        };
        for name in columns.drop {
            if total(&keep, &widths) <= room {
                break;
            }
            keep.retain(|&i| header[i] != *name);
        }
        while total(&keep, &widths) > room {
            let widest = keep
                .iter()
                .copied()
                .filter(|&i| columns.cut.contains(&header[i]) && widths[i] > MIN_CUT)
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
            match widest {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
        // Last, a header longer than its column's cells (`at (America/New_York)`) is cut.
        let cells_only = |i: usize| -> usize {
            cells[1..]
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
                .max(MIN_CUT)
        };
        while total(&keep, &widths) > room {
            match keep.iter().copied().find(|&i| widths[i] > cells_only(i)) {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
    }
    let mut out = String::new();
    for r in &cells {
        let mut line = String::new();
        for (n, &i) in keep.iter().enumerate() {
            if n > 0 {
                line.push_str("  ");
            }
            let cell = r.get(i).map(String::as_str).unwrap_or("");
            let shown = cut(cell, widths[i]);
            let pad = widths[i].saturating_sub(shown.chars().count());
            line.push_str(&shown);
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A cell on one line.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect()
}

/// `s` in at most `width` characters, its end replaced by `…` when it is longer.
fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: Columns = Columns {
        extra: &["attributes"],
        drop: &["step", "id"],
        cut: &["primary", "person"],
    };

    fn rows() -> Vec<Vec<String>> {
        vec![vec![
            "1".into(),
            "ann@example.com".into(),
            "1.2".into(),
            "a very long primary value indeed".into(),
            "{\"until\":\"2026-12-02\"}".into(),
        ]]
    }

    const HEADER: &[&str] = &["id", "person", "step", "primary", "attributes"];

    #[test]
    fn full_hides_extra_columns_and_keeps_the_rest() {
        let t = lay_out(HEADER, &rows(), &COLUMNS, Layout::Full);
        assert_eq!(
            t,
            "id  person           step  primary\n\
             1   ann@example.com  1.2   a very long primary value indeed\n"
        );
    }

    #[test]
    fn wide_shows_every_column() {
        let t = lay_out(HEADER, &rows(), &COLUMNS, Layout::Wide);
        assert!(
            t.lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("{\"until\":\"2026-12-02\"}")),
            "{t}"
        );
    }

    #[test]
    fn fit_drops_then_cuts_and_never_exceeds_the_room() {
        let t = lay_out(HEADER, &rows(), &COLUMNS, Layout::Fit(40));
        for line in t.lines() {
            assert!(line.chars().count() <= 40, "{t}");
        }
        assert!(!t.contains("step"), "{t}");
        assert!(t.contains("ann@example.com"), "{t}");
        assert!(t.contains('…'), "{t}");
        let roomy = lay_out(HEADER, &rows(), &COLUMNS, Layout::Fit(200));
        assert_eq!(roomy, lay_out(HEADER, &rows(), &COLUMNS, Layout::Full));
    }

    #[test]
    fn a_header_longer_than_its_cells_is_cut_last() {
        let header = &["at (America/New_York)", "type"];
        let rows = vec![vec![
            "2026-12-01 09:00".to_string(),
            "send_email".to_string(),
        ]];
        let t = lay_out(header, &rows, &COLUMNS, Layout::Fit(28));
        assert_eq!(
            t,
            "at (America/New…  type\n\
             2026-12-01 09:00  send_email\n"
        );
    }
}
