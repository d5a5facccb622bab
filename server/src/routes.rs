//! Every REST route the binary serves besides the Leptos pages and server functions, declared in
//! one table with whether it needs a session. The session guard reads the table, `rest()` refuses
//! to mount a path missing from it, and the route-protection test probes every entry — so a route
//! cannot be added without deciding who may call it.

pub mod auth;
pub mod export;
pub mod health;
pub mod incidents;

use crate::state::ServerState;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session.
    Public,
    /// Only a signed-in administrator.
    Session,
}

/// Every REST route: (method, path, access).
pub const REST_ROUTES: &[(&str, &str, Access)] = &[
    ("POST", "/api/login", Access::Public),
    ("POST", "/api/logout", Access::Session),
    ("GET", "/api/health", Access::Public),
    ("GET", "/api/health/database", Access::Public),
    ("GET", "/api/export", Access::Session),
    ("GET", "/api/export/manifest", Access::Session),
    ("GET", "/api/incidents/export", Access::Session),
    ("GET", "/api/incidents/manifest", Access::Session),
];

/// Pages anyone may see.
pub const PUBLIC_PAGES: &[&str] = &["/login"];

/// Path prefixes of static assets the sign-in page itself needs (script, wasm, styles).
pub const PUBLIC_PREFIXES: &[&str] = &["/pkg/"];

/// Single static files served without a session.
pub const PUBLIC_FILES: &[&str] = &["/favicon.ico", "/favicon.svg", "/robots.txt"];

/// Whether `path` may be requested without a session.
pub fn is_public(path: &str) -> bool {
    PUBLIC_PAGES.contains(&path)
        || PUBLIC_FILES.contains(&path)
        || PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
        || REST_ROUTES
            .iter()
            .any(|(_, p, access)| *p == path && *access == Access::Public)
}

/// The REST routes.
pub fn rest() -> Router<ServerState> {
    let router = Router::new();
    let router = declared(router, "/api/login", post(auth::login));
    let router = declared(router, "/api/logout", post(auth::logout));
    let router = declared(router, "/api/export", get(export::download));
    let router = declared(router, "/api/export/manifest", get(export::manifest));
    let router = declared(router, "/api/incidents/export", get(incidents::download));
    let router = declared(router, "/api/incidents/manifest", get(incidents::manifest));
    let router = declared(router, "/api/health", get(health::process));
    declared(router, "/api/health/database", get(health::database))
}

/// Mounts a route that [`REST_ROUTES`] declares.
///
/// # Panics
/// At start-up, when the path is not declared: an undeclared route is a programming error.
fn declared(
    router: Router<ServerState>,
    path: &'static str,
    route: MethodRouter<ServerState>,
) -> Router<ServerState> {
    assert!(
        REST_ROUTES.iter().any(|(_, p, _)| *p == path),
        "route {path} must be declared in REST_ROUTES with its access"
    );
    router.route(path, route)
}
