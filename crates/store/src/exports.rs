//! The `exports` collection: one document per export, written when the export starts and settled
//! when it ends, so the Exports page can list every attempt and a finished export's manifest can
//! be fetched after its file was delivered.
//!
//! A document is `running` while its file streams, `complete` (with the manifest) once every byte
//! was handed to the client, `incomplete` when the client went away first and `failed` when the
//! database failed mid-stream. Only the settling step may leave `running`, so a late "incomplete"
//! can never overwrite a completed export, and only a `complete` document carries a manifest.

use super::{StoreError, EXPORTS};
use bson::doc;
use bson::oid::ObjectId;
use domain::export::{ExportFormat, ExportManifest, ExportStatus};
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An export's id: a MongoDB object id, shown as 24 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExportId(ObjectId);

/// A string that is not an export id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an export id (24 hexadecimal digits)")]
pub struct BadExportId(String);

impl ExportId {
    /// A new, unique id (time-ordered).
    pub fn generate() -> Self {
        Self(ObjectId::new())
    }

    /// Parses the 24-digit hexadecimal form.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(text: &str) -> Result<Self, BadExportId> {
        ObjectId::parse_str(text.trim())
            .map(Self)
            .map_err(|_| BadExportId(text.chars().take(64).collect()))
    }
}

impl fmt::Display for ExportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.to_hex())
    }
}

/// One export, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportDoc {
    /// The export id.
    #[serde(rename = "_id")]
    pub id: ExportId,
    /// Where it stands.
    pub status: ExportStatus,
    /// The file name offered to the client (carries the absolute range).
    pub file_name: String,
    /// CSV or NDJSON.
    pub format: ExportFormat,
    /// The Events query string, with the range frozen to absolute times.
    pub query: String,
    /// Inclusive start of the range.
    pub from: bson::DateTime,
    /// Exclusive end of the range.
    pub to: bson::DateTime,
    /// The administrator (or `cli:<user>`) who exported.
    pub generated_by: String,
    /// When the export started.
    pub started_at: bson::DateTime,
    /// When it completed, stopped or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<bson::DateTime>,
    /// Data rows delivered (all of them once complete).
    #[serde(default)]
    pub rows: i64,
    /// Bytes delivered.
    #[serde(default)]
    pub bytes: i64,
    /// SHA-256 of the file, once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why it failed, for `failed` (never personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The manifest exactly as generated (JSON), once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

/// The `exports` collection.
#[derive(Debug, Clone)]
pub struct ExportStore {
    coll: Collection<ExportDoc>,
}

impl ExportStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(EXPORTS),
        }
    }

    /// The index the Exports page lists by.
    ///
    /// # Errors
    /// When the server refuses the index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "started_at": -1 })
                    .options(
                        IndexOptions::builder()
                            .name("newest_first".to_owned())
                            .build(),
                    )
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Records an export that is starting (`status` should be `running`).
    ///
    /// # Errors
    /// A database error.
    pub async fn begin(&self, export: &ExportDoc) -> Result<(), StoreError> {
        self.coll.insert_one(export).await?;
        Ok(())
    }

    /// Settles a running export as complete with its manifest. Returns `false` when no running
    /// export has this id (it was settled already, or never begun).
    ///
    /// # Errors
    /// A database error, or a manifest that cannot be written as JSON.
    pub async fn complete(
        &self,
        id: ExportId,
        manifest: &ExportManifest,
        at: bson::DateTime,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string_pretty(manifest).map_err(|e| StoreError::Corrupt {
            collection: EXPORTS,
            reason: format!("the manifest cannot be written as JSON: {e}"),
        })?;
        let result = self
            .coll
            .update_one(
                doc! { "_id": id.0, "status": ExportStatus::Running.as_str() },
                doc! { "$set": {
                    "status": ExportStatus::Complete.as_str(),
                    "finished_at": at,
                    "rows": count(manifest.rows),
                    "bytes": count(manifest.bytes),
                    "sha256": &manifest.sha256,
                    "manifest": json,
                } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Settles a running export that did not complete (`incomplete` or `failed`), with what was
    /// delivered before it stopped. An export settled already is left as it is.
    ///
    /// # Errors
    /// A database error.
    pub async fn abandon(
        &self,
        id: ExportId,
        status: ExportStatus,
        rows: u64,
        bytes: u64,
        error: Option<&str>,
        at: bson::DateTime,
    ) -> Result<(), StoreError> {
        let mut set = doc! {
            "status": status.as_str(),
            "finished_at": at,
            "rows": count(rows),
            "bytes": count(bytes),
        };
        if let Some(e) = error {
            set.insert("error", e);
        }
        self.coll
            .update_one(
                doc! { "_id": id.0, "status": ExportStatus::Running.as_str() },
                doc! { "$set": set },
            )
            .await?;
        Ok(())
    }

    /// One export.
    ///
    /// # Errors
    /// A database error.
    pub async fn get(&self, id: ExportId) -> Result<Option<ExportDoc>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": id.0 }).await?)
    }

    /// The newest `limit` exports, newest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn recent(&self, limit: u32) -> Result<Vec<ExportDoc>, StoreError> {
        Ok(self
            .coll
            .find(doc! {})
            .sort(doc! { "started_at": -1 })
            .limit(i64::from(limit))
            .await?
            .try_collect()
            .await?)
    }
}

/// A count as BSON stores it (saturating; no export reaches `i64::MAX`).
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
