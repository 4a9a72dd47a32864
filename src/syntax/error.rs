//! Syntax errors in words a user knows: pest's "expected rules" become
//! "expected a flow step such as `send email`, `wait` or `if`, found `sned`".

use pest::error::{ErrorVariant, InputLocation};

use super::parser::Rule;
use super::span::{FileId, Span};
use crate::diagnostic::Diagnostic;

/// How a rule reads in "expected ..." messages; `None` hides it.
fn describe(rule: Rule) -> Option<String> {
    let name = format!("{rule:?}");
    if let Some(word) = name.strip_prefix("kw_") {
        return Some(format!(
            "`{}`",
            word.replace("non_operational", "non-operational")
        ));
    }
    Some(
        match rule {
            Rule::EOI => "end of file",
            Rule::item => "a declaration such as `campaign`, `email`, `list` or `schema person`",
            Rule::setting => "a setting (`time zone`, `communication limits`, `cascade depth`)",
            Rule::field_decl => "a field such as `state: text`",
            Rule::field_type => "a type (`text`, `number`, `bool`, `date`, `datetime`)",
            Rule::email_stmt => "`subject`, `body` or `operational`",
            Rule::webhook_stmt => "`url`, `method` or `body`",
            Rule::statuses_stmt => "`statuses`",
            Rule::smart_list_line => "`trigger`, `filter` or `match`",
            Rule::campaign_stmt => {
                "a campaign statement such as `smart list`, `flow`, `run`, `qualify` or `description`"
            }
            Rule::campaign_kind => "`batch`, `trigger` or `executable`",
            Rule::step => {
                "a flow step such as `send email`, `change`, `add to list`, `wait` or `if`"
            }
            Rule::condition | Rule::cond_expr | Rule::cond_unary => {
                "a condition such as `state is \"CA\"` or `member of list \"Newsletter\"`"
            }
            Rule::cond_group => "`(`",
            Rule::trigger => "a trigger such as `fills out form`, `visits page` or `person is created`",
            Rule::field_op => {
                "an operator such as `is`, `contains`, `at least`, `before` or `in past`"
            }
            Rule::match_expr | Rule::match_unary => "filter numbers such as `1 and (2 or 3)`",
            Rule::match_all | Rule::match_any => "`all` or `any`",
            Rule::match_group => "`(`",
            Rule::filter_number => "a filter number",
            Rule::logic_op => "`and` or `or`",
            Rule::not_op => "`not`",
            Rule::history_what | Rule::history => "an activity such as `was sent email`",
            Rule::membership => "`member of`",
            Rule::window => "a time window (`in past 30 days`, `since`, `before`, `between`)",
            Rule::times => "`at least N times`",
            Rule::link_constraint => "`link contains` or `link is`",
            Rule::on_page => "`on page`",
            Rule::to_value => "`to`",
            Rule::from_value => "`from`",
            Rule::where_clause => "`where`",
            Rule::qualify_stmt => "`qualify`",
            Rule::run_at | Rule::run_every => "`at` or `every`",
            Rule::recur_unit => "`day`, `week` or `month` (or their plurals)",
            Rule::recur_on => "`on`",
            Rule::on_weekdays => "`weekdays`",
            Rule::day_of_month => "`day N`",
            Rule::nth_weekday | Rule::ordinal => "`1st`, `2nd`, `3rd`, `4th` or `last`",
            Rule::weekday_list | Rule::weekday => "a weekday (`mon` ... `sun`)",
            Rule::at_time => "`at HH:MM`",
            Rule::run_from => "`from`",
            Rule::run_until => "`until`",
            Rule::change_by | Rule::change_to | Rule::change_empty => "`to` or `by`",
            Rule::wait_for | Rule::duration => "a duration such as `3 days`",
            Rule::wait_until_date | Rule::wait_until_field | Rule::wait_until_next => "`until`",
            Rule::wait_on => "`on`",
            Rule::wait_offset => "`minus` or `plus`",
            Rule::else_if_branch | Rule::else_branch => "`else`",
            Rule::duration_unit => "a time unit (`minutes`, `hours`, `days`, `weeks`)",
            Rule::interval_unit => "a time unit (`minutes`, `hours`, `days`, `weeks`, `months`)",
            Rule::interval => "an interval such as `1 month`",
            Rule::value_list | Rule::value => "a value (a string, number, date or `true`/`false`)",
            Rule::date_value => "a date such as `2026-12-01` or `2026-12-01 09:00`",
            Rule::date => "a date such as `2026-12-01`",
            Rule::datetime => "a date-time such as `2026-12-01 09:00`",
            Rule::time => "a time of day such as `09:00`",
            Rule::bool => "`true` or `false`",
            Rule::number => "a number",
            Rule::uint => "a whole number",
            Rule::ident => "a name such as `first_name`",
            Rule::string | Rule::plain_string | Rule::triple_string => "a quoted string",
            Rule::token => "a token such as `{{person.first_name}}`",
            Rule::token_ns => "a token namespace (`person`, `my`, `campaign`, `program`, `system`, `trigger`)",
            Rule::token_name => "a token name",
            Rule::token_raw | Rule::token_default => "`:raw`, `:default=...` or `}}`",
            Rule::escape => "an escape (`\\\"`, `\\\\`, `\\n`, `\\t`, `\\u{...}`)",
            Rule::block => "`{`",
            Rule::lbrace => "`{`",
            Rule::rbrace => "`}`",
            Rule::lparen => "`(`",
            Rule::rparen => "`)`",
            Rule::comma => "`,`",
            Rule::colon => "`:`",
            Rule::equals => "`=`",
            Rule::sym_eq | Rule::sym_ne | Rule::sym_ge | Rule::sym_le | Rule::sym_gt | Rule::sym_lt => {
                "a comparison"
            }
            Rule::smart_list_body => "`{`",
            Rule::limit => "a limit such as `1 per day` or `5 per 7 days`",
            Rule::limit_day | Rule::limit_days => "`day` or `7 days`",
            Rule::repl_target => "a person (id or email)",
            _ => return None,
        }
        .to_string(),
    )
}

