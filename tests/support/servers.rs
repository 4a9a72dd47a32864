//! Real servers on loopback for delivery tests: an SMTP server speaking enough of the protocol
//! for a client to send mail, whose answer depends on the recipient, and an HTTP server whose
//! answer depends on the path. Both record what they receive.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message the SMTP server accepted (answered 250 after its data).
#[derive(Clone, Debug)]
pub struct Received {
    /// `RCPT TO` address.
    pub rcpt: String,
    /// The raw message.
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The user the client authenticated as, if it did.
    pub user: Option<String>,
}

/// How an [`SmtpServer`] speaks TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text only.
    None,
    /// Offers STARTTLS (and requires it when AUTH is set up).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// An SMTP server on a loopback port. Recipients choose the answer to their message's data:
/// a local part starting `temp` gets 451 on its first try, `drop` has its connection closed
/// after its data on the first try (no answer), `bad` gets 550, `full` gets 552, `never` gets
/// 451 every time; anything else 250.
pub struct SmtpServer {
    /// `smtp://127.0.0.1:PORT` (`smtps://` for implicit TLS).
    pub url: String,
    /// The PEM certificate of the authority that signed the server's certificate.
    pub ca_pem: String,
    received: Arc<Mutex<Vec<Received>>>,
    /// Data transfers seen per recipient (answered or not).
    tries: Arc<Mutex<HashMap<String, u32>>>,
}

/// What every connection of one server shares.
struct Shared {
    tls: SmtpTls,
    /// `user`, `password` required before `MAIL`.
    auth: Option<(String, String)>,
    config: Arc<rustls::ServerConfig>,
    received: Arc<Mutex<Vec<Received>>>,
    tries: Arc<Mutex<HashMap<String, u32>>>,
}

impl SmtpServer {
    /// Starts a plain server on a free port; it serves until the test process ends.
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(SmtpTls::None, None)
    }

    /// Starts a server speaking TLS as `tls` says, and requiring AUTH PLAIN with
    /// `auth` (user, password) when given.
    pub fn start_with(tls: SmtpTls, auth: Option<(&str, &str)>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let scheme = if tls == SmtpTls::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (ca_pem, config) = tls_config();
        let shared = Arc::new(Shared {
            tls,
            auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
            config,
            received: Arc::new(Mutex::new(Vec::new())),
            tries: Arc::new(Mutex::new(HashMap::new())),
        });
        let (received, tries) = (shared.received.clone(), shared.tries.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve_smtp(conn, &shared);
                });
            }
        });
        SmtpServer {
            url,
            ca_pem,
            received,
            tries,
        }
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Data transfers seen for `rcpt`.
    pub fn tries(&self, rcpt: &str) -> u32 {
        self.tries.lock().unwrap().get(rcpt).copied().unwrap_or(0)
    }
}

/// A certificate authority's PEM and a server configuration whose certificate (for
/// `127.0.0.1`) it signed.
fn tls_config() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    (ca.pem(), Arc::new(config))
}

/// A byte stream a session runs on: plain TCP, or TLS over it.
trait Stream: Read + Write + Send {}
impl<S: Read + Write + Send> Stream for S {}

fn serve_smtp(conn: TcpStream, shared: &Shared) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    match shared.tls {
        SmtpTls::Implicit => {
            let tls = rustls::ServerConnection::new(shared.config.clone()).map_err(io_error)?;
            session(Box::new(rustls::StreamOwned::new(tls, conn)), true, shared)
        }
        _ => session(Box::new(conn), false, shared),
    }
}

fn io_error(e: rustls::Error) -> std::io::Error {
    std::io::Error::other(e)
}

