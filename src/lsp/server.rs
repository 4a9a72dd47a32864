//! Requests and notifications, handled against the [`World`]; no I/O here, so tests drive it
//! in-process.

use std::collections::HashMap;

use lsp_types::notification::{self, Notification as _};
use lsp_types::request::{self, Request as _};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, Diagnostic as LspDiagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, DocumentFormattingParams, DocumentSymbolParams,
    DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse, HoverParams,
    HoverProviderCapability, InitializeParams, InitializeResult, Location, NumberOrString, OneOf,
    Position, PublishDiagnosticsParams, Range, ReferenceParams, SaveOptions, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Url,
};
use serde_json::Value;

use super::features;
use super::world::World;
use crate::diagnostic::{Diagnostic, Severity};
use crate::syntax::span::{FileId, Span};

/// A request that could not be answered: an LSP error code and a message.
pub type Failure = (i32, String);

const INVALID_PARAMS: i32 = -32602;
const METHOD_NOT_FOUND: i32 = -32601;

/// The language server's state.
#[derive(Debug, Default)]
pub struct Server {
    /// The workspace.
    pub world: World,
    published: HashMap<Url, Vec<LspDiagnostic>>,
    /// Files changed since diagnostics were last published.
    touched: Vec<Url>,
}

impl Server {
    /// A server with an empty workspace.
    pub fn new() -> Server {
        Server::default()
    }

