//! The simulator's own endpoints under `/_sim` (no authentication, never faulted): the
//! manifest, the faults, and the clock (the detection scenarios' are in `scenario`).

use super::{bad_request, ok, params, Family, Shared};
use crate::format::{parse_instant, utc};
use crate::Faults;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// `GET /_sim/manifest?from=<RFC 3339>&to=<RFC 3339>&ids=true`; the bounds default to the data.
pub async fn manifest(State(state): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let p = params(query.as_deref());
    let bound = |name: &str, default: i64| match p.get(name) {
        None => Ok(default),
        Some(v) => parse_instant(v).ok_or_else(|| format!("'{name}' must be an RFC 3339 time")),
    };
    let data = state.data();
    let (from, to) = match (bound("from", data.start), bound("to", data.end)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return bad_request(Family::Admin, &e),
    };
    let with_ids = matches!(p.get("ids"), Some("true" | "1"));
    let m = crate::manifest::compute(&state, utc(from), utc(to), with_ids);
    ok(serde_json::to_value(m).unwrap_or_default())
}

/// `GET /_sim/faults`.
pub async fn faults(State(state): State<Arc<Shared>>) -> Response {
    ok(serde_json::to_value(state.faults()).unwrap_or_default())
}

/// `POST /_sim/faults` with a (partial) [`Faults`] object; missing fields take their defaults.
pub async fn set_faults(State(state): State<Arc<Shared>>, Json(faults): Json<Faults>) -> Response {
    state.set_faults(faults);
    ok(serde_json::to_value(state.faults()).unwrap_or_default())
}

/// `POST /_sim/clock/advance?seconds=N`.
pub async fn advance(State(state): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let p = params(query.as_deref());
    let Some(seconds) = p.get("seconds").and_then(|s| s.trim().parse::<i64>().ok()) else {
        return bad_request(Family::Admin, "'seconds' must be an integer");
    };
    state.clock.advance_ms(seconds.saturating_mul(1000));
    ok(json!({ "sim_now": utc(state.clock.now_ms()).to_rfc3339() }))
}
