//! Delivery: hands what the outbox holds to the outside world (LANGUAGE.md 13.3).
//!
//! A [`Deliverer`] takes the outbox rows due at an instant of the store's clock, one at a time:
//! emails and alerts go to an SMTP server ([`smtp`]) or to `.eml` files ([`file`]), webhook
//! requests to their URL ([`http`]) or to `.http` files. Each row's outcome is recorded in the
//! same transaction as the activity that reports it (`email_delivered`, `email_bounced`,
//! `webhook_called`), and that activity is dispatched to trigger campaigns like an input event.
//! Passing failures are retried with exponential backoff in store time ([`backoff`]), so a
//! restart resumes the schedule; at most one message per row can be repeated, after a crash
//! between the server's acknowledgement and the commit, and it carries the same `Message-ID` or
//! `Idempotency-Key`.

pub mod backoff;
pub mod file;
pub mod http;
pub mod message;
pub mod smtp;
pub mod text;
pub mod throttle;

use std::path::PathBuf;

use serde_json::json;

use crate::check::ir::{ActivityType, Program, Scalar};
use crate::engine::run::Engine;
use crate::store::{Delivery, DeliveryState, OutboxRow, Outcome, StoreError};

pub use message::parse_mailbox;

/// Outbox rows read from the store at a time.
const BATCH: u32 = 256;

/// A delivery failure that stops the deliverer (not a message that could not be delivered:
/// those are outcomes, recorded in the store).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DeliverError {
    /// `--deliver` names no known way.
    #[error("`{0}` is not a delivery target: write `none`, `file:DIR` or `smtp:URL`")]
    #[diagnostic(code(camp::deliver::target))]
    Target(String),
    /// The SMTP URL cannot be used.
    #[error("`{url}` is not an SMTP URL: {why}")]
    #[diagnostic(code(camp::deliver::smtp_url))]
    SmtpUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// `CAMP_SMTP_CA` cannot be read or holds no certificate.
    #[error("cannot use the certificates of `{path}` (CAMP_SMTP_CA): {why}")]
    #[diagnostic(code(camp::deliver::smtp_ca))]
    SmtpCa {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// SMTP delivery needs a sender.
    #[error("delivering email over SMTP needs a sender: add `from \"Name <address@example.com>\"` to the `settings` block")]
    #[diagnostic(code(camp::deliver::no_sender))]
    NoSender,
    /// The sender setting does not parse (the checker normally catches it).
    #[error("`{0}` is not a sender address")]
    #[diagnostic(code(camp::deliver::sender))]
    Sender(String),
    /// The `file:` directory cannot be written.
    #[error("cannot write to `{path}`: {why}")]
    #[diagnostic(code(camp::deliver::file))]
    File {
        /// The directory or file.
        path: String,
        /// The I/O error.
        why: String,
    },
    /// The store failed.
    #[error(transparent)]
    #[diagnostic(code(camp::deliver::store))]
    Store(#[from] StoreError),
}

/// Where delivered messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Nowhere: the outbox only.
    None,
    /// `.eml` and `.http` files in a directory.
    File(PathBuf),
    /// An SMTP server (`smtp://host:port` or `smtps://host:port`).
    Smtp(String),
}

impl Target {
    /// Reads `--deliver`: `none`, `file:DIR` or `smtp:URL` (`smtp:` may also be left out of a
    /// URL starting `smtp://` or `smtps://`).
    pub fn parse(text: &str) -> Result<Target, DeliverError> {
        if text == "none" {
            return Ok(Target::None);
        }
        if let Some(dir) = text.strip_prefix("file:") {
            if dir.is_empty() {
                return Err(DeliverError::Target(text.to_string()));
            }
            return Ok(Target::File(PathBuf::from(dir)));
        }
        let is_url = |u: &str| u.starts_with("smtp://") || u.starts_with("smtps://");
        match text.strip_prefix("smtp:") {
            Some(url) if is_url(url) => return Ok(Target::Smtp(url.to_string())),
            _ if is_url(text) => return Ok(Target::Smtp(text.to_string())),
            _ => {}
        }
        Err(DeliverError::Target(text.to_string()))
    }
}

