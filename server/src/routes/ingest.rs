//! The routes other systems push events to — never reached with a session, each authenticated
//! by its own credential (see `docs/ingest.md`):
//! - `POST /api/ingest/events`: generic events with a bearer token bound to one deployment and
//!   source; per-record results.
//! - `GET /api/ingest/schema`: the JSON Schema of a generic event.
//! - `POST /api/ingest/atlassian/{deployment}`: Atlassian's organization audit-log webhook,
//!   authenticated by the `Authorization` value configured for that deployment.
//!
//! Records are stored before the answer and evaluated by the rules afterwards (a queued pass).

use crate::state::ServerState;
use axum::body::{to_bytes, Body};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use connectors::{RecordKind, SourceRecord};
use domain::{DeploymentId, Product};
use imports::push::{store_pushed, PushTarget};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::ingest_tokens::{CallDoc, TokenDoc, TokenState};

/// The largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// The most records one request may carry.
pub const MAX_RECORDS: usize = 10_000;

/// Calls per token per minute, counted in fixed one-minute windows in this process.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` calls per key.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Counts a call of `key`; `Err(seconds to wait)` when the key is over its limit.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = Duration::from_secs(60).saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// A refused request: status and a JSON body saying what was wrong and what to do.
fn refuse(status: StatusCode, error: impl Into<String>) -> Response {
    let mut r = (status, Json(json!({ "error": error.into(), "stored": 0 }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// A refusal a handler turns into its answer.
#[derive(Debug)]
struct Refusal(StatusCode, String);

impl Refusal {
    fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self(status, error.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refuse(self.0, self.1)
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "an ingest request failed on the database");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "the database failed; records already answered as stored stay stored, and sending the request again is safe",
    )
}

/// The bearer token of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The optional deployment a caller names, checked against its token's.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    deployment: Option<String>,
}

/// The records of a body: a JSON array (or one object), or NDJSON.
fn parse_body(content_type: &str, body: &[u8]) -> Result<Vec<Value>, Refusal> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let records = match media.as_str() {
        "application/json" => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(a)) => a,
            Ok(v @ Value::Object(_)) => vec![v],
            Ok(_) => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "the body is JSON but neither an array of events nor one event",
                ))
            }
            Err(e) => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not JSON ({e}); nothing was stored"),
                ))
            }
        },
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
            let mut out = Vec::new();
            for (i, line) in body.split(|b| *b == b'\n').enumerate() {
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_slice(line) {
                    Ok(v) => out.push(v),
                    Err(e) => {
                        return Err(Refusal::new(
                            StatusCode::BAD_REQUEST,
                            format!("line {} is not JSON ({e}); nothing was stored", i + 1),
                        ))
                    }
                }
            }
            out
        }
        other => {
            return Err(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Type {other:?} is not accepted; send application/json (an array of events) or application/x-ndjson"),
            ))
        }
    };
    if records.len() > MAX_RECORDS {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} records; at most {MAX_RECORDS} per request, nothing was stored — split the batch",
                records.len()
            ),
        ));
    }
    Ok(records)
}

/// The token of a request, if it is one that works now.
async fn authenticate(
    state: &ServerState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<TokenDoc, Response> {
    let Some(token) = bearer(headers) else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "send an ingest token as `Authorization: Bearer <token>` (create one with `atlaslens token create` or on the Tokens page); session cookies do not work here",
        ));
    };
    let found = state
        .app
        .store
        .ingest_tokens
        .find(token)
        .await
        .map_err(internal)?;
    let Some(doc) = found else {
        return Err(refuse(StatusCode::UNAUTHORIZED, "the token is not known"));
    };
    match doc.state(now) {
        TokenState::Active => Ok(doc),
        TokenState::Revoked => Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!(
                "the token {:?} was revoked; ask an administrator for a new one",
                doc.name
            ),
        )),
        TokenState::Expired => Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!(
                "the token {:?} expired; ask an administrator for a new one",
                doc.name
            ),
        )),
    }
}

