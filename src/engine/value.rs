//! Run-time values: conversions between field values, JSON attributes and text, and the time
//! helpers the engine shares (seconds since the epoch, local days in the script's zone).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value as Json;

use crate::check::ir::{FieldType, Scalar};

/// The instant `t` seconds after the epoch.
pub fn instant(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// RFC 3339 in UTC, whole seconds: `2026-12-01T09:00:00Z`.
pub fn rfc3339(t: i64) -> String {
    instant(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Instant `t` as people read it in the script's zone, without the zone:
/// `2027-01-15 00:00`, with `:SS` when the seconds are not zero, and the UTC offset
/// (`2026-11-01 01:30 -04:00`) when the reading is ambiguous (the repeated hour of a clock
/// change).
pub fn local_reading(t: i64, tz: Tz) -> String {
    let local = instant(t).with_timezone(&tz);
    let naive = local.naive_local();
    let mut s = if naive.and_utc().timestamp() % 60 == 0 {
        local.format("%Y-%m-%d %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    };
    if let LocalResult::Ambiguous(..) = tz.from_local_datetime(&naive) {
        s.push(' ');
        s.push_str(&local.format("%:z").to_string());
    }
    s
}

/// Instant `t` in the script's zone, named: `2027-01-15 00:00 America/New_York` (see
/// [`local_reading`]). Messages and listings for people use it; JSON keeps [`rfc3339`].
pub fn local_time(t: i64, tz: Tz) -> String {
    format!("{} {}", local_reading(t, tz), tz.name())
}

/// The local calendar day of instant `t` in `tz`.
pub fn local_date(t: i64, tz: Tz) -> NaiveDate {
    instant(t).with_timezone(&tz).date_naive()
}

/// The first instant of local day `d` in `tz` (a skipped midnight: the first valid instant).
pub fn day_start(d: NaiveDate, tz: Tz) -> i64 {
    local_to_utc(d.and_hms_opt(0, 0, 0).unwrap_or_default(), tz)
}

/// A local reading in `tz` as an instant: skipped times move forward to the first valid
/// instant, repeated times take the earlier one.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> i64 {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => {
            // In a gap: the first valid reading after it (gaps are at most a few hours).
            let mut probe = local;
            for _ in 0..(26 * 60) {
                probe += chrono::Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.timestamp();
                }
            }
            local.and_utc().timestamp()
        }
    }
}

/// A field value as a JSON attribute.
pub fn to_json(v: Option<&Scalar>) -> Json {
    match v {
        None => Json::Null,
        Some(Scalar::Text(s)) => Json::String(s.clone()),
        Some(Scalar::Number(n)) => number_json(*n),
        Some(Scalar::Bool(b)) => Json::Bool(*b),
        Some(Scalar::Date(d)) => Json::String(d.format("%Y-%m-%d").to_string()),
        Some(Scalar::DateTime(t)) => Json::String(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    }
}

/// A number as JSON: integers without a fraction.
pub fn number_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

/// A JSON attribute read back as a value of type `ty`.
pub fn from_json(ty: FieldType, v: &Json) -> Option<Scalar> {
    match (ty, v) {
        (_, Json::Null) => None,
        (FieldType::Text, Json::String(s)) => Some(Scalar::Text(s.clone())),
        (FieldType::Text, other) => Some(Scalar::Text(other.to_string())),
        (FieldType::Number, Json::Number(n)) => n.as_f64().map(Scalar::Number),
        (FieldType::Number, Json::String(s)) => s.parse().ok().map(Scalar::Number),
        (FieldType::Bool, Json::Bool(b)) => Some(Scalar::Bool(*b)),
        (FieldType::Date, Json::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(Scalar::Date),
        (FieldType::DateTime, Json::String(s)) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| Scalar::DateTime(t.with_timezone(&Utc))),
        _ => None,
    }
}

/// A value as text, for tokens and listings.
pub fn display(v: Option<&Scalar>, tz: Tz) -> String {
    match v {
        None => String::new(),
        Some(Scalar::Text(s)) => s.clone(),
        Some(Scalar::Number(n)) => format_number(*n),
        Some(Scalar::Bool(b)) => b.to_string(),
        Some(Scalar::Date(d)) => d.format("%Y-%m-%d").to_string(),
        Some(Scalar::DateTime(t)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A number as text: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Whether two values are the same (text compares exactly here: a `change` to `"ca"` from
/// `"CA"` is a change).
pub fn same(a: Option<&Scalar>, b: Option<&Scalar>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Scalar::Text(x)), None) | (None, Some(Scalar::Text(x))) => x.is_empty(),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp())
            .unwrap_or(0)
    }

    #[test]
    fn local_time_names_the_zone_and_drops_zero_seconds() {
        let ny: Tz = "America/New_York".parse().unwrap_or(Tz::UTC);
        assert_eq!(
            local_time(at("2027-01-15T05:00:00Z"), ny),
            "2027-01-15 00:00 America/New_York"
        );
        assert_eq!(
            local_time(at("2027-01-15T05:00:07Z"), Tz::UTC),
            "2027-01-15 05:00:07 UTC"
        );
    }

    #[test]
    fn the_repeated_hour_of_a_clock_change_shows_its_offset() {
        let ny: Tz = "America/New_York".parse().unwrap_or(Tz::UTC);
        assert_eq!(
            local_reading(at("2026-11-01T05:30:00Z"), ny),
            "2026-11-01 01:30 -04:00"
        );
        assert_eq!(
            local_reading(at("2026-11-01T06:30:00Z"), ny),
            "2026-11-01 01:30 -05:00"
        );
        assert_eq!(
            local_reading(at("2026-11-01T08:30:00Z"), ny),
            "2026-11-01 03:30"
        );
    }
}
