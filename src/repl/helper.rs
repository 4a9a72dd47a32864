//! The line editor's helper: completion of keywords, `:commands`, fields and quoted names by
//! what fits where the cursor is, and highlighting of keywords, strings and names.

use std::borrow::Cow;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;

use crate::lsp::features::{context, Want};
use crate::lsp::index::NameKind;
use crate::syntax::fits;
use crate::syntax::keywords::RESERVED;

/// The names a session knows, for completion and highlighting.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Field names.
    pub fields: Vec<String>,
    /// Names by kind: quoted asset and campaign names, bare token names.
    pub by_kind: Vec<(NameKind, Vec<String>)>,
}

/// Completion and highlighting for `camp repl`.
#[derive(Debug, Default, rustyline::Hinter, rustyline::Helper)]
pub struct CampHelper {
    /// Field names of the current workspace.
    pub fields: Vec<String>,
    /// Asset and campaign names of the current workspace, quoted.
    pub names: Vec<String>,
    /// The same names by kind (tokens bare).
    pub by_kind: Vec<(NameKind, Vec<String>)>,
    /// Whether to highlight.
    pub color: bool,
}

/// Every line is submitted as it is: the interactive loop asks for continuation lines itself
/// (`super::interactive`), so that they get their own prompt.
impl Validator for CampHelper {
    fn validate(&self, _ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(ValidationResult::Valid(None))
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

    /// Takes the names of the session as it is now.
    pub fn set_names(&mut self, names: Names) {
        self.fields = names.fields;
        let mut all: Vec<String> = names
            .by_kind
            .iter()
            .filter(|(k, _)| *k != NameKind::Token)
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        self.names = all;
        self.by_kind = names.by_kind;
    }

    fn of_kind(&self, kind: NameKind) -> &[String] {
        if kind == NameKind::Field {
            return &self.fields;
        }
        self.by_kind
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// The candidates for the word before the cursor: `(start, candidates)`. After a phrase
    /// that names something (`send email`, `add to list`) only names of that kind, quoted,
    /// with or without the opening quote typed; after a word only certain keywords may follow
    /// (`send`) only those; field names only where a field can stand (the start of an input,
    /// a condition, `change`).
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let mut pos = pos.min(line.len());
        while !line.is_char_boundary(pos) {
            pos -= 1;
        }
        let before = &line[..pos];
        // Only the input's current line matters (a continuation line is a line of its own).
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let current = &before[line_start..];
        let start = current
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &current[start..];
        if let Some(cmd) = word.strip_prefix(':') {
            if before[..line_start + start].trim().is_empty() {
                let found = super::COMMANDS
                    .iter()
                    .filter(|c| c.starts_with(cmd))
                    .map(|c| format!(":{c}"))
                    .collect();
                return (line_start + start, found);
            }
            return (line_start + start, Vec::new());
        }
        let (start, want) = context(current);
        let typed = &current[start..];
        let start = line_start + start;
        match want {
            Want::Quoted(kind) => {
                // Compared without quotes: `We`, `"We` and nothing at all find `"Welcome"`.
                let bare = typed.trim_start_matches('"');
                let found = self
                    .of_kind(kind)
                    .iter()
                    .filter(|n| n.trim_start_matches('"').starts_with(bare))
                    .cloned()
                    .collect();
                (start, found)
            }
            Want::Bare(kind) => {
                let found = self
                    .of_kind(kind)
                    .iter()
                    .filter(|n| n.starts_with(typed))
                    .cloned()
                    .collect();
                (start, found)
            }
            Want::Anything if typed.starts_with('"') => {
                // A string after no phrase that names a kind: any name.
                let found = self
                    .names
                    .iter()
                    .filter(|n| n.starts_with(typed))
                    .cloned()
                    .collect();
                (start, found)
            }
            Want::Anything if typed.is_empty() => (start, Vec::new()),
            Want::Anything => {
                let head = &before[..start];
                if let Some(next) = fits::next_words(head) {
                    let found = next
                        .iter()
                        .filter(|w| w.starts_with(typed))
                        .map(|w| w.to_string())
                        .collect();
                    return (start, found);
                }
                let fields = head.trim().is_empty() || fits::field_follows(head);
                let mut found: Vec<String> = RESERVED
                    .iter()
                    .map(|k| k.to_string())
                    .filter(|k| k.starts_with(typed))
                    .collect();
                if fields {
                    found.extend(self.fields.iter().filter(|f| f.starts_with(typed)).cloned());
                }
                found.sort();
                found.dedup();
                (start, found)
            }
        }
    }
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

    fn helper() -> CampHelper {
        let mut h = CampHelper::default();
        h.set_names(Names {
            fields: vec!["state".into(), "score".into()],
            by_kind: vec![
                (NameKind::Form, vec!["\"Contact Us\"".into()]),
                (
                    NameKind::Email,
                    vec!["\"Welcome\"".into(), "\"Win back\"".into()],
                ),
                (NameKind::List, vec!["\"Newsletter\"".into()]),
            ],
        });
        h
    }

    #[test]
    fn completes_commands_keywords_and_names() {
        let h = helper();
        assert_eq!(h.candidates(":he", 3), (0, vec![":help".to_string()]));
        assert!(h.candidates("sta", 3).1.contains(&"state".to_string()));
        assert_eq!(
            h.candidates("fills out form \"Con", 19),
            (15, vec!["\"Contact Us\"".to_string()])
        );
        assert!(h.candidates("send", 4).1.contains(&"send".to_string()));
    }

    #[test]
    fn completes_names_by_kind() {
        let h = helper();
        let line = "send email \"";
        assert_eq!(
            h.candidates(line, line.len()),
            (
                11,
                vec!["\"Welcome\"".to_string(), "\"Win back\"".to_string()]
            )
        );
        let line = "add to list \"";
        assert_eq!(
            h.candidates(line, line.len()),
            (12, vec!["\"Newsletter\"".to_string()])
        );
        // No quote typed yet: the quoted names, the quote inserted with them.
        let line = "send email ";
        assert_eq!(h.candidates(line, line.len()).1.len(), 2);
        let line = "send email We";
        assert_eq!(
            h.candidates(line, line.len()),
            (11, vec!["\"Welcome\"".to_string()])
        );
    }

    #[test]
    fn field_names_only_where_a_field_stands() {
        let h = helper();
        // `send` takes `email` or `alert`, never a field.
        assert_eq!(h.candidates("send s", 6), (5, Vec::<String>::new()));
        assert_eq!(h.candidates("send e", 6), (5, vec!["email".to_string()]));
        assert_eq!(h.candidates("add t", 5), (4, vec!["to".to_string()]));
        // After a field, operators and keywords, not fields.
        let got = h.candidates("state is \"CA\" and s", 20).1;
        assert!(got.contains(&"state".to_string()), "{got:?}");
        let got = h.candidates("state s", 7).1;
        assert!(got.contains(&"starts".to_string()), "{got:?}");
        assert!(!got.contains(&"state".to_string()), "{got:?}");
        let got = h.candidates("change s", 8).1;
        assert!(got.contains(&"score".to_string()), "{got:?}");
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
