//! A REPL session: a workspace that grows as declarations are typed or loaded, a store, and
//! [`Session::eval`], which reads one input and returns what to print. The interactive loop and
//! the transcript tests both go through `eval`.

use std::fmt::Write as _;

use chrono::TimeDelta;

use super::input::{classify, Kind};
use crate::check::ir::{CampaignKind, Program};
use crate::diagnostic::{Diagnostic, SourceMap};
use crate::engine::run::Engine;
use crate::engine::value::{local_to_utc, rfc3339};
use crate::store::sqlite::SqliteStore;
use crate::store::{Activity, LogQuery, Store, StoreError};
use crate::syntax::span::FileId;
use crate::workspace::Workspace;

/// The campaign that carries a typed flow step.
const CARRIER: &str = "camp: repl";

/// At most this many activities are listed after one input.
const MAX_SHOWN: usize = 20;

/// One REPL session.
pub struct Session {
    /// The accepted files (loaded and typed), in order: the workspace is built from them.
    files: Vec<(String, Vec<u8>)>,
    ws: Workspace,
    program: Program,
    store: SqliteStore,
    /// Where a store without a clock starts it.
    start: i64,
    color: bool,
    unicode: bool,
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
    /// A session over `store`; a store without a clock starts it at `start`.
    pub fn new(mut store: SqliteStore, start: i64) -> Result<Session, String> {
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
                rfc3339(c)
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
            out.push_str(&d.render(sources, self.color, self.unicode));
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
                    .map(|item| describe_item(item, text.unwrap_or("")))
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
        let key = describe_item(item, input);
        self.ws.scripts.iter().find_map(|script| {
            let file = self.ws.sources.get(script.file)?;
            if !file.name.starts_with("(input ") {
                return None;
            }
            match script.items.as_slice() {
                [earlier] if describe_item(earlier, &file.text) == key => Some(file.name.clone()),
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

    /// The id of the last activity logged (the whole log is read once per session; later
    /// activities are found by id, so a long log costs nothing per input).
    fn last_activity(&mut self) -> Result<i64, StoreError> {
        let last = match self.last_seen {
            Some(id) => id,
            None => self
                .store
                .log(&LogQuery::default())?
                .last()
                .map(|a| a.id)
                .unwrap_or(0),
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
        Ok(activity_table(&log))
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
            let mut engine = Engine::new(program, &mut self.store).map_err(|e| e.to_string())?;
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
                    rfc3339(clock)
                ));
            }
            let before = self.last_activity()?;
            let kept = self.script_free_time_zone();
            let mut engine = Engine::new(&self.program, &mut self.store)?;
            let summary = engine.run_until(t)?;
            drop(engine);
            self.restore_time_zone(kept);
            let mut out = self.new_activities(before)?;
            let _ = writeln!(
                out,
                "clock at {}; {} batch runs, {} wakes, {} inputs",
                rfc3339(t),
                summary.batch_runs,
                summary.wakes,
                summary.inputs
            );
            Ok(out)
        };
        run().unwrap_or_else(store_err)
    }

    // -----------------------------------------------------------------------------------------
    // Commands
    // -----------------------------------------------------------------------------------------

    fn command(&mut self, cmd: &str) -> String {
        let (name, arg) = match cmd.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (cmd, ""),
        };
        match name {
            "load" | "l" => {
                if arg.is_empty() {
                    return "error: write `:load FILE`\n".into();
                }
                self.load(arg)
            }
            "import" => self.import(arg),
            "event" => self.event(arg),
            "run" => self.run(arg),
            "advance" => self.advance(arg),
            "time" => self.time(),
            "people" => self.people(if arg.is_empty() { "all people" } else { arg }),
            "log" => self.log(arg),
            "outbox" => self.outbox(),
            "campaigns" => self.campaigns(),
            "help" | "h" | "?" => HELP.to_string(),
            "quit" | "q" | "exit" => {
                self.finished = true;
                String::new()
            }
            _ => {
                let hint = crate::diagnostic::did_you_mean(name, COMMANDS.iter().copied())
                    .map(|h| format!(" ({})", h.replacen('`', "`:", 1)))
                    .unwrap_or_default();
                format!("error: unknown command `:{name}`{hint}; `:help` lists them\n")
            }
        }
    }

    fn time(&mut self) -> String {
        match self.clock() {
            Ok(t) => {
                let tz = self.program.settings.time_zone;
                let mut s = rfc3339(t);
                if tz != chrono_tz::UTC {
                    if let Some(local) = chrono::DateTime::from_timestamp(t, 0) {
                        let _ = write!(
                            s,
                            " ({} {})",
                            local.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                            tz.name()
                        );
                    }
                }
                s.push('\n');
                s
            }
            Err(e) => store_err(e),
        }
    }

