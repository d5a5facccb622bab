//! Exports: the whole filtered result of an Events query as a CSV or NDJSON file, streamed, with a
//! manifest that lets anyone check the file later (`atlaslens verify-export`).
//!
//! Security and compliance teams hand these files to auditors, so the design favours evidence:
//!
//! - **Every matching row, in a fixed order.** There is no row cap. Events are read a UTC day at a
//!   time, each day through a MongoDB cursor sorted by `(occurred_at, _id)` ascending in batches
//!   of [`BATCH_SIZE`], and encoded into chunks of about [`CHUNK_BYTES`]; memory stays constant
//!   whatever the size.
//! - **An absolute range.** [`start`] refuses a filter without both `from` and `to`; callers freeze
//!   relative ranges first, so the file name, the manifest and a re-run all name the same span.
//! - **Names decrypted in this process** from the [`PeopleSnapshot`] taken when the export starts;
//!   nothing plaintext is ever queried.
//! - **A digest of the exact bytes.** SHA-256 is updated with each chunk as it is handed over, and
//!   the file carries no generation time, so exporting unchanged data again yields the same bytes.
//! - **No manifest for a file that was not delivered.** The export is recorded as `running` when
//!   it starts; only once the consumer has taken every chunk and asked for more is it settled as
//!   `complete` with its manifest. A consumer that stops early (a client that disconnects) drops
//!   the stream, which settles it as `incomplete` with the rows delivered so far.

mod encode;
pub mod plan;
mod verify;

pub use domain::export::{
    ExportFormat, ExportManifest, ExportStatus, ExportSummary, UnknownFormat, MANIFEST_VERSION,
};
pub use encode::{defuse, COLUMNS};
pub use verify::{inspect, FileFacts};

use chrono::{DateTime, Utc};
use domain::{Event, EventFilter};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use query::people::{PeopleDirectory, PeopleSnapshot};
use query::search::actor_scope;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use store::events::{ActorScope, EventDoc};
use store::exports::{ExportDoc, ExportId, ExportStore};
use store::{Store, StoreError};

/// Events fetched from the server per cursor batch.
pub const BATCH_SIZE: u32 = 1_000;
/// Bytes gathered before a chunk is handed to the consumer.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// The order of the rows, as the manifest states it.
pub const ROW_ORDER: &str = "occurred_at ascending, then event_id ascending";

/// `atlaslens <version>`.
pub fn generator() -> String {
    format!("atlaslens {}", env!("CARGO_PKG_VERSION"))
}

/// `atlaslens-events-<from>-<to>.<format>`, times in UTC as `YYYYMMDDTHHMMSSZ`.
pub fn file_name(format: ExportFormat, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    format!(
        "atlaslens-events-{}-{}.{}",
        stamp(from),
        stamp(to),
        format.as_str()
    )
}

/// The manifest as written to `<file>.manifest.json` and served by the API: pretty JSON, fields in
/// a fixed order, ending with a line break.
pub fn manifest_json(manifest: &ExportManifest) -> String {
    // Strings, numbers, times and enums only: serialising cannot fail.
    let mut json = serde_json::to_string_pretty(manifest).unwrap_or_default();
    json.push('\n');
    json
}

/// `<file name>.manifest.json`.
pub fn manifest_file_name(file_name: &str) -> String {
    format!("{file_name}.manifest.json")
}

/// An export to run.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// CSV or NDJSON.
    pub format: ExportFormat,
    /// The Events query string with its range frozen (recorded in the manifest as is).
    pub query: String,
    /// The filter of that query; `from` and `to` must both be set.
    pub filter: EventFilter,
    /// Who exports.
    pub generated_by: String,
    /// When the export starts.
    pub generated_at: DateTime<Utc>,
}

/// Why an export could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The filter has no absolute start or end.
    #[error("an export needs an absolute range: both `from` and `to`")]
    OpenRange,
    /// The database failed (before or during the stream).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be encoded (never expected: every value is a string or parsed JSON).
    #[error("an event could not be encoded: {0}")]
    Encode(String),
    /// The export could not be settled as complete (it was no longer running).
    #[error("export {0} was settled before it completed; no manifest was recorded")]
    Settled(ExportId),
}

/// The chunks of an export's file, in order.
pub type ExportStream = BoxStream<'static, Result<Vec<u8>, ExportError>>;

/// A started export: what to tell the client, and the file's bytes.
pub struct Export {
    /// The id under which its record and manifest are found.
    pub id: ExportId,
    /// The file name (with the absolute range).
    pub file_name: String,
    /// CSV or NDJSON.
    pub format: ExportFormat,
    /// The frozen query.
    pub query: String,
    /// The file, chunk by chunk. Consume it to its end for the export to complete; dropping it
    /// earlier records the export as incomplete.
    pub stream: ExportStream,
}

