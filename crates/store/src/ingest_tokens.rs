//! The `ingest_tokens` collection: bearer tokens for `POST /api/ingest/events`, and
//! `ingest_calls`, the record of every call made with one (never the body).
//!
//! A token is 32 random bytes shown once; only its SHA-256 is stored. A fast hash is right here,
//! unlike for passwords: the token has 256 bits of entropy, so there is nothing to guess, and
//! every API call looks one up. Each token is bound to one deployment and one source, and can be
//! revoked or can expire; either ends it at once.

use super::{StoreError, INGEST_CALLS, INGEST_TOKENS};
use bson::doc;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// What every token starts with, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "atl_ingest_";

/// One token, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenDoc {
    /// The token's id (24 hexadecimal digits): what the Tokens page and the call log name.
    #[serde(rename = "_id")]
    pub id: String,
    /// Its name, unique: what it is for (`okta-prod`).
    pub name: String,
    /// The SHA-256 of the token, hexadecimal.
    pub hash: String,
    /// The first characters of the token, to recognise it by.
    pub hint: String,
    /// The deployment it may write to.
    pub deployment: String,
    /// The source its events are filed under.
    pub source: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: bson::DateTime,
    /// When it stops working, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<bson::DateTime>,
    /// When it was revoked, and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<bson::DateTime>,
    /// Who revoked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// The last call made with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<bson::DateTime>,
}

/// Whether a token works at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// It works.
    Active,
    /// It was revoked.
    Revoked,
    /// It expired.
    Expired,
}

impl TokenDoc {
    /// Its state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|e| e.to_chrono() <= now) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }
}

/// One call made with a token: the counts, never the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallDoc {
    /// The token's id.
    pub token_id: String,
    /// The token's name.
    pub token_name: String,
    /// When the call came.
    pub at: bson::DateTime,
    /// The HTTP status answered.
    pub status: i32,
    /// Records in the body.
    pub records: i64,
    /// Stored for the first time.
    pub accepted: i64,
    /// Already stored.
    pub duplicates: i64,
    /// Quarantined.
    pub rejected: i64,
}

/// The SHA-256 a token is stored and looked up by.
pub fn token_hash(token: &str) -> String {
    crate::digest::hex(&Sha256::digest(token.as_bytes()))
}

/// A token's plaintext and its stored form.
#[derive(Debug)]
pub struct NewToken {
    /// The token, to show once.
    pub token: String,
    /// What is stored.
    pub doc: TokenDoc,
}

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    /// Its name.
    pub name: String,
    /// The deployment it may write to.
    pub deployment: String,
    /// The source of its events.
    pub source: String,
    /// How long it works; `None` for ever.
    pub lifetime: Option<Duration>,
    /// Who creates it.
    pub created_by: String,
}

/// The `ingest_tokens` and `ingest_calls` collections.
#[derive(Debug, Clone)]
pub struct TokenStore {
    tokens: Collection<TokenDoc>,
    calls: Collection<CallDoc>,
}

/// How long the call log is kept.
const CALL_RETENTION: Duration = Duration::from_secs(90 * 86_400);

impl TokenStore {
    /// Opens the collections.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            tokens: db.collection(INGEST_TOKENS),
            calls: db.collection(INGEST_CALLS),
        }
    }

    /// Unique names and hashes; calls by token, newest first, kept 90 days.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let unique = || IndexOptions::builder().unique(true).build();
        self.tokens
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "hash": 1 })
                    .options(unique())
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "name": 1 })
                    .options(unique())
                    .build(),
            ])
            .await?;
        self.calls
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "token_id": 1, "at": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "at": 1 })
                    .options(IndexOptions::builder().expire_after(CALL_RETENTION).build())
                    .build(),
            ])
            .await?;
        Ok(())
    }

    /// Creates a token; `None` when the name is taken.
    ///
    /// # Errors
    /// A database error.
    pub async fn create(
        &self,
        spec: TokenSpec,
        now: DateTime<Utc>,
    ) -> Result<Option<NewToken>, StoreError> {
        let token = format!("{TOKEN_PREFIX}{}", crate::digest::random_secret());
        let doc = TokenDoc {
            id: bson::oid::ObjectId::new().to_hex(),
            name: spec.name,
            hash: token_hash(&token),
            hint: token.chars().take(TOKEN_PREFIX.len() + 4).collect(),
            deployment: spec.deployment,
            source: spec.source,
            created_by: spec.created_by,
            created_at: bson::DateTime::from_chrono(now),
            expires_at: spec
                .lifetime
                .and_then(|l| chrono::Duration::from_std(l).ok())
                .map(|l| bson::DateTime::from_chrono(now + l)),
            revoked_at: None,
            revoked_by: None,
            last_used_at: None,
        };
        match self.tokens.insert_one(&doc).await {
            Ok(_) => Ok(Some(NewToken { token, doc })),
            Err(e) if crate::is_duplicate_key(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The token whose plaintext is `token`, whatever its state.
    ///
    /// # Errors
    /// A database error.
    pub async fn find(&self, token: &str) -> Result<Option<TokenDoc>, StoreError> {
        Ok(self
            .tokens
            .find_one(doc! { "hash": token_hash(token) })
            .await?)
    }

    /// Every token, newest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn list(&self) -> Result<Vec<TokenDoc>, StoreError> {
        Ok(self
            .tokens
            .find(doc! {})
            .sort(doc! { "created_at": -1 })
            .await?
            .try_collect()
            .await?)
    }

    /// Revokes the token with id or name `which`; `false` when there is no such active token.
    ///
    /// # Errors
    /// A database error.
    pub async fn revoke(
        &self,
        which: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .tokens
            .update_one(
                doc! {
                    "$or": [ { "_id": which }, { "name": which } ],
                    "revoked_at": { "$exists": false },
                },
                doc! { "$set": {
                    "revoked_at": bson::DateTime::from_chrono(now),
                    "revoked_by": by,
                } },
            )
            .await?;
        Ok(result.modified_count > 0)
    }

    /// Records a call and the token's last use.
    ///
    /// # Errors
    /// A database error.
    pub async fn record_call(&self, call: &CallDoc) -> Result<(), StoreError> {
        self.calls.insert_one(call).await?;
        self.tokens
            .update_one(
                doc! { "_id": &call.token_id },
                doc! { "$set": { "last_used_at": call.at } },
            )
            .await?;
        Ok(())
    }

    /// The latest calls of a token, newest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn calls(&self, token_id: &str, limit: i64) -> Result<Vec<CallDoc>, StoreError> {
        Ok(self
            .calls
            .find(doc! { "token_id": token_id })
            .sort(doc! { "at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}
