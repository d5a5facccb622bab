//! The work `atlaslens serve` does besides answering HTTP: sync workers and the scheduler, and the
//! rules worker with its ticker (each sync run queues an evaluation; after each pass new alerts are
//! correlated into incidents and the deliveries of new alerts and incident events are queued), and the delivery workers. All stop when the server
//! does; in-flight jobs finish or are handed back to the queue.

use connectors::deployments::Deployments;
use ingest::{queue, Syncer};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the rules ticker queues a pass (stream rules have no events to trigger them).
const RULES_TICK: Duration = Duration::from_secs(30);

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
    /// Starts sync workers, the rules worker and, when `schedule` is set, the sync scheduler and
    /// the rules ticker.
    pub fn start(
        store: &Store,
        jobs: &jobs::JobStore,
        syncer: Syncer,
        deployments: Arc<Deployments>,
        notifier: notify::Notifier,
        lease: Duration,
        schedule: bool,
    ) -> Self {
        let (stop, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let (workers_store, shutdown) = (store.clone(), stopped(&rx));
        let evaluation_jobs = jobs.clone();
        let after_sync: queue::AfterSync = Arc::new(move |stream, inserted| {
            let jobs = evaluation_jobs.clone();
            Box::pin(async move {
                let reason = format!("sync {stream} ({inserted} new)");
                if let Err(e) = rules::queue::enqueue(&jobs, &reason).await {
                    tracing::warn!(stream = %stream, error = %e, "could not queue a rules evaluation");
                }
            })
        });
        tasks.push(tokio::spawn(async move {
            let settings = queue::worker_settings("sync", lease);
            if let Err(e) =
                queue::run_workers(&workers_store, syncer, settings, after_sync, shutdown).await
            {
                tracing::error!(error = %e, "the sync workers stopped");
            }
        }));
        let streams = Arc::new(services::stream_infos(&deployments));
        let pass_notifier = notifier.clone();
        let shutdown = stopped(&rx);
        tasks.push(tokio::spawn(async move {
            let settings = notify::queue::worker_settings("deliveries", lease);
            if let Err(e) = notify::queue::run_workers(notifier, settings, shutdown).await {
                tracing::error!(error = %e, "the delivery workers stopped");
            }
        }));
        let (rules_store, shutdown) = (store.clone(), stopped(&rx));
        tasks.push(tokio::spawn(async move {
            let settings = rules::queue::worker_settings("rules", lease);
            let queue_notifier = pass_notifier.clone();
            let correlation_store = rules_store.clone();
            let after: rules::queue::AfterPass = Arc::new(move || {
                let n = queue_notifier.clone();
                let correlation_store = correlation_store.clone();
                Box::pin(async move {
                    let now = chrono::Utc::now();
                    // Alerts stay flagged until correlated, so a failure here is retried next pass.
                    match incidents::correlate_pending(&correlation_store, now).await {
                        Ok(r) if r.alerts > 0 => tracing::info!(alerts = r.alerts, opened = r.opened, joined = r.joined, reopened = r.reopened, "alerts correlated into incidents"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "could not correlate alerts into incidents; the next pass tries again"),
                    }
                    if let Err(e) = n.queue_pending(now).await {
                        tracing::warn!(error = %e, "could not queue alert deliveries; the next pass tries again");
                    }
                })
            });
            if let Err(e) =
                rules::queue::run_workers(&rules_store, streams, settings, after, shutdown).await
            {
                tracing::error!(error = %e, "the rules worker stopped");
            }
        }));
        let jobs_for_ticker = jobs.clone();
        if schedule {
            let (store, jobs, shutdown) = (store.clone(), jobs.clone(), stopped(&rx));
            tasks.push(tokio::spawn(async move {
                queue::run_scheduler(store, jobs, deployments, shutdown).await;
            }));
            let (ticker_jobs, shutdown) = (jobs_for_ticker, stopped(&rx));
            tasks.push(tokio::spawn(async move {
                rules::queue::run_ticker(ticker_jobs, RULES_TICK, shutdown).await;
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
