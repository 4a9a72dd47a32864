//! SMTP delivery over one kept-open connection: STARTTLS when the server offers it (`smtp://`),
//! TLS from the start (`smtps://`), AUTH from `CAMP_SMTP_USER` and `CAMP_SMTP_PASSWORD`, and
//! extra trusted certificates from `CAMP_SMTP_CA` (a PEM file, for a relay with a private CA).
//!
//! The protocol is lettre's; the socket is camp's own, opened with `TCP_NODELAY`. lettre writes
//! a message's closing dot in a segment of its own, and without `TCP_NODELAY` that segment waits
//! for the acknowledgement of the message's last one, which servers delay (40 ms on Linux): one
//! message per delayed acknowledgement, some 25 a second, instead of thousands.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{Attempt, DeliverError};

/// How long connecting, and then each message's exchange, may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A connection idle for longer than this is checked (`NOOP`) before it carries a message:
/// servers close idle connections, and a message must not wait a retry for that.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// The environment variable naming a PEM file of certificates to trust besides the usual roots.
pub const CA_VAR: &str = "CAMP_SMTP_CA";

/// An SMTP server and the connection kept open to it.
pub struct Smtp {
    host: String,
    port: u16,
    implicit_tls: bool,
    /// STARTTLS parameters (lettre's), with the extra certificates.
    tls: TlsParameters,
    /// Implicit TLS (`smtps://`), with the same roots.
    connector: tokio_rustls::TlsConnector,
    credentials: Option<Credentials>,
    hello: ClientId,
    runtime: tokio::runtime::Runtime,
    connection: Option<(AsyncSmtpConnection, Instant)>,
}

impl Smtp {
    /// Prepares delivery to `url` (`smtp://host[:port]`, default port 25, or
    /// `smtps://host[:port]`, default 465). The connection opens when the first message goes.
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
        let extra = extra_roots()?;
        let mut params = TlsParameters::builder(host.to_string());
        for pem in &extra {
            let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| ca_error(&e))?;
            params = params.add_root_certificate(cert);
        }
        let tls = params.build_rustls().map_err(|e| bad(&e.to_string()))?;
        let connector = rustls_connector(&extra)?;
        let credentials = match (
            std::env::var("CAMP_SMTP_USER"),
            std::env::var("CAMP_SMTP_PASSWORD"),
        ) {
            (Ok(user), Ok(password)) => Some(Credentials::new(user, password)),
            _ => None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| bad(&format!("cannot start the network runtime: {e}")))?;
        Ok(Smtp {
            host: host.to_string(),
            port,
            implicit_tls,
            tls,
            connector,
            credentials,
            hello: ClientId::default(),
            runtime,
            connection: None,
        })
    }

    /// Sends one message and says how it went: a 2xx reply is delivered, 5xx refused, anything
    /// else (4xx, no connection, a connection lost, a time-out) passing.
    pub fn send(&mut self, message: &Message) -> Attempt {
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let kept = self.connection.take();
        let runtime = &self.runtime;
        let result = runtime.block_on(async {
            let mut conn = match kept {
                Some((mut c, used)) if !c.has_broken() => {
                    if used.elapsed() < IDLE_CHECK || c.test_connected().await {
                        c
                    } else {
                        self.open().await?
                    }
                }
                _ => self.open().await?,
            };
            let sent = tokio::time::timeout(TIMEOUT, conn.send(&envelope, &bytes)).await;
            Ok::<_, Failure>((conn, sent))
        });
        match result {
            Ok((conn, Ok(Ok(response)))) => {
                self.connection = Some((conn, Instant::now()));
                Attempt::Delivered {
                    status: code_of(&response.code()),
                }
            }
            Ok((conn, Ok(Err(e)))) => {
                if !conn.has_broken() {
                    self.connection = Some((conn, Instant::now()));
                }
                Failure::Smtp(e).attempt()
            }
            Ok((_, Err(_))) => Failure::TimedOut.attempt(),
            Err(failure) => failure.attempt(),
        }
    }

    /// Opens a connection: TCP with `TCP_NODELAY`, TLS at once for `smtps://`, the greeting
    /// and `EHLO`, STARTTLS when offered, AUTH when credentials are given.
    async fn open(&self) -> Result<AsyncSmtpConnection, Failure> {
        let opening = async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(Failure::Connect)?;
            tcp.set_nodelay(true).map_err(Failure::Connect)?;
            let stream: Box<dyn AsyncTokioStream> = if self.implicit_tls {
                let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| Failure::Connect(std::io::Error::other(e)))?;
                let tls = self
                    .connector
                    .connect(name, tcp)
                    .await
                    .map_err(Failure::Connect)?;
                Box::new(Tls(tls))
            } else {
                Box::new(tcp)
            };
            let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
                .await
                .map_err(|e| Failure::Open("greeting", e))?;
            if conn.can_starttls() {
                conn.starttls(self.tls.clone(), &self.hello)
                    .await
                    .map_err(|e| Failure::Open("STARTTLS", e))?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(|e| Failure::Open("authentication", e))?;
            }
            Ok(conn)
        };
        tokio::time::timeout(TIMEOUT, opening)
            .await
            .unwrap_or(Err(Failure::TimedOut))
    }
}