/// Joins descriptions as `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What stands at `pos`: a word, a quoted string's start, one character, or end of file.
fn found_at(text: &str, pos: usize) -> (usize, String) {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (0, "end of file".to_string());
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let shown = &rest[..len];
    let shown = match shown.char_indices().nth(30) {
        Some((i, _)) => &shown[..i],
        None => shown,
    };
    let shown = match first {
        '\n' => "a line break".to_string(),
        '\t' | ' ' => "whitespace".to_string(),
        _ => format!("`{}`", shown.escape_debug()),
    };
    (len, shown)
}

/// Turns pest's error into a `camp::syntax` diagnostic.
pub(crate) fn from_pest(file: FileId, text: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let (len, found) = found_at(text, pos);
    let span = Span::new(file, pos, pos + len);
    let message = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<String> = Vec::new();
            // Whole constructs first, then single words and punctuation.
            let mut rules: Vec<Rule> = positives.clone();
            rules.sort_by_key(|r| (format!("{r:?}").starts_with("kw_"), format!("{r:?}")));
            for r in rules {
                if let Some(d) = describe(r) {
                    if !expected.contains(&d) {
                        expected.push(d);
                    }
                }
            }
            if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_or(&expected))
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
    let mut diag = Diagnostic::error("camp::syntax", span, message);
    diag = diag.with_label(if found == "end of file" {
        "the file ends here".to_string()
    } else {
        format!("unexpected {found}")
    });
    if let Some(help) = hint(text, pos) {
        diag = diag.with_help(help);
    }
    diag
}

/// Extra advice for common slips.
fn hint(text: &str, pos: usize) -> Option<String> {
    let rest = text.get(pos..).unwrap_or("");
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
        _ => None,
    };
    if let Some(u) = unit {
        return Some(format!("abbreviations are not allowed: write `{u}`"));
    }
    if rest.starts_with("{{") {
        return Some(
            "a token is written `{{namespace.name}}`, e.g. `{{person.first_name:default=friend}}`"
                .to_string(),
        );
    }
    None
}
