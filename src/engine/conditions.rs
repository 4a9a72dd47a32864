//! Condition evaluation: field tests with Marketo's quirks (LANGUAGE.md 4.1), memberships, and
//! history read from the activity log; and activity matching shared by triggers and history.

use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use super::asof::AsOf;
use super::value::{day_start, from_json, local_date, rfc3339, to_json};
use crate::check::ir::{
    ActivityMatch, ActivityType, Cond, Constraint, Count, FieldTest, FieldType, Filters, History,
    HistoryWindow, Logic, LogicExpr, Program, Scalar,
};
use crate::store::{Activity, Person, PersonId, Result, Store};

/// Smart lists may include each other this deep (the checker rejects cycles).
pub const MAX_SMART_LIST_DEPTH: u32 = 32;

/// What a condition is evaluated against, besides the person.
pub struct Eval<'a> {
    /// The checked program.
    pub program: &'a Program,
    /// Memberships and history.
    pub store: &'a dyn Store,
    /// The instant of evaluation.
    pub now: i64,
    /// The script's time zone.
    pub tz: Tz,
    /// Memberships as of a past instant (`now`), reconstructed from the log, in place of the
    /// store's current ones (`camp explain --at`). `None`: the store's tables.
    pub past: Option<&'a AsOf>,
}

/// What an explaining evaluation found for one condition: its verdict, the person's values it
/// read, and, for `member of smart list`, that list's own filters explained the same way.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CondReport {
    /// Whether the condition holds.
    pub verdict: bool,
    /// What it read: field values by name, `member`, `status`, or a history count.
    pub values: Map<String, Json>,
    /// Included smart lists, expanded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub smart_lists: Vec<SmartListReport>,
}

/// An included smart list, explained.
#[derive(Clone, Debug, Serialize)]
pub struct SmartListReport {
    /// Its name.
    pub name: String,
    /// Its filters, explained.
    pub report: FiltersReport,
}

/// Numbered filters explained: each one's report and the verdict of the `match` logic.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FiltersReport {
    /// Filter `i + 1` is `filters[i]`.
    pub filters: Vec<CondReport>,
    /// The `match` logic's verdict (the same as [`Eval::filters`]).
    pub verdict: bool,
}

/// Where an evaluation puts what it reads: nowhere for the engine, a [`CondReport`] when
/// explaining. The engine's path is compiled without any recording.
trait Recorder {
    /// Whether anything is recorded (explaining evaluates every filter, and counts all of a
    /// history instead of stopping at the count needed).
    const ON: bool;
    /// Records a value read.
    fn read(&mut self, key: &str, value: Json);
    /// Records an included smart list's explanation.
    fn smart_list(&mut self, report: SmartListReport);
}

/// The engine's recorder: records nothing.
struct Quiet;

impl Recorder for Quiet {
    const ON: bool = false;
    fn read(&mut self, _: &str, _: Json) {}
    fn smart_list(&mut self, _: SmartListReport) {}
}

impl Recorder for CondReport {
    const ON: bool = true;
    fn read(&mut self, key: &str, value: Json) {
        self.values.insert(key.to_string(), value);
    }
    fn smart_list(&mut self, report: SmartListReport) {
        self.smart_lists.push(report);
    }
}

impl<'a> Eval<'a> {
    /// Evaluates against the store's current tables at `now`, in the program's time zone.
    pub fn new(program: &'a Program, store: &'a dyn Store, now: i64) -> Eval<'a> {
        Eval {
            program,
            store,
            now,
            tz: program.settings.time_zone,
            past: None,
        }
    }

    /// The same evaluation with memberships as of a past instant, reconstructed from the log.
    pub fn as_of(self, past: Option<&'a AsOf>) -> Eval<'a> {
        Eval { past, ..self }
    }
}

