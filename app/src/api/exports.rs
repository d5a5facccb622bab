//! Listing exports for the Exports page.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportState {
    /// Still streaming (or the server stopped while it was).
    Running,
    /// Delivered in full; its manifest can be downloaded.
    Complete,
    /// The client stopped before the end; there is no manifest.
    Incomplete,
    /// Reading the events failed; there is no manifest.
    Failed,
}

impl ExportState {
    /// The displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExportState::Running => "running",
            ExportState::Complete => "complete",
            ExportState::Incomplete => "incomplete",
            ExportState::Failed => "failed",
        }
    }
}

/// One row of the Exports table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    /// The export id (names its manifest).
    pub id: String,
    /// Where it stands.
    pub state: ExportState,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Who exported (an administrator, or `cli:<user>`).
    pub generated_by: String,
    /// `csv` or `ndjson`.
    pub format: String,
    /// The file name.
    pub file_name: String,
    /// The Events query with its absolute range.
    pub query: String,
    /// Inclusive start of the range.
    pub from: DateTime<Utc>,
    /// Exclusive end of the range.
    pub to: DateTime<Utc>,
    /// Rows delivered.
    pub rows: u64,
    /// SHA-256 of the file, once complete.
    pub sha256: Option<String>,
}

/// The newest exports, newest first.
#[server(endpoint = "exports/list")]
pub async fn list_exports() -> Result<Vec<ExportRow>, ApiError> {
    use services::store::exports::ExportStatus;
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let docs = state
        .store
        .exports
        .recent(200)
        .await
        .map_err(|e| ApiError::internal("listing exports failed", &e))?;
    Ok(docs
        .into_iter()
        .map(|d| ExportRow {
            id: d.id.to_string(),
            state: match d.status {
                ExportStatus::Running => ExportState::Running,
                ExportStatus::Complete => ExportState::Complete,
                ExportStatus::Incomplete => ExportState::Incomplete,
                ExportStatus::Failed => ExportState::Failed,
            },
            started_at: d.started_at.to_chrono(),
            generated_by: d.generated_by,
            format: d.format.to_string(),
            file_name: d.file_name,
            query: d.query,
            from: d.from.to_chrono(),
            to: d.to.to_chrono(),
            rows: u64::try_from(d.rows).unwrap_or(0),
            sha256: d.sha256,
        })
        .collect())
}
