//! Batch schedules: when a `run at ...` / `run every ...` rule fires, in a time zone.
//!
//! The rule types here are resolved (no spans) so that the engine can store and reuse them. All
//! local date-times are wall-clock readings in the rule's time zone; daylight-saving transitions
//! are handled by [`local_to_utc`]: a local time skipped by a spring-forward transition runs at
//! the first valid instant after the gap, and a local time repeated by a fall-back transition
//! runs once, at the earlier instant.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::syntax::ast;

pub use crate::check::ir::{RecurDays as On, RecurUnit as Unit, RecurrenceRule, ScheduleRule};

impl On {
    /// The selector written in the syntax tree, without spans.
    pub fn from_ast(on: &ast::RecurOn) -> On {
        match on {
            ast::RecurOn::Weekdays => On::Weekdays,
            ast::RecurOn::Days(days) => On::Days(days.iter().map(|d| d.node).collect()),
            ast::RecurOn::DayOfMonth(k) => On::DayOfMonth(*k),
            ast::RecurOn::NthWeekday(n, wd) => On::NthWeekday(*n, *wd),
        }
    }

    /// Whether `date` is selected, reading [`On::Any`] as "every day".
    pub fn allows(&self, date: NaiveDate) -> bool {
        match self {
            On::Any => true,
            On::Weekdays => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
            On::Days(days) => days.contains(&date.weekday()),
            On::DayOfMonth(k) => date.day() == (*k).clamp(1, last_day_of_month(date)),
            On::NthWeekday(n, wd) => {
                if date.weekday() != *wd {
                    false
                } else if *n == 0 {
                    date.day() + 7 > last_day_of_month(date)
                } else {
                    (date.day() - 1) / 7 + 1 == *n
                }
            }
        }
    }
}

/// Why a schedule in the syntax tree cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// A recurring schedule without `from`.
    #[error("a recurring schedule needs `from`")]
    MissingFrom,
    /// `at`, `from` or `until` holds something other than a date or date-time.
    #[error("expected a date or date-time")]
    NotADate,
    /// A date-time outside the representable range.
    #[error("date-time out of range")]
    OutOfRange,
}

impl ScheduleRule {
    /// Resolves a `run ...` statement in the script's time zone.
    pub fn from_ast(schedule: &ast::Schedule, tz: Tz) -> Result<ScheduleRule, ScheduleError> {
        match &schedule.kind {
            ast::ScheduleKind::Once(value) => {
                let local = value_to_local(value, tz, false)?;
                local_to_utc(tz, local)
                    .map(ScheduleRule::Once)
                    .ok_or(ScheduleError::OutOfRange)
            }
            ast::ScheduleKind::Every(rec) => {
                RecurrenceRule::from_ast(rec, tz).map(ScheduleRule::Every)
            }
        }
    }
}

impl RecurrenceRule {
    /// Resolves a `run every ...` recurrence in the script's time zone.
    pub fn from_ast(rec: &ast::Recurrence, tz: Tz) -> Result<RecurrenceRule, ScheduleError> {
        let from = rec.from.as_ref().ok_or(ScheduleError::MissingFrom)?;
        let from = value_to_local(from, tz, false)?;
        let until = match &rec.until {
            Some(v) => Some(value_to_local(v, tz, true)?),
            None => None,
        };
        Ok(RecurrenceRule {
            interval: rec.interval.node,
            unit: match rec.unit.node {
                ast::RecurUnit::Day => Unit::Day,
                ast::RecurUnit::Week => Unit::Week,
                ast::RecurUnit::Month => Unit::Month,
            },
            on: rec.on.as_ref().map_or(On::Any, |o| On::from_ast(&o.node)),
            at: rec.at.node,
            from,
            until,
            tz,
        })
    }
}

/// The local reading of a date or date-time literal; a date is its start (or, with
/// `end_of_day`, its last instant).
fn value_to_local(
    value: &ast::Value,
    tz: Tz,
    end_of_day: bool,
) -> Result<NaiveDateTime, ScheduleError> {
    match &value.kind {
        ast::ValueKind::Date(d) => Ok(if end_of_day {
            d.and_time(end_of_day_time())
        } else {
            d.and_time(NaiveTime::MIN)
        }),
        ast::ValueKind::DateTime(lit) => match lit.offset_seconds {
            None => Ok(lit.local),
            Some(_) => datetime_lit_to_utc(lit, tz)
                .and_then(|utc| utc_to_local(tz, utc))
                .ok_or(ScheduleError::OutOfRange),
        },
        _ => Err(ScheduleError::NotADate),
    }
}

/// 23:59:59.999999999.
fn end_of_day_time() -> NaiveTime {
    NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap_or(NaiveTime::MIN)
}

