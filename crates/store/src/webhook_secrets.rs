//! The `webhook_secrets` collection: per deployment, the secret Atlassian's organization
//! audit-log webhook sends in its `Authorization` header. Sealed with the encryption key, never
//! shown again after it is created; each delivery is checked against it in constant time.

use super::{StoreError, WEBHOOK_SECRETS};
use crate::crypto::KeyRing;
use bson::doc;
use chrono::{DateTime, Utc};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

/// Associated data of the secret's ciphertext.
const SECRET_FIELD: &str = "webhook.secret";

/// One deployment's webhook secret, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSecretDoc {
    /// The deployment.
    #[serde(rename = "_id")]
    pub deployment: String,
    /// The whole `Authorization` header value Atlassian sends, sealed.
    sealed: String,
    /// Who set it.
    pub created_by: String,
    /// When.
    pub created_at: bson::DateTime,
    /// The last delivery it accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_received_at: Option<bson::DateTime>,
}

impl WebhookSecretDoc {
    /// Whether `header` is the configured `Authorization` value (compared in constant time).
    ///
    /// # Errors
    /// A ciphertext the keys cannot open.
    pub fn matches(&self, keys: &KeyRing, header: &str) -> Result<bool, StoreError> {
        let expected = keys
            .decrypt(SECRET_FIELD, &self.sealed)
            .map_err(|e| StoreError::corrupt(WEBHOOK_SECRETS, e))?;
        let (a, b) = (expected.as_bytes(), header.trim().as_bytes());
        let same_len = a.len() == b.len();
        let diff = a
            .iter()
            .zip(b.iter().chain(std::iter::repeat(&0)))
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        Ok(same_len && diff == 0)
    }
}

/// The `webhook_secrets` collection.
#[derive(Debug, Clone)]
pub struct WebhookSecretStore {
    coll: Collection<WebhookSecretDoc>,
}

impl WebhookSecretStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(WEBHOOK_SECRETS),
        }
    }

    /// Sets (or replaces) the `Authorization` header value of `deployment`'s webhook.
    ///
    /// # Errors
    /// A database error.
    pub async fn set(
        &self,
        keys: &KeyRing,
        deployment: &str,
        authorization: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let doc = WebhookSecretDoc {
            deployment: deployment.to_owned(),
            sealed: keys.encrypt(SECRET_FIELD, authorization.trim()),
            created_by: by.to_owned(),
            created_at: bson::DateTime::from_chrono(now),
            last_received_at: None,
        };
        self.coll
            .replace_one(doc! { "_id": deployment }, &doc)
            .upsert(true)
            .await?;
        Ok(())
    }

    /// The secret of `deployment`, if one is set.
    ///
    /// # Errors
    /// A database error.
    pub async fn get(&self, deployment: &str) -> Result<Option<WebhookSecretDoc>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": deployment }).await?)
    }

    /// Notes an accepted delivery.
    ///
    /// # Errors
    /// A database error.
    pub async fn received(&self, deployment: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.coll
            .update_one(
                doc! { "_id": deployment },
                doc! { "$set": { "last_received_at": bson::DateTime::from_chrono(now) } },
            )
            .await?;
        Ok(())
    }
}
