//! Building the web application: the router (Leptos pages, server functions, REST
//! routes) and its middleware stack, bound to a listener.

use crate::middleware::{guard, origin, security_headers};
use crate::routes;
use crate::state::ServerState;
use app::ssr::AppState;
use app::{shell, App};
use axum::http::{header, HeaderValue};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{
    file_and_error_handler_with_context, generate_route_list, LeptosRoutes, ResponseOptions,
};
use services::auth::Authenticator;
use services::Settings;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Leptos site options from `path` (normally `./Leptos.toml`); `LEPTOS_*` variables override it.
///
/// # Errors
/// An unreadable or invalid file.
pub fn leptos_options(path: &str) -> anyhow::Result<LeptosOptions> {
    let conf = leptos_config::get_configuration(Some(path))
        .map_err(|e| anyhow::anyhow!("reading the Leptos site options from {path}: {e}"))?;
    Ok(conf.leptos_options)
}

/// The name of the session cookie; with `Secure` it takes the `__Host-` prefix, which browsers
/// only accept from HTTPS, for the whole site, without a domain.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-atlaslens_session"
    } else {
        "atlaslens_session"
    }
}

/// The complete router.
pub fn router(state: ServerState, settings: &Settings) -> Router {
    let app_state = state.app.clone();
    let context = move || {
        provide_context(app_state.clone());
        set_page_csp();
    };
    let sessions = SessionManagerLayer::new(state.app.store.sessions.clone())
        .with_name(session_cookie_name(settings.secure_cookies))
        .with_secure(settings.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        // Save on every request so the idle expiry slides while the administrator is active.
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(
            settings.session_idle_minutes,
        ))));
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .merge(routes::rest())
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            context.clone(),
            move || shell(leptos_options.clone()),
        )
        .fallback(file_and_error_handler_with_context::<ServerState, _>(
            context, shell,
        ))
        .layer(axum::middleware::from_fn(guard::require_session))
        .layer(sessions)
        .layer(axum::middleware::from_fn(origin::same_origin_writes))
        .layer(axum::middleware::from_fn(security_headers::add))
        .with_state(state)
}

/// Gives a rendered page the CSP that admits its own nonce-carrying scripts.
fn set_page_csp() {
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&security_headers::page_csp(&nonce.to_string())) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The web application bound to its listener, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pushed_rollups: imports::RollupsLater,
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and builds the router over `app`, signing
    /// in with `auth`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn build(
        settings: &Settings,
        leptos_options: LeptosOptions,
        app: AppState,
        auth: Authenticator,
    ) -> anyhow::Result<Self> {
        let ingest = crate::routes::ingest::IngestState::new(settings, &app);
        let pushed_rollups = ingest.rollups.clone();
        let state = ServerState {
            leptos_options,
            app,
            auth,
            ingest,
        };
        let listener = TcpListener::bind(settings.bind).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {} (ATLASLENS_BIND): {e}", settings.bind)
        })?;
        Ok(Self {
            listener,
            router: router(state, settings),
            pushed_rollups,
        })
    }

    /// The address actually bound.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The rollups of pushed events still to recompute; [`imports::RollupsLater::settled`] waits
    /// for them.
    pub fn pushed_rollups(&self) -> imports::RollupsLater {
        self.pushed_rollups.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and the rollups they
    /// queued.
    ///
    /// # Errors
    /// A server IO error.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        self.pushed_rollups.settled().await;
        Ok(())
    }
}
