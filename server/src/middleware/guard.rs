//! The session guard: every request except the public ones (see [`crate::routes::is_public`])
//! needs a signed-in session. API calls without one get `401`; pages redirect to `/login`, carrying
//! the page asked for so sign-in can return to it.

use crate::routes::is_public;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use domain::url::encode_component;
use services::auth::{SessionUser, SESSION_USER_KEY};
use tower_sessions::Session;

/// Lets the request through only with a session or to a public path.
pub async fn require_session(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_public(path) {
        return next.run(request).await;
    }
    match session.get::<SessionUser>(SESSION_USER_KEY).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => {
            let is_page =
                request.method() == Method::GET && !path.starts_with("/api/") && path != "/metrics";
            if is_page {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let login = if target == "/" {
                    "/login".to_owned()
                } else {
                    format!("/login?next={}", encode_component(target))
                };
                Redirect::to(&login).into_response()
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({ "error": "sign in first" })),
                )
                    .into_response()
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "loading the session failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
