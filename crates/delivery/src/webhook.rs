//! Generic webhooks, signed as Standard Webhooks 1.0 specifies, so that any SIEM or automation
//! that implements the spec (or its libraries) can check a delivery came from AtlasLens.
//!
//! - **Body**: `{"type": "alert.opened" | "alert.escalated" | "test", "timestamp": <RFC 3339 of the
//!   notification>, "data": <the alert summary>}`, the same JSON the syslog sender can carry.
//!   The incident events `incident.opened`, `incident.reopened` and `incident.resolved` add
//!   `"incident": {"id", "title", "state", "severity", "alerts", "events", "url"}` (with
//!   `"classification"` and `"resolution_note"` once resolved), while `data` is the alert that
//!   opened or reopened the incident, or its latest alert when resolved; alert events carry no
//!   `incident` key.
//! - **Headers**: `webhook-id` is the notification id, the same on every attempt, so receivers can
//!   drop repeats; `webhook-timestamp` is this attempt's time in Unix seconds, so a captured
//!   request cannot be replayed later; `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of
//!   `{id}.{timestamp}.{body}` keyed with the secret's bytes.
//! - **Secret**: `whsec_` and the base64 of 24 to 64 random bytes. [`generate_webhook_secret`]
//!   makes one of 32 bytes; the spec allows up to 512, we cap at 64 because nothing is gained past
//!   the 64-byte HMAC block size.
//!
//! [`verify_signature`] is the receiving side, for tests and for anyone embedding AtlasLens'
//! checks; it accepts any of several space-separated signatures (key rotation) and refuses
//! timestamps outside the tolerance in either direction.

use crate::notification::Notification;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::time::Duration;

/// The prefix every webhook secret carries.
pub const SECRET_PREFIX: &str = "whsec_";
/// The fewest secret bytes accepted.
pub const MIN_SECRET_BYTES: usize = 24;
/// The most secret bytes accepted.
pub const MAX_SECRET_BYTES: usize = 64;

/// A webhook secret that is not `whsec_` + base64 of 24..=64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The `whsec_` prefix is missing.
    #[error("the webhook secret must start with `whsec_`; generate a new one")]
    MissingPrefix,
    /// What follows the prefix is not base64.
    #[error("the webhook secret after `whsec_` is not valid base64; generate a new one")]
    NotBase64,
    /// The decoded key is too short or too long.
    #[error(
        "the webhook secret holds {0} bytes, but it must hold 24 to 64 random bytes; generate a new one"
    )]
    WrongLength(usize),
}

/// Why a signed request did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret itself is malformed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A required header is absent or not text.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a number of seconds.
    #[error("the `webhook-timestamp` header is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is further from now than the tolerance.
    #[error("the request was signed {age_seconds} s away from now, outside the tolerance of {tolerance_seconds} s")]
    OutsideTolerance {
        /// How far the timestamp is from now, in seconds (negative: in the future).
        age_seconds: i64,
        /// The allowed distance.
        tolerance_seconds: u64,
    },
    /// No `v1` signature matches.
    #[error("no v1 signature in `webhook-signature` matches the body")]
    NoMatch,
}

/// Checks that `secret` is `whsec_` + base64 of 24..=64 bytes and returns the key bytes.
///
/// # Errors
/// A [`SecretError`] saying what is wrong.
pub fn decode_secret(secret: &SecretString) -> Result<Vec<u8>, SecretError> {
    let text = secret.expose_secret();
    let encoded = text
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SecretError::MissingPrefix)?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| SecretError::NotBase64)?;
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
        return Err(SecretError::WrongLength(key.len()));
    }
    Ok(key)
}

