//! Wake times of flow `wait` steps, in the script's time zone.
//!
//! Durations in minutes and hours are exact elapsed time; durations in days and weeks (and the
//! 30-day months of qualification intervals) move the wall clock by whole calendar days, so
//! `wait 1 day` from 09:00 wakes at 09:00 the next day even across a daylight-saving change.
//! Local times skipped by a spring-forward transition resolve to the first valid instant after
//! the gap; repeated local times resolve to the earlier instant (see
//! [`super::schedule::local_to_utc`]).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::schedule::{local_to_utc, utc_to_local, On};
use crate::check::ir::{FieldId, Wait};
use crate::syntax::ast::TimeUnit;

/// The value of a person's date or date-time field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldDate {
    /// A `date` field: a calendar day in the script's time zone.
    Date(NaiveDate),
    /// A `datetime` field: an instant.
    DateTime(DateTime<Utc>),
}

/// Why a wait has no wake time (the engine then goes on at once, see docs/engine.md).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoWake {
    /// The person's field is empty.
    #[error("the date field is empty")]
    EmptyField,
    /// `wait until` names something other than a date or date-time.
    #[error("not a date or date-time")]
    NotADate,
    /// The wake time falls outside the representable calendar.
    #[error("wake time out of range")]
    OutOfRange,
}

/// How many days ahead an allowed day is searched for before giving up.
const MAX_SEARCH_DAYS: u32 = 1_000;

/// `t` moved by `amount` units: exact for minutes and hours, calendar days in `tz` otherwise.
pub fn add_duration(
    t: DateTime<Utc>,
    amount: i64,
    unit: TimeUnit,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    if amount == 0 {
        return Some(t);
    }
    match unit {
        TimeUnit::Minute | TimeUnit::Hour => {
            let secs = amount.checked_mul(unit.seconds())?;
            t.checked_add_signed(TimeDelta::try_seconds(secs)?)
        }
        TimeUnit::Day | TimeUnit::Week | TimeUnit::Month => {
            let local = utc_to_local(tz, t)?;
            local_to_utc(tz, shift_local(local, amount, unit)?)
        }
    }
}

/// A wall-clock reading moved by `amount` units (calendar days for days, weeks and months).
fn shift_local(local: NaiveDateTime, amount: i64, unit: TimeUnit) -> Option<NaiveDateTime> {
    let secs = amount.checked_mul(unit.seconds())?;
    local.checked_add_signed(TimeDelta::try_seconds(secs)?)
}

/// The first allowed slot at or after `candidate`: a local date `days` allows, at `at` if given
/// (else at `candidate`'s local time of day).
pub fn next_allowed_slot(
    candidate: DateTime<Utc>,
    days: &On,
    at: Option<NaiveTime>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let local = utc_to_local(tz, candidate)?;
    if at.is_none() && days.allows(local.date()) {
        return Some(candidate);
    }
    let time = at.unwrap_or(local.time());
    let mut date = local.date();
    for _ in 0..MAX_SEARCH_DAYS {
        if days.allows(date) {
            let slot = local_to_utc(tz, date.and_time(time))?;
            if slot >= candidate {
                return Some(slot);
            }
        }
        date = date.succ_opt()?;
    }
    None
}

/// `wait N unit [on ...] [at T]`: `now` plus the duration, then the first allowed slot.
pub fn after_duration(
    now: DateTime<Utc>,
    amount: u32,
    unit: TimeUnit,
    days: &On,
    at: Option<NaiveTime>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let candidate = add_duration(now, i64::from(amount), unit, tz)?;
    next_allowed_slot(candidate, days, at, tz)
}

/// `wait until T`: `target`, or `now` when it has already passed.
pub fn until_instant(now: DateTime<Utc>, target: DateTime<Utc>) -> DateTime<Utc> {
    target.max(now)
}

/// `wait until F [minus|plus N unit] [at T]`; `None` when the field is empty (or the result is
/// out of range).
///
/// A date field is read at `at` (default 00:00) local and moved on the wall clock; a date-time
/// field is moved with [`add_duration`] and, when `at` is given, set to that local time on the
/// resulting local date. A result in the past is `now`.
pub fn until_field(
    now: DateTime<Utc>,
    value: Option<FieldDate>,
    offset: Option<(i64, TimeUnit)>,
    at: Option<NaiveTime>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let target = match value? {
        FieldDate::Date(date) => {
            let mut local = date.and_time(at.unwrap_or(NaiveTime::MIN));
            if let Some((amount, unit)) = offset {
                local = shift_local(local, amount, unit)?;
            }
            local_to_utc(tz, local)?
        }
        FieldDate::DateTime(t) => {
            let moved = match offset {
                Some((amount, unit)) => add_duration(t, amount, unit, tz)?,
                None => t,
            };
            match at {
                Some(time) => {
                    let date = utc_to_local(tz, moved)?.date();
                    local_to_utc(tz, date.and_time(time))?
                }
                None => moved,
            }
        }
    };
    Some(until_instant(now, target))
}

