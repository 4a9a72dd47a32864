//! The web view's sessions: after the login form was given one of `CAMP_API_KEYS`, a cookie
//! that is not the key but a signed expiry.
//!
//! The cookie's value is `EXPIRY.NONCE.MAC`: the instant the session ends (seconds since the
//! epoch), sixteen random bytes in hex, and the HMAC-SHA256 of both under a key drawn when the
//! server starts. Nothing is held in memory per session; a restart ends every session.

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The cookie's name.
pub const COOKIE: &str = "camp_session";
/// How long a session lasts, in seconds.
pub const LIFETIME: i64 = 12 * 3600;

/// Issues and checks session cookies.
pub struct Sessions {
    key: hmac::Key,
    rng: SystemRandom,
    /// Whether cookies carry `Secure` (the server speaks HTTPS).
    secure: bool,
}

impl std::fmt::Debug for Sessions {
    /// Never shows the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// The system's random generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the system's random number generator failed")]
pub struct RandomError;

impl Sessions {
    /// Sessions signed with a fresh random key; `secure` when served over HTTPS.
    pub fn new(secure: bool) -> Result<Sessions, RandomError> {
        let rng = SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).map_err(|_| RandomError)?;
        Ok(Sessions { key, rng, secure })
    }

    /// A new session's cookie value, valid for [`LIFETIME`] from `now`.
    pub fn issue(&self, now: i64) -> Result<String, RandomError> {
        let mut nonce = [0u8; 16];
        self.rng.fill(&mut nonce).map_err(|_| RandomError)?;
        let payload = format!("{}.{}", now + LIFETIME, hex(&nonce));
        let tag = hmac::sign(&self.key, payload.as_bytes());
        Ok(format!("{payload}.{}", hex(tag.as_ref())))
    }

    /// Whether `value` is a cookie this server issued that has not expired at `now`. The
    /// signature is verified in constant time.
    pub fn valid(&self, value: &str, now: i64) -> bool {
        let Some((payload, tag)) = value.rsplit_once('.') else {
            return false;
        };
        let Some(tag) = unhex(tag) else {
            return false;
        };
        if hmac::verify(&self.key, payload.as_bytes(), &tag).is_err() {
            return false;
        }
        payload
            .split_once('.')
            .and_then(|(expiry, _)| expiry.parse::<i64>().ok())
            .is_some_and(|expiry| now < expiry)
    }

    /// The `Set-Cookie` header value that opens a session with `value`.
    pub fn set_cookie(&self, value: &str) -> String {
        format!(
            "{COOKIE}={value}; Path=/; Max-Age={LIFETIME}; HttpOnly; SameSite=Strict{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` header value that ends the session.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
            if self.secure { "; Secure" } else { "" }
        )
    }
}

/// The session cookie's value among a request's `Cookie` headers.
pub fn cookie_value<'a>(headers: impl Iterator<Item = &'a [u8]>) -> Option<&'a str> {
    headers
        .filter_map(|h| std::str::from_utf8(h).ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_signed_and_expire() {
        let sessions = Sessions::new(false).unwrap();
        let value = sessions.issue(1000).unwrap();
        assert!(sessions.valid(&value, 1000));
        assert!(sessions.valid(&value, 1000 + LIFETIME - 1));
        assert!(!sessions.valid(&value, 1000 + LIFETIME));
        // Another expiry with the same signature is refused.
        let forged = value.replacen(&(1000 + LIFETIME).to_string(), "99999999999", 1);
        assert!(!sessions.valid(&forged, 1000));
        // Another server's cookie is refused.
        let other = Sessions::new(false).unwrap();
        assert!(!other.valid(&value, 1000));
        for junk in ["", ".", "a.b.c", "1.2.zz", "1.2.abc", "é.é.éé"] {
            assert!(!sessions.valid(junk, 0), "{junk}");
        }
        assert!(sessions
            .set_cookie(&value)
            .contains("HttpOnly; SameSite=Strict"));
        assert!(!sessions.set_cookie(&value).contains("Secure"));
        assert!(Sessions::new(true)
            .unwrap()
            .set_cookie(&value)
            .ends_with("; Secure"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let headers = [b"a=1; camp_session=xyz; b=2".as_slice()];
        assert_eq!(cookie_value(headers.into_iter()), Some("xyz"));
        let headers = [b"a=1".as_slice(), b"camp_session=q".as_slice()];
        assert_eq!(cookie_value(headers.into_iter()), Some("q"));
        assert_eq!(
            cookie_value([b"x=camp_session".as_slice()].into_iter()),
            None
        );
    }
}
