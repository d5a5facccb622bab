//! `POST /api/login` and `POST /api/logout`: plain form endpoints, so signing in works without
//! JavaScript. Browsers get redirects (back to `/login?error=…` on failure, with the throttle's
//! reason and wait in seconds when it refused: `error=throttled&reason=address&retry=40`);
//! clients that ask for JSON get status codes and JSON bodies (`429` with `Retry-After`).

use crate::state::ServerState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use domain::url::encode_component;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use services::auth::{LoginError, SESSION_USER_KEY};
use std::net::SocketAddr;
use tower_sessions::Session;

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: SecretString,
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after signing in: a local path only (never another site), default `/events`.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/api/") =>
        {
            n
        }
        _ => "/events",
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn back_to_login(error: &str, extra: &str, next: Option<&str>) -> Response {
    let mut url = format!("/login?error={error}{extra}");
    if let Some(n) = next.filter(|n| safe_next(Some(n)) == *n) {
        url.push_str("&next=");
        url.push_str(&encode_component(n));
    }
    Redirect::to(&url).into_response()
}

/// Checks the credentials; on success rotates the session id and stores the administrator in it.
pub async fn login(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let json = wants_json(&headers);
    let next = form.next.as_deref().filter(|n| !n.is_empty());
    let result = state
        .auth
        .login(&form.username, form.password, peer.ip(), chrono::Utc::now())
        .await;
    match result {
        Ok(user) => {
            // A new id at sign-in, so a session id planted before sign-in is worthless after it.
            let stored = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER_KEY, &user).await
            };
            if let Err(e) = stored.await {
                tracing::error!(error = %e, "storing the session failed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "sign-in is unavailable right now",
                )
                    .into_response();
            }
            tracing::info!(login.result = "success", login.user = %user.username, client.ip = %peer.ip(), "administrator signed in");
            if json {
                Json(json!({ "username": user.username })).into_response()
            } else {
                Redirect::to(safe_next(next)).into_response()
            }
        }
        Err(LoginError::InvalidCredentials) => {
            tracing::info!(login.result = "invalid", client.ip = %peer.ip(), "sign-in failed");
            if json {
                (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({ "error": LoginError::InvalidCredentials.to_string() })),
                )
                    .into_response()
            } else {
                back_to_login("invalid", "", next)
            }
        }
        // Logged by the authenticator, which knows whether the name is an administrator's.
        Err(LoginError::Throttled(refusal)) => {
            if json {
                let body = json!({
                    "error": refusal.to_string(),
                    "reason": refusal.reason,
                    "retry_after_s": refusal.retry_after_s,
                });
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(refusal.retry_after_s),
                );
                response
            } else {
                let detail = format!(
                    "&reason={}&retry={}",
                    refusal.reason.as_str(),
                    refusal.retry_after_s
                );
                back_to_login("throttled", &detail, next)
            }
        }
        Err(LoginError::Store(e)) => {
            tracing::error!(error = %e, "sign-in could not reach the database");
            if json {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({ "error": "sign-in is unavailable right now" })),
                )
                    .into_response()
            } else {
                back_to_login("unavailable", "", None)
            }
        }
    }
}

/// Ends the session (removes it from the store and clears the cookie).
pub async fn logout(session: Session, headers: HeaderMap) -> Response {
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "removing the session failed");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if wants_json(&headers) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Redirect::to("/login?signed_out=1").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_pages_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/events?limit=25")), "/events?limit=25");
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/api/logout",
            "events",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/events", "{hostile}");
        }
        assert_eq!(safe_next(None), "/events");
    }
}