    fn advance(&mut self, arg: &str) -> String {
        let tz = self.program.settings.time_zone;
        let clock = match self.clock() {
            Ok(c) => c,
            Err(e) => return store_err(e),
        };
        let target = if let Some(t) = arg.strip_prefix("to ") {
            match crate::engine::inputs::parse_instant(t, tz) {
                Some(t) => t.timestamp(),
                None => {
                    return format!(
                        "error: `{}` is not a time: write `2026-12-01 09:00` or RFC 3339\n",
                        t.trim()
                    )
                }
            }
        } else {
            match duration_after(clock, arg, tz) {
                Ok(t) => t,
                Err(e) => return format!("error: {e}\n"),
            }
        };
        self.advance_to(target)
    }

    fn import(&mut self, path: &str) -> String {
        if path.is_empty() {
            return "error: write `:import FILE.csv`\n".into();
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return format!("error: cannot read `{path}`: {e}\n"),
        };
        let records = match crate::engine::inputs::parse_people_csv(&self.program, path, &bytes) {
            Ok(r) => r,
            Err(e) => return format!("error: {e}\n"),
        };
        self.act(None, |engine, clock| {
            let s = engine
                .import_people(&records, clock)
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{} created, {} updated, {} unchanged\n",
                s.created, s.updated, s.unchanged
            ))
        })
    }

    fn event(&mut self, arg: &str) -> String {
        let json = if arg.starts_with('{') {
            arg.to_string()
        } else {
            match super::event::short_form(arg) {
                Ok(v) => v.to_string(),
                Err(e) => return format!("error: {e}\n"),
            }
        };
        let clock = match self.clock() {
            Ok(c) => c,
            Err(e) => return store_err(e),
        };
        let at = crate::engine::value::instant(clock);
        let event = match crate::engine::inputs::parse_event_line_at(
            &self.program,
            "(event)",
            1,
            &json,
            at,
        ) {
            Ok(e) => e,
            Err(e) => return format!("error: {}\n", e.message),
        };
        let when = event.at.timestamp();
        self.act(None, |engine, clock| {
            use crate::engine::events::InputRejected;
            match engine.add_events("(event)", &[(event, json)], clock) {
                Ok(_) => {}
                Err(InputRejected::Input(e)) => return Err(e.message),
                Err(InputRejected::Store(e)) => return Err(e.to_string()),
            }
            Ok(if when > clock {
                format!(
                    "the event is at {}: `:advance` to process it\n",
                    rfc3339(when)
                )
            } else {
                String::new()
            })
        })
    }

    fn run(&mut self, arg: &str) -> String {
        let name = unquote(arg);
        if name.is_empty() {
            return "error: write `:run \"Campaign\"`\n".into();
        }
        let cid = match self.program.campaign(&name) {
            Some(c) if self.program.campaigns[c.index()].kind == CampaignKind::Batch => c,
            Some(_) => {
                return format!(
                    "error: `{name}` is not a batch campaign: only batch campaigns run on demand\n"
                )
            }
            None => {
                let names = self.program.campaigns.iter().map(|c| c.name.as_str());
                let hint = crate::diagnostic::did_you_mean(&name, names)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                return format!("error: no campaign is called `{name}`{hint}\n");
            }
        };
        self.act(None, |engine, clock| {
            engine
                .run_batch_now(cid, clock)
                .and_then(|_| engine.flush())
                .map_err(|e| e.to_string())?;
            Ok(format!("ran `{name}` at {}\n", rfc3339(clock)))
        })
    }

    /// Applies a typed flow step to one person, through a carrier campaign checked with the
    /// workspace (so the step gets the same diagnostics as in a script).
    fn step(&mut self, text: &str, target: Option<&str>) -> String {
        let Some(who) = target else {
            return format!(
                "error: a flow step needs a person: write `{text} for PERSON` (an id or an email)\n"
            );
        };
        let carrier = format!(
            "campaign {} {{ smart list {{ trigger campaign is requested }} flow {{\n\n{text}\n\n}} qualify every time inactive }}\n",
            crate::query::quote(CARRIER)
        );
        let mut ws = Workspace {
            sources: self.ws.sources.clone(),
            scripts: self.ws.scripts.clone(),
            diagnostics: self.ws.diagnostics.clone(),
        };
        ws.add_text("(step)", carrier);
        let checked = crate::check::check_workspace(&ws);
        let errors: Vec<Diagnostic> = checked
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        let program = match checked.program {
            Some(p) if errors.is_empty() => p,
            _ => return self.render(&errors, &ws.sources),
        };
        let Some(cid) = program.campaign(CARRIER) else {
            return "error: the step could not be read\n".into();
        };
        if has_wait(&program.campaigns[cid.index()].flow) {
            return "error: a `wait` needs a campaign to resume in: put it in a campaign's flow\n"
                .into();
        }
        let person = match resolve_person(&self.store, who) {
            Ok(Some(p)) => p,
            Ok(None) => return format!("error: no person is `{who}`\n"),
            Err(e) => return store_err(e),
        };
        self.act(Some(&program), |engine, clock| {
            engine
                .run_flow_for(cid, person, clock)
                .map_err(|e| e.to_string())?;
            Ok(String::new())
        })
    }

    // -----------------------------------------------------------------------------------------
    // Listings
    // -----------------------------------------------------------------------------------------

    /// The people matching `condition`, as a table.
    fn people(&mut self, condition: &str) -> String {
        let extra = if self.ws.scripts.is_empty() {
            crate::query::declarations_from_store(&self.store).unwrap_or_default()
        } else {
            String::new()
        };
        let (program, cond) = match crate::query::compile_condition(&self.ws, &extra, condition) {
            Ok(ok) => ok,
            Err((sources, diags)) => return self.render(&diags, &hide_carrier(&sources)),
        };
        let now = match self.clock() {
            Ok(c) => c,
            Err(e) => return store_err(e),
        };
        // Read the columns the condition's program knows (the store's own fields when no
        // script is loaded).
        if let Err(e) = self.store.prepare(&program) {
            return store_err(e);
        }
        let tz = program.settings.time_zone;
        let run = || -> Result<String, StoreError> {
            let eval = crate::engine::conditions::Eval {
                program: &program,
                store: &self.store,
                now,
                tz,
            };
            let mut people = Vec::new();
            self.store.scan_people(&mut |p| {
                if eval.cond(&cond, &p)? {
                    people.push(p);
                }
                Ok(())
            })?;
            let mut header: Vec<String> = vec!["id".into(), "email".into(), "score".into()];
            header.extend(
                program
                    .fields
                    .iter()
                    .filter(|f| !f.builtin)
                    .map(|f| f.name.clone()),
            );
            header.push("lists".into());
            let mut rows = Vec::new();
            for p in &people {
                let lists = self.store.lists_of(p.id)?;
                let j = crate::report::person_json(&program, p, &lists);
                rows.push(header.iter().map(|h| cell(j.get(h))).collect::<Vec<_>>());
            }
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            let mut out = table(&h, &rows);
            let n = people.len();
            let _ = writeln!(out, "{n} {}", if n == 1 { "person" } else { "people" });
            Ok(out)
        };
        run().unwrap_or_else(store_err)
    }

    fn log(&mut self, who: &str) -> String {
        let person = if who.is_empty() {
            None
        } else {
            match resolve_person(&self.store, who) {
                Ok(Some(p)) => Some(p),
                Ok(None) => return format!("error: no person is `{who}`\n"),
                Err(e) => return store_err(e),
            }
        };
        match self.store.log(&LogQuery {
            person,
            campaign: None,
        }) {
            Ok(log) if log.is_empty() => "no activities\n".into(),
            Ok(log) => {
                let rows: Vec<Vec<String>> = log.iter().map(activity_row).collect();
                table(LOG_HEADER, &rows)
            }
            Err(e) => store_err(e),
        }
    }

    fn outbox(&mut self) -> String {
        match self.store.outbox() {
            Ok(rows) if rows.is_empty() => "the outbox is empty\n".into(),
            Ok(rows) => table(
                &["id", "at", "to", "email", "subject", "campaign"],
                &rows
                    .iter()
                    .map(|o| {
                        vec![
                            o.id.to_string(),
                            rfc3339(o.at),
                            o.to.clone(),
                            o.email.clone(),
                            o.subject.clone(),
                            o.campaign.clone().unwrap_or_default(),
                        ]
                    })
                    .collect::<Vec<_>>(),
            ),
            Err(e) => store_err(e),
        }
    }

    fn campaigns(&mut self) -> String {
        if self.program.campaigns.is_empty() {
            return "no campaigns yet\n".into();
        }
        let clock = match self.clock() {
            Ok(c) => c,
            Err(e) => return store_err(e),
        };
        let tz = self.program.settings.time_zone;
        let mut rows = Vec::new();
        for c in &self.program.campaigns {
            let kind = match c.kind {
                CampaignKind::Batch => "batch",
                CampaignKind::Trigger => "trigger",
                CampaignKind::Executable => "executable",
            };
            let status = if c.active { "active" } else { "inactive" };
            let (schedule, next) = match &c.schedule {
                None if c.kind == CampaignKind::Batch => ("on demand".to_string(), String::new()),
                None => (String::new(), String::new()),
                Some(rule) => {
                    let last = self.store.last_run(&c.name).ok().flatten();
                    let after = last.unwrap_or(clock - 1);
                    let next = crate::engine::schedule::next_after(
                        rule,
                        crate::engine::value::instant(after),
                    )
                    .map(|t| rfc3339(t.timestamp()))
                    .unwrap_or_else(|| "none".into());
                    (super::describe::schedule(rule, tz), next)
                }
            };
            rows.push(vec![
                c.name.clone(),
                kind.to_string(),
                status.to_string(),
                schedule,
                next,
            ]);
        }
        table(&["name", "kind", "status", "schedule", "next run"], &rows)
    }

    /// Names for completion: fields, then quoted asset and campaign names.
    pub fn completion_names(&self) -> (Vec<String>, Vec<String>) {
        let p = &self.program;
        let fields = p.fields.iter().map(|f| f.name.clone()).collect();
        let mut names: Vec<String> = Vec::new();
        names.extend(p.lists.iter().map(|a| a.name.clone()));
        names.extend(p.emails.iter().map(|a| a.name.clone()));
        names.extend(p.forms.iter().map(|a| a.name.clone()));
        names.extend(p.pages.iter().map(|a| a.name.clone()));
        names.extend(p.webhooks.iter().map(|a| a.name.clone()));
        names.extend(p.events.iter().map(|a| a.name.clone()));
        names.extend(p.programs.iter().map(|a| a.name.clone()));
        names.extend(p.smart_lists.iter().map(|a| a.name.clone()));
        names.extend(p.campaigns.iter().map(|a| a.name.clone()));
        names.sort();
        names.dedup();
        let quoted = names.iter().map(|n| crate::query::quote(n)).collect();
        (fields, quoted)
    }
}

