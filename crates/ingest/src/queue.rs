//! Sync runs as jobs on the `sync` queue of the MongoDB-backed apalis backend (`jobs` crate):
//! "sync now", the CLI and the scheduler all enqueue a [`SyncJob`]; workers in `atlaslens serve`
//! (or `atlaslens sync --wait`) run it through [`Syncer::run`]. Each stream's jobs share an active
//! key, so a stream never has two runs queued or running at once.

use crate::{SyncError, Syncer};
use chrono::Utc;
use connectors::deployments::Deployments;
use domain::StreamKey;
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

/// The queue sync jobs live on.
pub const QUEUE: &str = "sync";

/// Attempts per job before it is left failed for an operator.
const MAX_ATTEMPTS: u32 = 4;

/// Who asked for a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The scheduler, at the deployment's interval.
    Schedule,
    /// An administrator, with "Sync now" on the Sync page.
    Manual,
    /// `atlaslens sync`.
    Cli,
}

impl Trigger {
    /// The name in the job's payload and labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Cli => "cli",
        }
    }
}

/// One sync of one stream: the job's payload (stored as `{stream: "acme/jira/audit", trigger}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncJob {
    /// The stream.
    pub stream: StreamKey,
    /// Who asked.
    pub trigger: Trigger,
}

/// Queues a sync of `key` unless one is already queued or running (then returns that one).
///
/// # Errors
/// A database error.
pub async fn enqueue(
    jobs: &JobStore,
    key: &StreamKey,
    trigger: Trigger,
) -> Result<Enqueued, JobError> {
    let stream = key.to_string();
    let labels = BTreeMap::from([
        ("stream".to_owned(), stream.clone()),
        ("deployment".to_owned(), key.deployment.to_string()),
        ("trigger".to_owned(), trigger.as_str().to_owned()),
    ]);
    jobs.enqueue(
        QUEUE,
        &SyncJob {
            stream: key.clone(),
            trigger,
        },
        EnqueueOptions {
            active_key: Some(format!("sync:{stream}")),
            max_attempts: MAX_ATTEMPTS,
            labels,
            run_at: None,
        },
    )
    .await
}

/// Worker settings for sync jobs: a few streams at once, retries backing off from 30 s, and a
/// job taken over by another worker once its worker has missed heartbeats for `lease`.
pub fn worker_settings(name_prefix: &str, lease: Duration) -> WorkerSettings {
    WorkerSettings {
        name_prefix: name_prefix.to_owned(),
        concurrency: 3,
        lease,
        heartbeat: (lease / 4).max(Duration::from_millis(250)),
        ..WorkerSettings::new(QUEUE)
    }
}

/// What runs after every sync run, with the stream and how many events it stored (0 for a failed
/// run): rule evaluation is queued here — new events for the event rules, a failure for the
/// sync-health rules. The `rules` crate sits beside this one, so the binary wires it.
pub type AfterSync =
    Arc<dyn Fn(StreamKey, u64) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> + Send + Sync>;

/// Runs sync workers until `shutdown` completes.
///
/// # Errors
/// When the job backend cannot start.
pub async fn run_workers(
    store: &Store,
    syncer: Syncer,
    settings: WorkerSettings,
    after: AfterSync,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), JobError> {
    let syncer = Arc::new(syncer);
    jobs::run_workers(
        store.db.clone(),
        settings,
        move |job: SyncJob, ctx: JobContext| {
            let syncer = syncer.clone();
            let after = after.clone();
            async move {
                let stream = job.stream.clone();
                let (result, inserted) = run_job(&syncer, job, ctx).await;
                after(stream, inserted).await;
                result
            }
        },
        shutdown,
    )
    .await
}

/// Runs one job; also says how many events it stored (a failed run may have stored some).
async fn run_job(
    syncer: &Syncer,
    job: SyncJob,
    ctx: JobContext,
) -> (Result<serde_json::Value, HandlerError>, u64) {
    let key = job.stream;
    tracing::info!(stream = %key, job.id = %ctx.job_id, attempt = ctx.attempt, "sync started");
    let outcome = tokio::select! {
        r = syncer.run(&key, Utc::now()) => r,
        () = ctx.cancelled() => {
            return (Err(HandlerError::Fatal("cancelled by an operator".into())), 0);
        }
    };
    match outcome {
        Ok(report) => {
            tracing::info!(stream = %key, inserted = report.counters.inserted, "sync finished");
            let value = serde_json::json!({
                "window_from": report.window.from,
                "window_to": report.window.to,
                "counters": report.counters,
            });
            (Ok(value), report.counters.inserted)
        }
        Err(e) => {
            tracing::warn!(stream = %key, error = %e, "sync failed");
            (Err(classify(&e)), 0)
        }
    }
}

fn classify(e: &SyncError) -> HandlerError {
    if e.is_retryable() {
        HandlerError::Retryable(e.to_string())
    } else {
        HandlerError::Fatal(e.to_string())
    }
}

/// Queues each runnable stream at its deployment's interval until `shutdown` completes. The slot
/// is claimed in `sync_state` first, so several processes schedule each stream once.
pub async fn run_scheduler(
    store: Store,
    jobs: JobStore,
    deployments: Arc<Deployments>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let tick = async {
        loop {
            for deployment in &deployments.all {
                let interval = chrono::Duration::from_std(deployment.sync_interval)
                    .unwrap_or(chrono::Duration::minutes(15));
                for stream in deployment.runnable() {
                    let key = stream.to_string();
                    match store
                        .sync_state
                        .claim_schedule(&key, Utc::now(), interval)
                        .await
                    {
                        Ok(true) => {
                            if let Err(e) = enqueue(&jobs, &stream, Trigger::Schedule).await {
                                tracing::warn!(stream = %key, error = %e, "could not queue a scheduled sync");
                            }
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(stream = %key, error = %e, "could not check the sync schedule")
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
    };
    tokio::select! {
        () = tick => {}
        () = shutdown => {}
    }
}
