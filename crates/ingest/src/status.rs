//! Where each stream stands, for the Sync page and anyone else who asks: its state (from its
//! `sync_state` and the sync queue), why it cannot be read if it cannot, and its queued or running
//! job.

use crate::queue::QUEUE;
use connectors::deployments::Deployments;
use domain::StreamKey;
use jobs::{JobError, JobFilter, JobStatus, JobStore};
use store::sync_state::SyncState;
use store::{Store, StoreError};

/// A stream's state, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// The source cannot be read with this deployment's access (a Guard-only log).
    Unavailable,
    /// A run is in progress.
    Running,
    /// A run is waiting for a worker.
    Queued,
    /// The last run failed and none has succeeded since.
    Failing,
    /// The last run succeeded; the next waits for the schedule.
    Idle,
    /// No run has finished yet.
    NeverRun,
}

impl StreamState {
    /// The name the Sync page shows.
    pub const fn as_str(self) -> &'static str {
        match self {
            StreamState::Unavailable => "unavailable",
            StreamState::Running => "running",
            StreamState::Queued => "queued",
            StreamState::Failing => "failing",
            StreamState::Idle => "idle",
            StreamState::NeverRun => "never run",
        }
    }
}

/// A sync job that is queued or running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSync {
    /// Its stream.
    pub stream: StreamKey,
    /// The job's id.
    pub job_id: String,
    /// Running (else queued).
    pub running: bool,
}

/// One stream of a configured deployment and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStatus {
    /// Which stream.
    pub key: StreamKey,
    /// Its state.
    pub state: StreamState,
    /// Why it cannot be read, when [`StreamState::Unavailable`].
    pub unavailable: Option<&'static str>,
    /// Its recorded state (cursor, last run, totals), once it has run.
    pub sync: Option<SyncState>,
    /// Its queued or running job.
    pub active_job: Option<String>,
}

/// Why the streams' status could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// Reading `sync_state` failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Listing the sync queue failed.
    #[error(transparent)]
    Jobs(#[from] JobError),
}

/// Every queued or running sync job.
///
/// # Errors
/// A database error.
pub async fn active(jobs: &JobStore) -> Result<Vec<ActiveSync>, JobError> {
    let mut out = Vec::new();
    for status in [JobStatus::Running, JobStatus::Pending] {
        let mut filter = JobFilter::queue(QUEUE);
        filter.status = Some(status);
        filter.limit = 1000;
        let listed = jobs.list(&filter).await?;
        out.extend(listed.into_iter().filter_map(|j| {
            let stream = j.labels.get("stream")?.parse().ok()?;
            Some(ActiveSync {
                stream,
                job_id: j.id,
                running: status == JobStatus::Running,
            })
        }));
    }
    Ok(out)
}

/// Every stream of every configured deployment, in the deployments' order.
///
/// # Errors
/// A database error.
pub async fn streams(
    store: &Store,
    jobs: &JobStore,
    deployments: &Deployments,
) -> Result<Vec<StreamStatus>, StatusError> {
    let states = store.sync_state.all().await?;
    let active = active(jobs).await?;
    Ok(deployments
        .streams()
        .into_iter()
        .map(|info| {
            let name = info.key.to_string();
            let sync = states.iter().find(|s| s.stream == name).cloned();
            let job = active.iter().find(|a| a.stream == info.key);
            let state = match (info.unavailable, job, &sync) {
                (Some(_), _, _) => StreamState::Unavailable,
                (None, Some(j), _) if j.running => StreamState::Running,
                (None, Some(_), _) => StreamState::Queued,
                (None, None, Some(s)) if s.last_error.is_some() => StreamState::Failing,
                (None, None, Some(s)) if s.last_run.is_some() => StreamState::Idle,
                (None, None, _) => StreamState::NeverRun,
            };
            StreamStatus {
                key: info.key,
                state,
                unavailable: info.unavailable,
                sync,
                active_job: job.map(|j| j.job_id.clone()),
            }
        })
        .collect())
}
