//! Active keys: at most one active job per key ("never two syncs of the same connector").
//!
//! The natural design — a unique partial index on the job's `active_key`, `$unset` when the
//! job ends — does not work on SecantusDB: an update that changes or removes an indexed field
//! leaves the old entry in a unique index, so the key stays taken forever (deletes do clean
//! up). So each held key is a small document in [`JOB_KEYS`] whose `_id` is the key, inserted
//! when a job becomes active and deleted when it ends. `_id` uniqueness is all it relies on,
//! which every MongoDB-wire server has.
//!
//! The lock document and the job are two documents, so a crash between the two writes can
//! leave a lock whose job is already over. Such a lock is recognised as stale (its job is
//! terminal, or missing for longer than a minute) and taken over.

use bson::{doc, DateTime as BsonDateTime, Document};

use crate::model::JobDoc;
use crate::replies::is_duplicate_key;
use crate::retry::transient;
use crate::{JobError, JobStore};

/// The key-lock collection: `{ _id: key, job: job_id, queue, since }`.
pub const JOB_KEYS: &str = "job_keys";

/// How long a lock may point at a job that does not exist yet (the job insert follows the
/// lock insert) before it counts as abandoned.
const ORPHAN_LOCK_MS: i64 = 60_000;

/// Outcome of trying to take a key.
pub(crate) enum Acquired {
    /// The key is now held by the job.
    Taken,
    /// The job already held it.
    Ours,
    /// Another active job holds it.
    HeldBy(String),
}

impl JobStore {
    /// Takes `key` for job `id`, taking over a stale lock.
    pub(crate) async fn acquire_key(
        &self,
        key: &str,
        id: &str,
        queue: &str,
    ) -> Result<Acquired, JobError> {
        for _ in 0..5 {
            let lock = doc! { "_id": key, "job": id, "queue": queue, "since": BsonDateTime::now() };
            let inserted = transient("key_insert", || async {
                self.keys.insert_one(lock.clone()).await?;
                Ok(())
            })
            .await;
            match inserted {
                Ok(()) => return Ok(Acquired::Taken),
                Err(JobError::Mongo(e)) if is_duplicate_key(&e) => {}
                Err(e) => return Err(e),
            }
            let holder = transient("key_read", || async {
                Ok(self.keys.find_one(doc! { "_id": key }).await?)
            })
            .await?;
            let Some(holder) = holder else { continue }; // released meanwhile
            let holder_job = holder.get_str("job").unwrap_or_default().to_owned();
            if holder_job == id {
                return Ok(Acquired::Ours);
            }
            if !self.lock_is_stale(&holder, &holder_job).await? {
                return Ok(Acquired::HeldBy(holder_job));
            }
            tracing::warn!(job.key = key, job.id = %holder_job, "taking over a stale active-key lock");
            self.release_key(key, &holder_job).await?;
        }
        Err(JobError::KeyActive(key.to_owned()))
    }

    async fn lock_is_stale(&self, lock: &Document, job_id: &str) -> Result<bool, JobError> {
        Ok(match self.get_doc(job_id).await? {
            Some(job) => !job.holds_key(),
            None => {
                let since = lock
                    .get_datetime("since")
                    .map(|d| d.timestamp_millis())
                    .unwrap_or(0);
                BsonDateTime::now().timestamp_millis() - since > ORPHAN_LOCK_MS
            }
        })
    }

    /// Frees `key` if job `id` holds it.
    pub(crate) async fn release_key(&self, key: &str, id: &str) -> Result<(), JobError> {
        transient("key_release", || async {
            self.keys.delete_one(doc! { "_id": key, "job": id }).await?;
            Ok(())
        })
        .await
    }

    /// Frees the key of a job that just became terminal.
    pub(crate) async fn release_key_of(&self, job: &JobDoc) -> Result<(), JobError> {
        match &job.key {
            Some(key) => self.release_key(key, &job.id).await,
            None => Ok(()),
        }
    }
}

impl JobDoc {
    /// Whether the job is active, so that its key must stay taken.
    pub(crate) fn holds_key(&self) -> bool {
        use crate::model::stored;
        match self.status.as_str() {
            stored::PENDING | stored::QUEUED | stored::RUNNING => true,
            stored::FAILED => self.available_at.is_some(),
            _ => false,
        }
    }
}