impl Eval<'_> {
    /// Whether the filters hold for `person` under their `match` logic.
    pub fn filters(&self, filters: &Filters, person: &Person) -> Result<bool> {
        self.filters_at(filters, person, 0)
    }

    /// The explaining mode of [`Eval::filters`]: every filter evaluated, with the values it
    /// read; the verdict is the one [`Eval::filters`] gives.
    pub fn explain_filters(&self, filters: &Filters, person: &Person) -> Result<FiltersReport> {
        self.explain_filters_at(filters, person, 0)
    }

    /// The explaining mode of [`Eval::cond`].
    pub fn explain_cond(&self, cond: &Cond, person: &Person) -> Result<CondReport> {
        let mut report = CondReport::default();
        report.verdict = self.cond_rec(cond, person, 0, &mut report)?;
        Ok(report)
    }

    fn explain_filters_at(
        &self,
        filters: &Filters,
        person: &Person,
        depth: u32,
    ) -> Result<FiltersReport> {
        let mut reports = Vec::with_capacity(filters.conditions.len());
        for c in &filters.conditions {
            let mut report = CondReport::default();
            report.verdict = self.cond_rec(c, person, depth, &mut report)?;
            reports.push(report);
        }
        let verdicts: Vec<bool> = reports.iter().map(|r| r.verdict).collect();
        let verdict = combine(&filters.logic, verdicts.len(), &mut |i| {
            Ok(verdicts.get(i).copied().unwrap_or(false))
        })?;
        Ok(FiltersReport {
            filters: reports,
            verdict,
        })
    }

    fn filters_at(&self, filters: &Filters, person: &Person, depth: u32) -> Result<bool> {
        let mut cache: Vec<Option<bool>> = vec![None; filters.conditions.len()];
        let mut get = |i: usize| -> Result<bool> {
            if let Some(Some(v)) = cache.get(i) {
                return Ok(*v);
            }
            let v = match filters.conditions.get(i) {
                Some(c) => self.cond_rec(c, person, depth, &mut Quiet)?,
                None => false,
            };
            if let Some(slot) = cache.get_mut(i) {
                *slot = Some(v);
            }
            Ok(v)
        };
        combine(&filters.logic, filters.conditions.len(), &mut get)
    }

    /// Whether `cond` holds for `person`.
    pub fn cond(&self, cond: &Cond, person: &Person) -> Result<bool> {
        self.cond_rec(cond, person, 0, &mut Quiet)
    }

    fn in_list(&self, list: &str, person: PersonId) -> Result<bool> {
        match self.past {
            Some(past) => Ok(past.in_list(list)),
            None => self.store.in_list(list, person),
        }
    }

    fn program_status(&self, program: &str, person: PersonId) -> Result<Option<String>> {
        match self.past {
            Some(past) => Ok(past.program_status(program)),
            None => self.store.program_status(program, person),
        }
    }

    fn campaign_member(&self, campaign: &str, person: PersonId) -> Result<bool> {
        match self.past {
            Some(past) => Ok(past.campaign_member(campaign)),
            None => Ok(self.store.membership(campaign, person)?.is_some()),
        }
    }

    fn cond_rec<R: Recorder>(
        &self,
        cond: &Cond,
        person: &Person,
        depth: u32,
        rec: &mut R,
    ) -> Result<bool> {
        let p = self.program;
        Ok(match cond {
            Cond::Field { field, test } => {
                let value = person.get(*field);
                if R::ON {
                    if let Some(f) = p.fields.get(field.index()) {
                        rec.read(&f.name, to_json(value));
                    }
                }
                field_test(p.field_type(*field), value, test, self.now, self.tz)
            }
            Cond::AllPeople => true,
            Cond::MemberOfList(l) => {
                let v = match p.lists.get(l.index()) {
                    Some(list) => self.in_list(&list.name, person.id)?,
                    None => false,
                };
                rec.read("member", json!(v));
                v
            }
            Cond::MemberOfSmartList(s) => match p.smart_lists.get(s.index()) {
                Some(sl) if depth < MAX_SMART_LIST_DEPTH => {
                    if R::ON {
                        let report = self.explain_filters_at(&sl.filters, person, depth + 1)?;
                        let v = report.verdict;
                        rec.read("member", json!(v));
                        rec.smart_list(SmartListReport {
                            name: sl.name.clone(),
                            report,
                        });
                        v
                    } else {
                        self.filters_at(&sl.filters, person, depth + 1)?
                    }
                }
                _ => false,
            },
            Cond::MemberOfProgram(prog) => {
                let v = match p.programs.get(prog.index()) {
                    Some(pr) => self.program_status(&pr.name, person.id)?,
                    None => None,
                };
                rec.read("status", json!(v));
                v.is_some()
            }
            Cond::ProgramStatus(prog, status) => match p.programs.get(prog.index()) {
                Some(pr) => {
                    let current = self.program_status(&pr.name, person.id)?;
                    rec.read("status", json!(current));
                    current.is_some()
                        && current.as_deref() == pr.statuses.get(*status).map(|s| s.as_str())
                }
                None => false,
            },
            Cond::MemberOfCampaign(c) => {
                let v = match p.campaigns.get(c.index()) {
                    Some(camp) => self.campaign_member(&camp.name, person.id)?,
                    None => false,
                };
                rec.read("member", json!(v));
                v
            }
            Cond::History(h) => self.history(h, person, rec)?,
            Cond::Not(c) => !self.cond_rec(c, person, depth, rec)?,
            Cond::And(cs) => {
                let mut all = true;
                for c in cs {
                    if !self.cond_rec(c, person, depth, rec)? {
                        all = false;
                        if !R::ON {
                            break;
                        }
                    }
                }
                all
            }
            Cond::Or(cs) => {
                let mut any = false;
                for c in cs {
                    if self.cond_rec(c, person, depth, rec)? {
                        any = true;
                        if !R::ON {
                            break;
                        }
                    }
                }
                any
            }
        })
    }

    fn history<R: Recorder>(&self, h: &History, person: &Person, rec: &mut R) -> Result<bool> {
        let enough = h.count.enough();
        let mut count = 0u32;
        let mut matched = Vec::new();
        self.history_matches(h, person, &mut |a| {
            count += 1;
            if R::ON {
                matched.push(a.id);
                true
            } else {
                count < enough
            }
        })?;
        if R::ON {
            rec.read("count", json!(count));
            match h.count {
                Count::AtLeast(n) => rec.read("needed", json!(n.max(1))),
                Count::AtMost(n) => rec.read("at_most", json!(n)),
                Count::Exactly(n) => rec.read("exactly", json!(n)),
            }
            let (from, to) = self.history_window(h);
            if let Some(f) = from {
                rec.read("from", json!(rfc3339(f)));
            }
            if let Some(t) = to {
                rec.read("to", json!(rfc3339(t)));
            }
            rec.read("activities", json!(matched));
        }
        Ok(h.count.holds(count))
    }

    /// The instants a history condition reads between (either end open), as of the evaluation.
    fn history_window(&self, h: &History) -> (Option<i64>, Option<i64>) {
        let (from, to) = match &h.window {
            None => (None, Some(self.now)),
            Some(HistoryWindow::InPast(secs)) => (Some(self.now - secs), Some(self.now)),
            Some(HistoryWindow::Since(t)) => (Some(t.timestamp()), Some(self.now)),
            Some(HistoryWindow::Before(t)) => (None, Some(t.timestamp() - 1)),
            Some(HistoryWindow::Between(a, b)) => (Some(a.timestamp()), Some(b.timestamp())),
        };
        // As of a past instant, the activities logged since then are not history yet.
        let to = match self.past {
            Some(_) => to.map(|t| t.min(self.now)),
            None => to,
        };
        (from, to)
    }

    /// The activities of `person` that a history condition counts (its activity, asset,
    /// constraints and window, ignoring the count), in log order: `f` is called with each and
    /// returns whether to go on.
    pub fn history_matches(
        &self,
        h: &History,
        person: &Person,
        f: &mut dyn FnMut(&Activity) -> bool,
    ) -> Result<()> {
        let (from, to) = self.history_window(h);
        let kinds = log_types(&h.what);
        let rows = self
            .store
            .history(person.id, &kinds, h.what.asset.as_deref(), from, to)?;
        let before = self.past.and_then(|p| p.before);
        for a in rows.iter().filter(|a| before.is_none_or(|b| a.id < b)) {
            if constraints_hold(self.program, &h.what, &a.attributes, self.now, self.tz) && !f(a) {
                break;
            }
        }
        Ok(())
    }
}

