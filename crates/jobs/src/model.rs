//! The job document as stored, and the operator-facing views of it.
//!
//! Stored statuses are apalis' own `Status` names (`Pending`, `Queued`, `Running`, `Done`,
//! `Failed`, `Killed`) so apalis tools reading the collection see familiar values; the operator
//! API folds `Queued` (claimed, not yet started) into [`JobStatus::Running`].

use bson::{Bson, DateTime as BsonDateTime, Document};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Stored status names (apalis `Status` display strings).
pub(crate) mod stored {
    pub const PENDING: &str = "Pending";
    pub const QUEUED: &str = "Queued";
    pub const RUNNING: &str = "Running";
    pub const DONE: &str = "Done";
    pub const FAILED: &str = "Failed";
    pub const KILLED: &str = "Killed";
}

/// Where a job is in its life, as the operator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting to be claimed (new, scheduled for later, or put back after its worker died).
    Pending,
    /// Claimed by a worker and running (or about to start).
    Running,
    /// Finished successfully.
    Done,
    /// The last attempt failed. Whether another attempt follows is told by
    /// [`JobSummary::next_attempt_at`]: `Some` means it will retry then, `None` means it is dead.
    Failed,
    /// Stopped by an operator.
    Killed,
}

impl JobStatus {
    /// All statuses, in display order.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Killed,
    ];

    /// The stored status values this operator status covers.
    pub(crate) fn stored(self) -> &'static [&'static str] {
        match self {
            JobStatus::Pending => &[stored::PENDING],
            JobStatus::Running => &[stored::QUEUED, stored::RUNNING],
            JobStatus::Done => &[stored::DONE],
            JobStatus::Failed => &[stored::FAILED],
            JobStatus::Killed => &[stored::KILLED],
        }
    }

    /// Maps a stored value; unknown values (never written by this crate) read as pending.
    pub(crate) fn from_stored(s: &str) -> JobStatus {
        match s {
            stored::QUEUED | stored::RUNNING => JobStatus::Running,
            stored::DONE => JobStatus::Done,
            stored::FAILED => JobStatus::Failed,
            stored::KILLED => JobStatus::Killed,
            _ => JobStatus::Pending,
        }
    }

    /// The status name used in the UI and in serde (`"pending"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Killed => "killed",
        }
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to enqueue a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnqueueOptions {
    /// At most one job with this key is active (pending, running or waiting to retry) at a time;
    /// enqueueing while one is active returns that job instead. `None`: no such limit.
    pub active_key: Option<String>,
    /// How many attempts the job gets before it is failed for good (at least 1).
    pub max_attempts: u32,
    /// Free-form labels shown in the UI and usable in [`JobFilter`] (e.g. `connector`).
    pub labels: BTreeMap<String, String>,
    /// Run no earlier than this; `None` runs as soon as a worker is free.
    pub run_at: Option<DateTime<Utc>>,
}

impl Default for EnqueueOptions {
    fn default() -> Self {
        EnqueueOptions {
            active_key: None,
            max_attempts: 3,
            labels: BTreeMap::new(),
            run_at: None,
        }
    }
}

/// The outcome of an enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Enqueued {
    /// A new job was created with this id.
    Created(String),
    /// A job with the same active key was already active; this is its id.
    AlreadyActive(String),
}

impl Enqueued {
    /// The id of the job that will do the work, new or existing.
    pub fn id(&self) -> &str {
        match self {
            Enqueued::Created(id) | Enqueued::AlreadyActive(id) => id,
        }
    }
}

/// Which jobs to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFilter {
    /// The queue to list.
    pub queue: String,
    /// Only jobs in this status; `None`: all.
    pub status: Option<JobStatus>,
    /// Only jobs carrying all these labels.
    pub labels: BTreeMap<String, String>,
    /// At most this many jobs (capped at 1000; 0 means the default of 50).
    pub limit: u32,
}

impl JobFilter {
    /// All jobs of a queue, the default page size.
    pub fn queue(queue: impl Into<String>) -> Self {
        JobFilter {
            queue: queue.into(),
            status: None,
            labels: BTreeMap::new(),
            limit: 0,
        }
    }

