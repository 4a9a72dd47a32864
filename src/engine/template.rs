//! Rendering `{{namespace.name}}` tokens in strings (email subjects and bodies, webhook URLs
//! and bodies, alert recipients, interesting moments, `change` values).

use crate::syntax::ast::{Template, TemplatePart};

/// How token values are escaped for the place they are rendered into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Escape {
    /// HTML (email bodies): `& < > " '` become entities.
    Html,
    /// URL (webhook URLs): everything but unreserved characters is percent-encoded.
    Url,
    /// Plain text (subjects, field values): values are inserted as they are.
    Plain,
}

/// Where token values come from.
pub trait TokenSource {
    /// The value of `{{namespace.name}}`, or `None` when it has none.
    fn lookup(&self, namespace: &str, name: &str) -> Option<String>;
}

impl<F> TokenSource for F
where
    F: Fn(&str, &str) -> Option<String>,
{
    fn lookup(&self, namespace: &str, name: &str) -> Option<String> {
        self(namespace, name)
    }
}

/// A source with no values: every token renders its default.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTokens;

impl TokenSource for NoTokens {
    fn lookup(&self, _namespace: &str, _name: &str) -> Option<String> {
        None
    }
}

/// Renders `t`: literal text verbatim, each token as its value, else its default, else "",
/// escaped with `escape` unless the token is `:raw`.
///
/// An empty value counts as no value (the default applies). Defaults are values too, so they
/// are escaped like looked-up values.
pub fn render(t: &Template, src: &dyn TokenSource, escape: Escape) -> String {
    let mut out = String::new();
    for part in &t.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Token(token) => {
                let value = src
                    .lookup(&token.namespace.name, &token.name.name)
                    .filter(|v| !v.is_empty())
                    .or_else(|| token.default.clone())
                    .unwrap_or_default();
                if token.raw {
                    out.push_str(&value);
                } else {
                    push_escaped(&mut out, &value, escape);
                }
            }
        }
    }
    out
}

/// `value` escaped for `escape`.
pub fn escape(value: &str, escape: Escape) -> String {
    let mut out = String::with_capacity(value.len());
    push_escaped(&mut out, value, escape);
    out
}

