//! The operator side of the queue: enqueue, list, inspect, retry, kill, and index setup.
//!
//! Every write here is a single-document atomic operation guarded by the state it expects
//! (compare-and-set on `status`, `attempts`, …), so it cannot race a worker's claim or
//! acknowledgement into an inconsistent document.

use bson::{doc, Bson, DateTime as BsonDateTime, Document};
use futures::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, IndexModel};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::keys::{Acquired, JOB_KEYS};
use crate::model::{stored, JobDetail, JobDoc, JobFilter, JobStatus, JobSummary, WorkerInfo};
use crate::retry::transient;
use crate::{EnqueueOptions, Enqueued, JobError};

/// The jobs collection.
pub const JOBS: &str = "jobs";
/// The workers collection (one document per worker name, refreshed by heartbeats).
pub const WORKERS: &str = "workers";

/// Operator access to the queue. Cheap to clone; holds no connection of its own.
#[derive(Debug, Clone)]
pub struct JobStore {
    pub(crate) jobs: Collection<Document>,
    pub(crate) workers: Collection<Document>,
    pub(crate) keys: Collection<Document>,
}

impl JobStore {
    /// A store over `db`'s [`JOBS`] and [`WORKERS`] collections.
    pub fn new(db: &mongodb::Database) -> Self {
        JobStore {
            jobs: db.collection(JOBS),
            workers: db.collection(WORKERS),
            keys: db.collection(JOB_KEYS),
        }
    }

