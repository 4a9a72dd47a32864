//! `:why PERSON CAMPAIGN` and `:why ACTIVITY-ID`: `camp explain` in the REPL.

use super::{unquote, Session};
use crate::explain::{explain_activity, human, Marks, Style, Texts};

impl Session {
    /// Explains a person against a campaign at the clock, or an activity.
    pub(super) fn why(&mut self, arg: &str) -> String {
        let marks = Style {
            marks: if self.unicode {
                Marks::Symbols
            } else {
                Marks::Words
            },
            tz: self.program.settings.time_zone,
        };
        let texts = Texts::new(&self.ws.scripts, &self.ws.sources);
        let arg = arg.trim();
        if let Ok(id) = arg.trim_start_matches('#').parse::<i64>() {
            return match explain_activity(&self.program, &texts, self.store.get(), id) {
                Ok(Some(e)) => human::activity(&e, marks),
                Ok(None) => format!("error: the log has no activity {id}\n"),
                Err(e) => format!("error: {e}\n"),
            };
        }
        let (person, campaign) = match split_person(arg) {
            Some((p, c)) if !c.trim().is_empty() => (p, unquote(c)),
            _ => return "error: write `:why PERSON \"Campaign\"` or `:why ACTIVITY-ID`\n".into(),
        };
        if let Err(e) = self.clock() {
            return format!("error: {e}\n");
        }
        match crate::explain::explain_named(
            &self.program,
            &texts,
            self.store.get(),
            &unquote(person),
            &campaign,
            None,
        ) {
            Ok(e) => human::person(&e, marks),
            Err(message) => format!("error: {message}\n"),
        }
    }
}

/// The person (a word, or a quoted string) and the rest.
fn split_person(arg: &str) -> Option<(&str, &str)> {
    if let Some(rest) = arg.strip_prefix('"') {
        let end = rest.find('"')? + 2;
        return Some((&arg[..end], &arg[end..]));
    }
    arg.split_once(char::is_whitespace)
}
