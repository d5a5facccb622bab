//! Helpers shared by the jobs integration tests (included with `mod common;`).
#![allow(dead_code)]

use jobs::{run_workers, HandlerError, JobContext, WorkerSettings};
use mongodb::Database;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const QUEUE: &str = "test-queue";

/// Short timings so recovery and backoff happen within a test.
pub fn settings() -> WorkerSettings {
    WorkerSettings {
        queue: QUEUE.to_owned(),
        name_prefix: "test".to_owned(),
        concurrency: 1,
        heartbeat: Duration::from_millis(500),
        lease: Duration::from_secs(2),
        attempt_timeout: Duration::from_secs(20),
        poll_interval: Duration::from_millis(100),
        backoff_base: Duration::from_millis(300),
        backoff_max: Duration::from_secs(5),
        fast_retries: 0,
        shutdown_grace: Duration::from_secs(3),
    }
}

/// Workers running in the background until [`Workers::stop`].
pub struct Workers {
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), jobs::JobError>>>,
}

impl Workers {
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let res = tokio::time::timeout(Duration::from_secs(15), h)
                .await
                .expect("workers stop in time")
                .expect("the worker task did not panic");
            res.expect("workers ended without error");
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

pub fn start<A, F, Fut>(db: &Database, settings: WorkerSettings, handler: F) -> Workers
where
    A: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static,
    F: Fn(A, JobContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, HandlerError>> + Send + 'static,
{
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(run_workers(db.clone(), settings, handler, async move {
        let _ = rx.await;
    }));
    Workers {
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// Polls `check` every 20 ms until it holds, failing the test after `within`.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
