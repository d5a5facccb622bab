//! The `login_refusals` collection: sign-in attempts the throttle refused, so an operator can see
//! who is being kept out, from where and why. Kept a week after the last refusal.
//!
//! Refused attempts are not rate limited (refusing them is the rate limit), so storing one
//! document per refusal would let anyone grow this collection at request speed. Instead there is
//! one document per throttle key and hour with a counter, and the key is only what tripped the
//! throttle: the address for the address throttle (whatever usernames it tries), the username for
//! the per-username ceiling, both for the pair. A key only exists after enough recorded failures,
//! which are themselves throttled, so this collection grows no faster than `login_failures`.
//!
//! Names are keyed and kept as [`CountedName`]s: a name no administrator has is keyed by its
//! digest and its row keeps no username, so what was typed is never shown.

use super::login_failures::CountedName;
use super::{StoreError, LOGIN_REFUSALS};
use bson::doc;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{ClientNetwork, SignInRefusal, ThrottleReason};
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};

/// How long a key's refusals are kept after its last one.
const KEPT: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefusalDoc {
    /// Hash of the reason, the key and the hour.
    #[serde(rename = "_id")]
    id: String,
    reason: ThrottleReason,
    /// The username of the latest refused attempt; null when no administrator has the name.
    #[serde(default)]
    username: Option<String>,
    /// The client network of the latest refused attempt.
    address: String,
    /// The start of the hour counted.
    hour: bson::DateTime,
    first_at: bson::DateTime,
    last_at: bson::DateTime,
    count: i64,
    /// The wait the latest refusal stated, in seconds.
    retry_after_s: i64,
}

/// Refused attempts under one throttle key within one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusals {
    /// Which throttle refused them.
    pub reason: ThrottleReason,
    /// The username of the latest one; `None` when no administrator has the name it was for,
    /// which is not kept.
    pub username: Option<String>,
    /// The client network of the latest one.
    pub address: String,
    /// The first one in this hour.
    pub first_at: DateTime<Utc>,
    /// The latest one.
    pub last_at: DateTime<Utc>,
    /// How many.
    pub count: u64,
    /// The wait the latest one was told, in seconds.
    pub retry_after_s: u64,
}

/// What the operators' list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalSummary {
    /// Refused attempts in the current hour and the 23 before it.
    pub last_24h: u64,
    /// The most recently refused keys, newest first.
    pub recent: Vec<Refusals>,
}

/// The `login_refusals` collection.
#[derive(Debug, Clone)]
pub struct LoginRefusalStore {
    coll: Collection<RefusalDoc>,
}

fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp();
    Utc.timestamp_opt(seconds - seconds.rem_euclid(3600), 0)
        .single()
        .unwrap_or(at)
}

fn corrupt(reason: impl ToString) -> StoreError {
    StoreError::corrupt(LOGIN_REFUSALS, reason)
}

impl LoginRefusalStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(LOGIN_REFUSALS),
        }
    }

    /// The TTL (which also lists newest first) and the index the 24-hour count reads.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "last_at": 1 })
                    .options(IndexOptions::builder().expire_after(KEPT).build())
                    .build(),
                IndexModel::builder().keys(doc! { "hour": 1 }).build(),
            ])
            .await?;
        Ok(())
    }

    /// Counts a refused attempt for `name` from `address` at `at`.
    ///
    /// # Errors
    /// A database error.
    pub async fn record(
        &self,
        refusal: SignInRefusal,
        name: &CountedName,
        address: &ClientNetwork,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let hour = hour_of(at);
        let (key_user, key_address) = match refusal.reason {
            ThrottleReason::UsernameAndAddress => (name.key(), address.as_str()),
            ThrottleReason::Address => ("", address.as_str()),
            ThrottleReason::Username => (name.key(), ""),
        };
        let id = crate::digest::short_id(&[
            refusal.reason.as_str().as_bytes(),
            key_user.as_bytes(),
            key_address.as_bytes(),
            &hour.timestamp().to_be_bytes(),
        ]);
        let at = bson::DateTime::from_chrono(at);
        let update = doc! {
            "$setOnInsert": {
                "reason": refusal.reason.as_str(),
                "hour": bson::DateTime::from_chrono(hour),
                "first_at": at,
            },
            "$set": {
                "username": name.username(),
                "address": address.as_str(),
                "last_at": at,
                "retry_after_s": i64::try_from(refusal.retry_after_s).unwrap_or(i64::MAX),
            },
            "$inc": { "count": 1_i64 },
        };
        self.coll
            .update_one(doc! { "_id": id }, update)
            .upsert(true)
            .await?;
        Ok(())
    }

    /// How many attempts were refused in the day up to `now`, and the `limit` most recently
    /// refused keys.
    ///
    /// # Errors
    /// A database error, or a stored document of the wrong shape.
    pub async fn summary(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<RefusalSummary, StoreError> {
        let since = bson::DateTime::from_chrono(hour_of(now) - Duration::hours(23));
        let pipeline = [
            doc! { "$match": { "hour": { "$gte": since } } },
            doc! { "$group": { "_id": null, "count": { "$sum": "$count" } } },
        ];
        let mut totals = self.coll.aggregate(pipeline).await?;
        let mut last_24h = 0_u64;
        while let Some(row) = totals.try_next().await? {
            let n = super::reply_count(row.get("count"))
                .ok_or_else(|| corrupt("the refusal count is not a number"))?;
            last_24h += n;
        }
        let docs: Vec<RefusalDoc> = self
            .coll
            .find(doc! {})
            .sort(doc! { "last_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        let recent = docs
            .into_iter()
            .map(|d| Refusals {
                reason: d.reason,
                username: d.username,
                address: d.address,
                first_at: d.first_at.to_chrono(),
                last_at: d.last_at.to_chrono(),
                count: u64::try_from(d.count).unwrap_or(0),
                retry_after_s: u64::try_from(d.retry_after_s).unwrap_or(0),
            })
            .collect();
        Ok(RefusalSummary { last_24h, recent })
    }

    /// Forgets the names other than `admins` that earlier versions kept as they were typed: the
    /// rows of an address throttle keep their count without the name; rows keyed by such a name
    /// (their id is an unkeyed digest of it) are removed. Returns how many rows changed.
    ///
    /// # Errors
    /// A database error.
    pub async fn forget_names_other_than(&self, admins: &[String]) -> Result<u64, StoreError> {
        let unknown = doc! { "username": { "$nin": admins, "$ne": null } };
        let mut keyed_by_name = unknown.clone();
        keyed_by_name.insert("reason", doc! { "$ne": ThrottleReason::Address.as_str() });
        let removed = self.coll.delete_many(keyed_by_name).await?.deleted_count;
        let hidden = self
            .coll
            .update_many(unknown, doc! { "$set": { "username": null } })
            .await?
            .modified_count;
        Ok(removed + hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_by_the_hour_they_happen_in() {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 59, 59).unwrap();
        assert_eq!(
            hour_of(at),
            Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap()
        );
        assert_eq!(hour_of(hour_of(at)), hour_of(at));
    }
}