/// `campaign "Welcome"`, `list "Newsletter"`, `schema person`: what an item declares.
fn describe_item(item: &crate::syntax::ast::Item, text: &str) -> String {
    use crate::syntax::ast::Item;
    let word = match item {
        Item::Settings(_) => return "settings".into(),
        Item::Schema(_) => return "schema person".into(),
        Item::Token(_) => "token",
        Item::List(_) => "list",
        Item::Email(_) => "email",
        Item::Form(_) => "form",
        Item::Page(_) => "page",
        Item::Webhook(_) => "webhook",
        Item::Event(_) => "event",
        Item::Program(_) => "program",
        Item::SmartList(_) => "smart list",
        Item::Campaign(_) => "campaign",
    };
    let span = item.span();
    let t = text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let name = if let Item::Token(_) = item {
        t.trim_start_matches("token")
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    } else {
        match t.find('"') {
            Some(q) => {
                let rest = &t[q + 1..];
                let mut end = rest.len();
                let mut esc = false;
                for (i, c) in rest.char_indices() {
                    match c {
                        '\\' if !esc => esc = true,
                        '"' if !esc => {
                            end = i;
                            break;
                        }
                        _ => esc = false,
                    }
                }
                format!("\"{}\"", &rest[..end])
            }
            None => String::new(),
        }
    };
    format!("{word} {name}")
}

