//! Smart-list selection pushed down to a store: the checked filters as a predicate tree that
//! any SQL store renders in its own dialect.
//!
//! Each condition translates to a pair of predicates, one selecting a superset and one a subset
//! of the people it holds for; when the two are the same the translation is *exact*. `not`
//! swaps the pair, `and`/`or` combine the sides, and a condition with no predicate form (a
//! history test with `link contains`, `where`...) is the pair (true, false). A store selects
//! with the superset side; when the whole translation is not exact it evaluates the filters
//! again in memory on the rows it returns, so that the result is always the in-memory
//! evaluation's ([`super::meaning`]).
//!
//! The atoms mirror [`super::meaning::field_test`] exactly (LANGUAGE.md 4.1 quirks included)
//! and each is two-valued (never unknown, even on an empty value), so that `NOT` is exact. They
//! assume a store keeps values as camp writes them: text (an empty string and no value both
//! empty), numbers, booleans, date-times as instants in seconds, dates as days (bounds outside
//! years 0-9999 have no form here, as a text column would not sort them).

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use super::meaning::{field_test, log_types, range, text_needles, MAX_SMART_LIST_DEPTH};
use crate::check::ir::{
    Cond, Count, FieldId, FieldTest, FieldType, Filters, History, HistoryWindow, Logic, LogicExpr,
    Program, Scalar,
};
use crate::engine::value::local_date;

/// The deepest expression a translation builds (SQLite refuses trees deeper than 1,000).
pub const MAX_DEPTH: u32 = 240;
/// The most conditions translated for one selection (smart lists that include each other many
/// times over could otherwise grow the tree without bound).
const MAX_NODES: u32 = 10_000;
/// A generous height of one atom's own expression tree, once rendered.
pub const ATOM_DEPTH: u32 = 12;

/// A value an atom compares with, as the store holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An instant in seconds (date-time fields).
    Int(i64),
    /// A number.
    Real(f64),
    /// A day (date fields).
    Date(NaiveDate),
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    /// The operator in SQL.
    pub fn sql(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// How a text needle is compared with a lower-cased value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    /// Equal.
    Is,
    /// The value starts with the needle.
    StartsWith,
    /// The value contains the needle.
    Contains,
}

/// Whether an ASCII needle compared with ASCII case folding (SQL's `LIKE`, `lower()`) must also
/// be compared with the two characters outside ASCII whose lower case holds ASCII replaced: the
/// Kelvin sign `K` (→ `k`) and `İ` (→ `i` + U+0307). Only a needle holding a `k` or an `i` can
/// match a value because of them; for any other needle ASCII folding alone is exact.
pub fn needs_unicode_recheck(needle: &str) -> bool {
    needle
        .bytes()
        .any(|b| matches!(b.to_ascii_lowercase(), b'k' | b'i'))
}

/// What a membership atom is a member of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    /// A static list.
    List,
    /// A program (optionally with a status).
    Program,
    /// A campaign.
    Campaign,
}

/// A two-valued test of one person.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom {
    /// The field has no value.
    IsNull(FieldId),
    /// A text field is empty: no value, or the empty string.
    TextEmpty(FieldId),
    /// A boolean field is true (no value is false).
    IsTrue(FieldId),
    /// The field has a value and `op` holds between it and `value`; or it has none and
    /// `or_empty`.
    Compare {
        /// The field.
        field: FieldId,
        /// The comparison.
        op: Op,
        /// What the value is compared with.
        value: Value,
        /// Whether no value satisfies the test.
        or_empty: bool,
    },
    /// The field has a value between `lo` and `hi`, both included.
    Between {
        /// The field.
        field: FieldId,
        /// The lower bound.
        lo: Value,
        /// The upper bound.
        hi: Value,
    },
    /// The field has a value equal to one of `values` (never empty).
    OneOf {
        /// The field.
        field: FieldId,
        /// The values.
        values: Vec<Value>,
    },
    /// A text field has a value whose lower case (Unicode's, as Rust's `to_lowercase`)
    /// compares with `needle` (lower case, not empty) by `op`.
    Text {
        /// The field.
        field: FieldId,
        /// The comparison.
        op: TextOp,
        /// The needle, in lower case.
        needle: String,
    },
    /// Membership of the person in a list, program or campaign (with a program status).
    Member {
        /// What kind of set.
        set: Set,
        /// Its name.
        name: String,
        /// The program status required, if any.
        status: Option<String>,
    },
    /// The number of the person's succeeded activities of one of `types` (on `asset`), between
    /// `from` and `to` (instants, both included), compared with `count`.
    History {
        /// The activity types counted.
        types: Vec<&'static str>,
        /// The primary value (asset) required, if any.
        asset: Option<String>,
        /// The window's start.
        from: i64,
        /// The window's end.
        to: i64,
        /// How many.
        count: Count,
    },
}

