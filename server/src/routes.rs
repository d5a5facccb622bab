//! Every REST route the binary serves besides the Leptos pages and server functions, listed in one
//! place with whether it needs a session. The session guard and the route-protection test both read
//! these lists, so a route cannot be added without deciding.

pub mod auth;
pub mod health;

use crate::startup::ServerState;
use axum::routing::{get, post};
use axum::Router;

/// Paths anyone may request without a session.
pub const PUBLIC_PATHS: &[&str] = &["/login", "/api/login", "/api/health", "/api/health/database"];

/// Path prefixes of static assets the sign-in page itself needs (script, wasm, styles).
pub const PUBLIC_PREFIXES: &[&str] = &["/pkg/"];

/// Single static files served without a session.
pub const PUBLIC_FILES: &[&str] = &["/favicon.ico", "/favicon.svg", "/robots.txt"];

/// REST routes that require a session, as (method, path); the route-protection test probes each.
pub const PROTECTED_REST: &[(&str, &str)] = &[("POST", "/api/logout")];

/// Whether `path` may be requested without a session.
pub fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.contains(&path) || PUBLIC_FILES.contains(&path) || PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// The REST routes.
pub fn rest() -> Router<ServerState> {
    Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/health", get(health::process))
        .route("/api/health/database", get(health::database))
}
