//! `file:DIR` delivery: each email as `KEY.eml`, each webhook request as `KEY.http`, written
//! whole (through a temporary file and a rename) so that a crash leaves no half file.

use std::path::Path;

use lettre::Message;

use super::http::Request;
use super::{Attempt, DeliverError};

/// Writes `bytes` to `dir/name` atomically.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<Attempt, DeliverError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let fail = |e: std::io::Error| DeliverError::File {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, &path).map_err(fail)?;
    Ok(Attempt::Delivered { status: None })
}

/// A file name from an outbox key (keys are made of letters, digits and dashes).
fn file_name(key: &str, ext: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.{ext}")
}

/// Writes an email as `KEY.eml`.
pub fn write_eml(dir: &Path, key: &str, message: &Message) -> Result<Attempt, DeliverError> {
    write(dir, &file_name(key, "eml"), &message.formatted())
}

/// Writes a webhook request as `KEY.http`.
pub fn write_http(dir: &Path, r: &Request) -> Result<Attempt, DeliverError> {
    let mut text = format!(
        "{} {} HTTP/1.1\r\nIdempotency-Key: {}\r\n",
        r.method, r.url, r.key
    );
    if !r.body.is_empty() {
        text.push_str(&format!("Content-Type: {}\r\n", r.content_type()));
    }
    text.push_str("\r\n");
    text.push_str(&r.body);
    write(dir, &file_name(&r.row_key, "http"), text.as_bytes())
}
