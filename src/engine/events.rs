//! Inputs: people imported from CSV and events from JSON lines, validated as a whole before
//! anything is applied, stored as pending inputs, and applied in time order (LANGUAGE.md 9.2).

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value as Json};

use super::inputs::{
    parse_event_line_at, EventKind, InputError, InputEvent, PersonRecord, PersonRef,
};
use super::run::{Engine, Progress};
use super::value::{instant, local_time, same, to_json};
use crate::check::ir::{ActivityType, FieldId, Program, Scalar};
use crate::store::{InputRow, Person, PersonId, Result, StoreError};

/// How often an import reports its progress, at most.
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// Why inputs were rejected: a bad line (nothing applied), or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum InputRejected {
    /// The input itself is wrong.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// People created.
    pub created: u32,
    /// People whose fields changed.
    pub updated: u32,
    /// People unchanged.
    pub unchanged: u32,
}

/// Records an import looks up at a time.
const IMPORT_BLOCK: usize = 4096;

/// The email field's id (built-in, second).
const EMAIL: FieldId = FieldId(1);

impl Engine<'_> {
    /// Imports people at the store's clock `now`: new people log `new_person`, changed fields
    /// log `change_data_value` with `source: "import"`. All or nothing.
    pub fn import_people(&mut self, records: &[PersonRecord], now: i64) -> Result<ImportSummary> {
        let mut progress = self.progress.take();
        let total = records.len() as u64;
        let mut reported = false;
        // Reported at each commit point's worth of people, or every so often.
        let chunk = self.chunk.max(1) as usize;
        let result = self.with_tx(|engine| {
            let mut summary = ImportSummary::default();
            let mut runner = engine.runner_at(now);
            let mut last = std::time::Instant::now();
            // People are looked up, and new ones created, a block of records at a time; what
            // is logged keeps the records' order.
            for (b, block) in records.chunks(IMPORT_BLOCK).enumerate() {
                let emails: Vec<&str> = block.iter().map(|r| r.email.as_str()).collect();
                let known = runner.store.people_by_email(&emails)?;
                let mut k = 0;
                while k < block.len() {
                    let i = b * IMPORT_BLOCK + k;
                    if let Some(p) = &mut progress {
                        let due = i.is_multiple_of(chunk)
                            || (i.is_multiple_of(256) && last.elapsed() >= PROGRESS_INTERVAL);
                        if i > 0 && due {
                            p(&Progress {
                                work: "import",
                                done: i as u64,
                                total: Some(total),
                            });
                            reported = true;
                            last = std::time::Instant::now();
                        }
                    }
                    if let Some(id) = known[k] {
                        let r = &block[k];
                        k += 1;
                        let Some(mut person) = runner.store.person(id)? else {
                            continue;
                        };
                        let mut changed = false;
                        for (field, value) in &r.values {
                            changed |= change_field(
                                &mut runner,
                                &mut person,
                                *field,
                                value.as_ref(),
                                "import",
                            )?;
                        }
                        if changed {
                            summary.updated += 1;
                        } else {
                            summary.unchanged += 1;
                        }
                        continue;
                    }
                    // A run of new people, created together.
                    let run_end = (k..block.len())
                        .find(|j| known[*j].is_some())
                        .unwrap_or(block.len());
                    let values: Vec<Vec<(FieldId, Option<Scalar>)>> = block[k..run_end]
                        .iter()
                        .map(|r| {
                            let mut v = vec![(EMAIL, Some(Scalar::Text(r.email.clone())))];
                            v.extend(r.values.iter().cloned());
                            v
                        })
                        .collect();
                    let ids = runner.store.insert_people(&values, now)?;
                    for person in runner.store.people(&ids)?.into_iter().flatten() {
                        runner.log_input(
                            &person,
                            ActivityType::NewPerson,
                            None,
                            json!({ "source": "import" }),
                        )?;
                    }
                    summary.created += (run_end - k) as u32;
                    k = run_end;
                }
            }
            Ok(summary)
        });
        if let Some(p) = &mut progress {
            if reported && result.is_ok() {
                p(&Progress {
                    work: "import",
                    done: total,
                    total: Some(total),
                });
            }
        }
        self.progress = progress;
        result
    }

    /// Validates events against the store (people exist, no event earlier than the clock) and
    /// stores them as pending inputs. Nothing is stored when one is bad.
    pub fn add_events(
        &mut self,
        file: &str,
        events: &[(InputEvent, String)],
        clock: i64,
    ) -> std::result::Result<usize, InputRejected> {
        self.intake(file, clock, |next| {
            for (e, body) in events {
                next(e, body)?;
            }
            Ok(())
        })
    }

    /// Reads an events file line by line (LANGUAGE.md 9.2), validating each event and storing
    /// it as a pending input, in one transaction: a bad line anywhere stores nothing. Memory
    /// does not grow with the file, only with the people it creates.
    pub fn add_events_from(
        &mut self,
        file: &str,
        reader: impl std::io::BufRead,
        clock: i64,
    ) -> std::result::Result<usize, InputRejected> {
        self.add_events_from_at(file, reader, clock, None)
    }

    /// Like [`Engine::add_events_from`], but an event without `at` happens at `default_at` when
    /// one is given (`camp serve`: the moment it arrives).
    pub fn add_events_from_at(
        &mut self,
        file: &str,
        reader: impl std::io::BufRead,
        clock: i64,
        default_at: Option<i64>,
    ) -> std::result::Result<usize, InputRejected> {
        let program = self.program();
        let default_at = default_at.map(instant);
        self.intake(file, clock, |next| {
            super::inputs::read_event_lines_at(program, file, reader, default_at, |e, text| {
                next(&e, text)
            })
        })
    }

    /// Runs `feed`, which hands events to the closure it is given, inside a transaction of
    /// their own: each event is checked and stored; anything wrong rolls everything back.
    fn intake(
        &mut self,
        file: &str,
        clock: i64,
        feed: impl FnOnce(
            &mut dyn FnMut(&InputEvent, &str) -> std::result::Result<(), InputRejected>,
        ) -> std::result::Result<(), InputRejected>,
    ) -> std::result::Result<usize, InputRejected> {
        // The events get a transaction of their own, so that rejecting them undoes nothing else.
        self.flush()?;
        self.begin()?;
        let mut check = EventCheck::new(file, clock);
        let mut n = 0usize;
        let result = feed(&mut |e, body| {
            check.event(self, e)?;
            self.store().insert_input(&InputRow {
                seq: 0,
                at: e.at.timestamp(),
                source: file.to_string(),
                line: e.line,
                body: body.to_string(),
            })?;
            n += 1;
            Ok(())
        })
        .and_then(|_| check.finish());
        match result {
            Ok(()) => {
                self.flush()?;
                Ok(n)
            }
            Err(e) => {
                self.abandon();
                Err(e)
            }
        }
    }
}

