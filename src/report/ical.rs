//! The program schedule as an iCalendar file (RFC 5545) that calendar applications import: one
//! event per batch run.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, Component, EventLike};

use super::ScheduledRun;

/// The runs as an iCalendar document. Each event starts at its run's instant, written in UTC
/// (`DTSTART:20261201T130000Z`: the same instant in every reader's zone, with no time-zone
/// definition to ship) and lasts no time; the calendar names the script's zone
/// (`X-WR-TIMEZONE`) so that applications show it there. `UID` is stable for a campaign and
/// an instant, so importing a later export again updates events instead of doubling them.
pub fn ical(runs: &[ScheduledRun], tz: Tz, now: i64) -> String {
    let mut cal = Calendar::new();
    cal.name("camp schedule").timezone(tz.name());
    let stamp = DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default();
    for r in runs {
        let Some(at) = DateTime::<Utc>::from_timestamp(r.instant, 0) else {
            continue;
        };
        let event = icalendar::Event::new()
            .uid(&uid(&r.campaign, r.instant))
            .timestamp(stamp)
            .summary(&r.campaign)
            .description(&r.steps.join("\n"))
            .starts(at)
            .ends(at)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

/// `20261201T130000Z-9f2c...@camp`: the instant and a hash of the campaign's name (FNV-1a, so
/// that it never changes between versions).
pub fn uid(campaign: &str, instant: i64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in campaign.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let at = DateTime::<Utc>::from_timestamp(instant, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| instant.to_string());
    format!("{at}-{h:016x}@camp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_depend_on_campaign_and_instant_only() {
        assert_eq!(uid("A", 0), uid("A", 0));
        assert_ne!(uid("A", 0), uid("B", 0));
        assert_ne!(uid("A", 0), uid("A", 60));
        assert!(uid("A", 0).starts_with("19700101T000000Z-"));
    }
}
