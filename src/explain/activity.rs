//! Why an activity happened (LANGUAGE.md 12): the chain of causes back to the input, and for a
//! skipped or failed activity the numbers behind its reason.

use serde_json::{json, Map, Value as Json};

use super::person::{explain_person, Question};
use super::texts::Texts;
use crate::check::ir::{ActivityType, Program, Qualify};
use crate::engine::flow::Cause;
use crate::engine::value::{day_start, local_date, rfc3339};
use crate::report::activity_json;
use crate::store::{Activity, LogQuery, Outcome, Result, Store};

/// Links followed at most (a chain is as long as the cascade depth allows, plus the steps
/// inside each flow).
const MAX_LINKS: usize = 4096;

/// The explanation of activity `id`, as the JSON object of LANGUAGE.md 12; `None` when the log
/// has no such activity.
pub fn explain_activity(
    program: &Program,
    texts: &Texts,
    store: &dyn Store,
    id: i64,
) -> Result<Option<Json>> {
    let Some(activity) = store.activity(id)? else {
        return Ok(None);
    };
    let log = store.log(&LogQuery {
        person: Some(activity.person),
        ..LogQuery::default()
    })?;
    let chain = chain(&log, &activity);
    let details = details(program, texts, store, &log, &activity)?;
    Ok(Some(json!({
        "activity": activity_json(&activity),
        "chain": chain,
        "details": details,
    })))
}

/// The causes of `activity`, the origin first: for each flow, what started it (the trigger
/// activity, or the batch run) and the links inside it (its entry, the `execute campaign`
/// that led into a child's steps, the wakes of its waits).
fn chain(log: &[Activity], activity: &Activity) -> Vec<Json> {
    let mut links: Vec<Json> = Vec::new();
    let mut current = activity.clone();
    while links.len() < MAX_LINKS {
        let cause = Cause::of(&current.attributes);
        for a in flow_links(log, &current, cause.as_ref()) {
            links.push(activity_json(a));
        }
        match cause {
            None => break,
            Some(Cause::Run { run, at }) => {
                links.push(json!({ "run": run, "at": at }));
                break;
            }
            Some(Cause::Activity(id)) => {
                let Some(a) = log.iter().find(|a| a.id == id) else {
                    links.push(json!({ "id": id }));
                    break;
                };
                links.push(activity_json(a));
                if a.id >= current.id {
                    break;
                }
                current = a.clone();
            }
        }
    }
    links.reverse();
    links
}

/// The links of `activity`'s own flow before it, newest first: wakes, the `execute_campaign`
/// that ran a child campaign's steps, and the `enter_flow` that began it.
fn flow_links<'l>(
    log: &'l [Activity],
    activity: &Activity,
    cause: Option<&Cause>,
) -> Vec<&'l Activity> {
    let mut out = Vec::new();
    let Some(mut campaign) = activity.campaign.clone() else {
        return out;
    };
    if activity.kind == ActivityType::EnterFlow.as_str() {
        return out;
    }
    let cause_json = cause.map(Cause::to_json);
    for a in log.iter().rev().filter(|a| a.id < activity.id) {
        if a.attributes.get("cause") != cause_json.as_ref() {
            continue;
        }
        let here = a.campaign.as_deref() == Some(campaign.as_str());
        if a.kind == ActivityType::Wake.as_str() && here {
            out.push(a);
        } else if a.kind == ActivityType::ExecuteCampaign.as_str()
            && a.primary.as_deref() == Some(campaign.as_str())
            && !here
        {
            out.push(a);
            campaign = a.campaign.clone().unwrap_or_default();
        } else if a.kind == ActivityType::EnterFlow.as_str() && here {
            out.push(a);
            break;
        }
    }
    out
}

