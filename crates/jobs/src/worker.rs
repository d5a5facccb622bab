//! Running handlers: [`run_workers`] wires apalis' `Monitor` and `WorkerBuilder` the way this
//! backend needs, so callers only supply an async handler.
//!
//! Layer order (outermost first), as measured in the apalis research notes:
//! `parallelize` (each job in its own tokio task, so heartbeats and acks keep flowing while it
//! runs) → `catch_panic` → `concurrency` (one permit spans all in-process retries) → `retry`
//! (no fast in-process retries by default; the store retries with backoff) → `timeout` (per
//! attempt; drops the handler).

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::RetryPolicy;
use apalis_core::backend::ext::BackendExt;
use apalis_core::error::{AbortError, BoxDynError, WorkerError};
use apalis_core::monitor::Monitor;
use apalis_core::task::attempt::Attempt;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::builder::WorkerBuilder;
use apalis_core::worker::ext::parallelize::ParallelizeExt;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

use crate::{JobError, JobStore, MongoStorage, StorageConfig};

/// Where kill requests for running jobs reach their handlers. The backend's heartbeat calls
/// [`CancelRegistry::cancel`] for each running job an operator asked to kill.
#[derive(Debug, Clone, Default)]
pub struct CancelRegistry {
    inner: Arc<Mutex<HashMap<String, watch::Sender<bool>>>>,
}

impl CancelRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Signals the job's handler, if it is running here. Returns whether it was.
    pub fn cancel(&self, job_id: &str) -> bool {
        let Ok(map) = self.inner.lock() else {
            return false;
        };
        match map.get(job_id) {
            Some(tx) => {
                tx.send_replace(true);
                true
            }
            None => false,
        }
    }

    /// Starts watching `job_id`; the watch ends when the guard is dropped.
    pub fn watch(&self, job_id: &str) -> CancelGuard {
        let (tx, rx) = watch::channel(false);
        if let Ok(mut map) = self.inner.lock() {
            map.insert(job_id.to_owned(), tx);
        }
        CancelGuard {
            registry: self.clone(),
            job_id: job_id.to_owned(),
            rx,
        }
    }
}

/// A running job's registration in a [`CancelRegistry`].
#[derive(Debug)]
pub struct CancelGuard {
    registry: CancelRegistry,
    job_id: String,
    rx: watch::Receiver<bool>,
}

impl CancelGuard {
    fn receiver(&self) -> watch::Receiver<bool> {
        self.rx.clone()
    }
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if let Ok(mut map) = self.registry.inner.lock() {
            map.remove(&self.job_id);
        }
    }
}

/// What a handler knows about the job it runs.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The job id.
    pub job_id: String,
    /// This attempt's number, from 1 (attempts lost with a dead worker count).
    pub attempt: u32,
    cancel: watch::Receiver<bool>,
}

impl JobContext {
    /// True once an operator asked to kill this job. Long handlers can check it between steps
    /// to stop cleanly; otherwise the handler is dropped when the request arrives.
    pub fn cancel_requested(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Completes when an operator asks to kill this job.
    pub async fn cancelled(&self) {
        let mut rx = self.cancel.clone();
        // An error means the sender is gone: the job is over, so never complete.
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Why a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Worth trying again later (network trouble, rate limit, …); retried with backoff while
    /// attempts remain.
    #[error("{0}")]
    Retryable(String),
    /// Will fail the same way every time (bad credentials, invalid input): the job is failed
    /// at once, without further attempts.
    #[error("{0}")]
    Fatal(String),
    /// Worth trying again, but not before `after` (a `Retry-After` the other side sent, or the
    /// handler's own schedule); the queue's backoff still applies when it is longer.
    #[error("{reason}")]
    RetryAfter {
        /// Why the attempt failed.
        reason: String,
        /// The least wait before the next attempt.
        after: Duration,
    },
}

/// How a [`HandlerError::RetryAfter`] travels to the store through apalis's error: a prefix
/// with the wait in milliseconds, read back by [`retry_after`].
const RETRY_AFTER_PREFIX: &str = "RetryAfterMs ";

/// The wait and message of an attempt's error written by [`HandlerError::RetryAfter`].
pub(crate) fn retry_after(error: &str) -> Option<(Duration, &str)> {
    let rest = error.strip_prefix(RETRY_AFTER_PREFIX)?;
    let (ms, message) = rest.split_once(": ")?;
    Some((Duration::from_millis(ms.parse().ok()?), message))
}

/// How [`run_workers`] runs a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// The queue to serve.
    pub queue: String,
    /// Worker names are `{name_prefix}-{hostname}-{pid}-{n}`.
    pub name_prefix: String,
    /// Jobs run at once by this process: one apalis worker (with its own name and claim loop)
    /// per unit.
    pub concurrency: usize,
    /// How often workers renew their leases.
    pub heartbeat: Duration,
    /// How long a claim holds without a heartbeat (several heartbeats).
    pub lease: Duration,
    /// The longest an attempt may run before it is failed (and retried if attempts remain).
    pub attempt_timeout: Duration,
    /// How often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// The delay before the second attempt; each later attempt doubles it.
    pub backoff_base: Duration,
    /// The longest delay between attempts.
    pub backoff_max: Duration,
    /// Immediate in-process retries within one claim before the store's backed-off retry
    /// (0: none).
    pub fast_retries: usize,
    /// How long shutdown waits for running jobs.
    pub shutdown_grace: Duration,
}

impl WorkerSettings {
    /// Production defaults for `queue`: 2 workers, heartbeat 10 s, lease 60 s, attempts of up
    /// to 30 min, polling every 2 s, backoff from 30 s up to 30 min.
    pub fn new(queue: impl Into<String>) -> Self {
        WorkerSettings {
            queue: queue.into(),
            name_prefix: "worker".to_owned(),
            concurrency: 2,
            heartbeat: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(30 * 60),
            poll_interval: Duration::from_secs(2),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(30 * 60),
            fast_retries: 0,
            shutdown_grace: Duration::from_secs(30),
        }
    }

