//! Smart-list selection compiled to SQL (`camp people --where`, batch qualification).
//!
//! A condition of the checked program becomes a `WHERE` clause over the `people` table, with
//! every value bound as a parameter. Each condition translates to a pair of SQL predicates, one
//! selecting a superset and one a subset of the people it holds for; when the two are the same
//! predicate the translation is *exact*. `not` swaps the pair, `and`/`or` combine the sides, and
//! a condition that has no SQL form (a history test with `link contains`, `where`...) is the
//! pair (true, false). The query uses the superset side; when the whole clause is not exact the
//! store evaluates the filters again in memory on the rows it returns, so the result is always
//! the in-memory evaluation's.
//!
//! The atoms mirror `engine::conditions::field_test` exactly (LANGUAGE.md 4.1 quirks included)
//! and every SQL atom is two-valued (never NULL), so that `NOT` is exact. They rely on how the
//! store writes values: text in TEXT columns (the empty string and NULL are both empty), numbers
//! in REAL columns, booleans and date-times as integers, dates as `YYYY-MM-DD` text with a
//! four-digit year (which sorts as the dates do).
//!
//! Case-insensitive text tests: Rust's `to_lowercase` folds Unicode while SQLite's `lower()`
//! and `LIKE` fold ASCII only. For a needle that is ASCII after lowering, `LIKE` (which folds
//! ASCII case) is exact on every value except those holding one of the two characters whose
//! lower case contains ASCII, the Kelvin sign `K` (→ `k`) and `İ` (→ `i` + U+0307); those values
//! are matched again after replacing the two by their lower case (a unit test checks that no
//! other character lowers to ASCII). A needle with other characters uses `camp_lower()`, a SQL
//! function registered on the connection that is Rust's `to_lowercase`.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;

use crate::check::ir::{
    Cond, Count, FieldTest, FieldType, Filters, History, HistoryWindow, Logic, LogicExpr, Program,
    Scalar,
};
use crate::engine::conditions::{field_test, log_types, range, MAX_SMART_LIST_DEPTH};
use crate::engine::value::{display, local_date};

/// The deepest SQL expression a plan builds (SQLite refuses trees deeper than 1,000).
const MAX_SQL_DEPTH: u32 = 240;
/// The most parameters a plan binds (SQLite allows 32,766).
const MAX_PARAMS: usize = 16_000;
/// The most conditions translated for one selection (smart lists that include each other many
/// times over could otherwise grow the clause without bound).
const MAX_NODES: u32 = 10_000;
/// Longer `LIKE` patterns are refused by SQLite (50,000 bytes); such needles use `camp_lower`.
const MAX_LIKE_PATTERN: usize = 10_000;
/// A generous height of one atom's own expression tree.
const ATOM_DEPTH: u32 = 12;

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
    let mut t = Translator {
        program,
        columns,
        now,
        tz: program.settings.time_zone,
        nodes: 0,
    };
    let tr = t.filters(filters, 0);
    let exact = matches!(tr, Tr::Exact(_));
    let over = match tr {
        Tr::Exact(p) => p,
        Tr::Approx { over, .. } => over,
    };
    match over {
        Pred::Sql(f) if f.params.len() <= MAX_PARAMS => Plan {
            sql: f.sql,
            params: f.params,
            exact,
        },
        Pred::Sql(_) => Plan {
            sql: "1".into(),
            params: Vec::new(),
            exact: false,
        },
        Pred::True => Plan {
            sql: "1".into(),
            params: Vec::new(),
            exact,
        },
        Pred::False => Plan {
            sql: "0".into(),
            params: Vec::new(),
            exact,
        },
    }
}

/// A two-valued SQL predicate.
#[derive(Clone, Debug)]
enum Pred {
    True,
    False,
    Sql(Frag),
}

/// SQL text with its parameters and the height of its expression tree.
#[derive(Clone, Debug)]
struct Frag {
    sql: String,
    params: Vec<SqlValue>,
    depth: u32,
}

impl Pred {
    fn atom(sql: String, params: Vec<SqlValue>) -> Pred {
        Pred::Sql(Frag {
            sql,
            params,
            depth: ATOM_DEPTH,
        })
    }

    fn constant(b: bool) -> Pred {
        if b {
            Pred::True
        } else {
            Pred::False
        }
    }

