//! Finding the person and the campaign a question names, with a suggestion when one is
//! unknown.

use super::person::{explain_person, Question};
use super::texts::Texts;
use crate::check::ir::Program;
use crate::diagnostic::did_you_mean;
use crate::store::{PersonId, Store, StoreError};

/// The person `who` names: an id, or an email (case-insensitive).
pub fn resolve_person(store: &dyn Store, who: &str) -> Result<Option<PersonId>, StoreError> {
    if let Ok(id) = who.parse::<i64>() {
        return Ok(store.person(id)?.map(|p| p.id));
    }
    store.person_by_email(who)
}

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The person or the campaign is unknown: the message says which, with a suggestion.
    #[error("{0}")]
    Unknown(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Explains `person` (id or email) against `campaign` at `at` (default: the store's clock), or
/// says in one line what is unknown, with a suggestion.
pub fn explain_named(
    program: &Program,
    texts: &Texts,
    store: &dyn Store,
    person: &str,
    campaign: &str,
    at: Option<i64>,
) -> Result<serde_json::Value, LookupError> {
    let Some(cid) = program.campaign(campaign) else {
        let hint = did_you_mean(campaign, program.campaigns.iter().map(|c| c.name.as_str()));
        return Err(LookupError::Unknown(with_hint(
            format!("no campaign is called `{campaign}`"),
            hint,
        )));
    };
    let found = match resolve_person(store, person)? {
        Some(id) => store.person(id)?,
        None => None,
    };
    let Some(found) = found else {
        let mut emails = Vec::new();
        store.scan_people(&mut |p| {
            if let Some(e) = p.email() {
                emails.push(e.to_string());
            }
            Ok(())
        })?;
        let hint = did_you_mean(person, emails.iter().map(String::as_str));
        return Err(LookupError::Unknown(with_hint(
            format!("no person is `{person}`"),
            hint,
        )));
    };
    let clock = match store.clock()? {
        Some(t) => t,
        None => chrono::Utc::now().timestamp(),
    };
    explain_person(&Question {
        program,
        texts,
        store,
        person: &found,
        campaign: cid,
        at: at.unwrap_or(clock),
        clock,
        before: None,
    })
    .map_err(LookupError::from)
}

fn with_hint(message: String, hint: Option<String>) -> String {
    match hint {
        Some(h) => format!("{message}: {h}"),
        None => message,
    }
}
