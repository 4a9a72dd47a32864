//! The interactive loop: a rustyline editor with [`CampHelper`], history in the user's data
//! directory, and every input handed to [`Session::eval`].

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

/// Runs the loop until `:quit` or Ctrl-D. Ctrl-C clears the line. Returns the exit status.
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
    loop {
        if let Some(h) = rl.helper_mut() {
            let (fields, names) = session.completion_names();
            h.fields = fields;
            h.names = names;
        }
        match rl.readline("camp> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                    if let Some(h) = &history {
                        let _ = rl.save_history(h);
                    }
                }
                let text = session.eval(&line);
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
                if session.finished() {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    0
}
