//! The `sync_state` collection: one document per stream (`acme/jira/audit`) holding its cursor,
//! the end of the last complete window, the last run's counters and its last error. The cursor
//! only moves when a whole window has been stored; a failure records the error and keeps it.
//! The scheduler also claims each stream's next slot here, atomically, so several AtlasLens
//! processes never schedule the same stream twice.

use super::{StoreError, SYNC_STATE};
use bson::doc;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

/// What one run saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounters {
    /// HTTP requests, retries included.
    pub requests: u64,
    /// Pages received.
    pub pages: u64,
    /// `429` answers.
    pub rate_limited: u64,
    /// Milliseconds spent waiting before retries.
    pub waited_ms: u64,
    /// Records received.
    pub records: u64,
    /// Events stored for the first time.
    pub inserted: u64,
    /// Records already stored (overlap, repeated pages).
    pub duplicates: u64,
    /// New events older than the previous window's end: they arrived late.
    pub late: u64,
    /// Records quarantined in `rejects`.
    pub rejects: u64,
    /// Milliseconds spent storing (normalising, resolving, writing) rather than fetching.
    #[serde(default)]
    pub store_ms: u64,
}

/// The last finished run of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    /// Window start.
    pub window_from: DateTime<Utc>,
    /// Window end (exclusive).
    pub window_to: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Whether it stored the whole window.
    pub succeeded: bool,
    /// What it did.
    pub counters: RunCounters,
}

/// A stream's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    /// The stream key.
    #[serde(rename = "_id")]
    pub stream: String,
    /// Newest `occurred_at` stored.
    #[serde(default, with = "opt_chrono")]
    pub cursor: Option<DateTime<Utc>>,
    /// End of the last window stored completely; the next window starts `overlap` before it.
    #[serde(default, with = "opt_chrono")]
    pub window_end: Option<DateTime<Utc>>,
    /// When the current or last run started.
    #[serde(default, with = "opt_chrono")]
    pub last_started_at: Option<DateTime<Utc>>,
    /// When a run last stored its whole window.
    #[serde(default, with = "opt_chrono")]
    pub last_success_at: Option<DateTime<Utc>>,
    /// When a run last failed.
    #[serde(default, with = "opt_chrono")]
    pub last_failure_at: Option<DateTime<Utc>>,
    /// The last failure, cleared by the next success.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Runs that failed since the last success (sync-health rules alert on a streak).
    #[serde(default)]
    pub consecutive_failures: i64,
    /// Whether the last failure was the source refusing the credentials (401 or 403).
    #[serde(default)]
    pub credentials_refused: bool,
    /// The last finished run.
    #[serde(default)]
    pub last_run: Option<LastRun>,
    /// Events this stream has stored, over all runs.
    #[serde(default)]
    pub total_inserted: i64,
    /// When the scheduler last queued a run.
    #[serde(default, with = "opt_chrono")]
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// Optional chrono times stored as BSON dates.
mod opt_chrono {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        v.map(bson::DateTime::from_chrono).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<bson::DateTime>::deserialize(d)?.map(bson::DateTime::to_chrono))
    }
}

/// The `sync_state` collection.
#[derive(Debug, Clone)]
pub struct SyncStateStore {
    coll: Collection<SyncState>,
}

fn date(t: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(t)
}

impl SyncStateStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(SYNC_STATE),
        }
    }

    /// One stream's state, if it ever ran.
    ///
    /// # Errors
    /// A database error.
    pub async fn get(&self, stream: &str) -> Result<Option<SyncState>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": stream }).await?)
    }

    /// Every stream's state.
    ///
    /// # Errors
    /// A database error.
    pub async fn all(&self) -> Result<Vec<SyncState>, StoreError> {
        Ok(self
            .coll
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// Notes that a run started.
    ///
    /// # Errors
    /// A database error.
    pub async fn started(&self, stream: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.coll
            .update_one(
                doc! { "_id": stream },
                doc! { "$set": { "last_started_at": date(at) } },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Records a run that stored its whole window: the cursor moves to the newest event stored
    /// (never backwards) and the next window starts from `run.window_to`.
    ///
    /// # Errors
    /// A database error.
    pub async fn succeeded(
        &self,
        stream: &str,
        run: &LastRun,
        newest: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut update = doc! {
            "$set": {
                "window_end": date(run.window_to),
                "last_success_at": date(run.finished_at),
                "last_run": bson::to_bson(run).map_err(|e| corrupt(e.to_string()))?,
                "consecutive_failures": 0_i64,
                "credentials_refused": false,
            },
            "$unset": { "last_error": "" },
            "$inc": { "total_inserted": run.counters.inserted as i64 },
        };
        if let Some(newest) = newest {
            // `$max` keeps the later of the stored cursor and this run's newest event.
            update.insert("$max", doc! { "cursor": date(newest) });
        }
        self.coll
            .update_one(doc! { "_id": stream }, update)
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Records a failed run: the error is kept (with whether the source refused the credentials),
    /// the streak of failures grows, the cursor and window are not touched. Events the run did
    /// store still count.
    ///
    /// # Errors
    /// A database error.
    pub async fn failed(
        &self,
        stream: &str,
        run: &LastRun,
        error: &str,
        credentials_refused: bool,
    ) -> Result<(), StoreError> {
        self.coll
            .update_one(
                doc! { "_id": stream },
                doc! {
                    "$set": {
                        "last_failure_at": date(run.finished_at),
                        "last_error": error,
                        "last_run": bson::to_bson(run).map_err(|e| corrupt(e.to_string()))?,
                        "credentials_refused": credentials_refused,
                    },
                    "$inc": {
                        "total_inserted": run.counters.inserted as i64,
                        "consecutive_failures": 1_i64,
                    },
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Claims the stream's schedule slot if its last one is at least `interval` old: only one
    /// caller gets `true` per slot, across processes.
    ///
    /// # Errors
    /// A database error.
    pub async fn claim_schedule(
        &self,
        stream: &str,
        now: DateTime<Utc>,
        interval: chrono::Duration,
    ) -> Result<bool, StoreError> {
        // Make sure the document exists, so the conditional update below is the only race.
        self.coll
            .update_one(
                doc! { "_id": stream },
                doc! { "$setOnInsert": { "total_inserted": 0_i64 } },
            )
            .upsert(true)
            .await?;
        let due = doc! {
            "_id": stream,
            "$or": [
                { "scheduled_at": { "$exists": false } },
                { "scheduled_at": { "$lte": date(now - interval) } },
            ],
        };
        let result = self
            .coll
            .update_one(due, doc! { "$set": { "scheduled_at": date(now) } })
            .await?;
        Ok(result.modified_count == 1)
    }
}

fn corrupt(reason: String) -> StoreError {
    StoreError::corrupt(SYNC_STATE, reason)
}
