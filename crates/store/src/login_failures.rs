//! The `login_failures` collection: one document per failed sign-in (the [`CountedName`], client
//! network, time), kept a day, from which the throttle counts recent failures per name and
//! network, per network and per name. It lives in the database (not in memory) so a restart does
//! not reset it and several processes share it.
//!
//! An attempt is recorded *before* its password is checked and forgotten again if it is refused or
//! succeeds: the throttle then re-counts without it, so attempts racing in parallel see each other
//! and a burst gets no more password checks than the same attempts one at a time would.
//!
//! A name no administrator has is stored only as a keyed digest ([`CountedName`]): people type
//! passwords into the username field, and what they typed must not sit in the database.
//!
//! Every read is bounded: the throttle only needs as many of a key's newest failures as can still
//! lengthen its wait, so a flood of failures never turns into a long scan.

use super::{StoreError, LOGIN_FAILURES};
use crate::crypto::KeyRing;
use bson::oid::ObjectId;
use bson::{doc, Document};
use chrono::{DateTime, Utc};
use domain::ClientNetwork;
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The name a sign-in attempt is counted under: an administrator's username as it is, any other
/// name only as a keyed digest of it.
///
/// Every typed name is counted, so guesses at a name that does not exist are throttled like
/// guesses at one that does and the throttle does not tell which names exist. But what was typed
/// may be a password in the wrong field, so a name no account has is never stored, logged or
/// shown: it is counted under `#` and 16 hex digits of [`KeyRing::pseudonym`] (no username can
/// start with `#`), and shown as [`domain::sign_in::UNKNOWN_USER`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedName {
    key: String,
    admin: bool,
}

impl CountedName {
    /// The field the digest of an unknown name is keyed for.
    const DIGEST_FIELD: &'static str = "login.username";

    /// An existing administrator, by normalised username.
    pub fn admin(username: &str) -> Self {
        Self {
            key: username.to_owned(),
            admin: true,
        }
    }

    /// A name no administrator has, as typed (normalised), counted under a digest keyed with
    /// `keys`. A new encryption key changes the digests, which only restarts these counts.
    pub fn unknown(keys: &KeyRing, typed: &str) -> Self {
        Self {
            key: format!("#{}", keys.pseudonym(Self::DIGEST_FIELD, typed)),
            admin: false,
        }
    }

    /// What failures and refusals are counted under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The administrator's username; `None` for a name no account has.
    pub fn username(&self) -> Option<&str> {
        self.admin.then_some(self.key.as_str())
    }