/// The order key of an event: inputs run by time, then by line.
type Key = (i64, u64);

/// What the events of one intake say about an email the store does not know, for checks that
/// need the events in time order while the file comes in line order.
#[derive(Default)]
struct Unknown {
    /// The earliest form fill (which creates the person).
    first_fill: Option<Key>,
    /// The two earliest `person created` events.
    first_news: [Option<Key>; 2],
    /// The earliest other event.
    first_other: Option<Key>,
}

fn earliest(slot: &mut Option<Key>, key: Key) {
    if slot.is_none_or(|k| key < k) {
        *slot = Some(key);
    }
}

/// Checks events one at a time against the store and the clock; emails the store does not
/// know are settled at the end, in time order.
struct EventCheck<'f> {
    file: &'f str,
    clock: i64,
    known_ids: HashSet<PersonId>,
    known_emails: HashSet<String>,
    unknown: HashMap<String, Unknown>,
}

impl<'f> EventCheck<'f> {
    fn new(file: &'f str, clock: i64) -> Self {
        EventCheck {
            file,
            clock,
            known_ids: HashSet::new(),
            known_emails: HashSet::new(),
            unknown: HashMap::new(),
        }
    }

    fn error(&self, line: u64, message: String) -> InputRejected {
        InputError::new(self.file, line, message).into()
    }

    /// Whether the store has a person with `email` (lower-cased).
    fn known_email(&mut self, engine: &mut Engine<'_>, email: &str) -> Result<bool> {
        if self.known_emails.contains(email) {
            return Ok(true);
        }
        let known = engine.store().person_by_email(email)?.is_some();
        if known {
            self.known_emails.insert(email.to_string());
        }
        Ok(known)
    }

