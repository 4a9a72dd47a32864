//! The pages, one file each: pure functions from what [`super::queries`] read to markup.

pub mod campaign;
pub mod campaigns;
pub mod explain;
pub mod login;
pub mod person;
pub mod schedule;
