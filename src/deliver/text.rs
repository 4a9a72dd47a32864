//! The plain-text alternative of an HTML body: tags dropped, block ends and `<br>` as line
//! breaks, links followed by their address, entities decoded, runs of blanks folded.

/// The text of `html`.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut href: Option<String> = None;
    let mut skip_depth = 0u32;
    while let Some(lt) = rest.find('<') {
        if skip_depth == 0 {
            push_text(&mut out, &rest[..lt]);
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            if skip_depth == 0 {
                push_text(&mut out, &rest[lt..]);
            }
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "script" | "style" | "head" => {
                if closing {
                    skip_depth = skip_depth.saturating_sub(1);
                } else if !tag.ends_with('/') {
                    skip_depth += 1;
                }
            }
            "br" => out.push('\n'),
            "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "tr" | "table" | "ul"
            | "ol" | "blockquote" | "hr"
                if !out.is_empty() && !out.ends_with("\n\n") =>
            {
                out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
            }
            "li" if !closing => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str("- ");
            }
            "a" if !closing => href = attribute(tag, "href"),
            "a" => {
                if let Some(h) = href.take() {
                    if !out.ends_with(&h) {
                        out.push_str(&format!(" ({h})"));
                    }
                }
            }
            _ => {}
        }
    }
    if skip_depth == 0 {
        push_text(&mut out, rest);
    }
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let mut text = String::new();
    let mut blank = 0;
    for l in lines {
        if l.is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(l);
    }
    text
}

/// Appends text between tags: whitespace folded to one space, entities decoded.
fn push_text(out: &mut String, s: &str) {
    let decoded = decode_entities(s);
    for (i, word) in decoded.split_whitespace().enumerate() {
        let starts_with_space = decoded.starts_with(char::is_whitespace);
        if (i > 0 || starts_with_space) && !out.is_empty() && !out.ends_with(['\n', ' ']) {
            out.push(' ');
        }
        out.push_str(word);
    }
    if decoded.ends_with(char::is_whitespace) && !decoded.trim().is_empty() {
        out.push(' ');
    }
}

/// The value of `name="..."` in a tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[at..];
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].split(q).next()?,
        _ => rest.split(|c: char| c.is_whitespace()).next()?,
    };
    Some(decode_entities(value))
}

/// Decodes the common named entities and numeric references.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail.find(';').filter(|semi| *semi <= 10).and_then(|semi| {
            let entity = &tail[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_links_and_entities() {
        let html = "<p>Hi Ann &amp; Bo,</p><p>See <a href=\"https://acme.example/p?a=1&amp;b=2\">pricing</a>.<br>Bye &lt;3</p>";
        assert_eq!(
            html_to_text(html),
            "Hi Ann & Bo,\n\nSee pricing (https://acme.example/p?a=1&b=2).\nBye <3"
        );
    }

    #[test]
    fn plain_text_stays_as_it_is() {
        assert_eq!(html_to_text("Welcome, Ann!"), "Welcome, Ann!");
        assert_eq!(html_to_text("a < b"), "a < b");
    }

    #[test]
    fn styles_and_scripts_are_dropped() {
        assert_eq!(
            html_to_text("<style>p{}</style><script>x()</script>Hello"),
            "Hello"
        );
    }
}
