//! Batch schedules (LANGUAGE.md section 5): the allowed combinations of interval, unit and day
//! selector, and the `from`/`until` bounds, read in the workspace's time zone.

use chrono::{NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{
    FieldType, RecurOn, RecurUnit, Recurrence, Schedule, ScheduleKind, Span, Value, ValueKind,
};

use super::ir::{RecurDays, RecurrenceRule, ScheduleRule};
use super::values::{datetime_to_local, local_to_utc, mismatch};
use super::Ctx;

const CODE: &str = "camp::schedule::invalid_recurrence";

/// A `run` statement as a schedule rule (`None` when a problem was reported).
pub(crate) fn schedule(cx: &mut Ctx<'_>, s: &Schedule) -> Option<ScheduleRule> {
    let tz = cx.settings.time_zone;
    match &s.kind {
        ScheduleKind::Once(v) => match local(v, false, tz) {
            Some(t) => Some(ScheduleRule::Once(local_to_utc_or_offset(v, t, tz))),
            None => {
                cx.report(mismatch(v, "`run at`", FieldType::DateTime));
                None
            }
        },
        ScheduleKind::Every(r) => match recurrence_rule(r, s.span, tz) {
            Ok(rule) => Some(ScheduleRule::Every(rule)),
            Err(ds) => {
                cx.diags.extend(ds);
                None
            }
        },
    }
}

fn local_to_utc_or_offset(
    v: &Value,
    local: NaiveDateTime,
    tz: Tz,
) -> chrono::DateTime<chrono::Utc> {
    match &v.kind {
        ValueKind::DateTime(dt) => super::values::datetime_to_utc(dt, tz),
        _ => local_to_utc(local, tz),
    }
}

/// The local reading of a date or date-time value (a date: its midnight, or its last second
/// when `end_of_day`).
fn local(v: &Value, end_of_day: bool, tz: Tz) -> Option<NaiveDateTime> {
    match &v.kind {
        ValueKind::Date(d) if end_of_day => d.and_hms_opt(23, 59, 59),
        ValueKind::Date(d) => Some(d.and_time(NaiveTime::MIN)),
        ValueKind::DateTime(dt) => Some(datetime_to_local(dt, tz)),
        _ => None,
    }
}

/// Validates `run every ...` (written at `span`) and reads it in `tz`.
pub fn recurrence_rule(
    r: &Recurrence,
    span: Span,
    tz: Tz,
) -> Result<RecurrenceRule, Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let n = r.interval.node;
    let unit = r.unit.node;
    if n == 0 {
        errs.push(
            Diagnostic::error(
                CODE,
                r.interval.span,
                "a recurrence cannot repeat every 0 units",
            )
            .with_label("zero")
            .with_help("write `every day`, `every 2 weeks`..."),
        );
    }
    let on = match &r.on {
        None => RecurDays::Any,
        Some(on) => {
            let bad = |msg: String, help: &str| {
                Diagnostic::error(CODE, on.span, msg)
                    .with_label("not allowed here")
                    .with_help(help.to_string())
            };
            match &on.node {
                RecurOn::Weekdays if unit == RecurUnit::Day && n == 1 => RecurDays::Weekdays,
                RecurOn::Weekdays => {
                    errs.push(bad(
                        "`on weekdays` only goes with `every day`".into(),
                        "write `run every day on weekdays at ...`",
                    ));
                    RecurDays::Any
                }
                RecurOn::Days(days) if unit == RecurUnit::Week => {
                    RecurDays::Days(days.iter().map(|d| d.node).collect())
                }
                RecurOn::Days(_) => {
                    errs.push(bad(
                        "a list of weekdays only goes with weeks".into(),
                        "write `run every week on mon, thu at ...`",
                    ));
                    RecurDays::Any
                }
                RecurOn::DayOfMonth(d) if unit == RecurUnit::Month => {
                    if (1..=31).contains(d) {
                        RecurDays::DayOfMonth(*d)
                    } else {
                        errs.push(bad(
                            format!("day {d} is not a day of the month"),
                            "days of the month go from 1 to 31 (clamped to the month's last day)",
                        ));
                        RecurDays::Any
                    }
                }
                RecurOn::NthWeekday(k, wd) if unit == RecurUnit::Month => {
                    if *k <= 4 {
                        RecurDays::NthWeekday(*k, *wd)
                    } else {
                        errs.push(bad(
                            "a month has no such weekday".into(),
                            "write `1st`, `2nd`, `3rd`, `4th` or `last`",
                        ));
                        RecurDays::Any
                    }
                }
                RecurOn::DayOfMonth(_) | RecurOn::NthWeekday(..) => {
                    errs.push(bad(
                        "a day of the month only goes with months".into(),
                        "write `run every month on day 15 at ...` or `on 2nd tue`",
                    ));
                    RecurDays::Any
                }
            }
        }
    };
    let from = match &r.from {
        None => {
            errs.push(
                Diagnostic::error(CODE, span, "a recurring run needs `from`")
                    .with_label("no `from` date")
                    .with_help("add `from 2026-12-01`: the first day it may run"),
            );
            None
        }
        Some(v) => {
            let t = local(v, false, tz);
            if t.is_none() {
                errs.push(mismatch(v, "`from`", FieldType::DateTime));
            }
            t
        }
    };
    let until = match &r.until {
        None => None,
        Some(v) => {
            let t = local(v, true, tz);
            match (t, from) {
                (None, _) => errs.push(mismatch(v, "`until`", FieldType::DateTime)),
                (Some(u), Some(f)) if u <= f => errs.push(
                    Diagnostic::error(CODE, v.span, "`until` must be after `from`")
                        .with_label("not after `from`")
                        .with_help("swap the two dates, or move `until` later"),
                ),
                _ => {}
            }
            t
        }
    };
    match from {
        Some(from) if errs.is_empty() => Ok(RecurrenceRule {
            interval: n,
            unit,
            on,
            at: r.at.node,
            from,
            until,
            tz,
        }),
        _ => Err(errs),
    }
}
