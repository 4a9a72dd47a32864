//! A workspace: every file passed together, parsed, and the diagnostics found so far.

use std::path::Path;

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::syntax::{self, ast::Script};

/// Parsed files of a workspace with their sources and syntax diagnostics.
#[derive(Debug, Default)]
pub struct Workspace {
    /// Every file's text, by id.
    pub sources: SourceMap,
    /// The files that parsed.
    pub scripts: Vec<Script>,
    /// Syntax problems of the files that did not.
    pub diagnostics: Vec<Diagnostic>,
}

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{path}`: {source}")]
pub struct ReadError {
    /// The path as given.
    pub path: String,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// Reads and parses the files at `paths`, in order.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Workspace, ReadError> {
        let mut ws = Workspace::new();
        for path in paths {
            let path = path.as_ref();
            let bytes = std::fs::read(path).map_err(|source| ReadError {
                path: path.display().to_string(),
                source,
            })?;
            ws.add_bytes(&path.display().to_string(), bytes);
        }
        Ok(ws)
    }

    /// Adds a file's bytes (decoded as UTF-8) and parses it.
    pub fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) {
        let next = crate::syntax::span::FileId(self.sources.len() as u32);
        match syntax::decode(next, bytes) {
            Ok(text) => self.add_text(name, text),
            Err(bad) => {
                let (shown, diag) = *bad;
                self.sources.add(name, shown);
                self.diagnostics.push(diag);
            }
        }
    }

    /// Adds a file's text and parses it.
    pub fn add_text(&mut self, name: &str, text: String) {
        let id = self.sources.add(name, text);
        let text = self.sources.get(id).map(|f| f.text.as_str()).unwrap_or("");
        match syntax::parse_file(id, text) {
            Ok(script) => self.scripts.push(script),
            Err(diags) => self.diagnostics.extend(diags),
        }
    }
}
