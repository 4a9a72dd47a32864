//! `:event` in words: `fills out form "Contact Us" ann@example.com` becomes the JSON line of
//! LANGUAGE.md 9.2 (without `at`: the event happens at the store's clock).

use serde_json::{json, Map, Value as Json};

/// A word, a quoted string, or a trailing JSON object.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Json(Json),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if rest.starts_with('{') {
            let v: Json = serde_json::from_str(rest)
                .map_err(|e| format!("malformed JSON after the event: {e}"))?;
            out.push(Tok::Json(v));
            break;
        }
        if let Some(body) = rest.strip_prefix('"') {
            let mut s = String::new();
            let mut chars = body.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            s.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => s.push(c),
                }
            }
            let end = end.ok_or("a quoted name is not closed")?;
            out.push(Tok::Str(s));
            rest = body[end..].trim_start();
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(Tok::Word(rest[..end].to_string()));
        rest = rest[end..].trim_start();
    }
    Ok(out)
}

/// The short forms: words, the event `type`, the member the quoted name goes to.
const FORMS: &[(&str, &str, Option<&str>)] = &[
    ("fills out form", "fills_out_form", Some("form")),
    ("visits page", "visits_page", Some("page")),
    (
        "clicks link in email",
        "clicks_link_in_email",
        Some("email"),
    ),
    ("opens email", "opens_email", Some("email")),
    ("email is delivered", "email_delivered", Some("email")),
    ("email delivered", "email_delivered", Some("email")),
    ("email bounces", "email_bounced", Some("email")),
    ("email bounced", "email_bounced", Some("email")),
    ("unsubscribes from email", "unsubscribes", None),
    ("unsubscribes", "unsubscribes", None),
    ("data changed", "data_changed", None),
    ("data value changes", "data_changed", None),
    ("person is created", "person_created", None),
    ("person created", "person_created", None),
    ("event", "event", Some("name")),
    (
        "campaign is requested",
        "request_campaign",
        Some("campaign"),
    ),
    ("request campaign", "request_campaign", Some("campaign")),
];

/// The short forms, for `:help`.
pub const SHORT_FORMS: &str = "  fills out form \"F\" PERSON [on page \"P\"] [{fields}]
  visits page \"P\" PERSON
  clicks link in email \"E\" PERSON [link \"URL\"]
  opens email \"E\" PERSON · email delivered \"E\" PERSON · email bounced \"E\" PERSON
  unsubscribes PERSON [from email \"E\"]
  data changed PERSON {fields}
  person created EMAIL [{fields}]
  event \"name\" PERSON [{data}]
  request campaign \"C\" PERSON";

fn person_value(word: &str) -> Json {
    match word.parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(word),
    }
}

/// Turns a short form into an event object (without `at`), or says what is wrong.
pub fn short_form(text: &str) -> Result<Json, String> {
    let toks = tokenize(text)?;
    let words: Vec<&str> = toks
        .iter()
        .map_while(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let Some((phrase, ty, member)) = FORMS.iter().find(|(phrase, _, _)| {
        let p: Vec<&str> = phrase.split(' ').collect();
        words.len() >= p.len() && words[..p.len()] == p[..]
    }) else {
        return Err(format!(
            "`{text}` is not an event: write JSON or one of\n{SHORT_FORMS}"
        ));
    };
    let mut rest = toks[phrase.split(' ').count()..].iter().peekable();
    let mut obj = Map::new();
    obj.insert("type".into(), json!(ty));
    if let Some(m) = member {
        match rest.next() {
            Some(Tok::Str(s)) => {
                obj.insert((*m).into(), json!(s));
            }
            _ => return Err(format!("`{phrase}` needs a quoted {m} name")),
        }
    }
    let person = match rest.next() {
        Some(Tok::Word(w)) => w.clone(),
        Some(Tok::Str(s)) => s.clone(),
        _ => return Err(format!("`{phrase}` needs a person (an id or an email)")),
    };
    if *ty == "person_created" {
        obj.insert("person".into(), json!({ "email": person }));
    } else {
        obj.insert("person".into(), person_value(&person));
    }
    while let Some(t) = rest.next() {
        match t {
            Tok::Word(w) if w == "on" && *ty == "fills_out_form" => {
                match (rest.next(), rest.next()) {
                    (Some(Tok::Word(p)), Some(Tok::Str(page))) if p == "page" => {
                        obj.insert("page".into(), json!(page));
                    }
                    _ => return Err("write `on page \"P\"`".into()),
                }
            }
            Tok::Word(w) if w == "link" && *ty == "clicks_link_in_email" => match rest.next() {
                Some(Tok::Str(l)) => {
                    obj.insert("link".into(), json!(l));
                }
                _ => return Err("write `link \"URL\"`".into()),
            },
            Tok::Word(w) if w == "from" && *ty == "unsubscribes" => {
                match (rest.next(), rest.next()) {
                    (Some(Tok::Word(e)), Some(Tok::Str(email))) if e == "email" => {
                        obj.insert("email".into(), json!(email));
                    }
                    _ => return Err("write `from email \"E\"`".into()),
                }
            }
            Tok::Json(Json::Object(fields)) => match *ty {
                "event" => {
                    obj.insert("data".into(), Json::Object(fields.clone()));
                }
                "person_created" => {
                    if let Some(Json::Object(p)) = obj.get_mut("person") {
                        for (k, v) in fields {
                            p.insert(k.clone(), v.clone());
                        }
                    }
                }
                "fills_out_form" | "data_changed" => {
                    obj.insert("fields".into(), Json::Object(fields.clone()));
                }
                _ => return Err(format!("`{phrase}` takes no fields")),
            },
            Tok::Word(w) => return Err(format!("unexpected `{w}` after the person")),
            Tok::Str(s) => return Err(format!("unexpected \"{s}\" after the person")),
            Tok::Json(_) => return Err("the fields must be a JSON object".into()),
        }
    }
    if *ty == "clicks_link_in_email" && !obj.contains_key("link") {
        obj.insert("link".into(), json!(""));
    }
    Ok(Json::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_json() {
        assert_eq!(
            short_form("fills out form \"Contact Us\" ann@example.com {\"state\":\"CA\"}").unwrap(),
            json!({"type":"fills_out_form","form":"Contact Us","person":"ann@example.com","fields":{"state":"CA"}})
        );
        assert_eq!(
            short_form("visits page \"Pricing\" 17").unwrap(),
            json!({"type":"visits_page","page":"Pricing","person":17})
        );
        assert!(short_form("jumps \"x\" 1").is_err());
        assert!(short_form("visits page 17").is_err());
    }
}
