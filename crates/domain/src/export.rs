//! What an export is, in the types the dashboard shares with the server: its format, its status
//! and the manifest that states what a delivered file contains, so the UI shows and links them
//! without mirroring the server's definitions.

use crate::{EventFilter, PersonId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The version of the manifest's shape.
pub const MANIFEST_VERSION: u32 = 1;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// RFC 4180 CSV with a header row, CRLF line endings and formula-injection defence.
    Csv,
    /// One JSON object per line, with the raw payload.
    Ndjson,
}

/// A format name other than `csv` or `ndjson`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("format must be csv or ndjson, not `{0}`")]
pub struct UnknownFormat(String);

impl ExportFormat {
    /// The name used in URLs, manifests and file extensions.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }

    /// The HTTP content type of the file.
    pub const fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8; header=present",
            ExportFormat::Ndjson => "application/x-ndjson; charset=utf-8",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "ndjson" => Ok(ExportFormat::Ndjson),
            _ => Err(UnknownFormat(s.chars().take(32).collect())),
        }
    }
}

/// What an export was, stated so that anyone can check the file and re-run the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportManifest {
    /// The version of this shape ([`MANIFEST_VERSION`]).
    pub manifest_version: u32,
    /// The export's id.
    pub export_id: String,
    /// The file name as delivered.
    pub file_name: String,
    /// CSV or NDJSON.
    pub format: ExportFormat,
    /// The Events query string, its range frozen to absolute times: `/events?<query>` shows the
    /// same events, and `/api/export?<query>&format=…` exports them again.
    pub query: String,
    /// The same filters, structured.
    pub filters: EventFilter,
    /// With a team filter: the team's members when the export ran (membership changes over time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_members: Option<Vec<PersonId>>,
    /// Inclusive start of the range.
    pub from: DateTime<Utc>,
    /// Exclusive end of the range.
    pub to: DateTime<Utc>,
    /// The order of the rows.
    pub order: String,
    /// The columns (NDJSON objects also carry `raw`).
    pub columns: Vec<String>,
    /// Data rows (the CSV header is not a row).
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's exact bytes, lower-case hexadecimal.
    pub sha256: String,
    /// What produced the file: `atlaslens <version>`.
    pub generator: String,
    /// When the export started (the moment relative and open ranges were frozen at).
    pub generated_at: DateTime<Utc>,
    /// When the last byte was delivered.
    pub completed_at: DateTime<Utc>,
    /// Who exported: the administrator's username, or `cli:<user>` for the command line.
    pub generated_by: String,
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// The file is streaming (or the process stopped while it was).
    Running,
    /// Every byte was delivered; the manifest is stored.
    Complete,
    /// The client stopped reading before the end; no manifest exists.
    Incomplete,
    /// Reading the events failed mid-stream; no manifest exists.
    Failed,
}

impl ExportStatus {
    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Running => "running",
            ExportStatus::Complete => "complete",
            ExportStatus::Incomplete => "incomplete",
            ExportStatus::Failed => "failed",
        }
    }
}

/// One export as the Exports page lists it: every attempt, finished or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// The export id (names its manifest).
    pub id: String,
    /// Where it stands.
    pub status: ExportStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Who exported (an administrator, or `cli:<user>`).
    pub generated_by: String,
    /// CSV or NDJSON.
    pub format: ExportFormat,
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
