//! The `deliveries` collection: one document per (alert event, destination) or (incident timeline
//! entry, destination) — the delivery log. Its id is derived from the alert or entry, the
//! destination and what is being told (opened, escalated to a severity, reopened, resolved), so
//! queueing the same notification again finds the document that exists; it is
//! also the idempotency key every attempt sends (`webhook-id`). Each attempt is appended with its
//! outcome, status code and time.

use super::{StoreError, DELIVERIES};
use bson::doc;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Queued, not yet attempted or waiting to retry.
    Pending,
    /// The destination answered 2xx.
    Delivered,
    /// Given up: a permanent refusal or attempts exhausted.
    Failed,
    /// The destination answered 410 and was disabled.
    Gone,
}

impl DeliveryStatus {
    /// The stored and shown name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Gone => "gone",
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it was made.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
    /// `delivered`, `retry`, `gone` or `failed`.
    pub outcome: String,
    /// The HTTP status, if there was an answer.
    pub status_code: Option<u16>,
    /// What happened, in words.
    pub detail: String,
    /// How long it took.
    pub duration_ms: u64,
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The idempotency key.
    #[serde(rename = "_id")]
    pub id: String,
    /// The alert (absent for a test message; for an incident event, the alert that caused it).
    pub alert_id: Option<String>,
    /// The incident, for an incident event (`incident.opened`, …).
    #[serde(default)]
    pub incident_id: Option<String>,
    /// The destination.
    pub destination_id: String,
    /// `alert.opened`, `alert.escalated`, `incident.opened`, `incident.reopened`,
    /// `incident.resolved` or `test`.
    pub event: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Every attempt, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// What the destination called it (a Jira issue key).
    #[serde(default)]
    pub remote_ref: Option<String>,
    /// When it was queued.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub created_at: DateTime<Utc>,
}

/// What a delivery tells of: an alert, an incident and the alert that caused its event, or
/// nothing (a test message).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct About<'a> {
    /// The alert.
    pub alert: Option<&'a str>,
    /// The incident.
    pub incident: Option<&'a str>,
}

/// The `deliveries` collection.
#[derive(Debug, Clone)]
pub struct DeliveryStore {
    coll: Collection<Delivery>,
}

impl DeliveryStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(DELIVERIES),
        }
    }

    /// Creates the log's indexes.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = crate::named_index;
        self.coll
            .create_indexes([
                idx(
                    doc! { "destination_id": 1, "created_at": -1 },
                    "destination_newest",
                ),
                idx(doc! { "alert_id": 1, "created_at": 1 }, "alert_oldest"),
                idx(
                    doc! { "incident_id": 1, "created_at": 1 },
                    "incident_oldest",
                ),
            ])
            .await?;
        Ok(())
    }

    /// Stores a pending delivery unless one with its id exists; returns whether it was new.
    ///
    /// # Errors
    /// A database error.
    pub async fn create(
        &self,
        id: &str,
        about: About<'_>,
        destination_id: &str,
        event: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let d = Delivery {
            id: id.to_owned(),
            alert_id: about.alert.map(str::to_owned),
            incident_id: about.incident.map(str::to_owned),
            destination_id: destination_id.to_owned(),
            event: event.to_owned(),
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            remote_ref: None,
            created_at: now,
        };
        match self.coll.insert_one(d).await {
            Ok(_) => Ok(true),
            Err(e) if jobs::is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// One delivery.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn get(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": id }).await?)
    }

    /// Appends an attempt and sets the status (and the remote reference, when there is one).
    ///
    /// # Errors
    /// A database error.
    pub async fn attempted(
        &self,
        id: &str,
        attempt: &Attempt,
        status: DeliveryStatus,
        remote_ref: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut set = doc! { "status": status.as_str() };
        if let Some(r) = remote_ref {
            set.insert("remote_ref", r);
        }
        let attempt = bson::to_bson(attempt).map_err(|e| StoreError::corrupt(DELIVERIES, e))?;
        self.coll
            .update_one(
                doc! { "_id": id },
                doc! { "$set": set, "$push": { "attempts": attempt } },
            )
            .await?;
        Ok(())
    }

    /// Puts a delivery back to pending, for "resend"; returns whether it exists.
    ///
    /// # Errors
    /// A database error.
    pub async fn reopen(&self, id: &str) -> Result<bool, StoreError> {
        let r = self
            .coll
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "status": DeliveryStatus::Pending.as_str() } },
            )
            .await?;
        Ok(r.matched_count > 0)
    }

    /// The newest deliveries to a destination.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn for_destination(&self, id: &str, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        Ok(self
            .coll
            .find(doc! { "destination_id": id })
            .sort(doc! { "destination_id": 1, "created_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// An alert's deliveries, oldest first.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn for_alert(&self, alert_id: &str) -> Result<Vec<Delivery>, StoreError> {
        Ok(self
            .coll
            .find(doc! { "alert_id": alert_id })
            .sort(doc! { "alert_id": 1, "created_at": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// An incident's deliveries (its opening, reopenings and resolution), oldest first.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn for_incident(&self, incident_id: &str) -> Result<Vec<Delivery>, StoreError> {
        Ok(self
            .coll
            .find(doc! { "incident_id": incident_id })
            .sort(doc! { "incident_id": 1, "created_at": 1 })
            .await?
            .try_collect()
            .await?)
    }
}