/// The REPL's commands, for completion and suggestions.
pub const COMMANDS: &[&str] = &[
    "advance",
    "campaigns",
    "event",
    "help",
    "import",
    "load",
    "log",
    "outbox",
    "people",
    "quit",
    "run",
    "time",
];

const HELP: &str = "\
Type declarations and campaigns (several lines are fine: an empty line submits; typing a
campaign again replaces it), a condition to list the people it matches, or a flow step
followed by `for PERSON` to apply it.

  :load FILE              add a script's declarations and campaigns
  :import CSV             import people (a header row of field names)
  :event {json}           an input event at the clock (LANGUAGE.md 9.2), or in words:
                          :event fills out form \"Contact Us\" ann@example.com
  :run \"Campaign\"         run a batch campaign now
  :advance 3 days         process everything due, moving the clock (or `:advance to T`)
  :time                   the store's clock
  :people [condition]     people, all or those matching
  :log [person]           the activity log, all or one person's
  :outbox                 emails and alerts written
  :campaigns              campaigns with kind, status and schedule
  :help                   this text
  :quit                   leave (or Ctrl-D)
";

/// Columns of activity tables.
const LOG_HEADER: &[&str] = &[
    "id", "at", "person", "campaign", "step", "type", "primary", "result",
];

fn activity_row(a: &Activity) -> Vec<String> {
    let result = match &a.reason {
        Some(r) => format!("{} ({r})", a.outcome.as_str()),
        None => a.outcome.as_str().to_string(),
    };
    vec![
        a.id.to_string(),
        rfc3339(a.at),
        a.email.clone().unwrap_or_else(|| a.person.to_string()),
        a.campaign.clone().unwrap_or_default(),
        a.step.clone().unwrap_or_default(),
        a.kind.clone(),
        a.primary.clone().unwrap_or_default(),
        result,
    ]
}

