//! The Import page's data: every import with its report, one import with its progress and
//! rejected records, and what the upload form offers (deployments, sources, formats). The upload
//! itself is the `POST /api/imports` form route (a file is streamed, not a server function's
//! argument).

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One import, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    /// Its id.
    pub id: String,
    /// `running`, `complete`, `rejected`, `failed` or `already imported`.
    pub status: String,
    /// While running: `checking` or `reading`.
    pub phase: String,
    /// Why it was rejected or failed, or which import had the same bytes.
    pub reason: Option<String>,
    /// Who imported it.
    pub by: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: Option<i64>,
    /// The deployment.
    pub deployment: String,
    /// The file name.
    pub file_name: String,
    /// Its size in bytes.
    pub size: i64,
    /// Bytes read so far in the current phase.
    pub bytes_read: i64,
    /// The SHA-256 of the file.
    pub sha256: String,
    /// The source read as.
    pub source: String,
    /// The format read as.
    pub format: String,
    /// How `auto` decided.
    pub notes: Vec<String>,
    /// Records read.
    pub records: i64,
    /// Stored for the first time.
    pub new: i64,
    /// Already stored.
    pub duplicates: i64,
    /// Quarantined.
    pub rejected: i64,
    /// Rejected records by reason.
    pub rejected_by_reason: Vec<(String, i64)>,
    /// The first and last day with new events, and how many days.
    pub days: Vec<String>,
}

/// One rejected record of an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectRow {
    /// Where it was: `audit.csv line 12`.
    pub origin: String,
    /// Why it was refused.
    pub reason: String,
    /// The record (shortened).
    pub raw: String,
}

/// One import with its rejects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportView {
    /// The import.
    pub import: ImportRow,
    /// Its rejected records, at most 200.
    pub rejects: Vec<RejectRow>,
}

/// What the upload form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadChoices {
    /// The configured deployments.
    pub deployments: Vec<String>,
    /// The sources (`auto` first).
    pub sources: Vec<String>,
}

#[cfg(feature = "ssr")]
impl From<store::imports::ImportDoc> for ImportRow {
    fn from(d: store::imports::ImportDoc) -> Self {
        Self {
            status: d.status.as_str().to_owned(),
            duration_ms: d.duration_ms(),
            started_at: d.started_at.to_chrono(),
            rejected_by_reason: d.counts.rejected_by_reason.into_iter().collect(),
            records: d.counts.records,
            new: d.counts.new,
            duplicates: d.counts.duplicates,
            rejected: d.counts.rejected,
            id: d.id,
            phase: d.phase,
            reason: d.reason,
            by: d.by,
            deployment: d.deployment,
            file_name: d.file_name,
            size: d.size,
            bytes_read: d.bytes_read,
            sha256: d.sha256,
            source: d.source,
            format: d.format,
            notes: d.notes,
            days: d.days,
        }
    }
}

/// The newest imports.
#[server(endpoint = "imports/list")]
pub async fn list_imports() -> Result<Vec<ImportRow>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let docs = state.store.imports.recent(100).await?;
    Ok(docs.into_iter().map(ImportRow::from).collect())
}

/// One import and its rejected records.
#[server(endpoint = "imports/get")]
pub async fn get_import(id: String) -> Result<ImportView, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let doc = state
        .store
        .imports
        .get(id.trim())
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    let rejects = state
        .store
        .rejects
        .recent(Some(&doc.rejects_stream()), 200)
        .await?;
    let rejects = rejects
        .into_iter()
        .map(|r| {
            let raw = serde_json::to_string(&r.raw).unwrap_or_default();
            RejectRow {
                origin: r.origin.unwrap_or_default(),
                reason: r.reason,
                raw: raw.chars().take(300).collect(),
            }
        })
        .collect();
    Ok(ImportView {
        import: doc.into(),
        rejects,
    })
}

/// The upload form's choices.
#[server(endpoint = "imports/choices")]
pub async fn import_choices() -> Result<UploadChoices, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    Ok(UploadChoices {
        deployments: state
            .deployments
            .ids()
            .iter()
            .map(ToString::to_string)
            .collect(),
        sources: SOURCES.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// The sources the upload form offers, as `--source` names them.
pub const SOURCES: [&str; 9] = [
    "auto",
    "jira-audit",
    "confluence-audit",
    "org-events",
    "jira-issues",
    "bitbucket-commits",
    "bitbucket-pull-requests",
    "jsm-requests",
    "generic",
];
