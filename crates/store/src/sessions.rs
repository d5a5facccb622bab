//! The `sessions` collection: a [`tower_sessions::SessionStore`] on MongoDB, so sign-ins survive a
//! restart. Documents are keyed by a SHA-256 digest of the session id — someone who can read the
//! database still cannot present a live cookie — and removed by a TTL index at their expiry.

use super::{is_duplicate_key, StoreError, SESSIONS};
use async_trait::async_trait;
use bson::doc;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionDoc {
    #[serde(rename = "_id")]
    key: String,
    data: HashMap<String, serde_json::Value>,
    expires_at: bson::DateTime,
}

/// Sessions stored in MongoDB.
#[derive(Debug, Clone)]
pub struct MongoSessionStore {
    coll: Collection<SessionDoc>,
}

fn key_of(id: &Id) -> String {
    crate::digest::hex(&Sha256::digest(id.to_string().as_bytes()))
}

fn to_bson_time(t: time::OffsetDateTime) -> bson::DateTime {
    let millis = t.unix_timestamp_nanos() / 1_000_000;
    bson::DateTime::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}

fn from_bson_time(t: bson::DateTime) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.timestamp_millis()) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl MongoSessionStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(SESSIONS),
        }
    }

    /// The TTL index that removes expired sessions.
    ///
    /// # Errors
    /// When the server refuses the index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let ttl = IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(IndexOptions::builder().expire_after(Duration::ZERO).build())
            .build();
        self.coll.create_index(ttl).await?;
        Ok(())
    }

    fn doc_of(record: &Record) -> SessionDoc {
        SessionDoc {
            key: key_of(&record.id),
            data: record.data.clone(),
            expires_at: to_bson_time(record.expiry_date),
        }
    }
}

#[async_trait]
impl SessionStore for MongoSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            match self.coll.insert_one(Self::doc_of(record)).await {
                Ok(_) => return Ok(()),
                // A 128-bit id collision: draw another.
                Err(e) if is_duplicate_key(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let doc = Self::doc_of(record);
        self.coll
            .replace_one(doc! { "_id": &doc.key }, &doc)
            .upsert(true)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        // The TTL monitor runs about once a minute, so expiry is also checked here.
        let found = self
            .coll
            .find_one(doc! { "_id": key_of(id), "expires_at": { "$gt": bson::DateTime::now() } })
            .await
            .map_err(backend)?;
        Ok(found.map(|d| Record {
            id: *id,
            data: d.data,
            expiry_date: from_bson_time(d.expires_at),
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.coll
            .delete_one(doc! { "_id": key_of(id) })
            .await
            .map_err(backend)?;
        Ok(())
    }
}
