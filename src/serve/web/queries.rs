//! What the pages show, read from the store through a read-only connection and the program in
//! force: plain values the pages lay out.

use std::collections::{HashMap, VecDeque};

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use crate::check::ir::Program;
use crate::engine::value::{day_start, display, local_date};
use crate::report::{schedule_view, ScheduledRun};
use crate::serve::reads::{self, kind_and_state, Live};
use crate::store::{Activity, LogQuery, PersonId, Store, StoreError};

/// Days counted as "the last 7 days" on the campaigns page.
pub const RECENT_DAYS: i64 = 7;
/// Days in a campaign's entries-per-day table.
pub const DAYS_SHOWN: i64 = 30;
/// People waiting listed on a campaign's page at most.
pub const WAITING_SHOWN: usize = 100;
/// Activities in a person's log shown at most (the latest).
pub const LOG_SHOWN: usize = 200;

/// One campaign on the campaigns page.
#[derive(Clone, Debug)]
pub struct CampaignRow {
    /// Its name.
    pub name: String,
    /// `batch`, `trigger` or `executable`.
    pub kind: &'static str,
    /// `active` or `inactive`.
    pub state: &'static str,
    /// People waiting in its flow.
    pub waiting: u64,
    /// Entries into its flow so far.
    pub entries: u64,
    /// Entries in the last [`RECENT_DAYS`] days before the store's clock.
    pub recent: u64,
    /// Its next scheduled run.
    pub next_run: Option<i64>,
}

/// Every campaign of the program, in the scripts' order.
pub fn campaigns(store: &dyn Store, program: &Program) -> Result<Vec<CampaignRow>, StoreError> {
    let counts = store.campaign_counts()?;
    let clock = store.clock()?;
    let mut recent: HashMap<String, u64> = HashMap::new();
    if let Some(now) = clock {
        for (c, _) in store.entries_after(None, now - RECENT_DAYS * 86_400)? {
            *recent.entry(c).or_default() += 1;
        }
    }
    let mut out = Vec::with_capacity(program.campaigns.len());
    for c in &program.campaigns {
        let (waiting, entries) = counts.get(&c.name).copied().unwrap_or_default();
        let (kind, state) = kind_and_state(c);
        out.push(CampaignRow {
            name: c.name.clone(),
            kind,
            state,
            waiting,
            entries,
            recent: recent.get(&c.name).copied().unwrap_or(0),
            next_run: reads::next_run(store, c, clock)?,
        });
    }
    Ok(out)
}

/// A person waiting in a campaign's flow.
#[derive(Clone, Debug)]
pub struct Waiting {
    /// The person.
    pub person: PersonId,
    /// Their email, if any.
    pub email: Option<String>,
    /// The `wait` step's path.
    pub step: String,
    /// When the wait ends.
    pub wake_at: i64,
}

/// One campaign's page.
#[derive(Clone, Debug)]
pub struct CampaignView {
    /// Its row of the campaigns page.
    pub row: CampaignRow,
    /// Entries per local day, the last [`DAYS_SHOWN`] days up to the clock's, oldest first.
    pub per_day: Vec<(NaiveDate, u64)>,
    /// The first [`WAITING_SHOWN`] people waiting, soonest to wake first.
    pub waiting: Vec<Waiting>,
}

/// The campaign called `name`, if the program has it.
pub fn campaign(
    store: &dyn Store,
    program: &Program,
    name: &str,
) -> Result<Option<CampaignView>, StoreError> {
    let Some(c) = program.campaigns.iter().find(|c| c.name == name) else {
        return Ok(None);
    };
    let tz = program.settings.time_zone;
    let clock = store.clock()?;
    let (kind, state) = kind_and_state(c);
    let (waiting_count, entries) = store
        .campaign_counts()?
        .get(name)
        .copied()
        .unwrap_or_default();
    let mut per_day = Vec::new();
    let mut recent = 0;
    if let Some(now) = clock {
        let today = local_date(now, tz);
        let first = today - chrono::Duration::days(DAYS_SHOWN - 1);
        let mut counts: HashMap<NaiveDate, u64> = HashMap::new();
        let since = (day_start(first, tz) - 1).min(now - RECENT_DAYS * 86_400);
        for (_, at) in store.entries_after(Some(name), since)? {
            if at > now - RECENT_DAYS * 86_400 {
                recent += 1;
            }
            *counts.entry(local_date(at, tz)).or_default() += 1;
        }
        per_day = first
            .iter_days()
            .take_while(|d| *d <= today)
            .map(|d| (d, counts.get(&d).copied().unwrap_or(0)))
            .collect();
    }
    let mut waits: Vec<_> = store
        .waits()?
        .into_iter()
        .filter(|w| w.campaign == name)
        .collect();
    waits.sort_by_key(|w| (w.wake_at, w.id));
    let mut waiting = Vec::new();
    for w in waits.into_iter().take(WAITING_SHOWN) {
        let email = store
            .person(w.person)?
            .and_then(|p| p.email().map(str::to_string));
        waiting.push(Waiting {
            person: w.person,
            email,
            step: w.path,
            wake_at: w.wake_at,
        });
    }
    Ok(Some(CampaignView {
        row: CampaignRow {
            name: c.name.clone(),
            kind,
            state,
            waiting: waiting_count,
            entries,
            recent,
            next_run: reads::next_run(store, c, clock)?,
        },
        per_day,
        waiting,
    }))
}

