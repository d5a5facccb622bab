//! The literal formats each product uses on the wire — times (four styles: `Z`, `+0000`,
//! `+00:00` with microseconds, epoch milliseconds) and identifiers (UUIDs, 24-hex account ids,
//! commit hashes) — derived deterministically from numbers so records stay small in memory.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// Milliseconds since the epoch as a UTC time (out-of-range values clamp to the epoch).
pub fn utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Admin API and Confluence v2: `2026-09-14T08:12:03.114Z`.
pub fn iso_z(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Jira: `2026-09-10T14:03:21.456+0000`.
pub fn jira(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// JSM `DateDTO.iso8601`: `2026-09-13T09:41:00+0000`.
pub fn jsm_iso(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// Bitbucket pull requests: `2026-09-08T09:14:02.331455+00:00`.
pub fn bitbucket(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// Git commit dates keep the author's zone: `2026-09-12T18:40:11+02:00`.
pub fn git(ms: i64, offset_minutes: i32) -> String {
    let zone = FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or(FixedOffset::east_opt(0).expect("UTC offset"));
    zone.from_utc_datetime(&utc(ms).naive_utc())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A time no product could parse: what a malformed record carries.
pub const GARBLED_TIME: &str = "31/02/2026 25:61 (garbled)";

/// 32 bytes derived from `parts`; the source of every synthetic identifier.
pub fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A version-4-shaped UUID from 16 bytes.
pub fn uuid(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Epoch-millisecond and text forms a window bound may arrive in.
pub fn parse_instant(s: &str) -> Option<i64> {
    if let Ok(ms) = s.trim().parse::<i64>() {
        return Some(ms);
    }
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_product_style_renders_the_same_instant() {
        let ms = 1_789_049_001_456;
        assert_eq!(iso_z(ms), "2026-09-10T14:03:21.456Z");
        assert_eq!(jira(ms), "2026-09-10T14:03:21.456+0000");
        assert_eq!(jsm_iso(ms), "2026-09-10T14:03:21+0000");
        assert_eq!(bitbucket(ms), "2026-09-10T14:03:21.456000+00:00");
        assert_eq!(git(ms, 120), "2026-09-10T16:03:21+02:00");
        for s in [iso_z(ms), jira(ms)] {
            assert_eq!(parse_instant(&s), Some(ms));
        }
        assert_eq!(parse_instant("2026-09-10 14:03"), None);
    }

    #[test]
    fn uuids_have_the_version_4_shape() {
        let u = uuid(&digest(&[b"x"]));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
