//! Syntax errors in words a user knows: pest's "expected rules" become
//! "expected a flow step such as `send email`, `wait` or `if`, found `sned`".

use pest::error::{ErrorVariant, InputLocation};

use super::parser::Rule;
use super::span::{FileId, Span};
use crate::diagnostic::Diagnostic;

/// How a rule reads in "expected ..." messages: one or more alternatives, none to hide it.
fn describe(rule: Rule) -> Vec<String> {
    let name = format!("{rule:?}");
    if let Some(word) = name.strip_prefix("kw_") {
        return vec![format!(
            "`{}`",
            word.replace("non_operational", "non-operational")
        )];
    }
    let words: &[&str] = match rule {
        Rule::EOI => &["end of file"],
        Rule::item => &["a declaration (`campaign`, `email`, `list`, `schema person`, `test`, ...)"],
        Rule::setting => &["a setting (`time zone`, `communication limits`, `cascade depth`)"],
        Rule::field_decl => &["a field such as `state: text`"],
        Rule::field_type => &["a type (`text`, `number`, `bool`, `date`, `datetime`)"],
        Rule::email_stmt => &["`subject`", "`body`", "`operational`"],
        Rule::webhook_stmt => &["`url`", "`method`", "`body`"],
        Rule::statuses_stmt => &["`statuses`"],
        Rule::smart_list_line => &["`trigger`", "`filter`", "`match`"],
        Rule::campaign_stmt => {
            &["a campaign statement (`smart list`, `flow`, `run`, `qualify`, `description`, ...)"]
        }
        Rule::campaign_kind => &["`batch`", "`trigger`", "`executable`"],
        Rule::step => &["a flow step (`send email`, `change`, `add to list`, `wait`, `if`, ...)"],
        Rule::condition | Rule::cond_expr | Rule::cond_unary => {
            &["a condition (`state is \"CA\"`, `member of list \"Newsletter\"`, ...)"]
        }
        Rule::cond_group => &["`(`"],
        Rule::trigger => &["a trigger (`fills out form`, `visits page`, `person is created`, ...)"],
        Rule::field_op => &["an operator (`is`, `contains`, `at least`, `before`, `in past`, ...)"],
        Rule::match_expr | Rule::match_unary => &["filter numbers such as `1 and (2 or 3)`"],
        Rule::match_all | Rule::match_any => &["`all`", "`any`"],
        Rule::match_group => &["`(`"],
        Rule::filter_number => &["a filter number"],
        Rule::logic_op => &["`and`", "`or`"],
        Rule::not_op => &["`not`"],
        Rule::history_what | Rule::history => &["an activity such as `was sent email`"],
        Rule::membership => &["`member of`"],
        Rule::window => &["a time window (`in past 30 days`, `since`, `before`, `between`)"],
        Rule::times => &["`at least N times`", "`at most N times`", "`exactly N times`"],
        Rule::times_at_least | Rule::times_at_most | Rule::times_exactly => {
            &["`at least`", "`at most`", "`exactly`"]
        }
        Rule::test_decl => &["`test`"],
        Rule::test_stmt => &[
            "a test statement (`from`, `person`, `people`, `events`, `at`, `run`, `until`, `expect`)",
        ],
        Rule::ts_from => &["`from`"],
        Rule::ts_person => &["`person`"],
        Rule::ts_people => &["`people`"],
        Rule::ts_events => &["`events`"],
        Rule::ts_at => &["`at`"],
        Rule::ts_run => &["`run`"],
        Rule::ts_until => &["`until`"],
        Rule::ts_expect => &["`expect`"],
        Rule::field_values => &["`{`"],
        Rule::field_value => &["a field and its value such as `state \"CA\"`"],
        Rule::test_event => &[
            "an event (`fills out form`, `visits page`, `clicks link`, `opens email`, `has event`, ...)",
        ],
        Rule::e_fills => &["`fills out form`"],
        Rule::e_visits => &["`visits page`"],
        Rule::e_clicks => &["`clicks link`"],
        Rule::e_opens => &["`opens email`"],
        Rule::e_delivered => &["`email is delivered`"],
        Rule::e_bounces => &["`email bounces`"],
        Rule::e_unsubscribes => &["`unsubscribes from email`"],
        Rule::e_data_changes => &["`data value changes`"],
        Rule::e_has_event => &["`has event`"],
        Rule::e_requests => &["`requests campaign`"],
        Rule::x_email | Rule::x_waiting | Rule::x_count | Rule::x_person => &[
            "an expectation (`\"EMAIL\" CONDITION`, `N people CONDITION`, `no one`, `email \"E\" to`)",
        ],
        Rule::x_no_one => &["`no one`"],
        Rule::x_number => &["`N people`"],
        Rule::message_condition | Rule::message_part => &["`subject`", "`body`"],
        Rule::link_constraint => &["`link contains`", "`link is`"],
        Rule::on_page => &["`on page`"],
        Rule::to_value => &["`to`"],
        Rule::from_value => &["`from`"],
        Rule::where_clause => &["`where`"],
        Rule::qualify_stmt => &["`qualify`"],
        Rule::run_at | Rule::run_every => &["`at`", "`every`"],
        Rule::recur_unit => &[
            "`day`", "`days`", "`week`", "`weeks`", "`month`", "`months`",
        ],
        Rule::recur_on => &["`on`"],
        Rule::on_weekdays => &["`weekdays`"],
        Rule::day_of_month => &["`day N`"],
        Rule::nth_weekday | Rule::ordinal => &["`1st`", "`2nd`", "`3rd`", "`4th`", "`last`"],
        Rule::weekday_list | Rule::weekday => &["a weekday (`mon` ... `sun`)"],
        Rule::at_time => &["`at HH:MM`"],
        Rule::run_from => &["`from`"],
        Rule::run_until => &["`until`"],
        Rule::change_by | Rule::change_to | Rule::change_empty => &["`to`", "`by`"],
        Rule::wait_for | Rule::duration => &["a duration such as `3 days`"],
        Rule::wait_until_date | Rule::wait_until_field | Rule::wait_until_next => &["`until`"],
        Rule::wait_on => &["`on`"],
        Rule::wait_offset => &["`minus`", "`plus`"],
        Rule::else_if_branch | Rule::else_branch => &["`else`"],
        Rule::duration_unit => &["a time unit (`minutes`, `hours`, `days`, `weeks`)"],
        Rule::interval_unit => &["a time unit (`minutes`, `hours`, `days`, `weeks`, `months`)"],
        Rule::interval => &["an interval such as `1 month`"],
        Rule::value_list | Rule::value => &["a value (string, number, date, `true`, `false`)"],
        Rule::date_value => &["a date or date-time (`2026-12-01`, `2026-12-01 09:00`)"],
        Rule::date => &["a date such as `2026-12-01`"],
        Rule::datetime => &["a date-time such as `2026-12-01 09:00`"],
        Rule::time => &["a time of day such as `09:00`"],
        Rule::bool => &["`true`", "`false`"],
        Rule::number => &["a number"],
        Rule::uint => &["a whole number"],
        Rule::ident => &["a name such as `first_name`"],
        Rule::string | Rule::plain_string | Rule::triple_string => &["a quoted string"],
        Rule::token => &["a token such as `{{person.first_name}}`"],
        Rule::token_ns => {
            &["a token namespace (`person`, `my`, `campaign`, `program`, `system`, `trigger`)"]
        }
        Rule::token_name => &["a token name"],
        Rule::token_raw | Rule::token_default => &["`:raw`", "`:default=...`", "`}}`"],
        Rule::escape => &["an escape (`\\\"`, `\\\\`, `\\n`, `\\t`, `\\u{...}`)"],
        Rule::block | Rule::lbrace | Rule::smart_list_body => &["`{`"],
        Rule::rbrace => &["`}`"],
        Rule::lparen => &["`(`"],
        Rule::rparen => &["`)`"],
        Rule::comma => &["`,`"],
        Rule::colon => &["`:`"],
        Rule::equals => &["`=`"],
        Rule::sym_eq | Rule::sym_ne | Rule::sym_ge | Rule::sym_le | Rule::sym_gt | Rule::sym_lt => {
            &["a comparison"]
        }
        Rule::limit => &["a limit such as `1 per day` or `5 per 7 days`"],
        Rule::limit_day | Rule::limit_days => &["`day`", "`7 days`"],
        Rule::repl_target => &["a person (id or email)"],
        _ => &[],
    };
    words.iter().map(|w| w.to_string()).collect()
}

