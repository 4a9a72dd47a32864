//! Values between camp and PostgreSQL: field values bound as parameters ([`PgValue`]) and read
//! back from the people table's columns ([`PgRead`]).

use std::error::Error;

use bytes::BytesMut;
use chrono::NaiveDate;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

use crate::check::ir::{FieldType, Scalar};

/// A value bound as a parameter: converted to the type of the column it meets.
#[derive(Clone, Debug, PartialEq)]
pub enum PgValue {
    /// SQL `NULL`, of any type.
    Null,
    /// Text.
    Text(String),
    /// A number (a `double precision` column, or a `bigint` one rounded).
    Real(f64),
    /// An integer (an instant in seconds, a count).
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A day.
    Date(NaiveDate),
}

impl PgValue {
    /// A field's value as the store keeps it: instants as seconds.
    pub fn of(value: Option<&Scalar>) -> PgValue {
        match value {
            None => PgValue::Null,
            Some(Scalar::Text(s)) => PgValue::Text(s.clone()),
            Some(Scalar::Number(n)) => PgValue::Real(*n),
            Some(Scalar::Bool(b)) => PgValue::Bool(*b),
            Some(Scalar::Date(d)) => PgValue::Date(*d),
            Some(Scalar::DateTime(t)) => PgValue::Int(t.timestamp()),
        }
    }
}

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for PgValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            PgValue::Null => Ok(IsNull::Yes),
            PgValue::Text(s) => s.to_sql(ty, out),
            PgValue::Bool(b) => b.to_sql(ty, out),
            PgValue::Date(d) => d.to_sql(ty, out),
            PgValue::Real(r) => match *ty {
                Type::INT8 => (*r as i64).to_sql(ty, out),
                Type::INT4 => (*r as i32).to_sql(ty, out),
                _ => r.to_sql(ty, out),
            },
            PgValue::Int(i) => match *ty {
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A column read back, whatever its type.
#[derive(Clone, Debug, PartialEq)]
pub enum PgRead {
    /// `NULL`.
    Null,
    /// Text.
    Text(String),
    /// A floating-point number.
    Real(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A day.
    Date(NaiveDate),
}

impl<'a> FromSql<'a> for PgRead {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<PgRead, BoxError> {
        Ok(match *ty {
            Type::INT8 => PgRead::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => PgRead::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => PgRead::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::FLOAT8 => PgRead::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => PgRead::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::BOOL => PgRead::Bool(bool::from_sql(ty, raw)?),
            Type::DATE => PgRead::Date(NaiveDate::from_sql(ty, raw)?),
            _ => PgRead::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<PgRead, BoxError> {
        Ok(PgRead::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::FLOAT8
                | Type::FLOAT4
                | Type::BOOL
                | Type::DATE
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
        )
    }
}

/// The value of a field of type `ty` read as `v` (as the SQLite store decodes its values: an
/// empty boolean is false).
pub fn decode(ty: FieldType, v: PgRead) -> Option<Scalar> {
    match (ty, v) {
        (FieldType::Bool, PgRead::Null) => Some(Scalar::Bool(false)),
        (_, PgRead::Null) => None,
        (FieldType::Text, PgRead::Text(t)) => Some(Scalar::Text(t)),
        (FieldType::Number, PgRead::Real(r)) => Some(Scalar::Number(r)),
        (FieldType::Number, PgRead::Int(i)) => Some(Scalar::Number(i as f64)),
        (FieldType::Bool, PgRead::Bool(b)) => Some(Scalar::Bool(b)),
        (FieldType::Bool, PgRead::Int(i)) => Some(Scalar::Bool(i != 0)),
        (FieldType::Date, PgRead::Date(d)) => Some(Scalar::Date(d)),
        (FieldType::DateTime, PgRead::Int(i)) => {
            chrono::DateTime::from_timestamp(i, 0).map(Scalar::DateTime)
        }
        (FieldType::Text, PgRead::Int(i)) => Some(Scalar::Text(i.to_string())),
        (FieldType::Text, PgRead::Real(r)) => Some(Scalar::Text(r.to_string())),
        _ => None,
    }
}

/// The PostgreSQL type of a field's column.
pub fn column_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "TEXT",
        FieldType::Number => "DOUBLE PRECISION",
        FieldType::Bool => "BOOLEAN",
        FieldType::Date => "DATE",
        FieldType::DateTime => "BIGINT",
    }
}