/// `POST /api/ingest/events`.
pub async fn events(
    State(state): State<ServerState>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let now = Utc::now();
    let token = match authenticate(&state, &headers, now).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut call = CallDoc {
        token_id: token.id.clone(),
        token_name: token.name.clone(),
        at: bson::DateTime::from_chrono(now),
        status: 200,
        records: 0,
        accepted: 0,
        duplicates: 0,
        rejected: 0,
    };
    let response = events_with_token(&state, &token, query, &headers, body, now, &mut call).await;
    call.status = i32::from(response.status().as_u16());
    if let Err(e) = state.app.store.ingest_tokens.record_call(&call).await {
        tracing::warn!(error = %e, token = %token.name, "could not record an ingest call");
    }
    response
}

async fn events_with_token(
    state: &ServerState,
    token: &TokenDoc,
    query: EventsQuery,
    headers: &HeaderMap,
    body: Body,
    now: DateTime<Utc>,
    call: &mut CallDoc,
) -> Response {
    if let Some(asked) = &query.deployment {
        if asked != &token.deployment {
            return refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "this token writes to deployment {:?} only, not {asked:?}",
                    token.deployment
                ),
            );
        }
    }
    if let Err(wait) = state.ingest.limiter.check(&token.id) {
        let mut r = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "more than {} calls a minute with this token; retry after {wait} s",
                state.ingest.limiter.per_minute
            ),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is over {MAX_BODY_BYTES} bytes; nothing was stored — split the batch"
                ),
            )
        }
    };
    let records = match parse_body(&content_type, &bytes) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let Ok(deployment) = DeploymentId::parse(&token.deployment) else {
        return internal(format!("token {} names an invalid deployment", token.name));
    };
    let context = json!({ "source": token.source });
    let records = records
        .into_iter()
        .map(|raw| SourceRecord {
            kind: RecordKind::GenericEvent,
            raw,
            context: context.clone(),
        })
        .collect();
    let target = PushTarget {
        deployment,
        product: Product::External,
        rejects_stream: format!("ingest/{}", token.source),
    };
    let what = format!("ingest {}", token.name);
    let report = match store_and_evaluate(state, &target, records, now, &what).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    call.records = report.records as i64;
    call.accepted = report.accepted as i64;
    call.duplicates = report.duplicates as i64;
    call.rejected = report.rejected as i64;
    Json(report).into_response()
}

/// Stores pushed records (see [`store_pushed`]) and, when any is new, queues their days' rollups
/// and a rules pass without holding the answer up; `what` names the push in the pass's reason.
async fn store_and_evaluate(
    state: &ServerState,
    target: &PushTarget,
    records: Vec<SourceRecord>,
    now: DateTime<Utc>,
    what: &str,
) -> Result<imports::push::PushReport, store::StoreError> {
    let report = store_pushed(
        &state.app.store,
        &state.ingest.resolver,
        target,
        records,
        now,
    )
    .await?;
    state
        .ingest
        .rollups
        .queue(&target.deployment, target.product, report.days.clone());
    if report.accepted > 0 {
        evaluate_later(state, format!("{what} ({} new)", report.accepted));
    }
    Ok(report)
}

/// Queues a rules pass without holding the answer up.
fn evaluate_later(state: &ServerState, reason: String) {
    let jobs = state.app.jobs.clone();
    tokio::spawn(async move {
        if let Err(e) = rules::queue::enqueue(&jobs, &reason).await {
            tracing::warn!(error = %e, "could not queue a rules evaluation of pushed events");
        }
    });
}

/// `GET /api/ingest/schema`.
pub async fn schema() -> Response {
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        pipeline::generic::SCHEMA,
    )
        .into_response()
}

/// The events of a webhook delivery: one event, an array of them, or a page (`{"data": [...]}`).
fn webhook_events(body: &[u8]) -> Result<Vec<Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(Value::Object(mut o)) => match o.remove("data") {
            Some(Value::Array(a)) => Ok(a),
            Some(other) => {
                o.insert("data".into(), other);
                Ok(vec![Value::Object(o)])
            }
            None => Ok(vec![Value::Object(o)]),
        },
        Ok(_) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "the body is neither an audit event, an array of them, nor a page of them",
        )),
        Err(e) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON ({e}); nothing was stored"),
        )),
    }
}

