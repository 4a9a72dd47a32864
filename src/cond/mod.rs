//! What conditions mean, whatever store holds the people (LANGUAGE.md 4.1).
//!
//! [`meaning`] evaluates field tests and activity matches on values: the engine's evaluator
//! applies it to people and their log as a store returns them. [`pushdown`] translates a
//! smart list's filters into a predicate tree with a superset and a subset side, over the
//! checked program only: each store renders it in its own SQL, and a store's selection is
//! then the in-memory evaluation's, whatever the store.

pub mod meaning;
pub mod pushdown;
