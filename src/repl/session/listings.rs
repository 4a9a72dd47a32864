//! The listings: people (`:people`, bare conditions), the log, the outbox, the campaigns.

use std::fmt::Write as _;

use super::{resolve_person, store_err, Session};
use crate::check::ir::CampaignKind;
use crate::diagnostic::SourceMap;
use crate::engine::value::local_reading;
use crate::repl::table::{cell, table};
use crate::report::{log_table, outbox_table, Layout};
use crate::store::{LogQuery, StoreError};

impl Session {
    /// The people matching `condition`, as a table.
    pub(super) fn people(&mut self, condition: &str) -> String {
        let extra = if self.ws.scripts.is_empty() {
            crate::query::declarations_from_store(&*self.store).unwrap_or_default()
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
        let run = || -> Result<String, StoreError> {
            let filters = crate::check::ir::Filters {
                conditions: vec![cond],
                logic: crate::check::ir::Logic::All,
            };
            let mut people = Vec::new();
            self.store
                .select_people(&program, &filters, now, &mut |p| {
                    people.push(p);
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
            let ids: Vec<_> = people.iter().map(|p| p.id).collect();
            let lists = self.store.lists_of_people(&ids)?;
            let mut rows = Vec::new();
            for (p, lists) in people.iter().zip(&lists) {
                let j = crate::report::person_json(&program, p, lists);
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

    pub(super) fn log(&mut self, who: &str) -> String {
        let person = if who.is_empty() {
            None
        } else {
            match resolve_person(&*self.store, who) {
                Ok(Some(p)) => Some(p),
                Ok(None) => return format!("error: no person is `{who}`\n"),
                Err(e) => return store_err(e),
            }
        };
        match self.store.log(&LogQuery {
            person,
            ..LogQuery::default()
        }) {
            Ok(log) if log.is_empty() => "no activities\n".into(),
            Ok(log) => log_table(&log, self.program.settings.time_zone, Layout::Full),
            Err(e) => store_err(e),
        }
    }

    pub(super) fn outbox(&mut self) -> String {
        match self.store.outbox() {
            Ok(rows) if rows.is_empty() => "the outbox is empty\n".into(),
            Ok(rows) => outbox_table(&rows, self.program.settings.time_zone, Layout::Full),
            Err(e) => store_err(e),
        }
    }

    pub(super) fn campaigns(&mut self) -> String {
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
                    .map(|t| local_reading(t.timestamp(), tz))
                    .unwrap_or_else(|| "none".into());
                    (crate::repl::describe::schedule(rule, tz), next)
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
        let next = format!("next run ({})", tz.name());
        table(&["name", "kind", "status", "schedule", &next], &rows)
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