/// A new random secret: `whsec_` and the base64 of 32 bytes from the operating system's RNG.
pub fn generate_webhook_secret() -> SecretString {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    SecretString::from(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The webhook body, serialised once so the signed bytes are the sent bytes.
pub fn body(n: &Notification) -> Vec<u8> {
    let mut value = serde_json::json!({
        "type": n.event.as_str(),
        "timestamp": n.timestamp.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": n.alert,
    });
    if let Some(i) = &n.incident {
        value["incident"] = serde_json::json!(i);
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

/// The `webhook-signature` value (`v1,<base64>`) for one attempt.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(key, id, timestamp, body)))
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The signed headers of one attempt made at `now`: `webhook-id`, `webhook-timestamp`,
/// `webhook-signature` and `content-type`.
pub fn headers(
    key: &[u8],
    id: &str,
    now: DateTime<Utc>,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let ts = now.timestamp();
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", sign(key, id, ts, body)),
        ("content-type", "application/json".to_owned()),
    ]
}

/// Verifies a Standard Webhooks request: the signature over `{id}.{timestamp}.{body}` with
/// `secret`, and a timestamp within `tolerance` of `now` (five minutes is usual).
///
/// # Errors
/// A [`SignatureError`] saying which check failed.
pub fn verify_signature(
    secret: &SecretString,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let key = decode_secret(secret)?;
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(SignatureError::MissingHeader(name))
    };
    let id = header("webhook-id")?;
    let ts: i64 = header("webhook-timestamp")?
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let signatures = header("webhook-signature")?;
    let age = now.timestamp() - ts;
    if age.unsigned_abs() > tolerance.as_secs() {
        return Err(SignatureError::OutsideTolerance {
            age_seconds: age,
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    for candidate in signatures.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(given) = STANDARD.decode(encoded) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        // Constant-time comparison.
        if mac.verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::{incident_sample, sample};
    use reqwest::header::{HeaderName, HeaderValue};

    fn header_map(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    // The example of the Standard Webhooks specification and its reference libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn the_signature_matches_the_specification_example() {
        let key = decode_secret(&SecretString::from(SPEC_SECRET)).unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_signed_body_verifies_and_a_tampered_one_does_not() {
        let secret = generate_webhook_secret();
        let key = decode_secret(&secret).unwrap();
        let n = sample();
        let body = body(&n);
        let now = n.timestamp;
        let headers = header_map(&headers(&key, &n.id, now, &body));
        let tolerance = Duration::from_secs(300);
        assert_eq!(
            verify_signature(&secret, &headers, &body, now, tolerance),
            Ok(())
        );

        let mut tampered = body.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 0x01;
        assert_eq!(
            verify_signature(&secret, &headers, &tampered, now, tolerance),
            Err(SignatureError::NoMatch)
        );
        let other = generate_webhook_secret();
        assert_eq!(
            verify_signature(&other, &headers, &body, now, tolerance),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_refused() {
        let secret = generate_webhook_secret();
        let key = decode_secret(&secret).unwrap();
        let n = sample();
        let body = body(&n);
        let headers = header_map(&headers(&key, &n.id, n.timestamp, &body));
        let tolerance = Duration::from_secs(300);
        let later = n.timestamp + chrono::Duration::seconds(301);
        assert!(matches!(
            verify_signature(&secret, &headers, &body, later, tolerance),
            Err(SignatureError::OutsideTolerance {
                age_seconds: 301,
                ..
            })
        ));
        let earlier = n.timestamp - chrono::Duration::seconds(301);
        assert!(matches!(
            verify_signature(&secret, &headers, &body, earlier, tolerance),
            Err(SignatureError::OutsideTolerance {
                age_seconds: -301,
                ..
            })
        ));
    }

    #[test]
    fn any_of_several_signatures_may_match_for_key_rotation() {
        let secret = generate_webhook_secret();
        let key = decode_secret(&secret).unwrap();
        let n = sample();
        let body = body(&n);
        let mut pairs = headers(&key, &n.id, n.timestamp, &body);
        let good = pairs[2].1.clone();
        pairs[2].1 = format!("v1,bm90IHRoaXMgb25l v1a,ignored {good}");
        let headers = header_map(&pairs);
        assert_eq!(
            verify_signature(
                &secret,
                &headers,
                &body,
                n.timestamp,
                Duration::from_secs(5)
            ),
            Ok(())
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let secret = generate_webhook_secret();
        assert_eq!(
            verify_signature(
                &secret,
                &HeaderMap::new(),
                b"{}",
                Utc::now(),
                Duration::from_secs(5)
            ),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
    }

    #[test]
    fn malformed_secrets_are_refused_with_what_to_do() {
        let cases = [
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                SecretError::MissingPrefix,
            ),
            ("whsec_not base64!", SecretError::NotBase64),
            ("whsec_c2hvcnQ=", SecretError::WrongLength(5)),
        ];
        for (raw, expected) in cases {
            let err = decode_secret(&SecretString::from(raw)).unwrap_err();
            assert_eq!(err, expected);
            assert!(err.to_string().contains("generate a new one"));
        }
        let long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        assert_eq!(
            decode_secret(&SecretString::from(long)),
            Err(SecretError::WrongLength(65))
        );
    }

    #[test]
    fn generated_secrets_are_valid_and_distinct() {
        let a = generate_webhook_secret();
        let b = generate_webhook_secret();
        assert_eq!(decode_secret(&a).unwrap().len(), 32);
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn the_body_has_type_timestamp_and_the_alert_as_data() {
        let n = sample();
        let v: serde_json::Value = serde_json::from_slice(&body(&n)).unwrap();
        assert_eq!(v["type"], "alert.opened");
        assert_eq!(v["timestamp"], "2026-03-02T10:15:00Z");
        assert_eq!(v["data"]["rule_id"], "bulk-export");
        assert_eq!(v["data"]["group"][0]["value"], "Ana Souza");
    }

    #[test]
    fn an_incident_body_adds_the_incident_and_keeps_the_alert_as_data() {
        let n = incident_sample(crate::NotificationKind::IncidentResolved);
        let v: serde_json::Value = serde_json::from_slice(&body(&n)).unwrap();
        assert_eq!(v["type"], "incident.resolved");
        assert_eq!(v["data"]["id"], "al_42");
        assert_eq!(v["incident"]["id"], "inc_7");
        assert_eq!(v["incident"]["alerts"], 2);
        assert_eq!(v["incident"]["classification"], "true_positive");
        assert_eq!(v["incident"]["resolution_note"], "Access revoked");
        assert_eq!(
            v["incident"]["url"],
            "https://atlaslens.example.com/incidents/inc_7"
        );
        let alert: serde_json::Value = serde_json::from_slice(&body(&sample())).unwrap();
        assert!(alert.get("incident").is_none());
    }
}
