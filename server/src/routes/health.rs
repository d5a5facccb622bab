//! Health checks for load balancers and monitoring; no session needed and nothing secret in the
//! body (no connection strings, no versions of dependencies).

use crate::state::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// `GET /api/health`: the process is up and serving.
pub async fn process() -> Json<Value> {
    Json(json!({ "status": "ok", "service": "atlaslens", "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /api/health/database`: the database answers `ping` within two seconds; 503 with the
/// reason otherwise.
pub async fn database(State(state): State<ServerState>) -> (StatusCode, Json<Value>) {
    match store::db::ping(state.app.store.db.client(), Duration::from_secs(2)).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(reason) => {
            tracing::warn!(health.reason = %reason, "database health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": reason })),
            )
        }
    }
}
