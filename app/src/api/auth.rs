//! Who is signed in. Signing in and out are plain form endpoints (`POST /api/login`,
//! `POST /api/logout`) served by the binary, so they work without JavaScript.

use crate::error::ApiError;
use leptos::prelude::*;

/// The signed-in administrator's username.
#[server(endpoint = "session/current")]
pub async fn current_user() -> Result<String, ApiError> {
    Ok(crate::ssr::require_user().await?.username)
}
