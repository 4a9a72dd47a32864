//! Literal values: typing them for a field or attribute, and reading dates and date-times in
//! the workspace's time zone.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{DateTimeLit, FieldType, Template, Value, ValueKind};

use super::ir::Scalar;

/// The instant a local wall-clock reading stands for in `tz`: a skipped local time (a
/// daylight-saving gap) moves to the next valid instant, a repeated one takes the earlier.
pub(crate) fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=4 * 24 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The instant of a date-time literal: its offset when written, else `tz`.
pub(crate) fn datetime_to_utc(lit: &DateTimeLit, tz: Tz) -> DateTime<Utc> {
    match lit.offset_seconds {
        Some(off) => Utc.from_utc_datetime(&(lit.local - Duration::seconds(i64::from(off)))),
        None => local_to_utc(lit.local, tz),
    }
}

/// The local reading of a date-time literal in `tz` (converting when it carries an offset).
pub(crate) fn datetime_to_local(lit: &DateTimeLit, tz: Tz) -> NaiveDateTime {
    match lit.offset_seconds {
        Some(_) => datetime_to_utc(lit, tz).with_timezone(&tz).naive_local(),
        None => lit.local,
    }
}

/// The first instant of `date` in `tz`.
pub(crate) fn day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_to_utc(date.and_time(NaiveTime::MIN), tz)
}

/// The last second of `date` in `tz`.
pub(crate) fn day_end(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    match date.succ_opt() {
        Some(next) => day_start(next, tz) - Duration::seconds(1),
        None => day_start(date, tz),
    }
}

/// The text of a string value without tokens; reports a token as `camp::token::not_allowed`.
pub(crate) fn plain_text(t: &Template, what: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    if let Some(tok) = t.tokens().next() {
        diags.push(token_not_allowed(tok.span, &tok.to_string(), what));
        return None;
    }
    t.as_plain()
}

/// `camp::token::not_allowed` at a token.
pub(crate) fn token_not_allowed(
    span: crate::syntax::ast::Span,
    token: &str,
    what: &str,
) -> Diagnostic {
    Diagnostic::error(
        "camp::token::not_allowed",
        span,
        format!("tokens are not allowed in {what}"),
    )
    .with_label(format!("`{token}` is not allowed here"))
    .with_help("write the value itself; tokens are only filled in in emails, alerts, webhooks and text changes")
}

/// `camp::type::mismatch` for `value` given to `what` (a field or attribute) of type `ty`.
pub(crate) fn mismatch(value: &Value, what: &str, ty: FieldType) -> Diagnostic {
    let d = Diagnostic::error(
        "camp::type::mismatch",
        value.span,
        format!(
            "{what} expects {} {} value, not {} {} value",
            article(ty.as_str()),
            ty.as_str(),
            article(value.kind.describe()),
            value.kind.describe()
        ),
    )
    .with_label(format!("{} value", value.kind.describe()));
    let help = match (ty, &value.kind) {
        (FieldType::Date, ValueKind::DateTime(_)) => {
            Some("a date field holds days: leave the time of day out".to_string())
        }
        (FieldType::Text, _) => Some("write text in double quotes".to_string()),
        (FieldType::Bool, _) => Some("write `true` or `false`".to_string()),
        (FieldType::Date, _) => Some("write a date such as `2026-12-01`".to_string()),
        (FieldType::DateTime, _) => {
            Some("write a date-time such as `2026-12-01 09:00`, or a date".to_string())
        }
        (FieldType::Number, _) => Some("write a number such as `42`".to_string()),
    };
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn article(word: &str) -> &'static str {
    match word.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}

/// Types `value` for a field or attribute of type `ty` (`what` names it in messages).
///
/// Tokens are never allowed; a date on a datetime field stays a date (that whole day); a
/// date-time on a date field is a mismatch.
pub(crate) fn scalar(
    value: &Value,
    ty: FieldType,
    what: &str,
    tz: Tz,
    diags: &mut Vec<Diagnostic>,
) -> Option<Scalar> {
    match (ty, &value.kind) {
        (_, ValueKind::Text(t)) if t.has_tokens() => {
            plain_text(t, "condition values", diags);
            None
        }
        (FieldType::Text, ValueKind::Text(t)) => t.as_plain().map(Scalar::Text),
        (FieldType::Number, ValueKind::Number(n)) => Some(Scalar::Number(*n)),
        (FieldType::Bool, ValueKind::Bool(b)) => Some(Scalar::Bool(*b)),
        (FieldType::Date | FieldType::DateTime, ValueKind::Date(d)) => Some(Scalar::Date(*d)),
        (FieldType::DateTime, ValueKind::DateTime(dt)) => {
            Some(Scalar::DateTime(datetime_to_utc(dt, tz)))
        }
        _ => {
            diags.push(mismatch(value, what, ty));
            None
        }
    }
}

/// An instant from a date or date-time value (a date: its first instant, or its last when
/// `end_of_day`); other values are a mismatch.
pub(crate) fn instant(
    value: &Value,
    end_of_day: bool,
    what: &str,
    tz: Tz,
    diags: &mut Vec<Diagnostic>,
) -> Option<DateTime<Utc>> {
    match &value.kind {
        ValueKind::Date(d) if end_of_day => Some(day_end(*d, tz)),
        ValueKind::Date(d) => Some(day_start(*d, tz)),
        ValueKind::DateTime(dt) => Some(datetime_to_utc(dt, tz)),
        _ => {
            diags.push(mismatch(value, what, FieldType::DateTime));
            None
        }
    }
}
