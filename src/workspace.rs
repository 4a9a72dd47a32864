//! A workspace: every file passed together, parsed, and the diagnostics found so far.

use std::path::{Path, PathBuf};

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

    /// Reads and parses the files at `paths`, in order; a folder stands for every `.camp` file
    /// under it (recursively, in path order).
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Workspace, ReadError> {
        let mut ws = Workspace::new();
        for path in expand(paths)? {
            let bytes = std::fs::read(&path).map_err(|source| ReadError {
                path: path.display().to_string(),
                source,
            })?;
            ws.add_bytes(&path.display().to_string(), bytes);
        }
        Ok(ws)
    }

    /// The folder of the file `file` was read from (`.` for a name without one).
    pub fn dir_of(&self, file: crate::syntax::span::FileId) -> PathBuf {
        let name = self
            .sources
            .get(file)
            .map(|f| f.name.as_str())
            .unwrap_or("");
        match Path::new(name).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
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

/// The files `paths` name: each file as given, and for each folder every `.camp` file under it,
/// sorted by path. A folder without any is an error, so that a mistyped folder is not an empty
/// workspace.
pub fn expand<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|source| ReadError {
                path: p.display().to_string(),
                source,
            })?;
            if found.is_empty() {
                return Err(ReadError {
                    path: p.display().to_string(),
                    source: std::io::Error::other("the folder holds no `.camp` file"),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.to_path_buf());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "camp") {
            out.push(path);
        }
    }
    Ok(())
}
