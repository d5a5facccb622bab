//! `atlaslens serve`: start (or reach) the database, ensure indexes, serve the dashboard until
//! SIGINT or SIGTERM, then stop cleanly — including the embedded database if we started it.

use crate::database::{Connection, Origin};
use crate::startup::{leptos_options, Application};
use services::crypto::{load_key_ring, KeySource};
use services::store::Store;
use services::Settings;

/// Runs the server.
///
/// # Errors
/// Start-up failures: bad settings, no database, address in use.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let (_keys, key_source) = load_key_ring(&settings)?;
    if let KeySource::GeneratedFile(path) = &key_source {
        tracing::warn!(
            key.file = %path.display(),
            "no ATLASLENS_ENCRYPTION_KEY was set, so a new key was generated into the data directory; \
             back it up, and set ATLASLENS_ENCRYPTION_KEY in production"
        );
    }
    let (connection, origin) = Connection::open(&settings).await?;
    match origin {
        Origin::External => tracing::info!("using the MongoDB server named by MONGODB_URI"),
        Origin::Shared => {
            tracing::info!("using the embedded database another AtlasLens process runs")
        }
        Origin::Owned => {
            tracing::info!(data.dir = %settings.data_dir.display(), "started the embedded database")
        }
    }
    let served = serve_until_signal(&settings, Store::new(connection.db.clone())).await;
    tracing::info!("shutting down");
    connection.close(&settings).await;
    served
}

async fn serve_until_signal(settings: &Settings, store: Store) -> anyhow::Result<()> {
    store.ensure_indexes(settings.retention_days).await?;
    let app = Application::build(settings, leptos_options("Leptos.toml")?, store.clone()).await?;
    let addr = app.local_addr()?;
    tracing::info!(http.addr = %addr, "AtlasLens is running at http://{addr}/");
    if store.users.is_empty().await? {
        tracing::warn!(
            "no administrator exists yet; create one with `atlaslens seed-admin --username NAME`"
        );
    } else {
        tracing::info!("sign in at http://{addr}/login with an administrator account");
    }
    Ok(app.run_until(shutdown_signal()).await?)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = match tokio::signal::unix::signal(
        tokio::signal::unix::SignalKind::terminate(),
    ) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; only Ctrl-C will stop the server");
            let _ = interrupt.await;
            return;
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}
