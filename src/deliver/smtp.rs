//! SMTP delivery with a pooled connection: STARTTLS when the server offers it (`smtp://`),
//! TLS from the start (`smtps://`), AUTH from `CAMP_SMTP_USER` and `CAMP_SMTP_PASSWORD`.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};

use super::{Attempt, DeliverError};

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An SMTP server and a pool of connections to it.
pub struct Smtp {
    transport: SmtpTransport,
}

impl Smtp {
    /// Prepares delivery to `url` (`smtp://host[:port]`, default port 25, or
    /// `smtps://host[:port]`, default 465). Connections are opened when the first message goes.
    pub fn connect(url: &str) -> Result<Smtp, DeliverError> {
        let bad = |why: &str| DeliverError::SmtpUrl {
            url: url.to_string(),
            why: why.to_string(),
        };
        let (implicit_tls, rest) = if let Some(r) = url.strip_prefix("smtps://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("smtp://") {
            (false, r)
        } else {
            return Err(bad("it should start with `smtp://` or `smtps://`"));
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') || authority.contains('@') {
            return Err(bad(
                "give only the host and port; credentials come from CAMP_SMTP_USER and CAMP_SMTP_PASSWORD",
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                let port: u16 = p.parse().map_err(|_| bad("the port is not a number"))?;
                (h.trim_start_matches('[').trim_end_matches(']'), port)
            }
            _ => (authority, if implicit_tls { 465 } else { 25 }),
        };
        if host.is_empty() {
            return Err(bad("the host is missing"));
        }
        let params = TlsParameters::new(host.to_string()).map_err(|e| bad(&e.to_string()))?;
        let tls = if implicit_tls {
            Tls::Wrapper(params)
        } else {
            Tls::Opportunistic(params)
        };
        let mut builder = SmtpTransport::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(TIMEOUT))
            .pool_config(PoolConfig::new().max_size(4));
        if let (Ok(user), Ok(password)) = (
            std::env::var("CAMP_SMTP_USER"),
            std::env::var("CAMP_SMTP_PASSWORD"),
        ) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Smtp {
            transport: builder.build(),
        })
    }

    /// Sends one message and says how it went: a 2xx reply is delivered, 5xx refused, anything
    /// else (4xx, no connection, a connection lost) passing.
    pub fn send(&self, message: &Message) -> Attempt {
        match self.transport.send(message) {
            Ok(r) => Attempt::Delivered {
                status: code_of(&r.code()),
            },
            Err(e) => {
                let status = e.status().and_then(|c| code_of(&c));
                let error = e.to_string();
                if e.is_permanent() {
                    Attempt::Refused { status, error }
                } else {
                    Attempt::Transient { status, error }
                }
            }
        }
    }
}

/// A reply code as a number.
fn code_of(code: &lettre::transport::smtp::response::Code) -> Option<u16> {
    code.to_string().parse().ok()
}
