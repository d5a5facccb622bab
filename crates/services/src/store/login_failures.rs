//! The `login_failures` collection: one document per failed sign-in, kept a day, from which the
//! throttle counts recent failures per username and per client address. It lives in the database
//! (not in memory) so a restart does not reset it and several processes share it.

use super::{StoreError, LOGIN_FAILURES};
use bson::doc;
use chrono::{DateTime, Utc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FailureDoc {
    username: String,
    ip: String,
    at: bson::DateTime,
}

/// The `login_failures` collection.
#[derive(Debug, Clone)]
pub struct LoginFailureStore {
    coll: Collection<FailureDoc>,
}

/// Which key a throttle count is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKey<'a> {
    /// A normalised username.
    Username(&'a str),
    /// A client address.
    Ip(&'a str),
}

impl LoginFailureStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(LOGIN_FAILURES),
        }
    }

    /// Indexes for both counts, and a one-day TTL.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "username": 1, "at": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "ip": 1, "at": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "at": 1 })
                    .options(
                        IndexOptions::builder()
                            .expire_after(Duration::from_secs(86_400))
                            .build(),
                    )
                    .build(),
            ])
            .await?;
        Ok(())
    }

    /// Records a failure.
    ///
    /// # Errors
    /// A database error.
    pub async fn record(
        &self,
        username: &str,
        ip: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let failure = FailureDoc {
            username: username.to_owned(),
            ip: ip.to_owned(),
            at: bson::DateTime::from_chrono(at),
        };
        self.coll.insert_one(failure).await?;
        Ok(())
    }

    /// The time of the `nth` most recent failure (1-based) for `key` strictly after `since`, if there
    /// were that many. The throttle lifts when that failure leaves the window.
    ///
    /// # Errors
    /// A database error.
    pub async fn nth_latest_since(
        &self,
        key: FailureKey<'_>,
        since: DateTime<Utc>,
        nth: u64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (field, value) = match key {
            FailureKey::Username(u) => ("username", u),
            FailureKey::Ip(ip) => ("ip", ip),
        };
        let found = self
            .coll
            .find_one(doc! { field: value, "at": { "$gt": bson::DateTime::from_chrono(since) } })
            .sort(doc! { field: 1, "at": -1 })
            .skip(nth.saturating_sub(1))
            .await?;
        Ok(found.map(|f| f.at.to_chrono()))
    }

    /// Forgets a username's failures (after a successful sign-in).
    ///
    /// # Errors
    /// A database error.
    pub async fn clear_username(&self, username: &str) -> Result<(), StoreError> {
        self.coll.delete_many(doc! { "username": username }).await?;
        Ok(())
    }
}
