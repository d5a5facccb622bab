//! The `identities` collection: one document per product account (an Atlassian account id, a
//! Bitbucket account uuid, or an e-mail address where that is all a product gives), each pointing
//! at its canonical person. E-mail addresses and display names are stored only encrypted, with
//! keyed blind indexes for equality look-ups; account ids and Bitbucket uuids are opaque
//! identifiers, kept as they are (they are also in the stored events); the ingest crate's `identity`
//! module resolves accounts to persons.

use super::{StoreError, IDENTITIES};
use bson::doc;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};

/// The sealed display name's field name: associated data of its ciphertext.
pub const NAME: &str = "identity.name";
/// The sealed e-mail's field name: associated data of its ciphertext and its blind index's domain.
pub const EMAIL: &str = "identity.email";

/// One account, as stored. Personal fields are ciphertexts (`v1:<kid>:…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityDoc {
    /// `acct:<account id>`, `bbuuid:<Bitbucket uuid>` or `email:<blind index>`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The canonical person.
    pub person_id: String,
    /// The Atlassian account id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The Bitbucket account uuid (`{…}`), when a Bitbucket record gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitbucket_uuid: Option<String>,
    /// Encrypted display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_enc: Option<String>,
    /// Blind index of the display name (detects changes, finds people by exact name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_bidx: Option<String>,
    /// Encrypted e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_enc: Option<String>,
    /// Blind index of the e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_bidx: Option<String>,
    /// Products the account has been seen in.
    #[serde(default)]
    pub products: Vec<String>,
    /// When it was first seen.
    pub first_seen: bson::DateTime,
}

/// The `identities` collection.
#[derive(Debug, Clone)]
pub struct IdentityStore {
    coll: Collection<IdentityDoc>,
}

impl IdentityStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(IDENTITIES),
        }
    }

    /// Indexes for resolving by e-mail or Bitbucket uuid and listing a person's accounts.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "email_bidx": 1 })
                    .options(
                        IndexOptions::builder()
                            .partial_filter_expression(doc! { "email_bidx": { "$exists": true } })
                            .build(),
                    )
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "bitbucket_uuid": 1 })
                    .options(
                        IndexOptions::builder()
                            .partial_filter_expression(
                                doc! { "bitbucket_uuid": { "$exists": true } },
                            )
                            .build(),
                    )
                    .build(),
                IndexModel::builder().keys(doc! { "person_id": 1 }).build(),
            ])
            .await?;
        Ok(())
    }

    /// One account.
    ///
    /// # Errors
    /// A database error.
    pub async fn get(&self, id: &str) -> Result<Option<IdentityDoc>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": id }).await?)
    }

    /// The person an e-mail address (by blind index) already belongs to, if any.
    ///
    /// # Errors
    /// A database error.
    pub async fn person_by_email(&self, email_bidx: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .coll
            .find_one(doc! { "email_bidx": email_bidx })
            .sort(doc! { "first_seen": 1, "_id": 1 })
            .await?
            .map(|d| d.person_id))
    }

    /// The person a Bitbucket account uuid already belongs to (through any account that recorded
    /// it), if any.
    ///
    /// # Errors
    /// A database error.
    pub async fn person_by_bitbucket_uuid(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .coll
            .find_one(doc! { "bitbucket_uuid": uuid })
            .sort(doc! { "first_seen": 1, "_id": 1 })
            .await?
            .map(|d| d.person_id))
    }

    /// Stores an account the first time it is seen; later calls only add the product and fill
    /// personal fields that were missing or changed.
    ///
    /// # Errors
    /// A database error.
    pub async fn upsert(
        &self,
        doc: &IdentityDoc,
        product: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut set = bson::Document::new();
        if let (Some(enc), Some(bidx)) = (&doc.name_enc, &doc.name_bidx) {
            set.insert("name_enc", enc);
            set.insert("name_bidx", bidx);
        }
        if let (Some(enc), Some(bidx)) = (&doc.email_enc, &doc.email_bidx) {
            set.insert("email_enc", enc);
            set.insert("email_bidx", bidx);
        }
        if let Some(uuid) = &doc.bitbucket_uuid {
            set.insert("bitbucket_uuid", uuid);
        }
        let mut on_insert = doc! {
            "person_id": &doc.person_id,
            "first_seen": bson::DateTime::from_chrono(now),
        };
        if let Some(a) = &doc.account_id {
            on_insert.insert("account_id", a);
        }
        let mut update = doc! {
            "$setOnInsert": on_insert,
            "$addToSet": { "products": product },
        };
        if !set.is_empty() {
            update.insert("$set", set);
        }
        self.coll
            .update_one(doc! { "_id": &doc.id }, update)
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Notes that an account was seen in another product.
    ///
    /// # Errors
    /// A database error.
    pub async fn add_product(&self, id: &str, product: &str) -> Result<(), StoreError> {
        self.coll
            .update_one(
                doc! { "_id": id },
                doc! { "$addToSet": { "products": product } },
            )
            .await?;
        Ok(())
    }

    /// Records the Bitbucket uuid of an account first seen without it, so records naming the
    /// account only by uuid find its person.
    ///
    /// # Errors
    /// A database error.
    pub async fn record_bitbucket_uuid(&self, id: &str, uuid: &str) -> Result<(), StoreError> {
        self.coll
            .update_one(
                doc! { "_id": id },
                doc! { "$set": { "bitbucket_uuid": uuid } },
            )
            .await?;
        Ok(())
    }

    /// Every account of a person.
    ///
    /// # Errors
    /// A database error.
    pub async fn of_person(&self, person_id: &str) -> Result<Vec<IdentityDoc>, StoreError> {
        Ok(self
            .coll
            .find(doc! { "person_id": person_id })
            .sort(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// Every account, for the in-memory people directory.
    ///
    /// # Errors
    /// A database error.
    pub async fn all(&self) -> Result<Vec<IdentityDoc>, StoreError> {
        Ok(self
            .coll
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?)
    }

    /// Number of distinct persons.
    ///
    /// # Errors
    /// A database error.
    pub async fn person_count(&self) -> Result<u64, StoreError> {
        Ok(self.coll.distinct("person_id", doc! {}).await?.len() as u64)
    }
}
