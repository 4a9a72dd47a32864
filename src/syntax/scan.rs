//! A byte scanner that knows where strings and comments are, for the passes that read the text
//! before (or beside) the grammar: the nesting guard and the formatter's comment collector.

/// What the scanner reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A `#` comment: the byte range from `#` to the end of its line (line break excluded).
    Comment(usize, usize),
    /// A byte of code (outside strings and comments) at this offset.
    Code(usize, u8),
}

/// Calls `f` for every comment and every code byte of `text`, in order, skipping the insides
/// of plain and triple-quoted strings. Stops early when `f` returns false.
pub fn scan(text: &str, mut f: impl FnMut(Piece) -> bool) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                if !f(Piece::Comment(start, i)) {
                    return;
                }
                continue;
            }
            b'"' => {
                let triple = bytes[i..].starts_with(b"\"\"\"");
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    if bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if triple && bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        break;
                    }
                    if !triple && (bytes[i] == b'"' || bytes[i] == b'\n') {
                        break;
                    }
                    i += 1;
                }
            }
            b => {
                if !f(Piece::Code(i, b)) {
                    return;
                }
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_are_skipped() {
        let text = "a \"{ # \\\" }\" # c {\n\"\"\"\n{\n\"\"\" (";
        let mut code = String::new();
        let mut comments = Vec::new();
        scan(text, |p| {
            match p {
                Piece::Code(_, b) => code.push(b as char),
                Piece::Comment(s, e) => comments.push(&text[s..e]),
            }
            true
        });
        assert_eq!(code.split_whitespace().collect::<String>(), "a(");
        assert_eq!(comments, ["# c {"]);
    }
}
