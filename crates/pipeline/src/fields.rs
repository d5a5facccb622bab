//! Reading fields out of source JSON: required strings, optional strings, times (ISO 8601 with a
//! zone, or epoch milliseconds, each field in the one format its product uses, and only within
//! plausible bounds), and IP addresses. Errors name the field so a quarantined record explains
//! itself.

use crate::NormalizeError;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::net::IpAddr;

/// A value shortened for error messages (never a whole payload).
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// A non-empty string as written, or a number rendered as text (Jira audit ids are numbers).
/// Untrimmed, unlike the connectors' reading of listing ids (which trims, to address resources):
/// event ids are made from it, and must not change.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A required string field.
pub fn required(v: &Value, field: &'static str) -> Result<String, NormalizeError> {
    text(v).ok_or(NormalizeError::Missing(field))
}

/// A required time written as an ISO 8601 / RFC 3339 string with its zone (`Z`, `+00:00` or
/// Jira's `+0000`), the form every product uses except where [`epoch_millis`] applies. Numbers
/// and strings of digits are refused: no product writes a time that way in these fields.
pub fn iso_time(
    v: &Value,
    field: &'static str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, NormalizeError> {
    checked_time(v, field, now, "an ISO 8601 time with a zone", |v| {
        v.as_str().and_then(connectors::time::parse_time)
    })
}

/// A required time written as a JSON integer of epoch milliseconds (Confluence's audit
/// `creationDate`, JSM's `epochMillis`). Strings are refused.
pub fn epoch_millis(
    v: &Value,
    field: &'static str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, NormalizeError> {
    checked_time(v, field, now, "an integer of epoch milliseconds", |v| {
        v.as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    })
}

/// Epoch values below this are seconds, from it on milliseconds: as seconds it is the year 5138,
/// as milliseconds 1973 — both far outside what a record can hold, so no value is ambiguous.
pub const EPOCH_MILLIS_FROM: i64 = 100_000_000_000;

/// A required time in the generic event's forms: an ISO 8601 string with its zone, or a JSON
/// integer of epoch seconds or milliseconds (told apart by [`EPOCH_MILLIS_FROM`]). A time without
/// a zone is refused, never guessed.
pub fn time_or_epoch(
    v: &Value,
    field: &'static str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, NormalizeError> {
    let expected = "an ISO 8601 time with a zone, or an integer of epoch seconds or milliseconds";
    checked_time(v, field, now, expected, |v| match v {
        Value::String(s) => connectors::time::parse_time(s),
        Value::Number(n) => n.as_i64().and_then(|x| {
            if x.abs() < EPOCH_MILLIS_FROM {
                Utc.timestamp_opt(x, 0).single()
            } else {
                Utc.timestamp_millis_opt(x).single()
            }
        }),
        _ => None,
    })
}