/// The words that can start what `rule` stands for, separated by spaces, for "did you mean"
/// help.
fn first_words(rule: Rule) -> &'static str {
    match rule {
        Rule::item => {
            "settings schema smart list email form page webhook event program token \
             campaign batch trigger executable test"
        }
        Rule::campaign_stmt => "description in smart flow run active inactive qualify block max",
        Rule::step => "send change add remove wait request execute call interesting delete if",
        Rule::trigger => {
            "person fills visits clicks opens email unsubscribes data score added removed \
             program campaign event"
        }
        Rule::condition | Rule::cond_expr | Rule::cond_unary => {
            "not member program was opened clicked email unsubscribed filled visited data score \
             person campaign had all"
        }
        Rule::smart_list_line => "trigger filter match",
        Rule::test_stmt => "from person people events at run until expect",
        Rule::test_event => "fills visits clicks opens email unsubscribes data has requests",
        Rule::setting => "time communication cascade",
        Rule::email_stmt => "subject body operational",
        Rule::webhook_stmt => "url method body",
        Rule::field_type => "text number bool date datetime",
        Rule::field_op => "is not starts contains at greater less between on before after in",
        Rule::logic_op => "and or",
        Rule::match_all | Rule::match_any => "all any",
        Rule::campaign_kind => "batch trigger executable",
        Rule::change_by | Rule::change_to | Rule::change_empty => "to by",
        Rule::run_at | Rule::run_every => "at every",
        Rule::recur_unit => "day days week weeks month months",
        Rule::duration_unit => "minute minutes hour hours day days week weeks",
        Rule::interval_unit => "minute minutes hour hours day days week weeks month months",
        Rule::weekday_list | Rule::weekday => "mon tue wed thu fri sat sun",
        Rule::window => "in since before between",
        Rule::bool => "true false",
        Rule::else_if_branch | Rule::else_branch => "else",
        Rule::wait_offset => "minus plus",
        _ => "",
    }
}

