//! A person as of a past instant, reconstructed from the activity log (`camp explain --at`):
//! field values from the `old` of the changes logged after it, list and program memberships
//! from the add, remove and status activities, campaign entries from `enter_flow` and
//! `execute_campaign`. History needs nothing here: its conditions count up to the instant.

use std::collections::HashMap;

use super::value::from_json;
use crate::check::ir::{ActivityType, FieldId, Program, Scalar};
use crate::store::{Activity, LogQuery, Outcome, Person, Result, Store};

/// `created_at` and `updated_at`, at their fixed positions (`ir::BUILTIN_FIELDS`).
const CREATED_AT: FieldId = FieldId(3);
const UPDATED_AT: FieldId = FieldId(4);

/// A person's campaign membership as of an instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryAsOf {
    /// Whether the person was a member.
    pub member: bool,
    /// When the person last entered the flow, if ever.
    pub last_entered: Option<i64>,
}

/// One person's state as of a past instant.
#[derive(Clone, Debug, Default)]
pub struct AsOf {
    /// The instant.
    pub at: i64,
    /// Activities with this id or a larger one are not history yet, even at the instant itself
    /// (explaining an activity: what was logged after it at the same instant).
    pub before: Option<i64>,
    /// The person's field values then; `None` when the person did not exist yet.
    pub person: Option<Person>,
    lists: HashMap<String, bool>,
    programs: HashMap<String, Option<String>>,
    campaigns: HashMap<String, EntryAsOf>,
}

impl AsOf {
    /// Reconstructs `current` (the person as the store holds them now) as of instant `at`.
    pub fn reconstruct(
        program: &Program,
        store: &dyn Store,
        current: &Person,
        at: i64,
    ) -> Result<AsOf> {
        AsOf::reconstruct_before(program, store, current, at, None)
    }

    /// Whether activity `a` had happened as of this state's instant.
    pub fn happened(&self, a: &Activity) -> bool {
        a.at <= self.at && self.before.is_none_or(|b| a.id < b)
    }

