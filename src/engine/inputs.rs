//! Inputs from outside the script (LANGUAGE.md 9.2): the people CSV (`camp import`,
//! `camp run --people`) and the events file (`camp run --events`, the REPL's `:event`), parsed
//! and validated against a checked [`Program`].
//!
//! Everything here is pure: no store, no clock. What needs the store is left to the engine,
//! which gets what it needs in the results: whether a person named by id or email exists
//! ([`PersonRef`]), and whether an event is earlier than the store's clock ([`InputEvent::at`]).
//!
//! Decisions where the contract is silent:
//! - Events may come in any order; the engine sorts them stably by `(at, line)`.
//! - Header names are matched case-insensitively (field names are lower case) after trimming.
//! - Cells of non-text fields are trimmed; text cells are kept as written, and an empty text
//!   (CSV cell or JSON `""`) is empty. The `email` is trimmed wherever it appears.
//! - A bool is never empty: an empty cell or JSON `null` is `false`.
//! - Date-times may also be a bare date (local midnight) or a script date-time ending in `Z` or
//!   an offset. In events, `at` and datetime values may be local script date-times too.
//! - Unknown members of an event object are errors (a typo must not be ignored silently).
//! - Field values are listed in field order, attributes in declaration order, so that the
//!   activities they produce come out in a stable order.

use std::collections::HashMap;
use std::fmt;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
    Utc,
};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::check::ir::{
    CampaignId, EmailId, EventId, FieldId, FieldType, FormId, PageId, Program, Scalar,
};
use crate::diagnostic::did_you_mean;

/// A bad input: where it is (file, 1-based line and column) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file's name as the user gave it.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column: the CSV column, or the character in a JSON line when known.
    pub column: Option<u64>,
    /// The person field or event attribute the value was for, if any.
    pub field: Option<String>,
    /// What is wrong, in lower case, user input in backticks.
    pub message: String,
    /// The header's columns that name no field of the schema (all of them, in order), when
    /// that is what is wrong.
    pub unknown_columns: Vec<String>,
}

impl InputError {
    /// An error at `file:line`.
    pub fn new(file: &str, line: u64, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            line,
            column: None,
            field: None,
            message: message.into(),
            unknown_columns: Vec::new(),
        }
    }

    fn column(mut self, column: u64) -> InputError {
        self.column = Some(column);
        self
    }

    fn field(mut self, field: &str) -> InputError {
        self.field = Some(field.to_string());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(c) = self.column {
            write!(f, ":{c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

impl miette::Diagnostic for InputError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("camp::input"))
    }
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Reads one CSV cell (or any typed text a user writes) as a value of type `ty`.
///
/// Numbers: what Rust's `f64` parsing accepts, except infinities and NaN. Bools: `true`,
/// `false`, `yes`, `no`, `1`, `0` in any case; empty is `false`. Dates: `YYYY-MM-DD`.
/// Date-times: see [`parse_instant`], local readings in `tz`. Empty is `None` except for bools.
pub fn parse_cell(ty: FieldType, text: &str, tz: Tz) -> Result<Option<Scalar>, String> {
    if ty == FieldType::Text {
        return Ok(text_value(text));
    }
    let t = text.trim();
    if t.is_empty() {
        return Ok(match ty {
            FieldType::Bool => Some(Scalar::Bool(false)),
            _ => None,
        });
    }
    let value = match ty {
        FieldType::Text => Scalar::Text(t.to_string()),
        FieldType::Number => {
            Scalar::Number(parse_number(t).ok_or_else(|| format!("{} is not a number", quote(t)))?)
        }
        FieldType::Bool => Scalar::Bool(parse_bool(t).ok_or_else(|| {
            format!(
                "{} is not a bool, expected true, false, yes, no, 1 or 0",
                quote(t)
            )
        })?),
        FieldType::Date => Scalar::Date(parse_date(t).ok_or_else(|| not_a_date(t))?),
        FieldType::DateTime => {
            Scalar::DateTime(parse_instant(t, tz).ok_or_else(|| not_a_date_time(t))?)
        }
    };
    Ok(Some(value))
}

/// Reads one JSON value (an event's `fields` or `data` member) as a value of type `ty`.
///
/// Text: a string (`""` is empty). Number: a number. Bool: `true`/`false`. Date: a
/// `"YYYY-MM-DD"` string. Date-time: an RFC 3339 string (an offset or `Z` is required here, as
/// there is no time zone to read a local time in). `null` is empty (`false` for a bool).
pub fn parse_json_value(ty: FieldType, v: &Value) -> Result<Option<Scalar>, String> {
    json_value(ty, v, None)
}

/// Reads an instant: RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` / `YYYY-MM-DDTHH:MM[:SS]` local in
/// `tz` (unless it ends in `Z` or an offset), or a bare date (local midnight).
///
/// A local time skipped by a daylight-saving change reads as the next valid instant; a repeated
/// one as the earlier of its two instants.
pub fn parse_instant(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    instant(text, Some(tz))
}

fn instant(text: &str, tz: Option<Tz>) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    let (naive, offset) = parse_script_date_time(t)?;
    match offset {
        Some(off) => off
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc)),
        None => tz.map(|tz| local_to_utc(naive, tz)),
    }
}

