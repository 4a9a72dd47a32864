//! `camp serve` as a child process on an ephemeral loopback port, and a plain HTTP client for
//! it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub fn camp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camp"))
}

/// A running `camp serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub stderr: PathBuf,
}

impl Server {
    /// Starts `camp serve SCRIPT --db DB --listen 127.0.0.1:0 ARGS...` in `dir`, with `env`.
    pub fn start(
        dir: &Path,
        script: &str,
        db: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let stderr = dir.join(format!("serve-{}.err", Instant::now().elapsed().as_nanos()));
        let stderr = unique(stderr);
        let mut cmd = camp();
        cmd.current_dir(dir)
            .args(["serve", script, "--db", db, "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("CAMP_API_KEYS")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "no address printed: {line:?}; stderr: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                )
            })
            .to_string();
        Server {
            child,
            base,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([format!("-{signal}"), self.pid()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for the process to end; its exit code.
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let t = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                t.elapsed() < within,
                "camp serve did not stop in {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique(p: PathBuf) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    p.with_extension(format!("{n}.err"))
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// A request's status and body.
pub fn get(agent: &ureq::Agent, url: &str) -> (u16, String) {
    let mut r = agent.get(url).call().unwrap();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    (r.status().as_u16(), body)
}

pub fn post(agent: &ureq::Agent, url: &str, body: &str) -> (u16, String) {
    let mut r = agent.post(url).send(body).unwrap();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (r.status().as_u16(), text)
}

/// A form fill runs a welcome email and an interesting moment.
pub const SIGN_UP: &str = r#"
settings { time zone "UTC" }
schema person { first_name: text }
form "Sign Up"
page "Pricing"
email "Welcome" { subject "Hi {{person.first_name:default=friend}}" body "<p>Hello</p>" }
campaign "Welcome" {
  smart list { trigger fills out form "Sign Up" }
  flow {
    send email "Welcome"
    interesting moment "welcomed"
  }
}
"#;

/// [`SIGN_UP`] with a sender, for delivery.
pub fn sign_up_with_sender() -> String {
    SIGN_UP.replace(
        "settings { time zone \"UTC\" }",
        "settings { time zone \"UTC\" from \"Acme <news@acme.example>\" }",
    )
}
