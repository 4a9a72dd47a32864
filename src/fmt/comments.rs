//! Comments are not in the AST: they are found in the text, with their byte positions, so the
//! printer can put each one back next to the statement it belongs to.

/// One `# ...` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// Byte offset just past the comment's last character (the line break excluded).
    pub end: usize,
    /// The comment as written, `#` included, trailing whitespace removed.
    pub text: String,
}

/// Every comment of `text`, in order. A `#` inside a string (plain or triple-quoted) is text,
/// not a comment.
pub fn collect(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    crate::syntax::scan::scan(text, |piece| {
        if let crate::syntax::scan::Piece::Comment(start, end) = piece {
            let trimmed = text.get(start..end).unwrap_or("").trim_end();
            out.push(Comment {
                start,
                end: start + trimmed.len(),
                text: trimmed.to_string(),
            });
        }
        true
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_in_strings_are_not_comments() {
        let text = "list \"A # b\" # real\nemail \"E\" { body \"\"\"\n # not\n\"\"\" } # two \n";
        let c = collect(text);
        let texts: Vec<&str> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# real", "# two"]);
        assert_eq!(&text[c[0].start..c[0].end], "# real");
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        let c = collect("list \"a \\\" # b\" # c");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, "# c");
    }
}