    pub(crate) fn effective_limit(&self) -> i64 {
        match self.limit {
            0 => 50,
            n => i64::from(n.min(1000)),
        }
    }
}

/// One job as listed in the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    /// The job id (a ULID unless the producer chose one).
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// Where it is in its life.
    pub status: JobStatus,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its active key, if it was enqueued with one (held only while the job is active).
    pub key: Option<String>,
    /// Attempts started so far (including one lost with its worker).
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When its latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached its current terminal or failed state.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long the latest finished attempt took.
    pub duration: Option<Duration>,
    /// The worker running it, or that ran its latest attempt.
    pub worker: Option<String>,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    /// When it will next be tried: for `Failed` this separates "will retry at T" (`Some`) from
    /// "dead" (`None`); for `Pending` it is the scheduled start.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Whether an operator asked to kill it while it was running.
    pub cancel_requested: bool,
    /// Its arguments, as JSON.
    pub args: serde_json::Value,
    /// The result of the successful attempt, if any (a sync's window and counters).
    pub result: Option<serde_json::Value>,
}

impl JobSummary {
    /// True once nothing more will happen to the job without an operator: done, killed, or
    /// failed with no attempt left.
    pub fn is_terminal(&self) -> bool {
        match self.status {
            JobStatus::Done | JobStatus::Killed => true,
            JobStatus::Failed => self.next_attempt_at.is_none(),
            JobStatus::Pending | JobStatus::Running => false,
        }
    }
}

/// One attempt at a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRun {
    /// The attempt number, from 1.
    pub attempt: u32,
    /// How it ended (`Running` for the attempt in progress).
    pub status: JobStatus,
    /// The worker that ran it.
    pub worker: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Its error, if it failed.
    pub error: Option<String>,
    /// Its result, if it succeeded.
    pub result: Option<serde_json::Value>,
}

/// A job with its whole history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    /// Everything the list shows.
    #[serde(flatten)]
    pub summary: JobSummary,
    /// Every attempt, oldest first (the last 50 are kept), including the one in progress.
    pub runs: Vec<JobRun>,
}

impl std::ops::Deref for JobDetail {
    type Target = JobSummary;
    fn deref(&self) -> &JobSummary {
        &self.summary
    }
}

/// A worker that registered with the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Its unique name (`{prefix}-{host}-{pid}-{n}`).
    pub name: String,
    /// The queue it serves.
    pub queue: String,
    /// When it (last) registered.
    pub started_at: DateTime<Utc>,
    /// Its latest heartbeat.
    pub last_seen: DateTime<Utc>,
    /// Whether its heartbeat is recent enough for its leases to hold.
    pub alive: bool,
}

/// How many runs a job keeps; older ones are dropped so a flapping job's document stays small.
pub(crate) const MAX_RUNS: i32 = 50;

/// The stored job document (reads only; writes use explicit update documents).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct JobDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub queue: String,
    #[serde(default)]
    pub args: Bson,
    pub status: String,
    #[serde(default)]
    pub attempts: i64,
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i64,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub key: Option<String>,
    pub created_at: BsonDateTime,
    pub run_at: Option<BsonDateTime>,
    pub available_at: Option<BsonDateTime>,
    pub lock_by: Option<String>,
    pub lock_at: Option<BsonDateTime>,
    pub lease_until: Option<BsonDateTime>,
    pub started_at: Option<BsonDateTime>,
    pub finished_at: Option<BsonDateTime>,
    pub last_worker: Option<String>,
    pub last_error: Option<String>,
    pub result: Option<Bson>,
    #[serde(default)]
    pub cancel_requested: bool,
    #[serde(default)]
    pub runs: Vec<RunDoc>,
}

fn default_max_attempts() -> i64 {
    1
}

/// One stored run.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RunDoc {
    pub attempt: i64,
    pub status: String,
    pub worker: Option<String>,
    pub started_at: Option<BsonDateTime>,
    pub finished_at: Option<BsonDateTime>,
    pub error: Option<String>,
    pub result: Option<Bson>,
}

