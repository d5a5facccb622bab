//! The `rejects` collection: source records that could not be normalised, kept with the reason,
//! where they came from and the raw input, so nothing is dropped silently and an operator can see
//! what the source sent. The same record rejected again (every overlapping sync sees it) is one
//! document with a counter, keyed by a hash of its stream and payload.

use super::{StoreError, REJECTS};
use bson::{doc, Bson};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};

/// One rejected record, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectDoc {
    /// Hash of the stream and the raw payload.
    #[serde(rename = "_id")]
    pub id: String,
    /// The stream it came from (`acme/jira/audit`).
    pub stream: String,
    /// Why it was refused.
    pub reason: String,
    /// The record as the source sent it.
    pub raw: Bson,
    /// When it was first refused.
    pub first_seen: bson::DateTime,
    /// When it was last refused.
    pub last_seen: bson::DateTime,
    /// How many runs refused it.
    pub seen_count: i64,
    /// Where in its file it was, for an imported record (`audit.csv line 12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// A record to quarantine.
#[derive(Debug, Clone)]
pub struct Reject {
    /// The stream it came from.
    pub stream: String,
    /// Why it was refused.
    pub reason: String,
    /// The record as the source sent it, in a form BSON can take (see [`Reject::new`]).
    raw: serde_json::Value,
    /// Where in its file it was, for an imported record.
    origin: Option<String>,
}

impl Reject {
    /// A reject of `raw` from `stream`. A record nested deeper than
    /// [`pipeline::nesting::MAX_DEPTH`] is kept as the start of its JSON text, because converting
    /// it to BSON would recurse once per level; every reject is built here so none escapes that.
    pub fn new(stream: String, reason: String, raw: serde_json::Value) -> Self {
        Self {
            stream,
            reason,
            raw: pipeline::nesting::storable(raw),
            origin: None,
        }
    }

    /// The same reject, saying where in its file the record was (`audit.csv line 12`).
    pub fn at(mut self, origin: String) -> Self {
        self.origin = Some(origin);
        self
    }
}

/// The `rejects` collection.
#[derive(Debug, Clone)]
pub struct RejectStore {
    coll: Collection<RejectDoc>,
}

impl RejectStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(REJECTS),
        }
    }

    /// Index for listing a stream's rejects, newest first.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "stream": 1, "last_seen": -1 })
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Stores each reject once (repeats bump the counter).
    ///
    /// # Errors
    /// A database error.
    pub async fn record(&self, rejects: &[Reject], now: DateTime<Utc>) -> Result<(), StoreError> {
        if rejects.is_empty() {
            return Ok(());
        }
        let now = bson::DateTime::from_chrono(now);
        // One round trip per reject keeps this within what every MongoDB-wire server supports;
        // rejects are rare by nature.
        for r in rejects {
            let id = crate::digest::short_id(&[r.stream.as_bytes(), r.raw.to_string().as_bytes()]);
            let mut set = doc! { "reason": &r.reason, "last_seen": now };
            if let Some(origin) = &r.origin {
                set.insert("origin", origin);
            }
            let update = doc! {
                "$setOnInsert": {
                    "stream": &r.stream,
                    "raw": bson::to_bson(&r.raw).unwrap_or(Bson::Null),
                    "first_seen": now,
                },
                "$set": set,
                "$inc": { "seen_count": 1_i64 },
            };
            self.coll
                .update_one(doc! { "_id": id }, update)
                .upsert(true)
                .await?;
        }
        Ok(())
    }

    /// The newest rejects of a stream (all streams when `None`).
    ///
    /// # Errors
    /// A database error.
    pub async fn recent(
        &self,
        stream: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RejectDoc>, StoreError> {
        let filter = match stream {
            Some(s) => doc! { "stream": s },
            None => doc! {},
        };
        Ok(self
            .coll
            .find(filter)
            .sort(doc! { "last_seen": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// How many distinct records a stream has had refused.
    ///
    /// # Errors
    /// A database error.
    pub async fn count(&self, stream: &str) -> Result<u64, StoreError> {
        Ok(self.coll.count_documents(doc! { "stream": stream }).await?)
    }
}
