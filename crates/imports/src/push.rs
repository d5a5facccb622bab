//! Records pushed to AtlasLens — generic events through the ingest API, organization events
//! from Atlassian's audit-log webhook — stored the way a sync stores them: each through the
//! pipeline, deduplicated by event id (so an event the webhook delivered is not stored again
//! when polling reads it, nor the other way round), quarantined with its reason when it cannot
//! be read. The days their new events touched are in the report: their rollups and a rules pass
//! are the caller's to queue after answering ([`crate::RollupsLater`]).

use chrono::{DateTime, NaiveDate, Utc};
use connectors::SourceRecord;
use domain::{DeploymentId, Product};
use ingest::identity::IdentityResolver;
use serde::Serialize;
use std::collections::BTreeSet;
use store::rejects::Reject;
use store::{Store, StoreError};

/// What became of one pushed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Stored for the first time.
    Accepted,
    /// Already stored (the same event id): nothing changed.
    Duplicate,
    /// Not stored: quarantined in `rejects` with the reason.
    Rejected,
}

/// One record's outcome, in the order the records came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordResult {
    /// Its position in the request, from 0.
    pub index: usize,
    /// What became of it.
    pub status: RecordStatus,
    /// The event id it is stored under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outcome of one push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushReport {
    /// Records received.
    pub records: usize,
    /// Stored for the first time.
    pub accepted: usize,
    /// Already stored.
    pub duplicates: usize,
    /// Quarantined.
    pub rejected: usize,
    /// Per record.
    pub results: Vec<RecordResult>,
    /// The days the new events fall on, whose rollups are now due.
    #[serde(skip)]
    pub days: BTreeSet<NaiveDate>,
}

/// Where pushed records go.
#[derive(Debug, Clone)]
pub struct PushTarget {
    /// The deployment.
    pub deployment: DeploymentId,
    /// The product their events have (for the rollups' scope).
    pub product: Product,
    /// The `rejects` stream their rejects are filed under (`ingest/okta`, `webhook/acme`).
    pub rejects_stream: String,
}

/// Stores pushed records (see the module).
///
/// # Errors
/// A database failure; records stored before it stay stored, and pushing again is safe.
pub async fn store_pushed(
    store: &Store,
    resolver: &IdentityResolver,
    target: &PushTarget,
    records: Vec<SourceRecord>,
    now: DateTime<Utc>,
) -> Result<PushReport, StoreError> {
    let mut report = PushReport {
        records: records.len(),
        ..PushReport::default()
    };
    let mut events = Vec::new();
    let mut positions = Vec::new();
    let mut rejects = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        match pipeline::normalize(&target.deployment, &record, now) {
            Ok(n) => {
                let mut event = n.event;
                if let Some(actor) = &n.actor {
                    event.actor_id = resolver.resolve(actor, event.product, now).await?;
                }
                positions.push(index);
                events.push(event);
            }
            Err(reason) => {
                let reason = reason.to_string();
                report.results.push(RecordResult {
                    index,
                    status: RecordStatus::Rejected,
                    event_id: None,
                    reason: Some(reason.clone()),
                });
                pipeline::nesting::drop_flat(record.context);
                rejects.push(
                    Reject::new(target.rejects_stream.clone(), reason, record.raw)
                        .at(format!("record {index}")),
                );
            }
        }
    }
    let stored_at = Utc::now().max(now);
    for e in &mut events {
        e.ingested_at = stored_at;
    }
    let fresh = store.events.insert_each(&events).await?;
    for ((event, new), index) in events.iter().zip(fresh).zip(positions) {
        if new {
            report.days.insert(event.occurred_at.date_naive());
        }
        report.results.push(RecordResult {
            index,
            status: if new {
                RecordStatus::Accepted
            } else {
                RecordStatus::Duplicate
            },
            event_id: Some(event.id.to_string()),
            reason: None,
        });
    }
    report.results.sort_by_key(|r| r.index);
    for r in &report.results {
        match r.status {
            RecordStatus::Accepted => report.accepted += 1,
            RecordStatus::Duplicate => report.duplicates += 1,
            RecordStatus::Rejected => report.rejected += 1,
        }
    }
    store.rejects.record(&rejects, now).await?;
    Ok(report)
}