/// A predicate over people: constants, atoms, and their combinations. Its depth is the height
/// of the expression a store renders, with `and`/`or` as balanced trees of pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    depth: u32,
}

/// The forms of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Everyone.
    True,
    /// No one.
    False,
    /// One test.
    Atom(Atom),
    /// The negation.
    Not(Box<Node>),
    /// All of them (at least two).
    All(Vec<Node>),
    /// Any of them (at least two).
    Any(Vec<Node>),
}

impl Node {
    /// Everyone.
    pub const TRUE: Node = Node {
        kind: Kind::True,
        depth: 0,
    };
    /// No one.
    pub const FALSE: Node = Node {
        kind: Kind::False,
        depth: 0,
    };

    /// One test.
    pub fn atom(a: Atom) -> Node {
        Node {
            kind: Kind::Atom(a),
            depth: ATOM_DEPTH,
        }
    }

    fn constant(b: bool) -> Node {
        if b {
            Node::TRUE
        } else {
            Node::FALSE
        }
    }

    /// The height of the rendered expression.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Node {
        match self.kind {
            Kind::True => Node::FALSE,
            Kind::False => Node::TRUE,
            _ => {
                let depth = self.depth + 1;
                Node {
                    kind: Kind::Not(Box::new(self)),
                    depth,
                }
            }
        }
    }

    /// `items` joined by `and` (`all`) or `or`, constants folded.
    fn join(items: Vec<Node>, all: bool) -> Node {
        let (unit, zero) = (Node::constant(all), Node::constant(!all));
        let mut kept = Vec::with_capacity(items.len());
        for n in items {
            match n.kind {
                Kind::True if !all => return zero,
                Kind::False if all => return zero,
                Kind::True | Kind::False => {}
                _ => kept.push(n),
            }
        }
        match kept.len() {
            0 => unit,
            1 => kept.pop().unwrap_or(unit),
            _ => {
                let depth = paired_depth(kept.iter().map(Node::depth).collect());
                Node {
                    kind: if all {
                        Kind::All(kept)
                    } else {
                        Kind::Any(kept)
                    },
                    depth,
                }
            }
        }
    }

    /// All of `items`.
    pub fn and(items: Vec<Node>) -> Node {
        Node::join(items, true)
    }

    /// Any of `items`.
    pub fn or(items: Vec<Node>) -> Node {
        Node::join(items, false)
    }
}

/// The height of a balanced tree of pairs over items of heights `depths`: neighbours are
/// paired, round after round, as [`pairs`] renders them.
fn paired_depth(mut depths: Vec<u32>) -> u32 {
    while depths.len() > 1 {
        depths = depths
            .chunks(2)
            .map(|c| match c {
                [a, b] => a.max(b) + 1,
                [a] => *a,
                _ => 0,
            })
            .collect();
    }
    depths.pop().unwrap_or(0)
}

/// Combines rendered items as a balanced tree of pairs (`combine(a, b)`), neighbours first,
/// round after round: the shape whose height [`Node::depth`] counts. `None` for no items.
pub fn pairs<T>(items: Vec<T>, mut combine: impl FnMut(T, T) -> T) -> Option<T> {
    let mut items = items;
    while items.len() > 1 {
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(combine(a, b)),
                None => next.push(a),
            }
        }
        items = next;
    }
    items.pop()
}

/// The filters as a store may select them: the predicate selecting a superset of the people
/// they hold for (exactly them when `exact`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pushdown {
    /// The superset's predicate.
    pub over: Node,
    /// Whether it selects exactly the people the filters hold for; otherwise the store
    /// evaluates the filters again on the people it selects.
    pub exact: bool,
}

