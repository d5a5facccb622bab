//! Reading fields out of source JSON: required strings, optional strings, times in every format the
//! products use, and IP addresses. Errors name the field so a quarantined record explains itself.

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

/// A non-empty string, or a number rendered as text (Jira audit ids are numbers).
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

/// A required time: RFC 3339 / ISO-8601 (with `Z`, `+00:00` or `+0000`) or epoch milliseconds.
pub fn time(v: &Value, field: &'static str) -> Result<DateTime<Utc>, NormalizeError> {
    let bad = || NormalizeError::BadTime {
        field,
        value: short(v),
    };
    match v {
        Value::Null => Err(NormalizeError::Missing(field)),
        Value::Number(n) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .ok_or_else(bad),
        Value::String(s) => {
            if let Ok(ms) = s.parse::<i64>() {
                return Utc.timestamp_millis_opt(ms).single().ok_or_else(bad);
            }
            connectors::time::parse_time(s).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
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
    use serde_json::json;

    #[test]
    fn every_source_time_format_becomes_the_same_utc_instant() {
        let t = Utc.with_ymd_and_hms(2026, 9, 10, 14, 3, 21).unwrap()
            + chrono::Duration::milliseconds(456);
        for v in [
            json!("2026-09-10T14:03:21.456Z"),
            json!("2026-09-10T14:03:21.456+0000"),
            json!("2026-09-10T23:03:21.456+09:00"),
            json!("2026-09-10T23:03:21.456+0900"),
            json!(1_789_049_001_456_i64),
            json!("1789049001456"),
        ] {
            assert_eq!(time(&v, "t").unwrap(), t, "{v}");
        }
    }

    #[test]
    fn unreadable_times_name_their_field() {
        assert_eq!(
            time(&json!(null), "created"),
            Err(NormalizeError::Missing("created"))
        );
        assert!(matches!(
            time(&json!("yesterday"), "created"),
            Err(NormalizeError::BadTime {
                field: "created",
                ..
            })
        ));
        assert!(matches!(
            time(&json!({"a": 1}), "created"),
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