    /// Creates the indexes the queue relies on. Idempotent; call at start-up.
    ///
    /// # Errors
    /// When the database refuses an index (for instance one of the same name but other keys).
    pub async fn setup(&self) -> Result<(), JobError> {
        let idx = |keys: Document, name: &str| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).build())
                .build()
        };
        let jobs = vec![
            // The claim: equality on queue, then the sort, then the range on available_at.
            idx(
                doc! { "queue": 1, "priority": -1, "available_at": 1 },
                "claim",
            ),
            idx(
                doc! { "queue": 1, "status": 1, "created_at": -1 },
                "list_by_status",
            ),
            idx(doc! { "queue": 1, "created_at": -1 }, "list"),
            idx(doc! { "status": 1, "lease_until": 1 }, "orphans"),
            idx(doc! { "lock_by": 1 }, "lock_by"),
            // Lookups only: uniqueness of active keys is enforced by `job_keys` (see keys.rs).
            idx(doc! { "active_key": 1 }, "active_key"),
        ];
        transient("setup", || async {
            self.jobs.create_indexes(jobs.clone()).await?;
            self.workers
                .create_index(idx(doc! { "queue": 1, "last_seen": -1 }, "by_queue"))
                .await?;
            Ok(())
        })
        .await
    }

    /// Adds a job to `queue`. With an [`EnqueueOptions::active_key`] that an active job already
    /// holds, nothing is added and that job's id is returned as [`Enqueued::AlreadyActive`].
    ///
    /// # Errors
    /// When `args` cannot be encoded as BSON, or on a database error.
    pub async fn enqueue<A: Serialize>(
        &self,
        queue: &str,
        args: &A,
        opts: EnqueueOptions,
    ) -> Result<Enqueued, JobError> {
        let args = bson::to_bson(args)?;
        let id = new_id();
        let now = BsonDateTime::now();
        let run_at = opts.run_at.map(BsonDateTime::from_chrono).unwrap_or(now);
        let doc = new_job_doc(
            &id,
            queue,
            args,
            opts.max_attempts,
            0,
            now,
            run_at,
            &opts.labels,
        );
        self.insert_job(doc, opts.active_key.as_deref()).await
    }

    /// Inserts a new job document, first taking its active key if it has one.
    pub(crate) async fn insert_job(
        &self,
        mut doc: Document,
        key: Option<&str>,
    ) -> Result<Enqueued, JobError> {
        let id = doc.get_str("_id").unwrap_or_default().to_owned();
        let queue = doc.get_str("queue").unwrap_or_default().to_owned();
        let mut took_key = None;
        if let Some(key) = key {
            match self.acquire_key(key, &id, &queue).await? {
                Acquired::HeldBy(holder) => return Ok(Enqueued::AlreadyActive(holder)),
                Acquired::Ours => {}
                Acquired::Taken => took_key = Some(key),
            }
            doc.insert("key", key);
            doc.insert("active_key", key);
        }
        let inserted = transient("enqueue", || async {
            self.jobs.insert_one(doc.clone()).await?;
            Ok(())
        })
        .await;
        match inserted {
            Ok(()) => Ok(Enqueued::Created(id)),
            Err(e) => {
                if let Some(key) = took_key {
                    self.release_key(key, &id).await?;
                }
                Err(e)
            }
        }
    }

    /// Jobs matching `filter`, newest first.
    ///
    /// # Errors
    /// On a database error or a malformed stored document.
    pub async fn list(&self, filter: &JobFilter) -> Result<Vec<JobSummary>, JobError> {
        let query = filter_query(filter, filter.status);
        let docs: Vec<Document> = transient("list", || async {
            Ok(self
                .jobs
                .find(query.clone())
                .sort(doc! { "created_at": -1, "_id": -1 })
                .limit(filter.effective_limit())
                .await?
                .try_collect()
                .await?)
        })
        .await?;
        docs.into_iter()
            .map(|d| Ok(bson::from_document::<JobDoc>(d)?.summary()))
            .collect()
    }

    /// How many jobs of `queue` are in each status (every status present, zeros included).
    ///
    /// # Errors
    /// On a database error.
    pub async fn counts(&self, queue: &str) -> Result<BTreeMap<JobStatus, u64>, JobError> {
        let pipeline = vec![
            doc! { "$match": { "queue": queue } },
            doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
        ];
        let groups: Vec<Document> = transient("counts", || async {
            Ok(self
                .jobs
                .aggregate(pipeline.clone())
                .await?
                .try_collect()
                .await?)
        })
        .await?;
        let mut counts: BTreeMap<JobStatus, u64> = JobStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for g in groups {
            let status = JobStatus::from_stored(g.get_str("_id").unwrap_or_default());
            let n = crate::replies::reply_count(g.get("n")).unwrap_or(0);
            *counts.entry(status).or_default() += n;
        }
        Ok(counts)
    }

    /// One job with every run and its error, or `None` if there is no such job.
    ///
    /// # Errors
    /// On a database error or a malformed stored document.
    pub async fn get(&self, id: &str) -> Result<Option<JobDetail>, JobError> {
        Ok(self.get_doc(id).await?.map(|d| d.detail()))
    }

    pub(crate) async fn get_doc(&self, id: &str) -> Result<Option<JobDoc>, JobError> {
        let found = transient("get", || async {
            Ok(self.jobs.find_one(doc! { "_id": id }).await?)
        })
        .await?;
        Ok(match found {
            Some(d) => Some(bson::from_document(d)?),
            None => None,
        })
    }

    /// Puts a dead (failed, no attempt left) or killed job back in the queue, raising its
    /// attempt budget by one if it was used up so its history stays as it was. Returns false
    /// when the job does not exist or is not in such a state.
    ///
    /// # Errors
    /// [`JobError::KeyActive`] when another job with the same active key became active in the
    /// meantime; database errors.
    pub async fn retry(&self, id: &str) -> Result<bool, JobError> {
        for _ in 0..5 {
            let Some(job) = self.get_doc(id).await? else {
                return Ok(false);
            };
            let retryable = (job.status == stored::FAILED && job.available_at.is_none())
                || job.status == stored::KILLED;
            if !retryable {
                return Ok(false);
            }
            let now = BsonDateTime::now();
            let mut set = doc! {
                "status": stored::PENDING,
                "available_at": now,
                "run_at": now,
                "max_attempts": job.max_attempts.max(job.attempts + 1),
                "cancel_requested": false,
            };
            let mut took_key = None;
            if let Some(key) = &job.key {
                match self.acquire_key(key, id, &job.queue).await? {
                    Acquired::HeldBy(holder) => return Err(JobError::KeyActive(holder)),
                    Acquired::Ours => {}
                    Acquired::Taken => took_key = Some(key.clone()),
                }
                set.insert("active_key", key.clone());
            }
            let filter = doc! {
                "_id": id,
                "status": &job.status,
                "attempts": job.attempts,
                "available_at": { "$exists": false },
            };
            let update = doc! {
                "$set": set,
                "$unset": { "finished_at": "", "lock_by": "", "lock_at": "", "lease_until": "" },
            };
            let r = transient("retry", || async {
                Ok(self.jobs.update_one(filter.clone(), update.clone()).await?)
            })
            .await;
            match r {
                Ok(r) if r.matched_count == 1 => return Ok(true),
                other => {
                    if let Some(key) = took_key {
                        self.release_key(&key, id).await?;
                    }
                    other?; // changed under us: look again
                }
            }
        }
        Ok(false)
    }

    /// Kills a job. A pending job, or a failed one waiting to retry, becomes killed at once and
    /// never runs again. For a running job a cancellation is requested: its worker stops the
    /// handler at its next heartbeat (the handler can also watch
    /// [`crate::JobContext::cancel_requested`]) and the job ends killed. Returns false when the
    /// job does not exist or is already finished.
    ///
    /// # Errors
    /// On a database error.
    pub async fn kill(&self, id: &str) -> Result<bool, JobError> {
        let now = BsonDateTime::now();
        let waiting = doc! {
            "_id": id,
            "$or": [
                { "status": stored::PENDING },
                { "status": stored::FAILED, "available_at": { "$exists": true } },
            ],
        };
        let kill = doc! {
            "$set": { "status": stored::KILLED, "finished_at": now },
            "$unset": { "available_at": "", "active_key": "" },
        };
        let killed = transient("kill", || async {
            Ok(self
                .jobs
                .find_one_and_update(waiting.clone(), kill.clone())
                .return_document(ReturnDocument::After)
                .await?)
        })
        .await?;
        if let Some(job) = killed {
            let job: JobDoc = bson::from_document(job)?;
            self.release_key_of(&job).await?;
            return Ok(true);
        }
        let running = doc! {
            "_id": id,
            "status": { "$in": [stored::QUEUED, stored::RUNNING] },
        };
        let r = transient("kill", || async {
            Ok(self
                .jobs
                .update_one(
                    running.clone(),
                    doc! { "$set": { "cancel_requested": true } },
                )
                .await?)
        })
        .await?;
        Ok(r.matched_count == 1)
    }

    /// Retries every dead failed job matching `filter` (its `status` is ignored); returns how
    /// many were put back. Jobs whose active key is taken by another active job are skipped.
    ///
    /// # Errors
    /// On a database error.
    pub async fn retry_all(&self, filter: &JobFilter) -> Result<u64, JobError> {
        let mut query = filter_query(filter, Some(JobStatus::Failed));
        query.insert("available_at", doc! { "$exists": false });
        let ids: Vec<Document> = transient("retry_all", || async {
            Ok(self
                .jobs
                .find(query.clone())
                .projection(doc! { "_id": 1 })
                .await?
                .try_collect()
                .await?)
        })
        .await?;
        let mut n = 0;
        for d in ids {
            let Ok(id) = d.get_str("_id") else { continue };
            match self.retry(id).await {
                Ok(true) => n += 1,
                Ok(false) | Err(JobError::KeyActive(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// The workers registered for `queue`, most recently seen first. A worker counts as alive
    /// when it was seen within the last minute.
    ///
    /// # Errors
    /// On a database error.
    pub async fn workers(&self, queue: &str) -> Result<Vec<WorkerInfo>, JobError> {
        let docs: Vec<Document> = transient("workers", || async {
            Ok(self
                .workers
                .find(doc! { "queue": queue })
                .sort(doc! { "last_seen": -1 })
                .limit(200)
                .await?
                .try_collect()
                .await?)
        })
        .await?;
        let now = chrono::Utc::now();
        Ok(docs
            .into_iter()
            .filter_map(|d| {
                let last_seen = d.get_datetime("last_seen").ok()?.to_chrono();
                let lease_ms = d.get_i64("lease_ms").unwrap_or(60_000);
                Some(WorkerInfo {
                    name: d.get_str("_id").ok()?.to_owned(),
                    queue: d.get_str("queue").ok()?.to_owned(),
                    started_at: d.get_datetime("started_at").ok()?.to_chrono(),
                    last_seen,
                    alive: (now - last_seen).num_milliseconds() <= lease_ms,
                })
            })
            .collect())
    }

    /// Waits until the job is done, killed, or failed with no attempt left, polling every
    /// 100 ms, and returns it.
    ///
    /// # Errors
    /// [`JobError::NotFound`] when there is no such job, [`JobError::Timeout`] when it is still
    /// going after `timeout`.
    pub async fn wait_terminal(&self, id: &str, timeout: Duration) -> Result<JobDetail, JobError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let job = self
                .get(id)
                .await?
                .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
            if job.summary.is_terminal() {
                return Ok(job);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(JobError::Timeout(id.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The query for a filter with the given status.
fn filter_query(filter: &JobFilter, status: Option<JobStatus>) -> Document {
    let mut q = doc! { "queue": &filter.queue };
    if let Some(s) = status {
        q.insert("status", doc! { "$in": s.stored().to_vec() });
    }
    for (k, v) in &filter.labels {
        q.insert(format!("labels.{k}"), v.clone());
    }
    q
}

/// A new job id: a ULID, monotonic within the process so ids sort in creation order even
/// within one millisecond.
pub(crate) fn new_id() -> String {
    static GENERATOR: LazyLock<Mutex<ulid::Generator>> =
        LazyLock::new(|| Mutex::new(ulid::Generator::new()));
    let generated = GENERATOR.lock().ok().and_then(|mut g| g.generate().ok());
    match generated {
        Some(id) => id.to_string(),
        // Poisoned lock or overflow of the random part within one millisecond: still unique.
        None => ulid::Ulid::new().to_string(),
    }
}

/// A freshly enqueued job. `attempts` is the number already used (0 for new jobs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_job_doc(
    id: &str,
    queue: &str,
    args: Bson,
    max_attempts: u32,
    priority: i64,
    now: BsonDateTime,
    run_at: BsonDateTime,
    labels: &BTreeMap<String, String>,
) -> Document {
    let labels: Document = labels
        .iter()
        .map(|(k, v)| (k.clone(), Bson::String(v.clone())))
        .collect();
    doc! {
        "_id": id,
        "queue": queue,
        "args": args,
        "status": stored::PENDING,
        "attempts": 0_i64,
        "max_attempts": i64::from(max_attempts.max(1)),
        "priority": priority,
        "labels": labels,
        "created_at": now,
        "run_at": run_at,
        "available_at": run_at,
        "cancel_requested": false,
        "runs": [],
    }
}
