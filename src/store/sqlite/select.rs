//! Smart-list selection in SQLite's SQL (`camp people --where`, batch qualification): the
//! backend-neutral translation of [`crate::cond::pushdown`] rendered as a `WHERE` clause over the
//! `people` table, every value bound as a parameter.
//!
//! Every rendered atom is two-valued (never NULL), so that `NOT` is exact. The rendering relies
//! on how this store writes values: text in TEXT columns (the empty string and NULL are both
//! empty), numbers in REAL columns, booleans and date-times as integers, dates as `YYYY-MM-DD`
//! text with a four-digit year (which sorts as the dates do).
//!
//! Case-insensitive text tests: Rust's `to_lowercase` folds Unicode while SQLite's `lower()`
//! and `LIKE` fold ASCII only. For a needle that is ASCII after lowering, `LIKE` (which folds
//! ASCII case) is exact on every value except those holding one of the two characters whose
//! lower case contains ASCII, the Kelvin sign `K` (→ `k`) and `İ` (→ `i` + U+0307); those values
//! are matched again after replacing the two by their lower case (a unit test checks that no
//! other character lowers to ASCII). A needle with other characters uses `camp_lower()`, a SQL
//! function registered on the connection that is Rust's `to_lowercase`.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;

use crate::check::ir::{Count, FieldId, FieldType, Filters, Program};
use crate::cond::pushdown::{
    needs_unicode_recheck, pairs, pushdown, Atom, Kind, Node, Set, TextOp, Value,
};

/// The most parameters a plan binds (SQLite allows 32,766).
const MAX_PARAMS: usize = 16_000;
/// Longer `LIKE` patterns are refused by SQLite (50,000 bytes); such needles use `camp_lower`.
const MAX_LIKE_PATTERN: usize = 10_000;

/// Registers `camp_lower(text)`: Rust's `to_lowercase` (NULL stays NULL).
pub(super) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "camp_lower",
        1,
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).to_lowercase()),
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(r) => Some(r.to_string()),
                ValueRef::Blob(_) | ValueRef::Null => None,
            })
        },
    )
}

/// The `WHERE` clause of a selection.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The clause (without `WHERE`).
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<SqlValue>,
    /// Whether it selects exactly the people the filters hold for; otherwise a superset, to
    /// filter again in memory.
    pub exact: bool,
}

/// The plan selecting the people for whom `filters` hold at `now`. `columns` are the people
/// table's column names and types per field of `program`.
pub fn plan(
    program: &Program,
    columns: &[(String, FieldType)],
    filters: &Filters,
    now: i64,
) -> Plan {
    let has_column =
        |f: FieldId, ty: FieldType| columns.get(f.index()).is_some_and(|(_, t)| *t == ty);
    let selection = pushdown(program, &has_column, filters, now);
    let everyone = |exact| Plan {
        sql: "1".into(),
        params: Vec::new(),
        exact,
    };
    match selection.over.kind {
        Kind::True => everyone(selection.exact),
        Kind::False => Plan {
            sql: "0".into(),
            params: Vec::new(),
            exact: selection.exact,
        },
        _ => {
            let mut params = Vec::new();
            let sql = Renderer { columns }.node(&selection.over, &mut params);
            if params.len() <= MAX_PARAMS {
                Plan {
                    sql,
                    params,
                    exact: selection.exact,
                }
            } else {
                everyone(false)
            }
        }
    }
}

/// Writes predicates as SQLite's SQL.
struct Renderer<'a> {
    columns: &'a [(String, FieldType)],
}

