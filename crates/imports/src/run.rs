//! One import from start to report: the file layer on a blocking thread, the records read there
//! and handed over in batches, normalised, resolved and stored here, the rollups of the days
//! touched, and the `imports` document kept up to date throughout.

use crate::csv_map::CsvMapping;
use crate::input::{self, Checked, Limits};
use crate::records::{self, Broken, Format, Item};
use crate::source::SourceKind;
use chrono::{DateTime, NaiveDate, Utc};
use connectors::SourceRecord;
use domain::{DeploymentId, Event};
use ingest::identity::IdentityResolver;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::imports::{ImportCounts, ImportDoc, ImportStatus};
use store::rejects::Reject;
use store::rollups::RollupScope;
use store::{Store, StoreError};
use tokio::sync::mpsc;

/// A JSON document that is not a top-level array is read whole; this is the most it may hold.
const WHOLE_DOCUMENT_LIMIT: u64 = 256 * 1024 * 1024;
/// Records handed from the reading thread at a time, and events written at a time.
const BATCH: usize = 1000;
/// How often progress is written to the `imports` document.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Distinct reasons kept in an import's counts; the rest are counted as "other reasons".
const MAX_REASONS: usize = 50;

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The import's id ([`store::imports::new_import_id`]), chosen by the caller so a page can
    /// follow the import while it runs.
    pub id: String,
    /// The file.
    pub path: PathBuf,
    /// Its name as the report shows it (an upload's original name).
    pub file_name: String,
    /// The deployment its events belong to.
    pub deployment: DeploymentId,
    /// What its records are; `None` recognises them from the first record (or the CSV header).
    pub source: Option<SourceKind>,
    /// The source generic events are filed under when a record does not name one.
    pub source_name: Option<String>,
    /// How they are written; `None` tells from the first bytes.
    pub format: Option<Format>,
    /// Days whose rollups to recompute instead of the days the file touched.
    pub dates: Vec<NaiveDate>,
    /// Who imports it.
    pub by: String,
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Checking the whole file (digest, compression, encoding).
    Checking,
    /// Reading and storing its records.
    Reading,
    /// Recomputing the rollups of the days touched.
    Rollups,
}

/// Runs imports.
#[derive(Debug, Clone)]
pub struct Importer {
    store: Store,
    resolver: IdentityResolver,
    limits: Limits,
}

/// What the reading thread hands over.
enum Msg {
    /// How the file is read (what `auto` chose).
    Notes {
        format: String,
        source: SourceKind,
        notes: Vec<String>,
    },
    /// Records read.
    Batch(Vec<Prepared>),
    /// The file cannot be read as a whole (before any record).
    Refused(String),
    /// The file stopped being readable part way.
    Broken(String),
}

/// One record read, ready for the pipeline, or why it cannot be.
struct Prepared {
    at: String,
    /// The record as it appears in the file (a CSV row as column → cell), for a reject.
    original: Value,
    records: Result<Vec<SourceRecord>, String>,
}

impl Importer {
    /// An importer writing through `store`, resolving actors with `resolver`.
    pub fn new(store: Store, resolver: IdentityResolver, limits: Limits) -> Self {
        Self {
            store,
            resolver,
            limits,
        }
    }

