//! The retry schedule of passing failures: 1 minute after the first failure, doubling up to 1
//! hour between tries, for 24 hours in all (store time).

/// The first wait between tries, in seconds.
pub const FIRST: i64 = 60;
/// The longest wait between tries, in seconds.
pub const LONGEST: i64 = 3600;
/// How long a row is tried before it is given up, in seconds from its first try.
pub const GIVE_UP_AFTER: i64 = 24 * 3600;

/// The wait after the `attempts`-th failed try.
pub fn delay(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(16);
    (FIRST << doublings).min(LONGEST)
}

/// When to try again after the `attempts`-th try failed at `now`, the first having been at
/// `first_try`; None when the 24 hours are over (the row is given up).
pub fn next_try(first_try: i64, attempts: u32, now: i64) -> Option<i64> {
    let next = now + delay(attempts);
    (next - first_try <= GIVE_UP_AFTER).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_a_minute_to_an_hour() {
        let waits: Vec<i64> = (1..=8).map(delay).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn a_row_is_given_up_after_a_day() {
        assert_eq!(next_try(0, 1, 0), Some(60));
        assert_eq!(next_try(0, 30, GIVE_UP_AFTER - 3600), Some(GIVE_UP_AFTER));
        assert_eq!(next_try(0, 30, GIVE_UP_AFTER - 3599), None);
    }
}
