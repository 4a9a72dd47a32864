//! Things in words: schedules for `:campaigns` (`every 2 weeks on mon, thu at 09:30 from
//! 2026-12-01`), declarations for what was added (`campaign "Welcome"`).

use chrono::Weekday;
use chrono_tz::Tz;

use crate::check::ir::{RecurDays, RecurUnit, ScheduleRule};

fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// A schedule as a user would write it after `run`, times in `tz`.
pub fn schedule(rule: &ScheduleRule, tz: Tz) -> String {
    match rule {
        ScheduleRule::Once(t) => format!("at {}", t.with_timezone(&tz).format("%Y-%m-%d %H:%M")),
        ScheduleRule::Every(r) => {
            let unit = match r.unit {
                RecurUnit::Day => "day",
                RecurUnit::Week => "week",
                RecurUnit::Month => "month",
            };
            let mut s = if r.interval == 1 {
                format!("every {unit}")
            } else {
                format!("every {} {unit}s", r.interval)
            };
            match &r.on {
                RecurDays::Any => {}
                RecurDays::Weekdays => s.push_str(" on weekdays"),
                RecurDays::Days(days) => {
                    let d: Vec<&str> = days.iter().map(|d| weekday(*d)).collect();
                    s.push_str(&format!(" on {}", d.join(", ")));
                }
                RecurDays::DayOfMonth(n) => s.push_str(&format!(" on day {n}")),
                RecurDays::NthWeekday(n, d) => {
                    let nth = match n {
                        1 => "1st",
                        2 => "2nd",
                        3 => "3rd",
                        4 => "4th",
                        _ => "last",
                    };
                    s.push_str(&format!(" on {nth} {}", weekday(*d)));
                }
            }
            s.push_str(&format!(" at {}", r.at.format("%H:%M")));
            s.push_str(&format!(" from {}", r.from.format("%Y-%m-%d")));
            if let Some(u) = r.until {
                s.push_str(&format!(" until {}", u.format("%Y-%m-%d")));
            }
            s
        }
    }
}

/// `campaign "Welcome"`, `list "Newsletter"`, `schema person`: what an item declares.
pub fn item(item: &crate::syntax::ast::Item, text: &str) -> String {
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
        Item::Test(_) => "test",
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
