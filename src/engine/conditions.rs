//! Condition evaluation: field tests with Marketo's quirks (LANGUAGE.md 4.1), memberships, and
//! history read from the activity log; and activity matching shared by triggers and history.

use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use super::asof::AsOf;
use super::value::{rfc3339, to_json};
use crate::check::ir::{Cond, Count, Filters, History, HistoryWindow, Logic, LogicExpr, Program};
use crate::cond::meaning::constraints_hold;
pub use crate::cond::meaning::{activity_matches, field_test, log_types, MAX_SMART_LIST_DEPTH};
use crate::store::{Activity, Person, PersonId, Result, Store};

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