/// Where a description goes in the list: constructs, then words, then punctuation, then the end.
fn rank(description: &str) -> u8 {
    let mut chars = description.chars();
    match (chars.next(), chars.next()) {
        _ if description == "end of file" => 3,
        (Some('`'), Some(c)) if c.is_ascii_alphanumeric() => 1,
        (Some('`'), _) => 2,
        _ => 0,
    }
}

/// Joins descriptions as `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What stands at `pos`: its length in bytes, how a message names it ("`sned`", "a line
/// break", "end of file") and how a label names it ("line break").
struct Found {
    len: usize,
    shown: String,
    bare: String,
}

fn found_at(text: &str, pos: usize) -> Found {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return Found {
            len: 0,
            shown: "end of file".to_string(),
            bare: "end of file".to_string(),
        };
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let word = &rest[..len];
    let word = match word.char_indices().nth(30) {
        Some((i, _)) => &word[..i],
        None => word,
    };
    let (shown, bare) = match first {
        '\n' | '\r' => ("a line break".to_string(), "line break".to_string()),
        '\t' | ' ' => ("whitespace".to_string(), "whitespace".to_string()),
        c if c.is_control() => {
            let s = format!("`{}`", word.escape_debug());
            (s.clone(), s)
        }
        _ => (format!("`{word}`"), format!("`{word}`")),
    };
    Found { len, shown, bare }
}

/// What a scan of the text up to some position found still open.
#[derive(Default)]
struct Open {
    /// Offsets of the `{` not yet closed, outermost first.
    braces: Vec<usize>,
    /// The opening quote of a string not yet closed, and whether it is triple-quoted.
    string: Option<(usize, bool)>,
}

/// Scans `text[..end]` for the braces and the string left open at `end`, skipping comments.
fn open_at(text: &str, end: usize) -> Open {
    let bytes = &text.as_bytes()[..end.min(text.len())];
    let mut open = Open::default();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                let triple = bytes[i..].starts_with(b"\"\"\"");
                i += if triple { 3 } else { 1 };
                let mut closed = false;
                while i < bytes.len() {
                    if bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if triple && bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        closed = true;
                        break;
                    }
                    if !triple && (bytes[i] == b'"' || bytes[i] == b'\n') {
                        closed = true;
                        break;
                    }
                    i += 1;
                }
                if !closed {
                    open.string = Some((start, triple));
                }
            }
            b'{' => open.braces.push(i),
            b'}' => {
                open.braces.pop();
            }
            _ => {}
        }
        i += 1;
    }
    open
}

