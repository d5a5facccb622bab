//! Server-only plumbing for server functions: the shared application state and the session check
//! every server function starts with.

use crate::error::ApiError;
use leptos::prelude::use_context;
use services::auth::{SessionUser, SESSION_USER_KEY};
use services::store::Store;
use tower_sessions::Session;

/// Everything server functions need, built once at start-up and provided through Leptos context.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The MongoDB store.
    pub store: Store,
}

/// The application state.
///
/// # Errors
/// [`ApiError::Internal`] when the server was wired without it.
pub fn state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        ApiError::Internal
    })
}

/// A request the server function cannot serve as asked: answered with `400` and the message.
pub fn bad_request(message: impl std::fmt::Display) -> ApiError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::BAD_REQUEST);
    }
    ApiError::BadRequest(message.to_string())
}

/// The signed-in administrator of the current request.
///
/// # Errors
/// [`ApiError::Unauthorized`] without a signed-in session (and sets the 401 status).
pub async fn require_user() -> Result<SessionUser, ApiError> {
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    match session.get::<SessionUser>(SESSION_USER_KEY).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::UNAUTHORIZED);
            }
            Err(ApiError::Unauthorized)
        }
        Err(e) => Err(ApiError::internal("reading the session failed", &e)),
    }
}
