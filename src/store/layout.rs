//! What both stores write the same way: the `cause` attribute of an activity in columns of
//! its own, a batch run's members packed many to a row, and the person an input is about.

use serde_json::Value as Json;

use super::{Outcome, PersonId, Result, StoreError};
use crate::check::ir::{FieldId, FieldType, Program};

/// Members per `run_members` row.
pub const MEMBERS_PER_ROW: usize = 1024;

/// `ids` as the bytes of a `run_members` row.
pub fn pack(ids: &[PersonId]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_le_bytes()).collect()
}

/// The ids a `run_members` row holds.
pub fn unpack(bytes: &[u8]) -> impl Iterator<Item = PersonId> + '_ {
    bytes.chunks_exact(8).map(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        PersonId::from_le_bytes(b)
    })
}

/// The `cause` attribute (LANGUAGE.md 12) in columns: the id of the activity that started the
/// flow, or the batch run that did, whose JSON text (`{"run":"C","at":"T"}`) is interned.
#[derive(Debug, PartialEq)]
pub enum CauseCols<'a> {
    /// The id of the activity that started the flow.
    Activity(i64),
    /// The batch run that did (its JSON object).
    Run(&'a Json),
}

/// The attributes as JSON text, with their `cause` in columns when it is their last key (as the
/// engine logs it); otherwise the whole object stays in the text.
pub fn split_cause(attributes: &Json) -> (Option<CauseCols<'_>>, String) {
    let whole = || {
        (
            None,
            serde_json::to_string(attributes).unwrap_or_else(|_| "{}".into()),
        )
    };
    let Some(map) = attributes.as_object() else {
        return whole();
    };
    let Some((key, cause)) = map.iter().next_back() else {
        return whole();
    };
    let cols = match cause {
        _ if key != "cause" => return whole(),
        Json::Number(n) => match n.as_i64() {
            Some(id) => CauseCols::Activity(id),
            None => return whole(),
        },
        Json::Object(_) => CauseCols::Run(cause),
        _ => return whole(),
    };
    // The object without its last key, as `serde_json::to_string` writes objects.
    let mut text = Vec::with_capacity(64);
    text.push(b'{');
    for (i, (k, v)) in map.iter().take(map.len() - 1).enumerate() {
        if i > 0 {
            text.push(b',');
        }
        let written = serde_json::to_writer(&mut text, k).and_then(|()| {
            text.push(b':');
            serde_json::to_writer(&mut text, v)
        });
        if written.is_err() {
            return whole();
        }
    }
    text.push(b'}');
    match String::from_utf8(text) {
        Ok(text) => (Some(cols), text),
        Err(_) => whole(),
    }
}

/// `attributes` read back with the `cause` of the columns, last, as it was logged.
pub fn join_cause(attributes: &mut Json, activity: Option<i64>, run: Option<String>) {
    let cause = match (activity, run) {
        (Some(id), _) => Json::from(id),
        (None, Some(text)) => match serde_json::from_str(&text) {
            Ok(cause) => cause,
            Err(_) => return,
        },
        _ => return,
    };
    if let Some(map) = attributes.as_object_mut() {
        map.insert("cause".to_string(), cause);
    }
}

/// The person an input is about, as a key: `#<id>` or the email with ASCII folded (`None`: the
/// body has no person; it is keyed by its own arrival).
pub fn input_person_key(body: &str) -> Option<String> {
    let v: Json = serde_json::from_str(body).ok()?;
    match v.get("person")? {
        Json::Number(n) => n.as_i64().map(|id| format!("#{id}")),
        Json::String(s) => Some(s.trim().to_ascii_lowercase()),
        Json::Object(o) => match o.get("email") {
            Some(Json::String(s)) => Some(s.trim().to_ascii_lowercase()),
            _ => None,
        },
        _ => None,
    }
}

/// The outbox columns both stores read, in the order of their readers.
pub const OUTBOX_COLUMNS: &str =
    "id, at, person, recipient, email, subject, body, campaign, key, kind, \
    operational, delivery, attempts, first_try, next_try, delivery_status, delivery_error";