/// Turns pest's error into a `camp::syntax` diagnostic.
pub(crate) fn from_pest(file: FileId, text: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: &[Rule] = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let open = open_at(text, pos);
    if let Some(d) = inside_string(file, text, pos, &open) {
        return d;
    }
    let mut found = found_at(text, pos);
    let mut pos = pos;
    // `state == "CA"`: `=` was read as the operator, and the second `=` is the slip; show both.
    if text.get(..pos).is_some_and(|b| b.ends_with('='))
        && text.get(pos..).is_some_and(|r| r.starts_with('='))
    {
        pos -= 1;
        found = Found {
            len: 2,
            shown: "`==`".to_string(),
            bare: "`==`".to_string(),
        };
    }
    let join_slip = join_slip(text, pos, positives);
    if let Some(JoinSlip::Spelling { symbol: true, .. }) = join_slip {
        let both = text.get(pos..pos + 2).unwrap_or("");
        found = Found {
            len: 2,
            shown: format!("`{both}`"),
            bare: format!("`{both}`"),
        };
    }
    let message = match &err.variant {
        // `AND`, `&&`, or a second condition on a filter line: say only what joins conditions
        // here, not every construct that could follow (a `{` after an `if`'s condition...).
        ErrorVariant::ParsingError { .. } if join_slip.is_some() => match &join_slip {
            Some(JoinSlip::Spelling { or_too: true, .. }) => {
                format!("expected `and` or `or`, found {}", found.shown)
            }
            Some(JoinSlip::Spelling { .. }) => format!("expected `and`, found {}", found.shown),
            Some(JoinSlip::FilterLine { trigger: true }) => {
                format!("a trigger line holds one trigger, found {}", found.shown)
            }
            _ => format!("a filter holds one condition, found {}", found.shown),
        },
        ErrorVariant::ParsingError { .. } if found.shown == "`==`" => {
            "expected an operator such as `is`, found `==`".to_string()
        }
        ErrorVariant::ParsingError { .. } => {
            let mut expected: Vec<String> = Vec::new();
            // Sorted by name so that the message does not depend on pest's order.
            let mut rules: Vec<Rule> = positives.to_vec();
            rules.sort_by_key(|r| format!("{r:?}"));
            for r in rules {
                for d in describe(r) {
                    if !expected.contains(&d) {
                        expected.push(d);
                    }
                }
            }
            expected.sort_by_key(|d| rank(d));
            if expected.is_empty() {
                format!("unexpected {}", found.shown)
            } else {
                format!("expected {}, found {}", join_or(&expected), found.shown)
            }
        }
        ErrorVariant::CustomError { message } => {
            if message.contains("limit") {
                "this text is nested too deeply to read".to_string()
            } else {
                message.clone()
            }
        }
    };
    let at_end = found.len == 0 && text.get(pos..).is_none_or(str::is_empty);
    // At the end of the file, point at the end of the last line that holds something.
    let start = if at_end { text.trim_end().len() } else { pos };
    let span = Span::new(file, start, start + found.len);
    let mut diag = Diagnostic::error("camp::syntax", span, message).with_label(if at_end {
        "the file ends here".to_string()
    } else {
        format!("unexpected {}", found.bare)
    });
    if at_end {
        if let Some(&brace) = open.braces.last() {
            diag = diag.with_secondary(Span::new(file, brace, brace + 1), "this `{` is not closed");
        }
    }
    let help = match join_slip {
        Some(JoinSlip::Spelling {
            meant,
            symbol: false,
            ..
        }) => Some(format!("keywords are lower-case: write `{meant}`")),
        Some(JoinSlip::Spelling { meant, .. }) => Some(format!(
            "conditions combine with the words `and` and `or`: write `{meant}`"
        )),
        Some(JoinSlip::FilterLine { trigger: true }) => Some(
            "write each trigger on a `trigger` line of its own: any of them starts the \
             campaign; conditions that must also hold go on `filter` lines"
                .to_string(),
        ),
        Some(JoinSlip::FilterLine { .. }) => Some(
            "write each condition on a `filter` line of its own: the filters combine under \
             `match` (`match all` by default, or numbers such as `match 1 or 2`)"
                .to_string(),
        ),
        None => hint(text, pos, positives),
    };
    if let Some(help) = help {
        diag = diag.with_help(help);
    }
    diag
}

