//! The REPL in a real pseudo-terminal: a banner greets, Tab completes (names by kind), Up
//! recalls the previous line, a campaign typed over several lines is one input with a
//! continuation prompt, Ctrl-C clears the line, Ctrl-D leaves, and the history file is written
//! under the user's data directory. Piped, the REPL says nothing but its answers.

#![cfg(unix)]

use std::process::Command;
use std::time::Duration;

use expectrl::{Expect, Regex, Session};

const PROMPT: &str = "camp> ";
const CONTINUATION: &str = "  ...> ";
const BANNER: &str = "camp 0.1.0 — :help for commands, Ctrl-D to quit";

#[test]
fn completion_history_and_multiline_in_a_terminal() {
    let home = tempfile::tempdir().expect("temporary directory");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_camp"));
    cmd.args(["repl", "--from", "2026-12-01T09:00:00Z"])
        .env("NO_COLOR", "1")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("COLUMNS", "60")
        .env("TERM", "xterm");
    let mut p = match Session::spawn(cmd) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("no pseudo-terminal here ({e}); skipping");
            return;
        }
    };
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect(BANNER).expect("the banner");
    p.expect(PROMPT).expect("first prompt");

    // Diagnostics are wrapped at the terminal's width (60 columns): the help breaks before
    // its example, which fits on one line at the usual 100.
    p.send("schema person { state: text }\r").expect("send");
    p.expect("added schema person").expect("schema added");
    p.expect(PROMPT).expect("prompt");
    p.send("state == \"CA\"\r").expect("send");
    p.expect(Regex("as in\r?\n +`state is"))
        .expect("the help wrapped at 60 columns");
    p.expect(PROMPT).expect("first prompt");

    // Tab completes `:he` to `:help`.
    p.send(":he").expect("send");
    p.send("\t").expect("send tab");
    p.send("\r").expect("send enter");
    p.expect("this text").expect(":help ran after completion");
    p.expect(PROMPT).expect("prompt");

    p.send(":time\r").expect("send");
    p.expect("2026-12-01 09:00 UTC").expect(":time output");
    p.expect(PROMPT).expect("prompt");

    // Up recalls `:time`.
    p.send("\x1b[A").expect("send up");
    p.send("\r").expect("send enter");
    p.expect("2026-12-01 09:00 UTC").expect("recalled :time");
    p.expect(PROMPT).expect("prompt");

    // A campaign over several lines is one input; each line after the first has its prompt.
    p.send("campaign \"Bump\" {\r").expect("send");
    p.expect(CONTINUATION).expect("continuation prompt");
    p.send("smart list { filter all people }\r").expect("send");
    p.expect(CONTINUATION).expect("continuation prompt");
    p.send("flow { change score by 1 }\r").expect("send");
    p.expect(CONTINUATION).expect("continuation prompt");
    p.send("}\r").expect("send");
    p.expect("added campaign \"Bump\"").expect("campaign added");
    p.expect(PROMPT).expect("prompt");

    // Completion by kind: after `send email "` the one email, after `add to list "` the one
    // list, though both kinds are declared.
    p.send("email \"Welcome back\"\r").expect("send");
    p.expect("added email").expect("email added");
    p.expect(PROMPT).expect("prompt");
    p.send("list \"Winners\"\r").expect("send");
    p.expect("added list").expect("list added");
    p.expect(PROMPT).expect("prompt");
    p.send("send email \"W").expect("send");
    p.send("\t").expect("send tab");
    p.expect("elcome back\"").expect("the email completed");
    p.send("\x03").expect("send ctrl-c");
    p.expect(PROMPT).expect("prompt after ctrl-c");
    p.send("add to list \"W").expect("send");
    p.send("\t").expect("send tab");
    p.expect("inners\"").expect("the list completed");
    p.send("\x03").expect("send ctrl-c");
    p.expect(PROMPT).expect("prompt after ctrl-c");

    // Ctrl-C clears the line; the session goes on.
    p.send("state is").expect("send");
    p.send("\x03").expect("send ctrl-c");
    p.expect(PROMPT).expect("prompt after ctrl-c");
    p.send(":campaigns\r").expect("send");
    p.expect("on demand").expect(":campaigns output");
    p.expect(PROMPT).expect("prompt");

    // Ctrl-D leaves.
    p.send("\x04").expect("send ctrl-d");
    p.expect(expectrl::Eof).expect("the REPL ends");

    let history = std::fs::read_to_string(home.path().join("data/camp/history"))
        .expect("history written under the data directory");
    assert!(history.contains(":time"), "{history}");
    assert!(history.contains(":help"), "{history}");
}

#[test]
fn highlighting_in_a_terminal_unless_no_color() {
    for (no_color, coloured) in [(None, true), (Some("1"), false)] {
        let home = tempfile::tempdir().expect("temporary directory");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_camp"));
        cmd.args(["repl", "--from", "2026-12-01T09:00:00Z"])
            .env_remove("NO_COLOR")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("TERM", "xterm");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let mut p = match Session::spawn(cmd) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("no pseudo-terminal here ({e}); skipping");
                return;
            }
        };
        p.set_expect_timeout(Some(Duration::from_secs(20)));
        p.expect(PROMPT).expect("first prompt");
        p.send("send email").expect("send");
        let seen = p.expect("email").expect("echo");
        let before = String::from_utf8_lossy(seen.before()).into_owned();
        assert_eq!(
            before.contains("\x1b[1;35msend"),
            coloured,
            "NO_COLOR={no_color:?}: {before:?}"
        );
        p.send("\x03").expect("ctrl-c");
        p.expect(PROMPT).expect("prompt");
        p.send("\x04").expect("ctrl-d");
        p.expect(expectrl::Eof).expect("the REPL ends");
    }
}

#[test]
fn piped_input_gets_no_banner_and_no_prompts() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_camp"))
        .args(["repl", "--from", "2026-12-01T09:00:00Z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("camp runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"campaign \"A\" {\n  smart list { filter all people }\n  flow { change score by 1 }\n}\n")
        .expect("write");
    let out = child.wait_with_output().expect("camp ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, "added campaign \"A\"\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