impl RunDoc {
    /// The document pushed onto `runs`.
    pub(crate) fn to_document(&self) -> Document {
        let mut d = Document::new();
        d.insert("attempt", self.attempt);
        d.insert("status", self.status.clone());
        d.insert("worker", opt(self.worker.clone().map(Bson::String)));
        d.insert("started_at", opt(self.started_at.map(Bson::DateTime)));
        d.insert("finished_at", opt(self.finished_at.map(Bson::DateTime)));
        d.insert("error", opt(self.error.clone().map(Bson::String)));
        d.insert("result", opt(self.result.clone()));
        d
    }
}

fn opt(b: Option<Bson>) -> Bson {
    b.unwrap_or(Bson::Null)
}

fn to_chrono(d: BsonDateTime) -> DateTime<Utc> {
    d.to_chrono()
}

fn to_json(b: &Bson) -> serde_json::Value {
    b.clone().into_relaxed_extjson()
}

fn clamp_u32(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl JobDoc {
    pub(crate) fn is_active(&self) -> bool {
        matches!(self.status.as_str(), stored::QUEUED | stored::RUNNING)
    }

    pub(crate) fn summary(&self) -> JobSummary {
        let status = JobStatus::from_stored(&self.status);
        let running = status == JobStatus::Running;
        let last_run = self.runs.last();
        let duration = if running {
            None
        } else {
            last_run.and_then(|r| match (r.started_at, r.finished_at) {
                (Some(s), Some(f)) => u64::try_from(f.timestamp_millis() - s.timestamp_millis())
                    .ok()
                    .map(Duration::from_millis),
                _ => None,
            })
        };
        JobSummary {
            id: self.id.clone(),
            queue: self.queue.clone(),
            status,
            labels: self.labels.clone(),
            key: self.key.clone(),
            attempts: clamp_u32(self.attempts),
            max_attempts: clamp_u32(self.max_attempts),
            created_at: to_chrono(self.created_at),
            started_at: self.started_at.map(to_chrono),
            finished_at: if running {
                None
            } else {
                self.finished_at.map(to_chrono)
            },
            duration,
            worker: if running {
                self.lock_by.clone()
            } else {
                self.last_worker.clone()
            },
            last_error: self.last_error.clone(),
            next_attempt_at: self.available_at.map(to_chrono),
            cancel_requested: self.cancel_requested,
            args: to_json(&self.args),
            result: self.result.as_ref().map(to_json),
        }
    }

    pub(crate) fn detail(&self) -> JobDetail {
        let mut runs: Vec<JobRun> = self
            .runs
            .iter()
            .map(|r| JobRun {
                attempt: clamp_u32(r.attempt),
                status: JobStatus::from_stored(&r.status),
                worker: r.worker.clone(),
                started_at: r.started_at.map(to_chrono),
                finished_at: r.finished_at.map(to_chrono),
                error: r.error.clone(),
                result: r.result.as_ref().map(to_json),
            })
            .collect();
        if self.is_active() {
            runs.push(JobRun {
                attempt: clamp_u32(self.attempts),
                status: JobStatus::Running,
                worker: self.lock_by.clone(),
                started_at: self.started_at.map(to_chrono),
                finished_at: None,
                error: None,
                result: None,
            });
        }
        JobDetail {
            summary: self.summary(),
            runs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_serialise_in_lower_case() {
        let json = serde_json::to_string(&JobStatus::ALL).unwrap();
        assert_eq!(json, r#"["pending","running","done","failed","killed"]"#);
    }

    #[test]
    fn queued_jobs_show_as_running_to_operators() {
        assert_eq!(JobStatus::from_stored("Queued"), JobStatus::Running);
        assert_eq!(JobStatus::Running.stored(), &["Queued", "Running"]);
    }

    #[test]
    fn enqueue_options_default_to_three_attempts() {
        assert_eq!(EnqueueOptions::default().max_attempts, 3);
    }
}
