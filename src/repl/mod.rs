//! The REPL (`camp repl`): declarations and campaigns checked as they are typed, conditions that
//! list people, flow steps applied to a person, and `:commands` over a store.
//!
//! [`Session`] is the whole behaviour, without a terminal: [`Session::eval`] takes one input
//! and returns what to print, for the interactive loop ([`interactive`]) and the transcript
//! tests alike. [`helper`] is the line editor's side: completion, highlighting, and the
//! validator that asks for more lines while the input stops short.
//!
//! Module map: [`input`] tells what a typed text is; `session` holds the workspace and the
//! store (`session/commands.rs` the commands that act, `session/listings.rs` the listings);
//! [`event`] reads `:event` in words; `describe` and `table` put things in words and columns.

mod describe;
pub mod event;
pub mod helper;
pub mod input;
pub mod interactive;
mod session;
mod table;

pub use session::Session;
pub use session::COMMANDS;
