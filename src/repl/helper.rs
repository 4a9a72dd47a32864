//! The line editor's helper: a validator that asks for more lines only while the input stops
//! short (the real parser decides), completion of keywords, `:commands`, fields and quoted
//! names, and highlighting of keywords, strings and names.

use std::borrow::Cow;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;

use crate::syntax::keywords::RESERVED;

/// Asks for another line while the parse error sits at the end of the input.
#[derive(Clone, Copy, Debug, Default)]
pub struct CampValidator;

impl Validator for CampValidator {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if super::input::needs_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

/// Completion, highlighting and validation for `camp repl`.
#[derive(Debug, Default, rustyline::Hinter, rustyline::Helper)]
pub struct CampHelper {
    /// Field names of the current workspace.
    pub fields: Vec<String>,
    /// Asset and campaign names of the current workspace, quoted.
    pub names: Vec<String>,
    /// Whether to highlight.
    pub color: bool,
    validator: CampValidator,
}

impl Validator for CampHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        self.validator.validate(ctx)
    }
}

impl CampHelper {
    /// A helper that highlights when `color` is set.
    pub fn new(color: bool) -> CampHelper {
        CampHelper {
            color,
            ..CampHelper::default()
        }
    }

    /// The candidates for the word before the cursor: `(start, candidates)`.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos.min(line.len())];
        // Inside a string: complete a quoted name.
        if let Some(q) = open_quote(before) {
            let typed = &before[q..];
            let found = self
                .names
                .iter()
                .filter(|n| n.starts_with(typed))
                .cloned()
                .collect();
            return (q, found);
        }
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &before[start..];
        if let Some(cmd) = word.strip_prefix(':') {
            if before[..start].trim().is_empty() {
                let found = super::COMMANDS
                    .iter()
                    .filter(|c| c.starts_with(cmd))
                    .map(|c| format!(":{c}"))
                    .collect();
                return (start, found);
            }
            return (start, Vec::new());
        }
        if word.is_empty() {
            return (start, Vec::new());
        }
        let mut found: Vec<String> = RESERVED
            .iter()
            .map(|k| k.to_string())
            .chain(self.fields.iter().cloned())
            .filter(|k| k.starts_with(word))
            .collect();
        found.sort();
        found.dedup();
        (start, found)
    }
}

/// The byte offset of the quote that opens the string the text ends inside, if any.
fn open_quote(text: &str) -> Option<usize> {
    let mut open = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if open.is_some() => {
                chars.next();
            }
            '"' => open = if open.is_some() { None } else { Some(i) },
            '#' if open.is_none() => {
                // A comment to the end of its line.
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    open
}

impl Completer for CampHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, found) = self.candidates(line, pos);
        Ok((
            start,
            found
                .into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

const KEYWORD: &str = "\x1b[1;35m";
const STRING: &str = "\x1b[32m";
const NAME: &str = "\x1b[1;33m";
const FIELD: &str = "\x1b[36m";
const COMMAND: &str = "\x1b[1;34m";
const COMMENT: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl CampHelper {
    /// `line` with ANSI colours: keywords, strings (known names brighter), fields, commands
    /// and comments.
    pub fn paint(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len() * 2);
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'#' {
                let end = line[i..].find('\n').map(|e| i + e).unwrap_or(b.len());
                out.push_str(COMMENT);
                out.push_str(&line[i..end]);
                out.push_str(RESET);
                i = end;
            } else if c == b'"' {
                let mut end = b.len();
                let mut escaped = false;
                for (k, ch) in line[i + 1..].char_indices() {
                    match ch {
                        '\\' if !escaped => escaped = true,
                        '"' | '\n' if !escaped => {
                            end = i + 1 + k + 1;
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                let s = &line[i..end];
                let colour = if self.names.iter().any(|n| n == s) {
                    NAME
                } else {
                    STRING
                };
                out.push_str(colour);
                out.push_str(s);
                out.push_str(RESET);
                i = end;
            } else if c.is_ascii_alphabetic() || c == b'_' || (c == b':' && i == 0) {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let w = &line[i..j];
                let colour = if w.starts_with(':') {
                    Some(COMMAND)
                } else if crate::syntax::keywords::is_reserved(w) {
                    Some(KEYWORD)
                } else if self.fields.iter().any(|f| f == w) {
                    Some(FIELD)
                } else {
                    None
                };
                match colour {
                    Some(col) => {
                        out.push_str(col);
                        out.push_str(w);
                        out.push_str(RESET);
                    }
                    None => out.push_str(w),
                }
                i = j;
            } else {
                let ch = line[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }
}

impl Highlighter for CampHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(self.paint(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_keywords_and_names() {
        let h = CampHelper {
            fields: vec!["state".into()],
            names: vec!["\"Contact Us\"".into()],
            ..CampHelper::default()
        };
        assert_eq!(h.candidates(":he", 3), (0, vec![":help".to_string()]));
        assert!(h.candidates("sta", 3).1.contains(&"state".to_string()));
        assert_eq!(
            h.candidates("fills out form \"Con", 19),
            (15, vec!["\"Contact Us\"".to_string()])
        );
        assert!(h.candidates("send", 4).1.contains(&"send".to_string()));
    }

    #[test]
    fn paints_only_words_it_knows() {
        let h = CampHelper::new(true);
        let p = h.paint("send email \"X\"");
        assert!(p.contains("\x1b[1;35msend\x1b[0m"));
        assert!(p.contains("\x1b[32m\"X\"\x1b[0m"));
        // Escapes before multi-byte characters and unclosed strings never split a character.
        let _ = h.paint("\"\\é\" \"ü");
        let _ = h.paint("say \"\\");
    }
}