/// Why a message did not go.
enum Failure {
    /// No connection (refused, unreachable, a failed TLS handshake).
    Connect(std::io::Error),
    /// The session could not be set up (its greeting, STARTTLS, AUTH): nothing about the
    /// recipient, so never a bounce.
    Open(&'static str, lettre::transport::smtp::Error),
    /// The server answered with an error, or the connection broke during the exchange.
    Smtp(lettre::transport::smtp::Error),
    /// The server did not answer in time.
    TimedOut,
}

impl Failure {
    fn attempt(self) -> Attempt {
        match self {
            Failure::Connect(e) => Attempt::Transient {
                status: None,
                error: format!("cannot connect: {e}"),
            },
            Failure::Open(stage, e) => Attempt::Transient {
                status: e.status().and_then(|c| code_of(&c)),
                error: format!("{stage} failed: {e}"),
            },
            Failure::TimedOut => Attempt::Transient {
                status: None,
                error: format!("no answer within {} s", TIMEOUT.as_secs()),
            },
            Failure::Smtp(e) => {
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

/// A TLS stream as lettre's transport: implicit TLS on camp's own socket.
#[derive(Debug)]
struct Tls(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for Tls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for Tls {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tls {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The certificates of `CAMP_SMTP_CA`, one PEM block each (none when it is not set).
fn extra_roots() -> Result<Vec<String>, DeliverError> {
    let Some(path) = std::env::var_os(CA_VAR) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| DeliverError::SmtpCa {
        path: path.to_string_lossy().into_owned(),
        why: e.to_string(),
    })?;
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE-----") {
            blocks.extend(current.take());
        }
    }
    if blocks.is_empty() {
        return Err(DeliverError::SmtpCa {
            path: path.to_string_lossy().into_owned(),
            why: "it holds no PEM certificate".into(),
        });
    }
    Ok(blocks)
}

fn ca_error(e: &dyn std::fmt::Display) -> DeliverError {
    DeliverError::SmtpCa {
        path: std::env::var(CA_VAR).unwrap_or_default(),
        why: e.to_string(),
    }
}

/// A rustls connector trusting the usual roots and `extra` (PEM blocks).
fn rustls_connector(extra: &[String]) -> Result<tokio_rustls::TlsConnector, DeliverError> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in extra {
        let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| ca_error(&e))?;
        roots.add(der).map_err(|e| ca_error(&e))?;
    }
    // ring builds with a C compiler alone (as for `camp serve --tls-cert`).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ca_error(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// A reply code as a number.
fn code_of(code: &lettre::transport::smtp::response::Code) -> Option<u16> {
    code.to_string().parse().ok()
}