    /// [`AsOf::reconstruct`] as of instant `at`, just before activity `before` (if given).
    pub fn reconstruct_before(
        program: &Program,
        store: &dyn Store,
        current: &Person,
        at: i64,
        before: Option<i64>,
    ) -> Result<AsOf> {
        let log = store.log(&LogQuery {
            person: Some(current.id),
            ..LogQuery::default()
        })?;
        let succeeded = |a: &&Activity| a.outcome == Outcome::Succeeded;
        let of = |kind: ActivityType| {
            let kind = kind.as_str();
            move |a: &&Activity| a.kind == kind
        };
        let mut out = AsOf {
            at,
            before,
            ..AsOf::default()
        };
        let then = |a: &Activity| a.at <= at && before.is_none_or(|b| a.id < b);
        for list in &program.lists {
            let name = Some(list.name.as_str());
            let changes: Vec<&Activity> = log
                .iter()
                .filter(succeeded)
                .filter(|a| a.primary.as_deref() == name)
                .filter(|a| {
                    a.kind == ActivityType::AddToList.as_str()
                        || a.kind == ActivityType::RemoveFromList.as_str()
                })
                .collect();
            let adds = |a: &Activity| a.kind == ActivityType::AddToList.as_str();
            let member = match changes.iter().rev().find(|a| then(a)) {
                Some(a) => adds(a),
                None => match changes.first() {
                    Some(a) => !adds(a),
                    None => store.in_list(&list.name, current.id)?,
                },
            };
            out.lists.insert(list.name.clone(), member);
        }
        for prog in &program.programs {
            let name = Some(prog.name.as_str());
            let changes: Vec<&Activity> = log
                .iter()
                .filter(succeeded)
                .filter(of(ActivityType::ChangeProgramStatus))
                .filter(|a| a.primary.as_deref() == name)
                .collect();
            let text = |a: &Activity, key: &str| {
                a.attributes
                    .get(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let status = match changes.iter().rev().find(|a| then(a)) {
                Some(a) => text(a, "to"),
                None => match changes.first() {
                    Some(a) => text(a, "from"),
                    None => store.program_status(&prog.name, current.id)?,
                },
            };
            out.programs.insert(prog.name.clone(), status);
        }
        for a in log.iter().filter(|a| then(a)) {
            let entered = a.outcome == Outcome::Succeeded;
            let (campaign, member, entry) = if a.kind == ActivityType::EnterFlow.as_str() {
                let kept_out = a.reason.as_deref() == Some("qualification_rule");
                (a.campaign.as_deref(), entered || kept_out, entered)
            } else if a.kind == ActivityType::ExecuteCampaign.as_str() {
                let qualified = a.attributes.get("qualified") == Some(&serde_json::json!(true));
                (a.primary.as_deref(), qualified, qualified)
            } else {
                continue;
            };
            if let (Some(c), true) = (campaign, member) {
                let e = out.campaigns.entry(c.to_string()).or_default();
                e.member = true;
                if entry {
                    e.last_entered = Some(a.at);
                }
            }
        }
        out.person = person_at(program, current, &log, at, &then);
        Ok(out)
    }

    /// Whether the person was in the list.
    pub fn in_list(&self, list: &str) -> bool {
        self.lists.get(list).copied().unwrap_or(false)
    }

    /// The person's status in the program, if a member.
    pub fn program_status(&self, program: &str) -> Option<String> {
        self.programs.get(program).cloned().flatten()
    }

    /// Whether the person was a member of the campaign.
    pub fn campaign_member(&self, campaign: &str) -> bool {
        self.entry(campaign).member
    }

    /// The person's membership of the campaign.
    pub fn entry(&self, campaign: &str) -> EntryAsOf {
        self.campaigns.get(campaign).copied().unwrap_or_default()
    }
}

/// The person's values at `at`: the current ones with every change logged after `at` undone,
/// newest first. `None` when the person was created after `at`.
fn person_at(
    program: &Program,
    current: &Person,
    log: &[Activity],
    at: i64,
    then: &dyn Fn(&Activity) -> bool,
) -> Option<Person> {
    let created = match current.get(CREATED_AT) {
        Some(Scalar::DateTime(t)) => t.timestamp(),
        _ => i64::MIN,
    };
    if created > at {
        return None;
    }
    let mut person = current.clone();
    let changes = |a: &&Activity| {
        a.outcome == Outcome::Succeeded
            && (a.kind == ActivityType::ChangeDataValue.as_str()
                || a.kind == ActivityType::ChangeScore.as_str())
    };
    let unsubscribe = ActivityType::UnsubscribeEmail.as_str();
    // An unsubscribe records no old value: the person was unsubscribed before it only if an
    // earlier unsubscribe says so.
    let unsubscribed_before = log.iter().any(|a| then(a) && a.kind == unsubscribe);
    for a in log.iter().rev().filter(|a| !then(a)) {
        if a.kind == unsubscribe {
            if let Some(f) = program.field("unsubscribed") {
                set(&mut person, f, Some(Scalar::Bool(unsubscribed_before)));
            }
            continue;
        }
        if !changes(&a) {
            continue;
        }
        let Some(f) = a.primary.as_deref().and_then(|n| program.field(n)) else {
            continue;
        };
        let old = a.attributes.get("old").unwrap_or(&serde_json::Value::Null);
        set(&mut person, f, from_json(program.field_type(f), old));
    }
    let last_change = log
        .iter()
        .filter(|a| then(a) && (changes(a) || a.kind == unsubscribe))
        .map(|a| a.at)
        .max();
    let updated = last_change.unwrap_or(created).max(created);
    if created != i64::MIN {
        set(
            &mut person,
            UPDATED_AT,
            Some(Scalar::DateTime(super::value::instant(updated))),
        );
    }
    Some(person)
}

fn set(person: &mut Person, field: FieldId, value: Option<Scalar>) {
    if let Some(slot) = person.values.get_mut(field.index()) {
        *slot = value;
    }
}
