//! The `destinations` collection: where alerts are sent (Slack, a Jira project, a signed webhook,
//! syslog). The settings a page may show are stored as they are; the secret (a Slack webhook URL,
//! a token, a signing secret) is sealed with the encryption key and never read back in full by a
//! page. A destination answering `410 Gone` is disabled with the reason.

use super::{StoreError, DESTINATIONS};
use crate::crypto::KeyRing;
use bson::{doc, Document};
use chrono::{DateTime, Utc};
use domain::Severity;
use futures::TryStreamExt;
use mongodb::Collection;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Associated data of a destination secret's ciphertext.
const SECRET_FIELD: &str = "destination.secret";

/// A destination as stored (its secret still sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDestination {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `slack`, `jira`, `webhook` or `syslog`.
    pub kind: String,
    /// Settings without secrets.
    pub settings: serde_json::Value,
    /// The sealed secret.
    sealed: Option<String>,
    /// Alerts at or above this severity come here whatever their rule says.
    pub default_min_severity: Option<Severity>,
    /// Whether incident events (opened, reopened, resolved) come here too, not only alerts.
    pub incident_events: bool,
    /// Whether it is sent to.
    pub enabled: bool,
    /// Why it was disabled, when it was (e.g. it answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
}

impl StoredDestination {
    /// Opens the secret with `keys`.
    ///
    /// # Errors
    /// A ciphertext the keys cannot open.
    pub fn secret(&self, keys: &KeyRing) -> Result<Option<SecretString>, StoreError> {
        self.sealed
            .as_deref()
            .map(|c| {
                keys.decrypt(SECRET_FIELD, c)
                    .map(SecretString::from)
                    .map_err(|e| StoreError::corrupt(DESTINATIONS, e))
            })
            .transpose()
    }

    /// Whether an alert of `severity` comes here by default.
    pub fn takes_by_default(&self, severity: Severity) -> bool {
        self.default_min_severity.is_some_and(|min| severity >= min)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DestinationDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    kind: String,
    settings: Document,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    default_min_severity: Option<Severity>,
    #[serde(default)]
    incident_events: bool,
    enabled: bool,
    #[serde(default)]
    disabled_reason: Option<String>,
    created_at: bson::DateTime,
    #[serde(default)]
    created_by: String,
}

impl TryFrom<DestinationDoc> for StoredDestination {
    type Error = StoreError;
    fn try_from(d: DestinationDoc) -> Result<Self, StoreError> {
        Ok(Self {
            id: d.id,
            name: d.name,
            kind: d.kind,
            settings: serde_json::to_value(&d.settings)
                .map_err(|e| StoreError::corrupt(DESTINATIONS, e))?,
            sealed: d.secret,
            default_min_severity: d.default_min_severity,
            incident_events: d.incident_events,
            enabled: d.enabled,
            disabled_reason: d.disabled_reason,
            created_at: d.created_at.to_chrono(),
            created_by: d.created_by,
        })
    }
}

/// A destination to store.
#[derive(Debug, Clone)]
pub struct NewDestination {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Settings without secrets.
    pub settings: serde_json::Value,
    /// The secret, sealed before it is stored.
    pub secret: Option<SecretString>,
    /// The default severity it takes.
    pub default_min_severity: Option<Severity>,
    /// Whether it hears of incidents opened, reopened and resolved.
    pub incident_events: bool,
    /// Who creates it.
    pub created_by: String,
}

/// The `destinations` collection.
#[derive(Debug, Clone)]
pub struct DestinationStore {
    coll: Collection<DestinationDoc>,
}

impl DestinationStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(DESTINATIONS),
        }
    }

    /// Stores a new destination, sealing its secret; returns `false` when the id is taken.
    ///
    /// # Errors
    /// A database error, or settings that are not a JSON object.
    pub async fn create(
        &self,
        d: &NewDestination,
        keys: &KeyRing,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let settings =
            bson::to_document(&d.settings).map_err(|e| StoreError::corrupt(DESTINATIONS, e))?;
        let doc = DestinationDoc {
            id: d.id.clone(),
            name: d.name.clone(),
            kind: d.kind.clone(),
            settings,
            secret: d
                .secret
                .as_ref()
                .map(|s| keys.encrypt(SECRET_FIELD, s.expose_secret())),
            default_min_severity: d.default_min_severity,
            incident_events: d.incident_events,
            enabled: true,
            disabled_reason: None,
            created_at: bson::DateTime::from_chrono(now),
            created_by: d.created_by.clone(),
        };
        match self.coll.insert_one(doc).await {
            Ok(_) => Ok(true),
            Err(e) if jobs::is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Every destination, by name.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn all(&self) -> Result<Vec<StoredDestination>, StoreError> {
        let docs: Vec<DestinationDoc> = self
            .coll
            .find(doc! {})
            .sort(doc! { "name": 1 })
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(StoredDestination::try_from).collect()
    }

    /// One destination.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn get(&self, id: &str) -> Result<Option<StoredDestination>, StoreError> {
        self.coll
            .find_one(doc! { "_id": id })
            .await?
            .map(StoredDestination::try_from)
            .transpose()
    }

    /// Switches a destination off (with why) or on again.
    ///
    /// # Errors
    /// A database error.
    pub async fn set_enabled(
        &self,
        id: &str,
        enabled: bool,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let r = self
            .coll
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "enabled": enabled, "disabled_reason": reason } },
            )
            .await?;
        Ok(r.matched_count > 0)
    }

    /// Chooses whether incident events come to a destination; returns whether it exists.
    ///
    /// # Errors
    /// A database error.
    pub async fn set_incident_events(&self, id: &str, on: bool) -> Result<bool, StoreError> {
        let r = self
            .coll
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "incident_events": on } },
            )
            .await?;
        Ok(r.matched_count > 0)
    }

    /// Deletes a destination.
    ///
    /// # Errors
    /// A database error.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .coll
            .delete_one(doc! { "_id": id })
            .await?
            .deleted_count
            > 0)
    }
}
