//! What fits where, for completion in the REPL and the editor: the statements that can start a
//! line in each kind of block, the keywords that must follow a word, and the words after which
//! a field name stands. Read from the text before the cursor, so it works while the text does
//! not parse.

use super::scan::{scan, Piece};

/// The kind of block the cursor is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Outside any block: declarations and campaigns.
    Top,
    /// Directly in a campaign.
    Campaign,
    /// In a smart list (a campaign's or a declared one).
    SmartList,
    /// In a flow, or a branch of an `if` in one.
    Flow,
    /// In an email.
    Email,
    /// In a webhook.
    Webhook,
    /// In `settings`.
    Settings,
    /// In a program.
    Program,
    /// In a schema or an event: field declarations, new names.
    Fields,
}

/// The block that encloses byte `offset` of `text`.
pub fn place_at(text: &str, offset: usize) -> Place {
    let before = text.get(..offset).unwrap_or(text);
    let mut stack: Vec<Place> = Vec::new();
    // Where the text that leads to the next `{` starts.
    let mut head = 0;
    scan(before, |piece| {
        if let Piece::Code(i, b) = piece {
            match b {
                b'{' => {
                    let outer = stack.last().copied().unwrap_or(Place::Top);
                    stack.push(classify(before.get(head..i).unwrap_or(""), outer));
                    head = i + 1;
                }
                b'}' => {
                    stack.pop();
                    head = i + 1;
                }
                b'\n' => head = i + 1,
                _ => {}
            }
        }
        true
    });
    stack.last().copied().unwrap_or(Place::Top)
}

/// The block a `{` opens, from the words before it on its line and the block around it.
fn classify(head: &str, outer: Place) -> Place {
    let words: Vec<&str> = head.split_whitespace().collect();
    let first = words.first().copied().unwrap_or("");
    match first {
        "flow" | "if" | "else" => Place::Flow,
        "smart" => Place::SmartList,
        "campaign" | "batch" | "trigger" | "executable" => Place::Campaign,
        "email" => Place::Email,
        "webhook" => Place::Webhook,
        "settings" => Place::Settings,
        "program" => Place::Program,
        "schema" | "event" => Place::Fields,
        // A `{` alone on its line belongs to the line above; keep the block around it.
        _ => outer,
    }
}

/// The statements that can start a line in `place`, the most common first.
pub fn statements(place: Place) -> &'static [&'static str] {
    match place {
        Place::Top => &[
            "campaign",
            "batch campaign",
            "trigger campaign",
            "executable campaign",
            "email",
            "list",
            "form",
            "page",
            "smart list",
            "program",
            "webhook",
            "event",
            "token",
            "schema person",
            "settings",
        ],
        Place::Campaign => &[
            "smart list",
            "flow",
            "run at",
            "run every",
            "qualify",
            "description",
            "in program",
            "active",
            "inactive",
            "block non-operational emails",
            "max people",
        ],
        Place::SmartList => &["trigger", "filter", "match"],
        Place::Flow => &[
            "send email",
            "change",
            "add to list",
            "remove from list",
            "wait",
            "if",
            "else",
            "send alert",
            "change program status",
            "request campaign",
            "execute campaign",
            "call webhook",
            "remove from flow",
            "interesting moment",
            "delete person",
        ],
        Place::Email => &["subject", "body", "operational"],
        Place::Webhook => &["url", "method", "body"],
        Place::Settings => &["time zone", "communication limits", "cascade depth"],
        Place::Program => &["statuses"],
        Place::Fields => &[],
    }
}

/// Words that only certain keywords may follow: `send` → `email`, `alert`.
const NEXT: &[(&str, &[&str])] = &[
    ("send", &["email", "alert"]),
    ("add to", &["list"]),
    ("add", &["to"]),
    ("remove from", &["list", "flow"]),
    ("remove", &["from"]),
    ("request", &["campaign"]),
    ("execute", &["campaign"]),
    ("call", &["webhook"]),
    ("interesting", &["moment"]),
    ("delete", &["person"]),
    ("smart", &["list"]),
    ("schema", &["person"]),
    ("member of", &["list", "smart", "program", "campaign"]),
    ("member", &["of"]),
    ("change program", &["status"]),
    ("block", &["non-operational"]),
    ("max", &["people"]),
    ("time", &["zone"]),
    ("cascade", &["depth"]),
    ("communication", &["limits"]),
];

/// The keywords that must follow `head` (the text before the word being typed), if they are
/// the only ones that can.
pub fn next_words(head: &str) -> Option<&'static [&'static str]> {
    let words: Vec<&str> = head.split_whitespace().collect();
    NEXT.iter().find_map(|(phrase, next)| {
        let p: Vec<&str> = phrase.split(' ').collect();
        (words.len() >= p.len() && words[words.len() - p.len()..] == p[..]).then_some(*next)
    })
}

/// Whether a field name can stand after `head` (the text before the word being typed): at
/// the start of a condition (`filter`, `if`, `and`, `or`, `not`, `(`, `where`), after
/// `change`, and in `wait until`.
pub fn field_follows(head: &str) -> bool {
    let head = head.trim_end();
    if head.ends_with('(') {
        return true;
    }
    let last = head
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    matches!(
        last,
        "filter" | "if" | "and" | "or" | "not" | "where" | "change" | "until" | "next"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(text: &str) -> Place {
        place_at(text, text.len())
    }

    #[test]
    fn places_follow_the_open_blocks() {
        assert_eq!(place(""), Place::Top);
        assert_eq!(place("campaign \"A {\" {\n  "), Place::Campaign);
        assert_eq!(
            place("campaign \"A\" {\n  smart list {\n    "),
            Place::SmartList
        );
        assert_eq!(
            place("campaign \"A\" {\n  smart list { filter all people }\n  "),
            Place::Campaign
        );
        assert_eq!(
            place("campaign \"A\" {\n  flow {\n    if x is 1 {\n      "),
            Place::Flow
        );
        assert_eq!(place("campaign \"A\" {\n  flow {\n  }\n}\n"), Place::Top);
        assert_eq!(place("email \"W\" {\n  "), Place::Email);
        assert_eq!(place("# a { in a comment\n"), Place::Top);
    }

    #[test]
    fn next_words_and_fields() {
        assert_eq!(next_words("    send "), Some(&["email", "alert"][..]));
        assert_eq!(next_words("    add to "), Some(&["list"][..]));
        assert_eq!(next_words("    change "), None);
        assert!(field_follows("    filter "));
        assert!(field_follows("if state is \"CA\" and "));
        assert!(!field_follows("    send "));
        assert!(!field_follows("filter state "));
    }
}
