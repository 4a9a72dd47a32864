//! The `:commands` that act: `:load`, `:import`, `:event`, `:run`, `:advance`, `:time`, and
//! typed flow steps.

use std::fmt::Write as _;

use chrono::TimeDelta;

use super::{resolve_person, store_err, unquote, Session, CARRIER};
use crate::check::ir::CampaignKind;
use crate::diagnostic::Diagnostic;
use crate::engine::value::{local_time, local_to_utc, rfc3339};
use crate::workspace::Workspace;

impl Session {
    /// Runs `:name arg` (the text after the colon).
    pub(super) fn command(&mut self, cmd: &str) -> String {
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
            "why" => self.why(arg),
            "test" => self.test(arg),
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

    /// `:test [NAME]`: the loaded workspace's tests, as `camp test` runs them.
    fn test(&mut self, arg: &str) -> String {
        let filter = unquote(arg);
        let marks = if self.unicode {
            crate::explain::Marks::Symbols
        } else {
            crate::explain::Marks::Words
        };
        let why = crate::testing::why::Why::new(&self.ws.scripts, &self.ws.sources, marks);
        let options = crate::testing::Options {
            filter: (!filter.is_empty()).then_some(filter.as_str()),
            explainer: Some(&why),
            ..crate::testing::Options::default()
        };
        if self.program.tests.is_empty() {
            return "no tests: `:load` a file that holds `test` items\n".into();
        }
        let outcomes = crate::testing::run_all(&self.program, &self.ws, &options);
        let mut out = String::new();
        for o in &outcomes {
            let verdict = if o.passed { "ok" } else { "FAILED" };
            let _ = writeln!(out, "test \"{}\" ... {verdict}", o.name);
        }
        for d in outcomes.iter().flat_map(|o| &o.failures) {
            out.push_str(&d.render(&self.ws.sources, self.color, self.unicode));
        }
        let passed = outcomes.iter().filter(|o| o.passed).count();
        let _ = writeln!(out, "{passed} passed, {} failed", outcomes.len() - passed);
        out
    }

    fn time(&mut self) -> String {
        match self.clock() {
            Ok(t) => {
                let tz = self.program.settings.time_zone;
                let mut s = local_time(t, tz);
                if tz != chrono_tz::UTC {
                    let _ = write!(s, " ({})", rfc3339(t));
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
            match crate::repl::event::short_form(arg) {
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
        let tz = self.program.settings.time_zone;
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
                    local_time(when, tz)
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
        let tz = self.program.settings.time_zone;
        self.act(None, |engine, clock| {
            engine
                .run_batch_now(cid, clock)
                .and_then(|_| engine.flush())
                .map_err(|e| e.to_string())?;
            Ok(format!("ran `{name}` at {}\n", local_time(clock, tz)))
        })
    }

    /// Applies a typed flow step to one person, through a carrier campaign checked with the
    /// workspace (so the step gets the same diagnostics as in a script).
    pub(super) fn step(&mut self, text: &str, target: Option<&str>) -> String {
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
        let person = match resolve_person(&*self.store, who) {
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
    "test",
    "time",
    "why",
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
  :why PERSON \"Campaign\"  would the person qualify now, and why (`camp explain`)
  :why ACTIVITY-ID        why an activity happened: its chain of causes
  :test [NAME]            run the workspace's tests (those whose name contains NAME), each
                          in a fresh in-memory store: this session's store is not touched
  :help                   this text
  :quit                   leave (or Ctrl-D)
";

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
