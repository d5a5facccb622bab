//! Reaching the database: the server named by `MONGODB_URI`; else the embedded server another
//! AtlasLens process on the same data directory already runs (found through its discovery file);
//! else an embedded server of our own, published for the others.
//!
//! Before starting our own, start-up waits (at most [`LEFTOVER_WAIT`]) while a server still runs
//! on the data directory without a live AtlasLens behind it: the embedded database of a process
//! that was just killed, which exits a moment later. Starting a second server on its files in that
//! moment would fail, and a service manager restarting on failure lands exactly there. Why it is
//! waited for rather than taken over is explained in [`embedded_db::leftover`].

use anyhow::Context;
use embedded_db::discovery::{self, Discovery};
use embedded_db::{find_server_binary, leftover, EmbeddedServer};
use mongodb::{Client, Database};
use secrecy::ExposeSecret;
use services::Settings;
use std::time::{Duration, Instant};

/// How long start-up waits for another server on the data directory to exit (or, if a live
/// AtlasLens owns it, to answer). A SecantusDB whose owner was killed in the middle of a large
/// sync usually exits within a second, but was seen to take 38 s on two busy cores
/// (scripts/kill-loop.sh); this leaves room for that, and for the start itself within a service
/// manager's usual 90 s start timeout.
pub const LEFTOVER_WAIT: Duration = Duration::from_secs(60);

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
            let client = store::db::connect(uri.expose_secret())
                .await
                .context("MONGODB_URI is not a valid MongoDB connection string")?;
            store::db::ping(&client, Duration::from_secs(10))
                .await
                .map_err(|reason| {
                    anyhow::anyhow!("cannot use the server in MONGODB_URI: {reason}")
                })?;
            return Ok((Self::new(client, settings, None), Origin::External));
        }
        if let Some(client) = Self::shared_once_free(settings).await? {
            return Ok((Self::new(client, settings, None), Origin::Shared));
        }
        let server = Self::start_embedded(settings).await?;
        let client = store::db::connect(server.uri()).await?;
        store::db::ping(&client, Duration::from_secs(10))
            .await
            .map_err(|reason| anyhow::anyhow!("the embedded database started but {reason}"))?;
        Ok((Self::new(client, settings, Some(server)), Origin::Owned))
    }

    /// A client of the server another live AtlasLens publishes for the data directory, or `None`
    /// once no server runs on it — after waiting (see the module docs) while one does.
    async fn shared_once_free(settings: &Settings) -> anyhow::Result<Option<Client>> {
        let storage = settings.data_dir.join("db");
        let deadline = Instant::now() + LEFTOVER_WAIT;
        let mut waited: Option<(u32, Instant)> = None;
        loop {
            let published = discovery::read(&settings.data_dir);
            if let Some(running) = published.as_ref().filter(|d| d.is_live()) {
                let client = store::db::connect(&running.uri).await?;
                if store::db::ping(&client, Duration::from_secs(5))
                    .await
                    .is_ok()
                {
                    return Ok(Some(client));
                }
            }
            let Some(pid) = leftover::find(&storage, published.as_ref().map(|d| d.server_pid))
            else {
                break;
            };
            let owner = published
                .as_ref()
                .filter(|d| d.server_pid == pid && d.owner_alive())
                .map(|d| d.owner_pid);
            if Instant::now() >= deadline {
                anyhow::bail!(still_occupied(pid, owner, settings));
            }
            if waited.is_none() {
                announce_wait(pid, owner, settings);
                waited = Some((pid, Instant::now()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Some((pid, since)) = waited {
            tracing::info!(
                db.pid = pid,
                duration_ms = since.elapsed().as_millis() as u64,
                "the other database process has exited; starting the embedded database"
            );
        }
        Ok(None)
    }

    /// Starts our own embedded server and publishes it for the other commands.
    async fn start_embedded(settings: &Settings) -> anyhow::Result<EmbeddedServer> {
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
        Ok(server)
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

/// Says what start-up waits for, once.
fn announce_wait(pid: u32, owner: Option<u32>, settings: &Settings) {
    let data_dir = &settings.data_dir;
    let wait_s = LEFTOVER_WAIT.as_secs();
    match owner {
        Some(owner) => tracing::warn!(
            db.pid = pid,
            db.owner_pid = owner,
            data.dir = %data_dir.display(),
            "the embedded database AtlasLens process {owner} runs on this data directory does not answer; \
             waiting up to {wait_s} s for it to answer or exit"
        ),
        None => tracing::warn!(
            db.pid = pid,
            data.dir = %data_dir.display(),
            "a database process left by an earlier AtlasLens still runs on this data directory \
             (it is closing its files); waiting up to {wait_s} s for it to exit before starting the embedded database"
        ),
    }
}

/// The start-up error when the wait ran out.
fn still_occupied(pid: u32, owner: Option<u32>, settings: &Settings) -> String {
    let storage = settings.data_dir.join("db");
    let log = settings.data_dir.join("db.log");
    let wait_s = LEFTOVER_WAIT.as_secs();
    match owner {
        Some(owner) => format!(
            "AtlasLens process {owner} runs the embedded database (process {pid}) on {}, \
             but it did not answer within {wait_s} s; stop that AtlasLens, or see {}",
            storage.display(),
            log.display()
        ),
        None => format!(
            "database process {pid}, left by an earlier AtlasLens, still runs on {} after {wait_s} s, \
             so the embedded database cannot open its files; stop it (`kill {pid}`) and start again \
             (its output is in {})",
            storage.display(),
            log.display()
        ),
    }
}