/// The selection of the people for whom `filters` hold at `now`. `has_column` says whether the
/// store holds a field of the program, with its type (a field without a column is empty for
/// everyone: its tests are constants).
pub fn pushdown(
    program: &Program,
    has_column: &dyn Fn(FieldId, FieldType) -> bool,
    filters: &Filters,
    now: i64,
) -> Pushdown {
    let mut t = Translator {
        program,
        has_column,
        now,
        tz: program.settings.time_zone,
        nodes: 0,
    };
    match t.filters(filters, 0) {
        Tr::Exact(over) => Pushdown { over, exact: true },
        Tr::Approx { over, .. } => Pushdown { over, exact: false },
    }
}

/// A condition as predicates: exactly, or between a superset and a subset.
#[derive(Clone, Debug)]
enum Tr {
    Exact(Node),
    Approx { over: Node, under: Node },
}

impl Tr {
    /// No predicate form: everyone may match, no one surely does.
    fn unknown() -> Tr {
        Tr::Approx {
            over: Node::TRUE,
            under: Node::FALSE,
        }
    }

    fn constant(b: bool) -> Tr {
        Tr::Exact(Node::constant(b))
    }

    fn sides(self) -> (Node, Node) {
        match self {
            Tr::Exact(p) => (p.clone(), p),
            Tr::Approx { over, under } => (over, under),
        }
    }

    /// Keeps expressions within [`MAX_DEPTH`] and folds constant pairs.
    fn tidy(self) -> Tr {
        match self {
            Tr::Exact(p) if p.depth() > MAX_DEPTH => Tr::unknown(),
            Tr::Exact(p) => Tr::Exact(p),
            Tr::Approx { over, under } => {
                let over = if over.depth() > MAX_DEPTH {
                    Node::TRUE
                } else {
                    over
                };
                let under = if under.depth() > MAX_DEPTH {
                    Node::FALSE
                } else {
                    under
                };
                match (&over.kind, &under.kind) {
                    (Kind::True, Kind::True) | (Kind::False, Kind::False) => Tr::Exact(over),
                    _ => Tr::Approx { over, under },
                }
            }
        }
    }

    #[allow(clippy::should_implement_trait)]
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
        let (overs, unders): (Vec<Node>, Vec<Node>) = items.into_iter().map(Tr::sides).unzip();
        if exact {
            Tr::Exact(Node::join(overs, all))
        } else {
            Tr::Approx {
                over: Node::join(overs, all),
                under: Node::join(unders, all),
            }
        }
        .tidy()
    }
}