/// The instant a date-time literal denotes: its offset if written, else local to `tz`.
pub fn datetime_lit_to_utc(lit: &ast::DateTimeLit, tz: Tz) -> Option<DateTime<Utc>> {
    match lit.offset_seconds {
        Some(secs) => {
            let naive_utc = lit
                .local
                .checked_sub_signed(TimeDelta::seconds(i64::from(secs)))?;
            Some(Utc.from_utc_datetime(&naive_utc))
        }
        None => local_to_utc(tz, lit.local),
    }
}

/// The wall-clock reading of `t` in `tz` (`None` past the calendar's ends).
pub fn utc_to_local(tz: Tz, t: DateTime<Utc>) -> Option<NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    t.naive_utc().checked_add_offset(offset)
}

/// The instant of a local reading in `tz`: the earlier one if repeated, the first valid instant
/// after the gap if skipped.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return Some(t.with_timezone(&Utc));
    }
    // In a gap: walk forward a minute at a time to the first valid reading, then back a second
    // at a time to the exact end of the gap. Gaps are at most a day long (Pacific/Apia, 2011).
    let mut probe = local;
    for _ in 0..(2 * 24 * 60) {
        probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
        if let Some(found) = tz.from_local_datetime(&probe).earliest() {
            let mut best = found;
            let mut back = probe;
            for _ in 0..60 {
                back = back.checked_sub_signed(TimeDelta::seconds(1))?;
                match tz.from_local_datetime(&back).earliest() {
                    Some(t) => best = t,
                    None => break,
                }
            }
            return Some(best.with_timezone(&Utc));
        }
    }
    None
}

/// The last day (28..=31) of `date`'s month.
pub fn last_day_of_month(date: NaiveDate) -> u32 {
    first_of_month(date)
        .and_then(|first| first.checked_add_months(Months::new(1)))
        .and_then(|next| next.pred_opt())
        .map_or(28, |last| last.day())
}

/// The first day of `date`'s month.
fn first_of_month(date: NaiveDate) -> Option<NaiveDate> {
    date.with_day(1)
}

/// Every run of `rule` strictly after `after`, in order, each instant once.
pub fn instants_after(rule: &ScheduleRule, after: DateTime<Utc>) -> Instants<'_> {
    let inner = match rule {
        ScheduleRule::Once(t) => Inner::Once((*t > after).then_some(*t)),
        ScheduleRule::Every(r) => Inner::Every(RunDates::starting(r, after)),
    };
    Instants {
        inner,
        after,
        last: None,
    }
}

/// Every run of `rule` in `(after, up_to]`, in order.
pub fn instants_between(
    rule: &ScheduleRule,
    after: DateTime<Utc>,
    up_to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    instants_after(rule, after)
        .take_while(|t| *t <= up_to)
        .collect()
}

/// The first run of `rule` strictly after `t`, if any remains.
pub fn next_after(rule: &ScheduleRule, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    instants_after(rule, t).next()
}

/// Iterator over the runs of a schedule after an instant (see [`instants_after`]).
#[derive(Clone, Debug)]
pub struct Instants<'a> {
    inner: Inner<'a>,
    after: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
enum Inner<'a> {
    Once(Option<DateTime<Utc>>),
    Every(RunDates<'a>),
}

impl Iterator for Instants<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        match &mut self.inner {
            Inner::Once(t) => t.take(),
            Inner::Every(dates) => loop {
                let rule = dates.rule;
                let date = dates.next()?;
                let slot = date.and_time(rule.at);
                if slot < rule.from {
                    continue;
                }
                if rule.until.is_some_and(|u| slot > u) {
                    dates.done = true;
                    return None;
                }
                let Some(t) = local_to_utc(rule.tz, slot) else {
                    continue;
                };
                if t <= self.after || self.last.is_some_and(|l| t <= l) {
                    continue;
                }
                self.last = Some(t);
                return Some(t);
            },
        }
    }
}

/// How many consecutive periods may select no day before a rule is taken to be exhausted
/// (only rules the checker rejects, such as an empty weekday list, get there).
const MAX_IDLE_PERIODS: u32 = 10_000;

/// The local run dates of a recurrence, period by period.
#[derive(Clone, Debug)]
struct RunDates<'a> {
    rule: &'a RecurrenceRule,
    period: u64,
    buf: std::collections::VecDeque<NaiveDate>,
    done: bool,
}