    /// Imports one file and returns its settled `imports` document. `progress` is called as the
    /// work goes on with the phase, the bytes done and their total, and the counts so far.
    ///
    /// File problems are not errors: they settle the document as `rejected` with the reason.
    ///
    /// # Errors
    /// A database failure (the document is then settled as `failed` where the database allows).
    pub async fn run(
        &self,
        request: ImportRequest,
        now: DateTime<Utc>,
        progress: &mut (dyn FnMut(Phase, u64, u64, &ImportCounts) + Send),
    ) -> Result<ImportDoc, StoreError> {
        let started = Instant::now();
        let size = std::fs::metadata(&request.path).map_or(0, |m| m.len());
        let mut doc = ImportDoc {
            id: request.id.clone(),
            deployment: request.deployment.to_string(),
            by: request.by.clone(),
            file_name: request.file_name.clone(),
            size: size as i64,
            sha256: String::new(),
            source: request.source.map(|s| s.to_string()).unwrap_or_default(),
            format: request.format.map(|f| f.to_string()).unwrap_or_default(),
            status: ImportStatus::Running,
            reason: None,
            notes: Vec::new(),
            counts: ImportCounts::default(),
            bytes_read: 0,
            phase: "checking".to_owned(),
            days: Vec::new(),
            started_at: bson::DateTime::from_chrono(now),
            finished_at: None,
            same_as: None,
        };
        self.store.imports.insert(&doc).await?;
        let outcome = self.work(&request, &mut doc, now, progress).await;
        doc.finished_at = Some(bson::DateTime::from_chrono(
            now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
        ));
        if let Err(e) = &outcome {
            doc.status = ImportStatus::Failed;
            doc.reason = Some(format!(
                "{e}; what was stored stays stored, and importing the file again is safe"
            ));
        }
        self.store.imports.finish(&doc).await?;
        outcome.map(|()| doc)
    }

    async fn work(
        &self,
        request: &ImportRequest,
        doc: &mut ImportDoc,
        now: DateTime<Utc>,
        progress: &mut (dyn FnMut(Phase, u64, u64, &ImportCounts) + Send),
    ) -> Result<(), StoreError> {
        let size = doc.size as u64;
        // 1. The file as a whole.
        progress(Phase::Checking, 0, size, &doc.counts);
        let checked = {
            let (path, limits) = (request.path.clone(), self.limits);
            let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
            let task = tokio::task::spawn_blocking(move || {
                input::check(&path, limits, &mut |done| {
                    let _ = tx.send(done);
                })
            });
            let mut last = Instant::now();
            while let Some(done) = rx.recv().await {
                if last.elapsed() >= PROGRESS_EVERY {
                    progress(Phase::Checking, done, size, &doc.counts);
                    self.store
                        .imports
                        .progress(&doc.id, "checking", done, &doc.counts)
                        .await?;
                    last = Instant::now();
                }
            }
            match task.await {
                Ok(r) => r,
                Err(e) => Err(input::FileRejection::Unreadable(e.to_string())),
            }
        };
        let checked = match checked {
            Ok(c) => c,
            Err(rejection) => {
                doc.status = ImportStatus::Rejected;
                doc.reason = Some(rejection.to_string());
                return Ok(());
            }
        };
        doc.sha256 = checked.sha256.clone();
        if let Some(earlier) = self
            .store
            .imports
            .complete_with_digest(&checked.sha256, &doc.deployment)
            .await?
        {
            doc.status = ImportStatus::AlreadyImported;
            doc.reason = Some(format!(
                "the same file (SHA-256 {}) was imported into {} by {} on {} as import {}: nothing new to store",
                checked.sha256,
                earlier.deployment,
                earlier.by,
                earlier.started_at.to_chrono().format("%Y-%m-%d %H:%M UTC"),
                earlier.id
            ));
            doc.same_as = Some(earlier.id);
            doc.bytes_read = doc.size;
            return Ok(());
        }

        // 2. The records, read on a blocking thread and stored here.
        let consumed = Arc::new(AtomicU64::new(0));
        let (tx, mut rx) = mpsc::channel::<Msg>(4);
        let reader = {
            let (request, limits, consumed) = (request.clone(), self.limits, consumed.clone());
            tokio::task::spawn_blocking(move || {
                read_file(&request, &checked, limits, consumed, &tx)
            })
        };
        progress(Phase::Reading, 0, size, &doc.counts);
        let mut writer = Writer::new(self, request.deployment.clone(), doc, now);
        let mut last = Instant::now();
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Notes {
                    format,
                    source,
                    notes,
                } => {
                    writer.doc.format = format;
                    writer.doc.source = source.to_string();
                    writer.doc.notes = notes;
                }
                Msg::Refused(reason) => {
                    writer.doc.status = ImportStatus::Rejected;
                    writer.doc.reason = Some(reason);
                }
                Msg::Broken(reason) => writer.broken = Some(reason),
                Msg::Batch(batch) => {
                    writer.take(batch).await?;
                    if last.elapsed() >= PROGRESS_EVERY {
                        let done = consumed.load(Ordering::Relaxed);
                        writer.doc.bytes_read = done as i64;
                        self.store
                            .imports
                            .progress(&writer.doc.id, "reading", done, &writer.doc.counts)
                            .await?;
                        progress(Phase::Reading, done, size, &writer.doc.counts);
                        last = Instant::now();
                    }
                }
            }
        }
        let _ = reader.await;
        writer.flush().await?;
        let (days, broken) = (std::mem::take(&mut writer.days), writer.broken.take());
        let doc = writer.doc;
        doc.bytes_read = consumed.load(Ordering::Relaxed) as i64;
        progress(Phase::Reading, size, size, &doc.counts);
        if doc.status == ImportStatus::Rejected {
            return Ok(());
        }

        // 3. The rollups of the days touched, or those asked for.
        let days: Vec<NaiveDate> = if request.dates.is_empty() {
            days.into_iter().collect()
        } else {
            request.dates.clone()
        };
        if !days.is_empty() {
            progress(Phase::Rollups, 0, days.len() as u64, &doc.counts);
            let scope = RollupScope {
                deployment: Some(request.deployment.clone()),
                ..RollupScope::default()
            };
            self.store.rollups.rebuild(&days, &scope).await?;
            progress(
                Phase::Rollups,
                days.len() as u64,
                days.len() as u64,
                &doc.counts,
            );
        }
        doc.days = days.iter().map(|d| d.to_string()).collect();
        match broken {
            Some(reason) => {
                doc.status = ImportStatus::Failed;
                doc.reason = Some(format!(
                    "the file stops being readable after {} records: {reason}; the records before it were imported",
                    doc.counts.records
                ));
            }
            None => doc.status = ImportStatus::Complete,
        }
        Ok(())
    }
}

