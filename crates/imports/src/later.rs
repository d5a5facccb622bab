//! Rollups of pushed events' days, recomputed after the push has been answered. One worker per
//! process takes every day queued since its last pass, grouped by deployment and product, so a
//! push answers as soon as its events are stored, a burst of pushes into the same day costs one
//! rebuild, and two rebuilds of one day never run at once (a rebuild that read the events before
//! a later push could otherwise finish after that push's rebuild and leave its older counts).

use chrono::NaiveDate;
use domain::{DeploymentId, Product};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::rollups::RollupScope;
use store::Store;
use tokio::sync::Notify;

/// How long the worker waits before trying a failed rebuild again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

type Stream = (DeploymentId, Product);

#[derive(Debug, Default)]
struct State {
    pending: BTreeMap<Stream, BTreeSet<NaiveDate>>,
    busy: bool,
}

/// The queue of days whose rollups are due (see the module).
#[derive(Debug, Clone)]
pub struct RollupsLater {
    state: Arc<Mutex<State>>,
    wake: Arc<Notify>,
    settled: Arc<Notify>,
}

impl RollupsLater {
    /// Starts the worker over `store`; it runs until the process ends.
    pub fn start(store: Store) -> Self {
        let later = Self {
            state: Arc::default(),
            wake: Arc::new(Notify::new()),
            settled: Arc::new(Notify::new()),
        };
        tokio::spawn(later.clone().work(store));
        later
    }

    /// Queues the rollups of `days` of one deployment's `product`.
    pub fn queue(&self, deployment: &DeploymentId, product: Product, days: BTreeSet<NaiveDate>) {
        if days.is_empty() {
            return;
        }
        self.lock()
            .pending
            .entry((deployment.clone(), product))
            .or_default()
            .extend(days);
        self.wake.notify_one();
    }

    /// Returns once every day queued so far has been rebuilt (for tests and an orderly stop).
    pub async fn settled(&self) {
        loop {
            let notified = self.settled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_idle() {
                return;
            }
            notified.await;
        }
    }

    fn is_idle(&self) -> bool {
        let state = self.lock();
        state.pending.is_empty() && !state.busy
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("rollup queue lock")
    }

    async fn work(self, store: Store) {
        loop {
            let due = {
                let mut state = self.lock();
                state.busy = !state.pending.is_empty();
                std::mem::take(&mut state.pending)
            };
            if due.is_empty() {
                self.settled.notify_waiters();
                self.wake.notified().await;
                continue;
            }
            for ((deployment, product), days) in due {
                let scope = RollupScope {
                    deployment: Some(deployment.clone()),
                    product: Some(product),
                    pipeline: None,
                };
                let list: Vec<NaiveDate> = days.iter().copied().collect();
                if let Err(e) = store.rollups.rebuild(&list, &scope).await {
                    tracing::warn!(
                        error = %e,
                        deployment = %deployment,
                        product = %product,
                        days = list.len(),
                        "could not recompute the rollups of pushed events; trying again shortly"
                    );
                    self.lock()
                        .pending
                        .entry((deployment, product))
                        .or_default()
                        .extend(days);
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
            self.lock().busy = false;
        }
    }
}