/// A problem inside a string literal: an unknown escape, or a string left open at the end of
/// its line or of the file.
fn inside_string(file: FileId, text: &str, pos: usize, open: &Open) -> Option<Diagnostic> {
    let (quote, triple) = open.string?;
    let rest = text.get(pos..).unwrap_or("");
    if rest.starts_with('\\') {
        let len = if rest.starts_with("\\u{") {
            rest.find('}').map(|i| i + 1).unwrap_or(3)
        } else {
            1 + rest.chars().nth(1).map(char::len_utf8).unwrap_or(0)
        };
        let len = if rest[..len].contains('\n') { 1 } else { len };
        return Some(
            Diagnostic::error(
                "camp::syntax",
                Span::new(file, pos, pos + len),
                format!("`{}` is not an escape", &rest[..len]),
            )
            .with_label("unknown escape")
            .with_help(
                "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{1F600}`; \
                 write `\\\\` for a backslash",
            ),
        );
    }
    let (closing, help) = if triple {
        ("\"\"\"", "close it with `\"\"\"`")
    } else {
        (
            "\"",
            "a string ends on the line it starts on; write text over several lines between \
             `\"\"\"` and `\"\"\"`",
        )
    };
    let ends_line = rest.starts_with('\n') || rest.starts_with("\r\n");
    if rest.is_empty() || (!triple && ends_line) {
        let quote_len = if triple { 3 } else { 1 };
        let label = if rest.is_empty() {
            format!("the file ends before the closing `{closing}`")
        } else {
            format!("the line ends before the closing `{closing}`")
        };
        return Some(
            Diagnostic::error(
                "camp::syntax",
                Span::new(file, quote, quote + quote_len),
                "this string is not closed",
            )
            .with_label(label)
            .with_help(help),
        );
    }
    None
}

/// A word that joins conditions, where it cannot stand as written.
enum JoinSlip {
    /// `AND`, `Or`, `&&`, `||` where `meant` can stand (`or_too`: `or` as well as `and`).
    Spelling {
        meant: &'static str,
        symbol: bool,
        or_too: bool,
    },
    /// `and`/`or` in any spelling after a filter's condition (a filter holds one condition),
    /// or after a trigger (`trigger`: a trigger line holds one trigger).
    FilterLine { trigger: bool },
}

/// Reads a joining word at `pos` against what could stand there.
fn join_slip(text: &str, pos: usize, positives: &[Rule]) -> Option<JoinSlip> {
    let rest = text.get(pos..).unwrap_or("");
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let (meant, symbol, exact) = if rest.starts_with("&&") {
        ("and", true, false)
    } else if rest.starts_with("||") {
        ("or", true, false)
    } else {
        match word.to_ascii_lowercase().as_str() {
            "and" => ("and", false, word == "and"),
            "or" => ("or", false, word == "or"),
            _ => return None,
        }
    };
    let or_too = positives.contains(&Rule::logic_op);
    let and_here = or_too || positives.contains(&Rule::kw_and);
    if and_here {
        // A `where` clause joins with `and` only: `OR` there is not a matter of spelling.
        return (!exact && (or_too || meant == "and")).then_some(JoinSlip::Spelling {
            meant,
            symbol,
            or_too,
        });
    }
    let smart_list_line = positives.iter().any(|r| {
        matches!(
            r,
            Rule::smart_list_line | Rule::kw_filter | Rule::kw_trigger | Rule::kw_match
        )
    });
    let line = text.get(..pos).unwrap_or("");
    let line = &line[line.rfind(['\n', '{']).map_or(0, |i| i + 1)..];
    let trigger = line.trim_start().starts_with("trigger");
    smart_list_line.then_some(JoinSlip::FilterLine { trigger })
}