/// A written batch: each event's day and whether it was new.
type Written = Result<Vec<(NaiveDate, bool)>, StoreError>;

/// The storing side of an import: normalises each record, resolves who acted, writes events in
/// batches and quarantines what cannot be read.
struct Writer<'a> {
    importer: &'a Importer,
    deployment: DeploymentId,
    doc: &'a mut ImportDoc,
    now: DateTime<Utc>,
    events: Vec<Event>,
    rejects: Vec<Reject>,
    days: BTreeSet<NaiveDate>,
    broken: Option<String>,
    /// The batch being written.
    writing: Option<tokio::task::JoinHandle<Written>>,
}

impl<'a> Writer<'a> {
    fn new(
        importer: &'a Importer,
        deployment: DeploymentId,
        doc: &'a mut ImportDoc,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            importer,
            deployment,
            doc,
            now,
            events: Vec::with_capacity(BATCH),
            rejects: Vec::new(),
            days: BTreeSet::new(),
            broken: None,
            writing: None,
        }
    }

    fn reject(&mut self, at: &str, reason: String, raw: Value) {
        let counts = &mut self.doc.counts;
        counts.records += 1;
        counts.rejected += 1;
        let class = reason_class(&reason);
        let key = if counts.rejected_by_reason.len() < MAX_REASONS
            || counts.rejected_by_reason.contains_key(&class)
        {
            class
        } else {
            "other reasons".to_owned()
        };
        *counts.rejected_by_reason.entry(key).or_default() += 1;
        let origin = format!("{} {at}", self.doc.file_name);
        self.rejects
            .push(Reject::new(self.doc.rejects_stream(), reason, raw).at(origin));
    }

    async fn take(&mut self, batch: Vec<Prepared>) -> Result<(), StoreError> {
        for item in batch {
            let records = match item.records {
                Ok(r) => r,
                Err(reason) => {
                    self.reject(&item.at, reason, item.original);
                    continue;
                }
            };
            for record in records {
                match pipeline::normalize(&self.deployment, &record, self.now) {
                    Ok(n) => {
                        let mut event = n.event;
                        if let Some(actor) = &n.actor {
                            event.actor_id = self
                                .importer
                                .resolver
                                .resolve(actor, event.product, self.now)
                                .await?;
                        }
                        self.doc.counts.records += 1;
                        self.events.push(event);
                    }
                    Err(reason) => {
                        pipeline::nesting::drop_flat(record.context);
                        // A CSV row is kept as its cells; a JSON record as it was written.
                        let raw = if item.original.is_null() {
                            record.raw
                        } else {
                            item.original.clone()
                        };
                        self.reject(&item.at, reason.to_string(), raw);
                    }
                }
                if self.events.len() >= BATCH {
                    self.write_events().await?;
                }
            }
        }
        Ok(())
    }

    /// Sends the events gathered so far to the database, after the previous batch's write has
    /// finished: one write is in flight while the next batch is normalised and resolved.
    async fn write_events(&mut self) -> Result<(), StoreError> {
        if self.events.is_empty() {
            return Ok(());
        }
        self.settle_write().await?;
        let mut batch = std::mem::replace(&mut self.events, Vec::with_capacity(BATCH));
        let stored_at = Utc::now().max(self.now);
        for e in &mut batch {
            e.ingested_at = stored_at;
        }
        let events = self.importer.store.events.clone();
        self.writing = Some(tokio::spawn(async move {
            let fresh = events.insert_each(&batch).await?;
            let days = batch.iter().map(|e| e.occurred_at.date_naive());
            Ok(days.zip(fresh).collect())
        }));
        Ok(())
    }

    /// Waits for the write in flight and counts its new events and duplicates.
    async fn settle_write(&mut self) -> Result<(), StoreError> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let written = match writing.await {
            Ok(written) => written?,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => {
                return Err(StoreError::Refused {
                    collection: store::EVENTS,
                    reason: format!("the write was cancelled: {e}"),
                })
            }
        };
        for (day, new) in written {
            if new {
                self.doc.counts.new += 1;
                self.days.insert(day);
            } else {
                self.doc.counts.duplicates += 1;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        self.write_events().await?;
        self.settle_write().await?;
        let rejects = std::mem::take(&mut self.rejects);
        self.importer.store.rejects.record(&rejects, self.now).await
    }
}

