//! The ranges the rollup-drawn pages (Overview, People, Teams, a person, a team) accept: in the
//! past, with a start, at most [`MAX_RANGE_DAYS`] long, and without the filters rollups cannot
//! answer. One policy, so every page refuses the same requests with the same words.

use chrono::{DateTime, Duration, Utc};
use domain::EventFilter;

/// The longest range a rollup page draws.
pub const MAX_RANGE_DAYS: i64 = 400;

/// Why a range cannot be drawn from the rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// An IP or free-text filter: rollups hold neither.
    #[error("this page is drawn from daily rollups, which hold no IP addresses or object names; use Events for IP and text filters")]
    NotInRollups,
    /// No start.
    #[error("pick a range or a `from` time")]
    NoStart,
    /// The end is not after the start.
    #[error("the range ends before it starts")]
    Backwards,
    /// Longer than [`MAX_RANGE_DAYS`].
    #[error("a range covers at most 400 days")]
    TooLong,
}

/// The range of `filter` a rollup page draws: its start, and its end capped at `now`.
///
/// # Errors
/// [`RangeError`] says which rule the filter breaks.
pub fn rollup_range(
    filter: &EventFilter,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), RangeError> {
    if filter.ip.is_some() || filter.text.is_some() {
        return Err(RangeError::NotInRollups);
    }
    let to = filter.to.unwrap_or(now).min(now);
    let Some(from) = filter.from else {
        return Err(RangeError::NoStart);
    };
    if to <= from {
        return Err(RangeError::Backwards);
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(RangeError::TooLong);
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn between(from: Option<&str>, to: Option<&str>) -> EventFilter {
        EventFilter {
            from: from.map(t),
            to: to.map(t),
            ..EventFilter::default()
        }
    }

    #[test]
    fn a_range_ends_at_now_at_the_latest_and_spans_at_most_400_days() {
        let now = t("2026-09-15T14:00:00Z");
        let open = between(Some("2026-09-01T00:00:00Z"), None);
        assert_eq!(
            rollup_range(&open, now),
            Ok((t("2026-09-01T00:00:00Z"), now))
        );
        let future = between(Some("2026-09-01T00:00:00Z"), Some("2027-01-01T00:00:00Z"));
        assert_eq!(rollup_range(&future, now).unwrap().1, now);
        let long = between(Some("2025-01-01T00:00:00Z"), None);
        assert_eq!(rollup_range(&long, now), Err(RangeError::TooLong));
        let backwards = between(Some("2026-09-15T15:00:00Z"), None);
        assert_eq!(rollup_range(&backwards, now), Err(RangeError::Backwards));
        assert_eq!(
            rollup_range(&between(None, None), now),
            Err(RangeError::NoStart)
        );
    }

    #[test]
    fn text_filters_are_refused_because_rollups_hold_no_names() {
        let filter = EventFilter {
            text: Some("budget".into()),
            ..between(Some("2026-09-01T00:00:00Z"), None)
        };
        assert_eq!(
            rollup_range(&filter, t("2026-09-15T14:00:00Z")),
            Err(RangeError::NotInRollups)
        );
    }
}