impl Renderer<'_> {
    fn node(&self, node: &Node, params: &mut Vec<SqlValue>) -> String {
        match &node.kind {
            Kind::True => "1".into(),
            Kind::False => "0".into(),
            Kind::Atom(a) => self.atom(a, params),
            Kind::Not(n) => format!("NOT ({})", self.node(n, params)),
            Kind::All(items) => self.join(items, "AND", params),
            Kind::Any(items) => self.join(items, "OR", params),
        }
    }

    /// `items` joined by `op` as a balanced tree (SQLite parses `a AND b AND c` as a chain as
    /// deep as it is long).
    fn join(&self, items: &[Node], op: &str, params: &mut Vec<SqlValue>) -> String {
        let rendered = items.iter().map(|n| self.node(n, params)).collect();
        pairs(rendered, |a, b| format!("({a} {op} {b})")).unwrap_or_else(|| "1".into())
    }

    /// The column of `field`, quoted.
    fn col(&self, field: FieldId) -> String {
        let name = self
            .columns
            .get(field.index())
            .map_or("", |(n, _)| n.as_str());
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn atom(&self, atom: &Atom, params: &mut Vec<SqlValue>) -> String {
        match atom {
            Atom::IsNull(f) => format!("{} IS NULL", self.col(*f)),
            Atom::TextEmpty(f) => {
                let col = self.col(*f);
                format!("({col} IS NULL OR {col} = '')")
            }
            Atom::IsTrue(f) => format!("ifnull({}, 0) <> 0", self.col(*f)),
            Atom::Compare {
                field,
                op,
                value,
                or_empty,
            } => {
                let col = self.col(*field);
                params.push(sql_value(value));
                let op = op.sql();
                if *or_empty {
                    format!("({col} IS NULL OR {col} {op} ?)")
                } else {
                    format!("({col} IS NOT NULL AND {col} {op} ?)")
                }
            }
            Atom::Between { field, lo, hi } => {
                let col = self.col(*field);
                params.push(sql_value(lo));
                params.push(sql_value(hi));
                format!("({col} IS NOT NULL AND {col} BETWEEN ? AND ?)")
            }
            Atom::OneOf { field, values } => {
                let col = self.col(*field);
                params.extend(values.iter().map(sql_value));
                let marks = vec!["?"; values.len()].join(", ");
                format!("({col} IS NOT NULL AND {col} IN ({marks}))")
            }
            Atom::Text { field, op, needle } => {
                let col = self.col(*field);
                let test = if needle.is_ascii() && needle.len() <= MAX_LIKE_PATTERN {
                    ascii_match(&col, *op, needle, params)
                } else {
                    unicode_match(&col, *op, needle, params)
                };
                format!("({col} IS NOT NULL AND {test})")
            }
            Atom::Member { set, name, status } => {
                let (table, key) = match set {
                    Set::List => ("list_members", "list"),
                    Set::Program => ("program_members", "program"),
                    Set::Campaign => ("campaign_members", "campaign"),
                };
                params.push(SqlValue::Text(name.clone()));
                let extra = match status {
                    Some(s) => {
                        params.push(SqlValue::Text(s.clone()));
                        " AND status = ?"
                    }
                    None => "",
                };
                format!("people.id IN (SELECT person FROM {table} WHERE {key} = ?{extra})")
            }
            Atom::History {
                types,
                asset,
                from,
                to,
                count,
            } => history(types, asset.as_deref(), *from, *to, *count, params),
        }
    }
}

/// A value as this store writes it: dates as `YYYY-MM-DD` text.
fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Date(d) => SqlValue::Text(d.format("%Y-%m-%d").to_string()),
    }
}

