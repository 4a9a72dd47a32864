//! The flow executor: runs a campaign's steps for one person, logging one activity per executed
//! step (LANGUAGE.md 6, 9.5, 9.6), and queues the activities that may fire triggers.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use super::conditions::Eval;
use super::dispatch::TriggerIndex;
use super::template::{render, Escape, TokenSource};
use super::value::{day_start, display, local_date, rfc3339, same, to_json};
use super::waits::FieldDate;
use crate::check::ir::{
    ActivityType, CampaignId, ChangeValue, FieldId, FieldType, Program, Qualify, Scalar, Step,
    StepKind, Template, Wait,
};
use crate::store::{
    Activity, Delivery, OutboxRow, Outcome, Person, PersonId, Result, Store, WaitRow,
};

/// Built-in fields, at their fixed positions (`ir::BUILTIN_FIELDS`).
const UNSUBSCRIBED: FieldId = FieldId(5);
const MARKETING_SUSPENDED: FieldId = FieldId(6);
const EMAIL_INVALID: FieldId = FieldId(7);

/// Executable campaigns may call each other this deep at run time (the checker allows 3).
const MAX_EXECUTE_DEPTH: u32 = 8;

/// What started a flow: the trigger's values for `{{trigger.*}}` and the campaign chain for
/// cascade reports. Saved with a parked wait so that both survive it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FlowContext {
    /// The trigger that fired, if any.
    pub trigger: Option<TriggerInfo>,
    /// Campaign names from the origin of the cascade to the flow that produced the trigger.
    pub chain: Vec<String>,
    /// What started the flow: the `cause` attribute of every activity it logs (LANGUAGE.md 12).
    /// A wait keeps it, so the steps after the wake still name the flow's origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// The origin of a flow: the activity that fired it (a trigger's activity, a request), or the
/// batch run that put the person through it. Logged as the `cause` attribute: an activity id,
/// or `{"run": campaign, "at": T}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Cause {
    /// The id of the activity that started the flow.
    Activity(i64),
    /// A batch run: its campaign and its instant (RFC 3339, UTC).
    Run {
        /// The batch campaign.
        run: String,
        /// The run's instant.
        at: String,
    },
}

impl Cause {
    /// The batch run of `campaign` at instant `at`.
    pub fn run(campaign: &str, at: i64) -> Cause {
        Cause::Run {
            run: campaign.to_string(),
            at: rfc3339(at),
        }
    }

    /// The cause as the log writes it.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// The cause an activity's attributes record, if any.
    pub fn of(attributes: &Json) -> Option<Cause> {
        serde_json::from_value(attributes.get("cause")?.clone()).ok()
    }
}

/// The values `{{trigger.*}}` tokens read.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TriggerInfo {
    /// The trigger as written (`fills out form`).
    pub name: String,
    /// The triggering asset's name.
    pub asset: Option<String>,
    /// The activity's attributes (`link`, `page`, custom event data...).
    pub attributes: Map<String, Json>,
}

/// Whether the flow goes on after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Run the next step.
    Continue,
    /// Stop: the person waits, was removed from the flow or was deleted.
    Stop,
}

/// A succeeded activity some trigger listens to, waiting for dispatch with the campaign chain
/// that produced it.
#[derive(Clone, Debug, PartialEq)]
pub struct Queued {
    /// The activity as logged (with its id).
    pub activity: Activity,
    /// Campaign names from the origin of the cascade to the flow that logged it.
    pub chain: Vec<String>,
}

/// Runs flows for one instant.
pub struct Runner<'a> {
    /// The checked program.
    pub program: &'a Program,
    /// The store, inside a transaction.
    pub store: &'a mut dyn Store,
    /// Which activities can fire triggers.
    pub index: &'a TriggerIndex,
    /// The instant.
    pub now: i64,
    /// Activities to dispatch, in log order (the engine drains it before a unit of work ends).
    pub queue: &'a mut std::collections::VecDeque<Queued>,
}

/// An activity about to be logged.
struct Log<'s> {
    campaign: Option<&'s str>,
    step: Option<&'s str>,
    kind: ActivityType,
    primary: Option<String>,
    attributes: Json,
    outcome: Outcome,
    reason: Option<&'s str>,
}