/// The activities `a` with their names resolved (`id, at, person, email, campaign, step, type,
/// primary, attributes, result, reason, depth, cause_activity, cause_run`).
pub const ACTIVITY_SELECT: &str = "SELECT a.id, a.at, a.person, a.email, c.name, s.name, t.name, \
    p.name, a.attributes, a.result, a.reason, a.depth, a.cause_activity, r.name \
    FROM activities a \
    LEFT JOIN names c ON c.id = a.campaign LEFT JOIN names s ON s.id = a.step \
    LEFT JOIN names t ON t.id = a.type LEFT JOIN names p ON p.id = a.primary_value \
    LEFT JOIN names r ON r.id = a.cause_run";

/// An outcome's code in the `result` column (`succeeded` is 0).
pub fn outcome_code(o: Outcome) -> i16 {
    match o {
        Outcome::Succeeded => 0,
        Outcome::Skipped => 1,
        Outcome::Failed => 2,
    }
}

/// The outcome of a `result` code.
pub fn outcome_of(code: i64) -> Outcome {
    match code {
        0 => Outcome::Succeeded,
        1 => Outcome::Skipped,
        _ => Outcome::Failed,
    }
}

/// The type of a field as the `fields` table names it.
pub fn field_type(name: &str) -> Result<FieldType> {
    Ok(match name {
        "text" => FieldType::Text,
        "number" => FieldType::Number,
        "bool" => FieldType::Bool,
        "date" => FieldType::Date,
        "datetime" => FieldType::DateTime,
        other => return Err(StoreError::Corrupt(format!("field type `{other}`"))),
    })
}

/// The people table's column of `field` (name and type), among a store's `columns`.
pub fn column(columns: &[(String, FieldType)], field: FieldId) -> Result<&(String, FieldType)> {
    columns
        .get(field.index())
        .ok_or_else(|| StoreError::Schema(format!("unknown field #{}", field.0)))
}

/// Whether a store's `columns` are those of `program`'s fields.
pub fn prepared_for(columns: &[(String, FieldType)], program: &Program) -> bool {
    columns.len() == program.fields.len()
        && columns
            .iter()
            .zip(&program.fields)
            .all(|((_, ty), f)| *ty == f.ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cause_in_columns_reads_back_as_it_was_logged() {
        for attrs in [
            json!({ "to": "a@example.com", "cause": { "run": "Blast", "at": "2026-12-01T09:00:00Z" } }),
            json!({ "cause": 17 }),
            json!({ "old": 0, "new": 10, "cause": 3 }),
        ] {
            let (cols, text) = split_cause(&attrs);
            let mut rest: Json = serde_json::from_str(&text).unwrap();
            assert!(rest.get("cause").is_none());
            let (a, r) = match cols.expect("compact") {
                CauseCols::Activity(id) => (Some(id), None),
                CauseCols::Run(cause) => (None, Some(serde_json::to_string(cause).unwrap())),
            };
            join_cause(&mut rest, a, r);
            assert_eq!(
                serde_json::to_string(&rest).unwrap(),
                serde_json::to_string(&attrs).unwrap()
            );
        }
    }

    #[test]
    fn a_cause_that_columns_would_not_give_back_stays_in_the_json() {
        for attrs in [
            json!({ "cause": 3, "old": 0 }),
            json!({ "cause": "text" }),
            json!({ "cause": 1.5 }),
            json!({}),
            json!(null),
        ] {
            let (cols, text) = split_cause(&attrs);
            assert_eq!(cols, None, "{attrs}");
            assert_eq!(text, serde_json::to_string(&attrs).unwrap());
        }
    }

    #[test]
    fn ids_pack_and_unpack() {
        let ids = [1, 0, -5, i64::MAX, 1 << 40];
        assert_eq!(unpack(&pack(&ids)).collect::<Vec<_>>(), ids);
    }
}
