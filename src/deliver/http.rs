//! Webhook calls over HTTP: the declared method, the rendered URL and body, an
//! `Idempotency-Key` header from the outbox key, a 10 s time-out (`CAMP_WEBHOOK_TIMEOUT_MS`
//! overrides it).

use std::time::Duration;

use super::Attempt;
use crate::store::OutboxRow;

/// The default time-out of one call.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook request, as the outbox row holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The `Idempotency-Key`: the outbox key and the store's identity.
    pub key: String,
    /// The outbox key (the `.http` file's name).
    pub row_key: String,
    /// Upper-case method.
    pub method: String,
    /// The rendered URL.
    pub url: String,
    /// The rendered body (empty: none).
    pub body: String,
}

impl Request {
    /// The request a webhook row holds (URL in `to`, method in `subject`), with its
    /// idempotency key.
    pub fn of(row: &OutboxRow, key: &str) -> Request {
        Request {
            key: key.to_string(),
            row_key: row.key.clone(),
            method: row.subject.clone(),
            url: row.to.clone(),
            body: row.body.clone(),
        }
    }

    /// The body's content type: JSON when it reads as JSON.
    pub fn content_type(&self) -> &'static str {
        if serde_json::from_str::<serde_json::Value>(&self.body).is_ok() {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        }
    }
}

/// An HTTP client.
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

impl Http {
    /// A client with the time-out.
    pub fn new() -> Http {
        let timeout = std::env::var("CAMP_WEBHOOK_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(TIMEOUT);
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// Makes the call: 2xx and 3xx are delivered, 4xx refused, 5xx, time-outs and failed
    /// connections passing.
    pub fn call(&self, r: &Request) -> Attempt {
        let request = ureq::http::Request::builder()
            .method(r.method.as_str())
            .uri(r.url.as_str())
            .header("Idempotency-Key", r.key.as_str())
            .header("User-Agent", concat!("camp/", env!("CARGO_PKG_VERSION")));
        let sent = if r.body.is_empty() {
            request
                .body(())
                .map_err(|e| e.to_string())
                .map(|req| self.agent.run(req))
        } else {
            request
                .header("Content-Type", r.content_type())
                .body(r.body.clone())
                .map_err(|e| e.to_string())
                .map(|req| self.agent.run(req))
        };
        match sent {
            Err(why) => Attempt::Refused {
                status: None,
                error: format!("bad request: {why}"),
            },
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                match status {
                    200..=399 => Attempt::Delivered {
                        status: Some(status),
                    },
                    400..=499 => Attempt::Refused {
                        status: Some(status),
                        error: format!("the server answered {status}"),
                    },
                    _ => Attempt::Transient {
                        status: Some(status),
                        error: format!("the server answered {status}"),
                    },
                }
            }
            Ok(Err(e)) => Attempt::Transient {
                status: None,
                error: e.to_string(),
            },
        }
    }
}
