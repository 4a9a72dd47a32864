//! API keys: `Authorization: Bearer KEY`, with KEY one of `CAMP_API_KEYS` (comma-separated),
//! compared in constant time.

use subtle::ConstantTimeEq;

/// The keys requests may carry.
#[derive(Clone, Default)]
pub struct ApiKeys {
    keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ApiKeys {
    /// Never shows the keys themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} keys)", self.keys.len())
    }
}

/// What a request's `Authorization` header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A configured key (or no key is configured).
    Allowed,
    /// No `Authorization: Bearer` header.
    Missing,
    /// A key that is not one of the configured keys.
    Wrong,
}

impl ApiKeys {
    /// The keys of a comma-separated list; blanks around and between them are ignored.
    pub fn parse(list: &str) -> ApiKeys {
        ApiKeys {
            keys: list
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| k.as_bytes().to_vec())
                .collect(),
        }
    }

    /// The keys of the environment variable `CAMP_API_KEYS` (none when it is unset).
    pub fn from_env() -> ApiKeys {
        std::env::var("CAMP_API_KEYS")
            .map(|v| ApiKeys::parse(&v))
            .unwrap_or_default()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Judges the value of a request's `Authorization` header. Every configured key is
    /// compared, each in constant time, so the time taken says nothing about which key came
    /// close.
    pub fn check(&self, header: Option<&[u8]>) -> Verdict {
        if self.keys.is_empty() {
            return Verdict::Allowed;
        }
        let Some(given) = header.and_then(bearer) else {
            return Verdict::Missing;
        };
        if self.is_key(given) {
            Verdict::Allowed
        } else {
            Verdict::Wrong
        }
    }

    /// Whether `given` is one of the configured keys (false when none is configured). Every
    /// key is compared, each in constant time.
    pub fn is_key(&self, given: &[u8]) -> bool {
        let mut found = subtle::Choice::from(0u8);
        for key in &self.keys {
            found |= key.as_slice().ct_eq(given);
        }
        bool::from(found)
    }
}

/// The token of a `Bearer` authorization (the scheme in any case).
fn bearer(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at(header.iter().position(|b| *b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        let keys = ApiKeys::parse(" one, two ,,");
        assert_eq!(keys.check(Some(b"Bearer one")), Verdict::Allowed);
        assert_eq!(keys.check(Some(b"bearer two")), Verdict::Allowed);
        assert_eq!(keys.check(Some(b"Bearer three")), Verdict::Wrong);
        assert_eq!(keys.check(Some(b"Bearer on")), Verdict::Wrong);
        assert_eq!(keys.check(Some(b"Basic one")), Verdict::Missing);
        assert_eq!(keys.check(Some(b"Bearer ")), Verdict::Missing);
        assert_eq!(keys.check(None), Verdict::Missing);
        assert_eq!(ApiKeys::parse("").check(None), Verdict::Allowed);
        assert_eq!(format!("{keys:?}"), "ApiKeys(2 keys)");
        assert!(keys.is_key(b"two"));
        assert!(!keys.is_key(b"tw"));
        assert!(!ApiKeys::parse("").is_key(b""));
    }
}
