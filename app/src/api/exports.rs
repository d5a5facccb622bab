//! Listing exports for the Exports page. The rows keep their own wire names (`state`: `Complete`…),
//! which scripts reading the server function rely on.

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
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let exports = export::recent(&state.store, 200).await?;
    Ok(exports.into_iter().map(ExportRow::from).collect())
}

impl From<domain::export::ExportStatus> for ExportState {
    fn from(status: domain::export::ExportStatus) -> Self {
        use domain::export::ExportStatus;
        match status {
            ExportStatus::Running => ExportState::Running,
            ExportStatus::Complete => ExportState::Complete,
            ExportStatus::Incomplete => ExportState::Incomplete,
            ExportStatus::Failed => ExportState::Failed,
        }
    }
}

impl From<domain::export::ExportSummary> for ExportRow {
    fn from(e: domain::export::ExportSummary) -> Self {
        ExportRow {
            id: e.id,
            state: e.status.into(),
            started_at: e.started_at,
            generated_by: e.generated_by,
            format: e.format.to_string(),
            file_name: e.file_name,
            query: e.query,
            from: e.from,
            to: e.to,
            rows: e.rows,
            sha256: e.sha256,
        }
    }
}