    fn depth(&self) -> u32 {
        match self {
            Pred::Sql(f) => f.depth,
            _ => 0,
        }
    }

    fn not(self) -> Pred {
        match self {
            Pred::True => Pred::False,
            Pred::False => Pred::True,
            Pred::Sql(f) => Pred::Sql(Frag {
                sql: format!("NOT ({})", f.sql),
                params: f.params,
                depth: f.depth + 1,
            }),
        }
    }

    /// `items` joined by `AND` (`all`) or `OR`, as a balanced tree.
    fn join(items: Vec<Pred>, all: bool) -> Pred {
        let (unit, zero) = (Pred::constant(all), Pred::constant(!all));
        let mut frags = Vec::with_capacity(items.len());
        for p in items {
            match p {
                Pred::Sql(f) => frags.push(f),
                Pred::True if !all => return zero,
                Pred::False if all => return zero,
                _ => {}
            }
        }
        let op = if all { "AND" } else { "OR" };
        while frags.len() > 1 {
            let mut next = Vec::with_capacity(frags.len().div_ceil(2));
            let mut it = frags.into_iter();
            while let Some(a) = it.next() {
                match it.next() {
                    Some(b) => {
                        let mut params = a.params;
                        params.extend(b.params);
                        next.push(Frag {
                            sql: format!("({} {op} {})", a.sql, b.sql),
                            params,
                            depth: a.depth.max(b.depth) + 1,
                        });
                    }
                    None => next.push(a),
                }
            }
            frags = next;
        }
        match frags.pop() {
            Some(f) => Pred::Sql(f),
            None => unit,
        }
    }

    fn and(items: Vec<Pred>) -> Pred {
        Pred::join(items, true)
    }

    fn or(items: Vec<Pred>) -> Pred {
        Pred::join(items, false)
    }
}

/// A condition in SQL: exactly, or between a superset and a subset.
#[derive(Clone, Debug)]
enum Tr {
    Exact(Pred),
    Approx { over: Pred, under: Pred },
}

impl Tr {
    /// No SQL form: everyone may match, no one surely does.
    fn unknown() -> Tr {
        Tr::Approx {
            over: Pred::True,
            under: Pred::False,
        }
    }

    fn constant(b: bool) -> Tr {
        Tr::Exact(Pred::constant(b))
    }

    fn sides(self) -> (Pred, Pred) {
        match self {
            Tr::Exact(p) => (p.clone(), p),
            Tr::Approx { over, under } => (over, under),
        }
    }

    /// Keeps expressions within SQLite's depth limit and folds constant pairs.
    fn tidy(self) -> Tr {
        match self {
            Tr::Exact(p) if p.depth() > MAX_SQL_DEPTH => Tr::unknown(),
            Tr::Exact(p) => Tr::Exact(p),
            Tr::Approx { over, under } => {
                let over = if over.depth() > MAX_SQL_DEPTH {
                    Pred::True
                } else {
                    over
                };
                let under = if under.depth() > MAX_SQL_DEPTH {
                    Pred::False
                } else {
                    under
                };
                match (&over, &under) {
                    (Pred::True, Pred::True) | (Pred::False, Pred::False) => Tr::Exact(over),
                    _ => Tr::Approx { over, under },
                }
            }
        }
    }

    fn not(self) -> Tr {
        match self {
            Tr::Exact(p) => Tr::Exact(p.not()),
            Tr::Approx { over, under } => Tr::Approx {
                over: under.not(),
                under: over.not(),
            },
        }
        .tidy()
    }

    fn join(items: Vec<Tr>, all: bool) -> Tr {
        let exact = items.iter().all(|t| matches!(t, Tr::Exact(_)));
        let (overs, unders): (Vec<Pred>, Vec<Pred>) = items.into_iter().map(Tr::sides).unzip();
        if exact {
            Tr::Exact(Pred::join(overs, all))
        } else {
            Tr::Approx {
                over: Pred::join(overs, all),
                under: Pred::join(unders, all),
            }
        }
        .tidy()
    }
}

struct Translator<'a> {
    program: &'a Program,
    columns: &'a [(String, FieldType)],
    now: i64,
    tz: Tz,
    nodes: u32,
}