    fn storage_config(&self) -> StorageConfig {
        StorageConfig {
            queue: self.queue.clone(),
            heartbeat: self.heartbeat,
            lease: self.lease,
            backoff_base: self.backoff_base,
            backoff_max: self.backoff_max,
            default_max_attempts: 3,
        }
    }
}

/// Numbers worker names uniquely within the process, across calls to [`run_workers`].
static NEXT_WORKER: AtomicUsize = AtomicUsize::new(0);

fn worker_name(prefix: &str) -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "host".to_owned());
    let n = NEXT_WORKER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{host}-{}-{n}", std::process::id())
}

/// Runs `settings.concurrency` workers on `settings.queue` until `shutdown` completes, then
/// lets running jobs finish (up to `shutdown_grace`).
///
/// The handler's `Ok` value is stored as the job's result. [`HandlerError::Retryable`] fails
/// the attempt and the store retries with backoff while attempts remain;
/// [`HandlerError::Fatal`] fails the job for good. A panic fails the job for good too. When an
/// operator kills a running job the handler future is dropped and the job ends killed. Workers
/// whose backend fails (database down) are restarted.
///
/// # Errors
/// When the indexes cannot be created, or the monitor ends with an error.
pub async fn run_workers<A, F, Fut>(
    db: mongodb::Database,
    settings: WorkerSettings,
    handler: F,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), JobError>
where
    A: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static,
    F: Fn(A, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, HandlerError>> + Send + 'static,
{
    JobStore::new(&db).setup().await?;
    let mut monitor = Monitor::new()
        .should_restart(|ctx, e| {
            let restart = matches!(e, WorkerError::BackendError(_));
            tracing::warn!(worker = ctx.name(), error = %e, restart, "job worker stopped with an error");
            restart
        })
        .shutdown_timeout(settings.shutdown_grace);
    for _ in 0..settings.concurrency.max(1) {
        let name = worker_name(&settings.name_prefix);
        let db = db.clone();
        let settings = settings.clone();
        let handler = handler.clone();
        monitor = monitor.register(move |_restarts| {
            let cancels = CancelRegistry::new();
            let backend = MongoStorage::<A>::with_cancellations(
                &db,
                settings.storage_config(),
                cancels.clone(),
            )
            .poll_with_interval(settings.poll_interval);
            let handler = handler.clone();
            let service = move |args: A, task_id: TaskId, attempt: Attempt| {
                let handler = handler.clone();
                let cancels = cancels.clone();
                async move { run_one(handler, cancels, args, task_id, attempt).await }
            };
            WorkerBuilder::new(name.clone())
                .backend(backend)
                .parallelize(tokio::spawn)
                .catch_panic()
                .concurrency(1)
                .retry(RetryPolicy::retries(settings.fast_retries))
                .timeout(settings.attempt_timeout)
                .build(service)
        });
    }
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await
        .map_err(|e| JobError::Workers(e.to_string()))
}

/// One attempt: the handler raced against an operator's kill request.
async fn run_one<A, F, Fut>(
    handler: F,
    cancels: CancelRegistry,
    args: A,
    task_id: TaskId,
    attempt: Attempt,
) -> Result<serde_json::Value, BoxDynError>
where
    F: Fn(A, JobContext) -> Fut,
    Fut: Future<Output = Result<serde_json::Value, HandlerError>>,
{
    let job_id = task_id.to_string();
    let guard = cancels.watch(&job_id);
    let ctx = JobContext {
        job_id,
        attempt: u32::try_from(attempt.current()).unwrap_or(u32::MAX),
        cancel: guard.receiver(),
    };
    let watcher = ctx.clone();
    tokio::select! {
        res = handler(args, ctx) => match res {
            Ok(v) => Ok(v),
            Err(HandlerError::Retryable(m)) => Err(m.into()),
            Err(HandlerError::RetryAfter { reason, after }) => {
                Err(format!("{RETRY_AFTER_PREFIX}{}: {reason}", after.as_millis()).into())
            }
            // AbortError stops in-process retries; the store reads it as "no more attempts".
            Err(HandlerError::Fatal(m)) => Err(Box::new(AbortError::new(m))),
        },
        () = watcher.cancelled() => Err(Box::new(AbortError::new("killed by an operator"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_after_travels_as_its_wait_and_reason() {
        let e = format!("{RETRY_AFTER_PREFIX}7000: slack said 429");
        assert_eq!(
            retry_after(&e),
            Some((Duration::from_secs(7), "slack said 429"))
        );
        assert_eq!(retry_after("plain failure"), None);
    }
}
