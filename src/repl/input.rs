//! What a line typed at the REPL is: a command, declarations, a flow step, a condition, or
//! text none of them reads (with the error of the reading that fits best).

use crate::diagnostic::Diagnostic;
use crate::syntax::{self, span::FileId};

/// Words that start a flow step.
const STEP_WORDS: &[&str] = &[
    "send",
    "change",
    "add",
    "remove",
    "wait",
    "request",
    "execute",
    "call",
    "interesting",
    "delete",
    "if",
];

/// The kind of a typed input.
#[derive(Debug)]
pub enum Kind {
    /// Only whitespace and comments.
    Empty,
    /// A `:command` (the text after the colon, trimmed).
    Command(String),
    /// Declarations and campaigns.
    Items,
    /// A flow step, with the `for PERSON` target when written; `text` is the step alone.
    Step {
        /// The step's own text.
        text: String,
        /// The person after `for`.
        target: Option<String>,
    },
    /// A condition.
    Condition,
    /// Nothing reads it: the diagnostics of the reading that got furthest.
    Error {
        /// The syntax problems (in file 0).
        diagnostics: Vec<Diagnostic>,
        /// True when the problem sits at the end of the input (more lines may complete it).
        at_end: bool,
    },
}

/// True when `text` holds only whitespace and `#` comments.
fn is_blank(text: &str) -> bool {
    text.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// Where the first diagnostic points (byte offset).
fn position(diags: &[Diagnostic]) -> usize {
    diags
        .iter()
        .map(|d| d.primary.span.start as usize)
        .min()
        .unwrap_or(0)
}

/// Reads `text` as the REPL would.
pub fn classify(text: &str) -> Kind {
    if is_blank(text) {
        return Kind::Empty;
    }
    let trimmed = text.trim();
    if let Some(cmd) = trimmed.strip_prefix(':') {
        return Kind::Command(cmd.trim().to_string());
    }
    let file = FileId(0);
    let items = match syntax::parse_items(file, text) {
        Ok(items) if !items.is_empty() => return Kind::Items,
        Ok(_) => Vec::new(),
        Err(d) => d,
    };
    let step = match syntax::parse_step(file, text) {
        Ok((step, target)) => {
            let end = (step.span.end as usize).min(text.len());
            return Kind::Step {
                text: text.get(..end).unwrap_or(text).trim().to_string(),
                target,
            };
        }
        Err(d) => d,
    };
    let cond = match syntax::parse_condition(file, text) {
        Ok(_) => return Kind::Condition,
        Err(d) => d,
    };
    let first = trimmed
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    // The reading that got furthest; ties go to the one the first word suggests.
    let mut readings = vec![(position(&items), 1, items), (position(&cond), 0, cond)];
    readings.push((
        position(&step),
        if STEP_WORDS.contains(&first) { 2 } else { -1 },
        step,
    ));
    readings.sort_by_key(|(pos, pref, _)| (*pos, *pref));
    let (pos, _, diagnostics) = readings.pop().unwrap_or_default();
    // A string left open is reported at its opening quote, but more lines may still close it.
    let open_string = diagnostics.iter().any(|d| {
        d.primary
            .message
            .starts_with("the file ends before the closing")
    });
    let at_end = pos >= text.trim_end().len() || open_string;
    Kind::Error {
        diagnostics,
        at_end,
    }
}

/// Whether the editor should ask for another line: the input does not read yet, the problem
/// sits at its end, and the last line typed is not empty (an empty line submits anyway).
pub fn needs_more(text: &str) -> bool {
    if text.contains('\n')
        && text
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty())
    {
        return false;
    }
    matches!(classify(text), Kind::Error { at_end: true, .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert!(matches!(classify("  # hi"), Kind::Empty));
        assert!(matches!(classify(":time"), Kind::Command(c) if c == "time"));
        assert!(matches!(classify("list \"A\""), Kind::Items));
        assert!(matches!(classify("state is \"CA\""), Kind::Condition));
        match classify("change score by 5 for ann@example.com") {
            Kind::Step { text, target } => {
                assert_eq!(text, "change score by 5");
                assert_eq!(target.as_deref(), Some("ann@example.com"));
            }
            other => panic!("{other:?}"),
        }
    }
}