/// The numbers behind a skipped or failed activity's reason.
fn details(
    program: &Program,
    texts: &Texts,
    store: &dyn Store,
    log: &[Activity],
    a: &Activity,
) -> Result<Json> {
    if a.outcome == Outcome::Succeeded {
        return Ok(json!({}));
    }
    let mut d = Map::new();
    let earlier = || log.iter().filter(|x| x.id < a.id);
    match a.reason.as_deref() {
        Some("communication_limit") => {
            let s = &program.settings;
            let tz = s.time_zone;
            let sends = |since: i64| -> Vec<Json> {
                earlier()
                    .filter(|x| {
                        x.kind == ActivityType::SendEmail.as_str()
                            && x.outcome == Outcome::Succeeded
                            && x.at >= since
                            && x.attributes.get("operational") == Some(&json!(false))
                    })
                    .map(activity_json)
                    .collect()
            };
            if let Some(n) = s.per_day {
                let start = day_start(local_date(a.at, tz), tz);
                d.insert("per_day".into(), json!(n));
                d.insert("day_from".into(), json!(rfc3339(start)));
                d.insert("sends_today".into(), json!(sends(start)));
            }
            if let Some(n) = s.per_week {
                let since = a.at - 7 * 86_400 + 1;
                d.insert("per_7_days".into(), json!(n));
                d.insert("week_from".into(), json!(rfc3339(since)));
                d.insert("sends_in_7_days".into(), json!(sends(since)));
            }
        }
        Some("qualification_rule") => {
            let campaign = a.campaign.as_deref().unwrap_or("");
            let previous = earlier().rev().find(|x| {
                (x.kind == ActivityType::EnterFlow.as_str()
                    && x.outcome == Outcome::Succeeded
                    && x.campaign.as_deref() == Some(campaign))
                    || (x.kind == ActivityType::ExecuteCampaign.as_str()
                        && x.primary.as_deref() == Some(campaign)
                        && x.attributes.get("qualified") == Some(&json!(true)))
            });
            let rule = program
                .campaign(campaign)
                .and_then(|c| program.campaigns.get(c.index()).map(|c| c.qualify));
            let eligible = match (rule, previous) {
                (Some(Qualify::OnceEvery(secs)), Some(p)) => json!(rfc3339(p.at + secs)),
                _ => Json::Null,
            };
            d.insert("rule".into(), json!(texts.qualify(campaign)));
            d.insert("previous_entry".into(), json!(previous.map(activity_json)));
            d.insert("eligible_from".into(), eligible);
        }
        Some("cascade_limit") => {
            d.insert(
                "depth".into(),
                a.attributes.get("depth").cloned().unwrap_or_default(),
            );
            d.insert("limit".into(), json!(program.settings.cascade_depth));
            d.insert(
                "chain".into(),
                a.attributes.get("chain").cloned().unwrap_or_default(),
            );
        }
        Some("not_qualified") => {
            // The child's filters as they were when the step ran.
            let child = a.primary.as_deref().and_then(|c| program.campaign(c));
            let person = store.person(a.person)?;
            if let (Some(child), Some(person)) = (child, person) {
                let clock = store.clock()?.unwrap_or(a.at);
                let why = explain_person(&Question {
                    program,
                    texts,
                    store,
                    person: &person,
                    campaign: child,
                    at: a.at,
                    clock,
                    before: Some(a.id),
                })?;
                d.insert("campaign".into(), json!(a.primary));
                d.insert(
                    "filters".into(),
                    why.get("filters").cloned().unwrap_or_default(),
                );
                d.insert(
                    "logic".into(),
                    why.get("logic").cloned().unwrap_or_default(),
                );
            }
        }
        Some("max_people") => {
            for key in ["qualified", "max_people"] {
                if let Some(v) = a.attributes.get(key) {
                    d.insert(key.into(), v.clone());
                }
            }
        }
        _ => {
            // Reasons read from the person's flags or the step itself: the attributes say it.
            if let Some(m) = a.attributes.as_object() {
                for (k, v) in m {
                    if k != "cause" {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    Ok(Json::Object(d))
}
