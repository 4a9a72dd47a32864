//! The run-time engine's pure building blocks: schedules, wait wake times and token rendering.
pub mod schedule;
pub mod template;
pub mod waits;