impl Translator<'_> {
    /// Mirrors `Eval::filters_at`.
    fn filters(&mut self, filters: &Filters, depth: u32) -> Tr {
        let conds: Vec<Tr> = filters
            .conditions
            .iter()
            .map(|c| self.cond(c, depth))
            .collect();
        match &filters.logic {
            Logic::All => Tr::join(conds, true),
            Logic::Any if conds.is_empty() => Tr::constant(true),
            Logic::Any => Tr::join(conds, false),
            Logic::Expr(e) => logic(e, &conds),
        }
    }

    /// Mirrors `Eval::cond_at`.
    fn cond(&mut self, cond: &Cond, depth: u32) -> Tr {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Tr::unknown();
        }
        let p = self.program;
        match cond {
            Cond::Field { field, test } => {
                let ty = p.field_type(*field);
                match self.columns.get(field.index()) {
                    Some((col, cty)) if *cty == ty => {
                        let col = format!("\"{col}\"");
                        match self.field(ty, &col, test) {
                            Some(pred) => Tr::Exact(pred).tidy(),
                            None => Tr::unknown(),
                        }
                    }
                    // No column: the person's value is empty.
                    _ if p.fields.get(field.index()).is_none() => {
                        Tr::constant(field_test(ty, None, test, self.now, self.tz))
                    }
                    _ => Tr::unknown(),
                }
            }
            Cond::AllPeople => Tr::constant(true),
            Cond::MemberOfList(l) => match p.lists.get(l.index()) {
                Some(list) => member("list_members", "list", &list.name, None),
                None => Tr::constant(false),
            },
            Cond::MemberOfSmartList(s) => match p.smart_lists.get(s.index()) {
                Some(sl) if depth < MAX_SMART_LIST_DEPTH => self.filters(&sl.filters, depth + 1),
                _ => Tr::constant(false),
            },
            Cond::MemberOfProgram(prog) => match p.programs.get(prog.index()) {
                Some(pr) => member("program_members", "program", &pr.name, None),
                None => Tr::constant(false),
            },
            Cond::ProgramStatus(prog, status) => match p.programs.get(prog.index()) {
                Some(pr) => match pr.statuses.get(*status) {
                    Some(s) => member("program_members", "program", &pr.name, Some(s)),
                    None => Tr::constant(false),
                },
                None => Tr::constant(false),
            },
            Cond::MemberOfCampaign(c) => match p.campaigns.get(c.index()) {
                Some(camp) => member("campaign_members", "campaign", &camp.name, None),
                None => Tr::constant(false),
            },
            Cond::History(h) => self.history(h),
            Cond::Not(c) => self.cond(c, depth).not(),
            Cond::And(cs) => {
                let items = cs.iter().map(|c| self.cond(c, depth)).collect();
                Tr::join(items, true)
            }
            Cond::Or(cs) => {
                let items = cs.iter().map(|c| self.cond(c, depth)).collect();
                Tr::join(items, false)
            }
        }
    }

    /// Mirrors `Eval::history`: with no constraints on the activities' attributes, "at least N
    /// activities in the window" is exact; with some, it is a superset.
    fn history(&self, h: &History) -> Tr {
        let now = self.now;
        let (from, to) = match &h.window {
            None => (None, Some(now)),
            Some(HistoryWindow::InPast(secs)) => match now.checked_sub(*secs) {
                Some(from) => (Some(from), Some(now)),
                None => return Tr::unknown(),
            },
            Some(HistoryWindow::Since(t)) => (Some(t.timestamp()), Some(now)),
            Some(HistoryWindow::Before(t)) => match t.timestamp().checked_sub(1) {
                Some(to) => (None, Some(to)),
                None => return Tr::unknown(),
            },
            Some(HistoryWindow::Between(a, b)) => (Some(a.timestamp()), Some(b.timestamp())),
        };
        let kinds = log_types(&h.what);
        let mut sql =
            String::from("SELECT 1 FROM activities WHERE person = people.id AND type IN (SELECT id FROM names WHERE name IN (");
        let mut params: Vec<SqlValue> = Vec::new();
        for (i, k) in kinds.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            params.push(SqlValue::Text(k.to_string()));
        }
        sql.push_str("))");
        if let Some(asset) = &h.what.asset {
            sql.push_str(" AND primary_value = (SELECT id FROM names WHERE name = ?)");
            params.push(SqlValue::Text(asset.clone()));
        }
        sql.push_str(" AND at >= ? AND at <= ? AND result = 0");
        params.push(SqlValue::Integer(from.unwrap_or(i64::MIN)));
        params.push(SqlValue::Integer(to.unwrap_or(i64::MAX)));
        // The count of the activities, read no further than decides the verdict.
        let counted = |cmp: &str, n: u32, params: &mut Vec<SqlValue>| -> String {
            let limit = i64::from(n) + 1;
            params.push(SqlValue::Integer(limit));
            params.push(SqlValue::Integer(i64::from(n)));
            format!("(SELECT count(*) FROM ({sql} LIMIT ?)) {cmp} ?")
        };
        let at_least = |n: u32, mut params: Vec<SqlValue>| -> Pred {
            if n <= 1 {
                Pred::atom(format!("EXISTS ({sql})"), params)
            } else {
                let text = counted(">=", n, &mut params);
                Pred::atom(text, params)
            }
        };
        let at_most = |n: u32, mut params: Vec<SqlValue>| -> Pred {
            if n == 0 {
                Pred::atom(format!("NOT EXISTS ({sql})"), params)
            } else {
                let text = counted("<=", n, &mut params);
                Pred::atom(text, params)
            }
        };
        let exactly = |n: u32, mut params: Vec<SqlValue>| -> Pred {
            if n == 0 {
                Pred::atom(format!("NOT EXISTS ({sql})"), params)
            } else {
                let text = counted("=", n, &mut params);
                Pred::atom(text, params)
            }
        };
        if h.what.constraints.is_empty() {
            return Tr::Exact(match h.count {
                Count::AtLeast(n) => at_least(n, params),
                Count::AtMost(n) => at_most(n, params),
                Count::Exactly(n) => exactly(n, params),
            });
        }
        // With constraints on the attributes, SQL counts a superset of the activities: at least
        // N of them selects a superset of the people, at most N a subset, and exactly N a
        // superset (at least N; for zero, a subset: none at all).
        match h.count {
            Count::AtLeast(n) => Tr::Approx {
                over: at_least(n, params),
                under: Pred::False,
            },
            Count::AtMost(n) => Tr::Approx {
                over: Pred::True,
                under: at_most(n, params),
            },
            Count::Exactly(0) => Tr::Approx {
                over: Pred::True,
                under: at_most(0, params),
            },
            Count::Exactly(n) => Tr::Approx {
                over: at_least(n, params),
                under: Pred::False,
            },
        }
    }

    /// Mirrors `field_test`; `None` when the test has no exact SQL form.
    fn field(&self, ty: FieldType, col: &str, test: &FieldTest) -> Option<Pred> {
        match ty {
            FieldType::Text => Some(text_test(col, test)),
            FieldType::Number => Some(number_test(col, test)),
            FieldType::Bool => Some(bool_test(col, test)),
            FieldType::Date => self.date_test(col, test),
            FieldType::DateTime => self.datetime_test(col, test),
        }
    }

    fn date_test(&self, col: &str, test: &FieldTest) -> Option<Pred> {
        let (now, tz) = (self.now, self.tz);
        // Bounds as stored text; dates outside years 0-9999 do not sort as text.
        let d = |s: &Scalar| -> Option<Option<String>> {
            match s {
                Scalar::Date(d) => date_text(*d).map(Some),
                Scalar::DateTime(t) => date_text(t.with_timezone(&tz).date_naive()).map(Some),
                _ => Some(None),
            }
        };
        let day = |t: i64| date_text(local_date(t, tz));
        let ds = |vals: &[Scalar]| -> Option<Vec<SqlValue>> {
            let mut out = Vec::new();
            for v in vals {
                if let Some(s) = d(v)? {
                    out.push(SqlValue::Text(s));
                }
            }
            Some(out)
        };
        let cmp = |op: &str, x: &Scalar, or_empty: bool| -> Option<Pred> {
            Some(match d(x)? {
                Some(x) => compare(col, op, SqlValue::Text(x), or_empty),
                None if or_empty => is_null(col),
                None => Pred::False,
            })
        };
        Some(match test {
            FieldTest::Is(vals) => in_list(col, ds(vals)?),
            FieldTest::IsNot(vals) => in_list(col, ds(vals)?).not(),
            FieldTest::IsEmpty => is_null(col),
            FieldTest::IsNotEmpty => is_null(col).not(),
            FieldTest::Less(x) => cmp("<", x, true)?,
            FieldTest::AtMost(x) => cmp("<=", x, true)?,
            FieldTest::Greater(x) => cmp(">", x, false)?,
            FieldTest::AtLeast(x) => cmp(">=", x, false)?,
            FieldTest::Between(a, b) => match (d(a)?, d(b)?) {
                (Some(a), Some(b)) => {
                    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                    between(col, SqlValue::Text(lo), SqlValue::Text(hi))
                }
                _ => Pred::False,
            },
            FieldTest::InPast(secs) => {
                let start = day(now.checked_sub(*secs)?)?;
                between(col, SqlValue::Text(start), SqlValue::Text(day(now)?))
            }
            FieldTest::InPastBefore(secs) => {
                let start = day(now.checked_sub(*secs)?)?;
                compare(col, "<", SqlValue::Text(start), true)
            }
            FieldTest::InFuture(secs) => {
                let end = day(now.checked_add(*secs)?)?;
                between(col, SqlValue::Text(day(now)?), SqlValue::Text(end))
            }
            FieldTest::InFutureAfter(secs) => {
                let end = day(now.checked_add(*secs)?)?;
                compare(col, ">", SqlValue::Text(end), false)
            }
            _ => Pred::False,
        })
    }

    fn datetime_test(&self, col: &str, test: &FieldTest) -> Option<Pred> {
        let (now, tz) = (self.now, self.tz);
        let r = |s: &Scalar| range(s, tz);
        let int = SqlValue::Integer;
        let any_range = |vals: &[Scalar]| -> Pred {
            let ranges = vals
                .iter()
                .filter_map(r)
                .map(|(a, b)| between(col, int(a), int(b)))
                .collect();
            Pred::or(ranges)
        };
        let cmp = |op: &str, x: Option<i64>, or_empty: bool| -> Pred {
            match x {
                Some(x) => compare(col, op, int(x), or_empty),
                None if or_empty => is_null(col),
                None => Pred::False,
            }
        };
        Some(match test {
            FieldTest::Is(vals) => any_range(vals),
            FieldTest::IsNot(vals) => any_range(vals).not(),
            FieldTest::IsEmpty => is_null(col),
            FieldTest::IsNotEmpty => is_null(col).not(),
            FieldTest::Less(x) => cmp("<", r(x).map(|(a, _)| a), true),
            FieldTest::AtMost(x) => cmp("<=", r(x).map(|(_, b)| b), true),
            FieldTest::Greater(x) => cmp(">", r(x).map(|(_, b)| b), false),
            FieldTest::AtLeast(x) => cmp(">=", r(x).map(|(a, _)| a), false),
            FieldTest::Between(a, b) => match (r(a), r(b)) {
                (Some(a), Some(b)) => between(col, int(a.0.min(b.0)), int(a.1.max(b.1))),
                _ => Pred::False,
            },
            FieldTest::InPast(secs) => between(col, int(now.checked_sub(*secs)?), int(now)),
            FieldTest::InPastBefore(secs) => compare(col, "<", int(now.checked_sub(*secs)?), true),
            FieldTest::InFuture(secs) => between(col, int(now), int(now.checked_add(*secs)?)),
            FieldTest::InFutureAfter(secs) => {
                compare(col, ">", int(now.checked_add(*secs)?), false)
            }
            _ => Pred::False,
        })
    }
}