/// One SMTP session over `stream` (TLS already when `tls`).
fn session(stream: Box<dyn Stream>, tls: bool, shared: &Shared) -> std::io::Result<()> {
    let mut lines = BufReader::new(stream);
    if !tls || shared.tls == SmtpTls::Implicit {
        lines.get_mut().write_all(b"220 test.example ESMTP\r\n")?;
    }
    let mut rcpt = String::new();
    let mut user: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let out = lines.get_mut();
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                let mut reply = String::from("250-test.example\r\n250-8BITMIME\r\n");
                if shared.tls == SmtpTls::StartTls && !tls {
                    reply.push_str("250-STARTTLS\r\n");
                }
                if shared.auth.is_some() && tls {
                    reply.push_str("250-AUTH PLAIN\r\n");
                }
                reply.push_str("250 SMTPUTF8\r\n");
                out.write_all(reply.as_bytes())?
            }
            "HELO" => out.write_all(b"250 test.example\r\n")?,
            "STAR" if shared.tls == SmtpTls::StartTls && !tls => {
                out.write_all(b"220 go ahead\r\n")?;
                let plain = lines.into_inner();
                let conn =
                    rustls::ServerConnection::new(shared.config.clone()).map_err(io_error)?;
                return session(
                    Box::new(rustls::StreamOwned::new(conn, plain)),
                    true,
                    shared,
                );
            }
            "AUTH" => {
                let given = line
                    .trim_end()
                    .strip_prefix("AUTH PLAIN ")
                    .and_then(|b| {
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b).ok()
                    })
                    .map(|raw| {
                        raw.split(|&b| b == 0)
                            .map(|p| String::from_utf8_lossy(p).into_owned())
                            .collect::<Vec<_>>()
                    });
                match (&shared.auth, given.as_deref()) {
                    (Some((u, p)), Some([_, gu, gp])) if gu == u && gp == p => {
                        user = Some(u.clone());
                        out.write_all(b"235 2.7.0 authenticated\r\n")?
                    }
                    _ => out.write_all(b"535 5.7.8 bad credentials\r\n")?,
                }
            }
            "MAIL" if shared.auth.is_some() && user.is_none() => {
                out.write_all(b"530 5.7.0 authentication required\r\n")?
            }
            "MAIL" => {
                rcpt.clear();
                out.write_all(b"250 ok\r\n")?
            }
            "RCPT" => {
                rcpt = line
                    .split_once('<')
                    .and_then(|(_, r)| r.split_once('>'))
                    .map(|(a, _)| a.to_string())
                    .unwrap_or_default();
                out.write_all(b"250 ok\r\n")?
            }
            "DATA" => {
                out.write_all(b"354 go on\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let n = {
                    let mut t = shared.tries.lock().unwrap();
                    let n = t.entry(rcpt.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                let local = rcpt.split('@').next().unwrap_or("");
                if local.starts_with("drop") && n == 1 {
                    return Ok(());
                }
                let reply: &[u8] =
                    if local.starts_with("temp") && n == 1 || local.starts_with("never") {
                        b"451 try again later\r\n"
                    } else if local.starts_with("bad") {
                        b"550 no such user here\r\n"
                    } else if local.starts_with("full") {
                        b"552 mailbox full\r\n"
                    } else {
                        shared.received.lock().unwrap().push(Received {
                            rcpt: rcpt.clone(),
                            data,
                            tls,
                            user: user.clone(),
                        });
                        b"250 queued\r\n"
                    };
                lines.get_mut().write_all(reply)?;
            }
            "RSET" | "NOOP" => out.write_all(b"250 ok\r\n")?,
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 not implemented\r\n")?,
        }
    }
}

/// A request the HTTP server read.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: HashMap<String, String>,
    /// The body.
    pub body: String,
}

/// An HTTP server on a loopback port. The path chooses the answer: `/flaky...` answers 500 the
/// first time and 200 after, `/hang...` answers nothing for 3 s the first time and 200 after,
/// `/gone...` 410, anything else 200.
pub struct HttpServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl HttpServer {
    /// Starts the server on a free port.
    pub fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let r = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let r = r.clone();
                std::thread::spawn(move || {
                    let _ = serve_http(conn, &r);
                });
            }
        });
        HttpServer { url, requests }
    }

    /// The requests read so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve_http(conn: TcpStream, requests: &Mutex<Vec<HttpRequest>>) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    loop {
        let mut first = String::new();
        if reader.read_line(&mut first)? == 0 {
            return Ok(());
        }
        let mut parts = first.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let seen = {
            let mut r = requests.lock().unwrap();
            let seen = r.iter().filter(|q| q.path == path).count();
            r.push(HttpRequest {
                method,
                path: path.clone(),
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            seen
        };
        let status = if path.starts_with("/flaky") && seen == 0 {
            "500 Internal Server Error"
        } else if path.starts_with("/hang") && seen == 0 {
            std::thread::sleep(Duration::from_secs(3));
            return Ok(());
        } else if path.starts_with("/gone") {
            "410 Gone"
        } else {
            "200 OK"
        };
        out.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok").as_bytes())?;
    }
}