/// What one call of [`Deliverer::deliver_due`] did, by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliverySummary {
    /// Rows delivered.
    pub delivered: u32,
    /// Emails bounced.
    pub bounced: u32,
    /// Rows to be tried again later.
    pub retrying: u32,
    /// Rows given up on or refused for good.
    pub failed: u32,
}

impl DeliverySummary {
    /// Counts one row's new state.
    pub fn count(&mut self, state: DeliveryState) {
        match state {
            DeliveryState::Delivered => self.delivered += 1,
            DeliveryState::Bounced => self.bounced += 1,
            DeliveryState::Retrying => self.retrying += 1,
            DeliveryState::Failed => self.failed += 1,
            DeliveryState::Pending => {}
        }
    }

    /// Rows handled.
    pub fn total(&self) -> u32 {
        self.delivered + self.bounced + self.retrying + self.failed
    }
}

/// The result of handing one row over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted: an email taken by the server, a webhook answered with `status`.
    Delivered {
        /// The reply code or HTTP status (None for files).
        status: Option<u16>,
    },
    /// Refused for good (SMTP 5xx, an HTTP 4xx, an address that cannot be written).
    Refused {
        /// The reply code or HTTP status.
        status: Option<u16>,
        /// The server's words.
        error: String,
    },
    /// Failed for a passing reason (SMTP 4xx, no connection, HTTP 5xx, a timeout).
    Transient {
        /// The reply code or HTTP status, when one came.
        status: Option<u16>,
        /// What happened.
        error: String,
    },
}

/// Hands outbox rows over and records what happened.
pub struct Deliverer {
    target: Target,
    smtp: Option<smtp::Smtp>,
    from: Option<lettre::message::Mailbox>,
    http: http::Http,
    throttle: throttle::Throttle,
    /// The store's delivery identity, read on the first delivery (see [`store_id`]).
    store_id: Option<String>,
}

