//! The engine: runs a checked program against a store.

pub mod inputs;
