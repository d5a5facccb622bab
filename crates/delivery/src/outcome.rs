//! What happened to one attempt, in the four cases the lead acts on: delivered (record it),
//! retry (schedule another attempt with [`crate::backoff()`]), gone (410: disable the destination)
//! and failed (permanent: show the reason, do not retry).
//!
//! The HTTP rules are Standard Webhooks': only 2xx is success, and a 3xx is a failure rather
//! than something to follow. 408, 425, 429 and 5xx are worth another try, honouring
//! `Retry-After` (seconds or an HTTP date); every other 4xx says the request itself or the
//! settings are wrong, and repeating it would only repeat the answer.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The destination accepted the notification.
    Delivered {
        /// The HTTP status (none for syslog).
        status: Option<u16>,
        /// What the destination calls it: the Jira issue key.
        remote_ref: Option<String>,
        /// A short line for the delivery log.
        detail: String,
    },
    /// Worth another attempt later.
    Retry {
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// How long the destination asked us to wait.
        retry_after: Option<Duration>,
        /// Why, for the delivery log.
        reason: String,
    },
    /// The destination says it is gone for good (410): disable it.
    Gone {
        /// The HTTP status (410).
        status: u16,
    },
    /// Will not succeed by repeating: a refused request or a setting to fix.
    Failed {
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// What was wrong and what to do, for the delivery log and the settings page.
        reason: String,
    },
}

impl Outcome {
    /// `delivered`, `retry`, `gone` or `failed`, for logs and metric labels.
    pub const fn label(&self) -> &'static str {
        match self {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Retry { .. } => "retry",
            Outcome::Gone { .. } => "gone",
            Outcome::Failed { .. } => "failed",
        }
    }

    /// The HTTP status of the answer, if there was one.
    pub const fn status(&self) -> Option<u16> {
        match self {
            Outcome::Delivered { status, .. }
            | Outcome::Retry { status, .. }
            | Outcome::Failed { status, .. } => *status,
            Outcome::Gone { status } => Some(*status),
        }
    }

    /// Whether the notification arrived.
    pub const fn is_delivered(&self) -> bool {
        matches!(self, Outcome::Delivered { .. })
    }
}

/// A `Retry-After` value: a number of seconds, or an HTTP date measured from `now` (a date in
/// the past means no wait). `None` when it is neither.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Whether a non-2xx status is worth retrying: 408, 425, 429 and 5xx.
pub const fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500..=599)
}

/// The outcome of an answer outside 2xx, with `reason` describing it.
pub(crate) fn from_status(status: u16, retry_after: Option<Duration>, reason: String) -> Outcome {
    if status == 410 {
        Outcome::Gone { status }
    } else if is_transient(status) {
        Outcome::Retry {
            status: Some(status),
            retry_after,
            reason,
        }
    } else {
        Outcome::Failed {
            status: Some(status),
            reason,
        }
    }
}

/// At most `max` characters of a response body, one line, without control characters: safe to
/// put in a log line or on a page.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn statuses_map_to_retry_gone_and_failed() {
        let r = |s| from_status(s, None, String::new()).label();
        assert_eq!(r(429), "retry");
        assert_eq!(r(408), "retry");
        assert_eq!(r(425), "retry");
        assert_eq!(r(500), "retry");
        assert_eq!(r(503), "retry");
        assert_eq!(r(410), "gone");
        assert_eq!(r(400), "failed");
        assert_eq!(r(401), "failed");
        assert_eq!(r(404), "failed");
        assert_eq!(r(301), "failed");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(b"line1\nline2\x07", 100), "line1 line2");
        assert_eq!(excerpt("é".repeat(10).as_bytes(), 3), "ééé…");
    }
}