/// `match` logic over `n` filters whose verdicts `get` gives (evaluated lazily).
fn combine(logic_: &Logic, n: usize, get: &mut dyn FnMut(usize) -> Result<bool>) -> Result<bool> {
    match logic_ {
        Logic::All => {
            for i in 0..n {
                if !get(i)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Logic::Any => {
            if n == 0 {
                return Ok(true);
            }
            for i in 0..n {
                if get(i)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Logic::Expr(e) => logic(e, get),
    }
}

fn logic(e: &LogicExpr, get: &mut dyn FnMut(usize) -> Result<bool>) -> Result<bool> {
    Ok(match e {
        LogicExpr::Filter(i) => get(*i)?,
        LogicExpr::Not(x) => !logic(x, get)?,
        LogicExpr::And(xs) => {
            for x in xs {
                if !logic(x, get)? {
                    return Ok(false);
                }
            }
            true
        }
        LogicExpr::Or(xs) => {
            for x in xs {
                if logic(x, get)? {
                    return Ok(true);
                }
            }
            false
        }
    })
}

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

fn constraints_hold(
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
            Some(lower(&super::value::display(Some(other), chrono_tz::UTC)))
        }
        _ => None,
    };
    let texts = |vals: &[Scalar]| -> Vec<String> {
        vals.iter()
            .map(|s| match s {
                Scalar::Text(t) => lower(t),
                other => lower(&super::value::display(Some(other), chrono_tz::UTC)),
            })
            .collect()
    };
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
pub(crate) fn range(s: &Scalar, tz: Tz) -> Option<(i64, i64)> {
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