impl<'s> Log<'s> {
    fn new(kind: ActivityType, campaign: Option<&'s str>, step: Option<&'s str>) -> Log<'s> {
        Log {
            campaign,
            step,
            kind,
            primary: None,
            attributes: json!({}),
            outcome: Outcome::Succeeded,
            reason: None,
        }
    }
    fn primary(mut self, p: impl Into<String>) -> Self {
        self.primary = Some(p.into());
        self
    }
    fn attrs(mut self, a: Json) -> Self {
        self.attributes = a;
        self
    }
    fn skipped(mut self, reason: &'s str) -> Self {
        self.outcome = Outcome::Skipped;
        self.reason = Some(reason);
        self
    }
    fn failed(mut self, reason: &'s str) -> Self {
        self.outcome = Outcome::Failed;
        self.reason = Some(reason);
        self
    }
}

impl Runner<'_> {
    fn tz(&self) -> chrono_tz::Tz {
        self.program.settings.time_zone
    }

    /// Appends an activity for `person` at depth `depth`; a succeeded activity that some
    /// trigger listens to is queued for dispatch with the chain that produced it.
    fn log(
        &mut self,
        person: &Person,
        depth: u32,
        chain: &[String],
        cause: Option<&Cause>,
        log: Log,
    ) -> Result<i64> {
        let mut attributes = log.attributes;
        if let (Some(cause), Some(map)) = (cause, attributes.as_object_mut()) {
            map.insert("cause".into(), cause.to_json());
        }
        let mut activity = Activity {
            id: 0,
            at: self.now,
            person: person.id,
            email: person.email().map(str::to_string),
            campaign: log.campaign.map(str::to_string),
            step: log.step.map(str::to_string),
            kind: log.kind.as_str().to_string(),
            primary: log.primary,
            attributes,
            outcome: log.outcome,
            reason: log.reason.map(str::to_string),
            depth,
        };
        let id = self.store.append_activity(&activity)?;
        let listened = self.index.listens_to(log.kind, activity.primary.as_deref());
        if log.outcome == Outcome::Succeeded && listened {
            activity.id = id;
            self.queue.push_back(Queued {
                activity,
                chain: chain.to_vec(),
            });
        }
        Ok(id)
    }

    /// Logs an input activity (depth 0) and queues it for dispatch.
    pub fn log_input(
        &mut self,
        person: &Person,
        kind: ActivityType,
        primary: Option<String>,
        attributes: Json,
    ) -> Result<i64> {
        let mut l = Log::new(kind, None, None).attrs(attributes);
        l.primary = primary;
        self.log(person, 0, &[], None, l)
    }

    /// Logs an activity with an explicit outcome (for the engine's own records).
    #[allow(clippy::too_many_arguments)]
    pub fn log_record(
        &mut self,
        person: &Person,
        campaign: Option<&str>,
        kind: ActivityType,
        primary: Option<String>,
        attributes: Json,
        outcome: Outcome,
        reason: Option<&str>,
        depth: u32,
        cause: Option<&Cause>,
    ) -> Result<i64> {
        let mut l = Log::new(kind, campaign, None).attrs(attributes);
        l.primary = primary;
        l.outcome = outcome;
        l.reason = reason;
        self.log(person, depth, &[], cause, l)
    }

    /// Puts `person` through campaign `cid`'s qualification rule and, when admitted, its flow.
    /// The person becomes a member either way.
    pub fn enter(
        &mut self,
        cid: CampaignId,
        person: PersonId,
        depth: u32,
        ctx: &FlowContext,
    ) -> Result<()> {
        let Some(campaign) = self.program.campaigns.get(cid.index()) else {
            return Ok(());
        };
        let Some(mut person) = self.store.person(person)? else {
            return Ok(());
        };
        let name = campaign.name.as_str();
        // `qualify every time` admits whatever the history: no need to read it.
        let last = match campaign.qualify {
            Qualify::EveryTime => None,
            _ => self
                .store
                .membership(name, person.id)?
                .and_then(|m| m.last_entered),
        };
        let admitted = match (campaign.qualify, last) {
            (_, None) | (Qualify::EveryTime, _) => true,
            (Qualify::Once, Some(_)) => false,
            (Qualify::OnceEvery(secs), Some(t)) => self.now >= t + secs,
        };
        if !admitted {
            self.store.add_member(name, person.id, self.now)?;
            let l =
                Log::new(ActivityType::EnterFlow, Some(name), None).skipped("qualification_rule");
            self.log(&person, depth, &ctx.chain, ctx.cause.as_ref(), l)?;
            return Ok(());
        }
        self.store.record_entry(name, person.id, self.now)?;
        let l = Log::new(ActivityType::EnterFlow, Some(name), None);
        self.log(&person, depth, &ctx.chain, ctx.cause.as_ref(), l)?;
        self.run_block(cid, &campaign.flow, 0, &mut person, depth, ctx, 0)?;
        Ok(())
    }

    /// Runs campaign `cid`'s flow for `person` from its first step, without its smart list,
    /// qualification rule or membership (the REPL's typed steps).
    pub fn run_flow(&mut self, cid: CampaignId, person: PersonId, ctx: &FlowContext) -> Result<()> {
        let Some(campaign) = self.program.campaigns.get(cid.index()) else {
            return Ok(());
        };
        let Some(mut person) = self.store.person(person)? else {
            return Ok(());
        };
        self.run_block(cid, &campaign.flow, 0, &mut person, 0, ctx, 0)?;
        Ok(())
    }

    /// Whether campaign `cid`'s flow still has a step at `path`.
    pub fn has_step(&self, cid: CampaignId, path: &str) -> bool {
        self.program
            .campaigns
            .get(cid.index())
            .is_some_and(|c| locate(&c.flow, path, &mut Vec::new()))
    }

    /// Resumes a parked person after the wait at `path`; false when the path no longer exists.
    pub fn resume(
        &mut self,
        cid: CampaignId,
        path: &str,
        person: &mut Person,
        depth: u32,
        ctx: &FlowContext,
    ) -> Result<bool> {
        let Some(campaign) = self.program.campaigns.get(cid.index()) else {
            return Ok(false);
        };
        let mut chain: Vec<(&[Step], usize)> = Vec::new();
        if !locate(&campaign.flow, path, &mut chain) {
            return Ok(false);
        }
        for (block, idx) in chain.into_iter().rev() {
            if self.run_block(cid, block, idx + 1, person, depth, ctx, 0)? == Next::Stop {
                break;
            }
        }
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_block(
        &mut self,
        cid: CampaignId,
        steps: &[Step],
        from: usize,
        person: &mut Person,
        depth: u32,
        ctx: &FlowContext,
        exec_depth: u32,
    ) -> Result<Next> {
        for step in steps.iter().skip(from) {
            if self.step(cid, step, person, depth, ctx, exec_depth)? == Next::Stop {
                return Ok(Next::Stop);
            }
        }
        Ok(Next::Continue)
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        cid: CampaignId,
        step: &Step,
        person: &mut Person,
        depth: u32,
        ctx: &FlowContext,
        exec_depth: u32,
    ) -> Result<Next> {
        let program = self.program;
        let Some(campaign) = program.campaigns.get(cid.index()) else {
            return Ok(Next::Stop);
        };
        let cname = campaign.name.as_str();
        let path = Some(step.path.as_str());
        let mut chain = ctx.chain.clone();
        chain.push(cname.to_string());
        let out_depth = depth + 1;
        match &step.kind {
            StepKind::SendEmail(eid) => {
                let Some(email) = program.emails.get(eid.index()) else {
                    return Ok(Next::Continue);
                };
                let l = Log::new(ActivityType::SendEmail, Some(cname), path).primary(&email.name);
                let block = self.send_block_reason(cid, person, email.operational)?;
                if let Some(reason) = block {
                    let l = l
                        .attrs(json!({ "operational": email.operational }))
                        .skipped(reason);
                    self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                    return Ok(Next::Continue);
                }
                let to = person.email().unwrap_or_default().to_string();
                let tokens = self.tokens(cid, person, ctx);
                let subject = render(&email.subject, &tokens, Escape::Plain);
                let body = render(&email.body, &tokens, Escape::Html);
                let l = l.attrs(
                    json!({ "to": to, "subject": subject, "operational": email.operational }),
                );
                let id = self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                self.store.outbox_insert(&OutboxRow {
                    id: 0,
                    at: self.now,
                    person: person.id,
                    to,
                    email: email.name.clone(),
                    subject,
                    body,
                    campaign: Some(cname.to_string()),
                    key: format!("email-{id}"),
                    kind: "email".into(),
                    operational: email.operational,
                    delivery: Delivery::default(),
                })?;
            }
            StepKind::SendAlert { email, to } => {
                let Some(e) = program.emails.get(email.index()) else {
                    return Ok(Next::Continue);
                };
                let tokens = self.tokens(cid, person, ctx);
                let recipients: Vec<String> = to
                    .iter()
                    .map(|t| render(t, &tokens, Escape::Plain).trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect();
                let subject = render(&e.subject, &tokens, Escape::Plain);
                let body = render(&e.body, &tokens, Escape::Html);
                let l = Log::new(ActivityType::SendAlert, Some(cname), path)
                    .primary(&e.name)
                    .attrs(json!({ "to": recipients, "subject": subject }));
                let id = self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                for (n, r) in recipients.iter().enumerate() {
                    self.store.outbox_insert(&OutboxRow {
                        id: 0,
                        at: self.now,
                        person: person.id,
                        to: r.clone(),
                        email: e.name.clone(),
                        subject: subject.clone(),
                        body: body.clone(),
                        campaign: Some(cname.to_string()),
                        key: format!("alert-{id}-{}", n + 1),
                        kind: "alert".into(),
                        operational: true,
                        delivery: Delivery::default(),
                    })?;
                }
            }
            StepKind::ChangeField { field, value } => {
                let Some(def) = program.fields.get(field.index()) else {
                    return Ok(Next::Continue);
                };
                let old = person.get(*field).cloned();
                let new = match value {
                    ChangeValue::Set(s) => Some(s.clone()),
                    ChangeValue::SetText(t) => {
                        let tokens = self.tokens(cid, person, ctx);
                        let s = render(t, &tokens, Escape::Plain);
                        (!s.is_empty()).then_some(Scalar::Text(s))
                    }
                    ChangeValue::Clear => None,
                    ChangeValue::Add(n) => {
                        let base = match &old {
                            Some(Scalar::Number(x)) => *x,
                            _ => 0.0,
                        };
                        Some(Scalar::Number(base + n))
                    }
                };
                let new = match (def.ty, new) {
                    (FieldType::Bool, None) => Some(Scalar::Bool(false)),
                    (_, v) => v,
                };
                let kind = if def.name == "score" {
                    ActivityType::ChangeScore
                } else {
                    ActivityType::ChangeDataValue
                };
                let mut attrs = json!({
                    "old": to_json(old.as_ref()),
                    "new": to_json(new.as_ref()),
                    "source": "flow",
                });
                if let (ChangeValue::Add(n), Some(m)) = (value, attrs.as_object_mut()) {
                    m.insert("delta".into(), super::value::number_json(*n));
                }
                let l = Log::new(kind, Some(cname), path)
                    .primary(&def.name)
                    .attrs(attrs);
                if same(old.as_ref(), new.as_ref()) {
                    self.log(
                        person,
                        out_depth,
                        &chain,
                        ctx.cause.as_ref(),
                        l.skipped("unchanged"),
                    )?;
                    return Ok(Next::Continue);
                }
                if def.name == "email" {
                    if let Some(Scalar::Text(e)) = &new {
                        if let Some(other) = self.store.person_by_email(e)? {
                            if other != person.id {
                                let l = l.failed("email_in_use");
                                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                                return Ok(Next::Continue);
                            }
                        }
                    }
                }
                self.store
                    .set_field(person.id, *field, new.as_ref(), self.now)?;
                if let Some(slot) = person.values.get_mut(field.index()) {
                    *slot = new;
                }
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
            }
            StepKind::ChangeProgramStatus {
                program: pid,
                status,
            } => {
                let Some(prog) = program.programs.get(pid.index()) else {
                    return Ok(Next::Continue);
                };
                let Some(new) = prog.statuses.get(*status) else {
                    return Ok(Next::Continue);
                };
                let current = self.store.program_status(&prog.name, person.id)?;
                let rank = current
                    .as_ref()
                    .and_then(|c| prog.statuses.iter().position(|s| s == c));
                let l = Log::new(ActivityType::ChangeProgramStatus, Some(cname), path)
                    .primary(&prog.name)
                    .attrs(json!({ "from": current, "to": new }));
                match rank {
                    Some(r) if r == *status => {
                        self.log(
                            person,
                            out_depth,
                            &chain,
                            ctx.cause.as_ref(),
                            l.skipped("unchanged"),
                        )?;
                    }
                    Some(r) if r > *status => {
                        self.log(
                            person,
                            out_depth,
                            &chain,
                            ctx.cause.as_ref(),
                            l.skipped("status_backwards"),
                        )?;
                    }
                    _ => {
                        self.store
                            .set_program_status(&prog.name, person.id, new, self.now)?;
                        self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                    }
                }
            }
            StepKind::AddToList(lid) | StepKind::RemoveFromList(lid) => {
                let Some(list) = program.lists.get(lid.index()) else {
                    return Ok(Next::Continue);
                };
                let adding = matches!(step.kind, StepKind::AddToList(_));
                let changed = if adding {
                    self.store.add_to_list(&list.name, person.id, self.now)?
                } else {
                    self.store.remove_from_list(&list.name, person.id)?
                };
                let kind = if adding {
                    ActivityType::AddToList
                } else {
                    ActivityType::RemoveFromList
                };
                let l = Log::new(kind, Some(cname), path).primary(&list.name);
                let l = if changed { l } else { l.skipped("unchanged") };
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
            }
            StepKind::Wait(w) => {
                let wake = self.wake_time(w, person);
                let wake = wake.max(self.now);
                let l = Log::new(ActivityType::Wait, Some(cname), path)
                    .attrs(json!({ "until": rfc3339(wake) }));
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                if wake > self.now {
                    let context = serde_json::to_string(ctx).unwrap_or_else(|_| "{}".into());
                    self.store.insert_wait(&WaitRow {
                        id: 0,
                        person: person.id,
                        campaign: cname.to_string(),
                        path: step.path.clone(),
                        wake_at: wake,
                        depth,
                        context,
                    })?;
                    return Ok(Next::Stop);
                }
            }
            StepKind::RequestCampaign(target) => {
                let Some(t) = program.campaigns.get(target.index()) else {
                    return Ok(Next::Continue);
                };
                let l = Log::new(ActivityType::RequestCampaign, Some(cname), path).primary(&t.name);
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
            }
            StepKind::ExecuteCampaign(child) => {
                let Some(c) = program.campaigns.get(child.index()) else {
                    return Ok(Next::Continue);
                };
                let qualified = exec_depth < MAX_EXECUTE_DEPTH
                    && Eval::new(program, &*self.store, self.now).filters(&c.filters, person)?;
                let l = Log::new(ActivityType::ExecuteCampaign, Some(cname), path)
                    .primary(&c.name)
                    .attrs(json!({ "qualified": qualified }));
                let l = if qualified {
                    l
                } else {
                    l.skipped("not_qualified")
                };
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                if qualified {
                    self.store.record_entry(&c.name, person.id, self.now)?;
                    self.run_block(*child, &c.flow, 0, person, depth, ctx, exec_depth + 1)?;
                    if self.store.person(person.id)?.is_none() {
                        return Ok(Next::Stop);
                    }
                }
            }
            StepKind::RemoveFromFlow(targets) => {
                let mut names = Vec::new();
                let mut removed = 0;
                for t in targets {
                    if let Some(c) = program.campaigns.get(t.index()) {
                        removed += self.store.delete_waits(person.id, &c.name)?;
                        names.push(c.name.clone());
                    }
                }
                let l = Log::new(ActivityType::RemoveFromFlow, Some(cname), path)
                    .primary(names.join(", "))
                    .attrs(json!({ "campaigns": names, "waits_removed": removed }));
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                if targets.contains(&cid) {
                    return Ok(Next::Stop);
                }
            }
            StepKind::CallWebhook(wid) => {
                let Some(w) = program.webhooks.get(wid.index()) else {
                    return Ok(Next::Continue);
                };
                let tokens = self.tokens(cid, person, ctx);
                let url = render(&w.url, &tokens, Escape::Url);
                let body = w.body.as_ref().map(|b| render(b, &tokens, Escape::Plain));
                let l = Log::new(ActivityType::CallWebhook, Some(cname), path)
                    .primary(&w.name)
                    .attrs(json!({ "url": url, "method": w.method, "body": body }));
                let id = self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                // The request waits in the outbox for delivery (LANGUAGE.md 13.3): the URL as
                // recipient, the method as subject.
                self.store.outbox_insert(&OutboxRow {
                    id: 0,
                    at: self.now,
                    person: person.id,
                    to: url,
                    email: w.name.clone(),
                    subject: w.method.clone(),
                    body: body.unwrap_or_default(),
                    campaign: Some(cname.to_string()),
                    key: format!("webhook-{id}"),
                    kind: "webhook".into(),
                    operational: true,
                    delivery: Delivery::default(),
                })?;
            }
            StepKind::InterestingMoment(t) => {
                let tokens = self.tokens(cid, person, ctx);
                let text = render(t, &tokens, Escape::Plain);
                let l = Log::new(ActivityType::InterestingMoment, Some(cname), path).primary(text);
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
            }
            StepKind::DeletePerson => {
                let l = Log::new(ActivityType::DeletePerson, Some(cname), path);
                self.log(person, out_depth, &chain, ctx.cause.as_ref(), l)?;
                // The person's parked waits go with them: each one leaves its flow, logged under
                // the cause of the flow it leaves.
                for w in self.store.person_waits(person.id)? {
                    let waiting: FlowContext = serde_json::from_str(&w.context).unwrap_or_default();
                    let mut l = Log::new(ActivityType::LeaveFlow, Some(&w.campaign), None)
                        .attrs(json!({ "path": w.path }));
                    l.reason = Some("person_deleted");
                    self.log(person, out_depth, &chain, waiting.cause.as_ref(), l)?;
                }
                self.store.delete_person(person.id)?;
                return Ok(Next::Stop);
            }
            StepKind::If {
                branches,
                otherwise,
            } => {
                let eval = Eval::new(program, &*self.store, self.now);
                let mut chosen = None;
                for (cond, steps) in branches {
                    if eval.cond(cond, person)? {
                        chosen = Some(steps);
                        break;
                    }
                }
                let chosen = chosen.or(otherwise.as_ref());
                if let Some(steps) = chosen {
                    return self.run_block(cid, steps, 0, person, depth, ctx, exec_depth);
                }
            }
        }
        Ok(Next::Continue)
    }

    /// Why a send must be skipped, if it must.
    fn send_block_reason(
        &self,
        cid: CampaignId,
        person: &Person,
        operational: bool,
    ) -> Result<Option<&'static str>> {
        let flag = |f: FieldId| matches!(person.get(f), Some(Scalar::Bool(true)));
        if person.email().is_none() {
            return Ok(Some("no_email"));
        }
        if flag(EMAIL_INVALID) {
            return Ok(Some("email_invalid"));
        }
        if operational {
            return Ok(None);
        }
        if flag(UNSUBSCRIBED) {
            return Ok(Some("unsubscribed"));
        }
        if flag(MARKETING_SUSPENDED) {
            return Ok(Some("marketing_suspended"));
        }
        let blocks = self
            .program
            .campaigns
            .get(cid.index())
            .is_some_and(|c| c.block_non_operational);
        if blocks {
            let s = &self.program.settings;
            if let Some(per_day) = s.per_day {
                let start = day_start(local_date(self.now, s.time_zone), s.time_zone);
                if self.store.marketing_sends_since(person.id, start)? >= per_day {
                    return Ok(Some("communication_limit"));
                }
            }
            if let Some(per_week) = s.per_week {
                let since = self.now - 7 * 86_400 + 1;
                if self.store.marketing_sends_since(person.id, since)? >= per_week {
                    return Ok(Some("communication_limit"));
                }
            }
        }
        Ok(None)
    }

    /// When a wait ends; an empty date field or an instant out of range ends it at once.
    fn wake_time(&self, w: &Wait, person: &Person) -> i64 {
        let field = |id: crate::check::ir::FieldId| match person.get(id) {
            Some(Scalar::Date(d)) => Some(FieldDate::Date(*d)),
            Some(Scalar::DateTime(t)) => Some(FieldDate::DateTime(*t)),
            _ => None,
        };
        super::waits::wake_time(w, super::value::instant(self.now), self.tz(), &field)
            .map(|t| t.timestamp())
            .unwrap_or(self.now)
    }

    fn tokens<'t>(
        &'t self,
        cid: CampaignId,
        person: &'t Person,
        ctx: &'t FlowContext,
    ) -> Tokens<'t> {
        Tokens {
            program: self.program,
            campaign: cid,
            person,
            ctx,
            now: self.now,
            depth: 0,
        }
    }
}

