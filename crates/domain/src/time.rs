//! Which times a source record can carry. Atlassian Cloud keeps nothing from before 2000, and
//! clocks drift by seconds, not by a day: a time outside these bounds is a unit or format mistake
//! (epoch seconds read as milliseconds, a date written as digits, year `0000` or `9999`), never
//! the time of the record.
//!
//! Two stages judge times by these bounds, and both read them here: the pipeline refuses such a
//! record, naming the reason; the connectors, which end some listings at the first record older
//! than their window, take such a time for no time at all, so that it neither ends a listing nor
//! drops the record before the pipeline has seen it.
//!
//! Also the hour and day boundaries every count is aligned to: rollups count by UTC hour and
//! day, so ranges are widened to whole hours and charts bucket by UTC day.

use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, TimeZone, Utc};

/// `t` rounded down to its hour.
pub fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

/// `t` rounded up to an hour.
pub fn ceil_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let down = floor_hour(t);
    if down == t {
        t
    } else {
        down + TimeDelta::hours(1)
    }
}

/// Midnight UTC of `day`.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

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

    #[test]
    fn ranges_widen_to_whole_hours_and_days_start_at_utc_midnight() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            floor_hour(t("2026-03-01T10:30:00Z")),
            t("2026-03-01T10:00:00Z")
        );
        assert_eq!(
            ceil_hour(t("2026-03-01T10:30:00Z")),
            t("2026-03-01T11:00:00Z")
        );
        assert_eq!(
            ceil_hour(t("2026-03-01T10:00:00Z")),
            t("2026-03-01T10:00:00Z")
        );
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(day_start(day), t("2026-03-01T00:00:00Z"));
    }
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
