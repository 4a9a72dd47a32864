//! camp: a language and interpreter for marketing-automation smart campaigns.
pub mod cli;
pub mod engine;
pub mod syntax;