/// The store's delivery identity: random hex digits made once and kept in the store's meta
/// table. It goes into every `Message-ID` and `Idempotency-Key` after the outbox key, so that
/// two stores (or a store made anew) never send the same identifiers, which receivers would
/// take for repeats.
fn store_id(engine: &mut Engine<'_>, now: i64) -> Result<String, DeliverError> {
    const KEY: &str = "delivery_id";
    if let Some(id) = engine.store().meta(KEY)? {
        return Ok(id);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let id = format!("{:016x}", h.finish());
    engine.record_unit(now, None, |runner| runner.store.set_meta(KEY, &id))?;
    Ok(id)
}

/// The identifier of one row's message or request: the outbox key and the store's identity.
pub fn delivery_key(key: &str, store_id: &str) -> String {
    format!("{key}.{store_id}")
}

impl Deliverer {
    /// A deliverer to `target` for `program`'s settings. SMTP needs the `from` setting: without
    /// it this fails before anything is sent.
    pub fn new(program: &Program, target: Target) -> Result<Deliverer, DeliverError> {
        let from = match &program.settings.from {
            Some(f) => Some(parse_mailbox(f).map_err(|_| DeliverError::Sender(f.clone()))?),
            None => None,
        };
        let smtp = match &target {
            Target::Smtp(url) => {
                if from.is_none() {
                    return Err(DeliverError::NoSender);
                }
                Some(smtp::Smtp::connect(url)?)
            }
            Target::File(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| DeliverError::File {
                    path: dir.display().to_string(),
                    why: e.to_string(),
                })?;
                None
            }
            Target::None => None,
        };
        Ok(Deliverer {
            target,
            smtp,
            from,
            http: http::Http::new(),
            throttle: throttle::Throttle::new(program.settings.delivery_rate),
            store_id: None,
        })
    }

    /// Delivers every outbox row due at `now` (the store's clock): rows not tried yet and rows
    /// whose next try has come, including rows that the outcomes' own trigger campaigns write
    /// meanwhile. Each outcome commits on its own, with its activity.
    pub fn deliver_due(
        &mut self,
        engine: &mut Engine<'_>,
        now: i64,
    ) -> Result<DeliverySummary, DeliverError> {
        self.deliver_slice(engine, now, &|| false)
            .map(|(summary, _)| summary)
    }

    /// Like [`Deliverer::deliver_due`], but gives way once `give_way` says so, asked after each
    /// row (at least one row is handled). Also says whether rows due at `now` may be left.
    pub fn deliver_slice(
        &mut self,
        engine: &mut Engine<'_>,
        now: i64,
        give_way: &dyn Fn() -> bool,
    ) -> Result<(DeliverySummary, bool), DeliverError> {
        let mut summary = DeliverySummary::default();
        if self.target == Target::None {
            return Ok((summary, false));
        }
        self.prepare(engine, now)?;
        let mut after = 0;
        loop {
            let rows = engine.store().due_deliveries(now, after, BATCH)?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                after = row.id;
                if engine.stopping() {
                    return Ok((summary, true));
                }
                let attempt = self.attempt(&row)?;
                summary.count(record(engine, &row, &attempt, now)?);
                if give_way() {
                    return Ok((summary, true));
                }
            }
        }
        Ok((summary, false))
    }

    /// Reads the store's delivery identity (made on the first delivery), which every
    /// `Message-ID` and `Idempotency-Key` carries: needed before [`Deliverer::attempt`].
    pub fn prepare(&mut self, engine: &mut Engine<'_>, now: i64) -> Result<(), DeliverError> {
        if self.store_id.is_none() {
            self.store_id = Some(store_id(engine, now)?);
        }
        Ok(())
    }

    /// The target messages go to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Hands one row over, after waiting as long as the delivery rate to its domain asks. No
    /// store is involved: a server may do this on a thread of its own and [`record`] the
    /// outcome on the store's. [`Deliverer::prepare`] comes first.
    pub fn attempt(&mut self, row: &OutboxRow) -> Result<Attempt, DeliverError> {
        self.throttle.wait(domain(row));
        let key = delivery_key(&row.key, self.store_id.as_deref().unwrap_or_default());
        if row.kind == "webhook" {
            let request = http::Request::of(row, &key);
            return match &self.target {
                Target::File(dir) => file::write_http(dir, &request),
                _ => Ok(self.http.call(&request)),
            };
        }
        let from = self
            .from
            .clone()
            .unwrap_or_else(message::placeholder_sender);
        let msg = match message::build(row, &from, &key) {
            Ok(m) => m,
            Err(why) => {
                return Ok(Attempt::Refused {
                    status: None,
                    error: why,
                })
            }
        };
        match (&self.target, &mut self.smtp) {
            (Target::File(dir), _) => file::write_eml(dir, &row.key, &msg),
            (_, Some(smtp)) => Ok(smtp.send(&msg)),
            _ => Ok(Attempt::Transient {
                status: None,
                error: "no way to deliver".into(),
            }),
        }
    }
}