    /// The capabilities, after loading the root folder the client opened.
    pub fn initialize(&mut self, params: &InitializeParams) -> InitializeResult {
        #[allow(deprecated)]
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or_else(|| params.root_uri.clone());
        if let Some(path) = root.and_then(|u| u.to_file_path().ok()) {
            self.world.load_root(&path);
        }
        InitializeResult {
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::FULL),
                        save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                            include_text: Some(true),
                        })),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![" ".into(), "\"".into(), ".".into()]),
                    ..CompletionOptions::default()
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "camp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        }
    }

    /// Handles a notification; true when the workspace changed.
    pub fn notification(&mut self, method: &str, params: Value) -> bool {
        match method {
            notification::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(params) else {
                    return false;
                };
                let uri = p.text_document.uri;
                self.world.set_text(uri.clone(), p.text_document.text);
                self.world.set_open(&uri, true);
                self.touched.push(uri);
                true
            }
            notification::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(params) else {
                    return false;
                };
                let uri = p.text_document.uri;
                let mut text = self
                    .world
                    .file(&uri)
                    .and_then(|id| self.world.entry(id))
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                for change in p.content_changes {
                    match change.range {
                        None => text = change.text,
                        Some(r) => {
                            let lines = super::position::LineIndex::new(&text);
                            let a = lines.offset(&text, r.start);
                            let b = lines.offset(&text, r.end).max(a);
                            text.replace_range(a..b, &change.text);
                        }
                    }
                }
                self.world.set_text(uri.clone(), text);
                self.world.set_open(&uri, true);
                self.touched.push(uri);
                true
            }
            notification::DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(params) else {
                    return false;
                };
                let uri = p.text_document.uri;
                if let Some(text) = p.text {
                    self.world.set_text(uri.clone(), text);
                }
                self.world.dirty = true;
                self.touched.push(uri);
                true
            }
            notification::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(params) else {
                    return false;
                };
                self.world.set_open(&p.text_document.uri, false);
                self.touched.push(p.text_document.uri);
                true
            }
            notification::DidChangeWatchedFiles::METHOD => {
                let Ok(p) = serde_json::from_value::<DidChangeWatchedFilesParams>(params) else {
                    return false;
                };
                for change in p.changes {
                    self.world.file_changed_on_disk(&change.uri);
                    self.touched.push(change.uri);
                }
                true
            }
            _ => false,
        }
    }

    /// Re-checks if anything changed, and returns the diagnostics to publish: for every file
    /// whose diagnostics changed, and for the files just opened or edited.
    pub fn publish(&mut self) -> Vec<PublishDiagnosticsParams> {
        if self.world.dirty {
            self.world.analyze();
        }
        let touched = std::mem::take(&mut self.touched);
        let mut out = Vec::new();
        for (i, f) in self.world.files.iter().enumerate() {
            let diags: Vec<LspDiagnostic> = if f.removed {
                Vec::new()
            } else {
                self.world.diagnostics[i]
                    .iter()
                    .map(|d| to_lsp(&self.world, d))
                    .collect()
            };
            let before = self.published.get(&f.uri);
            let changed = match before {
                Some(b) => *b != diags,
                None => !diags.is_empty(),
            };
            if changed || touched.contains(&f.uri) {
                self.published.insert(f.uri.clone(), diags.clone());
                out.push(PublishDiagnosticsParams {
                    uri: f.uri.clone(),
                    diagnostics: diags,
                    version: None,
                });
            }
        }
        out
    }

    /// Answers a request.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, Failure> {
            serde_json::from_value(v).map_err(|e| (INVALID_PARAMS, e.to_string()))
        }
        fn json<T: serde::Serialize>(v: T) -> Result<Value, Failure> {
            serde_json::to_value(v).map_err(|e| (INVALID_PARAMS, e.to_string()))
        }
        if self.world.dirty {
            self.world.analyze();
        }
        match method {
            request::GotoDefinition::METHOD => {
                let p: GotoDefinitionParams = parse(params)?;
                let tp = p.text_document_position_params;
                json(self.definition(&tp.text_document.uri, tp.position))
            }
            request::References::METHOD => {
                let p: ReferenceParams = parse(params)?;
                let tp = p.text_document_position;
                json(self.references(
                    &tp.text_document.uri,
                    tp.position,
                    p.context.include_declaration,
                ))
            }
            request::HoverRequest::METHOD => {
                let p: HoverParams = parse(params)?;
                let tp = p.text_document_position_params;
                json(self.hover(&tp.text_document.uri, tp.position))
            }
            request::Completion::METHOD => {
                let p: CompletionParams = parse(params)?;
                let tp = p.text_document_position;
                json(self.completion(&tp.text_document.uri, tp.position))
            }
            request::DocumentSymbolRequest::METHOD => {
                let p: DocumentSymbolParams = parse(params)?;
                json(self.symbols(&p.text_document.uri))
            }
            request::Formatting::METHOD => {
                let p: DocumentFormattingParams = parse(params)?;
                json(self.format(&p.text_document.uri))
            }
            request::Shutdown::METHOD => Ok(Value::Null),
            _ => Err((METHOD_NOT_FOUND, format!("`{method}` is not supported"))),
        }
    }

    fn offset(&self, uri: &Url, pos: Position) -> Option<(FileId, usize)> {
        let id = self.world.file(uri)?;
        let f = self.world.entry(id)?;
        Some((id, f.lines.offset(&f.text, pos)))
    }

    /// The location of a span.
    pub fn location(&self, span: Span) -> Option<Location> {
        let f = self.world.entry(span.file)?;
        Some(Location::new(
            f.uri.clone(),
            f.lines
                .range(&f.text, span.start as usize, span.end as usize),
        ))
    }

    /// Where the name under the cursor is declared.
    pub fn definition(&mut self, uri: &Url, pos: Position) -> Option<GotoDefinitionResponse> {
        let (file, offset) = self.offset(uri, pos)?;
        let index = self.world.index();
        let occ = index.at(file, offset)?;
        let locs: Vec<Location> = index
            .declarations(occ.kind, &occ.name)
            .filter_map(|d| self.location(d.span))
            .collect();
        (!locs.is_empty()).then_some(GotoDefinitionResponse::Array(locs))
    }

    /// Every place the name under the cursor is written.
    pub fn references(&mut self, uri: &Url, pos: Position, decl: bool) -> Option<Vec<Location>> {
        let (file, offset) = self.offset(uri, pos)?;
        let index = self.world.index();
        let occ = index.at(file, offset)?;
        let mut refs: Vec<_> = index
            .references(occ.kind, &occ.name)
            .filter(|o| decl || !o.decl)
            .map(|o| o.span)
            .collect();
        refs.sort();
        Some(refs.into_iter().filter_map(|s| self.location(s)).collect())
    }

    /// The declaration of the name under the cursor.
    pub fn hover(&mut self, uri: &Url, pos: Position) -> Option<lsp_types::Hover> {
        let (file, offset) = self.offset(uri, pos)?;
        let index = self.world.index();
        let occ = index.at(file, offset)?;
        let mut h = features::hover(&self.world, &index, occ)?;
        h.range = self.location(occ.span).map(|l| l.range);
        Some(h)
    }

    /// Keywords, or the declared names that fit where the cursor is.
    pub fn completion(&mut self, uri: &Url, pos: Position) -> Option<CompletionResponse> {
        let (file, offset) = self.offset(uri, pos)?;
        let index = self.world.index();
        let f = self.world.entry(file)?;
        let items =
            features::completion(&index, &f.text, offset, |a, b| f.lines.range(&f.text, a, b));
        Some(CompletionResponse::Array(items))
    }

    /// The outline of a file.
    pub fn symbols(&mut self, uri: &Url) -> Option<DocumentSymbolResponse> {
        let id = self.world.file(uri)?;
        let f = self.world.entry(id)?;
        let script = self.world.scripts.get(id.0 as usize)?;
        let syms = features::symbols(script, |s| {
            let (start, end) = (s.start as usize, s.end as usize);
            f.lines
                .range(&f.text, start, token_end(&f.text, start, end))
        });
        Some(DocumentSymbolResponse::Nested(syms))
    }

    /// The whole file in the canonical layout (nothing when it has syntax errors).
    pub fn format(&mut self, uri: &Url) -> Option<Vec<TextEdit>> {
        let id = self.world.file(uri)?;
        let f = self.world.entry(id)?;
        let formatted = crate::fmt::format_source(id, &f.text).ok()?;
        if formatted == f.text {
            return Some(Vec::new());
        }
        let end = f.lines.position(&f.text, f.text.len());
        Some(vec![TextEdit::new(
            Range::new(Position::new(0, 0), end),
            formatted,
        )])
    }
}