/// Appends `value`, escaped, to `out`.
fn push_escaped(out: &mut String, value: &str, escape: Escape) {
    match escape {
        Escape::Plain => out.push_str(value),
        Escape::Html => {
            for c in value.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&#39;"),
                    c => out.push(c),
                }
            }
        }
        Escape::Url => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            for b in value.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(b));
                } else {
                    out.push('%');
                    out.push(char::from(HEX[usize::from(b >> 4)]));
                    out.push(char::from(HEX[usize::from(b & 0x0f)]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{Ident, Span, TokenRef};
    use std::collections::HashMap;

    fn text(s: &str) -> TemplatePart {
        TemplatePart::Text(s.to_string())
    }

    fn tok(ns: &str, name: &str, raw: bool, default: Option<&str>) -> TemplatePart {
        TemplatePart::Token(TokenRef {
            namespace: Ident {
                name: ns.to_string(),
                span: Span::default(),
            },
            name: Ident {
                name: name.to_string(),
                span: Span::default(),
            },
            raw,
            default: default.map(str::to_string),
            span: Span::default(),
        })
    }

    fn template(parts: Vec<TemplatePart>) -> Template {
        Template {
            parts,
            span: Span::default(),
        }
    }

    struct Map(HashMap<(String, String), String>);

    impl TokenSource for Map {
        fn lookup(&self, namespace: &str, name: &str) -> Option<String> {
            self.0
                .get(&(namespace.to_string(), name.to_string()))
                .cloned()
        }
    }

    fn source() -> Map {
        let mut m = HashMap::new();
        for (ns, name, v) in [
            ("person", "first_name", "Ann"),
            ("person", "company", "Smith & Sons <\"Best\"> 'n' Co"),
            ("person", "empty", ""),
            ("my", "footer", "<p>Bye & thanks</p>"),
            ("person", "email", "ann+news@example.com"),
            ("person", "city", "São Paulo/Zürich ~x_y.z-1"),
        ] {
            m.insert((ns.to_string(), name.to_string()), v.to_string());
        }
        Map(m)
    }

    #[test]
    fn text_is_verbatim_in_every_mode() {
        let t = template(vec![text("<b>Hi & bye</b> a b/c")]);
        for e in [Escape::Html, Escape::Url, Escape::Plain] {
            assert_eq!(render(&t, &source(), e), "<b>Hi & bye</b> a b/c");
        }
        assert_eq!(render(&template(vec![]), &source(), Escape::Html), "");
    }

    #[test]
    fn plain_values() {
        let t = template(vec![
            text("Hi "),
            tok("person", "first_name", false, None),
            text(", from "),
            tok("person", "company", false, None),
        ]);
        assert_eq!(
            render(&t, &source(), Escape::Plain),
            "Hi Ann, from Smith & Sons <\"Best\"> 'n' Co"
        );
    }

    #[test]
    fn html_escapes_values_only() {
        let t = template(vec![
            text("<p>"),
            tok("person", "company", false, None),
            text("</p>"),
        ]);
        assert_eq!(
            render(&t, &source(), Escape::Html),
            "<p>Smith &amp; Sons &lt;&quot;Best&quot;&gt; &#39;n&#39; Co</p>"
        );
    }

    #[test]
    fn url_encodes_values_only() {
        let t = template(vec![
            text("https://crm.example.com/p?e="),
            tok("person", "email", false, None),
            text("&c="),
            tok("person", "city", false, None),
        ]);
        assert_eq!(
            render(&t, &source(), Escape::Url),
            "https://crm.example.com/p?e=ann%2Bnews%40example.com&c=S%C3%A3o%20Paulo%2FZ%C3%BCrich%20~x_y.z-1"
        );
    }

    #[test]
    fn raw_opts_out_of_escaping() {
        let t = template(vec![tok("my", "footer", true, None)]);
        assert_eq!(render(&t, &source(), Escape::Html), "<p>Bye & thanks</p>");
        assert_eq!(render(&t, &source(), Escape::Url), "<p>Bye & thanks</p>");
        let t = template(vec![tok("my", "footer", false, None)]);
        assert_eq!(
            render(&t, &source(), Escape::Html),
            "&lt;p&gt;Bye &amp; thanks&lt;/p&gt;"
        );
    }

    #[test]
    fn defaults_apply_to_missing_and_empty_values_and_are_escaped() {
        let t = template(vec![
            text("Hi "),
            tok("person", "nickname", false, Some("friend")),
            text("!"),
        ]);
        assert_eq!(render(&t, &source(), Escape::Html), "Hi friend!");
        let t = template(vec![tok("person", "empty", false, Some("there"))]);
        assert_eq!(render(&t, &source(), Escape::Plain), "there");
        let t = template(vec![tok("person", "nickname", false, Some("A & B"))]);
        assert_eq!(render(&t, &source(), Escape::Html), "A &amp; B");
        assert_eq!(render(&t, &source(), Escape::Url), "A%20%26%20B");
        let t = template(vec![tok("person", "nickname", true, Some("A & B"))]);
        assert_eq!(render(&t, &source(), Escape::Html), "A & B");
        // A present value wins over the default.
        let t = template(vec![tok("person", "first_name", false, Some("friend"))]);
        assert_eq!(render(&t, &source(), Escape::Html), "Ann");
    }

    #[test]
    fn missing_tokens_render_empty() {
        let t = template(vec![
            text("["),
            tok("trigger", "page", false, None),
            text("]"),
        ]);
        assert_eq!(render(&t, &source(), Escape::Html), "[]");
        assert_eq!(render(&t, &NoTokens, Escape::Plain), "[]");
        let t = template(vec![
            text("["),
            tok("person", "empty", false, None),
            text("]"),
        ]);
        assert_eq!(render(&t, &source(), Escape::Url), "[]");
    }

    #[test]
    fn closures_are_sources() {
        let src = |ns: &str, name: &str| {
            (ns == "campaign" && name == "name").then(|| "Spring <1>".to_string())
        };
        let t = template(vec![
            tok("campaign", "name", false, None),
            text("/"),
            tok("campaign", "description", false, None),
        ]);
        assert_eq!(render(&t, &src, Escape::Html), "Spring &lt;1&gt;/");
    }

    #[test]
    fn escape_function() {
        assert_eq!(escape("a&b", Escape::Plain), "a&b");
        assert_eq!(escape("'\"", Escape::Html), "&#39;&quot;");
        assert_eq!(escape("AZaz09-._~", Escape::Url), "AZaz09-._~");
        assert_eq!(escape(" !*'()", Escape::Url), "%20%21%2A%27%28%29");
        assert_eq!(escape("😀", Escape::Url), "%F0%9F%98%80");
        assert_eq!(escape("", Escape::Url), "");
    }
}
