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
}

/// An SMTP server on a loopback port. Recipients choose the answer to their message's data:
/// a local part starting `temp` gets 451 on its first try, `drop` has its connection closed
/// after its data on the first try (no answer), `bad` gets 550, `full` gets 552, `never` gets
/// 451 every time; anything else 250.
pub struct SmtpServer {
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    /// Data transfers seen per recipient (answered or not).
    tries: Arc<Mutex<HashMap<String, u32>>>,
}

impl SmtpServer {
    /// Starts the server on a free port; it serves until the test process ends.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let tries = Arc::new(Mutex::new(HashMap::new()));
        let (r, t) = (received.clone(), tries.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (r, t) = (r.clone(), t.clone());
                std::thread::spawn(move || {
                    let _ = serve_smtp(conn, &r, &t);
                });
            }
        });
        SmtpServer {
            url,
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

/// A connection that acknowledges what it reads at once. SMTP clients that write a message's
/// final dot in a segment of its own, without `TCP_NODELAY` (lettre does), would otherwise wait
/// for the delayed acknowledgement of the message's last segment (40 ms on Linux) each time.
struct QuickAck(TcpStream);

impl Read for QuickAck {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        // `CAMP_SINK_DELAYED_ACK` keeps the kernel's delayed acknowledgements, as many servers
        // do, to measure what they cost.
        #[cfg(target_os = "linux")]
        if std::env::var_os("CAMP_SINK_DELAYED_ACK").is_none() {
            let _ = rustix::net::sockopt::set_tcp_quickack(&self.0, true);
        }
        Ok(n)
    }
}

fn serve_smtp(
    conn: TcpStream,
    received: &Mutex<Vec<Received>>,
    tries: &Mutex<HashMap<String, u32>>,
) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut out = conn.try_clone()?;
    let mut lines = BufReader::new(QuickAck(conn));
    out.write_all(b"220 test.example ESMTP\r\n")?;
    let mut rcpt = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-test.example\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            "HELO" => out.write_all(b"250 test.example\r\n")?,
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
                    let mut t = tries.lock().unwrap();
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
                        received.lock().unwrap().push(Received {
                            rcpt: rcpt.clone(),
                            data,
                        });
                        b"250 queued\r\n"
                    };
                out.write_all(reply)?;
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
