//! Smart-list selection in PostgreSQL's SQL: the backend-neutral translation of
//! [`crate::cond::pushdown`] rendered as a `WHERE` clause over the `people` table, every value a
//! typed parameter (`$n::float8`...).
//!
//! Every rendered atom is two-valued (never NULL), so that `NOT` is exact. Case-insensitive text
//! tests fold ASCII only (`translate`), whatever the database's locale: for a needle that is
//! ASCII after lowering this is exact on every value except those holding the two characters
//! whose lower case contains ASCII, the Kelvin sign and `İ` (see the SQLite renderer), which are
//! replaced by their lower case first. A needle with other characters has no form here: the
//! atom becomes a constant that keeps the selection a superset (true where it counts for the
//! person, false under a negation), and the store evaluates the filters again in memory.

use crate::check::ir::{Count, FieldId, FieldType, Filters, Program};
use crate::cond::pushdown::{
    needs_unicode_recheck, pairs, pushdown, Atom, Kind, Node, Set, TextOp, Value,
};

use super::value::PgValue;

/// The most parameters a plan binds (PostgreSQL allows 65,535).
const MAX_PARAMS: usize = 30_000;

/// ASCII's upper and lower case letters, for `translate`.
pub(super) const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// See [`UPPER`].
pub(super) const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// The `WHERE` clause of a selection.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The clause (without `WHERE`).
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<PgValue>,
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
    let mut r = Renderer {
        columns,
        params: Vec::new(),
        exact: selection.exact,
    };
    let sql = r.node(&selection.over, true);
    if r.params.len() > MAX_PARAMS {
        return Plan {
            sql: "true".into(),
            params: Vec::new(),
            exact: false,
        };
    }
    Plan {
        sql,
        params: r.params,
        exact: r.exact,
    }
}

/// Writes predicates as PostgreSQL's SQL.
struct Renderer<'a> {
    columns: &'a [(String, FieldType)],
    params: Vec<PgValue>,
    /// Cleared when an atom has no form here.
    exact: bool,
}

