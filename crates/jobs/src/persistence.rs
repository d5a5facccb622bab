//! The MongoDB side of apalis' `Persistence` kit: register, heartbeat, claim, acknowledge,
//! recover. apalis' `Persisted` drives these from the worker's poll loop.
//!
//! Invariants kept here:
//! - A job is claimable iff `available_at` is present; the claim removes it atomically.
//! - A claimed job (`Queued`/`Running`) carries `lock_by` and `lease_until`; only the owner's
//!   heartbeat extends the lease, and only for jobs this backend instance is actually running
//!   (`tracked`), so a claim whose reply was lost cannot be kept alive forever.
//! - Every write that moves a job on is guarded by the state it was decided from (owner,
//!   status, attempts, cancel flag, lease), so a stale worker cannot overwrite a recovery and
//!   a recovery cannot overwrite a live worker's acknowledgement.
//!
//! The retry-or-dead decision is taken client-side from the document just read, not with an
//! update pipeline (`$$REMOVE`, `$cond`), so it only needs plain update operators.
//!
//! Long because every state change of a job (claim, heartbeat, settle, recover, retry, kill) is
//! here, next to the others it must not race with; keeping them in one file keeps that visible.

use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::backend::queue::Queue;
use apalis_core::backend::TaskResult;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::metadata::MetadataStore;
use apalis_core::task::status::Status;
use apalis_core::task::task_id::TaskId;
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use bson::{doc, Bson, DateTime as BsonDateTime, Document};
use futures::TryStreamExt;
use mongodb::options::ReturnDocument;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use crate::model::{stored, JobDoc, RunDoc, MAX_RUNS};
use crate::replies::is_duplicate_key;
use crate::retry::transient;
use crate::store::{new_id, new_job_doc};
use crate::worker::CancelRegistry;
use crate::{Enqueued, JobError, JobStore, StorageConfig};

/// Metadata key a producer can set on an apalis task to give it an active key.
pub(crate) const ACTIVE_KEY_META: &str = "jobs.active_key";

/// One id per OS process, so a worker document says which process last owned the name.
static INSTANCE: LazyLock<String> = LazyLock::new(|| ulid::Ulid::new().to_string());

/// The apalis `Persistence` over the jobs and workers collections.
#[derive(Debug, Clone)]
pub(crate) struct MongoPersistence {
    pub(crate) store: JobStore,
    pub(crate) config: StorageConfig,
    pub(crate) cancels: CancelRegistry,
    /// Ids this backend instance claimed and has not acknowledged yet; shared by all clones.
    tracked: Arc<Mutex<HashSet<String>>>,
}

fn active() -> Bson {
    Bson::Document(doc! { "$in": [stored::QUEUED, stored::RUNNING] })
}

fn after(now: BsonDateTime, d: Duration) -> BsonDateTime {
    let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    BsonDateTime::from_millis(now.timestamp_millis().saturating_add(ms))
}