/// How many of the person's succeeded activities of `types` (on `asset`) lie between `from` and
/// `to`, compared with `count`, read no further than decides the verdict.
fn history(
    types: &[&str],
    asset: Option<&str>,
    from: i64,
    to: i64,
    count: Count,
    params: &mut Vec<SqlValue>,
) -> String {
    // The log holds names as keys into `names`, and `succeeded` as 0.
    let mut sql = String::from(
        "SELECT 1 FROM activities WHERE person = people.id AND type IN (SELECT id FROM names WHERE name IN (",
    );
    for (i, k) in types.iter().enumerate() {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
        params.push(SqlValue::Text(k.to_string()));
    }
    sql.push_str("))");
    if let Some(asset) = asset {
        sql.push_str(" AND primary_value = (SELECT id FROM names WHERE name = ?)");
        params.push(SqlValue::Text(asset.to_string()));
    }
    sql.push_str(" AND at >= ? AND at <= ? AND result = 0");
    params.push(SqlValue::Integer(from));
    params.push(SqlValue::Integer(to));
    let mut counted = |cmp: &str, n: u32| -> String {
        params.push(SqlValue::Integer(i64::from(n) + 1));
        params.push(SqlValue::Integer(i64::from(n)));
        format!("(SELECT count(*) FROM ({sql} LIMIT ?)) {cmp} ?")
    };
    match count {
        Count::AtLeast(n) if n <= 1 => format!("EXISTS ({sql})"),
        Count::AtLeast(n) => counted(">=", n),
        Count::AtMost(0) | Count::Exactly(0) => format!("NOT EXISTS ({sql})"),
        Count::AtMost(n) => counted("<=", n),
        Count::Exactly(n) => counted("=", n),
    }
}

/// An ASCII needle: `LIKE` folds ASCII case, and values holding `K` or `İ` are compared again
/// with those two replaced by their lower case.
fn ascii_match(col: &str, op: TextOp, needle: &str, params: &mut Vec<SqlValue>) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    if op == TextOp::Contains {
        pattern.push('%');
    }
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    if op != TextOp::Is {
        pattern.push('%');
    }
    if !needs_unicode_recheck(needle) {
        if op == TextOp::Is {
            // `NOCASE` folds ASCII as `LIKE` does, without a pattern to match.
            params.push(SqlValue::Text(needle.to_string()));
            return format!("{col} = ? COLLATE NOCASE");
        }
        params.push(SqlValue::Text(pattern));
        return format!("{col} LIKE ? ESCAPE '\\'");
    }
    params.push(SqlValue::Text(pattern.clone()));
    params.push(SqlValue::Text(pattern));
    format!(
        "({col} LIKE ? ESCAPE '\\' OR ((instr({col}, char(8490)) > 0 OR instr({col}, char(304)) > 0) \
         AND replace(replace({col}, char(8490), 'k'), char(304), char(105, 775)) LIKE ? ESCAPE '\\'))"
    )
}

/// Any needle, through `camp_lower` (Rust's `to_lowercase`).
fn unicode_match(col: &str, op: TextOp, needle: &str, params: &mut Vec<SqlValue>) -> String {
    match op {
        TextOp::Is => {
            params.push(SqlValue::Text(needle.to_string()));
            format!("camp_lower({col}) = ?")
        }
        TextOp::StartsWith => {
            params.push(SqlValue::Integer(needle.chars().count() as i64));
            params.push(SqlValue::Text(needle.to_string()));
            format!("substr(camp_lower({col}), 1, ?) = ?")
        }
        TextOp::Contains => {
            params.push(SqlValue::Text(needle.to_string()));
            format!("instr(camp_lower({col}), ?) > 0")
        }
    }
}

#[cfg(test)]
mod tests {
    /// The `LIKE` path of [`super::ascii_match`] relies on these being the only characters
    /// outside ASCII whose lower case holds an ASCII character, and on ASCII lowering to ASCII.
    #[test]
    fn only_kelvin_and_dotted_i_lower_to_ascii() {
        let mut found = Vec::new();
        for c in (0u32..0x11_0000).filter_map(char::from_u32) {
            let l: String = c.to_lowercase().collect();
            if c.is_ascii() {
                assert_eq!(l, c.to_ascii_lowercase().to_string());
            } else if l.chars().any(|x| x.is_ascii()) {
                found.push((c, l));
            }
        }
        assert_eq!(
            found,
            vec![
                ('\u{130}', "i\u{307}".to_string()),
                ('\u{212A}', "k".to_string())
            ]
        );
    }
}
