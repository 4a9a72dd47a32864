//! The server's view of the workspace: every `.camp` file under the root, with unsaved buffers
//! in place of their files, parsed, checked and indexed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::Url;

use super::index::NameIndex;
use super::position::LineIndex;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::Script;
use crate::syntax::span::FileId;

/// One file of the workspace.
#[derive(Debug)]
pub struct FileEntry {
    /// Its URI.
    pub uri: Url,
    /// Its text: the editor's buffer while open, else the file on disk.
    pub text: String,
    /// Line starts of `text`.
    pub lines: LineIndex,
    /// Open in the editor.
    pub open: bool,
    /// Its syntax problems (empty when it parsed).
    pub syntax: Vec<Diagnostic>,
    /// Gone from the workspace (closed and not on disk); kept so ids stay stable.
    pub removed: bool,
}

/// Every file, parsed; the last check's diagnostics; the name index.
#[derive(Debug, Default)]
pub struct World {
    /// The folder the client opened.
    pub root: Option<PathBuf>,
    /// Files by [`FileId`] (ids never change).
    pub files: Vec<FileEntry>,
    /// Each file's AST (the last one that parsed), indexed like `files`.
    pub scripts: Vec<Script>,
    by_uri: HashMap<Url, usize>,
    /// The diagnostics of the last analysis, by file.
    pub diagnostics: Vec<Vec<Diagnostic>>,
    index: Option<Arc<NameIndex>>,
    /// Changed since the last analysis.
    pub dirty: bool,
}

impl World {
    /// An empty workspace.
    pub fn new() -> World {
        World::default()
    }

    /// Adds every `.camp` file under `root` (hidden folders and `target` skipped).
    pub fn load_root(&mut self, root: &Path) {
        self.root = Some(root.to_path_buf());
        let mut found = Vec::new();
        walk(root, &mut found, 0);
        found.sort();
        for path in found {
            let Ok(uri) = Url::from_file_path(&path) else {
                continue;
            };
            if self.by_uri.contains_key(&uri) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&path) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.set_text(uri, text);
            }
        }
    }

    /// The id of the file at `uri`, if it is in the workspace.
    pub fn file(&self, uri: &Url) -> Option<FileId> {
        self.by_uri
            .get(uri)
            .filter(|&&i| !self.files[i].removed)
            .map(|&i| FileId(i as u32))
    }

    /// The entry of file `id`.
    pub fn entry(&self, id: FileId) -> Option<&FileEntry> {
        self.files.get(id.0 as usize)
    }

    /// Sets a file's text (adding the file if new) and parses it.
    pub fn set_text(&mut self, uri: Url, text: String) -> FileId {
        let i = match self.by_uri.get(&uri) {
            Some(&i) => i,
            None => {
                let i = self.files.len();
                self.by_uri.insert(uri.clone(), i);
                self.files.push(FileEntry {
                    uri,
                    text: String::new(),
                    lines: LineIndex::default(),
                    open: false,
                    syntax: Vec::new(),
                    removed: false,
                });
                self.scripts.push(Script {
                    file: FileId(i as u32),
                    items: Vec::new(),
                });
                self.diagnostics.push(Vec::new());
                i
            }
        };
        let id = FileId(i as u32);
        // A file that does not parse keeps its last tree: the checker does not run while any
        // file has syntax errors, and navigation and completion go on with the names it had.
        let f = &self.files[i];
        if f.syntax.is_empty() && !f.removed && !f.text.is_empty() {
            let mut items = std::mem::take(&mut self.scripts[i].items);
            let done = super::incremental::reparse(id, &f.text, &mut items, &text).is_some();
            self.scripts[i].items = items;
            if done {
                let f = &mut self.files[i];
                f.lines = LineIndex::new(&text);
                f.text = text;
                self.index = None;
                self.dirty = true;
                return id;
            }
        }
        let syntax = match crate::syntax::parse_file(id, &text) {
            Ok(s) => {
                self.scripts[i] = s;
                Vec::new()
            }
            Err(d) => d,
        };
        let f = &mut self.files[i];
        f.lines = LineIndex::new(&text);
        f.text = text;
        f.syntax = syntax;
        f.removed = false;
        self.index = None;
        self.dirty = true;
        id
    }

    /// Marks a buffer open or closed. A closed buffer goes back to the file on disk, or leaves
    /// the workspace when there is none.
    pub fn set_open(&mut self, uri: &Url, open: bool) {
        let Some(&i) = self.by_uri.get(uri) else {
            return;
        };
        self.files[i].open = open;
        if open {
            return;
        }
        let on_disk = uri.to_file_path().ok().and_then(|p| std::fs::read(p).ok());
        match on_disk {
            Some(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.set_text(uri.clone(), text);
            }
            None => {
                self.set_text(uri.clone(), String::new());
                self.scripts[i].items.clear();
                self.files[i].removed = true;
            }
        }
    }

    /// A `.camp` file was created, changed or deleted outside the editor: its buffer, when
    /// open, still wins.
    pub fn file_changed_on_disk(&mut self, uri: &Url) {
        if !uri.path().ends_with(".camp") {
            return;
        }
        if let Some(&i) = self.by_uri.get(uri) {
            if self.files[i].open {
                return;
            }
        }
        let on_disk = uri.to_file_path().ok().and_then(|p| std::fs::read(p).ok());
        match on_disk {
            Some(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.set_text(uri.clone(), text);
            }
            None => {
                if let Some(&i) = self.by_uri.get(uri) {
                    self.set_text(uri.clone(), String::new());
                    self.scripts[i].items.clear();
                    self.files[i].removed = true;
                }
            }
        }
    }

    /// Checks the workspace as `camp check` does: syntax problems if any file has some,
    /// otherwise the checker's.
    pub fn analyze(&mut self) {
        for d in &mut self.diagnostics {
            d.clear();
        }
        let any_syntax = self.files.iter().any(|f| !f.syntax.is_empty());
        if any_syntax {
            for (i, f) in self.files.iter().enumerate() {
                self.diagnostics[i].extend(f.syntax.iter().cloned());
            }
        } else {
            let checked = crate::check::check(&self.scripts);
            for d in checked.diagnostics {
                if let Some(v) = self.diagnostics.get_mut(d.primary.span.file.0 as usize) {
                    v.push(d);
                }
            }
        }
        self.dirty = false;
    }

    /// The name index, built on first use after a change.
    pub fn index(&mut self) -> Arc<NameIndex> {
        let scripts = &self.scripts;
        self.index
            .get_or_insert_with(|| Arc::new(NameIndex::build(scripts)))
            .clone()
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 16 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&path, out, depth + 1);
            }
        } else if ft.is_file() && name.ends_with(".camp") {
            out.push(path);
        }
    }
}