/// Mirrors `match` logic over translated filters (a missing filter is false).
fn logic(e: &LogicExpr, conds: &[Tr]) -> Tr {
    match e {
        LogicExpr::Filter(i) => conds.get(*i).cloned().unwrap_or(Tr::constant(false)),
        LogicExpr::Not(x) => logic(x, conds).not(),
        LogicExpr::And(xs) => Tr::join(xs.iter().map(|x| logic(x, conds)).collect(), true),
        LogicExpr::Or(xs) => Tr::join(xs.iter().map(|x| logic(x, conds)).collect(), false),
    }
}

/// Membership in a list, program (optionally with a status) or campaign.
fn member(table: &str, key: &str, name: &str, status: Option<&str>) -> Tr {
    let mut params = vec![SqlValue::Text(name.to_string())];
    let extra = match status {
        Some(s) => {
            params.push(SqlValue::Text(s.to_string()));
            " AND status = ?"
        }
        None => "",
    };
    Tr::Exact(Pred::atom(
        format!("people.id IN (SELECT person FROM {table} WHERE {key} = ?{extra})"),
        params,
    ))
}

fn is_null(col: &str) -> Pred {
    Pred::atom(format!("{col} IS NULL"), Vec::new())
}

/// `col op x`; an empty value satisfies it when `or_empty`, and never otherwise.
fn compare(col: &str, op: &str, x: SqlValue, or_empty: bool) -> Pred {
    let sql = if or_empty {
        format!("({col} IS NULL OR {col} {op} ?)")
    } else {
        format!("({col} IS NOT NULL AND {col} {op} ?)")
    };
    Pred::atom(sql, vec![x])
}