    fn event(
        &mut self,
        engine: &mut Engine<'_>,
        e: &InputEvent,
    ) -> std::result::Result<(), InputRejected> {
        let at = e.at.timestamp();
        let key = (at, e.line);
        if at < self.clock {
            let tz = engine.program().settings.time_zone;
            return Err(self.error(
                e.line,
                format!(
                    "this event is at {} but the store's clock is already at {}",
                    local_time(at, tz),
                    local_time(self.clock, tz)
                ),
            ));
        }
        match &e.person {
            PersonRef::Id(id) => {
                if !self.known_ids.contains(id) {
                    if engine.store().person(*id)?.is_none() {
                        return Err(self.error(e.line, format!("no person has id {id}")));
                    }
                    self.known_ids.insert(*id);
                }
            }
            PersonRef::Email(email) => {
                let email = email.to_lowercase();
                if !self.known_email(engine, &email)? {
                    let u = self.unknown.entry(email).or_default();
                    if matches!(e.kind, EventKind::FillsOutForm { .. }) {
                        earliest(&mut u.first_fill, key);
                    } else {
                        earliest(&mut u.first_other, key);
                    }
                }
            }
            PersonRef::New(values) => {
                if let Some((_, Some(Scalar::Text(email)))) =
                    values.iter().find(|(f, _)| *f == EMAIL)
                {
                    let email = email.to_lowercase();
                    if self.known_email(engine, &email)? {
                        return Err(self.error(
                            e.line,
                            format!("a person with email `{email}` already exists"),
                        ));
                    }
                    let u = self.unknown.entry(email).or_default();
                    match u.first_news {
                        [Some(a), _] if key < a => u.first_news = [Some(key), Some(a)],
                        [Some(a), Some(b)] if key < b => u.first_news = [Some(a), Some(key)],
                        [Some(a), None] => u.first_news = [Some(a), Some(key)],
                        [None, _] => u.first_news = [Some(key), None],
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// Settles the emails the store did not know, as if the events came in time order: the
    /// first event of such an email must create the person (a form fill or `person created`),
    /// and a `person created` after the person exists is an error. The earliest error wins.
    fn finish(&self) -> std::result::Result<(), InputRejected> {
        let mut worst: Option<(Key, String)> = None;
        for (email, u) in &self.unknown {
            let created = match (u.first_fill, u.first_news[0]) {
                (Some(f), Some(n)) => Some(f.min(n)),
                (f, n) => f.or(n),
            };
            let problem = match (created, u.first_other) {
                (None, Some(o)) => Some((o, format!("no person has email `{email}`"))),
                (Some(c), Some(o)) if o < c => Some((o, format!("no person has email `{email}`"))),
                _ => None,
            }
            .or_else(|| {
                // A `person created` that is not the first creation.
                let second = match (u.first_fill, u.first_news) {
                    (Some(f), [Some(n), _]) if f < n => Some(n),
                    (_, [Some(_), Some(n2)]) => Some(n2),
                    _ => None,
                };
                second.map(|k| (k, format!("a person with email `{email}` already exists")))
            });
            if let Some((k, m)) = problem {
                if worst.as_ref().is_none_or(|(w, _)| k < *w) {
                    worst = Some((k, m));
                }
            }
        }
        match worst {
            Some(((_, line), message)) => Err(self.error(line, message)),
            None => Ok(()),
        }
    }
}

/// Applies one stored input at `now`.
pub(crate) fn apply(engine: &mut Engine<'_>, now: i64, input: &InputRow) -> Result<()> {
    let program = engine.program();
    let Ok(event) = parse_event_line_at(
        program,
        &input.source,
        input.line,
        &input.body,
        instant(now),
    ) else {
        // Inputs are validated before they are stored; one that no longer reads (the script
        // changed) is dropped.
        return Ok(());
    };
    let mut runner = engine.runner_at(now);
    // Find or create the person.
    let (mut person, created) = match &event.person {
        PersonRef::Id(id) => match runner.store.person(*id)? {
            Some(p) => (p, false),
            None => return Ok(()),
        },
        PersonRef::Email(email) => match runner.store.person_by_email(email)? {
            Some(id) => match runner.store.person(id)? {
                Some(p) => (p, false),
                None => return Ok(()),
            },
            None => {
                if !matches!(event.kind, EventKind::FillsOutForm { .. }) {
                    return Ok(());
                }
                let id = runner
                    .store
                    .insert_person(&[(EMAIL, Some(Scalar::Text(email.clone())))], now)?;
                match runner.store.person(id)? {
                    Some(p) => (p, true),
                    None => return Ok(()),
                }
            }
        },
        PersonRef::New(values) => {
            let email = values.iter().find_map(|(f, v)| match (f, v) {
                (&EMAIL, Some(Scalar::Text(e))) => Some(e.clone()),
                _ => None,
            });
            let existing = match &email {
                Some(e) => runner.store.person_by_email(e)?,
                None => None,
            };
            match existing {
                Some(id) => {
                    let Some(mut p) = runner.store.person(id)? else {
                        return Ok(());
                    };
                    for (f, v) in values {
                        change_field(&mut runner, &mut p, *f, v.as_ref(), "event")?;
                    }
                    return Ok(());
                }
                None => {
                    let id = runner.store.insert_person(values, now)?;
                    match runner.store.person(id)? {
                        Some(p) => (p, true),
                        None => return Ok(()),
                    }
                }
            }
        }
    };
    if created {
        runner.log_input(
            &person,
            ActivityType::NewPerson,
            None,
            json!({ "source": source_of(&event.kind) }),
        )?;
    }
    let name = |v: Option<&str>| v.map(str::to_string);
    match &event.kind {
        EventKind::FillsOutForm { form, page, fields } => {
            let mut submitted = Map::new();
            for (f, v) in fields {
                change_field(&mut runner, &mut person, *f, v.as_ref(), "form")?;
                if let Some(def) = program.fields.get(f.index()) {
                    submitted.insert(def.name.clone(), to_json(v.as_ref()));
                }
            }
            let form_name = program.forms.get(form.index()).map(|f| f.name.as_str());
            let page_name = page
                .and_then(|p| program.pages.get(p.index()))
                .map(|p| p.name.clone());
            runner.log_input(
                &person,
                ActivityType::FillOutForm,
                name(form_name),
                json!({ "page": page_name, "fields": Json::Object(submitted) }),
            )?;
        }
        EventKind::VisitsPage { page } => {
            let page_name = program.pages.get(page.index()).map(|p| p.name.clone());
            runner.log_input(
                &person,
                ActivityType::VisitPage,
                page_name.clone(),
                json!({ "page": page_name }),
            )?;
        }
        EventKind::ClicksLink { email, link } => {
            let e = program.emails.get(email.index()).map(|e| e.name.clone());
            runner.log_input(
                &person,
                ActivityType::ClickEmail,
                e,
                json!({ "link": link }),
            )?;
        }
        EventKind::OpensEmail { email } => {
            let e = program.emails.get(email.index()).map(|e| e.name.clone());
            runner.log_input(&person, ActivityType::OpenEmail, e, json!({}))?;
        }
        EventKind::EmailDelivered { email } => {
            let e = program.emails.get(email.index()).map(|e| e.name.clone());
            runner.log_input(&person, ActivityType::EmailDelivered, e, json!({}))?;
        }
        EventKind::EmailBounced { email } => {
            let e = program.emails.get(email.index()).map(|e| e.name.clone());
            runner.log_input(&person, ActivityType::EmailBounced, e, json!({}))?;
        }
        EventKind::Unsubscribes { email } => {
            let e = email
                .and_then(|e| program.emails.get(e.index()))
                .map(|e| e.name.clone());
            if let Some(f) = program.field("unsubscribed") {
                runner
                    .store
                    .set_field(person.id, f, Some(&Scalar::Bool(true)), now)?;
                if let Some(slot) = person.values.get_mut(f.index()) {
                    *slot = Some(Scalar::Bool(true));
                }
            }
            runner.log_input(&person, ActivityType::UnsubscribeEmail, e, json!({}))?;
        }
        EventKind::DataChanged { fields } => {
            for (f, v) in fields {
                change_field(&mut runner, &mut person, *f, v.as_ref(), "event")?;
            }
        }
        EventKind::PersonCreated => {}
        EventKind::Custom { event, data } => {
            let e = program.events.get(event.index()).map(|e| e.name.clone());
            let mut attrs = Map::new();
            for (k, v) in data {
                attrs.insert(k.clone(), to_json(v.as_ref()));
            }
            runner.log_input(&person, ActivityType::CustomEvent, e, Json::Object(attrs))?;
        }
        EventKind::RequestCampaign { campaign } => {
            let c = program
                .campaigns
                .get(campaign.index())
                .map(|c| c.name.clone());
            runner.log_input(&person, ActivityType::RequestCampaign, c, json!({}))?;
        }
    }
    Ok(())
}

fn source_of(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::FillsOutForm { .. } => "form",
        _ => "event",
    }
}

/// Sets a field from an input, logging `change_data_value` (or `change_score`) when it changes.
fn change_field(
    runner: &mut super::flow::Runner<'_>,
    person: &mut Person,
    field: FieldId,
    value: Option<&Scalar>,
    source: &str,
) -> Result<bool> {
    let program = runner.program;
    let Some(def) = program.fields.get(field.index()) else {
        return Ok(false);
    };
    if def.read_only {
        return Ok(false);
    }
    let old = person.get(field).cloned();
    if same(old.as_ref(), value) {
        return Ok(false);
    }
    runner
        .store
        .set_field(person.id, field, value, runner.now)?;
    if let Some(slot) = person.values.get_mut(field.index()) {
        *slot = value.cloned();
    }
    let kind = if def.name == "score" {
        ActivityType::ChangeScore
    } else {
        ActivityType::ChangeDataValue
    };
    runner.log_input(
        person,
        kind,
        Some(def.name.clone()),
        json!({ "old": to_json(old.as_ref()), "new": to_json(value), "source": source }),
    )?;
    Ok(true)
}

/// Reads `text` as events for `program` (see [`super::inputs::parse_events`]), keeping each
/// line's text so it can be stored.
pub fn read_events(
    program: &Program,
    file: &str,
    text: &str,
) -> std::result::Result<Vec<(InputEvent, String)>, InputError> {
    let mut out = Vec::new();
    super::inputs::read_event_lines(program, file, text.as_bytes(), |e, line| {
        out.push((e, line.to_string()));
        Ok::<_, InputError>(())
    })?;
    Ok(out)
}
