//! Why a person would or would not qualify for a campaign at an instant (LANGUAGE.md 12): the
//! filters through the engine's own evaluator in its explaining mode, the qualification rule,
//! `max people`, activation, triggers and the person's position.

use serde_json::{json, Map, Value as Json};

use super::texts::{ListTexts, Texts};
use crate::check::ir::{CampaignId, CampaignKind, Filters, Logic, Program, Qualify};
use crate::engine::asof::AsOf;
use crate::engine::conditions::{activity_matches, log_types, Eval, FiltersReport};
use crate::engine::value::rfc3339;
use crate::report::activity_json;
use crate::store::{Person, Result, Store};

/// What `camp explain PERSON CAMPAIGN` reads.
pub struct Question<'a> {
    /// The checked program.
    pub program: &'a Program,
    /// The scripts' texts.
    pub texts: &'a Texts,
    /// The store.
    pub store: &'a dyn Store,
    /// The person as the store holds them now.
    pub person: &'a Person,
    /// The campaign.
    pub campaign: CampaignId,
    /// The instant of the question.
    pub at: i64,
    /// The store's clock: an instant before it is answered from the log.
    pub clock: i64,
    /// Answer as of just before this activity (logged at `at`), from the log.
    pub before: Option<i64>,
}

/// The explanation of one person against one campaign, as the JSON object of LANGUAGE.md 12.
pub fn explain_person(q: &Question<'_>) -> Result<Json> {
    let program = q.program;
    let Some(campaign) = program.campaigns.get(q.campaign.index()) else {
        return Ok(Json::Null);
    };
    let tz = program.settings.time_zone;
    let past = q.at < q.clock || q.before.is_some();
    let asof = if past {
        Some(AsOf::reconstruct_before(
            program, q.store, q.person, q.at, q.before,
        )?)
    } else {
        None
    };
    let mut out = Map::new();
    out.insert("person".into(), json!(q.person.id));
    out.insert("email".into(), json!(q.person.email()));
    out.insert("campaign".into(), json!(campaign.name));
    out.insert("kind".into(), json!(campaign.kind.as_str()));
    out.insert("at".into(), json!(rfc3339(q.at)));
    let person = match &asof {
        Some(a) => a.person.clone(),
        None => Some(q.person.clone()),
    };
    let Some(person) = person else {
        // Before the person existed: nothing to evaluate.
        out.insert("existed".into(), json!(false));
        out.insert("qualifies".into(), json!(false));
        out.insert("filters".into(), json!([]));
        out.insert("logic".into(), Json::Null);
        out.insert("qualification".into(), Json::Null);
        out.insert("triggers".into(), json!([]));
        out.insert("position".into(), Json::Null);
        return Ok(Json::Object(out));
    };
    out.insert("existed".into(), json!(true));
    let eval = Eval::new(program, q.store, q.at).as_of(asof.as_ref());
    let report = eval.explain_filters(&campaign.filters, &person)?;
    let texts = q.texts.campaign(&campaign.name);
    let (filters, logic) = filters_json(program, q.texts, &texts, &campaign.filters, &report);

    // The qualification rule (executable campaigns use their caller's entry).
    let last_entered = match &asof {
        Some(a) => a.entry(&campaign.name).last_entered,
        None => q
            .store
            .membership(&campaign.name, person.id)?
            .and_then(|m| m.last_entered),
    };
    let eligible_from = match (campaign.qualify, last_entered) {
        (_, None) | (Qualify::EveryTime, _) => Some(q.at),
        (Qualify::Once, Some(_)) => None,
        (Qualify::OnceEvery(secs), Some(t)) => Some(t + secs),
    };
    let rule_ok =
        campaign.kind == CampaignKind::Executable || eligible_from.is_some_and(|t| q.at >= t);
    let qualification = if campaign.kind == CampaignKind::Executable {
        json!({
            "rule": "the caller's",
            "last_entered": last_entered.map(rfc3339),
            "eligible_from": Json::Null,
            "verdict": true,
        })
    } else {
        json!({
            "rule": q.texts.qualify(&campaign.name),
            "last_entered": last_entered.map(rfc3339),
            "eligible_from": eligible_from.map(rfc3339),
            "verdict": rule_ok,
        })
    };

    // `max people`: a batch run that would admit more does not happen.
    let mut max_ok = true;
    let max_people = match (campaign.kind, campaign.max_people) {
        (CampaignKind::Batch, Some(max)) => {
            let mut count = 0u64;
            if past {
                let asof_people = count_as_of(q, &campaign.filters)?;
                count = asof_people;
            } else {
                q.store
                    .select_people(program, &campaign.filters, q.at, &mut |_| {
                        count += 1;
                        Ok(())
                    })?;
            }
            max_ok = count <= max;
            json!({ "limit": max, "qualifying": count, "verdict": max_ok })
        }
        _ => Json::Null,
    };

    // Activation and triggers.
    let active_ok = campaign.kind != CampaignKind::Trigger || campaign.active;
    let mut triggers = Vec::new();
    if campaign.kind == CampaignKind::Trigger {
        for (i, t) in campaign.triggers.iter().enumerate() {
            let asset = match t.activity {
                crate::check::ir::ActivityType::RequestCampaign => Some(campaign.name.as_str()),
                _ => t.asset.as_deref(),
            };
            let kinds = log_types(t);
            let rows = q
                .store
                .history(person.id, &kinds, asset, None, Some(q.at))?;
            let last = rows.iter().rev().find(|a| {
                activity_matches(
                    program,
                    t,
                    &a.kind,
                    a.primary.as_deref(),
                    &a.attributes,
                    a.at,
                    tz,
                )
            });
            let text = texts
                .triggers
                .get(i)
                .cloned()
                .unwrap_or_else(|| t.activity.as_str().to_string());
            triggers.push(json!({
                "text": text,
                "last_match": last.map(activity_json),
            }));
        }
    }

    let position = position(q, &campaign.name, past)?;
    let qualifies = report.verdict && rule_ok && max_ok && active_ok;
    out.insert("qualifies".into(), json!(qualifies));
    out.insert("filters".into(), json!(filters));
    out.insert("logic".into(), logic);
    out.insert("qualification".into(), qualification);
    out.insert("max_people".into(), max_people);
    out.insert(
        "active".into(),
        if campaign.kind == CampaignKind::Trigger {
            json!(campaign.active)
        } else {
            Json::Null
        },
    );
    out.insert("triggers".into(), json!(triggers));
    out.insert("position".into(), position);
    Ok(Json::Object(out))
}

