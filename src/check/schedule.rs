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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{FileId, Spanned};
    use chrono::{NaiveDate, Weekday};

    fn sp<T>(node: T) -> Spanned<T> {
        Spanned::new(node, Span::default())
    }

    fn date(y: i32, m: u32, d: u32) -> Value {
        Value {
            kind: ValueKind::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()),
            span: Span::new(FileId(0), 0, 10),
        }
    }

    fn rec(interval: u32, unit: RecurUnit, on: Option<RecurOn>, from: bool) -> Recurrence {
        Recurrence {
            interval: sp(interval),
            unit: sp(unit),
            on: on.map(sp),
            at: sp(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()),
            from: from.then(|| date(2026, 12, 1)),
            until: None,
        }
    }

    fn ok(r: &Recurrence) -> bool {
        recurrence_rule(r, Span::default(), chrono_tz::UTC).is_ok()
    }

    #[test]
    fn allowed_combinations() {
        use RecurUnit::*;
        assert!(ok(&rec(1, Day, None, true)));
        assert!(ok(&rec(3, Day, None, true)));
        assert!(ok(&rec(1, Day, Some(RecurOn::Weekdays), true)));
        assert!(ok(&rec(
            2,
            Week,
            Some(RecurOn::Days(vec![sp(Weekday::Mon)])),
            true
        )));
        assert!(ok(&rec(1, Month, Some(RecurOn::DayOfMonth(31)), true)));
        assert!(ok(&rec(
            1,
            Month,
            Some(RecurOn::NthWeekday(0, Weekday::Fri)),
            true
        )));
    }

    #[test]
    fn refused_combinations() {
        use RecurUnit::*;
        assert!(!ok(&rec(2, Day, Some(RecurOn::Weekdays), true)));
        assert!(!ok(&rec(1, Week, Some(RecurOn::Weekdays), true)));
        assert!(!ok(&rec(
            1,
            Day,
            Some(RecurOn::Days(vec![sp(Weekday::Mon)])),
            true
        )));
        assert!(!ok(&rec(
            1,
            Month,
            Some(RecurOn::Days(vec![sp(Weekday::Mon)])),
            true
        )));
        assert!(!ok(&rec(1, Week, Some(RecurOn::DayOfMonth(3)), true)));
        assert!(!ok(&rec(1, Month, Some(RecurOn::DayOfMonth(0)), true)));
        assert!(!ok(&rec(1, Month, Some(RecurOn::DayOfMonth(32)), true)));
        assert!(!ok(&rec(
            1,
            Day,
            Some(RecurOn::NthWeekday(2, Weekday::Tue)),
            true
        )));
        assert!(!ok(&rec(0, Day, None, true)));
        assert!(!ok(&rec(1, Day, None, false)));
    }

    #[test]
    fn until_must_follow_from() {
        let mut r = rec(1, RecurUnit::Day, None, true);
        r.until = Some(date(2026, 11, 30));
        let errs = recurrence_rule(&r, Span::default(), chrono_tz::UTC)
            .err()
            .unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, CODE);
        r.until = Some(date(2026, 12, 1));
        let rule = recurrence_rule(&r, Span::default(), chrono_tz::UTC);
        assert!(rule.is_ok(), "the same day is after midnight of `from`");
    }

    #[test]
    fn dates_are_local_bounds() {
        let mut r = rec(1, RecurUnit::Week, None, true);
        r.until = Some(date(2027, 6, 30));
        let tz: Tz = "America/New_York".parse().unwrap_or(chrono_tz::UTC);
        let rule = recurrence_rule(&r, Span::default(), tz).ok();
        let rule = rule.as_ref();
        assert_eq!(
            rule.map(|r| r.from.to_string()).as_deref(),
            Some("2026-12-01 00:00:00")
        );
        assert_eq!(
            rule.and_then(|r| r.until).map(|u| u.to_string()).as_deref(),
            Some("2027-06-30 23:59:59")
        );
        assert_eq!(rule.map(|r| r.tz), Some(tz));
    }
}