impl fmt::Debug for Export {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Export")
            .field("id", &self.id)
            .field("file_name", &self.file_name)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// When the earliest event matching `filter` happened, if any does (used to fix the start of an
/// export whose query has none).
///
/// # Errors
/// A database error.
pub async fn earliest_match(
    store: &Store,
    filter: &EventFilter,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let actors = actor_scope(store, filter).await?;
    store.events.earliest_matching(filter, &actors).await
}

/// Starts an export: resolves the team, takes the people snapshot, opens the cursor and records
/// the export as running. The returned stream produces the file.
///
/// # Errors
/// [`ExportError::OpenRange`] without an absolute range; a database error.
#[tracing::instrument(skip_all, fields(export.format = %request.format), err)]
pub async fn start(
    store: &Store,
    people: &PeopleDirectory,
    request: ExportRequest,
) -> Result<Export, ExportError> {
    let (Some(from), Some(to)) = (request.filter.from, request.filter.to) else {
        return Err(ExportError::OpenRange);
    };
    let actors = actor_scope(store, &request.filter).await?;
    let people = people.snapshot().await?;
    let cursor = store
        .events
        .oldest_first(request.filter.clone(), actors.clone(), BATCH_SIZE);

    let id = ExportId::generate();
    let file_name = file_name(request.format, from, to);
    let manifest = ExportManifest {
        manifest_version: MANIFEST_VERSION,
        export_id: id.to_string(),
        file_name: file_name.clone(),
        format: request.format,
        query: request.query.clone(),
        team_members: match (&request.filter.team, &actors) {
            (Some(_), ActorScope::People(members)) => Some(members.clone()),
            _ => None,
        },
        filters: request.filter,
        from,
        to,
        order: ROW_ORDER.to_owned(),
        columns: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: 0,
        bytes: 0,
        sha256: String::new(),
        generator: generator(),
        generated_at: request.generated_at,
        completed_at: request.generated_at,
        generated_by: request.generated_by,
    };
    store
        .exports
        .begin(&ExportDoc {
            id,
            status: ExportStatus::Running,
            file_name: file_name.clone(),
            format: request.format,
            query: request.query.clone(),
            from: bson::DateTime::from_chrono(from),
            to: bson::DateTime::from_chrono(to),
            generated_by: manifest.generated_by.clone(),
            started_at: bson::DateTime::from_chrono(request.generated_at),
            finished_at: None,
            rows: 0,
            bytes: 0,
            sha256: None,
            error: None,
            manifest: None,
        })
        .await?;

    let producer = Producer {
        cursor,
        people,
        hasher: Sha256::new(),
        header_written: false,
        exhausted: false,
        settle: Settle {
            exports: store.exports.clone(),
            id,
            manifest,
            rows: 0,
            bytes: 0,
            settled: false,
        },
    };
    Ok(Export {
        id,
        file_name,
        format: request.format,
        query: request.query,
        stream: futures::stream::try_unfold(producer, Producer::next_chunk).boxed(),
    })
}

/// The newest `limit` exports, newest first, as the Exports page lists them.
///
/// # Errors
/// A database error.
pub async fn recent(store: &Store, limit: u32) -> Result<Vec<ExportSummary>, StoreError> {
    Ok(store
        .exports
        .recent(limit)
        .await?
        .into_iter()
        .map(|d| ExportSummary {
            id: d.id.to_string(),
            status: d.status,
            started_at: d.started_at.to_chrono(),
            generated_by: d.generated_by,
            format: d.format,
            file_name: d.file_name,
            query: d.query,
            from: d.from.to_chrono(),
            to: d.to.to_chrono(),
            rows: u64::try_from(d.rows).unwrap_or(0),
            sha256: d.sha256,
        })
        .collect())
}

/// What fetching a manifest found.
#[derive(Debug, Clone, PartialEq)]
pub enum ManifestLookup {
    /// The export completed; here is its manifest.
    Complete(Box<ExportManifest>),
    /// The export exists but has no manifest (still running, incomplete or failed).
    NotComplete(ExportStatus),
    /// No export has this id.
    NotFound,
}

/// The manifest of export `id`.
///
/// # Errors
/// A database error, or a stored manifest that does not parse.
pub async fn manifest(store: &Store, id: ExportId) -> Result<ManifestLookup, StoreError> {
    let Some(doc) = store.exports.get(id).await? else {
        return Ok(ManifestLookup::NotFound);
    };
    match (doc.status, doc.manifest) {
        (ExportStatus::Complete, Some(json)) => serde_json::from_str(&json)
            .map(|m| ManifestLookup::Complete(Box::new(m)))
            .map_err(|e| StoreError::Corrupt {
                collection: store::EXPORTS,
                reason: format!("the manifest of export {id} does not parse: {e}"),
            }),
        (status, _) => Ok(ManifestLookup::NotComplete(status)),
    }
}

/// The state behind an export's stream.
struct Producer {
    cursor: BoxStream<'static, Result<EventDoc, StoreError>>,
    people: Arc<PeopleSnapshot>,
    hasher: Sha256,
    header_written: bool,
    /// The cursor has no more events; the next request settles the export.
    exhausted: bool,
    settle: Settle,
}

impl Producer {
    /// The next chunk, or the end of the file once the export is recorded as complete.
    async fn next_chunk(mut self) -> Result<Option<(Vec<u8>, Self)>, ExportError> {
        if self.settle.settled {
            return Ok(None);
        }
        if self.exhausted {
            // Every chunk has been taken and the consumer asks for more: the file is delivered.
            self.finish().await?;
            return Ok(None);
        }
        match self.fill().await {
            Ok((chunk, _)) if chunk.is_empty() => {
                // The cursor ended with nothing left to send (e.g. an empty NDJSON file).
                self.finish().await?;
                Ok(None)
            }
            Ok((chunk, rows)) => {
                self.hasher.update(&chunk);
                self.settle.rows += rows;
                self.settle.bytes += chunk.len() as u64;
                Ok(Some((chunk, self)))
            }
            Err(e) => {
                self.settle.fail(&e).await;
                Err(e)
            }
        }
    }