/// The delay after failed attempt number `attempt`: `base · 2^(attempt−1)`, capped at `max`.
fn backoff(base: Duration, max: Duration, attempt: i64) -> Duration {
    let exp = u32::try_from((attempt - 1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(2_u32.saturating_pow(exp)).min(max)
}

/// What the error of an attempt means for the job.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Killed,
    Retry(BsonDateTime),
    Dead,
}

impl MongoPersistence {
    pub(crate) fn new(store: JobStore, config: StorageConfig, cancels: CancelRegistry) -> Self {
        MongoPersistence {
            store,
            config,
            cancels,
            tracked: Arc::default(),
        }
    }

    fn track(&self, id: &str) {
        if let Ok(mut t) = self.tracked.lock() {
            t.insert(id.to_owned());
        }
    }

    fn untrack(&self, id: &str) {
        if let Ok(mut t) = self.tracked.lock() {
            t.remove(id);
        }
    }

    fn tracked_ids(&self) -> Vec<String> {
        self.tracked
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn backoff(&self, attempt: i64) -> Duration {
        backoff(self.config.backoff_base, self.config.backoff_max, attempt)
    }

    async fn upsert_worker(&self, name: &str, started: bool) -> Result<(), JobError> {
        let now = BsonDateTime::now();
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let mut set = doc! {
            "queue": &self.config.queue,
            "backend": "MongoStorage",
            "instance": INSTANCE.as_str(),
            "last_seen": now,
            "lease_ms": lease_ms,
        };
        if started {
            set.insert("started_at", now);
        }
        let update = doc! { "$set": set, "$setOnInsert": { "created_at": now } };
        transient("worker_upsert", || async {
            self.store
                .workers
                .update_one(doc! { "_id": name }, update.clone())
                .upsert(true)
                .await?;
            Ok(())
        })
        .await
    }

    /// Worker names are per process, so documents of long-gone processes pile up; a day
    /// without a heartbeat is plenty to forget one.
    async fn forget_old_workers(&self) -> Result<(), JobError> {
        let cutoff = BsonDateTime::from_millis(BsonDateTime::now().timestamp_millis() - 86_400_000);
        let filter = doc! { "queue": &self.config.queue, "last_seen": { "$lt": cutoff } };
        transient("forget_workers", || async {
            self.store.workers.delete_many(filter.clone()).await?;
            Ok(())
        })
        .await
    }

    /// Puts back every job of this queue whose lease ran out: its worker is gone.
    pub(crate) async fn recover_orphans(&self) -> Result<u64, JobError> {
        let now = BsonDateTime::now();
        let filter = doc! {
            "queue": &self.config.queue,
            "status": active(),
            "lease_until": { "$lt": now },
        };
        let docs: Vec<Document> = transient("find_orphans", || async {
            Ok(self
                .store
                .jobs
                .find(filter.clone())
                .limit(100)
                .await?
                .try_collect()
                .await?)
        })
        .await?;
        let mut n = 0;
        for d in docs {
            let job: JobDoc = bson::from_document(d)?;
            let reason = format!(
                "worker {} lost: no heartbeat before its lease expired",
                job.lock_by.as_deref().unwrap_or("?")
            );
            if self.release_lost(&job, &reason, true).await? {
                tracing::warn!(job.id = %job.id, job.queue = %job.queue, job.attempt = job.attempts, worker = job.lock_by.as_deref().unwrap_or("?"), "recovered a job whose worker stopped heartbeating");
                n += 1;
            }
        }
        Ok(n)
    }

    /// Ends the lost attempt of `job` (recorded as a failed run) and puts the job back, or fails
    /// it for good when its attempts are used up, or kills it when a kill was requested.
    async fn release_lost(
        &self,
        job: &JobDoc,
        reason: &str,
        check_lease: bool,
    ) -> Result<bool, JobError> {
        let now = BsonDateTime::now();
        let outcome = if job.cancel_requested {
            Outcome::Killed
        } else if job.attempts >= job.max_attempts {
            Outcome::Dead
        } else {
            Outcome::Retry(now)
        };
        let run = RunDoc {
            attempt: job.attempts,
            status: stored::FAILED.to_owned(),
            worker: job.lock_by.clone(),
            started_at: job.started_at,
            finished_at: Some(now),
            error: Some(reason.to_owned()),
            result: None,
        };
        let mut set = doc! {
            "finished_at": now,
            "last_error": reason,
            "last_worker": job.lock_by.clone().map(Bson::String).unwrap_or(Bson::Null),
        };
        let mut unset = doc! { "lock_by": "", "lock_at": "", "lease_until": "" };
        match outcome {
            Outcome::Retry(at) => {
                set.insert("status", stored::PENDING);
                set.insert("available_at", at);
            }
            Outcome::Killed => {
                set.insert("status", stored::KILLED);
                unset.insert("active_key", "");
            }
            Outcome::Dead | Outcome::Done => {
                set.insert("status", stored::FAILED);
                unset.insert("active_key", "");
            }
        }
        let mut filter = doc! {
            "_id": &job.id,
            "status": &job.status,
            "attempts": job.attempts,
            "lock_by": job.lock_by.clone().map(Bson::String).unwrap_or(Bson::Null),
        };
        if check_lease {
            filter.insert(
                "lease_until",
                job.lease_until.map(Bson::DateTime).unwrap_or(Bson::Null),
            );
        }
        let update = doc! {
            "$set": set,
            "$unset": unset,
            "$push": { "runs": { "$each": [run.to_document()], "$slice": -MAX_RUNS } },
        };
        let r = transient("release_lost", || async {
            Ok(self
                .store
                .jobs
                .update_one(filter.clone(), update.clone())
                .await?)
        })
        .await?;
        if r.modified_count == 1 && !matches!(outcome, Outcome::Retry(_)) {
            self.store.release_key_of(job).await?;
        }
        Ok(r.modified_count == 1)
    }

    /// Jobs still locked by this worker name from an earlier incarnation (before a restart):
    /// nothing runs them any more.
    async fn release_own(&self, name: &str) -> Result<(), JobError> {
        let docs: Vec<Document> = transient("find_own", || async {
            Ok(self
                .store
                .jobs
                .find(doc! { "lock_by": name, "status": active() })
                .await?
                .try_collect()
                .await?)
        })
        .await?;
        for d in docs {
            let job: JobDoc = bson::from_document(d)?;
            let reason = format!("worker {name} restarted before finishing this attempt");
            self.release_lost(&job, &reason, false).await?;
        }
        Ok(())
    }

    /// Atomically claims the next due job of the queue.
    pub(crate) async fn claim(&self, worker: &str) -> Result<Option<JobDoc>, JobError> {
        let now = BsonDateTime::now();
        let filter = doc! { "queue": &self.config.queue, "available_at": { "$lte": now } };
        let update = doc! {
            "$set": {
                "status": stored::QUEUED,
                "lock_by": worker,
                "lock_at": now,
                "lease_until": after(now, self.config.lease),
                "started_at": now,
                "cancel_requested": false,
            },
            "$unset": { "available_at": "" },
            "$inc": { "attempts": 1_i64 },
        };
        let claimed = self
            .store
            .jobs
            .find_one_and_update(filter, update)
            .sort(doc! { "priority": -1, "available_at": 1 })
            .return_document(ReturnDocument::After)
            .await?;
        Ok(match claimed {
            Some(d) => Some(bson::from_document(d)?),
            None => None,
        })
    }

    async fn lock(&self, id: &str, worker: &str) -> Result<(), JobError> {
        let filter = doc! { "_id": id, "lock_by": worker, "status": stored::QUEUED };
        let update =
            doc! { "$set": { "status": stored::RUNNING, "started_at": BsonDateTime::now() } };
        transient("lock", || async {
            self.store
                .jobs
                .update_one(filter.clone(), update.clone())
                .await?;
            Ok(())
        })
        .await
    }

    /// Records the end of an attempt and decides what happens next.
    async fn complete(&self, res: &TaskResult<Bson>, worker: &str) -> Result<(), JobError> {
        let id = res.task_id.to_string();
        for _ in 0..5 {
            let found = transient("ack_read", || async {
                Ok(self
                    .store
                    .jobs
                    .find_one(doc! { "_id": &id, "lock_by": worker, "status": active() })
                    .await?)
            })
            .await?;
            let Some(found) = found else {
                // Recovered by another worker (our lease ran out) or killed: this result is stale.
                tracing::warn!(job.id = %id, worker, "dropping a stale job result: the job is no longer ours");
                break;
            };
            let job: JobDoc = bson::from_document(found)?;
            let attempts = job
                .attempts
                .max(i64::try_from(res.attempt).unwrap_or(i64::MAX));
            let now = BsonDateTime::now();
            let (outcome, error, result) = match &res.result {
                Ok(v) => (Outcome::Done, None, Some(v.clone())),
                Err(e) => {
                    let (fatal, mut message) = match e.strip_prefix("AbortError: ") {
                        Some(rest) => (true, rest.to_owned()),
                        None => (false, e.clone()),
                    };
                    let mut wait = self.backoff(attempts);
                    if let Some((at_least, reason)) = crate::worker::retry_after(e) {
                        wait = wait.max(at_least);
                        message = reason.to_owned();
                    }
                    let outcome = if job.cancel_requested {
                        Outcome::Killed
                    } else if fatal || attempts >= job.max_attempts {
                        Outcome::Dead
                    } else {
                        Outcome::Retry(after(now, wait))
                    };
                    (outcome, Some(message), None)
                }
            };
            let status = match outcome {
                Outcome::Done => stored::DONE,
                Outcome::Killed => stored::KILLED,
                Outcome::Retry(_) | Outcome::Dead => stored::FAILED,
            };
            let run = RunDoc {
                attempt: attempts,
                status: status.to_owned(),
                worker: Some(worker.to_owned()),
                started_at: job.started_at,
                finished_at: Some(now),
                error: error.clone(),
                result: result.clone(),
            };
            let mut set = doc! {
                "status": status,
                "attempts": attempts,
                "finished_at": now,
                "last_worker": worker,
            };
            let mut unset = doc! { "lock_by": "", "lock_at": "", "lease_until": "" };
            if let Some(e) = &error {
                set.insert("last_error", e.clone());
            }
            if let Some(r) = result {
                set.insert("result", r);
            }
            match outcome {
                Outcome::Retry(at) => {
                    set.insert("available_at", at);
                }
                Outcome::Done | Outcome::Killed | Outcome::Dead => {
                    unset.insert("active_key", "");
                }
            }
            let filter = doc! {
                "_id": &id,
                "lock_by": worker,
                "status": &job.status,
                "attempts": job.attempts,
                "cancel_requested": job.cancel_requested,
            };
            let update = doc! {
                "$set": set,
                "$unset": unset,
                "$push": { "runs": { "$each": [run.to_document()], "$slice": -MAX_RUNS } },
            };
            let r = transient("ack", || async {
                Ok(self
                    .store
                    .jobs
                    .update_one(filter.clone(), update.clone())
                    .await?)
            })
            .await?;
            if r.matched_count == 1 {
                if !matches!(outcome, Outcome::Retry(_)) {
                    self.store.release_key_of(&job).await?;
                }
                tracing::info!(job.id = %id, job.queue = %job.queue, job.attempt = attempts, job.status = status, worker, "job attempt finished");
                break;
            }
            // The document changed between read and write (a kill request, a lease renewal
            // race); decide again from the new state.
        }
        self.untrack(&id);
        Ok(())
    }

    fn to_task(&self, job: JobDoc, worker: &str) -> Task<Bson> {
        let secs = |d: BsonDateTime| u64::try_from(d.timestamp_millis() / 1000).unwrap_or(0);
        let mut meta = MetadataStore::new();
        for (k, v) in &job.labels {
            let _ = meta.insert(k.clone(), v.clone());
        }
        let mut b = TaskBuilder::new(job.args)
            .task_id(TaskId::from_string(job.id))
            .queue(Queue::from(job.queue))
            .status(Status::Queued)
            // apalis adds one when the attempt starts; the claim already counted it.
            .attempt(usize::try_from(job.attempts - 1).unwrap_or(0))
            .max_attempts(usize::try_from(job.max_attempts).unwrap_or(1))
            .priority(usize::try_from(job.priority).unwrap_or(0))
            .lock_by(Some(worker.to_owned()))
            .with_metadata(meta);
        if let Some(r) = job.run_at {
            b = b.run_at_timestamp(secs(r));
        }
        if let Some(l) = job.lock_at {
            b = b.lock_at(Some(secs(l)));
        }
        b.build()
    }
}

impl Persistence for MongoPersistence {
    type Compact = Bson;
    type Response = Bson;
    type Error = JobError;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), JobError> {
        if worker.restarts() > 0 {
            // A restart follows an error; do not hammer a struggling database.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        self.recover_orphans().await?;
        self.forget_old_workers().await?;
        self.upsert_worker(worker.name(), true).await?;
        self.release_own(worker.name()).await?;
        tracing::info!(worker = worker.name(), job.queue = %self.config.queue, "job worker registered");
        Ok(())
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), JobError> {
        let name = worker.name();
        self.upsert_worker(name, false).await?;
        let ids = self.tracked_ids();
        if !ids.is_empty() {
            let until = after(BsonDateTime::now(), self.config.lease);
            let filter = doc! { "_id": { "$in": ids }, "lock_by": name, "status": active() };
            let update = doc! { "$set": { "lease_until": until } };
            transient("renew_leases", || async {
                self.store
                    .jobs
                    .update_many(filter.clone(), update.clone())
                    .await?;
                Ok(())
            })
            .await?;
            let cancelled: Vec<Document> = transient("find_cancelled", || async {
                Ok(self
                    .store
                    .jobs
                    .find(doc! { "lock_by": name, "status": active(), "cancel_requested": true })
                    .projection(doc! { "_id": 1 })
                    .await?
                    .try_collect()
                    .await?)
            })
            .await?;
            for d in cancelled {
                if let Ok(id) = d.get_str("_id") {
                    self.cancels.cancel(id);
                }
            }
        }
        self.recover_orphans().await?;
        Ok(())
    }

    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<Task<Bson>>, JobError> {
        if worker.is_shutting_down() {
            return Ok(Vec::new());
        }
        // Not retried blindly: a claim whose reply was lost must not claim a second job. The
        // lost one is not tracked, so its lease lapses and it is recovered.
        let claimed = match self.claim(worker.name()).await {
            Err(e) if e.is_transient() => {
                tracing::warn!(worker = worker.name(), error = %e, "job claim failed, will poll again");
                return Ok(Vec::new());
            }
            other => other?,
        };
        Ok(match claimed {
            Some(job) => {
                self.track(&job.id);
                tracing::debug!(job.id = %job.id, job.attempt = job.attempts, worker = worker.name(), "claimed job");
                vec![self.to_task(job, worker.name())]
            }
            None => Vec::new(),
        })
    }

    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<Bson>>,
        worker: &WorkerContext,
    ) -> Result<u64, JobError> {
        let ids: Vec<String> = tasks
            .iter()
            .filter_map(|t| t.task_id().map(ToString::to_string))
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let filter = doc! { "_id": { "$in": ids.clone() }, "lock_by": worker.name(), "status": stored::QUEUED };
        let update = doc! {
            "$set": { "status": stored::PENDING, "available_at": BsonDateTime::now() },
            "$unset": { "lock_by": "", "lock_at": "", "lease_until": "" },
            // The claim counted an attempt that never started.
            "$inc": { "attempts": -1_i64 },
        };
        let r = transient("reenqueue_abandoned", || async {
            Ok(self
                .store
                .jobs
                .update_many(filter.clone(), update.clone())
                .await?)
        })
        .await?;
        for id in &ids {
            self.untrack(id);
        }
        Ok(r.modified_count)
    }

    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<Bson>>,
        worker: &WorkerContext,
    ) -> Result<(), JobError> {
        for event in events {
            match event {
                TaskEvent::Lock { task_id } => {
                    self.lock(&task_id.to_string(), worker.name()).await?
                }
                TaskEvent::Complete(res) => self.complete(&res, worker.name()).await?,
                _ => {}
            }
        }
        Ok(())
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Bson>>) -> Result<(), JobError> {
        for task in tasks {
            let id = task
                .task_id()
                .map(ToString::to_string)
                .unwrap_or_else(new_id);
            let now = BsonDateTime::now();
            let run_at = task
                .run_at()
                .and_then(|s| i64::try_from(s).ok())
                .map(|s| BsonDateTime::from_millis(s.saturating_mul(1000)))
                .unwrap_or(now);
            let queue = task
                .queue()
                .map(|q| q.as_ref().to_owned())
                .unwrap_or_else(|| self.config.queue.clone());
            let max_attempts = task
                .max_attempts()
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(self.config.default_max_attempts);
            let priority = task
                .priority()
                .and_then(|p| i64::try_from(p).ok())
                .unwrap_or(0);
            let labels = task
                .metadata()
                .iter()
                .filter(|(k, _)| k.as_str() != ACTIVE_KEY_META)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let d = new_job_doc(
                &id,
                &queue,
                task.args.clone(),
                max_attempts,
                priority,
                now,
                run_at,
                &labels,
            );
            let key = task.metadata().get(ACTIVE_KEY_META);
            match self.store.insert_job(d, key).await {
                Ok(Enqueued::Created(_)) => {}
                Ok(Enqueued::AlreadyActive(holder)) => {
                    tracing::info!(job.id = %holder, job.queue = %queue, "a job with the same active key is already active, not pushed");
                }
                Err(JobError::Mongo(e)) if is_duplicate_key(&e) => {
                    tracing::info!(job.id = %id, job.queue = %queue, "job already queued, not pushed again");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_with_each_attempt_up_to_the_cap() {
        let (base, max) = (Duration::from_millis(100), Duration::from_millis(1_000));
        let ms: Vec<u128> = (1..=6).map(|a| backoff(base, max, a).as_millis()).collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1_000, 1_000]);
    }

    #[test]
    fn backoff_does_not_overflow_on_huge_attempt_counts() {
        let (base, max) = (Duration::from_secs(30), Duration::from_secs(60));
        assert_eq!(backoff(base, max, i64::MAX), max);
        assert_eq!(backoff(base, max, 0), base);
    }
}
