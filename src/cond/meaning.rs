//! What conditions mean on values (LANGUAGE.md 4.1): field tests with their quirks, activity
//! matches with their constraints. The engine's evaluator applies these to people and their
//! log as a store returns them; [`super::pushdown`] keeps each store's SQL equal to them.

use chrono_tz::Tz;
use serde_json::Value as Json;

use crate::check::ir::{
    ActivityMatch, ActivityType, Constraint, FieldTest, FieldType, Program, Scalar,
};
use crate::engine::value::{day_start, display, from_json, local_date};

/// Smart lists may include each other this deep (the checker rejects cycles).
pub const MAX_SMART_LIST_DEPTH: u32 = 32;

/// The log types an activity match reads: `data value changed score` also reads
/// `change_score`.
pub fn log_types(m: &ActivityMatch) -> Vec<&'static str> {
    let mut v = vec![m.activity.as_str()];
    if m.activity == ActivityType::ChangeDataValue && m.asset.as_deref() == Some("score") {
        v.push(ActivityType::ChangeScore.as_str());
    }
    v
}

/// Whether an activity `(kind, primary, attributes)` matches `m`.
pub fn activity_matches(
    program: &Program,
    m: &ActivityMatch,
    kind: &str,
    primary: Option<&str>,
    attributes: &Json,
    now: i64,
    tz: Tz,
) -> bool {
    if !log_types(m).contains(&kind) {
        return false;
    }
    if let Some(asset) = &m.asset {
        if primary != Some(asset.as_str()) {
            return false;
        }
    }
    constraints_hold(program, m, attributes, now, tz)
}

fn attr<'j>(attributes: &'j Json, name: &str) -> &'j Json {
    attributes.get(name).unwrap_or(&Json::Null)
}

/// Whether an activity's attributes meet the constraints of `m` (its type and asset aside).
pub fn constraints_hold(
    program: &Program,
    m: &ActivityMatch,
    attributes: &Json,
    now: i64,
    tz: Tz,
) -> bool {
    let text = |name: &str| attr(attributes, name).as_str().unwrap_or("").to_string();
    let field_ty = || {
        m.asset
            .as_deref()
            .and_then(|f| program.field(f))
            .map_or(FieldType::Text, |f| program.field_type(f))
    };
    m.constraints.iter().all(|c| match c {
        Constraint::LinkContains(s) => text("link").to_lowercase().contains(&s.to_lowercase()),
        Constraint::LinkIs(s) => text("link").eq_ignore_ascii_case(s),
        Constraint::OnPage(p) => text("page") == *p,
        Constraint::NewValue(v) => value_is(field_ty(), attr(attributes, "new"), v.as_ref()),
        Constraint::OldValue(v) => value_is(field_ty(), attr(attributes, "old"), v.as_ref()),
        Constraint::StatusTo(s) => text("to") == *s,
        Constraint::StatusFrom(s) => text("from") == *s,
        Constraint::Attribute { name, ty, test } => {
            let v = from_json(*ty, attr(attributes, name));
            field_test(*ty, v.as_ref(), test, now, tz)
        }
    })
}

