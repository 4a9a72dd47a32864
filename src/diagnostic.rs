//! Diagnostics shared by every phase: a code from LANGUAGE.md section 8, a severity, a message,
//! labelled spans and a help line; rendered for people through miette, or as JSON for editors.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use crate::syntax::span::{FileId, Span};

/// Error or warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops `camp run`.
    Error,
    /// Reported, but does not stop anything.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
}

impl Label {
    /// A label at `span` saying `message`.
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// The width diagnostics are rendered at when no terminal gives one.
pub const RENDER_WIDTH: usize = 100;

/// The narrowest rendering: below it, a snippet is unreadable whatever the terminal.
const MIN_RENDER_WIDTH: usize = 40;

/// One problem found in a workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code, e.g. `camp::name::unknown`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Lower case, no final period, user input in backticks.
    pub message: String,
    /// The offending construct.
    pub primary: Label,
    /// Other places that matter (same file as the primary for rendering; others are listed in
    /// JSON too).
    pub secondary: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` at `span`.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label::new(span, ""),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// A warning with `code` at `span`.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Sets the primary label's message.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label::new(span, message));
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: file, position, then code.
    pub fn sort_key(&self) -> (FileId, u32, u32, &'static str) {
        (
            self.primary.span.file,
            self.primary.span.start,
            self.primary.span.end,
            self.code,
        )
    }
}

/// Sorts diagnostics by file and position, dropping exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// The text of one source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown to users (the path as given).
    pub name: String,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file called `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    /// Byte offset of the start of 1-based `line`.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }
}

/// Every file of a workspace, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId((self.files.len() - 1) as u32)
    }

    /// The file with id `id`.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Replaces the name and text of file `id` (for text shown in place of a generated file).
    pub fn replace(&mut self, id: FileId, name: impl Into<String>, text: impl Into<String>) {
        if let Some(f) = self.files.get_mut(id.0 as usize) {
            *f = SourceFile::new(name, text);
        }
    }

    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file was added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The JSON shape of a diagnostic (LANGUAGE.md 10.1).
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
}

impl Diagnostic {
    /// The JSON object for this diagnostic.
    pub fn to_json<'a>(&'a self, sources: &'a SourceMap) -> JsonDiagnostic<'a> {
        let file = sources.get(self.primary.span.file);
        let name = file.map(|f| f.name.as_str()).unwrap_or("");
        let (line, column) = file
            .map(|f| f.line_col(self.primary.span.start as usize))
            .unwrap_or((1, 1));
        let mut labels = Vec::new();
        for (i, l) in std::iter::once(&self.primary)
            .chain(self.secondary.iter())
            .enumerate()
        {
            let lf = sources.get(l.span.file);
            let (line, column) = lf
                .map(|f| f.line_col(l.span.start as usize))
                .unwrap_or((1, 1));
            let message = if i == 0 && l.message.is_empty() {
                self.message.as_str()
            } else {
                l.message.as_str()
            };
            labels.push(JsonLabel {
                message,
                file: (l.span.file != self.primary.span.file)
                    .then(|| lf.map(|f| f.name.as_str()).unwrap_or("")),
                line,
                column,
                offset: l.span.start as usize,
                length: l.span.len(),
            });
        }
        JsonDiagnostic {
            code: self.code,
            severity: self.severity.as_str(),
            message: &self.message,
            file: name,
            line,
            column,
            offset: self.primary.span.start as usize,
            length: self.primary.span.len(),
            labels,
            help: self.help.as_deref(),
        }
    }

    /// Renders for a terminal: miette's graphical report, with colour and unicode as asked,
    /// [`RENDER_WIDTH`] characters wide.
    pub fn render(&self, sources: &SourceMap, color: bool, unicode: bool) -> String {
        self.render_width(sources, color, unicode, RENDER_WIDTH)
    }