struct Translator<'a> {
    program: &'a Program,
    has_column: &'a dyn Fn(FieldId, FieldType) -> bool,
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
                if (self.has_column)(*field, ty) {
                    match self.field(ty, *field, test) {
                        Some(node) => Tr::Exact(node).tidy(),
                        None => Tr::unknown(),
                    }
                } else if p.fields.get(field.index()).is_none() {
                    // No such field: the person's value is empty.
                    Tr::constant(field_test(ty, None, test, self.now, self.tz))
                } else {
                    Tr::unknown()
                }
            }
            Cond::AllPeople => Tr::constant(true),
            Cond::MemberOfList(l) => match p.lists.get(l.index()) {
                Some(list) => member(Set::List, &list.name, None),
                None => Tr::constant(false),
            },
            Cond::MemberOfSmartList(s) => match p.smart_lists.get(s.index()) {
                Some(sl) if depth < MAX_SMART_LIST_DEPTH => self.filters(&sl.filters, depth + 1),
                _ => Tr::constant(false),
            },
            Cond::MemberOfProgram(prog) => match p.programs.get(prog.index()) {
                Some(pr) => member(Set::Program, &pr.name, None),
                None => Tr::constant(false),
            },
            Cond::ProgramStatus(prog, status) => match p.programs.get(prog.index()) {
                Some(pr) => match pr.statuses.get(*status) {
                    Some(s) => member(Set::Program, &pr.name, Some(s)),
                    None => Tr::constant(false),
                },
                None => Tr::constant(false),
            },
            Cond::MemberOfCampaign(c) => match p.campaigns.get(c.index()) {
                Some(camp) => member(Set::Campaign, &camp.name, None),
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
        let atom = |count: Count| {
            Node::atom(Atom::History {
                types: log_types(&h.what),
                asset: h.what.asset.clone(),
                from: from.unwrap_or(i64::MIN),
                to: to.unwrap_or(i64::MAX),
                count,
            })
        };
        if h.what.constraints.is_empty() {
            return Tr::Exact(atom(h.count));
        }
        // With constraints on the attributes, a store counts a superset of the activities: at
        // least N of them selects a superset of the people, at most N a subset, and exactly N a
        // superset (at least N; for zero, a subset: none at all).
        match h.count {
            Count::AtLeast(n) => Tr::Approx {
                over: atom(Count::AtLeast(n)),
                under: Node::FALSE,
            },
            Count::AtMost(n) => Tr::Approx {
                over: Node::TRUE,
                under: atom(Count::AtMost(n)),
            },
            Count::Exactly(0) => Tr::Approx {
                over: Node::TRUE,
                under: atom(Count::AtMost(0)),
            },
            Count::Exactly(n) => Tr::Approx {
                over: atom(Count::AtLeast(n)),
                under: Node::FALSE,
            },
        }
    }

    /// Mirrors `field_test`; `None` when the test has no exact form.
    fn field(&self, ty: FieldType, field: FieldId, test: &FieldTest) -> Option<Node> {
        match ty {
            FieldType::Text => Some(text_test(field, test)),
            FieldType::Number => Some(number_test(field, test)),
            FieldType::Bool => Some(bool_test(field, test)),
            FieldType::Date => self.date_test(field, test),
            FieldType::DateTime => self.datetime_test(field, test),
        }
    }

    fn date_test(&self, field: FieldId, test: &FieldTest) -> Option<Node> {
        let (now, tz) = (self.now, self.tz);
        // Bounds as days; dates outside years 0-9999 have no form.
        let d = |s: &Scalar| -> Option<Option<Value>> {
            match s {
                Scalar::Date(d) => date_value(*d).map(Some),
                Scalar::DateTime(t) => date_value(t.with_timezone(&tz).date_naive()).map(Some),
                _ => Some(None),
            }
        };
        let day = |t: i64| date_value(local_date(t, tz));
        let ds = |vals: &[Scalar]| -> Option<Vec<Value>> {
            let mut out = Vec::new();
            for v in vals {
                if let Some(s) = d(v)? {
                    out.push(s);
                }
            }
            Some(out)
        };
        let cmp = |op: Op, x: &Scalar, or_empty: bool| -> Option<Node> {
            Some(match d(x)? {
                Some(x) => compare(field, op, x, or_empty),
                None if or_empty => is_null(field),
                None => Node::FALSE,
            })
        };
        Some(match test {
            FieldTest::Is(vals) => one_of(field, ds(vals)?),
            FieldTest::IsNot(vals) => one_of(field, ds(vals)?).not(),
            FieldTest::IsEmpty => is_null(field),
            FieldTest::IsNotEmpty => is_null(field).not(),
            FieldTest::Less(x) => cmp(Op::Lt, x, true)?,
            FieldTest::AtMost(x) => cmp(Op::Le, x, true)?,
            FieldTest::Greater(x) => cmp(Op::Gt, x, false)?,
            FieldTest::AtLeast(x) => cmp(Op::Ge, x, false)?,
            FieldTest::Between(a, b) => match (d(a)?, d(b)?) {
                (Some(Value::Date(a)), Some(Value::Date(b))) => {
                    between(field, Value::Date(a.min(b)), Value::Date(a.max(b)))
                }
                _ => Node::FALSE,
            },
            FieldTest::InPast(secs) => {
                let start = day(now.checked_sub(*secs)?)?;
                between(field, start, day(now)?)
            }
            FieldTest::InPastBefore(secs) => {
                let start = day(now.checked_sub(*secs)?)?;
                compare(field, Op::Lt, start, true)
            }
            FieldTest::InFuture(secs) => {
                let end = day(now.checked_add(*secs)?)?;
                between(field, day(now)?, end)
            }
            FieldTest::InFutureAfter(secs) => {
                let end = day(now.checked_add(*secs)?)?;
                compare(field, Op::Gt, end, false)
            }
            _ => Node::FALSE,
        })
    }

    fn datetime_test(&self, field: FieldId, test: &FieldTest) -> Option<Node> {
        let (now, tz) = (self.now, self.tz);
        let r = |s: &Scalar| range(s, tz);
        let int = Value::Int;
        let any_range = |vals: &[Scalar]| -> Node {
            let ranges = vals
                .iter()
                .filter_map(r)
                .map(|(a, b)| between(field, int(a), int(b)))
                .collect();
            Node::or(ranges)
        };
        let cmp = |op: Op, x: Option<i64>, or_empty: bool| -> Node {
            match x {
                Some(x) => compare(field, op, int(x), or_empty),
                None if or_empty => is_null(field),
                None => Node::FALSE,
            }
        };
        Some(match test {
            FieldTest::Is(vals) => any_range(vals),
            FieldTest::IsNot(vals) => any_range(vals).not(),
            FieldTest::IsEmpty => is_null(field),
            FieldTest::IsNotEmpty => is_null(field).not(),
            FieldTest::Less(x) => cmp(Op::Lt, r(x).map(|(a, _)| a), true),
            FieldTest::AtMost(x) => cmp(Op::Le, r(x).map(|(_, b)| b), true),
            FieldTest::Greater(x) => cmp(Op::Gt, r(x).map(|(_, b)| b), false),
            FieldTest::AtLeast(x) => cmp(Op::Ge, r(x).map(|(a, _)| a), false),
            FieldTest::Between(a, b) => match (r(a), r(b)) {
                (Some(a), Some(b)) => between(field, int(a.0.min(b.0)), int(a.1.max(b.1))),
                _ => Node::FALSE,
            },
            FieldTest::InPast(secs) => between(field, int(now.checked_sub(*secs)?), int(now)),
            FieldTest::InPastBefore(secs) => {
                compare(field, Op::Lt, int(now.checked_sub(*secs)?), true)
            }
            FieldTest::InFuture(secs) => between(field, int(now), int(now.checked_add(*secs)?)),
            FieldTest::InFutureAfter(secs) => {
                compare(field, Op::Gt, int(now.checked_add(*secs)?), false)
            }
            _ => Node::FALSE,
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

fn member(set: Set, name: &str, status: Option<&str>) -> Tr {
    Tr::Exact(Node::atom(Atom::Member {
        set,
        name: name.to_string(),
        status: status.map(str::to_string),
    }))
}

fn is_null(field: FieldId) -> Node {
    Node::atom(Atom::IsNull(field))
}

fn compare(field: FieldId, op: Op, value: Value, or_empty: bool) -> Node {
    Node::atom(Atom::Compare {
        field,
        op,
        value,
        or_empty,
    })
}

fn between(field: FieldId, lo: Value, hi: Value) -> Node {
    Node::atom(Atom::Between { field, lo, hi })
}

/// The value is one of `values` (never when there are none).
fn one_of(field: FieldId, values: Vec<Value>) -> Node {
    if values.is_empty() {
        return Node::FALSE;
    }
    Node::atom(Atom::OneOf { field, values })
}

fn date_value(d: NaiveDate) -> Option<Value> {
    (0..=9999).contains(&d.year()).then_some(Value::Date(d))
}

fn num(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Number(n) => Some(*n),
        _ => None,
    }
}

fn number_test(field: FieldId, test: &FieldTest) -> Node {
    // NaN equals nothing in Rust, and a store would hold it as no value.
    let nums = |vals: &[Scalar]| -> Vec<f64> {
        vals.iter()
            .filter_map(num)
            .filter(|n| !n.is_nan())
            .collect()
    };
    let listed = |vals: &[Scalar]| one_of(field, nums(vals).into_iter().map(Value::Real).collect());
    let cmp = |op: Op, x: &Scalar| -> Node {
        match num(x).filter(|x| !x.is_nan()) {
            Some(x) => compare(field, op, Value::Real(x), false),
            None => Node::FALSE,
        }
    };
    match test {
        // No value counts as zero.
        FieldTest::Is(vals) if nums(vals).contains(&0.0) => {
            Node::or(vec![is_null(field), listed(vals)])
        }
        FieldTest::Is(vals) => listed(vals),
        FieldTest::IsNot(vals) => Node::or(vec![is_null(field), listed(vals).not()]),
        FieldTest::IsEmpty => is_null(field),
        FieldTest::IsNotEmpty => is_null(field).not(),
        FieldTest::Greater(x) => cmp(Op::Gt, x),
        FieldTest::Less(x) => cmp(Op::Lt, x),
        FieldTest::AtLeast(x) => cmp(Op::Ge, x),
        FieldTest::AtMost(x) => cmp(Op::Le, x),
        FieldTest::Between(a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) => {
                let (lo, hi) = (a.min(b), a.max(b));
                if lo.is_nan() || hi.is_nan() {
                    Node::FALSE
                } else {
                    between(field, Value::Real(lo), Value::Real(hi))
                }
            }
            _ => Node::FALSE,
        },
        _ => Node::FALSE,
    }
}

fn bool_test(field: FieldId, test: &FieldTest) -> Node {
    let value = || Node::atom(Atom::IsTrue(field));
    // Whether any of `vals` equals the value, by the value.
    let is = |vals: &[Scalar]| -> Node {
        let t = vals.iter().any(|x| matches!(x, Scalar::Bool(true)));
        let f = vals.iter().any(|x| !matches!(x, Scalar::Bool(true)));
        match (t, f) {
            (true, true) => Node::TRUE,
            (true, false) => value(),
            (false, true) => value().not(),
            (false, false) => Node::FALSE,
        }
    };
    match test {
        FieldTest::Is(vals) => is(vals),
        FieldTest::IsNot(vals) => is(vals).not(),
        FieldTest::IsEmpty => Node::FALSE,
        FieldTest::IsNotEmpty => Node::TRUE,
        _ => Node::FALSE,
    }
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn text_test(field: FieldId, test: &FieldTest) -> Node {
    let empty = || Node::atom(Atom::TextEmpty(field));
    let texts = text_needles;
    let lowered = |vals: &[String]| -> Vec<String> { vals.iter().map(|t| lower(t)).collect() };
    match test {
        FieldTest::Is(vals) => {
            let ts = texts(vals);
            let matched = text_match(field, TextOp::Is, &ts);
            if ts.iter().any(String::is_empty) {
                Node::or(vec![empty(), matched])
            } else {
                matched
            }
        }
        // Empty values match no non-empty needle, so they are in the negation.
        FieldTest::IsNot(vals) => text_match(field, TextOp::Is, &texts(vals)).not(),
        FieldTest::StartsWith(vals) => text_match(field, TextOp::StartsWith, &lowered(vals)),
        FieldTest::NotStartsWith(vals) => {
            text_match(field, TextOp::StartsWith, &lowered(vals)).not()
        }
        FieldTest::Contains(vals) => text_match(field, TextOp::Contains, &lowered(vals)),
        FieldTest::NotContains(vals) => text_match(field, TextOp::Contains, &lowered(vals)).not(),
        FieldTest::IsEmpty => empty(),
        FieldTest::IsNotEmpty => empty().not(),
        _ => Node::FALSE,
    }
}

/// Whether the value is not empty and its lower case compares with one of the (lower-cased)
/// `needles` by `op`. An empty needle matches nothing for `Is` (the caller handles empty
/// values) and every non-empty value otherwise.
fn text_match(field: FieldId, op: TextOp, needles: &[String]) -> Node {
    if op != TextOp::Is && needles.iter().any(String::is_empty) {
        return Node::atom(Atom::TextEmpty(field)).not();
    }
    Node::or(
        needles
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| {
                Node::atom(Atom::Text {
                    field,
                    op,
                    needle: n.clone(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_fold_constants_and_count_the_paired_depth() {
        let a = || Node::atom(Atom::IsNull(FieldId(0)));
        assert_eq!(Node::and(vec![Node::TRUE, a()]), a());
        assert_eq!(Node::and(vec![Node::FALSE, a()]), Node::FALSE);
        assert_eq!(Node::or(vec![Node::TRUE, a()]), Node::TRUE);
        assert_eq!(Node::or(vec![]), Node::FALSE);
        assert_eq!(Node::and(vec![]), Node::TRUE);
        // Five atoms pair as ((a b) (a b)) a: three levels above an atom.
        let five = Node::or((0..5).map(|_| a()).collect());
        assert_eq!(five.depth(), ATOM_DEPTH + 3);
        let rendered = pairs((0..5).map(|_| 0u32).collect(), |x, y| x.max(y) + 1);
        assert_eq!(rendered, Some(3));
        assert_eq!(a().not().not().depth(), ATOM_DEPTH + 2);
    }
}