    async fn finish(&mut self) -> Result<(), ExportError> {
        let digest = std::mem::take(&mut self.hasher).finalize();
        self.settle.complete(format!("{digest:x}")).await
    }

    /// Encodes events until a chunk is full or the cursor ends: (bytes, rows).
    async fn fill(&mut self) -> Result<(Vec<u8>, u64), ExportError> {
        let format = self.settle.manifest.format;
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 8 * 1024);
        if !self.header_written {
            self.header_written = true;
            if format == ExportFormat::Csv {
                encode::write_csv_header(&mut chunk);
            }
        }
        let mut rows = 0;
        while chunk.len() < CHUNK_BYTES {
            let Some(doc) = self.cursor.try_next().await? else {
                self.exhausted = true;
                break;
            };
            let event = Event::try_from(doc)?;
            let name = event.actor_id.as_ref().and_then(|p| self.people.name(p));
            let row = encode::Row::new(&event, name);
            match format {
                ExportFormat::Csv => row.write_csv(&mut chunk),
                ExportFormat::Ndjson => row
                    .write_ndjson(&mut chunk)
                    .map_err(|e| ExportError::Encode(e.to_string()))?,
            }
            rows += 1;
        }
        Ok((chunk, rows))
    }
}

/// Settles the export's record exactly once: complete, failed, or — when dropped unsettled —
/// incomplete.
struct Settle {
    exports: ExportStore,
    id: ExportId,
    /// The manifest so far; counts and digest are filled in on completion.
    manifest: ExportManifest,
    /// Rows in chunks handed to the consumer.
    rows: u64,
    /// Bytes handed to the consumer.
    bytes: u64,
    settled: bool,
}

impl Settle {
    async fn complete(&mut self, sha256: String) -> Result<(), ExportError> {
        let now = Utc::now();
        self.manifest.rows = self.rows;
        self.manifest.bytes = self.bytes;
        self.manifest.sha256 = sha256;
        self.manifest.completed_at = now;
        let stored = self
            .exports
            .complete(self.id, &self.manifest, bson::DateTime::from_chrono(now))
            .await;
        self.settled = true;
        match stored {
            Ok(true) => {
                tracing::info!(
                    export.id = %self.id,
                    export.format = %self.manifest.format,
                    export.rows = self.rows,
                    export.bytes = self.bytes,
                    export.by = %self.manifest.generated_by,
                    duration_ms = (now - self.manifest.generated_at).num_milliseconds(),
                    "export completed; manifest recorded"
                );
                Ok(())
            }
            Ok(false) => Err(ExportError::Settled(self.id)),
            Err(e) => {
                // The consumer gets an error instead of a clean end, so it cannot mistake the
                // file for a complete one; the record stays unsettled only if this write fails too.
                self.record_failure(&ExportError::Store(e)).await;
                Err(ExportError::Settled(self.id))
            }
        }
    }

    async fn fail(&mut self, error: &ExportError) {
        self.settled = true;
        self.record_failure(error).await;
    }

    async fn record_failure(&self, error: &ExportError) {
        tracing::error!(export.id = %self.id, export.rows = self.rows, error = %error, "export failed mid-stream");
        let at = bson::DateTime::from_chrono(Utc::now());
        let reason = error.to_string();
        if let Err(e) = self
            .exports
            .abandon(
                self.id,
                ExportStatus::Failed,
                self.rows,
                self.bytes,
                Some(&reason),
                at,
            )
            .await
        {
            tracing::error!(export.id = %self.id, error = %e, "recording the failed export failed");
        }
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        tracing::warn!(
            export.id = %self.id,
            export.rows = self.rows,
            export.bytes = self.bytes,
            "export stopped before its end (the client went away or stopped reading); recorded as incomplete, without a manifest"
        );
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (exports, id, rows, bytes) = (self.exports.clone(), self.id, self.rows, self.bytes);
        runtime.spawn(async move {
            let at = bson::DateTime::from_chrono(Utc::now());
            if let Err(e) = exports
                .abandon(id, ExportStatus::Incomplete, rows, bytes, None, at)
                .await
            {
                tracing::error!(export.id = %id, error = %e, "recording the incomplete export failed");
            }
        });
    }
}