fn value_is(ty: FieldType, actual: &Json, expected: Option<&Scalar>) -> bool {
    let actual = from_json(ty, actual);
    match (actual.as_ref(), expected) {
        (None, None) => true,
        (Some(Scalar::Text(a)), None) => a.is_empty(),
        (Some(Scalar::Text(a)), Some(Scalar::Text(b))) => lower(a) == lower(b),
        (Some(Scalar::DateTime(a)), Some(Scalar::Date(d))) => a.date_naive() == *d,
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// The values of a text field's `is` / `is not` test in lower case (a number or boolean as it
/// reads), as they are compared with the lower-cased value.
pub fn text_needles(vals: &[Scalar]) -> Vec<String> {
    vals.iter()
        .map(|s| match s {
            Scalar::Text(t) => lower(t),
            other => lower(&display(Some(other), chrono_tz::UTC)),
        })
        .collect()
}

/// Evaluates a field test on a value of type `ty` at instant `now` (LANGUAGE.md 4.1).
pub fn field_test(
    ty: FieldType,
    value: Option<&Scalar>,
    test: &FieldTest,
    now: i64,
    tz: Tz,
) -> bool {
    match ty {
        FieldType::Text => text_test(value, test),
        FieldType::Number => number_test(value, test),
        FieldType::Bool => bool_test(value, test),
        FieldType::Date => date_test(value, test, now, tz),
        FieldType::DateTime => datetime_test(value, test, now, tz),
    }
}

fn text_test(value: Option<&Scalar>, test: &FieldTest) -> bool {
    let v = match value {
        Some(Scalar::Text(s)) if !s.is_empty() => Some(lower(s)),
        Some(other @ (Scalar::Number(_) | Scalar::Bool(_))) => {
            Some(lower(&display(Some(other), chrono_tz::UTC)))
        }
        _ => None,
    };
    let texts = text_needles;
    match test {
        FieldTest::Is(vals) => match &v {
            Some(v) => texts(vals).iter().any(|t| t == v),
            None => texts(vals).iter().any(|t| t.is_empty()),
        },
        FieldTest::IsNot(vals) => match &v {
            Some(v) => !texts(vals).iter().any(|t| t == v),
            None => true,
        },
        FieldTest::StartsWith(vals) => v
            .as_ref()
            .is_some_and(|v| vals.iter().any(|t| v.starts_with(&lower(t)))),
        FieldTest::NotStartsWith(vals) => v
            .as_ref()
            .is_none_or(|v| !vals.iter().any(|t| v.starts_with(&lower(t)))),
        FieldTest::Contains(vals) => v
            .as_ref()
            .is_some_and(|v| vals.iter().any(|t| v.contains(&lower(t)))),
        FieldTest::NotContains(vals) => v
            .as_ref()
            .is_none_or(|v| !vals.iter().any(|t| v.contains(&lower(t)))),
        FieldTest::IsEmpty => v.is_none(),
        FieldTest::IsNotEmpty => v.is_some(),
        _ => false,
    }
}

fn num(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Number(n) => Some(*n),
        _ => None,
    }
}

fn number_test(value: Option<&Scalar>, test: &FieldTest) -> bool {
    let v = value.and_then(num);
    let nums = |vals: &[Scalar]| vals.iter().filter_map(num).collect::<Vec<_>>();
    match test {
        FieldTest::Is(vals) => match v {
            Some(v) => nums(vals).contains(&v),
            None => nums(vals).contains(&0.0),
        },
        FieldTest::IsNot(vals) => match v {
            Some(v) => !nums(vals).contains(&v),
            None => true,
        },
        FieldTest::IsEmpty => v.is_none(),
        FieldTest::IsNotEmpty => v.is_some(),
        FieldTest::Greater(x) => cmp_num(v, x, |a, b| a > b),
        FieldTest::Less(x) => cmp_num(v, x, |a, b| a < b),
        FieldTest::AtLeast(x) => cmp_num(v, x, |a, b| a >= b),
        FieldTest::AtMost(x) => cmp_num(v, x, |a, b| a <= b),
        FieldTest::Between(a, b) => match (v, num(a), num(b)) {
            (Some(v), Some(a), Some(b)) => v >= a.min(b) && v <= a.max(b),
            _ => false,
        },
        _ => false,
    }
}

fn cmp_num(v: Option<f64>, x: &Scalar, f: impl Fn(f64, f64) -> bool) -> bool {
    match (v, num(x)) {
        (Some(v), Some(x)) => f(v, x),
        _ => false,
    }
}

fn bool_test(value: Option<&Scalar>, test: &FieldTest) -> bool {
    let v = matches!(value, Some(Scalar::Bool(true)));
    let b = |s: &Scalar| matches!(s, Scalar::Bool(true));
    match test {
        FieldTest::Is(vals) => vals.iter().any(|x| b(x) == v),
        FieldTest::IsNot(vals) => !vals.iter().any(|x| b(x) == v),
        FieldTest::IsEmpty => false,
        FieldTest::IsNotEmpty => true,
        _ => false,
    }
}

/// Bounds of a date literal on a date field: the day itself (datetimes use their local day).
fn as_date(s: &Scalar, tz: Tz) -> Option<chrono::NaiveDate> {
    match s {
        Scalar::Date(d) => Some(*d),
        Scalar::DateTime(t) => Some(t.with_timezone(&tz).date_naive()),
        _ => None,
    }
}

fn date_test(value: Option<&Scalar>, test: &FieldTest, now: i64, tz: Tz) -> bool {
    let v = match value {
        Some(Scalar::Date(d)) => Some(*d),
        Some(Scalar::DateTime(t)) => Some(t.with_timezone(&tz).date_naive()),
        _ => None,
    };
    let today = local_date(now, tz);
    let d = |s: &Scalar| as_date(s, tz);
    match test {
        FieldTest::Is(vals) => v.is_some_and(|v| vals.iter().any(|x| d(x) == Some(v))),
        FieldTest::IsNot(vals) => v.is_none_or(|v| !vals.iter().any(|x| d(x) == Some(v))),
        FieldTest::IsEmpty => v.is_none(),
        FieldTest::IsNotEmpty => v.is_some(),
        FieldTest::Less(x) => v.is_none_or(|v| d(x).is_some_and(|x| v < x)),
        FieldTest::AtMost(x) => v.is_none_or(|v| d(x).is_some_and(|x| v <= x)),
        FieldTest::Greater(x) => v.is_some_and(|v| d(x).is_some_and(|x| v > x)),
        FieldTest::AtLeast(x) => v.is_some_and(|v| d(x).is_some_and(|x| v >= x)),
        FieldTest::Between(a, b) => match (v, d(a), d(b)) {
            (Some(v), Some(a), Some(b)) => v >= a.min(b) && v <= a.max(b),
            _ => false,
        },
        FieldTest::InPast(secs) => {
            let start = local_date(now - secs, tz);
            v.is_some_and(|v| v >= start && v <= today)
        }
        FieldTest::InPastBefore(secs) => {
            let start = local_date(now - secs, tz);
            v.is_none_or(|v| v < start)
        }
        FieldTest::InFuture(secs) => {
            let end = local_date(now + secs, tz);
            v.is_some_and(|v| v >= today && v <= end)
        }
        FieldTest::InFutureAfter(secs) => {
            let end = local_date(now + secs, tz);
            v.is_some_and(|v| v > end)
        }
        _ => false,
    }
}

/// `[start, end]` instants of a literal on a datetime field: a date is its whole local day.
pub fn range(s: &Scalar, tz: Tz) -> Option<(i64, i64)> {
    match s {
        Scalar::DateTime(t) => Some((t.timestamp(), t.timestamp())),
        Scalar::Date(d) => {
            let start = day_start(*d, tz);
            let end = d
                .succ_opt()
                .map(|n| day_start(n, tz) - 1)
                .unwrap_or(i64::MAX);
            Some((start, end))
        }
        _ => None,
    }
}

fn datetime_test(value: Option<&Scalar>, test: &FieldTest, now: i64, tz: Tz) -> bool {
    let v = match value {
        Some(Scalar::DateTime(t)) => Some(t.timestamp()),
        Some(Scalar::Date(d)) => Some(day_start(*d, tz)),
        _ => None,
    };
    let r = |s: &Scalar| range(s, tz);
    match test {
        FieldTest::Is(vals) => {
            v.is_some_and(|v| vals.iter().filter_map(r).any(|(a, b)| v >= a && v <= b))
        }
        FieldTest::IsNot(vals) => {
            v.is_none_or(|v| !vals.iter().filter_map(r).any(|(a, b)| v >= a && v <= b))
        }
        FieldTest::IsEmpty => v.is_none(),
        FieldTest::IsNotEmpty => v.is_some(),
        FieldTest::Less(x) => v.is_none_or(|v| r(x).is_some_and(|(a, _)| v < a)),
        FieldTest::AtMost(x) => v.is_none_or(|v| r(x).is_some_and(|(_, b)| v <= b)),
        FieldTest::Greater(x) => v.is_some_and(|v| r(x).is_some_and(|(_, b)| v > b)),
        FieldTest::AtLeast(x) => v.is_some_and(|v| r(x).is_some_and(|(a, _)| v >= a)),
        FieldTest::Between(a, b) => match (v, r(a), r(b)) {
            (Some(v), Some(a), Some(b)) => v >= a.0.min(b.0) && v <= a.1.max(b.1),
            _ => false,
        },
        FieldTest::InPast(secs) => v.is_some_and(|v| v >= now - secs && v <= now),
        FieldTest::InPastBefore(secs) => v.is_none_or(|v| v < now - secs),
        FieldTest::InFuture(secs) => v.is_some_and(|v| v >= now && v <= now + secs),
        FieldTest::InFutureAfter(secs) => v.is_some_and(|v| v > now + secs),
        _ => false,
    }
}
