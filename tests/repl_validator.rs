//! The REPL asks for another line (under `  ...> `) only while the input stops short: the real
//! parser's error sits at the end of the input.

use camp::repl::input::needs_more;

#[test]
fn complete_inputs_submit() {
    for text in [
        "list \"Newsletter\"",
        "campaign \"A\" {\n  smart list { filter all people }\n  flow { change score by 1 }\n}",
        "state is \"CA\" and score at least 10",
        "change score by 5 for ann@example.com",
        ":help",
        ":event {\"type\":",
        "",
        "   ",
        "# a comment",
    ] {
        assert!(!needs_more(text), "should submit: {text:?}");
    }
}

#[test]
fn inputs_that_stop_short_ask_for_more() {
    for text in [
        "campaign \"A\" {",
        "campaign \"A\" {\n  smart list { filter all people }\n  flow {",
        "email \"Welcome\" { subject \"Hi\"",
        "email \"Long\" { body \"\"\"\n  first line",
        "state is \"CA\" and",
        "if state is \"CA\" {",
        "campaign \"A\" { # a comment after the brace",
    ] {
        assert!(needs_more(text), "should ask for more: {text:?}");
    }
}

#[test]
fn an_error_in_the_middle_is_submitted() {
    for text in [
        "campaign \"A\" {\n  flow { wait 2 hrs }\n",
        "campaign \"A\" {\n  smart list { bogus }",
        "list Newsletter",
        "change score by many for 1",
    ] {
        assert!(!needs_more(text), "should submit: {text:?}");
    }
}

#[test]
fn an_empty_line_submits_what_stops_short() {
    assert!(needs_more("campaign \"A\" {\n  flow {"));
    assert!(!needs_more("campaign \"A\" {\n  flow {\n"));
    assert!(!needs_more("campaign \"A\" {\n  flow {\n   "));
}
