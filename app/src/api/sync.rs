//! The Sync page's data: one row per stream of every configured deployment, and "Sync now".

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a stream's last finished run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    /// Window start.
    pub window_from: DateTime<Utc>,
    /// Window end.
    pub window_to: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// Whether it stored the whole window.
    pub succeeded: bool,
    /// HTTP requests.
    pub requests: u64,
    /// `429` answers.
    pub rate_limited: u64,
    /// Milliseconds waited before retries.
    pub waited_ms: u64,
    /// Records received.
    pub records: u64,
    /// New events stored.
    pub inserted: u64,
    /// Records already stored.
    pub duplicates: u64,
    /// New events that arrived late.
    pub late: u64,
    /// Records quarantined.
    pub rejects: u64,
    /// Milliseconds spent storing rather than fetching.
    pub store_ms: u64,
}

/// One stream on the Sync page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRow {
    /// `acme/jira/audit`.
    pub stream: String,
    /// `idle`, `queued`, `running`, `failing` or `unavailable`.
    pub state: String,
    /// Why the source cannot be read, for Guard-only sources.
    pub unavailable: Option<String>,
    /// When a run last stored its whole window.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Newest event time stored.
    pub cursor: Option<DateTime<Utc>>,
    /// The last failure, until a run succeeds.
    pub last_error: Option<String>,
    /// The last finished run.
    pub last_run: Option<RunView>,
    /// Events stored by this stream over all runs.
    pub total_events: i64,
    /// The queued or running job, if any.
    pub active_job: Option<String>,
}

/// Every stream's state.
#[server(endpoint = "sync/status")]
pub async fn sync_status() -> Result<Vec<SyncRow>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let streams = ingest::status::streams(&state.store, &state.jobs, &state.deployments).await?;
    Ok(streams.into_iter().map(SyncRow::from).collect())
}

#[cfg(feature = "ssr")]
impl From<ingest::status::StreamStatus> for SyncRow {
    fn from(status: ingest::status::StreamStatus) -> Self {
        let s = status.sync.as_ref();
        SyncRow {
            stream: status.key.to_string(),
            state: status.state.as_str().to_owned(),
            unavailable: status.unavailable.map(str::to_owned),
            last_success_at: s.and_then(|s| s.last_success_at),
            cursor: s.and_then(|s| s.cursor),
            last_error: s.and_then(|s| s.last_error.clone()),
            last_run: s.and_then(|s| s.last_run.as_ref()).map(|r| RunView {
                window_from: r.window_from,
                window_to: r.window_to,
                finished_at: r.finished_at,
                duration_ms: r.duration_ms,
                succeeded: r.succeeded,
                requests: r.counters.requests,
                rate_limited: r.counters.rate_limited,
                waited_ms: r.counters.waited_ms,
                records: r.counters.records,
                inserted: r.counters.inserted,
                duplicates: r.counters.duplicates,
                late: r.counters.late,
                rejects: r.counters.rejects,
                store_ms: r.counters.store_ms,
            }),
            total_events: s.map_or(0, |s| s.total_inserted),
            active_job: status.active_job,
        }
    }
}

/// Queues a sync of one stream now (or of every runnable stream when `stream` is `all`); returns
/// the number of streams queued. A stream that already has a run queued or running keeps it.
#[server(endpoint = "sync/now")]
pub async fn sync_now(stream: String) -> Result<usize, ApiError> {
    use domain::StreamKey;
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let keys: Vec<StreamKey> = if stream == "all" {
        state.deployments.runnable()
    } else {
        let key: StreamKey = stream.parse().map_err(crate::ssr::bad_request)?;
        if !state.deployments.is_runnable(&key) {
            return Err(crate::ssr::bad_request(format!(
                "{key} is not a stream that can be synced"
            )));
        }
        vec![key]
    };
    for key in &keys {
        ingest::queue::enqueue(&state.jobs, key, ingest::queue::Trigger::Manual).await?;
        tracing::info!(stream = %key, admin = %user.username, "sync queued from the dashboard");
    }
    Ok(keys.len())
}

/// How far back the Sync page looks for audit actions outside the vocabulary.
pub const UNMAPPED_DAYS: i64 = 30;

/// A source action stored as `audit_other` lately, for the Sync page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmappedActionView {
    /// The product whose audit log wrote it.
    pub product: domain::Product,
    /// The action as the source named it.
    pub action: String,
    /// Events in the period.
    pub events: u64,
    /// The newest of them.
    pub last_seen: DateTime<Utc>,
    /// The Events page of that product's `audit_other` events in the period.
    pub href: String,
}

/// The source actions that fell outside the operation vocabulary in the last
/// [`UNMAPPED_DAYS`] days, most frequent first.
#[server(endpoint = "sync/unmapped")]
pub async fn unmapped_actions() -> Result<Vec<UnmappedActionView>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let since = Utc::now() - chrono::Duration::days(UNMAPPED_DAYS);
    let actions = state.store.events.unmapped_actions(since).await?;
    let from = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(actions
        .into_iter()
        .map(|a| UnmappedActionView {
            href: format!(
                "/events?from={}&product={}&operation=audit_other",
                domain::url::encode_component(&from),
                a.product
            ),
            product: a.product,
            action: a.action,
            events: a.events,
            last_seen: a.last_seen,
        })
        .collect())
}
