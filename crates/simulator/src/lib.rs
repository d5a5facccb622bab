//! A local Atlassian Cloud simulator: one HTTP server playing the organization Admin API, Jira,
//! Confluence and JSM sites, and a Bitbucket workspace, with the real response shapes, paging and
//! authentication (docs/simulator.md is the contract).
//!
//! Data is generated once from a seed ([`SimConfig`]) and served against a simulated clock, so
//! records keep "arriving" while it runs. Faults ([`Faults`]) — rate limits, server errors, slow
//! and hanging responses, malformed records, overlapping pages, late records — can be switched on
//! at start or at run time. A [`Manifest`] states exactly which records a window holds, so tests
//! can reconcile what connectors fetched against the truth. The detection scenarios
//! (`scenarios`) write each situation AtlasLens's detections look for — seeded into the data
//! at fixed times, and added on demand ([`RunningSimulator::add_scenario`],
//! `POST /_sim/scenario/<name>`).
#![deny(missing_docs)]

mod catalog;
mod clock;
mod config;
mod dataset;
mod directory;
mod faults;
mod format;
mod manifest;
mod paging;
mod scenarios;
mod server;
mod view;

pub use catalog::UNMAPPED_ORG_ACTION;
pub use config::{BitbucketConfig, Faults, SimConfig, SiteConfig};
pub use faults::Injected;
pub use manifest::{MalformedRecord, Manifest, ManifestSource};
pub use server::scenario::{PersonReport, RecordReport, ScenarioError, SituationReport};

use chrono::{DateTime, Utc};
use server::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Generates the data of `config` and serves it on `bind` (port 0 picks a free port).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(config: SimConfig, bind: SocketAddr) -> std::io::Result<RunningSimulator> {
        let cfg = config.clone();
        let data = tokio::task::spawn_blocking(move || {
            let mut data = dataset::Dataset::generate(&cfg);
            scenarios::seed(&mut data);
            data
        })
        .await
        .map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (stop, stopping) = watch::channel(false);
        let shared = Arc::new(Shared::new(config, data, stopping.clone()));
        let app = server::router(shared.clone());
        let mut signal = stopping;
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = signal.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "the simulator's server failed");
            }
        });
        tracing::info!(sim.addr = %addr, sim.records = shared.data().record_count(), "simulator listening");
        Ok(RunningSimulator {
            shared,
            addr,
            stop,
            task,
        })
    }
}

/// A simulator serving in the background until [`RunningSimulator::stop`].
#[derive(Debug)]
pub struct RunningSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningSimulator {
    /// `http://<address>:<port>`: prefix of every simulated host (see docs/simulator.md §1).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The records of `[from, to)` visible now, as `GET /_sim/manifest` returns them.
    pub fn manifest(&self, from: DateTime<Utc>, to: DateTime<Utc>, with_ids: bool) -> Manifest {
        manifest::compute(&self.shared, from, to, with_ids)
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// How many requests the faults were applied to and how many got each fault, since start.
    pub fn injected(&self) -> Injected {
        self.shared.fault_state.injected()
    }

    /// Moves the simulated clock forward.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.shared.clock.advance_ms(by.num_milliseconds());
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        format::utc(self.shared.clock.now_ms())
    }

    /// The configuration it serves.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// How many records were generated, all streams together (visible or not yet).
    pub fn record_count(&self) -> usize {
        self.shared.data().record_count()
    }

    /// Adds the records of detection scenario `name` (as `POST /_sim/scenario/<name>`): about
    /// `person` (an account id or e-mail; the scenario's default person if `None`), its last
    /// record at `at` (the simulated now if `None`). Returns what was added.
    ///
    /// # Errors
    /// An unknown scenario or person.
    pub fn add_scenario(
        &self,
        name: &str,
        person: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Result<SituationReport, ScenarioError> {
        server::scenario::add(&self.shared, name, person, at.map(|t| t.timestamp_millis()))
    }

    /// Every detection situation in the data — seeded with it, then added — in the order they
    /// were written (as the `situations` of `GET /_sim/scenario`).
    pub fn situations(&self) -> Vec<SituationReport> {
        server::scenario::situations(&self.shared)
    }

    /// The organization events of `[from, to)` visible now, as Atlassian's audit-log webhook
    /// pushes them: the same ids and shapes `events-stream` serves, so polling finds them again.
    pub fn webhook_events(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<serde_json::Value> {
        server::admin::pushed_events(
            &self.shared,
            from.timestamp_millis(),
            to.timestamp_millis(),
            &self.base_url(),
        )
    }

    /// The event the "Test audit event" button at Atlassian sends, stamped with the simulated now.
    pub fn webhook_test_event(&self) -> serde_json::Value {
        server::admin::test_event(&self.shared, self.shared.clock.now_ms())
    }

    /// Sends `events` to `url` as the audit-log webhook does — one JSON `POST` per event, with
    /// the configured `Authorization` header if any — and returns each answer's status.
    ///
    /// # Errors
    /// A request that could not be sent.
    pub async fn send_webhook(
        &self,
        url: &str,
        authorization: Option<&str>,
        events: &[serde_json::Value],
    ) -> Result<Vec<u16>, String> {
        let client = reqwest::Client::new();
        let mut statuses = Vec::with_capacity(events.len());
        for event in events {
            let mut request = client.post(url).json(event);
            if let Some(a) = authorization {
                request = request.header("Authorization", a);
            }
            let r = request.send().await.map_err(|e| e.to_string())?;
            statuses.push(r.status().as_u16());
        }
        Ok(statuses)
    }

    /// Stops serving: hanging requests are released, in-flight ones get a moment to finish,
    /// and whatever is still running after that is aborted.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}
