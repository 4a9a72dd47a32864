//! The run-time engine: a deterministic discrete-event simulation of the checked program against
//! a [`crate::store::Store`] (LANGUAGE.md section 9).
pub mod asof;
pub mod conditions;
pub mod dispatch;
pub mod events;
pub mod flow;
pub mod inputs;
pub mod run;
pub mod schedule;
pub mod stop;
pub mod template;
pub mod value;
pub mod waits;