    /// [`Diagnostic::render`] wrapped at `width` characters (a terminal's width).
    pub fn render_width(
        &self,
        sources: &SourceMap,
        color: bool,
        unicode: bool,
        width: usize,
    ) -> String {
        let theme = match (color, unicode) {
            (true, true) => GraphicalTheme::unicode(),
            (true, false) => GraphicalTheme::ascii(),
            (false, true) => GraphicalTheme::unicode_nocolor(),
            (false, false) => GraphicalTheme::none(),
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width.max(MIN_RENDER_WIDTH))
            // Dates, instants and names keep their hyphens on one line.
            .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
            .with_links(false);
        if self.has_long_lines(sources) {
            return self.render_plain(sources);
        }
        let report = Report::new(self, sources);
        let mut out = String::new();
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handler.render_report(&mut out, &report)
        }));
        match rendered {
            Ok(Ok(())) => out,
            _ => self.render_plain(sources),
        }
    }

    /// Whether a labelled line is too long to show as a snippet.
    fn has_long_lines(&self, sources: &SourceMap) -> bool {
        const MAX_LINE: usize = 400;
        std::iter::once(&self.primary)
            .chain(self.secondary.iter())
            .any(|l| {
                let Some(f) = sources.get(l.span.file) else {
                    return false;
                };
                let (a, b) = (l.span.start as usize, l.span.end as usize);
                let start = f
                    .text
                    .get(..a)
                    .and_then(|t| t.rfind('\n'))
                    .map_or(0, |i| i + 1);
                let end = f
                    .text
                    .get(b..)
                    .and_then(|t| t.find('\n'))
                    .map_or(f.text.len(), |i| i + b);
                end.saturating_sub(start) > MAX_LINE
            })
    }

    /// A snippet-free rendering: code, message, location of each label, help.
    pub fn render_plain(&self, sources: &SourceMap) -> String {
        let at = |l: &Label| {
            let f = sources.get(l.span.file);
            let (line, col) = f
                .map(|f| f.line_col(l.span.start as usize))
                .unwrap_or((1, 1));
            format!("{}:{line}:{col}", f.map(|f| f.name.as_str()).unwrap_or(""))
        };
        let mut out = format!(
            "{}: {}\n  {} {}\n  --> {}\n",
            self.severity.as_str(),
            self.code,
            if self.is_error() { "x" } else { "!" },
            self.message,
            at(&self.primary)
        );
        for l in &self.secondary {
            out.push_str(&format!("  --> {}: {}\n", at(l), l.message));
        }
        if let Some(h) = &self.help {
            out.push_str(&format!("  help: {h}\n"));
        }
        out
    }
}

/// A diagnostic bound to its source, for miette.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    other_files: Vec<String>,
}

impl<'a> Report<'a> {
    fn new(diag: &'a Diagnostic, sources: &SourceMap) -> Report<'a> {
        let file = sources.get(diag.primary.span.file);
        let source = NamedSource::new(
            file.map(|f| f.name.clone()).unwrap_or_default(),
            file.map(|f| f.text.clone()).unwrap_or_default(),
        );
        let other_files = diag
            .secondary
            .iter()
            .filter(|l| l.span.file != diag.primary.span.file)
            .map(|l| {
                let f = sources.get(l.span.file);
                let (line, col) = f
                    .map(|f| f.line_col(l.span.start as usize))
                    .unwrap_or((1, 1));
                let name = f.map(|f| f.name.as_str()).unwrap_or("");
                if l.message.is_empty() {
                    format!("see {name}:{line}:{col}")
                } else {
                    format!("{} at {name}:{line}:{col}", l.message)
                }
            })
            .collect();
        Report {
            diag,
            source,
            other_files,
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("code", &self.diag.code)
            .finish()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut parts: Vec<String> = self.other_files.clone();
        if let Some(h) = &self.diag.help {
            parts.push(h.clone());
        }
        if parts.is_empty() {
            None
        } else {
            Some(Box::new(parts.join("\n")))
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let file = self.diag.primary.span.file;
        let primary = std::iter::once(LabeledSpan::new_primary_with_span(
            (!self.diag.primary.message.is_empty()).then(|| self.diag.primary.message.clone()),
            self.diag.primary.span.source_span(),
        ));
        let rest = self
            .diag
            .secondary
            .iter()
            .filter(move |l| l.span.file == file)
            .map(|l| {
                LabeledSpan::new_with_span(
                    (!l.message.is_empty()).then(|| l.message.clone()),
                    l.span.source_span(),
                )
            });
        Some(Box::new(primary.chain(rest)))
    }
}

/// Closest candidate to `name` among `candidates`, for "did you mean" help.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let score = strsim::jaro_winkler(&lower, &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("a.camp", "ab\ncé d\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(6), (2, 3));
        assert_eq!(f.line_col(100), (3, 1));
    }

    #[test]
    fn suggests_close_names_only() {
        let c = ["Newsletter", "Engaged"];
        assert_eq!(
            did_you_mean("Newsleter", c).as_deref(),
            Some("did you mean `Newsletter`?")
        );
        assert_eq!(did_you_mean("Zzz", c), None);
    }
}