/// Extra advice for common slips, from the word at `pos` and what could stand there.
fn hint(text: &str, pos: usize, positives: &[Rule]) -> Option<String> {
    let rest = text.get(pos..).unwrap_or("");
    let wants_value = positives.contains(&Rule::value_list) || positives.contains(&Rule::value);
    if rest.starts_with("==") || (rest.starts_with('=') && wants_value) {
        let field = text
            .get(..pos)
            .unwrap_or("")
            .trim_end_matches(['=', ' ', '\t'])
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .filter(|w| !w.is_empty())
            .unwrap_or("state");
        return Some(format!(
            "`==` is not an operator: compare with `is`, as in `{field} is \"CA\"`"
        ));
    }
    if let Some(inside) = rest.strip_prefix('\'') {
        let quoted: String = inside
            .chars()
            .take_while(|c| *c != '\'' && *c != '\n')
            .collect();
        return Some(format!(
            "strings are written in double quotes: `\"{quoted}\"`"
        ));
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let unit = match word.as_str() {
        "hr" | "hrs" | "h" => Some("hours"),
        "min" | "mins" | "m" => Some("minutes"),
        "d" => Some("days"),
        "w" | "wk" | "wks" => Some("weeks"),
        "mo" | "mos" => Some("months"),
        "sec" | "secs" | "second" | "seconds" | "s" => {
            return Some("durations are counted in minutes, hours, days or weeks".to_string())
        }
        "fortnight" | "fortnights" => return Some("write `every 2 weeks`".to_string()),
        "year" | "years" | "annually" | "yearly" => {
            return Some("write `every 12 months`".to_string())
        }
        _ => None,
    };
    if let Some(u) = unit {
        return Some(format!("abbreviations are not allowed: write `{u}`"));
    }
    if rest.starts_with("{{") || inside_token(text, pos) {
        return Some(
            "a token is written `{{namespace.name}}`, e.g. `{{person.first_name:default=friend}}`"
                .to_string(),
        );
    }
    let before = text.get(..pos).unwrap_or("").trim_end();
    let after_match = positives
        .iter()
        .any(|r| matches!(r, Rule::match_expr | Rule::match_unary | Rule::match_all));
    if word.is_empty() && before.ends_with("match") && after_match {
        return Some(
            "write `match all`, `match any` or filter numbers such as `match 1 and 2`".to_string(),
        );
    }
    if rest.starts_with('}') && positives.contains(&Rule::item) {
        return Some(
            "this `}` closes nothing: remove it, or look above for a `}` too many".to_string(),
        );
    }
    if word.is_empty() {
        return None;
    }
    let previous = before
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if positives.contains(&Rule::field_op) {
        let condition = match previous {
            "trigger" => {
                return Some(
                    "triggers belong in a smart list; an `if` holds conditions such as \
                     `visited page \"Pricing\"`"
                        .to_string(),
                )
            }
            "visits" => Some("visited page"),
            "fills" => Some("filled out form"),
            "opens" => Some("opened email"),
            "clicks" => Some("clicked link in email"),
            "unsubscribes" => Some("unsubscribed from email"),
            "added" => Some("was added to list"),
            "removed" => Some("was removed from list"),
            _ => None,
        };
        if let Some(c) = condition {
            return Some(format!(
                "`{previous}` starts a trigger; as a condition, write `{c}`"
            ));
        }
    }
    if matches!(word.as_str(), "week" | "weeks") && positives.contains(&Rule::kw_day) {
        return Some("limits are counted per day or per 7 days: write `per 7 days`".to_string());
    }
    if word == "else" {
        return Some("`else` follows the `}` of an `if` or `else if` block".to_string());
    }
    if matches!(word.as_str(), "month" | "months") && positives.contains(&Rule::duration_unit) {
        return Some("a wait counts minutes, hours, days or weeks: write `30 days`".to_string());
    }
    let same_line = !text.get(before.len()..pos).unwrap_or("").contains('\n');
    if positives.contains(&Rule::string) && same_line {
        let bare: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '{' && *c != '}')
            .collect();
        return Some(format!("names and texts are quoted: `\"{bare}\"`"));
    }
    let candidates: Vec<String> = positives
        .iter()
        .flat_map(|r| match format!("{r:?}").strip_prefix("kw_") {
            Some(w) => vec![w.replace('_', "-")],
            None => first_words(*r)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
        .collect();
    if positives.contains(&Rule::rbrace) && !candidates.contains(&word) {
        let outer = [Rule::item, Rule::campaign_stmt, Rule::step];
        if outer
            .iter()
            .any(|r| first_words(*r).split_whitespace().any(|w| w == word))
        {
            return Some(format!("a `}}` may be missing before this `{word}`"));
        }
    }
    crate::diagnostic::did_you_mean(&word, candidates.iter().map(String::as_str))
}

/// True when `pos` lies after a `{{` on its line that no `}}` has closed yet.
fn inside_token(text: &str, pos: usize) -> bool {
    let before = text.get(..pos).unwrap_or("");
    let line = before.rsplit('\n').next().unwrap_or("");
    match line.rfind("{{") {
        Some(i) => !line[i..].contains("}}"),
        None => false,
    }
}
