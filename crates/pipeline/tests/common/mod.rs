//! What the pipeline's fixture tests share: a fixed `now` and normalising one record of the
//! deployment `acme` at it.
#![allow(dead_code)] // Each test file uses what it needs.

use chrono::{DateTime, TimeZone, Utc};
use connectors::{RecordKind, SourceRecord};
use domain::DeploymentId;
use pipeline::{normalize, NormalizeError, Normalized};
use serde_json::Value;

/// The fetch time every fixture is normalised at (times are judged against it).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()
}

/// Normalises one record of `kind` at [`now`].
pub fn run(kind: RecordKind, raw: Value, context: Value) -> Result<Normalized, NormalizeError> {
    normalize(
        &DeploymentId::parse("acme").unwrap(),
        &SourceRecord { kind, raw, context },
        now(),
    )
}
