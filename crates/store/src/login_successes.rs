//! The `login_successes` collection: where each administrator has signed in from. One document
//! per username and client network ([`ClientNetwork`], the throttle's grouping of addresses) with
//! the first and the latest successful sign-in there, removed 30 days after the latest.
//!
//! The throttle reads it to tell the places an administrator signs in from, which the
//! per-username ceiling does not apply to, from everywhere else (see
//! the facade's `auth::throttle`). Only names that signed in are written, so every document names an
//! existing administrator.

use super::{is_duplicate_key, StoreError, LOGIN_SUCCESSES};
use bson::doc;
use chrono::{DateTime, Utc};
use domain::ClientNetwork;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a place stays known after the latest successful sign-in there.
pub const KEPT: Duration = Duration::from_secs(30 * 86_400);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SuccessDoc {
    /// The administrator's normalised username.
    username: String,
    /// The client network.
    address: String,
    first_at: bson::DateTime,
    last_at: bson::DateTime,
}

/// The `login_successes` collection.
#[derive(Debug, Clone)]
pub struct LoginSuccessStore {
    coll: Collection<SuccessDoc>,
}

impl LoginSuccessStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(LOGIN_SUCCESSES),
        }
    }

    /// One document per username and network, found by both, and the 30-day TTL.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "username": 1, "address": 1 })
                    .options(IndexOptions::builder().unique(true).build())
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "last_at": 1 })
                    .options(IndexOptions::builder().expire_after(KEPT).build())
                    .build(),
            ])
            .await?;
        Ok(())
    }

    /// Records that `username` (an administrator's) signed in from `address` at `at`.
    ///
    /// # Errors
    /// A database error.
    pub async fn record(
        &self,
        username: &str,
        address: &ClientNetwork,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let filter = doc! { "username": username, "address": address.as_str() };
        let at = bson::DateTime::from_chrono(at);
        let update = doc! {
            "$min": { "first_at": at },
            "$max": { "last_at": at },
        };
        // Two sign-ins racing to create the document: one inserts, the other's upsert fails on
        // the unique index and, tried again, updates what the first inserted.
        for attempt in 0..2 {
            match self
                .coll
                .update_one(filter.clone(), update.clone())
                .upsert(true)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if attempt == 0 && is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Whether `username` signed in from `address` strictly after `since`.
    ///
    /// # Errors
    /// A database error.
    pub async fn signed_in_since(
        &self,
        username: &str,
        address: &ClientNetwork,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "username": username,
            "address": address.as_str(),
            "last_at": { "$gt": bson::DateTime::from_chrono(since) },
        };
        Ok(self.coll.find_one(filter).await?.is_some())
    }
}