/// The time `read` finds in `v`, checked the one way every time field is: `Missing` when null,
/// `BadTime` saying `expected` when unreadable, then [`plausible`].
fn checked_time(
    v: &Value,
    field: &'static str,
    now: DateTime<Utc>,
    expected: &'static str,
    read: impl Fn(&Value) -> Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, NormalizeError> {
    if v.is_null() {
        return Err(NormalizeError::Missing(field));
    }
    let t = read(v).ok_or_else(|| NormalizeError::BadTime {
        field,
        expected,
        value: short(v),
    })?;
    plausible(t, field, v, now)
}

/// `t` if it can be the time of a record seen at `now` ([`domain::time::implausible`], whose
/// bounds the connectors also read: a time refused here ends no listing there).
fn plausible(
    t: DateTime<Utc>,
    field: &'static str,
    v: &Value,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, NormalizeError> {
    let Some(why) = domain::time::implausible(t, now) else {
        return Ok(t);
    };
    Err(NormalizeError::ImplausibleTime {
        field,
        value: short(v),
        read: t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        why,
    })
}

/// An IP address, if the value is one (Jira's `remoteAddress` is documented as a URL but is an IP
/// in practice; anything else is ignored rather than failing the record).
pub fn ip(v: &Value) -> Option<IpAddr> {
    v.as_str().and_then(|s| s.trim().parse().ok())
}

/// Splits a git author line `Name <email>` into its parts.
pub fn parse_author_raw(raw: &str) -> (Option<String>, Option<String>) {
    match (raw.find('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = raw[..open].trim();
            let email = raw[open + 1..close].trim();
            (
                (!name.is_empty()).then(|| name.to_owned()),
                (email.contains('@')).then(|| email.to_lowercase()),
            )
        }
        _ => (
            (!raw.trim().is_empty()).then(|| raw.trim().to_owned()),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::time::EARLIEST_MS;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 20, 0, 0, 0).unwrap()
    }

    #[test]
    fn every_iso_form_the_products_write_becomes_the_same_utc_instant() {
        let t = Utc.with_ymd_and_hms(2026, 9, 10, 14, 3, 21).unwrap()
            + chrono::Duration::milliseconds(456);
        for v in [
            json!("2026-09-10T14:03:21.456Z"),
            json!("2026-09-10T14:03:21.456+0000"),
            json!("2026-09-10T23:03:21.456+09:00"),
            json!("2026-09-10T23:03:21.456+0900"),
        ] {
            assert_eq!(iso_time(&v, "t", now()).unwrap(), t, "{v}");
        }
        assert_eq!(
            epoch_millis(&json!(1_789_049_001_456_i64), "t", now()).unwrap(),
            t
        );
    }

    /// Regression: any string of digits was read as epoch milliseconds, so `"20260914"` became
    /// 1970-01-01T05:37:40.914Z and `"2026"` 1970-01-01T00:00:02.026Z.
    #[test]
    fn strings_of_digits_in_a_time_field_are_refused_not_read_as_1970() {
        for v in [json!("20260914"), json!("2026"), json!("1789049001456")] {
            assert!(
                matches!(
                    iso_time(&v, "created", now()),
                    Err(NormalizeError::BadTime {
                        field: "created",
                        ..
                    })
                ),
                "{v}"
            );
            assert!(
                matches!(
                    epoch_millis(&v, "creationDate", now()),
                    Err(NormalizeError::BadTime { .. })
                ),
                "{v}"
            );
        }
        assert!(matches!(
            iso_time(&json!(1_789_049_001_456_i64), "created", now()),
            Err(NormalizeError::BadTime { .. })
        ));
    }

    /// Regression: epoch seconds, `0`, `-1` and year `0000` were stored as times in 1970 or
    /// before, silently wrong.
    #[test]
    fn times_before_2000_are_rejected_naming_the_value() {
        for v in [
            json!(1_789_049_001_i64),
            json!(0),
            json!(-1),
            json!(20_260_914),
        ] {
            let err = epoch_millis(&v, "creationDate", now()).unwrap_err();
            assert!(
                matches!(
                    err,
                    NormalizeError::ImplausibleTime {
                        field: "creationDate",
                        why: "before 2000-01-01",
                        ..
                    }
                ),
                "{v}: {err}"
            );
            assert!(err.to_string().contains(&v.to_string()), "{err}");
        }
        let err = iso_time(&json!("0000-01-01T00:00:00Z"), "created", now()).unwrap_err();
        assert!(
            matches!(err, NormalizeError::ImplausibleTime { .. }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "field `created` holds \"0000-01-01T00:00:00Z\", read as 0000-01-01T00:00:00.000Z: \
             before 2000-01-01, so it cannot be this record's time"
        );
        let earliest = Utc.timestamp_millis_opt(EARLIEST_MS).unwrap();
        assert_eq!(
            epoch_millis(&json!(EARLIEST_MS), "t", now()).unwrap(),
            earliest
        );
    }

    #[test]
    fn times_more_than_a_day_after_now_are_rejected() {
        let soon = now() + chrono::Duration::hours(23);
        let late = now() + chrono::Duration::hours(25);
        assert_eq!(
            epoch_millis(&json!(soon.timestamp_millis()), "t", now()).unwrap(),
            soon
        );
        assert!(matches!(
            epoch_millis(&json!(late.timestamp_millis()), "t", now()),
            Err(NormalizeError::ImplausibleTime {
                why: "more than a day after now",
                ..
            })
        ));
        assert!(matches!(
            iso_time(&json!("2099-01-01T00:00:00Z"), "t", now()),
            Err(NormalizeError::ImplausibleTime { .. })
        ));
    }

    #[test]
    fn unreadable_times_name_their_field_and_the_expected_form() {
        assert_eq!(
            iso_time(&json!(null), "created", now()),
            Err(NormalizeError::Missing("created"))
        );
        let err = iso_time(&json!("yesterday"), "created", now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `created` is not an ISO 8601 time with a zone: \"yesterday\""
        );
        assert!(matches!(
            iso_time(&json!({"a": 1}), "created", now()),
            Err(NormalizeError::BadTime { .. })
        ));
        assert!(matches!(
            iso_time(&json!("2026-09-01 08:05"), "created", now()),
            Err(NormalizeError::BadTime { .. })
        ));
    }

    #[test]
    fn git_author_lines_split_into_name_and_email() {
        assert_eq!(
            parse_author_raw("Mei Lin <Mei.Lin@Example.org>"),
            (Some("Mei Lin".into()), Some("mei.lin@example.org".into()))
        );
        assert_eq!(
            parse_author_raw("<ci@example.org>"),
            (None, Some("ci@example.org".into()))
        );
        assert_eq!(
            parse_author_raw("build bot"),
            (Some("build bot".into()), None)
        );
    }

    #[test]
    fn ids_may_be_numbers_or_strings_but_not_blank() {
        assert_eq!(text(&json!(48213)), Some("48213".into()));
        assert_eq!(text(&json!("  ")), None);
        assert_eq!(
            required(&json!(null), "id"),
            Err(NormalizeError::Missing("id"))
        );
    }
}