/// `date`'s anniversary in `year` (February 29 falls on February 28 in other years).
pub fn anniversary_in(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, date.month(), date.day()).or_else(|| {
        if date.month() == 2 && date.day() == 29 {
            NaiveDate::from_ymd_opt(year, 2, 28)
        } else {
            None
        }
    })
}

/// `wait until next F [at T]`: the first anniversary of `date` on or after today's local date
/// whose instant (at `at`, default 00:00) is not before `now`.
pub fn next_anniversary(
    now: DateTime<Utc>,
    date: NaiveDate,
    at: Option<NaiveTime>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let today = utc_to_local(tz, now)?.date();
    let time = at.unwrap_or(NaiveTime::MIN);
    let first = today.year();
    for year in first..=first.checked_add(2)? {
        let Some(day) = anniversary_in(date, year) else {
            continue;
        };
        if day < today {
            continue;
        }
        let instant = local_to_utc(tz, day.and_time(time))?;
        if instant >= now {
            return Some(instant);
        }
    }
    None
}

/// The wake time of any `wait` step; `field` reads a person's date or date-time field (`None`
/// when empty).
pub fn wake_time(
    wait: &Wait,
    now: DateTime<Utc>,
    tz: Tz,
    field: &dyn Fn(FieldId) -> Option<FieldDate>,
) -> Result<DateTime<Utc>, NoWake> {
    match wait {
        Wait::For {
            amount,
            unit,
            on,
            at,
        } => after_duration(now, *amount, *unit, on, *at, tz).ok_or(NoWake::OutOfRange),
        Wait::Until(target) => Ok(until_instant(now, *target)),
        Wait::UntilField {
            field: id,
            offset,
            at,
        } => {
            let value = field(*id).ok_or(NoWake::EmptyField)?;
            until_field(now, Some(value), *offset, *at, tz).ok_or(NoWake::OutOfRange)
        }
        Wait::NextAnniversary { field: id, at } => {
            let date = match field(*id) {
                Some(FieldDate::Date(d)) => d,
                Some(FieldDate::DateTime(t)) => {
                    utc_to_local(tz, t).ok_or(NoWake::OutOfRange)?.date()
                }
                None => return Err(NoWake::EmptyField),
            };
            next_anniversary(now, date, *at, tz).ok_or(NoWake::OutOfRange)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Weekday::*};
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

    /// A local reading in `tz` (earlier instant if repeated).
    fn local(tz: Tz, y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        local_to_utc(tz, d(y, m, day).and_time(t(h, min))).unwrap()
    }

    fn show(i: DateTime<Utc>, tz: Tz) -> String {
        i.with_timezone(&tz)
            .format("%Y-%m-%d %a %H:%M %Z")
            .to_string()
    }

    #[test]
    fn plain_durations() {
        let now = utc(2026, 12, 1, 10, 0);
        assert_eq!(
            after_duration(now, 3, TimeUnit::Day, &On::Any, None, Tz::UTC),
            Some(utc(2026, 12, 4, 10, 0))
        );
        assert_eq!(
            after_duration(now, 90, TimeUnit::Minute, &On::Any, None, Tz::UTC),
            Some(utc(2026, 12, 1, 11, 30))
        );
        assert_eq!(
            after_duration(now, 2, TimeUnit::Week, &On::Any, None, Tz::UTC),
            Some(utc(2026, 12, 15, 10, 0))
        );
        assert_eq!(
            after_duration(now, 0, TimeUnit::Hour, &On::Any, None, Tz::UTC),
            Some(now)
        );
    }

    #[test]
    fn hours_are_exact_and_days_are_calendar_days_across_dst() {
        // 2027-03-14 01:00 EST + 2 hours = 04:00 EDT (02:00-03:00 does not exist).
        let now = local(New_York, 2027, 3, 14, 1, 0);
        let woke = after_duration(now, 2, TimeUnit::Hour, &On::Any, None, New_York).unwrap();
        assert_eq!(show(woke, New_York), "2027-03-14 Sun 04:00 EDT");
        // 2027-03-13 09:00 EST + 1 day = 2027-03-14 09:00 EDT, 23 hours later.
        let now = local(New_York, 2027, 3, 13, 9, 0);
        let woke = after_duration(now, 1, TimeUnit::Day, &On::Any, None, New_York).unwrap();
        assert_eq!(show(woke, New_York), "2027-03-14 Sun 09:00 EDT");
        assert_eq!(woke - now, TimeDelta::hours(23));
        // Fall back in Berlin: 2026-10-24 12:00 CEST + 1 day = 2026-10-25 12:00 CET, 25 hours.
        let now = local(Berlin, 2026, 10, 24, 12, 0);
        let woke = after_duration(now, 1, TimeUnit::Day, &On::Any, None, Berlin).unwrap();
        assert_eq!(show(woke, Berlin), "2026-10-25 Sun 12:00 CET");
        assert_eq!(woke - now, TimeDelta::hours(25));
        // Landing in the gap moves to its end.
        let now = local(New_York, 2027, 3, 13, 2, 30);
        let woke = after_duration(now, 1, TimeUnit::Day, &On::Any, None, New_York).unwrap();
        assert_eq!(show(woke, New_York), "2027-03-14 Sun 03:00 EDT");
    }

    #[test]
    fn on_weekdays_at_time() {
        // `wait 48 hours on weekdays at 09:00` from Thu 2026-12-03 15:00 -> Sat 15:00 -> Mon 09:00.
        let now = local(New_York, 2026, 12, 3, 15, 0);
        let woke = after_duration(
            now,
            48,
            TimeUnit::Hour,
            &On::Weekdays,
            Some(t(9, 0)),
            New_York,
        )
        .unwrap();
        assert_eq!(show(woke, New_York), "2026-12-07 Mon 09:00 EST");
        // From Mon 07:00 + 1 hour -> Mon 08:00 -> Mon 09:00 the same day.
        let now = local(New_York, 2026, 12, 7, 7, 0);
        let woke = after_duration(
            now,
            1,
            TimeUnit::Hour,
            &On::Weekdays,
            Some(t(9, 0)),
            New_York,
        )
        .unwrap();
        assert_eq!(show(woke, New_York), "2026-12-07 Mon 09:00 EST");
        // Exactly on the slot: that slot.
        let now = local(New_York, 2026, 12, 7, 8, 0);
        let woke = after_duration(
            now,
            1,
            TimeUnit::Hour,
            &On::Weekdays,
            Some(t(9, 0)),
            New_York,
        )
        .unwrap();
        assert_eq!(woke, local(New_York, 2026, 12, 7, 9, 0));
    }

    #[test]
    fn at_only_moves_to_the_next_time_of_day() {
        let now = local(Berlin, 2026, 12, 3, 10, 0);
        let woke = after_duration(now, 1, TimeUnit::Hour, &On::Any, Some(t(9, 0)), Berlin).unwrap();
        assert_eq!(show(woke, Berlin), "2026-12-04 Fri 09:00 CET");
        let woke =
            after_duration(now, 1, TimeUnit::Hour, &On::Any, Some(t(17, 30)), Berlin).unwrap();
        assert_eq!(show(woke, Berlin), "2026-12-03 Thu 17:30 CET");
    }

    #[test]
    fn on_only_keeps_time_of_day() {
        // Fri 2026-12-04 14:00 + 1 day = Sat 14:00 -> Mon 14:00.
        let now = local(New_York, 2026, 12, 4, 14, 0);
        let woke = after_duration(now, 1, TimeUnit::Day, &On::Weekdays, None, New_York).unwrap();
        assert_eq!(show(woke, New_York), "2026-12-07 Mon 14:00 EST");
        // Already on an allowed day: unchanged.
        let woke = after_duration(now, 3, TimeUnit::Day, &On::Weekdays, None, New_York).unwrap();
        assert_eq!(show(woke, New_York), "2026-12-07 Mon 14:00 EST");
    }

    #[test]
    fn on_day_list() {
        // Thu 2026-12-03 10:00 + 1 day = Fri -> next Mon or Wed is Mon 2026-12-07.
        let now = local(Tz::UTC, 2026, 12, 3, 10, 0);
        let days = On::Days(vec![Mon, Wed]);
        let woke = after_duration(now, 1, TimeUnit::Day, &days, Some(t(8, 0)), Tz::UTC).unwrap();
        assert_eq!(woke, utc(2026, 12, 7, 8, 0));
        // Mon 2026-12-07 10:00 + 1 minute, at 08:00: Monday's slot has passed -> Wed.
        let now = utc(2026, 12, 7, 10, 0);
        let woke = after_duration(now, 1, TimeUnit::Minute, &days, Some(t(8, 0)), Tz::UTC).unwrap();
        assert_eq!(woke, utc(2026, 12, 9, 8, 0));
        // No day ever allowed: no wake time, no endless loop.
        assert_eq!(
            after_duration(now, 1, TimeUnit::Minute, &On::Days(vec![]), None, Tz::UTC),
            None
        );
    }

    #[test]
    fn slot_in_spring_forward_gap_and_repeated_hour() {
        // `wait 1 hour at 02:30` from 2027-03-14 00:00 EST -> 02:30 does not exist -> 03:00 EDT.
        let now = local(New_York, 2027, 3, 14, 0, 0);
        let woke =
            after_duration(now, 1, TimeUnit::Hour, &On::Any, Some(t(2, 30)), New_York).unwrap();
        assert_eq!(woke, utc(2027, 3, 14, 7, 0));
        assert_eq!(show(woke, New_York), "2027-03-14 Sun 03:00 EDT");
        // `wait 1 minute at 01:30` from the first 01:00 on 2026-11-01 -> the earlier 01:30 (EDT).
        let now = utc(2026, 11, 1, 5, 0);
        let woke =
            after_duration(now, 1, TimeUnit::Minute, &On::Any, Some(t(1, 30)), New_York).unwrap();
        assert_eq!(woke, utc(2026, 11, 1, 5, 30));
        // From the second 01:20 (EST, 06:20 UTC), the earlier 01:30 has passed -> next day.
        let now = utc(2026, 11, 1, 6, 20);
        let woke =
            after_duration(now, 1, TimeUnit::Minute, &On::Any, Some(t(1, 30)), New_York).unwrap();
        assert_eq!(show(woke, New_York), "2026-11-02 Mon 01:30 EST");
        // `on sun` without `at` keeps the candidate even in the repeated hour.
        let woke = after_duration(
            now,
            10,
            TimeUnit::Minute,
            &On::Days(vec![Sun]),
            None,
            New_York,
        );
        assert_eq!(woke, Some(utc(2026, 11, 1, 6, 30)));
    }

    #[test]
    fn until_instant_never_in_the_past() {
        let now = utc(2026, 12, 1, 10, 0);
        assert_eq!(
            until_instant(now, utc(2026, 12, 24, 14, 0)),
            utc(2026, 12, 24, 14, 0)
        );
        assert_eq!(until_instant(now, utc(2026, 11, 24, 14, 0)), now);
    }

    #[test]
    fn until_date_field_with_offset_and_at() {
        let now = utc(2026, 9, 1, 0, 0);
        // renewal 2026-11-15 (a date) minus 30 days at 09:00 New York -> 2026-10-16 09:00 EDT.
        let woke = until_field(
            now,
            Some(FieldDate::Date(d(2026, 11, 15))),
            Some((-30, TimeUnit::Day)),
            Some(t(9, 0)),
            New_York,
        );
        assert_eq!(woke, Some(utc(2026, 10, 16, 13, 0)));
        // Without `at`: midnight local.
        let woke = until_field(
            now,
            Some(FieldDate::Date(d(2026, 11, 15))),
            None,
            None,
            New_York,
        );
        assert_eq!(woke, Some(utc(2026, 11, 15, 5, 0)));
        // minus 2 hours from midnight: the evening before, on the wall clock.
        let woke = until_field(
            now,
            Some(FieldDate::Date(d(2026, 12, 10))),
            Some((-2, TimeUnit::Hour)),
            None,
            New_York,
        )
        .unwrap();
        assert_eq!(show(woke, New_York), "2026-12-09 Wed 22:00 EST");
        // plus 1 week.
        let woke = until_field(
            now,
            Some(FieldDate::Date(d(2026, 12, 10))),
            Some((1, TimeUnit::Week)),
            Some(t(8, 0)),
            Berlin,
        )
        .unwrap();
        assert_eq!(show(woke, Berlin), "2026-12-17 Thu 08:00 CET");
    }

    #[test]
    fn until_datetime_field() {
        let now = utc(2026, 9, 1, 0, 0);
        // 2026-11-05 10:00 EST minus 1 week -> 2026-10-29 10:00 EDT (calendar days).
        let renewal = local(New_York, 2026, 11, 5, 10, 0);
        let woke = until_field(
            now,
            Some(FieldDate::DateTime(renewal)),
            Some((-1, TimeUnit::Week)),
            None,
            New_York,
        )
        .unwrap();
        assert_eq!(show(woke, New_York), "2026-10-29 Thu 10:00 EDT");
        // plus 2 hours: exact.
        let woke = until_field(
            now,
            Some(FieldDate::DateTime(renewal)),
            Some((2, TimeUnit::Hour)),
            None,
            New_York,
        );
        assert_eq!(woke, Some(renewal + TimeDelta::hours(2)));
        // `at` sets the local time of the resulting day.
        let woke = until_field(
            now,
            Some(FieldDate::DateTime(renewal)),
            Some((-1, TimeUnit::Day)),
            Some(t(9, 0)),
            New_York,
        )
        .unwrap();
        assert_eq!(show(woke, New_York), "2026-11-04 Wed 09:00 EST");
        // No offset, no at: the instant itself.
        assert_eq!(
            until_field(
                now,
                Some(FieldDate::DateTime(renewal)),
                None,
                None,
                New_York
            ),
            Some(renewal)
        );
    }

    #[test]
    fn until_field_in_the_past_or_empty() {
        let now = utc(2026, 12, 1, 10, 0);
        let woke = until_field(
            now,
            Some(FieldDate::Date(d(2026, 12, 15))),
            Some((-30, TimeUnit::Day)),
            None,
            Tz::UTC,
        );
        assert_eq!(woke, Some(now));
        assert_eq!(
            until_field(
                now,
                Some(FieldDate::DateTime(utc(2020, 1, 1, 0, 0))),
                None,
                None,
                Tz::UTC
            ),
            Some(now)
        );
        assert_eq!(until_field(now, None, None, None, Tz::UTC), None);
        // Out of range: None rather than a panic.
        assert_eq!(
            until_field(
                now,
                Some(FieldDate::Date(NaiveDate::MAX)),
                Some((1, TimeUnit::Week)),
                None,
                Tz::UTC
            ),
            None
        );
    }

    #[test]
    fn calendar_extremes_do_not_panic() {
        let tz = chrono_tz::Pacific::Kiritimati;
        for now in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            for unit in [
                TimeUnit::Minute,
                TimeUnit::Hour,
                TimeUnit::Day,
                TimeUnit::Week,
                TimeUnit::Month,
            ] {
                let _ = after_duration(now, u32::MAX, unit, &On::Weekdays, Some(t(9, 0)), tz);
                let _ = after_duration(now, 1, unit, &On::Any, None, tz);
                let _ = add_duration(now, i64::MIN, unit, tz);
                let _ = add_duration(now, i64::MAX, unit, tz);
                for value in [
                    FieldDate::DateTime(now),
                    FieldDate::Date(NaiveDate::MAX),
                    FieldDate::Date(NaiveDate::MIN),
                ] {
                    let _ =
                        until_field(now, Some(value), Some((i64::MIN, unit)), Some(t(9, 0)), tz);
                    let _ = until_field(now, Some(value), Some((i64::MAX, unit)), None, tz);
                }
            }
            let _ = next_anniversary(now, NaiveDate::MAX, None, tz);
            let _ = next_anniversary(now, d(2000, 2, 29), Some(t(23, 59)), tz);
            let _ = wake_time(
                &Wait::NextAnniversary {
                    field: FieldId(0),
                    at: None,
                },
                now,
                tz,
                &|_: FieldId| Some(FieldDate::DateTime(DateTime::<Utc>::MAX_UTC)),
            );
        }
    }

    #[test]
    fn next_anniversary_cases() {
        let birthday = d(1990, 5, 20);
        // Later this year.
        let now = local(New_York, 2026, 3, 1, 12, 0);
        assert_eq!(
            next_anniversary(now, birthday, None, New_York),
            Some(local(New_York, 2026, 5, 20, 0, 0))
        );
        // Today, before `at`: today.
        let now = local(New_York, 2026, 5, 20, 8, 0);
        assert_eq!(
            next_anniversary(now, birthday, Some(t(9, 0)), New_York),
            Some(local(New_York, 2026, 5, 20, 9, 0))
        );
        // Today, after midnight with no `at`: next year.
        assert_eq!(
            next_anniversary(now, birthday, None, New_York),
            Some(local(New_York, 2027, 5, 20, 0, 0))
        );
        // Exactly now: now.
        let now = local(New_York, 2026, 5, 20, 0, 0);
        assert_eq!(next_anniversary(now, birthday, None, New_York), Some(now));
        // Already passed this year.
        let now = local(New_York, 2026, 6, 1, 0, 0);
        assert_eq!(
            next_anniversary(now, birthday, Some(t(9, 0)), New_York),
            Some(local(New_York, 2027, 5, 20, 9, 0))
        );
        // Today's local date, not UTC's: 2026-05-19 22:00 EDT is 2026-05-20 02:00 UTC.
        let now = local(New_York, 2026, 5, 19, 22, 0);
        assert_eq!(
            next_anniversary(now, birthday, None, New_York),
            Some(local(New_York, 2026, 5, 20, 0, 0))
        );
    }

    #[test]
    fn leap_day_anniversary() {
        let leap = d(2000, 2, 29);
        let now = utc(2026, 1, 1, 0, 0);
        assert_eq!(
            next_anniversary(now, leap, None, Tz::UTC),
            Some(utc(2026, 2, 28, 0, 0))
        );
        let now = utc(2027, 3, 1, 0, 0);
        assert_eq!(
            next_anniversary(now, leap, None, Tz::UTC),
            Some(utc(2028, 2, 29, 0, 0))
        );
        assert_eq!(anniversary_in(leap, 2027), Some(d(2027, 2, 28)));
        assert_eq!(anniversary_in(d(2001, 3, 31), 2027), Some(d(2027, 3, 31)));
    }

    #[test]
    fn anniversary_at_in_gap() {
        // Birthday on the US spring-forward day, `at 02:30`.
        let now = utc(2027, 1, 1, 0, 0);
        let woke = next_anniversary(now, d(1999, 3, 14), Some(t(2, 30)), New_York).unwrap();
        assert_eq!(show(woke, New_York), "2027-03-14 Sun 03:00 EDT");
    }

    const RENEWAL_AT: FieldId = FieldId(0);
    const BIRTHDAY: FieldId = FieldId(1);
    const TRIAL_END: FieldId = FieldId(2);

    fn fields(id: FieldId) -> Option<FieldDate> {
        match id {
            RENEWAL_AT => Some(FieldDate::DateTime(utc(2026, 12, 20, 15, 0))),
            BIRTHDAY => Some(FieldDate::Date(d(1990, 12, 25))),
            _ => None,
        }
    }

    #[test]
    fn wake_time_dispatch() {
        let now = utc(2026, 12, 3, 20, 0); // Thu 15:00 EST
        let tz = New_York;
        let wait = Wait::For {
            amount: 48,
            unit: TimeUnit::Hour,
            on: On::Weekdays,
            at: Some(t(9, 0)),
        };
        assert_eq!(
            wake_time(&wait, now, tz, &fields),
            Ok(local(tz, 2026, 12, 7, 9, 0))
        );
        let until = Wait::Until(utc(2026, 12, 24, 9, 0));
        assert_eq!(
            wake_time(&until, now, tz, &fields),
            Ok(utc(2026, 12, 24, 9, 0))
        );
        let past = Wait::Until(utc(2025, 12, 24, 9, 0));
        assert_eq!(wake_time(&past, now, tz, &fields), Ok(now));

        let shift = |field: FieldId, amount: i64| Wait::UntilField {
            field,
            offset: Some((amount, TimeUnit::Day)),
            at: None,
        };
        assert_eq!(
            wake_time(&shift(RENEWAL_AT, -2), now, tz, &fields),
            Ok(utc(2026, 12, 18, 15, 0))
        );
        assert_eq!(
            wake_time(&shift(RENEWAL_AT, 2), now, tz, &fields),
            Ok(utc(2026, 12, 22, 15, 0))
        );
        assert_eq!(
            wake_time(&shift(TRIAL_END, -2), now, tz, &fields),
            Err(NoWake::EmptyField)
        );

        let next = |field: FieldId| Wait::NextAnniversary {
            field,
            at: Some(t(9, 0)),
        };
        assert_eq!(
            wake_time(&next(BIRTHDAY), now, tz, &fields),
            Ok(local(tz, 2026, 12, 25, 9, 0))
        );
        // A date-time field's local date is its anniversary: 2026-12-20 10:00 EST.
        assert_eq!(
            wake_time(&next(RENEWAL_AT), now, tz, &fields),
            Ok(local(tz, 2026, 12, 20, 9, 0))
        );
        assert_eq!(
            wake_time(&next(TRIAL_END), now, tz, &fields),
            Err(NoWake::EmptyField)
        );
    }
}