fn between(col: &str, lo: SqlValue, hi: SqlValue) -> Pred {
    Pred::atom(
        format!("({col} IS NOT NULL AND {col} BETWEEN ? AND ?)"),
        vec![lo, hi],
    )
}

/// The value is one of `vals` (never when empty).
fn in_list(col: &str, vals: Vec<SqlValue>) -> Pred {
    if vals.is_empty() {
        return Pred::False;
    }
    let marks = vec!["?"; vals.len()].join(", ");
    Pred::atom(format!("({col} IS NOT NULL AND {col} IN ({marks}))"), vals)
}

fn date_text(d: NaiveDate) -> Option<String> {
    (0..=9999)
        .contains(&d.year())
        .then(|| d.format("%Y-%m-%d").to_string())
}

fn num(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Number(n) => Some(*n),
        _ => None,
    }
}

fn number_test(col: &str, test: &FieldTest) -> Pred {
    // NaN equals nothing in Rust, and SQLite would bind it as NULL.
    let nums = |vals: &[Scalar]| -> Vec<f64> {
        vals.iter()
            .filter_map(num)
            .filter(|n| !n.is_nan())
            .collect()
    };
    let is = |vals: &[Scalar]| -> Pred {
        let ns = nums(vals);
        let zero = ns.contains(&0.0);
        let listed = in_list(col, ns.into_iter().map(SqlValue::Real).collect());
        if zero {
            Pred::or(vec![is_null(col), listed])
        } else {
            listed
        }
    };
    let cmp = |op: &str, x: &Scalar| -> Pred {
        match num(x).filter(|x| !x.is_nan()) {
            Some(x) => compare(col, op, SqlValue::Real(x), false),
            None => Pred::False,
        }
    };
    match test {
        FieldTest::Is(vals) => is(vals),
        FieldTest::IsNot(vals) => Pred::or(vec![
            is_null(col),
            in_list(col, nums(vals).into_iter().map(SqlValue::Real).collect()).not(),
        ]),
        FieldTest::IsEmpty => is_null(col),
        FieldTest::IsNotEmpty => is_null(col).not(),
        FieldTest::Greater(x) => cmp(">", x),
        FieldTest::Less(x) => cmp("<", x),
        FieldTest::AtLeast(x) => cmp(">=", x),
        FieldTest::AtMost(x) => cmp("<=", x),
        FieldTest::Between(a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) => {
                let (lo, hi) = (a.min(b), a.max(b));
                if lo.is_nan() || hi.is_nan() {
                    Pred::False
                } else {
                    between(col, SqlValue::Real(lo), SqlValue::Real(hi))
                }
            }
            _ => Pred::False,
        },
        _ => Pred::False,
    }
}

