//! Which times a source record can carry. Atlassian Cloud keeps nothing from before 2000, and
//! clocks drift by seconds, not by a day: a time outside these bounds is a unit or format mistake
//! (epoch seconds read as milliseconds, a date written as digits, year `0000` or `9999`), never
//! the time of the record.
//!
//! Two stages judge times by these bounds, and both read them here: the pipeline refuses such a
//! record, naming the reason; the connectors, which end some listings at the first record older
//! than their window, take such a time for no time at all, so that it neither ends a listing nor
//! drops the record before the pipeline has seen it.

use chrono::{DateTime, TimeDelta, Utc};

/// The earliest time a record may carry, 2000-01-01T00:00:00Z, in epoch milliseconds.
pub const EARLIEST_MS: i64 = 946_684_800_000;

/// How far past the present a record's time may lie.
pub const MAX_AHEAD: TimeDelta = TimeDelta::days(1);

/// Why `t` cannot be the time of a record seen at `now`, if it cannot: before [`EARLIEST_MS`], or
/// more than [`MAX_AHEAD`] after `now`.
pub fn implausible(t: DateTime<Utc>, now: DateTime<Utc>) -> Option<&'static str> {
    if t.timestamp_millis() < EARLIEST_MS {
        Some("before 2000-01-01")
    } else if now
        .checked_add_signed(MAX_AHEAD)
        .is_some_and(|limit| t > limit)
    {
        Some("more than a day after now")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_from_2000_to_a_day_after_now_are_plausible_and_no_others() {
        let now = Utc.with_ymd_and_hms(2026, 9, 20, 0, 0, 0).unwrap();
        let earliest = Utc.timestamp_millis_opt(EARLIEST_MS).unwrap();
        assert_eq!(earliest, Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(implausible(earliest, now), None);
        assert_eq!(implausible(now + MAX_AHEAD, now), None);
        assert_eq!(
            implausible(earliest - TimeDelta::milliseconds(1), now),
            Some("before 2000-01-01")
        );
        assert_eq!(
            implausible(Utc.timestamp_millis_opt(0).unwrap(), now),
            Some("before 2000-01-01")
        );
        assert_eq!(
            implausible(now + MAX_AHEAD + TimeDelta::milliseconds(1), now),
            Some("more than a day after now")
        );
        assert_eq!(
            implausible(DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC),
            None,
            "a present at the end of time overflows nothing"
        );
    }
}
