//! Every REST route the binary serves besides the Leptos pages and server functions, declared in
//! one table with who may call it. The session guard reads the table, `rest()` refuses to mount a
//! path missing from it, and the route-protection test probes every entry — so a route cannot be
//! added without deciding who may call it.

pub mod auth;
pub mod export;
pub mod health;
pub mod imports;
pub mod incidents;
pub mod ingest;

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
    /// Only with an ingest API bearer token (never a session cookie): the handler checks it.
    Token,
    /// Only with the `Authorization` value configured for the deployment's audit-log webhook:
    /// the handler checks it.
    WebhookSecret,
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
    ("POST", "/api/imports", Access::Session),
    ("POST", "/api/ingest/events", Access::Token),
    ("GET", "/api/ingest/schema", Access::Public),
    (
        "POST",
        "/api/ingest/atlassian/{deployment}",
        Access::WebhookSecret,
    ),
];

/// Whether a declared route `pattern` (with `{name}` segments) matches `path`.
fn matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.starts_with('{') && a.ends_with('}') => {
                if b.is_empty() {
                    return false;
                }
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Pages anyone may see.
pub const PUBLIC_PAGES: &[&str] = &["/login"];

/// Path prefixes of static assets the sign-in page itself needs (script, wasm, styles).
pub const PUBLIC_PREFIXES: &[&str] = &["/pkg/"];

/// Single static files served without a session.
pub const PUBLIC_FILES: &[&str] = &["/favicon.ico", "/favicon.svg", "/robots.txt"];

/// Whether `path` may be requested without a session: public pages, files and routes, and the
/// routes whose handlers check a credential of their own.
pub fn is_public(path: &str) -> bool {
    PUBLIC_PAGES.contains(&path)
        || PUBLIC_FILES.contains(&path)
        || PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
        || REST_ROUTES
            .iter()
            .any(|(_, p, access)| *access != Access::Session && matches(p, path))
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
    let router = declared(
        router,
        "/api/imports",
        post(imports::upload).layer(axum::extract::DefaultBodyLimit::disable()),
    );
    let router = declared(router, "/api/ingest/events", post(ingest::events));
    let router = declared(router, "/api/ingest/schema", get(ingest::schema));
    let router = declared(
        router,
        "/api/ingest/atlassian/{deployment}",
        post(ingest::atlassian),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_patterns_match_their_segments_only() {
        assert!(matches(
            "/api/ingest/atlassian/{deployment}",
            "/api/ingest/atlassian/acme"
        ));
        assert!(!matches(
            "/api/ingest/atlassian/{deployment}",
            "/api/ingest/atlassian/"
        ));
        assert!(!matches(
            "/api/ingest/atlassian/{deployment}",
            "/api/ingest/atlassian/a/b"
        ));
        assert!(!matches("/api/ingest/events", "/api/ingest/events/x"));
        assert!(
            is_public("/api/ingest/events"),
            "its handler checks the token"
        );
        assert!(!is_public("/api/imports"));
    }
}
