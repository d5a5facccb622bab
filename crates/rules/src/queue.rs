//! Evaluation as jobs on the `rules` queue of the MongoDB-backed apalis backend: a sync that stored
//! events (and later imports and the ingest API) queues one, and a ticker queues one every few
//! seconds for the stream rules (a silent source has no events to trigger it) and anything a
//! running pass missed. All share one active key, so at most one pass is queued or running.

use crate::pass::{evaluate_pass_keeping, StreamInfo};
use crate::recent::RecentEvents;
use chrono::Utc;
use jobs::{
    EnqueueOptions, Enqueued, HandlerError, JobContext, JobError, JobStore, WorkerSettings,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// The queue evaluation jobs live on.
pub const QUEUE: &str = "rules";

/// One evaluation pass: the job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluateJob {
    /// Why it was queued: `sync acme/jira/audit`, `schedule`.
    pub reason: String,
}

/// What runs after each pass (queueing the deliveries of new alerts).
pub type AfterPass =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> + Send + Sync>;

/// Queues a pass unless one is already queued or running.
///
/// # Errors
/// A database error.
pub async fn enqueue(jobs: &JobStore, reason: &str) -> Result<Enqueued, JobError> {
    jobs.enqueue(
        QUEUE,
        &EvaluateJob {
            reason: reason.to_owned(),
        },
        EnqueueOptions {
            active_key: Some("rules:evaluate".to_owned()),
            max_attempts: 5,
            labels: BTreeMap::from([("reason".to_owned(), reason.to_owned())]),
            run_at: None,
        },
    )
    .await
}

/// Worker settings: one pass at a time, picked up within half a second; a pass of a killed
/// process is taken over once `lease` lapses.
pub fn worker_settings(name_prefix: &str, lease: Duration) -> WorkerSettings {
    WorkerSettings {
        name_prefix: name_prefix.to_owned(),
        concurrency: 1,
        lease,
        heartbeat: (lease / 4).max(Duration::from_millis(250)),
        poll_interval: Duration::from_millis(500),
        backoff_base: Duration::from_secs(5),
        ..WorkerSettings::new(QUEUE)
    }
}

/// Runs the evaluation worker until `shutdown` completes.
///
/// # Errors
/// When the job backend cannot start.
pub async fn run_workers(
    store: &Store,
    streams: Arc<Vec<StreamInfo>>,
    settings: WorkerSettings,
    after: AfterPass,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), JobError> {
    let store = store.clone();
    // One pass at a time: the next takes over what this one read of the latest events.
    let recent: Arc<tokio::sync::Mutex<Option<RecentEvents>>> = Arc::default();
    jobs::run_workers(
        store.db.clone(),
        settings,
        move |job: EvaluateJob, ctx: JobContext| {
            let store = store.clone();
            let streams = streams.clone();
            let after = after.clone();
            let recent = recent.clone();
            async move {
                tracing::debug!(job.id = %ctx.job_id, reason = %job.reason, "rules evaluation started");
                let mut recent = recent.lock().await;
                let report = evaluate_pass_keeping(&store, &streams, Utc::now(), &mut recent)
                    .await
                    .map_err(|e| HandlerError::Retryable(e.to_string()))?;
                drop(recent);
                after().await;
                Ok(serde_json::json!({
                    "rules": report.rules,
                    "events_read": report.events_read,
                    "alerts_created": report.created.len(),
                    "alerts_joined": report.joined,
                    "skipped": report.skipped.len(),
                    "duration_ms": report.duration_ms,
                }))
            }
        },
        shutdown,
    )
    .await
}

/// Queues a pass every `every` until `shutdown` completes.
pub async fn run_ticker(
    jobs: JobStore,
    every: Duration,
    shutdown: impl Future<Output = ()> + Send,
) {
    let tick = async {
        loop {
            if let Err(e) = enqueue(&jobs, "schedule").await {
                tracing::warn!(error = %e, "could not queue a rules evaluation");
            }
            tokio::time::sleep(every).await;
        }
    };
    tokio::select! {
        () = tick => {}
        () = shutdown => {}
    }
}
