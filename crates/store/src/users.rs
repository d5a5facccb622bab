//! The `users` collection: administrator accounts, keyed by normalised username, holding only an
//! argon2id hash of the password.

use super::{is_duplicate_key, StoreError, USERS};
use bson::{doc, Document};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

/// A stored administrator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    /// The normalised username.
    #[serde(rename = "_id")]
    pub username: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// When the account was created.
    pub created_at: bson::DateTime,
    /// When the password was last set.
    pub password_set_at: bson::DateTime,
}

/// The `users` collection.
#[derive(Debug, Clone)]
pub struct UserStore {
    coll: Collection<UserDoc>,
}

/// Creating an account whose username is taken.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// The name is taken.
    #[error("an administrator with that username already exists")]
    Exists,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UserStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(USERS),
        }
    }

    /// Nothing beyond the `_id` index is needed.
    ///
    /// # Errors
    /// Never, today; kept for symmetry with the other stores.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The account with this normalised username.
    ///
    /// # Errors
    /// A database error.
    pub async fn find(&self, username: &str) -> Result<Option<UserDoc>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": username }).await?)
    }

    /// Every administrator's username.
    ///
    /// # Errors
    /// A database error.
    pub async fn usernames(&self) -> Result<Vec<String>, StoreError> {
        let users: Vec<Document> = self
            .coll
            .clone_with_type::<Document>()
            .find(doc! {})
            .projection(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?;
        users
            .iter()
            .map(|u| {
                u.get_str("_id")
                    .map(str::to_owned)
                    .map_err(|e| StoreError::Corrupt {
                        collection: USERS,
                        reason: e.to_string(),
                    })
            })
            .collect()
    }

    /// Whether no administrator exists yet.
    ///
    /// # Errors
    /// A database error.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.coll.find_one(doc! {}).await?.is_none())
    }

    /// Creates an account.
    ///
    /// # Errors
    /// [`CreateUserError::Exists`] when the name is taken.
    pub async fn create(&self, username: &str, password_hash: &str) -> Result<(), CreateUserError> {
        let now = bson::DateTime::now();
        let user = UserDoc {
            username: username.to_owned(),
            password_hash: password_hash.to_owned(),
            created_at: now,
            password_set_at: now,
        };
        match self.coll.insert_one(user).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(CreateUserError::Exists),
            Err(e) => Err(CreateUserError::Store(e.into())),
        }
    }

    /// Replaces an existing account's password; returns whether the account existed.
    ///
    /// # Errors
    /// A database error.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .coll
            .update_one(
                doc! { "_id": username },
                doc! { "$set": { "password_hash": password_hash, "password_set_at": bson::DateTime::now() } },
            )
            .await?;
        Ok(result.matched_count == 1)
    }
}