/// Filters and logic as JSON, included smart lists expanded.
fn filters_json(
    program: &Program,
    all: &Texts,
    texts: &ListTexts,
    filters: &Filters,
    report: &FiltersReport,
) -> (Vec<Json>, Json) {
    let mut list = Vec::new();
    for (i, r) in report.filters.iter().enumerate() {
        let mut f = Map::new();
        f.insert("number".into(), json!(i + 1));
        let text = texts
            .filters
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("filter {}", i + 1));
        f.insert("text".into(), json!(text));
        f.insert("values".into(), Json::Object(r.values.clone()));
        f.insert("verdict".into(), json!(r.verdict));
        if let Some(sl) = r.smart_lists.first() {
            let inner_texts = all.smart_list(&sl.name);
            let inner = program
                .smart_lists
                .iter()
                .find(|s| s.name == sl.name)
                .map(|s| &s.filters);
            if let Some(inner) = inner {
                let (fs, logic) = filters_json(program, all, &inner_texts, inner, &sl.report);
                f.insert(
                    "smart_list".into(),
                    json!({ "name": sl.name, "filters": fs, "logic": logic }),
                );
            }
        }
        list.push(Json::Object(f));
    }
    let verdicts: Vec<bool> = report.filters.iter().map(|r| r.verdict).collect();
    let word = |n: u32| {
        match verdicts.get((n as usize).wrapping_sub(1)) {
            Some(true) => "true",
            _ => "false",
        }
        .to_string()
    };
    let logic = json!({
        "text": texts.logic(),
        "evaluated": texts.logic_with(verdicts.len(), &word),
        "verdict": report.verdict,
        "match": match filters.logic {
            Logic::All => "all",
            Logic::Any => "any",
            Logic::Expr(_) => "expression",
        },
    });
    (list, logic)
}

/// How many people the filters admitted at a past instant, each as the log gives them then.
fn count_as_of(q: &Question<'_>, filters: &Filters) -> Result<u64> {
    let mut people = Vec::new();
    q.store.scan_people(&mut |p| {
        people.push(p);
        Ok(())
    })?;
    let mut count = 0;
    for p in &people {
        let asof = AsOf::reconstruct_before(q.program, q.store, p, q.at, q.before)?;
        let Some(then) = &asof.person else { continue };
        let eval = Eval::new(q.program, q.store, q.at).as_of(Some(&asof));
        if eval.filters(filters, then)? {
            count += 1;
        }
    }
    Ok(count)
}

/// Where the person is in the campaign: the wait they are parked in (the store's waits now;
/// the log's last `wait` before a past instant), or null.
fn position(q: &Question<'_>, campaign: &str, past: bool) -> Result<Json> {
    if !past {
        let wait = q.store.waits_in(q.person.id, campaign)?.into_iter().next();
        return Ok(match wait {
            Some(w) => json!({ "step": w.path, "until": rfc3339(w.wake_at) }),
            None => Json::Null,
        });
    }
    let log = q.store.log(&crate::store::LogQuery {
        person: Some(q.person.id),
        campaign: Some(campaign.to_string()),
        ..Default::default()
    })?;
    let last = log
        .iter()
        .rev()
        .find(|a| a.at <= q.at && q.before.is_none_or(|b| a.id < b));
    Ok(match last {
        Some(a) if a.kind == "wait" => {
            let until = a
                .attributes
                .get("until")
                .and_then(|u| u.as_str())
                .and_then(|u| crate::engine::inputs::parse_instant(u, chrono_tz::UTC))
                .map(|t| t.timestamp());
            match until {
                Some(t) if t > q.at => json!({ "step": a.step, "until": rfc3339(t) }),
                _ => Json::Null,
            }
        }
        _ => Json::Null,
    })
}
