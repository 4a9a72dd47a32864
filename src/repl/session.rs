//! A REPL session: a workspace that grows as declarations are typed or loaded, a store, and
//! [`Session::eval`], which reads one input and returns what to print. The interactive loop and
//! the transcript tests both go through `eval`.

use std::fmt::Write as _;

use super::input::{classify, Kind};
use crate::check::ir::Program;
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::engine::run::Engine;
use crate::engine::value::local_time;
use crate::store::open::OpenStore;
use crate::store::{Activity, Store, StoreError};
use crate::syntax::span::FileId;
use crate::workspace::Workspace;

mod commands;
mod listings;
mod why;

pub use commands::COMMANDS;

/// The campaign that carries a typed flow step.
const CARRIER: &str = "camp: repl";

/// One REPL session.
pub struct Session {
    /// The accepted files (loaded and typed), in order: the workspace is built from them.
    files: Vec<(String, Vec<u8>)>,
    ws: Workspace,
    program: Program,
    store: OpenStore,
    /// Where a store without a clock starts it.
    start: i64,
    color: bool,
    unicode: bool,
    /// The width diagnostics are rendered at.
    width: usize,
    typed: usize,
    finished: bool,
    /// The last activity shown or known, once read.
    last_seen: Option<i64>,
}

/// The program of an empty workspace.
fn empty_program() -> Program {
    crate::check::check(&[])
        .program
        .unwrap_or_else(|| unreachable!("an empty workspace checks clean"))
}

fn store_err(e: StoreError) -> String {
    format!("error: {e}\n")
}

impl Session {
    /// A session over `store` (with its runner lock, when it has one, for as long as the
    /// session lasts); a store without a clock starts it at `start`.
    pub fn new(mut store: OpenStore, start: i64) -> Result<Session, String> {
        let program = empty_program();
        // Preparing for the empty program must not forget the time zone a script left.
        let tz = store.meta("time_zone").map_err(|e| e.to_string())?;
        store.prepare(&program).map_err(|e| e.to_string())?;
        if let Some(tz) = tz {
            store
                .set_meta("time_zone", &tz)
                .map_err(|e| e.to_string())?;
        }
        Ok(Session {
            files: Vec::new(),
            ws: Workspace::new(),
            program,
            store,
            start,
            color: false,
            unicode: false,
            width: crate::diagnostic::RENDER_WIDTH,
            typed: 0,
            finished: false,
            last_seen: None,
        })
    }

    /// Renders diagnostics with colour and unicode (for a terminal).
    pub fn set_style(&mut self, color: bool, unicode: bool) {
        self.color = color;
        self.unicode = unicode;
    }

    /// Renders diagnostics `width` characters wide (a terminal's width).
    pub fn set_width(&mut self, width: usize) {
        self.width = width;
    }

    /// True once `:quit` was read.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The checked program of everything accepted so far.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The store's clock (starting it when the store has none).
    pub fn clock(&mut self) -> Result<i64, StoreError> {
        match self.store.clock()? {
            Some(t) => Ok(t),
            None => {
                self.store.set_clock(self.start)?;
                Ok(self.start)
            }
        }
    }

    /// Moves a new store's clock to `t`, or an existing one forward to `t` (processing what
    /// falls due); an earlier `t` is an error since time never goes backwards.
    pub fn start_at(&mut self, t: i64) -> String {
        match self.store.clock() {
            Ok(None) => {
                self.start = t;
                match self.clock() {
                    Ok(_) => String::new(),
                    Err(e) => store_err(e),
                }
            }
            Ok(Some(c)) if t < c => format!(
                "error: --from is before the store's clock ({}): time never goes backwards\n",
                local_time(c, self.program.settings.time_zone)
            ),
            Ok(Some(_)) => self.advance_to(t),
            Err(e) => store_err(e),
        }
    }

    /// Reads one input (a line, or several for a declaration) and returns what to print.
    pub fn eval(&mut self, input: &str) -> String {
        match classify(input) {
            Kind::Empty => String::new(),
            Kind::Command(cmd) => self.command(&cmd),
            Kind::Items => {
                let name = match self.typed_earlier(input) {
                    Some(name) => name,
                    None => {
                        self.typed += 1;
                        format!("(input {})", self.typed)
                    }
                };
                self.add_source(&name, input.as_bytes().to_vec())
            }
            Kind::Step { text, target } => self.step(&text, target.as_deref()),
            Kind::Condition => self.people(input.trim()),
            Kind::Error { diagnostics, .. } => {
                self.typed += 1;
                if let Some(msg) = self.unknown_word(input) {
                    return msg;
                }
                let mut sources = SourceMap::new();
                sources.add(format!("(input {})", self.typed), input);
                self.render(&diagnostics, &sources)
            }
        }
    }

