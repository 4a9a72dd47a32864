//! At most N messages a second per recipient domain (`settings { delivery rate N per second }`),
//! so that a large batch does not get a domain to block the sender. It paces the wall clock:
//! a message over the rate waits for its slot.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The recent sends of each domain.
#[derive(Debug, Default)]
pub struct Throttle {
    rate: Option<u32>,
    sent: HashMap<String, VecDeque<Instant>>,
}

impl Throttle {
    /// A throttle of `rate` messages a second per domain (None: no limit).
    pub fn new(rate: Option<u32>) -> Throttle {
        Throttle {
            rate,
            sent: HashMap::new(),
        }
    }

    /// Waits until one more message to `domain` keeps within the rate, and counts it.
    pub fn wait(&mut self, domain: &str) {
        let Some(rate) = self.rate.filter(|r| *r > 0) else {
            return;
        };
        let second = Duration::from_secs(1);
        let sent = self.sent.entry(domain.to_ascii_lowercase()).or_default();
        let now = Instant::now();
        while sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            sent.pop_front();
        }
        if sent.len() >= rate as usize {
            if let Some(oldest) = sent.pop_front() {
                let free = oldest + second;
                let now = Instant::now();
                if free > now {
                    std::thread::sleep(free - now);
                }
            }
        }
        sent.push_back(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_over_its_rate_waits_and_others_do_not() {
        let mut t = Throttle::new(Some(5));
        let start = Instant::now();
        for _ in 0..5 {
            t.wait("a.example");
            t.wait("b.example");
        }
        assert!(start.elapsed() < Duration::from_millis(500));
        t.wait("A.example");
        assert!(start.elapsed() >= Duration::from_millis(900));
    }
}