fn bool_test(col: &str, test: &FieldTest) -> Pred {
    let value = || Pred::atom(format!("ifnull({col}, 0) <> 0"), Vec::new());
    // Whether any of `vals` equals the value, by the value.
    let is = |vals: &[Scalar]| -> Pred {
        let t = vals.iter().any(|x| matches!(x, Scalar::Bool(true)));
        let f = vals.iter().any(|x| !matches!(x, Scalar::Bool(true)));
        match (t, f) {
            (true, true) => Pred::True,
            (true, false) => value(),
            (false, true) => value().not(),
            (false, false) => Pred::False,
        }
    };
    match test {
        FieldTest::Is(vals) => is(vals),
        FieldTest::IsNot(vals) => is(vals).not(),
        FieldTest::IsEmpty => Pred::False,
        FieldTest::IsNotEmpty => Pred::True,
        _ => Pred::False,
    }
}

/// How a text needle is compared with the lower-cased value.
#[derive(Clone, Copy, PartialEq)]
enum TextOp {
    Is,
    StartsWith,
    Contains,
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn text_test(col: &str, test: &FieldTest) -> Pred {
    let empty = || Pred::atom(format!("({col} IS NULL OR {col} = '')"), Vec::new());
    let texts = |vals: &[Scalar]| -> Vec<String> {
        vals.iter()
            .map(|s| match s {
                Scalar::Text(t) => lower(t),
                other => lower(&display(Some(other), chrono_tz::UTC)),
            })
            .collect()
    };
    let lowered = |vals: &[String]| -> Vec<String> { vals.iter().map(|t| lower(t)).collect() };
    match test {
        FieldTest::Is(vals) => {
            let ts = texts(vals);
            let matched = text_match(col, TextOp::Is, &ts);
            if ts.iter().any(String::is_empty) {
                Pred::or(vec![empty(), matched])
            } else {
                matched
            }
        }
        // Empty values match no non-empty needle, so they are in the negation.
        FieldTest::IsNot(vals) => text_match(col, TextOp::Is, &texts(vals)).not(),
        FieldTest::StartsWith(vals) => text_match(col, TextOp::StartsWith, &lowered(vals)),
        FieldTest::NotStartsWith(vals) => text_match(col, TextOp::StartsWith, &lowered(vals)).not(),
        FieldTest::Contains(vals) => text_match(col, TextOp::Contains, &lowered(vals)),
        FieldTest::NotContains(vals) => text_match(col, TextOp::Contains, &lowered(vals)).not(),
        FieldTest::IsEmpty => empty(),
        FieldTest::IsNotEmpty => empty().not(),
        _ => Pred::False,
    }
}

/// Whether the value is not empty and its lower case compares with one of the (lower-cased)
/// `needles` by `op`. An empty needle matches nothing for `Is` (the caller handles empty
/// values) and every non-empty value otherwise.
fn text_match(col: &str, op: TextOp, needles: &[String]) -> Pred {
    let nonempty = || Pred::atom(format!("({col} IS NOT NULL AND {col} <> '')"), Vec::new());
    if op != TextOp::Is && needles.iter().any(String::is_empty) {
        return nonempty();
    }
    let mut alternatives = Vec::new();
    for n in needles.iter().filter(|n| !n.is_empty()) {
        alternatives.push(if n.is_ascii() && n.len() <= MAX_LIKE_PATTERN {
            ascii_match(col, op, n)
        } else {
            unicode_match(col, op, n)
        });
    }
    if alternatives.is_empty() {
        return Pred::False;
    }
    Pred::and(vec![
        Pred::atom(format!("{col} IS NOT NULL"), Vec::new()),
        Pred::or(alternatives),
    ])
}

/// An ASCII needle: `LIKE` folds ASCII case, and values holding `K` or `İ` are compared again
/// with those two replaced by their lower case.
fn ascii_match(col: &str, op: TextOp, needle: &str) -> Pred {
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
    let sql = format!(
        "({col} LIKE ? ESCAPE '\\' OR ((instr({col}, char(8490)) > 0 OR instr({col}, char(304)) > 0) \
         AND replace(replace({col}, char(8490), 'k'), char(304), char(105, 775)) LIKE ? ESCAPE '\\'))"
    );
    Pred::atom(
        sql,
        vec![SqlValue::Text(pattern.clone()), SqlValue::Text(pattern)],
    )
}

/// Any needle, through `camp_lower` (Rust's `to_lowercase`).
fn unicode_match(col: &str, op: TextOp, needle: &str) -> Pred {
    let text = SqlValue::Text(needle.to_string());
    match op {
        TextOp::Is => Pred::atom(format!("camp_lower({col}) = ?"), vec![text]),
        TextOp::StartsWith => Pred::atom(
            format!("substr(camp_lower({col}), 1, ?) = ?"),
            vec![SqlValue::Integer(needle.chars().count() as i64), text],
        ),
        TextOp::Contains => Pred::atom(format!("instr(camp_lower({col}), ?) > 0"), vec![text]),
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
