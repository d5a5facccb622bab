//! Time formats the APIs take. Every time sent carries its zone: a naive time is read in some
//! server-side zone and can silently match nothing.

use chrono::{DateTime, Utc};

/// Jira's `yyyy-MM-ddTHH:mm:ss.SSS+0000`.
pub fn jira_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Bitbucket query syntax: RFC 3339 with `+00:00`.
pub fn bitbucket_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// Parses any RFC 3339 / ISO-8601 time the APIs return, including Jira's `+0000` offsets.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_sent_always_carry_a_zone() {
        let t = Utc.with_ymd_and_hms(2026, 9, 1, 8, 5, 3).unwrap();
        assert_eq!(jira_datetime(t), "2026-09-01T08:05:03.000+0000");
        assert_eq!(bitbucket_datetime(t), "2026-09-01T08:05:03.000000+00:00");
    }

    #[test]
    fn every_returned_format_parses_to_the_same_instant() {
        let t = Utc.with_ymd_and_hms(2026, 9, 1, 8, 5, 3).unwrap();
        for s in [
            "2026-09-01T08:05:03Z",
            "2026-09-01T08:05:03.000+0000",
            "2026-09-01T17:05:03+09:00",
            "2026-09-01T08:05:03.000000+00:00",
        ] {
            assert_eq!(parse_time(s), Some(t), "{s}");
        }
        assert_eq!(parse_time("2026-09-01 08:05"), None);
    }
}