/// A reason without the value at fault (the text before its first `": "`), so rejects group by
/// what was wrong.
fn reason_class(reason: &str) -> String {
    let class = reason.split(": ").next().unwrap_or(reason);
    class.chars().take(160).collect()
}

/// The reading thread: decides the format and source, then reads every record into batches.
fn read_file(
    request: &ImportRequest,
    checked: &Checked,
    limits: Limits,
    consumed: Arc<AtomicU64>,
    tx: &mpsc::Sender<Msg>,
) {
    let send = |m: Msg| tx.blocking_send(m).is_ok();
    let mut text = match input::open(&request.path, checked, limits, consumed) {
        Ok(t) => t,
        Err(e) => {
            send(Msg::Refused(format!("the file cannot be read: {e}")));
            return;
        }
    };
    let head = match text.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => {
            send(Msg::Refused(format!("the file cannot be read: {e}")));
            return;
        }
    };
    let mut notes = Vec::new();
    let format = match request.format {
        Some(f) => f,
        None => match Format::detect(&head) {
            Some((f, why)) => {
                notes.push(format!("format {f}: {why}"));
                f
            }
            None => {
                send(Msg::Refused(
                    "the file is neither JSON, NDJSON, CSV nor XML (its first line is none of them); pass --format if it is one".into(),
                ));
                return;
            }
        },
    };
    let format_name = if checked.gzip {
        format!("{format}+gzip")
    } else {
        format.to_string()
    };
    let items: Box<dyn Iterator<Item = Result<Item, Broken>>>;
    let mut mapping = None;
    match format {
        Format::Ndjson => items = Box::new(records::ndjson(text, limits.max_record_bytes)),
        Format::Json => match records::json(text, limits.max_record_bytes, WHOLE_DOCUMENT_LIMIT) {
            Ok(i) => items = i,
            Err(e) => {
                send(Msg::Refused(format!("the JSON cannot be read: {e}")));
                return;
            }
        },
        Format::Xml => match crate::xml::xml(text, limits.max_record_bytes) {
            Ok(i) => items = i,
            Err(e) => {
                send(Msg::Refused(e.to_string()));
                return;
            }
        },
        Format::Csv => match records::csv(text, limits.max_record_bytes) {
            Ok((headers, rows)) => {
                let kind = match request.source.or_else(|| CsvMapping::detect(&headers)) {
                    Some(k) => k,
                    None => {
                        send(Msg::Refused(format!(
                            "the CSV's columns ({}) are none of the exports this import knows; pass --source",
                            headers.join(", ")
                        )));
                        return;
                    }
                };
                match CsvMapping::new(kind, &headers) {
                    Ok(m) => {
                        if request.source.is_none() {
                            notes.push(format!("source {kind}: recognised from the CSV's columns"));
                        }
                        notes.push(format!("columns: {}", m.describe()));
                        mapping = Some((kind, m));
                    }
                    Err(e) => {
                        send(Msg::Refused(e));
                        return;
                    }
                }
                items = rows;
            }
            Err(e) => {
                send(Msg::Refused(e.to_string()));
                return;
            }
        },
    }
    let mut items = items.peekable();
    // The source: given, from the CSV header, or recognised from the first readable record.
    let kind = match (&mapping, request.source) {
        (Some((k, _)), _) => *k,
        (None, Some(k)) => k,
        (None, None) => {
            let first = items
                .peek()
                .and_then(|i| i.as_ref().ok())
                .and_then(|i| i.value.as_ref().ok());
            match first.and_then(SourceKind::detect) {
                Some(k) => {
                    notes.push(format!("source {k}: recognised from the first record"));
                    k
                }
                None => {
                    send(Msg::Refused(
                        "the first record has none of the shapes this import knows (Atlassian audit records, organization events, issues, commits, pull requests, requests, generic events); pass --source".into(),
                    ));
                    return;
                }
            }
        }
    };
    if !send(Msg::Notes {
        format: format_name,
        source: kind,
        notes,
    }) {
        return;
    }
    let bound = request.source_name.as_deref();
    let mut batch = Vec::with_capacity(BATCH);
    for item in items {
        let item = match item {
            Ok(i) => i,
            Err(Broken(reason)) => {
                send(Msg::Batch(std::mem::take(&mut batch)));
                send(Msg::Broken(reason));
                return;
            }
        };
        let prepared = match item.value {
            Err(u) => Prepared {
                at: item.at,
                original: Value::String(u.text),
                records: Err(u.reason),
            },
            Ok(value) => match &mapping {
                Some((_, m)) => {
                    let records = m.record(&value).map(|r| kind.records(r, bound));
                    Prepared {
                        at: item.at,
                        original: value,
                        records,
                    }
                }
                None => Prepared {
                    at: item.at,
                    original: Value::Null,
                    records: Ok(kind.records(value, bound)),
                },
            },
        };
        batch.push(prepared);
        if batch.len() >= BATCH
            && !send(Msg::Batch(std::mem::replace(
                &mut batch,
                Vec::with_capacity(BATCH),
            )))
        {
            return;
        }
    }
    if !batch.is_empty() {
        send(Msg::Batch(batch));
    }
}
