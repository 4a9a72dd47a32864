//! Schedules in words for `:campaigns`: `every 2 weeks on mon, thu at 09:30 from 2026-12-01`.

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
