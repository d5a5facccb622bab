//! Reaching the database: the server named by `MONGODB_URI`; else the embedded server another
//! AtlasLens process on the same data directory already runs (found through its discovery file);
//! else an embedded server of our own, published for the others.

use anyhow::Context;
use embedded_db::discovery::{self, Discovery};
use embedded_db::{find_server_binary, EmbeddedServer};
use mongodb::{Client, Database};
use secrecy::ExposeSecret;
use services::Settings;
use std::time::Duration;

/// A connected database, and the embedded server behind it if this process owns one.
#[derive(Debug)]
pub struct Connection {
    /// The driver client.
    pub client: Client,
    /// The AtlasLens database.
    pub db: Database,
    embedded: Option<EmbeddedServer>,
}

/// Where the connection came from, for the start-up log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `MONGODB_URI`.
    External,
    /// An embedded server run by another AtlasLens process.
    Shared,
    /// An embedded server this process started.
    Owned,
}

impl Connection {
    /// Connects as described in the module docs and checks the server answers `ping`.
    ///
    /// # Errors
    /// When no server can be reached or started; the message says what to do.
    pub async fn open(settings: &Settings) -> anyhow::Result<(Self, Origin)> {
        if let Some(uri) = &settings.mongodb_uri {
            let client = services::db::connect(uri.expose_secret())
                .await
                .context("MONGODB_URI is not a valid MongoDB connection string")?;
            services::db::ping(&client, Duration::from_secs(10))
                .await
                .map_err(|reason| {
                    anyhow::anyhow!("cannot use the server in MONGODB_URI: {reason}")
                })?;
            return Ok((Self::new(client, settings, None), Origin::External));
        }
        if let Some(running) = discovery::read_live(&settings.data_dir) {
            let client = services::db::connect(&running.uri).await?;
            if services::db::ping(&client, Duration::from_secs(5))
                .await
                .is_ok()
            {
                return Ok((Self::new(client, settings, None), Origin::Shared));
            }
        }
        let binary = find_server_binary()?;
        let server = EmbeddedServer::start(
            &binary,
            &settings.data_dir.join("db"),
            &settings.data_dir.join("db.log"),
            Some(settings.embedded_cache_mb),
        )
        .await
        .with_context(|| {
            format!(
                "starting the embedded database in {}",
                settings.data_dir.display()
            )
        })?;
        discovery::publish(
            &settings.data_dir,
            &Discovery {
                uri: server.uri().to_owned(),
                server_pid: server.pid(),
                owner_pid: std::process::id(),
            },
        )
        .context("writing the embedded database discovery file")?;
        let client = services::db::connect(server.uri()).await?;
        services::db::ping(&client, Duration::from_secs(10))
            .await
            .map_err(|reason| anyhow::anyhow!("the embedded database started but {reason}"))?;
        Ok((Self::new(client, settings, Some(server)), Origin::Owned))
    }

    fn new(client: Client, settings: &Settings, embedded: Option<EmbeddedServer>) -> Self {
        let db = client.database(&settings.db_name);
        Self {
            client,
            db,
            embedded,
        }
    }

    /// Closes the client and, if this process owns the embedded server, withdraws its discovery
    /// file and stops it cleanly.
    pub async fn close(self, settings: &Settings) {
        self.client.shutdown().await;
        if let Some(server) = self.embedded {
            discovery::withdraw(&settings.data_dir);
            server.stop().await;
            tracing::info!("embedded database stopped");
        }
    }
}
