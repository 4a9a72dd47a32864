//! The interactive loop: a rustyline editor with [`CampHelper`], history in the user's data
//! directory, and every input handed to [`Session::eval`]. An input that stops short (an open
//! `{`, a condition ending in `and`) asks for continuation lines under [`CONTINUATION`] until
//! it is whole or an empty line submits it; the lines are one input and one history entry.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use super::helper::CampHelper;
use super::Session;

/// Where the history is kept: `<data dir>/camp/history`, the folder created when missing.
pub fn history_path() -> Option<PathBuf> {
    let dir = dirs::data_dir()?.join("camp");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history"))
}

/// Whether output and highlighting get colour: `NO_COLOR` unset or empty, and a terminal.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
}

/// The prompt of a new input.
pub const PROMPT: &str = "camp> ";

/// The prompt of a continuation line: the lines of one input read as one entry.
pub const CONTINUATION: &str = "  ...> ";

/// The line said when an interactive session starts.
pub fn banner() -> String {
    format!(
        "camp {} — :help for commands, Ctrl-D to quit",
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs the loop until `:quit` or Ctrl-D. Ctrl-C clears the input (all its lines). Returns the
/// exit status.
pub fn run(session: &mut Session) -> i32 {
    let color = use_color();
    session.set_style(color, color);
    let config = Config::builder().auto_add_history(false).build();
    let mut rl: Editor<CampHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 2;
        }
    };
    rl.set_helper(Some(CampHelper::new(color)));
    // Only a person at a terminal makes history; piped input is not kept.
    let history = if std::io::stdin().is_terminal() {
        history_path()
    } else {
        None
    };
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut out = std::io::stdout();
    let terminal = std::io::stdout().is_terminal();
    // The lines of an input read so far.
    let mut entry = String::new();
    loop {
        if let Some(h) = rl.helper_mut() {
            h.set_names(session.completion_names());
        }
        let prompt = if entry.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match rl.readline(prompt) {
            Ok(line) => {
                if !entry.is_empty() {
                    entry.push('\n');
                }
                entry.push_str(&line);
                if super::input::needs_more(&entry) {
                    continue;
                }
                let input = std::mem::take(&mut entry);
                if !input.trim().is_empty() {
                    let _ = rl.add_history_entry(input.trim_end());
                    if let Some(h) = &history {
                        let _ = rl.save_history(h);
                    }
                }
                // Read each time: the terminal may have been resized.
                if let Some(w) = terminal.then(crate::report::terminal_width).flatten() {
                    session.set_width(w);
                }
                let text = session.eval(&input);
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
                if session.finished() {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => entry.clear(),
            Err(ReadlineError::Eof) if !entry.is_empty() => {
                // Ctrl-D in the middle of an input submits what was typed, as an empty line
                // would, and ends the session.
                let text = session.eval(&std::mem::take(&mut entry));
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
                break;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    0
}
