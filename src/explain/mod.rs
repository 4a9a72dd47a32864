//! `camp explain` (LANGUAGE.md 12): why a person would or would not qualify for a campaign,
//! and why an activity happened. Verdicts come from the engine's own condition evaluator in
//! its explaining mode ([`crate::engine::conditions::Eval::explain_filters`]), so an
//! explanation never disagrees with what the engine does; a past instant reads the log
//! ([`crate::engine::asof`]).

pub mod activity;
pub mod condition;
pub mod human;
pub mod lookup;
pub mod person;
pub mod texts;

pub use activity::explain_activity;
pub use condition::explain_condition;
pub use human::{Marks, Style};
pub use lookup::{explain_named, resolve_person, LookupError};
pub use person::{explain_person, Question};
pub use texts::Texts;