/// The instant a local reading stands for in `tz` (skipped: the next valid one; repeated: the
/// earlier).
fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) => d.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => {
            // In a gap: the first whole local minute after it is the transition itself.
            let mut t = naive
                .date()
                .and_hms_opt(naive.hour(), naive.minute(), 0)
                .unwrap_or(naive);
            for _ in 0..3 * 24 * 60 {
                let Some(next) = t.checked_add_signed(chrono::TimeDelta::minutes(1)) else {
                    break;
                };
                t = next;
                match tz.from_local_datetime(&t) {
                    LocalResult::Single(d) => return d.with_timezone(&Utc),
                    LocalResult::Ambiguous(a, b) => {
                        return a.with_timezone(&Utc).min(b.with_timezone(&Utc))
                    }
                    LocalResult::None => {}
                }
            }
            naive.and_utc()
        }
    }
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]][Z|±HH:MM]]`, strictly: the date and time parts and the
/// explicit offset, if any.
fn parse_script_date_time(t: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let b = t.as_bytes();
    let date = parse_date(t.get(..10)?)?;
    if b.len() == 10 {
        return Some((date.and_time(NaiveTime::MIN), None));
    }
    if !matches!(b[10], b' ' | b'T' | b't') {
        return None;
    }
    let mut i = 11;
    let hour = two_digits(b, i)?;
    if b.get(i + 2) != Some(&b':') {
        return None;
    }
    let minute = two_digits(b, i + 3)?;
    i += 5;
    let mut second = 0;
    let mut nano = 0;
    if b.get(i) == Some(&b':') {
        second = two_digits(b, i + 1)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &b[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            nano = frac
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(9)
                .fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?;
    let naive = date.and_time(time);
    let rest = &b[i..];
    let offset = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(FixedOffset::east_opt(0)?),
        [sign @ (b'+' | b'-'), ..] if rest.len() == 6 && rest[3] == b':' => {
            let h = two_digits(rest, 1)?;
            let m = two_digits(rest, 4)?;
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            Some(FixedOffset::east_opt(if *sign == b'-' {
                -secs
            } else {
                secs
            })?)
        }
        _ => return None,
    };
    Some((naive, offset))
}

fn two_digits(b: &[u8], i: usize) -> Option<u32> {
    let (x, y) = (*b.get(i)?, *b.get(i + 1)?);
    if x.is_ascii_digit() && y.is_ascii_digit() {
        Some(u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    } else {
        None
    }
}

/// `YYYY-MM-DD`, strictly (four, two and two digits; a real calendar day).
fn parse_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    NaiveDate::from_ymd_opt(year as i32, two_digits(b, 5)?, two_digits(b, 8)?)
}

fn parse_number(t: &str) -> Option<f64> {
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn text_value(text: &str) -> Option<Scalar> {
    (!text.is_empty()).then(|| Scalar::Text(text.to_string()))
}

fn not_a_date(t: &str) -> String {
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if shaped {
        format!("{} is not a valid date", quote(t))
    } else {
        format!("{} is not a date, expected YYYY-MM-DD", quote(t))
    }
}

fn not_a_date_time(t: &str) -> String {
    format!(
        "{} is not a date-time, expected RFC 3339 or YYYY-MM-DD HH:MM[:SS]",
        quote(t)
    )
}

/// A JSON value of type `ty`; local date-times are read in `tz` when there is one.
fn json_value(ty: FieldType, v: &Value, tz: Option<Tz>) -> Result<Option<Scalar>, String> {
    let value = match (ty, v) {
        (FieldType::Bool, Value::Null) => Scalar::Bool(false),
        (_, Value::Null) => return Ok(None),
        (FieldType::Text, Value::String(s)) => return Ok(text_value(s)),
        (FieldType::Number, Value::Number(n)) => match n.as_f64().filter(|n| n.is_finite()) {
            Some(n) => Scalar::Number(n),
            None => return Err(format!("{} is not a number", quote(&n.to_string()))),
        },
        (FieldType::Bool, Value::Bool(b)) => Scalar::Bool(*b),
        (FieldType::Date, Value::String(s)) => {
            Scalar::Date(parse_date(s.trim()).ok_or_else(|| not_a_date(s))?)
        }
        (FieldType::DateTime, Value::String(s)) => match instant(s, tz) {
            Some(at) => Scalar::DateTime(at),
            None if tz.is_none() && parse_script_date_time(s.trim()).is_some() => {
                return Err(format!(
                    "{} has no time zone (write it in RFC 3339, ending in `Z` or an offset)",
                    quote(s)
                ))
            }
            None => return Err(not_a_date_time(s)),
        },
        _ => {
            let expected = match ty {
                FieldType::Text => "a string",
                FieldType::Number => "a number",
                FieldType::Bool => "true or false",
                FieldType::Date => "a date string (YYYY-MM-DD)",
                FieldType::DateTime => "a date-time string (RFC 3339)",
            };
            return Err(format!("expected {expected}, found {}", describe(v)));
        }
    };
    Ok(Some(value))
}

/// User input in backticks, cut short when long.
fn quote(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("`{cut}…`")
    } else {
        format!("`{s}`")
    }
}

/// A JSON value in words, for "found ..." messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the string {}", quote(&format!("\"{s}\""))),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// ``; did you mean `x`?`` or nothing.
fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(name, candidates)
        .map(|s| format!("; {s}"))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// People CSV
// ---------------------------------------------------------------------------------------------

/// One row of a people CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonRecord {
    /// The line the row starts on (1-based, blank lines and the header counted).
    pub line: u64,
    /// The `email` cell, trimmed, as written (unique within the file, ignoring case).
    pub email: String,
    /// Every other column's value, in column order (the `email` column is not repeated here);
    /// `None` is an empty cell, which empties the field.
    pub values: Vec<(FieldId, Option<Scalar>)>,
}

/// A column of the people CSV.
enum Column {
    Email,
    Field(FieldId),
}

/// Reads a people CSV: a header row of field names (`email` required; `id`, `created_at` and
/// `updated_at` are read-only and refused), then one person per row.
///
/// The first problem aborts the whole file, so that nothing from a bad file is imported.
pub fn parse_people_csv(
    program: &Program,
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<PersonRecord>, InputError> {
    let err = |line: u64, message: String| InputError::new(file_name, line, message);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = reader.byte_records();
    let csv_error = |e: csv::Error| {
        let line = e.position().map(|p| p.line()).unwrap_or(1);
        err(line, format!("unreadable CSV: {e}"))
    };
    let header = match rows.next() {
        None => {
            return Err(err(
                1,
                "the file is empty (expected a header row of field names)".to_string(),
            ))
        }
        Some(row) => row.map_err(csv_error)?,
    };
    let mut lines = LineCounter::new(bytes);
    let header_line = lines.record_line(&header);

    let mut columns: Vec<Column> = Vec::with_capacity(header.len());
    let mut seen_columns: HashMap<FieldId, u64> = HashMap::new();
    let mut email_column = None;
    let mut unknown: Vec<(u64, String)> = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        let col = i as u64 + 1;
        let cell_err = |message: String| err(header_line, message).column(col);
        let name = std::str::from_utf8(cell)
            .map_err(|_| cell_err("invalid UTF-8 in the header".to_string()))?
            .trim();
        if name.is_empty() {
            return Err(cell_err(format!("column {col} has no name")));
        }
        let Some(id) = program.field(&name.to_ascii_lowercase()) else {
            // Every unknown column is reported at once, after the header.
            unknown.push((col, name.to_string()));
            continue;
        };
        let field = &program.fields[id.index()];
        if field.read_only {
            return Err(cell_err(format!(
                "column `{}` is read-only and cannot be imported",
                field.name
            ))
            .field(&field.name));
        }
        if let Some(first) = seen_columns.insert(id, col) {
            return Err(cell_err(format!(
                "column `{}` appears twice (columns {first} and {col})",
                field.name
            ))
            .field(&field.name));
        }
        if field.name == "email" {
            email_column = Some(col);
            columns.push(Column::Email);
        } else {
            columns.push(Column::Field(id));
        }
    }
    if let Some((col, first)) = unknown.first() {
        let writable = program
            .fields
            .iter()
            .filter(|f| !f.read_only)
            .map(|f| f.name.as_str());
        let message = if unknown.len() == 1 {
            format!(
                "unknown column {}{}",
                quote(first),
                suggestion(first, writable)
            )
        } else {
            let names: Vec<String> = unknown.iter().map(|(_, n)| quote(n)).collect();
            format!("unknown columns {}", names.join(", "))
        };
        let mut e = err(header_line, message).column(*col);
        e.unknown_columns = unknown.into_iter().map(|(_, n)| n).collect();
        return Err(e);
    }
    if email_column.is_none() {
        return Err(err(
            header_line,
            "missing `email` column (it identifies each person)".to_string(),
        ));
    }

    let tz = program.settings.time_zone;
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(csv_error)?;
        let line = lines.record_line(&row);
        if row.len() != columns.len() {
            return Err(err(
                line,
                format!(
                    "this row has {} cells but the header has {}",
                    row.len(),
                    columns.len()
                ),
            ));
        }
        let mut email = String::new();
        let mut values = Vec::with_capacity(columns.len().saturating_sub(1));
        for (i, (cell, column)) in row.iter().zip(&columns).enumerate() {
            let col = i as u64 + 1;
            let text = std::str::from_utf8(cell)
                .map_err(|_| err(line, "invalid UTF-8".to_string()).column(col))?;
            match column {
                Column::Email => {
                    let e = text.trim();
                    if e.is_empty() {
                        return Err(err(line, "the `email` cell is empty".to_string())
                            .column(col)
                            .field("email"));
                    }
                    if let Some(first) = emails.insert(e.to_lowercase(), line) {
                        return Err(err(
                            line,
                            format!("{} appears twice (first on line {first})", quote(e)),
                        )
                        .column(col)
                        .field("email"));
                    }
                    email = e.to_string();
                }
                Column::Field(id) => {
                    let field = &program.fields[id.index()];
                    let value = parse_cell(field.ty, text, tz).map_err(|m| {
                        err(line, format!("{m} (field `{}`)", field.name))
                            .column(col)
                            .field(&field.name)
                    })?;
                    values.push((*id, value));
                }
            }
        }
        out.push(PersonRecord {
            line,
            email,
            values,
        });
    }
    Ok(out)
}

/// Reads people given as a JSON array of objects (`camp serve`'s `POST /v1/people`), with the
/// rules of the people CSV: each object's members are field names (`email` required and unique
/// within the array, read-only fields refused), values as in events (`null` empties a field).
/// [`PersonRecord::line`] and the error's line are the object's 1-based position in the array.
///
/// The first problem aborts the whole array, so that nothing from a bad body is imported.
pub fn parse_people_json(
    program: &Program,
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<PersonRecord>, InputError> {
    let err = |item: u64, message: String| InputError::new(file_name, item, message);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        InputError::new(file_name, e.line() as u64, format!("unreadable JSON: {e}"))
    })?;
    let Value::Array(items) = value else {
        return Err(err(
            1,
            format!(
                "expected a JSON array of objects, found {}",
                describe(&value)
            ),
        ));
    };
    let tz = program.settings.time_zone;
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let n = i as u64 + 1;
        let Value::Object(obj) = item else {
            return Err(err(
                n,
                format!(
                    "object {n}: expected a JSON object, found {}",
                    describe(item)
                ),
            ));
        };
        let email = match obj.get("email") {
            Some(Value::String(e)) if !e.trim().is_empty() => e.trim().to_string(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(err(
                    n,
                    format!("object {n}: missing `email` (it identifies each person)"),
                )
                .field("email"))
            }
            Some(v) => {
                return Err(err(
                    n,
                    format!(
                        "object {n}: `email` must be a string, found {}",
                        describe(v)
                    ),
                )
                .field("email"))
            }
        };
        if let Some(first) = emails.insert(email.to_lowercase(), n) {
            return Err(err(
                n,
                format!(
                    "object {n}: {} appears twice (first in object {first})",
                    quote(&email)
                ),
            )
            .field("email"));
        }
        let mut values = Vec::with_capacity(obj.len().saturating_sub(1));
        for (key, v) in obj {
            let name = key.trim().to_ascii_lowercase();
            if name == "email" {
                continue;
            }
            let Some(id) = program.field(&name) else {
                let writable = program
                    .fields
                    .iter()
                    .filter(|f| !f.read_only)
                    .map(|f| f.name.as_str());
                return Err(err(
                    n,
                    format!(
                        "object {n}: unknown field {}{}",
                        quote(key),
                        suggestion(key, writable)
                    ),
                ));
            };
            let field = &program.fields[id.index()];
            if field.read_only {
                return Err(err(
                    n,
                    format!(
                        "object {n}: field `{}` is read-only and cannot be imported",
                        field.name
                    ),
                )
                .field(&field.name));
            }
            let value = json_value(field.ty, v, Some(tz)).map_err(|m| {
                err(n, format!("object {n}: {m} (field `{}`)", field.name)).field(&field.name)
            })?;
            values.push((id, value));
        }
        // Field order, as the CSV's column order gives a stable order of activities.
        values.sort_by_key(|(id, _)| id.0);
        out.push(PersonRecord {
            line: n,
            email,
            values,
        });
    }
    Ok(out)
}

/// Finds the line each CSV record starts on.
///
/// The csv crate's positions are where the reader stood before the record, which is before any
/// blank lines it skipped (and before the `\n` of a `\r\n`), so they are counted here instead.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line `record` starts on; records must be asked for in order.
    fn record_line(&mut self, record: &csv::ByteRecord) -> u64 {
        let Some(pos) = record.position() else {
            return self.line;
        };
        let mut start = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            let skipped = &self.bytes[self.offset..start];
            for (i, b) in skipped.iter().enumerate() {
                let ends_line = match b {
                    b'\n' => true,
                    // A lone `\r` ends a line; in `\r\n` the `\n` does.
                    b'\r' => self.bytes.get(self.offset + i + 1) != Some(&b'\n'),
                    _ => false,
                };
                self.line += u64::from(ends_line);
            }
            self.offset = start;
        }
        self.line
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// One validated line of an events file.
#[derive(Clone, Debug, PartialEq)]
pub struct InputEvent {
    /// Its line in the file (1-based): the tie-break when two events share an instant.
    pub line: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Whom it happened to.
    pub person: PersonRef,
    /// What happened.
    pub kind: EventKind,
}

/// The person an event is about; whether they exist is for the engine to check.
#[derive(Clone, Debug, PartialEq)]
pub enum PersonRef {
    /// A person id (≥ 1).
    Id(i64),
    /// An email address, trimmed (people are found by it ignoring case).
    Email(String),
    /// `person_created`: the new person's fields, `email` (never empty) included, in field
    /// order.
    New(Vec<(FieldId, Option<Scalar>)>),
}

/// What an input event says happened (LANGUAGE.md 9.2).
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// `fills_out_form`: the fields it sets, in field order.
    FillsOutForm {
        /// The form.
        form: FormId,
        /// The page it was on, if given.
        page: Option<PageId>,
        /// The fields the form submitted.
        fields: Vec<(FieldId, Option<Scalar>)>,
    },
    /// `visits_page`
    VisitsPage {
        /// The page.
        page: PageId,
    },
    /// `clicks_link_in_email`
    ClicksLink {
        /// The email.
        email: EmailId,
        /// The link's URL.
        link: String,
    },
    /// `opens_email`
    OpensEmail {
        /// The email.
        email: EmailId,
    },
    /// `email_delivered`
    EmailDelivered {
        /// The email.
        email: EmailId,
    },
    /// `email_bounced`
    EmailBounced {
        /// The email.
        email: EmailId,
    },
    /// `unsubscribes`
    Unsubscribes {
        /// The email whose link was used, if given.
        email: Option<EmailId>,
    },
    /// `data_changed`: the new values, in field order.
    DataChanged {
        /// The fields and their new values.
        fields: Vec<(FieldId, Option<Scalar>)>,
    },
    /// `person_created` (the fields are in [`PersonRef::New`]).
    PersonCreated,
    /// `event`: a custom event.
    Custom {
        /// The event type.
        event: EventId,
        /// The attributes given, typed as declared, in declaration order.
        data: Vec<(String, Option<Scalar>)>,
    },
    /// `request_campaign`
    RequestCampaign {
        /// The campaign requested.
        campaign: CampaignId,
    },
}

impl EventKind {
    /// The event's `type` in the events file.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::FillsOutForm { .. } => "fills_out_form",
            EventKind::VisitsPage { .. } => "visits_page",
            EventKind::ClicksLink { .. } => "clicks_link_in_email",
            EventKind::OpensEmail { .. } => "opens_email",
            EventKind::EmailDelivered { .. } => "email_delivered",
            EventKind::EmailBounced { .. } => "email_bounced",
            EventKind::Unsubscribes { .. } => "unsubscribes",
            EventKind::DataChanged { .. } => "data_changed",
            EventKind::PersonCreated => "person_created",
            EventKind::Custom { .. } => "event",
            EventKind::RequestCampaign { .. } => "request_campaign",
        }
    }
}

/// Every event type with the members it takes besides `at`, `type` and `person`.
const EVENT_TYPES: [(&str, &[&str]); 11] = [
    ("fills_out_form", &["form", "page", "fields"]),
    ("visits_page", &["page"]),
    ("clicks_link_in_email", &["email", "link"]),
    ("opens_email", &["email"]),
    ("email_delivered", &["email"]),
    ("email_bounced", &["email"]),
    ("unsubscribes", &["email"]),
    ("data_changed", &["fields"]),
    ("person_created", &[]),
    ("event", &["name", "data"]),
    ("request_campaign", &["campaign"]),
];

const COMMON_MEMBERS: [&str; 3] = ["at", "type", "person"];

/// Reads a whole events file: one JSON object per line, blank lines skipped.
///
/// The events are returned in file order, which need not be time order: the engine sorts them
/// stably by `(at, line)`. The first bad line rejects the file.
pub fn parse_events(
    program: &Program,
    file_name: &str,
    text: &str,
) -> Result<Vec<InputEvent>, InputError> {
    let mut out = Vec::new();
    read_event_lines(program, file_name, text.as_bytes(), |e, _| {
        out.push(e);
        Ok::<_, InputError>(())
    })?;
    Ok(out)
}

/// Reads an events file line by line, never whole: one JSON object per line, blank lines
/// skipped, a byte order mark allowed. Calls `f` with each event and its line's text, in file
/// order; the first bad line, unreadable line or error of `f` stops the reading.
pub fn read_event_lines<E: From<InputError>>(
    program: &Program,
    file_name: &str,
    reader: impl std::io::BufRead,
    f: impl FnMut(InputEvent, &str) -> Result<(), E>,
) -> Result<(), E> {
    read_event_lines_at(program, file_name, reader, None, f)
}

/// Like [`read_event_lines`], but an event without `at` happens at `default_at` when one is
/// given (`camp serve`: the moment it arrives).
pub fn read_event_lines_at<E: From<InputError>>(
    program: &Program,
    file_name: &str,
    mut reader: impl std::io::BufRead,
    default_at: Option<DateTime<Utc>>,
    mut f: impl FnMut(InputEvent, &str) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| {
            InputError::new(
                file_name,
                line_no + 1,
                format!("the file could not be read: {e}"),
            )
        })?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let text = std::str::from_utf8(&buf).map_err(|e| {
            InputError::new(
                file_name,
                line_no,
                format!("the line is not valid UTF-8 (byte {})", e.valid_up_to() + 1),
            )
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        let text = if line_no == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        if text.trim().is_empty() {
            continue;
        }
        let parser = EventParser {
            program,
            file: file_name,
            line: line_no,
        };
        f(parser.parse(text, default_at)?, text)?;
    }
}

/// Reads one line of an events file (line `line_no` of `file_name`, for messages).
pub fn parse_event_line(
    program: &Program,
    file_name: &str,
    line_no: u64,
    line: &str,
) -> Result<InputEvent, InputError> {
    EventParser {
        program,
        file: file_name,
        line: line_no,
    }
    .parse(line, None)
}

/// Like [`parse_event_line`], but an event without `at` happens at `default_at` (the REPL's
/// `:event` uses the store's clock).
pub fn parse_event_line_at(
    program: &Program,
    file_name: &str,
    line_no: u64,
    line: &str,
    default_at: DateTime<Utc>,
) -> Result<InputEvent, InputError> {
    EventParser {
        program,
        file: file_name,
        line: line_no,
    }
    .parse(line, Some(default_at))
}

struct EventParser<'a> {
    program: &'a Program,
    file: &'a str,
    line: u64,
}

impl EventParser<'_> {
    fn err(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.file, self.line, message)
    }

    fn parse(
        &self,
        line: &str,
        default_at: Option<DateTime<Utc>>,
    ) -> Result<InputEvent, InputError> {
        let value: Value = serde_json::from_str(line.trim_start_matches('\u{feff}'))
            .map_err(|e| self.json_error(&e))?;
        let Value::Object(obj) = value else {
            return Err(self.err(format!(
                "expected a JSON object, found {}",
                describe(&value)
            )));
        };
        let ty = match obj.get("type") {
            Some(Value::String(s)) => s.as_str(),
            Some(v) => {
                return Err(self.err(format!("`type` must be a string, found {}", describe(v))))
            }
            None => return Err(self.err("missing `type`")),
        };
        let Some((ty, members)) = EVENT_TYPES.iter().find(|(name, _)| *name == ty) else {
            return Err(self.err(format!(
                "unknown event type {}{}",
                quote(ty),
                suggestion(ty, EVENT_TYPES.iter().map(|(n, _)| *n))
            )));
        };
        for key in obj.keys() {
            if !COMMON_MEMBERS.contains(&key.as_str()) && !members.contains(&key.as_str()) {
                let allowed = COMMON_MEMBERS.iter().chain(members.iter()).copied();
                return Err(self.err(format!(
                    "unknown member {} in a `{ty}` event{}",
                    quote(key),
                    suggestion(key, allowed)
                )));
            }
        }
        let at = match obj.get("at") {
            Some(Value::String(s)) => instant(s, Some(self.program.settings.time_zone))
                .ok_or_else(|| self.err(format!("`at`: {}", not_a_date_time(s))))?,
            Some(v) => {
                return Err(self.err(format!(
                    "`at` must be a date-time string, found {}",
                    describe(v)
                )))
            }
            None => default_at.ok_or_else(|| self.err("missing `at`"))?,
        };
        let person = self.person(ty, obj.get("person"))?;
        let kind = self.kind(ty, &obj)?;
        Ok(InputEvent {
            line: self.line,
            at,
            person,
            kind,
        })
    }

    fn json_error(&self, e: &serde_json::Error) -> InputError {
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(i) => &text[..i],
            None => &text,
        };
        let mut err = self.err(format!("malformed JSON: {message}"));
        if e.column() > 0 {
            err = err.column(e.column() as u64);
        }
        err
    }

    fn person(&self, ty: &str, v: Option<&Value>) -> Result<PersonRef, InputError> {
        if ty == "person_created" {
            let Some(Value::Object(fields)) = v else {
                return Err(self.err(match v {
                    None => "missing `person` (an object of the new person's fields)".to_string(),
                    Some(v) => format!(
                        "`person` of a `person_created` event must be an object of fields, found {}",
                        describe(v)
                    ),
                }));
            };
            let fields = self.fields(fields, "person")?;
            let has_email = fields
                .iter()
                .any(|(id, v)| self.program.fields[id.index()].name == "email" && v.is_some());
            if !has_email {
                return Err(self.err("the new person needs an `email`").field("email"));
            }
            return Ok(PersonRef::New(fields));
        }
        match v {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(id) if id >= 1 => Ok(PersonRef::Id(id)),
                _ => Err(self.err(format!(
                    "`person` must be a person id (a whole number from 1) or an email, found {}",
                    describe(&Value::Number(n.clone()))
                ))),
            },
            Some(Value::String(s)) if !s.trim().is_empty() => {
                Ok(PersonRef::Email(s.trim().to_string()))
            }
            Some(Value::String(_)) => Err(self.err("`person` is an empty email")),
            Some(v) => Err(self.err(format!(
                "`person` must be a person id or an email, found {}",
                describe(v)
            ))),
            None => Err(self.err("missing `person` (a person id or an email)")),
        }
    }

    fn kind(&self, ty: &str, obj: &Map<String, Value>) -> Result<EventKind, InputError> {
        let p = self.program;
        Ok(match ty {
            "fills_out_form" => EventKind::FillsOutForm {
                form: FormId(self.asset(
                    obj,
                    "form",
                    "form",
                    p.forms.iter().map(|a| a.name.as_str()),
                )?),
                page: match self.opt_string(obj, "page")? {
                    Some(name) => Some(PageId(self.lookup(
                        "page",
                        name,
                        p.pages.iter().map(|a| a.name.as_str()),
                    )?)),
                    None => None,
                },
                fields: match self.opt_object(obj, "fields")? {
                    Some(fields) => self.fields(fields, "fields")?,
                    None => Vec::new(),
                },
            },
            "visits_page" => EventKind::VisitsPage {
                page: PageId(self.asset(
                    obj,
                    "page",
                    "page",
                    p.pages.iter().map(|a| a.name.as_str()),
                )?),
            },
            "clicks_link_in_email" => EventKind::ClicksLink {
                email: self.email(obj)?,
                link: match self.opt_string(obj, "link")? {
                    Some(link) => link.to_string(),
                    None => return Err(self.err("missing `link` (the URL clicked)")),
                },
            },
            "opens_email" => EventKind::OpensEmail {
                email: self.email(obj)?,
            },
            "email_delivered" => EventKind::EmailDelivered {
                email: self.email(obj)?,
            },
            "email_bounced" => EventKind::EmailBounced {
                email: self.email(obj)?,
            },
            "unsubscribes" => EventKind::Unsubscribes {
                email: match self.opt_string(obj, "email")? {
                    Some(name) => Some(EmailId(self.lookup(
                        "email",
                        name,
                        p.emails.iter().map(|e| e.name.as_str()),
                    )?)),
                    None => None,
                },
            },
            "data_changed" => match self.opt_object(obj, "fields")? {
                Some(fields) => EventKind::DataChanged {
                    fields: self.fields(fields, "fields")?,
                },
                None => return Err(self.err("missing `fields` (an object of field values)")),
            },
            "person_created" => EventKind::PersonCreated,
            "event" => {
                let event = self.asset(
                    obj,
                    "name",
                    "custom event",
                    p.events.iter().map(|e| e.name.as_str()),
                )?;
                let data = match self.opt_object(obj, "data")? {
                    Some(data) => self.attributes(EventId(event), data)?,
                    None => Vec::new(),
                };
                EventKind::Custom {
                    event: EventId(event),
                    data,
                }
            }
            "request_campaign" => EventKind::RequestCampaign {
                campaign: CampaignId(self.asset(
                    obj,
                    "campaign",
                    "campaign",
                    p.campaigns.iter().map(|c| c.name.as_str()),
                )?),
            },
            other => return Err(self.err(format!("unknown event type {}", quote(other)))),
        })
    }

    fn email(&self, obj: &Map<String, Value>) -> Result<EmailId, InputError> {
        let names = self.program.emails.iter().map(|e| e.name.as_str());
        Ok(EmailId(self.asset(obj, "email", "email", names)?))
    }

    /// A string member, `null` or absent being `None`.
    fn opt_string<'v>(
        &self,
        obj: &'v Map<String, Value>,
        member: &str,
    ) -> Result<Option<&'v str>, InputError> {
        match obj.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.err(format!(
                "`{member}` must be a string, found {}",
                describe(v)
            ))),
        }
    }

    /// An object member, `null` or absent being `None`.
    fn opt_object<'v>(
        &self,
        obj: &'v Map<String, Value>,
        member: &str,
    ) -> Result<Option<&'v Map<String, Value>>, InputError> {
        match obj.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(v) => Err(self.err(format!(
                "`{member}` must be an object, found {}",
                describe(v)
            ))),
        }
    }

    /// A required member naming an asset of some kind: its index.
    fn asset<'n>(
        &self,
        obj: &Map<String, Value>,
        member: &str,
        kind: &str,
        names: impl Iterator<Item = &'n str> + Clone,
    ) -> Result<u32, InputError> {
        match self.opt_string(obj, member)? {
            Some(name) => self.lookup(kind, name, names),
            None => Err(self.err(format!("missing `{member}` (the {kind}'s name)"))),
        }
    }

    /// The index of the asset called `name` (exactly).
    fn lookup<'n>(
        &self,
        kind: &str,
        name: &str,
        names: impl Iterator<Item = &'n str> + Clone,
    ) -> Result<u32, InputError> {
        match names.clone().position(|n| n == name) {
            Some(i) => Ok(i as u32),
            None => Err(self.err(format!(
                "unknown {kind} {}{}",
                quote(name),
                suggestion(name, names)
            ))),
        }
    }

    /// Person field values from a JSON object, in field order.
    fn fields(
        &self,
        obj: &Map<String, Value>,
        member: &str,
    ) -> Result<Vec<(FieldId, Option<Scalar>)>, InputError> {
        let program = self.program;
        let tz = Some(program.settings.time_zone);
        let mut out = Vec::with_capacity(obj.len());
        for (name, v) in obj {
            let Some(id) = program.field(name) else {
                let writable = program
                    .fields
                    .iter()
                    .filter(|f| !f.read_only)
                    .map(|f| f.name.as_str());
                return Err(self.err(format!(
                    "unknown field {} in `{member}`{}",
                    quote(name),
                    suggestion(name, writable)
                )));
            };
            let field = &program.fields[id.index()];
            if field.read_only {
                return Err(self.err(format!("field `{name}` is read-only")).field(name));
            }
            let mut value = json_value(field.ty, v, tz)
                .map_err(|m| self.err(format!("{m} (field `{name}`)")).field(name))?;
            if field.name == "email" {
                if let Some(Scalar::Text(e)) = &value {
                    value = text_value(e.trim());
                }
            }
            out.push((id, value));
        }
        out.sort_by_key(|(id, _)| *id);
        Ok(out)
    }

    /// A custom event's attributes, typed as declared, in declaration order.
    fn attributes(
        &self,
        event: EventId,
        obj: &Map<String, Value>,
    ) -> Result<Vec<(String, Option<Scalar>)>, InputError> {
        let def = &self.program.events[event.index()];
        let tz = Some(self.program.settings.time_zone);
        for name in obj.keys() {
            if !def.attributes.iter().any(|(a, _)| a == name) {
                return Err(self.err(format!(
                    "event `{}` has no attribute {}{}",
                    def.name,
                    quote(name),
                    suggestion(name, def.attributes.iter().map(|(a, _)| a.as_str()))
                )));
            }
        }
        let mut out = Vec::with_capacity(obj.len());
        for (name, ty) in &def.attributes {
            if let Some(v) = obj.get(name) {
                let value = json_value(*ty, v, tz)
                    .map_err(|m| self.err(format!("{m} (attribute `{name}`)")).field(name))?;
                out.push((name.clone(), value));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::check::ir::{
        Asset, Campaign, CampaignKind, Email, Event, Field, Filters, Qualify, Settings, Span,
        Template, BUILTIN_FIELDS,
    };

    fn template() -> Template {
        Template {
            parts: Vec::new(),
            span: Span::default(),
        }
    }

    fn asset(name: &str) -> Asset {
        Asset {
            name: name.to_string(),
            span: Span::default(),
        }
    }

    /// A small program, as the checker would produce it, in the given time zone.
    fn program_in(tz: Tz) -> Program {
        let mut fields: Vec<Field> = BUILTIN_FIELDS
            .iter()
            .map(|(name, ty, read_only)| Field {
                name: name.to_string(),
                ty: *ty,
                builtin: true,
                read_only: *read_only,
            })
            .collect();
        for (name, ty) in [
            ("first_name", FieldType::Text),
            ("state", FieldType::Text),
            ("employees", FieldType::Number),
            ("vip", FieldType::Bool),
            ("birthday", FieldType::Date),
            ("renewal_at", FieldType::DateTime),
        ] {
            fields.push(Field {
                name: name.to_string(),
                ty,
                builtin: false,
                read_only: false,
            });
        }
        Program {
            settings: Settings {
                time_zone: tz,
                ..Settings::default()
            },
            fields,
            lists: Vec::new(),
            emails: vec![Email {
                name: "Welcome".to_string(),
                subject: template(),
                body: template(),
                operational: false,
                span: Span::default(),
            }],
            forms: vec![asset("Contact Us")],
            pages: vec![asset("Pricing")],
            webhooks: Vec::new(),
            events: vec![Event {
                name: "trial_started".to_string(),
                attributes: vec![
                    ("plan".to_string(), FieldType::Text),
                    ("seats".to_string(), FieldType::Number),
                ],
                span: Span::default(),
            }],
            programs: Vec::new(),
            tokens: Vec::new(),
            smart_lists: Vec::new(),
            campaigns: vec![Campaign {
                name: "Sales alert".to_string(),
                kind: CampaignKind::Trigger,
                description: None,
                program: None,
                triggers: Vec::new(),
                filters: Filters::default(),
                flow: Vec::new(),
                schedule: None,
                active: true,
                qualify: Qualify::Once,
                block_non_operational: false,
                max_people: None,
                span: Span::default(),
            }],
            tests: Vec::new(),
        }
    }

    fn program() -> Program {
        program_in(chrono_tz::America::New_York)
    }

    fn fid(p: &Program, name: &str) -> FieldId {
        p.field(name).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn csv_err(text: &str) -> String {
        parse_people_csv(&program(), "people.csv", text.as_bytes())
            .unwrap_err()
            .to_string()
    }

    fn event_err(line: &str) -> String {
        parse_event_line(&program(), "events.jsonl", 3, line)
            .unwrap_err()
            .to_string()
    }

    // --- cells ---------------------------------------------------------------------------

    #[test]
    fn cells_of_every_type() {
        let tz = chrono_tz::UTC;
        let n = |t| parse_cell(FieldType::Number, t, tz);
        assert_eq!(n("12"), Ok(Some(Scalar::Number(12.0))));
        assert_eq!(n(" -3.5 "), Ok(Some(Scalar::Number(-3.5))));
        assert_eq!(n("1e5"), Ok(Some(Scalar::Number(100000.0))));
        assert_eq!(n(""), Ok(None));
        assert_eq!(n("abc"), Err("`abc` is not a number".to_string()));
        assert!(n("inf").is_err());
        assert!(n("NaN").is_err());
        assert!(n("1,000").is_err());
        assert!(n("1e400").is_err());

        let b = |t| parse_cell(FieldType::Bool, t, tz);
        for t in ["true", "TRUE", "Yes", "1"] {
            assert_eq!(b(t), Ok(Some(Scalar::Bool(true))), "{t}");
        }
        for t in ["false", "No", "0", "", "  "] {
            assert_eq!(b(t), Ok(Some(Scalar::Bool(false))), "{t}");
        }
        assert!(b("maybe").unwrap_err().contains("`maybe` is not a bool"));

        let d = |t| parse_cell(FieldType::Date, t, tz);
        assert_eq!(d("2026-02-28"), Ok(Some(Scalar::Date(date(2026, 2, 28)))));
        assert_eq!(d(""), Ok(None));
        for bad in [
            "2026-02-30",
            "2026-2-3",
            "02/03/2026",
            "2026-02-28x",
            "+2026-02-28",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }

        let t = |s| parse_cell(FieldType::Text, s, tz);
        assert_eq!(t("Ann"), Ok(Some(Scalar::Text("Ann".to_string()))));
        assert_eq!(t(" Ann "), Ok(Some(Scalar::Text(" Ann ".to_string()))));
        assert_eq!(t(""), Ok(None));

        let dt = |s| parse_cell(FieldType::DateTime, s, chrono_tz::America::New_York);
        let at = |s| Ok(Some(Scalar::DateTime(utc(s))));
        assert_eq!(dt("2026-12-01T10:00:00Z"), at("2026-12-01T10:00:00Z"));
        assert_eq!(dt("2026-12-01T10:00:00+01:00"), at("2026-12-01T09:00:00Z"));
        assert_eq!(dt("2026-12-01 09:00"), at("2026-12-01T14:00:00Z"));
        assert_eq!(dt("2026-12-01 09:00:30"), at("2026-12-01T14:00:30Z"));
        assert_eq!(dt("2026-12-01T09:00"), at("2026-12-01T14:00:00Z"));
        assert_eq!(dt("2026-12-01 09:00Z"), at("2026-12-01T09:00:00Z"));
        assert_eq!(dt("2026-12-01"), at("2026-12-01T05:00:00Z"));
        assert_eq!(dt(""), Ok(None));
        for bad in [
            "2026-12-01 25:00",
            "2026-12-01 9:00",
            "tomorrow",
            "2026-12-01 09:00+1",
        ] {
            assert!(dt(bad).unwrap_err().contains("is not a date-time"), "{bad}");
        }
    }

    #[test]
    fn local_times_across_daylight_saving() {
        let ny = chrono_tz::America::New_York;
        // 2026-03-08 02:30 does not exist in New York: the clocks jump to 03:00 EDT.
        assert_eq!(
            parse_instant("2026-03-08 02:30", ny),
            Some(utc("2026-03-08T07:00:00Z"))
        );
        assert_eq!(
            parse_instant("2026-03-08 03:00", ny),
            Some(utc("2026-03-08T07:00:00Z"))
        );
        // 2026-11-01 01:30 happens twice: the earlier (EDT) one.
        assert_eq!(
            parse_instant("2026-11-01 01:30", ny),
            Some(utc("2026-11-01T05:30:00Z"))
        );
        assert_eq!(
            parse_instant("2026-11-01T01:30:00-05:00", ny),
            Some(utc("2026-11-01T06:30:00Z"))
        );
        assert_eq!(
            parse_instant("2026-12-01T10:00:00.250Z", ny),
            Some(utc("2026-12-01T10:00:00.250Z"))
        );
        assert_eq!(parse_instant("2026-12-01 10:00:00.", ny), None);
    }

    #[test]
    fn inputs_read_local_times_in_the_script_zone() {
        let p = program();
        let people = parse_people_csv(
            &p,
            "people.csv",
            b"email,renewal_at\na@x.com,2026-03-08 02:30\nb@x.com,2026-11-01 01:30:00\n",
        )
        .unwrap();
        let at = |i: usize| people[i].values[0].1.clone();
        assert_eq!(at(0), Some(Scalar::DateTime(utc("2026-03-08T07:00:00Z"))));
        assert_eq!(at(1), Some(Scalar::DateTime(utc("2026-11-01T05:30:00Z"))));
        let e = parse_event_line(
            &p,
            "e.jsonl",
            1,
            r#"{"at":"2026-03-08 02:15","type":"visits_page","person":2,"page":"Pricing"}"#,
        )
        .unwrap();
        assert_eq!(e.at, utc("2026-03-08T07:00:00Z"));
        let utc_program = program_in(chrono_tz::UTC);
        let e = parse_event_line(
            &utc_program,
            "e.jsonl",
            1,
            r#"{"at":"2026-03-08 02:15","type":"visits_page","person":2,"page":"Pricing"}"#,
        )
        .unwrap();
        assert_eq!(e.at, utc("2026-03-08T02:15:00Z"));
    }

    #[test]
    fn json_values_of_every_type() {
        let j = |ty, s: &str| parse_json_value(ty, &serde_json::from_str(s).unwrap());
        assert_eq!(
            j(FieldType::Text, "\"Ann\""),
            Ok(Some(Scalar::Text("Ann".to_string())))
        );
        assert_eq!(j(FieldType::Text, "\"\""), Ok(None));
        assert_eq!(j(FieldType::Text, "null"), Ok(None));
        assert_eq!(
            j(FieldType::Text, "12"),
            Err("expected a string, found the number `12`".to_string())
        );
        assert_eq!(j(FieldType::Number, "5"), Ok(Some(Scalar::Number(5.0))));
        assert_eq!(j(FieldType::Number, "-2.5"), Ok(Some(Scalar::Number(-2.5))));
        assert_eq!(
            j(FieldType::Number, "\"5\""),
            Err("expected a number, found the string `\"5\"`".to_string())
        );
        assert_eq!(j(FieldType::Bool, "true"), Ok(Some(Scalar::Bool(true))));
        assert_eq!(j(FieldType::Bool, "null"), Ok(Some(Scalar::Bool(false))));
        assert!(j(FieldType::Bool, "\"yes\"").is_err());
        assert_eq!(
            j(FieldType::Date, "\"2026-01-31\""),
            Ok(Some(Scalar::Date(date(2026, 1, 31))))
        );
        assert!(j(FieldType::Date, "\"2026-02-30\"").is_err());
        assert_eq!(
            j(FieldType::DateTime, "\"2026-12-01T10:00:00Z\""),
            Ok(Some(Scalar::DateTime(utc("2026-12-01T10:00:00Z"))))
        );
        assert!(j(FieldType::DateTime, "\"2026-12-01 10:00\"")
            .unwrap_err()
            .contains("has no time zone"));
        assert!(j(FieldType::DateTime, "[1]").is_err());
    }

    // --- people CSV ----------------------------------------------------------------------

    #[test]
    fn reads_people() {
        let p = program();
        let text = "email,first_name,employees,vip,birthday,renewal_at,score,unsubscribed\n\
                    ann@example.com,Ann,12,yes,1990-05-17,2026-12-01 09:00,5,false\n\
                    \n\
                    \"bo@example.com\",\"Bo, Jr.\",,,,,,\n";
        let people = parse_people_csv(&p, "people.csv", text.as_bytes()).unwrap();
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].line, 2);
        assert_eq!(people[0].email, "ann@example.com");
        assert_eq!(
            people[0].values,
            vec![
                (fid(&p, "first_name"), Some(Scalar::Text("Ann".to_string()))),
                (fid(&p, "employees"), Some(Scalar::Number(12.0))),
                (fid(&p, "vip"), Some(Scalar::Bool(true))),
                (fid(&p, "birthday"), Some(Scalar::Date(date(1990, 5, 17)))),
                (
                    fid(&p, "renewal_at"),
                    Some(Scalar::DateTime(utc("2026-12-01T14:00:00Z")))
                ),
                (fid(&p, "score"), Some(Scalar::Number(5.0))),
                (fid(&p, "unsubscribed"), Some(Scalar::Bool(false))),
            ]
        );
        assert_eq!(people[1].line, 4);
        assert_eq!(
            people[1].values,
            vec![
                (
                    fid(&p, "first_name"),
                    Some(Scalar::Text("Bo, Jr.".to_string()))
                ),
                (fid(&p, "employees"), None),
                (fid(&p, "vip"), Some(Scalar::Bool(false))),
                (fid(&p, "birthday"), None),
                (fid(&p, "renewal_at"), None),
                (fid(&p, "score"), None),
                (fid(&p, "unsubscribed"), Some(Scalar::Bool(false))),
            ]
        );
    }

    #[test]
    fn header_only_is_no_people() {
        let people = parse_people_csv(&program(), "p.csv", b"email,first_name\n").unwrap();
        assert!(people.is_empty());
    }

    #[test]
    fn byte_order_mark_and_header_case() {
        let p = program();
        let text = "\u{feff}Email, First_Name\r\nann@example.com,Ann\r\n";
        let people = parse_people_csv(&p, "people.csv", text.as_bytes()).unwrap();
        assert_eq!(people[0].email, "ann@example.com");
        assert_eq!(
            people[0].values,
            vec![(fid(&p, "first_name"), Some(Scalar::Text("Ann".to_string())))]
        );
    }

    #[test]
    fn bad_cells_name_file_line_column_and_field() {
        let err = parse_people_csv(
            &program(),
            "people.csv",
            b"email,first_name,employees\na@x.com,A,3\nb@x.com,B,4\nc@x.com,C,abc\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "people.csv:4:3: `abc` is not a number (field `employees`)"
        );
        assert_eq!(err.field.as_deref(), Some("employees"));
        assert_eq!(
            csv_err("email,birthday\na@x.com,2026-02-30\n"),
            "people.csv:2:2: `2026-02-30` is not a valid date (field `birthday`)"
        );
        assert_eq!(
            csv_err("email,vip\na@x.com,maybe\n"),
            "people.csv:2:2: `maybe` is not a bool, expected true, false, yes, no, 1 or 0 (field `vip`)"
        );
        assert!(csv_err("email,renewal_at\na@x.com,soon\n")
            .starts_with("people.csv:2:2: `soon` is not a date-time"));
    }

    #[test]
    fn bad_headers() {
        assert_eq!(
            csv_err("email,frist_name\na@x.com,A\n"),
            "people.csv:1:2: unknown column `frist_name`; did you mean `first_name`?"
        );
        assert_eq!(
            csv_err("first_name\nAnn\n"),
            "people.csv:1: missing `email` column (it identifies each person)"
        );
        assert_eq!(
            csv_err("email,id\na@x.com,4\n"),
            "people.csv:1:2: column `id` is read-only and cannot be imported"
        );
        assert!(csv_err("email,created_at\n").contains("read-only"));
        assert!(csv_err("email,updated_at\n").contains("read-only"));
        assert_eq!(
            csv_err("email,vip,Vip\n"),
            "people.csv:1:3: column `vip` appears twice (columns 2 and 3)"
        );
        assert_eq!(
            csv_err("email,,vip\n"),
            "people.csv:1:2: column 2 has no name"
        );
    }

    #[test]
    fn emails_present_and_unique() {
        assert_eq!(
            csv_err("first_name,email\nAnn,ann@x.com\nBo,ANN@x.com\n"),
            "people.csv:3:2: `ANN@x.com` appears twice (first on line 2)"
        );
        assert_eq!(
            csv_err("email,first_name\n  ,Ann\n"),
            "people.csv:2:1: the `email` cell is empty"
        );
    }

    #[test]
    fn ragged_rows_empty_files_and_bad_bytes() {
        assert_eq!(
            csv_err("email,first_name\na@x.com,A\nb@x.com\n"),
            "people.csv:3: this row has 1 cells but the header has 2"
        );
        assert_eq!(
            csv_err(""),
            "people.csv:1: the file is empty (expected a header row of field names)"
        );
        assert_eq!(
            parse_people_csv(&program(), "people.csv", b"\xEF\xBB\xBF")
                .unwrap_err()
                .line,
            1
        );
        let err = parse_people_csv(&program(), "p.csv", b"email,first_name\na@x.com,\xff\xfe\n")
            .unwrap_err();
        assert_eq!(err.to_string(), "p.csv:2:2: invalid UTF-8");
        assert_eq!(
            csv_err("\r\nemail,vip\r\n\r\na@x.com,no\r\n\n\rb@x.com,maybe\r\n"),
            "people.csv:7:2: `maybe` is not a bool, expected true, false, yes, no, 1 or 0 (field `vip`)"
        );
        assert_eq!(
            csv_err("\n\nfirst_name\n"),
            "people.csv:3: missing `email` column (it identifies each person)"
        );
        // A quoted cell may span lines; the next row's line is still right.
        let err = csv_err("email,first_name\na@x.com,\"two\nlines\"\nb@x.com,B,extra\n");
        assert!(err.starts_with("people.csv:4:"), "{err}");
    }

    // --- events --------------------------------------------------------------------------

    const CONTRACT_EVENTS: &str = r#"{"at":"2026-12-01T10:00:00Z","type":"fills_out_form","person":"ann@example.com","form":"Contact Us","page":"Pricing","fields":{"first_name":"Ann","state":"CA"}}
{"at":"2026-12-01T10:05:00Z","type":"visits_page","person":17,"page":"Pricing"}
{"at":"2026-12-01T10:06:00Z","type":"clicks_link_in_email","person":17,"email":"Welcome","link":"https://acme.example/pricing"}
{"at":"2026-12-01T10:07:00Z","type":"opens_email","person":17,"email":"Welcome"}
{"at":"2026-12-01T10:08:00Z","type":"email_delivered","person":17,"email":"Welcome"}
{"at":"2026-12-01T10:09:00Z","type":"email_bounced","person":17,"email":"Welcome"}
{"at":"2026-12-01T10:10:00Z","type":"unsubscribes","person":17,"email":"Welcome"}
{"at":"2026-12-01T10:11:00Z","type":"data_changed","person":17,"fields":{"state":"NY"}}
{"at":"2026-12-01T10:12:00Z","type":"person_created","person":{"email":"bo@example.com","state":"TX"}}
{"at":"2026-12-01T10:13:00Z","type":"event","name":"trial_started","person":17,"data":{"plan":"pro","seats":5}}
{"at":"2026-12-01T10:14:00Z","type":"request_campaign","person":17,"campaign":"Sales alert"}
"#;

    #[test]
    fn every_event_type_of_the_contract() {
        let p = program();
        let events = parse_events(&p, "events.jsonl", CONTRACT_EVENTS).unwrap();
        let text = |s: &str| Some(Scalar::Text(s.to_string()));
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::FillsOutForm {
                    form: FormId(0),
                    page: Some(PageId(0)),
                    fields: vec![
                        (fid(&p, "first_name"), text("Ann")),
                        (fid(&p, "state"), text("CA")),
                    ],
                },
                EventKind::VisitsPage { page: PageId(0) },
                EventKind::ClicksLink {
                    email: EmailId(0),
                    link: "https://acme.example/pricing".to_string(),
                },
                EventKind::OpensEmail { email: EmailId(0) },
                EventKind::EmailDelivered { email: EmailId(0) },
                EventKind::EmailBounced { email: EmailId(0) },
                EventKind::Unsubscribes {
                    email: Some(EmailId(0)),
                },
                EventKind::DataChanged {
                    fields: vec![(fid(&p, "state"), text("NY"))],
                },
                EventKind::PersonCreated,
                EventKind::Custom {
                    event: EventId(0),
                    data: vec![
                        ("plan".to_string(), text("pro")),
                        ("seats".to_string(), Some(Scalar::Number(5.0))),
                    ],
                },
                EventKind::RequestCampaign {
                    campaign: CampaignId(0),
                },
            ]
        );
        let names: Vec<&str> = kinds.iter().map(EventKind::type_name).collect();
        assert_eq!(
            names,
            EVENT_TYPES.iter().map(|(n, _)| *n).collect::<Vec<_>>()
        );
        assert_eq!(
            events[0].person,
            PersonRef::Email("ann@example.com".to_string())
        );
        assert_eq!(events[1].person, PersonRef::Id(17));
        assert_eq!(
            events[8].person,
            PersonRef::New(vec![
                (fid(&p, "email"), text("bo@example.com")),
                (fid(&p, "state"), text("TX")),
            ])
        );
        assert_eq!(events[10].at, utc("2026-12-01T10:14:00Z"));
        let lines: Vec<u64> = events.iter().map(|e| e.line).collect();
        assert_eq!(lines, (1..=11).collect::<Vec<_>>());
    }

    #[test]
    fn blank_lines_skipped_and_any_order() {
        let text = "\n{\"at\":\"2026-12-02 09:00\",\"type\":\"visits_page\",\"person\":1,\"page\":\"Pricing\"}\n   \n\
                    {\"at\":\"2026-12-01T00:00:00Z\",\"type\":\"unsubscribes\",\"person\":\" Ann@x.com \"}\n";
        let events = parse_events(&program(), "e.jsonl", text).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].line, 2);
        assert_eq!(events[0].at, utc("2026-12-02T14:00:00Z"));
        assert_eq!(events[1].line, 4);
        assert_eq!(events[1].person, PersonRef::Email("Ann@x.com".to_string()));
        assert_eq!(events[1].kind, EventKind::Unsubscribes { email: None });
    }

    #[test]
    fn optional_at_for_the_repl() {
        let now = utc("2026-12-05T12:00:00Z");
        let e = parse_event_line_at(
            &program(),
            ":event",
            1,
            r#"{"type":"visits_page","person":1,"page":"Pricing"}"#,
            now,
        )
        .unwrap();
        assert_eq!(e.at, now);
        assert_eq!(
            event_err(r#"{"type":"visits_page","person":1,"page":"Pricing"}"#),
            "events.jsonl:3: missing `at`"
        );
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(
            event_err(r#"{"at":"2026-12-01T10:00:00Z","type":"visits_page""#),
            "events.jsonl:3:49: malformed JSON: EOF while parsing an object"
        );
        assert!(event_err("{'at': 1}")
            .starts_with("events.jsonl:3:2: malformed JSON: key must be a string"));
        assert_eq!(
            event_err("[1, 2]"),
            "events.jsonl:3: expected a JSON object, found an array"
        );
        assert_eq!(event_err("{}"), "events.jsonl:3: missing `type`");
        assert_eq!(
            event_err(r#"{"type":"visit_page","person":1,"at":"2026-12-01T10:00:00Z"}"#),
            "events.jsonl:3: unknown event type `visit_page`; did you mean `visits_page`?"
        );
        assert_eq!(
            event_err(
                r#"{"type":"visits_page","person":1,"at":"2026-12-01T10:00:00Z","pgae":"Pricing"}"#
            ),
            "events.jsonl:3: unknown member `pgae` in a `visits_page` event; did you mean `page`?"
        );
        assert_eq!(
            event_err(r#"{"type":"visits_page","person":1,"at":"yesterday","page":"Pricing"}"#),
            "events.jsonl:3: `at`: `yesterday` is not a date-time, expected RFC 3339 or YYYY-MM-DD HH:MM[:SS]"
        );
        assert_eq!(
            event_err(r#"{"type":"visits_page","person":1,"at":"2026-12-01T10:00:00Z"}"#),
            "events.jsonl:3: missing `page` (the page's name)"
        );
        assert_eq!(
            event_err(r#"{"type":"visits_page","person":1,"at":"2026-12-01T10:00:00Z","page":7}"#),
            "events.jsonl:3: `page` must be a string, found the number `7`"
        );
        assert_eq!(
            event_err(
                r#"{"type":"clicks_link_in_email","person":1,"at":"2026-12-01T10:00:00Z","email":"Welcome"}"#
            ),
            "events.jsonl:3: missing `link` (the URL clicked)"
        );
        assert_eq!(
            event_err(r#"{"type":"data_changed","person":1,"at":"2026-12-01T10:00:00Z"}"#),
            "events.jsonl:3: missing `fields` (an object of field values)"
        );
    }

    #[test]
    fn unknown_assets_with_suggestions() {
        let at = r#""at":"2026-12-01T10:00:00Z","person":1"#;
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"fills_out_form","form":"Contact us"}}"#
            )),
            "events.jsonl:3: unknown form `Contact us`; did you mean `Contact Us`?"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"fills_out_form","form":"Contact Us","page":"Pricng"}}"#
            )),
            "events.jsonl:3: unknown page `Pricng`; did you mean `Pricing`?"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"opens_email","email":"Welcom"}}"#
            )),
            "events.jsonl:3: unknown email `Welcom`; did you mean `Welcome`?"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"request_campaign","campaign":"Sales Alert"}}"#
            )),
            "events.jsonl:3: unknown campaign `Sales Alert`; did you mean `Sales alert`?"
        );
        assert_eq!(
            event_err(&format!(r#"{{{at},"type":"event","name":"trial_start"}}"#)),
            "events.jsonl:3: unknown custom event `trial_start`; did you mean `trial_started`?"
        );
        assert_eq!(
            event_err(&format!(r#"{{{at},"type":"email_bounced","email":"Zzz"}}"#)),
            "events.jsonl:3: unknown email `Zzz`"
        );
    }

    #[test]
    fn field_and_attribute_values() {
        let at = r#""at":"2026-12-01T10:00:00Z","person":1"#;
        let err = parse_event_line(
            &program(),
            "e.jsonl",
            9,
            &format!(r#"{{{at},"type":"data_changed","fields":{{"employees":"many"}}}}"#),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.jsonl:9: expected a number, found the string `\"many\"` (field `employees`)"
        );
        assert_eq!(err.field.as_deref(), Some("employees"));
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"data_changed","fields":{{"id":3}}}}"#
            )),
            "events.jsonl:3: field `id` is read-only"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"data_changed","fields":{{"frist_name":"A"}}}}"#
            )),
            "events.jsonl:3: unknown field `frist_name` in `fields`; did you mean `first_name`?"
        );
        assert_eq!(
            event_err(&format!(r#"{{{at},"type":"data_changed","fields":[1]}}"#)),
            "events.jsonl:3: `fields` must be an object, found an array"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"event","name":"trial_started","data":{{"seats":"5"}}}}"#
            )),
            "events.jsonl:3: expected a number, found the string `\"5\"` (attribute `seats`)"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{at},"type":"event","name":"trial_started","data":{{"plans":"pro"}}}}"#
            )),
            "events.jsonl:3: event `trial_started` has no attribute `plans`; did you mean `plan`?"
        );
        let p = program();
        let e = parse_event_line(
            &p,
            "e.jsonl",
            1,
            &format!(
                r#"{{{at},"type":"data_changed","fields":{{"vip":true,"birthday":"1990-05-17","renewal_at":"2027-01-01 09:00","first_name":null,"score":7}}}}"#
            ),
        )
        .unwrap();
        assert_eq!(
            e.kind,
            EventKind::DataChanged {
                fields: vec![
                    (fid(&p, "score"), Some(Scalar::Number(7.0))),
                    (fid(&p, "first_name"), None),
                    (fid(&p, "vip"), Some(Scalar::Bool(true))),
                    (fid(&p, "birthday"), Some(Scalar::Date(date(1990, 5, 17)))),
                    (
                        fid(&p, "renewal_at"),
                        Some(Scalar::DateTime(utc("2027-01-01T14:00:00Z")))
                    ),
                ]
            }
        );
    }

    #[test]
    fn people_in_events() {
        let tail = r#""at":"2026-12-01T10:00:00Z","type":"visits_page","page":"Pricing""#;
        for bad in ["0", "-4", "1.5", "true", "[]", "\"  \""] {
            let err = event_err(&format!(r#"{{{tail},"person":{bad}}}"#));
            assert!(err.contains("`person`"), "{bad}: {err}");
        }
        assert_eq!(
            event_err(&format!("{{{tail}}}")),
            "events.jsonl:3: missing `person` (a person id or an email)"
        );
        let created = r#""at":"2026-12-01T10:00:00Z","type":"person_created""#;
        assert!(event_err(&format!(r#"{{{created},"person":17}}"#))
            .contains("must be an object of fields"));
        assert_eq!(
            event_err(&format!(r#"{{{created},"person":{{"state":"TX"}}}}"#)),
            "events.jsonl:3: the new person needs an `email`"
        );
        assert_eq!(
            event_err(&format!(r#"{{{created},"person":{{"email":" "}}}}"#)),
            "events.jsonl:3: the new person needs an `email`"
        );
        assert_eq!(
            event_err(&format!(
                r#"{{{created},"person":{{"email":"a@x.com","created_at":"2026-12-01T10:00:00Z"}}}}"#
            )),
            "events.jsonl:3: field `created_at` is read-only"
        );
    }

    #[test]
    fn error_display() {
        let e = InputError::new("f.csv", 4, "bad").column(3).field("x");
        assert_eq!(e.to_string(), "f.csv:4:3: bad");
        assert_eq!(
            InputError::new("f.csv", 4, "bad").to_string(),
            "f.csv:4: bad"
        );
    }

    /// A small deterministic generator, so the test needs no extra crate.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn no_input_panics() {
        let p = program();
        let mut rng = Lcg(42);
        let csv_alphabet: &[u8] = b"email,first_name,employees,vip,birthday,renewal_at,id\n\r\"\xEF\xBB\xBF\xff 0123456789-:T.Zyes";
        let valid_csv =
            "email,employees,vip,birthday,renewal_at\na@x.com,3,yes,2026-01-01,2026-03-08 02:30\n";
        for round in 0..400 {
            let len = rng.below(120);
            let bytes: Vec<u8> = if round % 2 == 0 {
                (0..len)
                    .map(|_| csv_alphabet[rng.below(csv_alphabet.len())])
                    .collect()
            } else {
                (0..len).map(|_| rng.next() as u8).collect()
            };
            let _ = parse_people_csv(&p, "fuzz.csv", &bytes);
            let cut = rng.below(valid_csv.len() + 1);
            let _ = parse_people_csv(&p, "fuzz.csv", &valid_csv.as_bytes()[..cut]);
            let _ = parse_events(&p, "fuzz.jsonl", &String::from_utf8_lossy(&bytes));
        }
        let lines: Vec<&str> = CONTRACT_EVENTS.lines().collect();
        for round in 0..600 {
            let line = lines[round % lines.len()];
            let mut chars: Vec<char> = line.chars().collect();
            chars.truncate(rng.below(chars.len() + 1));
            let truncated: String = chars.iter().collect();
            let _ = parse_events(&p, "fuzz.jsonl", &truncated);
            // Replace one character with something unexpected.
            let mut chars: Vec<char> = line.chars().collect();
            let i = rng.below(chars.len());
            chars[i] = ['"', '{', '}', ':', ',', '1', 'x', ' ', '\u{feff}', 'é'][rng.below(10)];
            let mutated: String = chars.iter().collect();
            let _ = parse_event_line(&p, "fuzz.jsonl", 1, &mutated);
        }
        for s in [
            "2026-03-08 02:30:60",
            "9999-12-31 23:59",
            "0000-01-01 00:00",
            "2026-12-01T10:00:00.1234567890Z",
            "2026-12-01 10:00+99:00",
            "2026-12-01 10:00é",
            "é026-12-01",
        ] {
            let _ = parse_instant(s, chrono_tz::Pacific::Apia);
            let _ = parse_cell(FieldType::DateTime, s, chrono_tz::America::New_York);
        }
    }
}
