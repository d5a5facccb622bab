//! The axum router's state: what the REST handlers need, and the Leptos options the pages are
//! rendered with.

use app::ssr::AppState;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use services::auth::Authenticator;

/// State of the axum router: what REST handlers need, and the Leptos options.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// Leptos site options (site root, output name).
    pub leptos_options: LeptosOptions,
    /// What server functions use, also provided to them through context.
    pub app: AppState,
    /// Sign-in.
    pub auth: Authenticator,
    /// What the ingest and import routes share.
    pub ingest: crate::routes::ingest::IngestState,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}