impl<'a> RunDates<'a> {
    /// Run dates from the period holding a date safely before `after`'s local date.
    fn starting(rule: &'a RecurrenceRule, after: DateTime<Utc>) -> RunDates<'a> {
        let from = rule.from.date();
        // No zone is more than a day off UTC, so this is safely before `after`'s local date.
        let near = after
            .date_naive()
            .checked_sub_days(Days::new(2))
            .unwrap_or(from);
        let start = near.max(from);
        let n = i64::from(rule.interval.max(1));
        let index = match rule.unit {
            Unit::Day => (start - from).num_days() / n,
            Unit::Week => (start - week_start(from)).num_days() / 7 / n,
            Unit::Month => {
                let months = (i64::from(start.year()) - i64::from(from.year())) * 12
                    + i64::from(start.month())
                    - i64::from(from.month());
                months / n
            }
        };
        RunDates {
            rule,
            period: u64::try_from(index).unwrap_or(0),
            buf: std::collections::VecDeque::new(),
            done: false,
        }
    }

    /// The days of period `k` (before filtering), or `None` past the calendar's end.
    fn period_days(&self, k: u64) -> Option<Vec<NaiveDate>> {
        let rule = self.rule;
        let steps = k.checked_mul(u64::from(rule.interval.max(1)))?;
        let from = rule.from.date();
        match rule.unit {
            Unit::Day => Some(vec![from.checked_add_days(Days::new(steps))?]),
            Unit::Week => {
                let monday = week_start(from).checked_add_days(Days::new(steps.checked_mul(7)?))?;
                (0..7)
                    .map(|i| monday.checked_add_days(Days::new(i)))
                    .collect()
            }
            Unit::Month => {
                let first = first_of_month(from)?
                    .checked_add_months(Months::new(u32::try_from(steps).ok()?))?;
                let last = last_day_of_month(first);
                (0..u64::from(last))
                    .map(|i| first.checked_add_days(Days::new(i)))
                    .collect()
            }
        }
    }
}

impl Iterator for RunDates<'_> {
    type Item = NaiveDate;

