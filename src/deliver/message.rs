//! Emails as MIME messages: `multipart/alternative` with the rendered HTML body and its plain
//! text, `Message-ID` from the outbox key, `From` from the settings, `List-Unsubscribe` on
//! non-operational emails.

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::text::html_to_text;
use crate::store::OutboxRow;

/// Reads a sender or recipient: `Name <addr@example.com>` or `addr@example.com`.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|e| e.to_string().to_lowercase())
}

/// The sender of `.eml` files written without a `from` setting.
pub fn placeholder_sender() -> Mailbox {
    Mailbox::new(
        Some("camp".into()),
        lettre::Address::new("camp", "localhost").unwrap_or_else(|_| unreachable_address()),
    )
}

fn unreachable_address() -> lettre::Address {
    // `camp@localhost` always parses; this is never reached.
    lettre::Address::new("postmaster", "localhost").expect("a fixed valid address")
}

/// The `Message-ID` of a row with delivery key `key` (see [`super::delivery_key`]), sent from
/// `from`: the same on every try, so a repeated message is recognisable.
pub fn message_id(key: &str, from: &Mailbox) -> String {
    format!("<{key}@{}>", from.email.domain())
}

/// `List-Unsubscribe`.
#[derive(Clone, Debug)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The message of an email or alert row with its delivery key; an address that cannot be
/// written is an error.
pub fn build(row: &OutboxRow, from: &Mailbox, key: &str) -> Result<Message, String> {
    let to = parse_mailbox(&row.to).map_err(|e| format!("bad recipient `{}`: {e}", row.to))?;
    let mut b = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id(key, from)));
    if row.kind == "email" && !row.operational {
        let link = format!("<mailto:{}?subject=unsubscribe%20{key}>", from.email);
        b = b.header(ListUnsubscribe(link));
    }
    let text = html_to_text(&row.body);
    b.multipart(MultiPart::alternative_plain_html(text, row.body.clone()))
        .map_err(|e| e.to_string())
}