/// Finds the step at `path`, recording the blocks from the top down to it.
fn locate<'s>(steps: &'s [Step], path: &str, chain: &mut Vec<(&'s [Step], usize)>) -> bool {
    for (i, s) in steps.iter().enumerate() {
        if s.path == path {
            chain.push((steps, i));
            return true;
        }
        if let StepKind::If {
            branches,
            otherwise,
        } = &s.kind
        {
            if !path.starts_with(&format!("{}.", s.path)) {
                continue;
            }
            chain.push((steps, i));
            for b in branches.iter().map(|(_, b)| b).chain(otherwise.iter()) {
                if locate(b, path, chain) {
                    return true;
                }
            }
            chain.pop();
        }
    }
    false
}

/// Token values for one person in one campaign.
pub struct Tokens<'t> {
    program: &'t Program,
    campaign: CampaignId,
    person: &'t Person,
    ctx: &'t FlowContext,
    now: i64,
    depth: u32,
}

impl TokenSource for Tokens<'_> {
    fn lookup(&self, namespace: &str, name: &str) -> Option<String> {
        let p = self.program;
        let tz = p.settings.time_zone;
        let campaign = p.campaigns.get(self.campaign.index());
        let v = match namespace {
            "person" => {
                let f = p.field(name)?;
                display(self.person.get(f), tz)
            }
            "my" => {
                let t = p.tokens.iter().find(|t| t.name == name)?;
                if self.depth >= 4 {
                    return t.value.as_plain();
                }
                let inner = Tokens {
                    depth: self.depth + 1,
                    ..*self
                };
                render(&t.value, &inner, Escape::Plain)
            }
            "campaign" => match name {
                "name" => campaign?.name.clone(),
                "description" => {
                    let d: &Template = campaign?.description.as_ref()?;
                    render(d, self, Escape::Plain)
                }
                _ => return None,
            },
            "program" => {
                let prog = campaign?.program?;
                p.programs.get(prog.index())?.name.clone()
            }
            "system" => {
                let now = super::value::instant(self.now).with_timezone(&tz);
                match name {
                    "date" => now.format("%Y-%m-%d").to_string(),
                    "datetime" => now.format("%Y-%m-%d %H:%M").to_string(),
                    _ => return None,
                }
            }
            "trigger" => {
                let t = self.ctx.trigger.as_ref()?;
                match name {
                    "name" => t.name.clone(),
                    "asset" => t.asset.clone()?,
                    other => match t.attributes.get(other)? {
                        Json::Null => return None,
                        Json::String(s) => s.clone(),
                        Json::Number(n) => n.to_string(),
                        v => v.to_string(),
                    },
                }
            }
            _ => return None,
        };
        (!v.is_empty()).then_some(v)
    }
}

impl Clone for Tokens<'_> {
    fn clone(&self) -> Self {
        *self
    }
}

impl Copy for Tokens<'_> {}