    fn next(&mut self) -> Option<NaiveDate> {
        let mut idle = 0u32;
        loop {
            if let Some(d) = self.buf.pop_front() {
                return Some(d);
            }
            if self.done {
                return None;
            }
            let Some(days) = self.period_days(self.period) else {
                self.done = true;
                return None;
            };
            self.period += 1;
            let until = self.rule.until.map(|u| u.date());
            if let (Some(first), Some(until)) = (days.first(), until) {
                if *first > until {
                    self.done = true;
                    return None;
                }
            }
            let rule = self.rule;
            let from = rule.from.date();
            self.buf.extend(
                days.into_iter()
                    .filter(|d| *d >= from && until.is_none_or(|u| *d <= u))
                    .filter(|d| selects(rule, *d)),
            );
            if self.buf.is_empty() {
                idle += 1;
                if idle > MAX_IDLE_PERIODS {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// Whether `date`, inside a selected period of `rule`, is a run date.
fn selects(rule: &RecurrenceRule, date: NaiveDate) -> bool {
    match (&rule.on, rule.unit) {
        (On::Any, Unit::Day) => true,
        (On::Any, Unit::Week) => date.weekday() == rule.from.date().weekday(),
        (On::Any, Unit::Month) => On::DayOfMonth(rule.from.date().day()).allows(date),
        (on, _) => on.allows(date),
    }
}

/// The Monday of `date`'s week.
fn week_start(date: NaiveDate) -> NaiveDate {
    let back = u64::from(date.weekday().num_days_from_monday());
    date.checked_sub_days(Days::new(back)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Berlin;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
    }

    fn rule(interval: u32, unit: Unit, on: On, at: NaiveTime, from: NaiveDate) -> RecurrenceRule {
        RecurrenceRule {
            interval,
            unit,
            on,
            at,
            from: from.and_time(NaiveTime::MIN),
            until: None,
            tz: Tz::UTC,
        }
    }

    fn locals(r: &ScheduleRule, tz: Tz, after: DateTime<Utc>, up_to: DateTime<Utc>) -> Vec<String> {
        instants_between(r, after, up_to)
            .into_iter()
            .map(|i| {
                i.with_timezone(&tz)
                    .format("%Y-%m-%d %a %H:%M %Z")
                    .to_string()
            })
            .collect()
    }

    fn dates(r: &ScheduleRule, after: DateTime<Utc>, up_to: DateTime<Utc>) -> Vec<NaiveDate> {
        let tz = match r {
            ScheduleRule::Every(r) => r.tz,
            ScheduleRule::Once(_) => Tz::UTC,
        };
        instants_between(r, after, up_to)
            .into_iter()
            .map(|i| i.with_timezone(&tz).date_naive())
            .collect()
    }

    #[test]
    fn once_fires_once_in_window() {
        let r = ScheduleRule::Once(utc(2026, 12, 1, 14, 0));
        assert_eq!(
            instants_between(&r, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)),
            vec![utc(2026, 12, 1, 14, 0)]
        );
        // The window's start is exclusive, its end inclusive.
        assert!(instants_between(&r, utc(2026, 12, 1, 14, 0), utc(2027, 1, 1, 0, 0)).is_empty());
        assert_eq!(
            instants_between(&r, utc(2026, 12, 1, 13, 59), utc(2026, 12, 1, 14, 0)),
            vec![utc(2026, 12, 1, 14, 0)]
        );
        assert_eq!(next_after(&r, utc(2026, 12, 1, 14, 0)), None);
        assert_eq!(
            next_after(&r, utc(2026, 11, 1, 0, 0)),
            Some(utc(2026, 12, 1, 14, 0))
        );
    }

    #[test]
    fn daily_across_a_month() {
        let r = ScheduleRule::Every(rule(1, Unit::Day, On::Any, t(8, 0), d(2026, 12, 1)));
        let got = instants_between(&r, utc(2026, 11, 1, 0, 0), utc(2027, 1, 1, 0, 0));
        assert_eq!(got.len(), 31);
        for (i, inst) in got.iter().enumerate() {
            assert_eq!(*inst, utc(2026, 12, 1, 8, 0) + TimeDelta::days(i as i64));
        }
    }

    #[test]
    fn weekdays_only_skip_weekends() {
        // 2026-12-01 is a Tuesday.
        let r = ScheduleRule::Every(rule(1, Unit::Day, On::Weekdays, t(8, 0), d(2026, 12, 1)));
        let got = dates(&r, utc(2026, 11, 1, 0, 0), utc(2026, 12, 14, 23, 0));
        assert_eq!(
            got,
            vec![
                d(2026, 12, 1),
                d(2026, 12, 2),
                d(2026, 12, 3),
                d(2026, 12, 4),
                d(2026, 12, 7),
                d(2026, 12, 8),
                d(2026, 12, 9),
                d(2026, 12, 10),
                d(2026, 12, 11),
                d(2026, 12, 14),
            ]
        );
    }

    #[test]
    fn every_three_days() {
        let r = ScheduleRule::Every(rule(3, Unit::Day, On::Any, t(7, 0), d(2026, 12, 1)));
        let got = dates(&r, utc(2026, 11, 1, 0, 0), utc(2026, 12, 31, 23, 0));
        let want: Vec<NaiveDate> = (0..11).map(|k| d(2026, 12, 1 + 3 * k)).collect();
        assert_eq!(got, want);
        // Continues into January on the same 3-day rhythm: Dec 31 + 3 = Jan 3.
        assert_eq!(
            next_after(&r, utc(2026, 12, 31, 7, 0)),
            Some(utc(2027, 1, 3, 7, 0))
        );
    }

    #[test]
    fn weekly_on_froms_weekday() {
        // 2026-12-07 is a Monday.
        let r = ScheduleRule::Every(rule(1, Unit::Week, On::Any, t(10, 0), d(2026, 12, 7)));
        let got = dates(&r, utc(2026, 11, 1, 0, 0), utc(2027, 1, 1, 0, 0));
        assert_eq!(
            got,
            vec![
                d(2026, 12, 7),
                d(2026, 12, 14),
                d(2026, 12, 21),
                d(2026, 12, 28)
            ]
        );
    }

    #[test]
    fn every_two_weeks_on_mon_thu() {
        // from Tue 2026-12-01: its week starts Mon 2026-11-30 (before from, so skipped).
        let mut rr = rule(
            2,
            Unit::Week,
            On::Days(vec![Mon, Thu]),
            t(9, 30),
            d(2026, 12, 1),
        );
        rr.until = Some(d(2027, 1, 14).and_time(end_of_day_time()));
        let r = ScheduleRule::Every(rr);
        let got = dates(&r, utc(2026, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0));
        assert_eq!(
            got,
            vec![
                d(2026, 12, 3),  // Thu of week 0
                d(2026, 12, 14), // week 2
                d(2026, 12, 17),
                d(2026, 12, 28), // week 4
                d(2026, 12, 31),
                d(2027, 1, 11), // week 6
                d(2027, 1, 14), // until's date still runs
            ]
        );
        assert!(
            instants_between(&r, utc(2026, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0))
                .iter()
                .all(|i| i.with_timezone(&Tz::UTC).time() == t(9, 30))
        );
    }

    #[test]
    fn monthly_day_31_is_clamped() {
        let r = ScheduleRule::Every(rule(
            1,
            Unit::Month,
            On::DayOfMonth(31),
            t(9, 0),
            d(2027, 1, 1),
        ));
        let got = dates(&r, utc(2026, 12, 1, 0, 0), utc(2027, 6, 1, 0, 0));
        assert_eq!(
            got,
            vec![
                d(2027, 1, 31),
                d(2027, 2, 28),
                d(2027, 3, 31),
                d(2027, 4, 30),
                d(2027, 5, 31)
            ]
        );
        // A leap year's February.
        let r = ScheduleRule::Every(rule(
            1,
            Unit::Month,
            On::DayOfMonth(31),
            t(9, 0),
            d(2028, 2, 1),
        ));
        assert_eq!(
            next_after(&r, utc(2028, 1, 1, 0, 0)),
            Some(utc(2028, 2, 29, 9, 0))
        );
    }

    #[test]
    fn every_month_without_on_uses_froms_day() {
        let r = ScheduleRule::Every(rule(1, Unit::Month, On::Any, t(9, 0), d(2027, 1, 31)));
        let got = dates(&r, utc(2026, 12, 1, 0, 0), utc(2027, 5, 1, 0, 0));
        assert_eq!(
            got,
            vec![
                d(2027, 1, 31),
                d(2027, 2, 28),
                d(2027, 3, 31),
                d(2027, 4, 30)
            ]
        );
    }

    #[test]
    fn every_second_month_counts_from_froms_month() {
        let r = ScheduleRule::Every(rule(
            2,
            Unit::Month,
            On::DayOfMonth(15),
            t(9, 0),
            d(2026, 12, 20),
        ));
        // December's 15th is before from, so the first run is in February.
        let got = dates(&r, utc(2026, 1, 1, 0, 0), utc(2027, 9, 1, 0, 0));
        assert_eq!(
            got,
            vec![
                d(2027, 2, 15),
                d(2027, 4, 15),
                d(2027, 6, 15),
                d(2027, 8, 15)
            ]
        );
    }

    #[test]
    fn second_tuesday_and_last_friday() {
        let r = ScheduleRule::Every(rule(
            1,
            Unit::Month,
            On::NthWeekday(2, Tue),
            t(9, 0),
            d(2026, 12, 1),
        ));
        let got = dates(&r, utc(2026, 1, 1, 0, 0), utc(2027, 4, 1, 0, 0));
        assert_eq!(
            got,
            vec![d(2026, 12, 8), d(2027, 1, 12), d(2027, 2, 9), d(2027, 3, 9)]
        );
        let r = ScheduleRule::Every(rule(
            1,
            Unit::Month,
            On::NthWeekday(0, Fri),
            t(9, 0),
            d(2026, 12, 1),
        ));
        let got = dates(&r, utc(2026, 1, 1, 0, 0), utc(2027, 4, 1, 0, 0));
        assert_eq!(
            got,
            vec![
                d(2026, 12, 25),
                d(2027, 1, 29),
                d(2027, 2, 26),
                d(2027, 3, 26)
            ]
        );
        let r = ScheduleRule::Every(rule(
            1,
            Unit::Month,
            On::NthWeekday(4, Sun),
            t(9, 0),
            d(2026, 11, 1),
        ));
        // November 2026: Sundays 1, 8, 15, 22, 29 -> 4th is the 22nd.
        assert_eq!(
            next_after(&r, utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 11, 22, 9, 0))
        );
    }

    #[test]
    fn until_is_inclusive() {
        let mut rr = rule(1, Unit::Day, On::Any, t(23, 30), d(2026, 12, 1));
        rr.until = Some(d(2026, 12, 3).and_time(end_of_day_time()));
        let r = ScheduleRule::Every(rr.clone());
        assert_eq!(
            dates(&r, utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)),
            vec![d(2026, 12, 1), d(2026, 12, 2), d(2026, 12, 3)]
        );
        assert_eq!(next_after(&r, utc(2026, 12, 3, 23, 30)), None);
        // A date-time until cuts the last day at that time.
        rr.until = Some(d(2026, 12, 3).and_time(t(23, 29)));
        let r = ScheduleRule::Every(rr.clone());
        assert_eq!(
            dates(&r, utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)),
            vec![d(2026, 12, 1), d(2026, 12, 2)]
        );
        rr.until = Some(d(2026, 12, 3).and_time(t(23, 30)));
        let r = ScheduleRule::Every(rr);
        assert_eq!(
            dates(&r, utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)).len(),
            3
        );
    }