/// New activities as a table (at most [`MAX_SHOWN`] rows), or nothing.
fn activity_table(log: &[Activity]) -> String {
    if log.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = log.iter().take(MAX_SHOWN).map(activity_row).collect();
    let mut out = table(LOG_HEADER, &rows);
    if log.len() > MAX_SHOWN {
        let _ = writeln!(out, "… and {} more (`:log`)", log.len() - MAX_SHOWN);
    }
    out
}

/// An aligned table with a header; cells on one line, clipped at 64 characters.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    const MAX: usize = 64;
    let clip = |s: &str| -> String {
        let one: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
        if one.chars().count() > MAX {
            let mut t: String = one.chars().take(MAX - 1).collect();
            t.push('…');
            t
        } else {
            one
        }
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let rows: Vec<Vec<String>> = std::iter::once(head)
        .chain(rows.iter().map(|r| r.iter().map(|c| clip(c)).collect()))
        .collect();
    let mut widths = vec![0; header.len()];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(c.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// The sources with the text that carries a typed condition (`crate::query`) blanked out
/// around the condition, offsets unchanged, so that diagnostics show the condition alone.
fn hide_carrier(sources: &SourceMap) -> SourceMap {
    let mut out = SourceMap::new();
    for (_, f) in sources.iter() {
        if f.name != "(condition)" {
            out.add(f.name.clone(), f.text.clone());
            continue;
        }
        let text = &f.text;
        let first = text.find('\n').unwrap_or(0);
        let last = text.rfind("\n{ interesting moment").unwrap_or(text.len());
        let blank = |s: &str| -> String {
            s.chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' })
                .collect()
        };
        let shown = format!(
            "{}{}{}",
            blank(&text[..first]),
            &text[first..last],
            blank(&text[last..])
        );
        out.add(f.name.clone(), shown);
    }
    out
}

/// True when a `wait` is among `steps`, in a choice too.
fn has_wait(steps: &[crate::check::ir::Step]) -> bool {
    use crate::check::ir::StepKind;
    steps.iter().any(|s| match &s.kind {
        StepKind::Wait(_) => true,
        StepKind::If {
            branches,
            otherwise,
        } => {
            branches.iter().any(|(_, b)| has_wait(b)) || otherwise.as_deref().is_some_and(has_wait)
        }
        _ => false,
    })
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

/// `3 days`, `90 minutes`, `1 week` after `clock` (days and weeks on the local calendar).
fn duration_after(clock: i64, text: &str, tz: chrono_tz::Tz) -> Result<i64, String> {
    let usage = || {
        format!("`{text}` is not a duration: write `:advance 3 days` (minutes, hours, days, weeks) or `:advance to 2026-12-01 09:00`")
    };
    let mut parts = text.split_whitespace();
    let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(usage());
    };
    let n: i64 = n.parse().map_err(|_| usage())?;
    if !(0..=100_000).contains(&n) {
        return Err(usage());
    }
    let local = |days: i64| -> Option<i64> {
        let t = chrono::DateTime::from_timestamp(clock, 0)?
            .with_timezone(&tz)
            .naive_local();
        Some(local_to_utc(
            t.checked_add_signed(TimeDelta::days(days))?,
            tz,
        ))
    };
    match unit {
        "minute" | "minutes" => Ok(clock + n * 60),
        "hour" | "hours" => Ok(clock + n * 3600),
        "day" | "days" => local(n).ok_or_else(usage),
        "week" | "weeks" => local(n * 7).ok_or_else(usage),
        _ => Err(usage()),
    }
}