    /// What logs and the operators' list show: the username, or
    /// [`domain::sign_in::UNKNOWN_USER`].
    pub fn shown(&self) -> &str {
        self.username().unwrap_or(domain::sign_in::UNKNOWN_USER)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FailureDoc {
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    id: Option<ObjectId>,
    /// [`CountedName::key`].
    username: String,
    /// The client network ([`ClientNetwork`]). Documents of earlier versions have `ip` instead.
    #[serde(default)]
    address: String,
    at: bson::DateTime,
}

/// One key's failures inside the window, as far as the store read them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecentFailures {
    /// How many (at most what was read).
    pub count: u64,
    /// When the newest happened.
    pub latest: Option<DateTime<Utc>>,
}

/// One recorded failure (or attempt not yet decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureId(ObjectId);

/// Indexes of earlier versions, dropped at start-up.
const RETIRED_INDEXES: &[&str] = &["ip_1_at_-1"];

/// The `login_failures` collection.
#[derive(Debug, Clone)]
pub struct LoginFailureStore {
    coll: Collection<FailureDoc>,
}

/// Which failures a count is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKey<'a> {
    /// A name, from any network.
    Username(&'a CountedName),
    /// A client network, any name.
    Address(&'a ClientNetwork),
    /// A name from one client network.
    UsernameAndAddress(&'a CountedName, &'a ClientNetwork),
}

impl FailureKey<'_> {
    /// The filter and the matching index order for this key's failures after `since`, other than
    /// `except`.
    fn query(&self, since: DateTime<Utc>, except: Option<&FailureId>) -> (Document, Document) {
        let after = doc! { "$gt": bson::DateTime::from_chrono(since) };
        let (mut filter, order) = match *self {
            FailureKey::Username(u) => (
                doc! { "username": u.key(), "at": after },
                doc! { "username": 1, "at": -1 },
            ),
            FailureKey::Address(a) => (
                doc! { "address": a.as_str(), "at": after },
                doc! { "address": 1, "at": -1 },
            ),
            FailureKey::UsernameAndAddress(u, a) => (
                doc! { "username": u.key(), "address": a.as_str(), "at": after },
                doc! { "username": 1, "address": 1, "at": -1 },
            ),
        };
        if let Some(FailureId(id)) = except {
            filter.insert("_id", doc! { "$ne": id });
        }
        (filter, order)
    }
}

impl LoginFailureStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(LOGIN_FAILURES),
        }
    }

    /// Indexes for the three counts, and a one-day TTL.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "username": 1, "address": 1, "at": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "username": 1, "at": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "address": 1, "at": -1 })
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
        for name in RETIRED_INDEXES {
            if let Err(e) = self.coll.drop_index(*name).await {
                // 27 IndexNotFound: never created here, or already dropped.
                let absent = matches!(e.kind.as_ref(), mongodb::error::ErrorKind::Command(c) if c.code == 27);
                if !absent {
                    return Err(e.into());
                }
            }
        }
        Ok(())
    }

    /// Records a failure (an attempt about to be checked is recorded as one until it is decided).
    ///
    /// # Errors
    /// A database error.
    pub async fn record(
        &self,
        name: &CountedName,
        address: &ClientNetwork,
        at: DateTime<Utc>,
    ) -> Result<FailureId, StoreError> {
        let id = ObjectId::new();
        let failure = FailureDoc {
            id: Some(id),
            username: name.key().to_owned(),
            address: address.as_str().to_owned(),
            at: bson::DateTime::from_chrono(at),
        };
        self.coll.insert_one(failure).await?;
        Ok(FailureId(id))
    }

    /// Forgets one recorded attempt (it was refused, so it is not a failure).
    ///
    /// # Errors
    /// A database error.
    pub async fn forget(&self, id: &FailureId) -> Result<(), StoreError> {
        self.coll.delete_one(doc! { "_id": id.0 }).await?;
        Ok(())
    }

    /// How many failures `key` had strictly after `since` other than `except`, counting no further
    /// than `limit`, and when the newest was.
    ///
    /// # Errors
    /// A database error.
    pub async fn recent(
        &self,
        key: FailureKey<'_>,
        since: DateTime<Utc>,
        except: Option<&FailureId>,
        limit: u64,
    ) -> Result<RecentFailures, StoreError> {
        let (filter, order) = key.query(since, except);
        let times: Vec<Document> = self
            .coll
            .clone_with_type::<Document>()
            .find(filter)
            .sort(order)
            .projection(doc! { "_id": 0, "at": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?
            .try_collect()
            .await?;
        let latest = match times.first() {
            Some(d) => Some(d.get_datetime("at").map_err(|e| StoreError::Corrupt {
                collection: LOGIN_FAILURES,
                reason: e.to_string(),
            })?),
            None => None,
        };
        Ok(RecentFailures {
            count: times.len() as u64,
            latest: latest.map(|at| at.to_chrono()),
        })
    }

    /// The time of the `nth` most recent failure (1-based) for `key` strictly after `since` other
    /// than `except`, if there were that many: a ceiling of `nth` lifts when that failure leaves
    /// the window.
    ///
    /// # Errors
    /// A database error.
    pub async fn nth_latest_since(
        &self,
        key: FailureKey<'_>,
        since: DateTime<Utc>,
        except: Option<&FailureId>,
        nth: u64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (filter, order) = key.query(since, except);
        let found = self
            .coll
            .find_one(filter)
            .sort(order)
            .skip(nth.saturating_sub(1))
            .await?;
        Ok(found.map(|f| f.at.to_chrono()))
    }

    /// Forgets a name's failures from one network (after it signed in from there): they were
    /// that person's own typos, so they count against neither the username nor the network.
    ///
    /// # Errors
    /// A database error.
    pub async fn clear(
        &self,
        name: &CountedName,
        address: &ClientNetwork,
    ) -> Result<(), StoreError> {
        self.coll
            .delete_many(doc! { "username": name.key(), "address": address.as_str() })
            .await?;
        Ok(())
    }

    /// Forgets every failure of a username (after its password was reset on the server).
    ///
    /// # Errors
    /// A database error.
    pub async fn clear_username(&self, username: &str) -> Result<(), StoreError> {
        self.coll.delete_many(doc! { "username": username }).await?;
        Ok(())
    }

    /// Forgets the failures of every name but `admins`: earlier versions stored names no account
    /// has as they were typed. Returns how many were forgotten.
    ///
    /// # Errors
    /// A database error.
    pub async fn forget_names_other_than(&self, admins: &[String]) -> Result<u64, StoreError> {
        let result = self
            .coll
            .delete_many(doc! { "username": { "$nin": admins } })
            .await?;
        Ok(result.deleted_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_no_admin_has_is_counted_under_a_keyed_digest_that_no_username_can_be() {
        let keys = KeyRing::new(&[1; 32], &[]);
        let typed = "my secret password";
        let unknown = CountedName::unknown(&keys, typed);
        assert!(unknown.key().starts_with('#') && unknown.key().len() == 17);
        assert!(!unknown.key().contains("secret"));
        assert_eq!(unknown.username(), None);
        assert_eq!(unknown.shown(), domain::sign_in::UNKNOWN_USER);
        assert_eq!(
            CountedName::unknown(&keys, " My Secret Password "),
            unknown,
            "typed names are counted normalised"
        );
        assert_ne!(
            CountedName::unknown(&KeyRing::new(&[2; 32], &[]), typed),
            unknown,
            "the digest depends on the key"
        );
        let admin = CountedName::admin("admin");
        assert_eq!(
            (admin.key(), admin.username(), admin.shown()),
            ("admin", Some("admin"), "admin")
        );
    }
}
