//! `/schedule?month=YYYY-MM`: a month calendar of the batch runs, weeks from Monday, with the
//! months before and after a link away.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};

use super::super::layout::{encode, page, Frame, Section};
use super::super::queries::Month;
use super::campaigns::count;
use crate::engine::value::{local_date, local_reading, rfc3339};
use crate::report::ScheduledRun;

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The schedule page for `month`, whose runs are `runs`.
pub fn render(month: Month, runs: &[ScheduledRun], frame: &Frame) -> Markup {
    let tz = frame.tz;
    let mut by_day: BTreeMap<NaiveDate, Vec<&ScheduledRun>> = BTreeMap::new();
    for r in runs {
        by_day.entry(local_date(r.instant, tz)).or_default().push(r);
    }
    let today = frame.clock.map(|t| local_date(t, tz));
    let start =
        month.first - chrono::Duration::days(month.first.weekday().num_days_from_monday() as i64);
    let next = month.next();
    let weeks: Vec<Vec<NaiveDate>> = {
        let mut weeks = Vec::new();
        let mut day = start;
        while day < next.first {
            weeks.push(day.iter_days().take(7).collect());
            day += chrono::Duration::days(7);
        }
        weeks
    };
    let title = format!("Schedule, {}", month.title());
    let body = html! {
        h1 { "Schedule: " (month.title()) }
        p #summary {
            (count(runs.len() as u64, "batch run", "batch runs")) " in " (month.title())
            " (days and times in " (tz.name()) ")."
        }
        nav.months aria-label="Months" {
            a href={ "/schedule?month=" (month.previous().key()) } rel="prev" { "← " (month.previous().title()) }
            a href={ "/schedule?month=" (next.key()) } rel="next" { (next.title()) " →" }
        }
        table.calendar #calendar {
            caption.visually-hidden { "Batch runs of " (month.title()) ", one week per row" }
            thead {
                tr { @for d in WEEKDAYS { th scope="col" { abbr title=(d) { (d[..3]) } } } }
            }
            tbody {
                @for week in &weeks {
                    tr {
                        @for day in week {
                            @let in_month = day.month() == month.first.month();
                            @let day_runs = by_day.get(day).map(Vec::as_slice).unwrap_or(&[]);
                            @let class = format!("{}{}{}",
                                if in_month { "day" } else { "other" },
                                if day_runs.is_empty() { " norun" } else { "" },
                                if Some(*day) == today { " today" } else { "" });
                            td class=(class) {
                                span.daynum {
                                    span.weekday { (WEEKDAYS[day.weekday().num_days_from_monday() as usize]) " " }
                                    time datetime=(day.format("%Y-%m-%d")) { (day.day()) }
                                    @if !in_month { span.visually-hidden { " " (day.format("%B")) } }
                                }
                                @if Some(*day) == today { " " strong { "(today)" } }
                                @if !day_runs.is_empty() {
                                    ul {
                                        @for r in day_runs {
                                            li.run {
                                                time datetime=(rfc3339(r.instant)) { (local_reading(r.instant, tz).get(11..).unwrap_or("")) }
                                                " "
                                                a href={ "/campaigns/" (encode(&r.campaign)) } { (r.campaign) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&title, Section::Schedule, frame, body)
}