/// `POST /api/ingest/atlassian/{deployment}`.
pub async fn atlassian(
    State(state): State<ServerState>,
    Path(deployment): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let now = Utc::now();
    let Ok(deployment) = DeploymentId::parse(&deployment) else {
        return refuse(StatusCode::NOT_FOUND, "no such deployment");
    };
    let secret = match state
        .app
        .store
        .webhook_secrets
        .get(deployment.as_str())
        .await
    {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let Some(secret) = secret else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            format!("no webhook secret is set for deployment {deployment}; run `atlaslens webhook-secret --deployment {deployment}` and enter its Authorization value at Atlassian"),
        );
    };
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match secret.matches(&state.app.keys, header) {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "the Authorization header is not the one configured for this deployment's webhook",
            )
        }
        Err(e) => return internal(e),
    }
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY_BYTES} bytes"),
            )
        }
    };
    let events = match webhook_events(&bytes) {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let records = events
        .into_iter()
        .map(|raw| SourceRecord {
            kind: RecordKind::OrgEvent,
            raw,
            context: Value::Null,
        })
        .collect();
    let target = PushTarget {
        deployment: deployment.clone(),
        product: Product::Org,
        rejects_stream: format!("{deployment}/org/audit"),
    };
    let what = format!("webhook {deployment}");
    let report = match store_and_evaluate(&state, &target, records, now, &what).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    if let Err(e) = state
        .app
        .store
        .webhook_secrets
        .received(deployment.as_str(), now)
        .await
    {
        tracing::warn!(error = %e, "could not note the webhook delivery");
    }
    tracing::info!(
        deployment = %deployment,
        accepted = report.accepted,
        duplicates = report.duplicates,
        rejected = report.rejected,
        "audit-log webhook delivery stored"
    );
    Json(report).into_response()
}

/// What the ingest routes share.
#[derive(Debug, Clone)]
pub struct IngestState {
    /// Calls per token per minute.
    pub limiter: Arc<RateLimiter>,
    /// Resolves pushed events' actors.
    pub resolver: ingest::identity::IdentityResolver,
    /// Runs uploaded imports.
    pub importer: imports::Importer,
    /// The bounds of an import.
    pub limits: imports::Limits,
    /// Where uploads are kept while they are imported.
    pub upload_dir: std::path::PathBuf,
    /// Recomputes the rollups of pushed events' days after the answer.
    pub rollups: imports::RollupsLater,
}

impl IngestState {
    /// The ingest state of a server with `settings` over `app`.
    pub fn new(settings: &services::Settings, app: &app::ssr::AppState) -> Self {
        let resolver =
            ingest::identity::IdentityResolver::new(app.store.identities.clone(), app.keys.clone());
        let limits = imports::Limits {
            max_file_bytes: u64::from(settings.import_max_mb) * 1024 * 1024,
            ..imports::Limits::default()
        };
        Self {
            limiter: Arc::new(RateLimiter::new(settings.ingest_calls_per_minute)),
            importer: imports::Importer::new(app.store.clone(), resolver.clone(), limits),
            resolver,
            limits,
            upload_dir: settings.data_dir.join("uploads"),
            rollups: imports::RollupsLater::start(app.store.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_over_its_rate_waits_for_the_window() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        let wait = limiter.check("a").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check("b").is_ok(), "limits are per token");
    }

    #[test]
    fn bodies_are_arrays_objects_or_ndjson_of_a_declared_type() {
        assert_eq!(
            parse_body("application/json", b"[{\"a\":1},{\"a\":2}]")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            parse_body("application/json; charset=utf-8", b"{\"a\":1}")
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            parse_body("application/x-ndjson", b"{\"a\":1}\r\n\n{\"a\":2}\n")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            parse_body("text/plain", b"[]").unwrap_err().0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            parse_body("application/json", b"[1,").unwrap_err().0,
            StatusCode::BAD_REQUEST
        );
        let many = format!("[{}]", vec!["{}"; MAX_RECORDS + 1].join(","));
        assert_eq!(
            parse_body("application/json", many.as_bytes())
                .unwrap_err()
                .0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn only_a_bearer_authorization_carries_a_token() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  atl_ingest_x "),
        );
        assert_eq!(bearer(&h), Some("atl_ingest_x"));
    }
}
