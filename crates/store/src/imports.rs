//! The `imports` collection: one document per file import, written when it starts, updated with
//! its progress while it reads, and settled with its report, so the Import page lists every
//! attempt (accepted, rejected as a whole, or failed) and a running import shows how far it got.
//!
//! A file is recognised by its SHA-256 per deployment: a `complete` import of the same bytes
//! means a second one stores nothing new and says so.

use super::{StoreError, IMPORTS};
use bson::doc;
use bson::oid::ObjectId;
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Reading the file.
    Running,
    /// Every record was read: stored, found already stored, or quarantined.
    Complete,
    /// The file was refused as a whole (format, encoding, size, shape); nothing was stored.
    Rejected,
    /// The database failed part way; what was stored stays stored (re-running is safe).
    Failed,
    /// The same bytes were imported before: nothing was read again.
    AlreadyImported,
}

impl ImportStatus {
    /// The word the Import page shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::AlreadyImported => "already imported",
        }
    }
}

/// The counts of an import; `records = new + duplicates + rejected` once complete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Records read from the file.
    pub records: i64,
    /// Events stored for the first time.
    pub new: i64,
    /// Records whose event was already stored.
    pub duplicates: i64,
    /// Records quarantined in `rejects`.
    pub rejected: i64,
    /// Rejected records by the kind of reason (the reason without the value at fault).
    #[serde(default)]
    pub rejected_by_reason: BTreeMap<String, i64>,
}

/// One import, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportDoc {
    /// The import id (24 hexadecimal digits).
    #[serde(rename = "_id")]
    pub id: String,
    /// The deployment the events belong to.
    pub deployment: String,
    /// Who imported it: an administrator's name, or `cli:<user>`.
    pub by: String,
    /// The file name as given (no directories).
    pub file_name: String,
    /// Its size in bytes, as stored on disk or uploaded (compressed when it is).
    pub size: i64,
    /// The SHA-256 of those bytes, hexadecimal.
    pub sha256: String,
    /// The source its records were read as (`jira-audit`, `generic`…), once known.
    #[serde(default)]
    pub source: String,
    /// The format it was read as (`ndjson`, `json`, `csv`, with `+gzip` when compressed).
    #[serde(default)]
    pub format: String,
    /// Where it stands.
    pub status: ImportStatus,
    /// Why the file was refused or the import failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Notes on how it was read (what `auto` chose and why).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The counts so far.
    #[serde(default)]
    pub counts: ImportCounts,
    /// Bytes read so far (of `size`) in the current phase: the progress bar.
    #[serde(default)]
    pub bytes_read: i64,
    /// What a running import is doing: `checking` the whole file, then `reading` its records.
    #[serde(default)]
    pub phase: String,
    /// The UTC days (YYYY-MM-DD) with new events, whose rollups were recomputed.
    #[serde(default)]
    pub days: Vec<String>,
    /// When it started.
    pub started_at: bson::DateTime,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<bson::DateTime>,
    /// The import whose bytes these are, for an `already imported` one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
}

impl ImportDoc {
    /// How long it took, in milliseconds, once finished.
    pub fn duration_ms(&self) -> Option<i64> {
        self.finished_at
            .map(|f| f.timestamp_millis() - self.started_at.timestamp_millis())
    }

    /// The `rejects` stream its quarantined records are filed under.
    pub fn rejects_stream(&self) -> String {
        rejects_stream(&self.id)
    }
}

/// The `rejects` stream of import `id`.
pub fn rejects_stream(id: &str) -> String {
    format!("import/{id}")
}

/// A new import id.
pub fn new_import_id() -> String {
    ObjectId::new().to_hex()
}

/// The `imports` collection.
#[derive(Debug, Clone)]
pub struct ImportStore {
    coll: Collection<ImportDoc>,
}

impl ImportStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(IMPORTS),
        }
    }

    /// Indexes for the newest-first list and for recognising a file by its digest.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "started_at": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "sha256": 1, "deployment": 1, "status": 1 })
                    .options(IndexOptions::builder().name("by_digest".to_owned()).build())
                    .build(),
            ])
            .await?;
        Ok(())
    }

    /// Records an import as it starts (or, refused or already imported, as it ends).
    ///
    /// # Errors
    /// A database error.
    pub async fn insert(&self, doc: &ImportDoc) -> Result<(), StoreError> {
        self.coll.insert_one(doc).await?;
        Ok(())
    }

    /// The complete import of the same bytes into `deployment`, if there is one.
    ///
    /// # Errors
    /// A database error.
    pub async fn complete_with_digest(
        &self,
        sha256: &str,
        deployment: &str,
    ) -> Result<Option<ImportDoc>, StoreError> {
        Ok(self
            .coll
            .find_one(doc! {
                "sha256": sha256,
                "deployment": deployment,
                "status": "complete",
            })
            .await?)
    }

    /// Records how far a running import got.
    ///
    /// # Errors
    /// A database error.
    pub async fn progress(
        &self,
        id: &str,
        phase: &str,
        bytes_read: u64,
        counts: &ImportCounts,
    ) -> Result<(), StoreError> {
        self.coll
            .update_one(
                doc! { "_id": id, "status": "running" },
                doc! { "$set": {
                    "phase": phase,
                    "bytes_read": bytes_read as i64,
                    "counts": bson::to_bson(counts).map_err(corrupt)?,
                } },
            )
            .await?;
        Ok(())
    }

    /// Settles a running import with its outcome (its last state replaces the running one).
    ///
    /// # Errors
    /// A database error.
    pub async fn finish(&self, doc: &ImportDoc) -> Result<(), StoreError> {
        self.coll
            .replace_one(doc! { "_id": &doc.id, "status": "running" }, doc)
            .await?;
        Ok(())
    }

    /// One import.
    ///
    /// # Errors
    /// A database error.
    pub async fn get(&self, id: &str) -> Result<Option<ImportDoc>, StoreError> {
        Ok(self.coll.find_one(doc! { "_id": id }).await?)
    }

    /// The newest imports, at most `limit`.
    ///
    /// # Errors
    /// A database error.
    pub async fn recent(&self, limit: i64) -> Result<Vec<ImportDoc>, StoreError> {
        Ok(self
            .coll
            .find(doc! {})
            .sort(doc! { "started_at": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}

fn corrupt(e: bson::ser::Error) -> StoreError {
    StoreError::Corrupt {
        collection: IMPORTS,
        reason: e.to_string(),
    }
}
