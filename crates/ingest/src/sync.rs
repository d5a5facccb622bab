//! Incremental sync of one stream: pick the window from the stream's state, let its connector
//! page through it, normalise every record, resolve who acted, store new events (re-delivered ones
//! are left as they are), quarantine what cannot be read, and only then move the stream's cursor.
//!
//! A window runs from `overlap` before the end of the last complete window (so records that the
//! source publishes late are still caught) to now. A failed run keeps the cursor and records the
//! error; the next run covers the same window again, and idempotent storage makes that safe.
//! Directory streams ([`directory`]) refresh people and teams instead of events.

use crate::directory;
use crate::error::SyncError;
use crate::identity::IdentityResolver;
use crate::sink::IngestSink;
use chrono::{DateTime, Utc};
use connectors::deployments::Deployments;
use connectors::Window;
use domain::{StreamKey, StreamKind};
use std::sync::Arc;
use std::time::Instant;
use store::rollups::{days_touched, RollupScope};
use store::sync_state::{LastRun, RunCounters};
use store::{Store, StoreError};

/// What a successful run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The stream.
    pub stream: String,
    /// The window covered.
    pub window: Window,
    /// Its counters.
    pub counters: RunCounters,
    /// Newest event time stored, if any.
    pub newest: Option<DateTime<Utc>>,
}

/// Runs syncs against the configured deployments.
#[derive(Debug, Clone)]
pub struct Syncer {
    store: Store,
    resolver: IdentityResolver,
    deployments: Arc<Deployments>,
}

impl Syncer {
    /// A syncer writing to `store`, resolving identities with `resolver`.
    pub fn new(store: Store, resolver: IdentityResolver, deployments: Arc<Deployments>) -> Self {
        Self {
            store,
            resolver,
            deployments,
        }
    }

    /// The configured deployments.
    pub fn deployments(&self) -> &Deployments {
        &self.deployments
    }

    /// Recomputes the daily rollups of the days a run's window touched, for its stream, when the
    /// run stored anything — whether or not it then finished.
    async fn refresh_rollups(
        &self,
        key: &StreamKey,
        window: Window,
        counters: RunCounters,
    ) -> Result<(), StoreError> {
        let StreamKind::Events(product, pipeline) = key.kind else {
            return Ok(());
        };
        if counters.inserted == 0 {
            return Ok(());
        }
        let scope = RollupScope::stream(key.deployment.clone(), product, pipeline);
        self.store
            .rollups
            .rebuild(&days_touched(window.from, window.to), &scope)
            .await?;
        Ok(())
    }

    /// Syncs one stream up to `now` (the source's present; tests pass the simulator's clock).
    ///
    /// # Errors
    /// A [`SyncError`]; the stream's state records it and keeps the cursor.
    #[tracing::instrument(
        skip_all,
        fields(
            sync.stream = %key,
            sync.records = tracing::field::Empty,
            sync.inserted = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        ),
        err
    )]
    pub async fn run(&self, key: &StreamKey, now: DateTime<Utc>) -> Result<RunReport, SyncError> {
        let stream = key.to_string();
        let deployment = self
            .deployments
            .get(&key.deployment)
            .ok_or_else(|| SyncError::UnknownStream(stream.clone()))?;
        if let Some(info) = deployment.streams().into_iter().find(|s| &s.key == key) {
            if let Some(reason) = info.unavailable {
                return Err(SyncError::Unavailable { stream, reason });
            }
        }
        let started = Instant::now();
        let state = self.store.sync_state.get(&stream).await?;
        let previous_end = state.as_ref().and_then(|s| s.window_end);
        let from = previous_end
            .or(state.as_ref().and_then(|s| s.cursor))
            .map(|t| t - deployment.overlap)
            .unwrap_or(now - deployment.initial_lookback)
            .min(now);
        let window = Window { from, to: now };
        self.store.sync_state.started(&stream, Utc::now()).await?;

        let outcome = match key.kind {
            StreamKind::Directory => directory::run(&self.store, &self.resolver, deployment, now)
                .await
                .map(|counters| (counters, None)),
            StreamKind::Events(product, pipeline) => {
                let connector = deployment
                    .connector(product, pipeline)
                    .ok_or_else(|| SyncError::UnknownStream(stream.clone()))?;
                let mut sink = IngestSink::new(
                    self.store.clone(),
                    self.resolver.clone(),
                    deployment.id.clone(),
                    stream.clone(),
                    previous_end,
                );
                let fetched = connector.fetch(window, &mut sink).await;
                // Whatever was received is stored even when the run fails (storage is
                // idempotent), and the rollups follow what was stored: a later run over the same
                // window finds those events already there and would not refresh them.
                let flushed = sink.flush().await;
                let mut counters = sink.counters();
                let stored = match flushed {
                    Ok(()) => self.refresh_rollups(key, window, counters).await,
                    Err(e) => Err(e),
                };
                match (fetched, stored) {
                    (Ok(stats), Ok(())) => {
                        counters.requests = stats.requests;
                        counters.pages = stats.pages;
                        counters.rate_limited = stats.rate_limited;
                        counters.waited_ms = stats.waited.as_millis() as u64;
                        Ok((counters, sink.newest()))
                    }
                    (Err(e), _) => Err((SyncError::from(e), counters)),
                    (Ok(_), Err(e)) => Err((SyncError::from(e), counters)),
                }
            }
        };
        let finished_at = Utc::now();
        let duration_ms = started.elapsed().as_millis() as u64;
        let span = tracing::Span::current();
        span.record("duration_ms", duration_ms);
        let (Ok((counters, _)) | Err((_, counters))) = &outcome;
        span.record("sync.records", counters.records);
        span.record("sync.inserted", counters.inserted);
        match outcome {
            Ok((counters, newest)) => {
                let run = LastRun {
                    window_from: window.from,
                    window_to: window.to,
                    finished_at,
                    duration_ms,
                    succeeded: true,
                    counters,
                };
                self.store
                    .sync_state
                    .succeeded(&stream, &run, newest)
                    .await?;
                Ok(RunReport {
                    stream,
                    window,
                    counters,
                    newest,
                })
            }
            Err((error, counters)) => {
                let run = LastRun {
                    window_from: window.from,
                    window_to: window.to,
                    finished_at,
                    duration_ms,
                    succeeded: false,
                    counters,
                };
                self.store
                    .sync_state
                    .failed(
                        &stream,
                        &run,
                        &error.to_string(),
                        error.credentials_refused(),
                    )
                    .await?;
                Err(error)
            }
        }
    }
}