    #[test]
    fn from_later_in_the_day_than_at() {
        let mut rr = rule(1, Unit::Day, On::Any, t(8, 0), d(2026, 12, 1));
        rr.from = d(2026, 12, 1).and_time(t(12, 0));
        let r = ScheduleRule::Every(rr.clone());
        assert_eq!(
            next_after(&r, utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 12, 2, 8, 0))
        );
        // Exactly at from: runs.
        rr.from = d(2026, 12, 1).and_time(t(8, 0));
        let r = ScheduleRule::Every(rr.clone());
        assert_eq!(
            next_after(&r, utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 12, 1, 8, 0))
        );
        // Weekly: later than T on from's weekday -> a week later.
        let mut rr = rule(1, Unit::Week, On::Any, t(8, 0), d(2026, 12, 7));
        rr.from = d(2026, 12, 7).and_time(t(9, 0));
        let r = ScheduleRule::Every(rr);
        assert_eq!(
            next_after(&r, utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 12, 14, 8, 0))
        );
    }

    #[test]
    fn us_spring_forward_runs_at_first_valid_instant() {
        let mut rr = rule(1, Unit::Day, On::Any, t(2, 30), d(2027, 3, 12));
        rr.tz = New_York;
        let r = ScheduleRule::Every(rr);
        let got = locals(&r, New_York, utc(2027, 3, 1, 0, 0), utc(2027, 3, 16, 0, 0));
        assert_eq!(
            got,
            vec![
                "2027-03-12 Fri 02:30 EST",
                "2027-03-13 Sat 02:30 EST",
                "2027-03-14 Sun 03:00 EDT",
                "2027-03-15 Mon 02:30 EDT",
            ]
        );
        let inst = instants_between(&r, utc(2027, 3, 1, 0, 0), utc(2027, 3, 16, 0, 0));
        assert_eq!(inst[2], utc(2027, 3, 14, 7, 0));
    }

    #[test]
    fn us_fall_back_runs_once_at_the_earlier_instant() {
        let mut rr = rule(1, Unit::Day, On::Any, t(1, 30), d(2026, 10, 31));
        rr.tz = New_York;
        let r = ScheduleRule::Every(rr);
        let inst = instants_between(&r, utc(2026, 10, 1, 0, 0), utc(2026, 11, 3, 0, 0));
        assert_eq!(
            inst,
            vec![
                utc(2026, 10, 31, 5, 30),
                utc(2026, 11, 1, 5, 30), // 01:30 EDT, not 01:30 EST (06:30 UTC)
                utc(2026, 11, 2, 6, 30),
            ]
        );
        // A window holding only the second 01:30 gets nothing.
        assert!(instants_between(&r, utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 7, 0)).is_empty());
    }

    #[test]
    fn berlin_transitions() {
        let mut rr = rule(1, Unit::Day, On::Any, t(2, 30), d(2026, 10, 24));
        rr.tz = Berlin;
        let r = ScheduleRule::Every(rr.clone());
        let got = locals(&r, Berlin, utc(2026, 10, 1, 0, 0), utc(2026, 10, 27, 0, 0));
        assert_eq!(
            got,
            vec![
                "2026-10-24 Sat 02:30 CEST",
                "2026-10-25 Sun 02:30 CEST",
                "2026-10-26 Mon 02:30 CET"
            ]
        );
        rr.from = d(2027, 3, 27).and_time(NaiveTime::MIN);
        let r = ScheduleRule::Every(rr);
        let got = locals(&r, Berlin, utc(2027, 3, 1, 0, 0), utc(2027, 3, 30, 0, 0));
        assert_eq!(
            got,
            vec![
                "2027-03-27 Sat 02:30 CET",
                "2027-03-28 Sun 03:00 CEST",
                "2027-03-29 Mon 02:30 CEST"
            ]
        );
    }

    #[test]
    fn no_instant_twice_and_strictly_increasing() {
        for tz in [
            New_York,
            Berlin,
            Tz::UTC,
            chrono_tz::Pacific::Apia,
            chrono_tz::Australia::Lord_Howe,
        ] {
            for at in [t(0, 0), t(0, 30), t(1, 30), t(2, 0), t(2, 30), t(23, 59)] {
                let mut rr = rule(1, Unit::Day, On::Any, at, d(2011, 1, 1));
                rr.tz = tz;
                let r = ScheduleRule::Every(rr);
                let got = instants_between(&r, utc(2011, 1, 1, 0, 0), utc(2013, 1, 1, 0, 0));
                assert!(got.windows(2).all(|w| w[0] < w[1]), "{tz} {at}");
                assert!(got.len() >= 729, "{tz} {at}: {}", got.len());
            }
        }
    }

    #[test]
    fn samoa_skipped_day_runs_at_the_end_of_the_gap() {
        // Pacific/Apia skipped 2011-12-30 entirely.
        let mut rr = rule(1, Unit::Day, On::Any, t(9, 0), d(2011, 12, 28));
        rr.tz = chrono_tz::Pacific::Apia;
        let r = ScheduleRule::Every(rr);
        let got = locals(
            &r,
            chrono_tz::Pacific::Apia,
            utc(2011, 12, 1, 0, 0),
            utc(2011, 12, 31, 0, 0),
        );
        assert_eq!(got.len(), 4);
        assert!(got[2].starts_with("2011-12-31 Sat 00:00"), "{got:?}");
        assert!(got[3].starts_with("2011-12-31 Sat 09:00"), "{got:?}");
    }

    #[test]
    fn window_starting_mid_series() {
        let r = ScheduleRule::Every(rule(3, Unit::Day, On::Any, t(7, 0), d(2026, 1, 1)));
        // Day index of 2026-06-15 from 2026-01-01 is 165 (divisible by 3).
        let got = dates(&r, utc(2026, 6, 14, 0, 0), utc(2026, 6, 22, 0, 0));
        assert_eq!(got, vec![d(2026, 6, 15), d(2026, 6, 18), d(2026, 6, 21)]);
        // Starting exactly at a run excludes it.
        let got = dates(&r, utc(2026, 6, 15, 7, 0), utc(2026, 6, 19, 0, 0));
        assert_eq!(got, vec![d(2026, 6, 18)]);
        // Far in the future, still on the rhythm.
        let far = next_after(&r, utc(2100, 1, 1, 0, 0));
        let days = far.map(|f| (f.date_naive() - d(2026, 1, 1)).num_days());
        assert_eq!(days.map(|n| n % 3), Some(0));
        // Mid-series for weeks and months.
        let r = ScheduleRule::Every(rule(
            2,
            Unit::Week,
            On::Days(vec![Mon, Thu]),
            t(9, 30),
            d(2026, 12, 1),
        ));
        assert_eq!(
            dates(&r, utc(2027, 1, 1, 0, 0), utc(2027, 1, 15, 0, 0)),
            vec![d(2027, 1, 11), d(2027, 1, 14)]
        );
        let r = ScheduleRule::Every(rule(
            3,
            Unit::Month,
            On::DayOfMonth(1),
            t(9, 0),
            d(2026, 12, 1),
        ));
        assert_eq!(
            dates(&r, utc(2027, 5, 1, 0, 0), utc(2027, 12, 31, 0, 0)),
            vec![d(2027, 6, 1), d(2027, 9, 1), d(2027, 12, 1)]
        );
    }

    #[test]
    fn window_starting_mid_series_in_a_far_east_zone() {
        // Local dates in Pacific/Kiritimati (UTC+14) are ahead of UTC dates.
        let mut rr = rule(1, Unit::Day, On::Any, t(1, 0), d(2026, 1, 1));
        rr.tz = chrono_tz::Pacific::Kiritimati;
        let r = ScheduleRule::Every(rr);
        // 2026-06-15 01:00 +14 = 2026-06-14 11:00 UTC.
        assert_eq!(
            next_after(&r, utc(2026, 6, 14, 10, 0)),
            Some(utc(2026, 6, 14, 11, 0))
        );
        let mut rr = rule(1, Unit::Day, On::Any, t(23, 0), d(2026, 1, 1));
        rr.tz = chrono_tz::Pacific::Pago_Pago; // UTC-11
        let r = ScheduleRule::Every(rr);
        // 2026-06-14 23:00 -11 = 2026-06-15 10:00 UTC.
        assert_eq!(
            next_after(&r, utc(2026, 6, 15, 9, 0)),
            Some(utc(2026, 6, 15, 10, 0))
        );
    }

    #[test]
    fn degenerate_rules_terminate() {
        let r = ScheduleRule::Every(rule(
            1,
            Unit::Week,
            On::Days(vec![]),
            t(9, 0),
            d(2026, 1, 1),
        ));
        assert_eq!(next_after(&r, utc(2026, 1, 1, 0, 0)), None);
        let r = ScheduleRule::Every(rule(0, Unit::Day, On::Any, t(9, 0), d(2026, 1, 1)));
        assert_eq!(
            dates(&r, utc(2026, 1, 1, 0, 0), utc(2026, 1, 3, 23, 0)),
            vec![d(2026, 1, 1), d(2026, 1, 2), d(2026, 1, 3)]
        );
        let r = ScheduleRule::Every(rule(u32::MAX, Unit::Month, On::Any, t(9, 0), d(2026, 1, 1)));
        assert_eq!(next_after(&r, utc(2026, 1, 2, 0, 0)), None);
        let mut rr = rule(1, Unit::Day, On::Any, t(9, 0), d(2026, 1, 10));
        rr.until = Some(d(2026, 1, 5).and_time(end_of_day_time()));
        assert_eq!(
            next_after(&ScheduleRule::Every(rr), utc(2020, 1, 1, 0, 0)),
            None
        );
    }

    #[test]
    fn calendar_extremes_do_not_panic() {
        let far_east = chrono_tz::Pacific::Kiritimati;
        let far_west = chrono_tz::Pacific::Pago_Pago;
        for tz in [far_east, far_west] {
            assert_eq!(
                utc_to_local(tz, DateTime::<Utc>::MAX_UTC).is_some(),
                tz == far_west
            );
            let _ = utc_to_local(tz, DateTime::<Utc>::MIN_UTC);
            let _ = local_to_utc(tz, NaiveDateTime::MAX);
            let _ = local_to_utc(tz, NaiveDateTime::MIN);
            let mut rr = rule(1, Unit::Day, On::Any, t(23, 59), NaiveDate::MAX);
            rr.tz = tz;
            let r = ScheduleRule::Every(rr);
            let _ = next_after(&r, DateTime::<Utc>::MIN_UTC);
            let _ = next_after(&r, DateTime::<Utc>::MAX_UTC);
            let mut rr = rule(
                1,
                Unit::Month,
                On::NthWeekday(0, Sun),
                t(0, 0),
                NaiveDate::MIN,
            );
            rr.tz = tz;
            let r = ScheduleRule::Every(rr);
            let _ = next_after(&r, DateTime::<Utc>::MIN_UTC);
            let _ = next_after(&r, DateTime::<Utc>::MAX_UTC);
        }
    }

    #[test]
    fn on_allows() {
        assert!(On::Weekdays.allows(d(2026, 12, 4)));
        assert!(!On::Weekdays.allows(d(2026, 12, 5)));
        assert!(On::DayOfMonth(31).allows(d(2027, 2, 28)));
        assert!(On::DayOfMonth(0).allows(d(2027, 2, 1)));
        assert!(On::NthWeekday(0, Fri).allows(d(2027, 1, 29)));
        assert!(!On::NthWeekday(0, Fri).allows(d(2027, 1, 22)));
        assert!(On::NthWeekday(1, Fri).allows(d(2027, 1, 1)));
        assert_eq!(last_day_of_month(d(2028, 2, 10)), 29);
        assert_eq!(last_day_of_month(d(2026, 12, 10)), 31);
    }

    mod from_ast {
        use super::*;
        use crate::syntax::ast::{
            DateTimeLit, RecurOn, RecurUnit, Recurrence, Schedule, ScheduleKind, Span, Spanned,
            Value, ValueKind,
        };

        fn sp<T>(node: T) -> Spanned<T> {
            Spanned::new(node, Span::default())
        }

        fn date_value(date: NaiveDate) -> Value {
            Value {
                kind: ValueKind::Date(date),
                span: Span::default(),
            }
        }

        #[test]
        fn once_local_and_with_offset() {
            let lit = DateTimeLit {
                local: d(2026, 12, 1).and_time(t(9, 0)),
                offset_seconds: None,
            };
            let s = Schedule {
                kind: ScheduleKind::Once(Value {
                    kind: ValueKind::DateTime(lit),
                    span: Span::default(),
                }),
                span: Span::default(),
            };
            assert_eq!(
                ScheduleRule::from_ast(&s, New_York),
                Ok(ScheduleRule::Once(utc(2026, 12, 1, 14, 0)))
            );
            let lit = DateTimeLit {
                local: d(2026, 12, 1).and_time(t(9, 0)),
                offset_seconds: Some(3600),
            };
            let s = Schedule {
                kind: ScheduleKind::Once(Value {
                    kind: ValueKind::DateTime(lit),
                    span: Span::default(),
                }),
                span: Span::default(),
            };
            assert_eq!(
                ScheduleRule::from_ast(&s, New_York),
                Ok(ScheduleRule::Once(utc(2026, 12, 1, 8, 0)))
            );
            let s = Schedule {
                kind: ScheduleKind::Once(date_value(d(2026, 12, 1))),
                span: Span::default(),
            };
            assert_eq!(
                ScheduleRule::from_ast(&s, New_York),
                Ok(ScheduleRule::Once(utc(2026, 12, 1, 5, 0)))
            );
            let s = Schedule {
                kind: ScheduleKind::Once(Value {
                    kind: ValueKind::Number(3.0),
                    span: Span::default(),
                }),
                span: Span::default(),
            };
            assert_eq!(
                ScheduleRule::from_ast(&s, New_York),
                Err(ScheduleError::NotADate)
            );
        }

        #[test]
        fn recurrence() {
            let rec = Recurrence {
                interval: sp(2),
                unit: sp(RecurUnit::Week),
                on: Some(sp(RecurOn::Days(vec![sp(Mon), sp(Thu)]))),
                at: sp(t(9, 30)),
                from: Some(date_value(d(2026, 12, 1))),
                until: Some(date_value(d(2027, 6, 30))),
            };
            let r = RecurrenceRule::from_ast(&rec, Berlin);
            assert_eq!(
                r,
                Ok(RecurrenceRule {
                    interval: 2,
                    unit: Unit::Week,
                    on: On::Days(vec![Mon, Thu]),
                    at: t(9, 30),
                    from: d(2026, 12, 1).and_time(NaiveTime::MIN),
                    until: Some(d(2027, 6, 30).and_time(end_of_day_time())),
                    tz: Berlin,
                })
            );
            let no_from = Recurrence {
                from: None,
                ..rec.clone()
            };
            assert_eq!(
                RecurrenceRule::from_ast(&no_from, Berlin),
                Err(ScheduleError::MissingFrom)
            );
            // An offset from is read in the rule's zone: 08:00Z is 09:00 in Berlin in winter.
            let from_utc = Recurrence {
                from: Some(Value {
                    kind: ValueKind::DateTime(DateTimeLit {
                        local: d(2026, 12, 1).and_time(t(8, 0)),
                        offset_seconds: Some(0),
                    }),
                    span: Span::default(),
                }),
                ..rec
            };
            assert_eq!(
                RecurrenceRule::from_ast(&from_utc, Berlin).map(|r| r.from),
                Ok(d(2026, 12, 1).and_time(t(9, 0)))
            );
        }
    }
}
