//! The work `atlaslens serve` does besides answering HTTP: sync workers and the scheduler. Both
//! stop when the server does; in-flight syncs finish or are handed back to the queue.

use connectors::deployments::Deployments;
use ingest::{queue, Syncer};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Running background tasks.
#[derive(Debug)]
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

fn stopped(rx: &watch::Receiver<bool>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut rx = rx.clone();
    async move {
        let _ = rx.wait_for(|s| *s).await;
    }
}

impl Background {
    /// Starts sync workers and, when `schedule` is set, the scheduler.
    pub fn start(
        store: &Store,
        jobs: &jobs::JobStore,
        syncer: Syncer,
        deployments: Arc<Deployments>,
        lease: Duration,
        schedule: bool,
    ) -> Self {
        let (stop, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let (workers_store, shutdown) = (store.clone(), stopped(&rx));
        tasks.push(tokio::spawn(async move {
            let settings = queue::worker_settings("sync", lease);
            if let Err(e) = queue::run_workers(&workers_store, syncer, settings, shutdown).await {
                tracing::error!(error = %e, "the sync workers stopped");
            }
        }));
        if schedule {
            let (store, jobs, shutdown) = (store.clone(), jobs.clone(), stopped(&rx));
            tasks.push(tokio::spawn(async move {
                queue::run_scheduler(store, jobs, deployments, shutdown).await;
            }));
        }
        Self { stop, tasks }
    }

    /// Stops everything and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