/// A camp diagnostic as LSP's: code, severity, UTF-16 range, message with the help appended,
/// secondary labels as related information.
pub fn to_lsp(world: &World, d: &Diagnostic) -> LspDiagnostic {
    let range_of = |s: Span| -> Option<(Url, Range)> {
        let f = world.entry(s.file)?;
        let start = s.start as usize;
        let end = token_end(&f.text, start, s.end as usize);
        Some((f.uri.clone(), f.lines.range(&f.text, start, end)))
    };
    let range = range_of(d.primary.span).map_or_else(Range::default, |(_, r)| r);
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() && d.primary.message != d.message {
        message.push_str(&format!(" ({})", d.primary.message));
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            let (uri, range) = range_of(l.span)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri, range),
                message: if l.message.is_empty() {
                    "see here".into()
                } else {
                    l.message.clone()
                },
            })
        })
        .collect();
    LspDiagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("camp".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..LspDiagnostic::default()
    }
}

/// The end of `start..end` without the whitespace and comments a span may have taken in after
/// its last token (so that an underline stops at the code).
fn token_end(text: &str, start: usize, end: usize) -> usize {
    let Some(inside) = text.get(start..end.min(text.len())) else {
        return end;
    };
    let mut keep = inside.len();
    let comments = crate::fmt::comments::collect(inside);
    loop {
        let trimmed = inside[..keep].trim_end().len();
        match comments.iter().find(|c| c.end == trimmed) {
            Some(c) if c.start < keep => keep = c.start,
            _ => return start + trimmed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::token_end;

    #[test]
    fn underlines_stop_before_trailing_comments() {
        let text = "trigger fills out form \"X\"   # note\n  # more\n  filter";
        let end = text.find("filter").unwrap_or(0);
        assert_eq!(token_end(text, 0, end), text.find("   #").unwrap_or(0));
        assert_eq!(token_end(text, 0, 7), 7);
        assert_eq!(token_end(text, 3, 3), 3);
    }
}