    /// When the input starts with a word that is no keyword and no field, says so (with the
    /// closest word) instead of a parse error about what follows it.
    fn unknown_word(&self, input: &str) -> Option<String> {
        let t = input.trim_start();
        let end = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        let word = &t[..end];
        let first = word.chars().next()?;
        if !first.is_ascii_lowercase()
            || crate::syntax::keywords::is_reserved(word)
            || self.program.field(word).is_some()
        {
            return None;
        }
        let words = crate::syntax::keywords::RESERVED
            .iter()
            .copied()
            .chain(self.program.fields.iter().map(|f| f.name.as_str()));
        let hint = crate::diagnostic::did_you_mean(word, words)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        Some(format!(
            "error: `{word}` starts no declaration, flow step or condition and is no field{hint}\n"
        ))
    }

    fn render(&self, diags: &[Diagnostic], sources: &SourceMap) -> String {
        let mut out = String::new();
        for d in diags {
            out.push_str(&d.render_width(sources, self.color, self.unicode, self.width));
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Declarations
    // -----------------------------------------------------------------------------------------

    /// Checks the workspace with one more file (or a file loaded again, replacing its earlier
    /// text); keeps the result when it has no errors.
    fn add_source(&mut self, name: &str, bytes: Vec<u8>) -> String {
        let mut files = self.files.clone();
        let replaced = files.iter().position(|(n, _)| n == name);
        let index = match replaced {
            Some(i) => {
                files[i].1 = bytes;
                i
            }
            None => {
                files.push((name.to_string(), bytes));
                files.len() - 1
            }
        };
        let mut ws = Workspace::new();
        for (n, b) in &files {
            ws.add_bytes(n, b.clone());
        }
        let new_file = FileId(index as u32);
        let checked = crate::check::check_workspace(&ws);
        let shown: Vec<Diagnostic> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || d.primary.span.file == new_file)
            .cloned()
            .collect();
        let mut out = self.render(&shown, &ws.sources);
        let errors = shown.iter().filter(|d| d.is_error()).count();
        let program = match checked.program {
            Some(p) if errors == 0 => p,
            _ => {
                let s = if errors == 1 { "" } else { "s" };
                let _ = writeln!(out, "rejected: {errors} error{s}; nothing was added");
                return out;
            }
        };
        if let Err(e) = self.store.prepare(&program) {
            let _ = writeln!(out, "rejected: {e}");
            return out;
        }
        let added: Vec<String> = ws
            .scripts
            .iter()
            .find(|s| s.file == new_file)
            .map(|script| {
                let text = ws.sources.get(new_file).map(|f| f.text.as_str());
                script
                    .items
                    .iter()
                    .map(|item| super::describe::item(item, text.unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        if name.starts_with("(input") {
            let verb = if replaced.is_some() {
                "replaced"
            } else {
                "added"
            };
            for a in &added {
                let _ = writeln!(out, "{verb} {a}");
            }
        } else {
            let n = added.len();
            let s = if n == 1 { "" } else { "s" };
            let verb = if replaced.is_some() {
                "reloaded"
            } else {
                "loaded"
            };
            let _ = writeln!(out, "{verb} {name}: {n} declaration{s}");
        }
        self.files = files;
        self.ws = ws;
        self.program = program;
        out
    }

    /// The typed input that declared the one item `input` declares (same kind and name), so
    /// that typing a campaign again replaces it instead of declaring it twice.
    fn typed_earlier(&self, input: &str) -> Option<String> {
        let items = crate::syntax::parse_items(FileId(0), input).ok()?;
        let [item] = items.as_slice() else {
            return None;
        };
        let key = super::describe::item(item, input);
        self.ws.scripts.iter().find_map(|script| {
            let file = self.ws.sources.get(script.file)?;
            if !file.name.starts_with("(input ") {
                return None;
            }
            match script.items.as_slice() {
                [earlier] if super::describe::item(earlier, &file.text) == key => {
                    Some(file.name.clone())
                }
                _ => None,
            }
        })
    }

    /// Loads a script file into the workspace.
    pub fn load(&mut self, path: &str) -> String {
        match std::fs::read(path) {
            Ok(bytes) => self.add_source(path, bytes),
            Err(e) => format!("error: cannot read `{path}`: {e}\n"),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Running
    // -----------------------------------------------------------------------------------------

    /// The id of the last activity logged (later activities are found by id, so a long log
    /// costs nothing per input).
    fn last_activity(&mut self) -> Result<i64, StoreError> {
        let last = match self.last_seen {
            Some(id) => id,
            None => self.store.last_activity_id()?,
        };
        self.last_seen = Some(last);
        Ok(last)
    }

    /// The activities logged after `after`, as a table; remembers the last one.
    fn new_activities(&mut self, after: i64) -> Result<String, StoreError> {
        let mut log: Vec<Activity> = Vec::new();
        let mut id = after;
        while let Some(a) = self.store.activity(id + 1)? {
            id = a.id;
            log.push(a);
        }
        self.last_seen = Some(id);
        Ok(super::table::activity_table(
            &log,
            self.program.settings.time_zone,
        ))
    }

    /// The store's time zone while no script is loaded: preparing the store for the empty
    /// program would replace it with UTC, so it is put back afterwards.
    fn script_free_time_zone(&self) -> Option<String> {
        if self.ws.scripts.is_empty() {
            self.store.meta("time_zone").ok().flatten()
        } else {
            None
        }
    }

    fn restore_time_zone(&mut self, kept: Option<String>) {
        if let Some(tz) = kept {
            let _ = self.store.set_meta("time_zone", &tz);
        }
    }

    /// Runs `f` with an engine over the session's program, then processes what is due at the
    /// clock and lists the activities logged meanwhile.
    fn act(
        &mut self,
        program: Option<&Program>,
        f: impl FnOnce(&mut Engine, i64) -> Result<String, String>,
    ) -> String {
        let run = || -> Result<String, String> {
            let clock = self.clock().map_err(|e| e.to_string())?;
            let before = self.last_activity().map_err(|e| e.to_string())?;
            let kept = self.script_free_time_zone();
            let program = program.unwrap_or(&self.program);
            let mut engine = Engine::new(program, &mut *self.store).map_err(|e| e.to_string())?;
            let msg = f(&mut engine, clock)?;
            engine.run_until(clock).map_err(|e| e.to_string())?;
            drop(engine);
            self.restore_time_zone(kept);
            let table = self.new_activities(before).map_err(|e| e.to_string())?;
            Ok(format!("{table}{msg}"))
        };
        match run() {
            Ok(s) => s,
            Err(e) => format!("error: {e}\n"),
        }
    }

    /// Processes everything due up to `t`.
    fn advance_to(&mut self, t: i64) -> String {
        let mut run = || -> Result<String, StoreError> {
            let clock = self.clock()?;
            if t < clock {
                return Ok(format!(
                    "error: the clock is already at {}: time never goes backwards\n",
                    local_time(clock, self.program.settings.time_zone)
                ));
            }
            let before = self.last_activity()?;
            let kept = self.script_free_time_zone();
            let mut engine = Engine::new(&self.program, &mut *self.store)?;
            let summary = engine.run_until(t)?;
            drop(engine);
            self.restore_time_zone(kept);
            let mut out = self.new_activities(before)?;
            let _ = writeln!(
                out,
                "clock at {}; {} batch runs, {} wakes, {} inputs",
                local_time(t, self.program.settings.time_zone),
                summary.batch_runs,
                summary.wakes,
                summary.inputs
            );
            Ok(out)
        };
        run().unwrap_or_else(store_err)
    }

    /// Names for completion: fields, and the names of each kind (quoted, tokens bare).
    pub fn completion_names(&self) -> super::helper::Names {
        use crate::lsp::index::NameKind;
        let p = &self.program;
        let quoted = |names: Vec<&str>| -> Vec<String> {
            let mut v: Vec<String> = names.into_iter().map(crate::query::quote).collect();
            v.sort();
            v.dedup();
            v
        };
        let by_kind = vec![
            (
                NameKind::List,
                quoted(p.lists.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Email,
                quoted(p.emails.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Form,
                quoted(p.forms.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Page,
                quoted(p.pages.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Webhook,
                quoted(p.webhooks.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Event,
                quoted(p.events.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Program,
                quoted(p.programs.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::SmartList,
                quoted(p.smart_lists.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Campaign,
                quoted(p.campaigns.iter().map(|a| a.name.as_str()).collect()),
            ),
            (
                NameKind::Token,
                p.tokens.iter().map(|t| t.name.clone()).collect(),
            ),
        ];
        super::helper::Names {
            fields: p.fields.iter().map(|f| f.name.clone()).collect(),
            by_kind,
        }
    }
}

/// `"Name"` or `Name` → `Name`.
fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => s.to_string(),
    }
}

/// A person by id or email.
fn resolve_person(store: &dyn Store, who: &str) -> Result<Option<i64>, StoreError> {
    let who = unquote(who);
    if let Ok(id) = who.parse::<i64>() {
        return Ok(store.person(id)?.map(|p| p.id));
    }
    store.person_by_email(&who)
}