/// The domain a row goes to (for throttling): the recipient's, or the webhook's host.
fn domain(row: &OutboxRow) -> &str {
    if row.kind == "webhook" {
        let rest = row.to.split_once("://").map_or(row.to.as_str(), |(_, r)| r);
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        host.rsplit_once('@').map_or(host, |(_, h)| h)
    } else {
        row.to.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// Records an attempt's outcome: the row's delivery state, the activity that reports it (and
/// `email_invalid` for a bounce that says the address does not exist), in one transaction with
/// the trigger campaigns it fires. Returns the new state.
pub fn record(
    engine: &mut Engine<'_>,
    row: &OutboxRow,
    attempt: &Attempt,
    now: i64,
) -> Result<DeliveryState, DeliverError> {
    let prev = &row.delivery;
    let first_try = prev.first_try.unwrap_or(now);
    let attempts = prev.attempts + 1;
    let (state, status, error, next_try) = match attempt {
        Attempt::Delivered { status } => (DeliveryState::Delivered, *status, None, None),
        Attempt::Refused { status, error } => {
            let state = if row.kind == "webhook" {
                DeliveryState::Failed
            } else {
                DeliveryState::Bounced
            };
            (state, *status, Some(error.clone()), None)
        }
        Attempt::Transient { status, error } => match backoff::next_try(first_try, attempts, now) {
            Some(t) => (
                DeliveryState::Retrying,
                *status,
                Some(error.clone()),
                Some(t),
            ),
            None => (DeliveryState::Failed, *status, Some(error.clone()), None),
        },
    };
    let delivery = Delivery {
        state,
        attempts,
        first_try: Some(first_try),
        next_try,
        status,
        error: error.clone(),
    };
    let gave_up = matches!(attempt, Attempt::Transient { .. }) && state == DeliveryState::Failed;
    engine.record_unit(now, Some(row.person), |runner| {
        runner.store.set_delivery(row.id, &delivery)?;
        // Alerts go to the team, not to the person: their outcome is the row's state only.
        if row.kind == "alert" || state == DeliveryState::Retrying {
            return Ok(());
        }
        let Some(mut person) = runner.store.person(row.person)? else {
            return Ok(());
        };
        let mut attrs = json!({ "key": row.key });
        if let Some(s) = status {
            attrs["status"] = json!(s);
        }
        if let Some(e) = &error {
            attrs["error"] = json!(e);
        }
        let (kind, outcome, reason) = match (row.kind.as_str(), state) {
            ("webhook", DeliveryState::Delivered) => {
                (ActivityType::WebhookCalled, Outcome::Succeeded, None)
            }
            ("webhook", _) if gave_up => (
                ActivityType::WebhookCalled,
                Outcome::Failed,
                Some("delivery_gave_up"),
            ),
            ("webhook", _) => (
                ActivityType::WebhookCalled,
                Outcome::Failed,
                Some("webhook_refused"),
            ),
            (_, DeliveryState::Delivered) => {
                (ActivityType::EmailDelivered, Outcome::Succeeded, None)
            }
            (_, DeliveryState::Bounced) if status.is_none() => (
                ActivityType::EmailBounced,
                Outcome::Failed,
                Some("invalid_address"),
            ),
            (_, DeliveryState::Bounced) => (ActivityType::EmailBounced, Outcome::Succeeded, None),
            _ => (
                ActivityType::EmailBounced,
                Outcome::Failed,
                Some("delivery_gave_up"),
            ),
        };
        if kind == ActivityType::EmailBounced
            && outcome == Outcome::Succeeded
            && matches!(status, Some(550 | 551 | 553))
        {
            if let Some(f) = runner.program.field("email_invalid") {
                runner
                    .store
                    .set_field(person.id, f, Some(&Scalar::Bool(true)), now)?;
                if let Some(slot) = person.values.get_mut(f.index()) {
                    *slot = Some(Scalar::Bool(true));
                }
            }
        }
        runner.log_record(
            &person,
            None,
            kind,
            Some(row.email.clone()),
            attrs,
            outcome,
            reason,
            0,
            None,
        )?;
        Ok(())
    })?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(Target::parse("none").unwrap(), Target::None);
        assert_eq!(
            Target::parse("file:out").unwrap(),
            Target::File(PathBuf::from("out"))
        );
        let smtp = Target::Smtp("smtp://mx.example:2525".into());
        assert_eq!(Target::parse("smtp:smtp://mx.example:2525").unwrap(), smtp);
        assert_eq!(Target::parse("smtp://mx.example:2525").unwrap(), smtp);
        assert_eq!(
            Target::parse("smtp:smtps://mx.example").unwrap(),
            Target::Smtp("smtps://mx.example".into())
        );
        assert!(Target::parse("smtp:mx.example").is_err());
        assert!(Target::parse("file:").is_err());
        assert!(Target::parse("mail").is_err());
    }
}
