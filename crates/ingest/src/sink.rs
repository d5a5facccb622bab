//! The ingest path a connector streams into: normalise, resolve the actor, buffer, store.
//! Records that do not normalise, and listing entries the connector could not use, are
//! quarantined in `rejects` with their reason, counted in the run's `rejects` and logged.

use crate::identity::IdentityResolver;
use chrono::{DateTime, Utc};
use connectors::{RecordSink, SinkError, SourceRecord};
use domain::{DeploymentId, Event};
use std::time::{Duration, Instant};
use store::rejects::Reject;
use store::sync_state::RunCounters;
use store::{Store, StoreError};

/// Events are written in batches of this many: large enough that the server, not the round
/// trips, sets the pace; small enough to keep memory flat.
const BATCH: usize = 1000;

/// Receives a run's records page by page and stores them.
#[derive(Debug)]
pub struct IngestSink {
    store: Store,
    resolver: IdentityResolver,
    deployment: DeploymentId,
    stream: String,
    previous_end: Option<DateTime<Utc>>,
    buffer: Vec<Event>,
    rejects: Vec<Reject>,
    counters: RunCounters,
    newest: Option<DateTime<Utc>>,
    busy: Duration,
}

impl IngestSink {
    /// A sink for one run of `stream`; `previous_end` (the last complete window's end) tells late
    /// arrivals apart: new events older than it were not visible to the run that covered them.
    pub fn new(
        store: Store,
        resolver: IdentityResolver,
        deployment: DeploymentId,
        stream: String,
        previous_end: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            store,
            resolver,
            deployment,
            stream,
            previous_end,
            buffer: Vec::with_capacity(BATCH),
            rejects: Vec::new(),
            counters: RunCounters::default(),
            newest: None,
            busy: Duration::ZERO,
        }
    }

    /// The counters so far (records, inserted, duplicates, late, rejects, time storing).
    pub fn counters(&self) -> RunCounters {
        RunCounters {
            store_ms: self.busy.as_millis() as u64,
            ..self.counters
        }
    }

    /// The newest event time stored by this run.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.newest
    }

    /// Normalises one page into the buffer, writing full batches.
    ///
    /// # Errors
    /// A database error.
    pub async fn ingest(&mut self, records: Vec<SourceRecord>) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.ingest_page(records).await;
        self.busy += started.elapsed();
        result
    }

    async fn ingest_page(&mut self, records: Vec<SourceRecord>) -> Result<(), StoreError> {
        let now = Utc::now();
        for record in records {
            self.counters.records += 1;
            match pipeline::normalize(&self.deployment, &record, now) {
                Ok(normalized) => {
                    let mut event = normalized.event;
                    if let Some(actor) = &normalized.actor {
                        event.actor_id = self.resolver.resolve(actor, event.product, now).await?;
                    }
                    self.buffer.push(event);
                }
                Err(reason) => {
                    // A context as deep as a refused record must not be dropped recursively.
                    pipeline::nesting::drop_flat(record.context);
                    self.quarantine(record.raw, reason.to_string());
                }
            }
            if self.buffer.len() >= BATCH {
                self.write_events().await?;
            }
        }
        Ok(())
    }

    /// Quarantines a listing entry the connector could not use (see [`RecordSink::reject`]);
    /// stored and counted with the rest at [`IngestSink::flush`].
    pub fn refuse(&mut self, raw: serde_json::Value, reason: String) {
        // The reason only: the entry itself may hold personal data and goes to `rejects`.
        tracing::warn!(
            sync.stream = %self.stream,
            reject.reason = %reason,
            "a source listing entry cannot be read; quarantined in rejects"
        );
        self.quarantine(raw, reason);
    }

    /// Buffers a reject of this stream.
    fn quarantine(&mut self, raw: serde_json::Value, reason: String) {
        self.rejects
            .push(Reject::new(self.stream.clone(), reason, raw));
    }

    /// Writes everything still buffered.
    ///
    /// # Errors
    /// A database error.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.flush_all().await;
        self.busy += started.elapsed();
        result
    }

    async fn flush_all(&mut self) -> Result<(), StoreError> {
        self.write_events().await?;
        if !self.rejects.is_empty() {
            let rejects = std::mem::take(&mut self.rejects);
            self.store.rejects.record(&rejects, Utc::now()).await?;
            self.counters.rejects += rejects.len() as u64;
            tracing::warn!(
                sync.stream = %self.stream,
                sync.rejects = rejects.len() as u64,
                "records quarantined in rejects"
            );
        }
        Ok(())
    }

    async fn write_events(&mut self) -> Result<(), StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.buffer);
        // Stored now, not when the page was read: rule evaluation follows storing time and looks
        // back only a few seconds for writes still in flight, while a page may wait in the buffer
        // behind slower pages (rate limits, retries) for much longer.
        let stored_at = Utc::now();
        for e in &mut batch {
            e.ingested_at = stored_at;
        }
        let newest = batch.iter().map(|e| e.occurred_at).max();
        // Events older than the previous window's end that turn out to be new arrived late; store
        // them separately to count them.
        let (late, fresh): (Vec<Event>, Vec<Event>) = match self.previous_end {
            Some(end) => batch.into_iter().partition(|e| e.occurred_at < end),
            None => (Vec::new(), batch),
        };
        for (events, is_late) in [(late, true), (fresh, false)] {
            if events.is_empty() {
                continue;
            }
            let outcome = self.store.events.insert_new(&events).await?;
            self.counters.inserted += outcome.inserted;
            self.counters.duplicates += outcome.duplicates;
            if is_late {
                self.counters.late += outcome.inserted;
            }
        }
        self.newest = self.newest.max(newest);
        self.buffer.reserve(BATCH);
        Ok(())
    }
}

#[async_trait::async_trait]
impl RecordSink for IngestSink {
    async fn accept(&mut self, records: Vec<SourceRecord>) -> Result<(), SinkError> {
        self.ingest(records)
            .await
            .map_err(|e| Box::new(e) as SinkError)
    }

    async fn reject(&mut self, raw: serde_json::Value, reason: String) -> Result<(), SinkError> {
        self.refuse(raw, reason);
        Ok(())
    }
}