impl Renderer<'_> {
    /// `node`, where `positive` says whether it counts for the person (an even number of
    /// negations above it): a constant standing for an atom must be true there, false under a
    /// negation, for the whole to stay a superset.
    fn node(&mut self, node: &Node, positive: bool) -> String {
        match &node.kind {
            Kind::True => "true".into(),
            Kind::False => "false".into(),
            Kind::Atom(a) => match self.atom(a) {
                Some(sql) => sql,
                None => {
                    self.exact = false;
                    if positive { "true" } else { "false" }.into()
                }
            },
            Kind::Not(n) => format!("NOT ({})", self.node(n, !positive)),
            Kind::All(items) => self.join(items, "AND", positive),
            Kind::Any(items) => self.join(items, "OR", positive),
        }
    }

    /// `items` joined by `op` as a balanced tree.
    fn join(&mut self, items: &[Node], op: &str, positive: bool) -> String {
        let rendered = items.iter().map(|n| self.node(n, positive)).collect();
        pairs(rendered, |a, b| format!("({a} {op} {b})")).unwrap_or_else(|| "true".into())
    }

    /// The column of `field`, quoted.
    fn col(&self, field: FieldId) -> String {
        let name = self
            .columns
            .get(field.index())
            .map_or("", |(n, _)| n.as_str());
        format!("people.\"{}\"", name.replace('"', "\"\""))
    }

    /// A parameter of `value`, cast to its type.
    fn bind(&mut self, value: PgValue) -> String {
        let cast = match &value {
            PgValue::Real(_) => "float8",
            PgValue::Int(_) => "int8",
            PgValue::Date(_) => "date",
            PgValue::Bool(_) => "bool",
            PgValue::Text(_) | PgValue::Null => "text",
        };
        self.params.push(value);
        format!("${}::{cast}", self.params.len())
    }

    fn value(&mut self, v: &Value) -> String {
        self.bind(match v {
            Value::Int(i) => PgValue::Int(*i),
            Value::Real(r) => PgValue::Real(*r),
            Value::Date(d) => PgValue::Date(*d),
        })
    }

    fn atom(&mut self, atom: &Atom) -> Option<String> {
        Some(match atom {
            Atom::IsNull(f) => format!("{} IS NULL", self.col(*f)),
            Atom::TextEmpty(f) => {
                let col = self.col(*f);
                format!("({col} IS NULL OR {col} = '')")
            }
            Atom::IsTrue(f) => format!("coalesce({}, false)", self.col(*f)),
            Atom::Compare {
                field,
                op,
                value,
                or_empty,
            } => {
                let col = self.col(*field);
                let p = self.value(value);
                let op = op.sql();
                if *or_empty {
                    format!("({col} IS NULL OR {col} {op} {p})")
                } else {
                    format!("({col} IS NOT NULL AND {col} {op} {p})")
                }
            }
            Atom::Between { field, lo, hi } => {
                let col = self.col(*field);
                let (lo, hi) = (self.value(lo), self.value(hi));
                format!("({col} IS NOT NULL AND {col} BETWEEN {lo} AND {hi})")
            }
            Atom::OneOf { field, values } => {
                let col = self.col(*field);
                let marks: Vec<String> = values.iter().map(|v| self.value(v)).collect();
                format!("({col} IS NOT NULL AND {col} IN ({}))", marks.join(", "))
            }
            Atom::Text { field, op, needle } => {
                if !needle.is_ascii() {
                    return None;
                }
                let col = self.col(*field);
                let test = self.ascii_match(&col, *op, needle);
                format!("({col} IS NOT NULL AND {test})")
            }
            Atom::Member { set, name, status } => {
                let (table, key) = match set {
                    Set::List => ("list_members", "list"),
                    Set::Program => ("program_members", "program"),
                    Set::Campaign => ("campaign_members", "campaign"),
                };
                let name = self.bind(PgValue::Text(name.clone()));
                let extra = match status {
                    Some(s) => format!(" AND status = {}", self.bind(PgValue::Text(s.clone()))),
                    None => String::new(),
                };
                format!("people.id IN (SELECT person FROM {table} WHERE {key} = {name}{extra})")
            }
            Atom::History {
                types,
                asset,
                from,
                to,
                count,
            } => self.history(types, asset.as_deref(), *from, *to, *count),
        })
    }

    /// How many of the person's succeeded activities of `types` (on `asset`) lie between
    /// `from` and `to`, compared with `count`, read no further than decides the verdict.
    fn history(
        &mut self,
        types: &[&str],
        asset: Option<&str>,
        from: i64,
        to: i64,
        count: Count,
    ) -> String {
        let kinds: Vec<String> = types
            .iter()
            .map(|k| self.bind(PgValue::Text(k.to_string())))
            .collect();
        let mut sql = format!(
            "SELECT 1 FROM activities a WHERE a.person = people.id AND a.type IN \
             (SELECT id FROM names WHERE name IN ({}))",
            kinds.join(", ")
        );
        if let Some(asset) = asset {
            let p = self.bind(PgValue::Text(asset.to_string()));
            sql.push_str(&format!(
                " AND a.primary_value = (SELECT id FROM names WHERE name = {p})"
            ));
        }
        let (from, to) = (self.bind(PgValue::Int(from)), self.bind(PgValue::Int(to)));
        sql.push_str(&format!(
            " AND a.at >= {from} AND a.at <= {to} AND a.result = 0"
        ));
        let counted = |r: &mut Self, cmp: &str, n: u32| -> String {
            let limit = r.bind(PgValue::Int(i64::from(n) + 1));
            let n = r.bind(PgValue::Int(i64::from(n)));
            format!("(SELECT count(*) FROM ({sql} LIMIT {limit}) AS h) {cmp} {n}")
        };
        match count {
            Count::AtLeast(n) if n <= 1 => format!("EXISTS ({sql})"),
            Count::AtLeast(n) => counted(self, ">=", n),
            Count::AtMost(0) | Count::Exactly(0) => format!("NOT EXISTS ({sql})"),
            Count::AtMost(n) => counted(self, "<=", n),
            Count::Exactly(n) => counted(self, "=", n),
        }
    }

    /// An ASCII needle against the value with ASCII folded; values holding the Kelvin sign or
    /// `İ` are compared again with those two replaced by their lower case.
    fn ascii_match(&mut self, col: &str, op: TextOp, needle: &str) -> String {
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
        let p = self.bind(PgValue::Text(pattern));
        if !needs_unicode_recheck(needle) {
            return format!("translate({col}, '{UPPER}', '{LOWER}') LIKE {p} ESCAPE '\\'");
        }
        format!(
            "(translate({col}, '{UPPER}', '{LOWER}') LIKE {p} ESCAPE '\\' \
             OR ((strpos({col}, U&'\\212A') > 0 OR strpos({col}, U&'\\0130') > 0) \
             AND translate(replace(replace({col}, U&'\\212A', 'k'), U&'\\0130', U&'i\\0307'), \
             '{UPPER}', '{LOWER}') LIKE {p} ESCAPE '\\'))"
        )
    }
}