/// Where a person is in one campaign.
#[derive(Clone, Debug)]
pub struct Position {
    /// The campaign.
    pub campaign: String,
    /// When they first qualified.
    pub member_since: Option<i64>,
    /// When they last entered the flow.
    pub last_entered: Option<i64>,
    /// The `wait` steps they are parked at, with their end.
    pub waits: Vec<(String, i64)>,
}

/// One person's page.
#[derive(Clone, Debug)]
pub struct PersonView {
    /// Their id.
    pub id: PersonId,
    /// Their email, if any.
    pub email: Option<String>,
    /// Every field of the schema but `id`, in its order, as text (empty: no value).
    pub fields: Vec<(String, String)>,
    /// The static lists they belong to.
    pub lists: Vec<String>,
    /// The campaigns they qualified for or wait in.
    pub positions: Vec<Position>,
    /// The latest [`LOG_SHOWN`] activities, oldest first.
    pub log: Vec<Activity>,
    /// How many activities their log holds.
    pub log_total: u64,
}

/// The person `who` (id or email), if there is one.
pub fn person(
    store: &dyn Store,
    program: &Program,
    who: &str,
) -> Result<Option<PersonView>, StoreError> {
    let tz = program.settings.time_zone;
    let Some(id) = reads::resolve_person(store, who)? else {
        return Ok(None);
    };
    let Some(p) = store.person(id)? else {
        return Ok(None);
    };
    let fields = program
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name != "id")
        .map(|(i, f)| {
            let v = p.values.get(i).and_then(|v| v.as_ref());
            (f.name.clone(), display(v, tz))
        })
        .collect();
    let mut positions = Vec::new();
    for c in &program.campaigns {
        let membership = store.membership(&c.name, id)?;
        let waits: Vec<(String, i64)> = store
            .waits_in(id, &c.name)?
            .into_iter()
            .map(|w| (w.path, w.wake_at))
            .collect();
        if membership.is_some() || !waits.is_empty() {
            positions.push(Position {
                campaign: c.name.clone(),
                member_since: membership.as_ref().map(|m| m.since),
                last_entered: membership.and_then(|m| m.last_entered),
                waits,
            });
        }
    }
    let mut log = VecDeque::with_capacity(LOG_SHOWN);
    let mut log_total = 0;
    let query = LogQuery {
        person: Some(id),
        ..LogQuery::default()
    };
    store.scan_log(&query, &mut |a| {
        log_total += 1;
        if log.len() == LOG_SHOWN {
            log.pop_front();
        }
        log.push_back(a);
        Ok(())
    })?;
    Ok(Some(PersonView {
        id,
        email: p.email().map(str::to_string),
        fields,
        lists: store.lists_of(id)?,
        positions,
        log: log.into(),
        log_total,
    }))
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month {
    /// Its first day.
    pub first: NaiveDate,
}

impl Month {
    /// The month of `date`.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            first: date.with_day(1).unwrap_or(date),
        }
    }

    /// `YYYY-MM`, years 1000 to 9998 (so that the months around it exist too).
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let y: i32 = y.parse().ok()?;
        let m: u32 = m.parse().ok()?;
        if !(1000..=9998).contains(&y) {
            return None;
        }
        NaiveDate::from_ymd_opt(y, m, 1).map(|first| Month { first })
    }

    /// The month before.
    pub fn previous(self) -> Month {
        Month::of(self.first.pred_opt().unwrap_or(self.first))
    }

    /// The month after.
    pub fn next(self) -> Month {
        Month::of(
            self.first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(self.first),
        )
    }

    /// `YYYY-MM`.
    pub fn key(self) -> String {
        self.first.format("%Y-%m").to_string()
    }

    /// `December 2026`.
    pub fn title(self) -> String {
        self.first.format("%B %Y").to_string()
    }
}

/// The batch runs of `month` (local days in the scripts' zone), in time order.
pub fn month_runs(live: &Live, month: Month, tz: Tz) -> Vec<ScheduledRun> {
    let from = day_start(month.first, tz) - 1;
    let to = day_start(month.next().first, tz) - 1;
    schedule_view(&live.program, &live.sources, from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_step() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.key(), "2026-12");
        assert_eq!(m.next().key(), "2027-01");
        assert_eq!(m.previous().key(), "2026-11");
        assert_eq!(m.title(), "December 2026");
        for bad in [
            "2026-13",
            "2026-1",
            "26-12",
            "x",
            "",
            "0999-01",
            "9999-12",
            "2026-12-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
