//! Read-only clients of the Atlassian Cloud APIs, one module per product, behind one trait.
//!
//! A connector knows one source stream — a (product, pipeline) of one deployment — and how its API
//! pages through a time window. It hands raw records to a [`RecordSink`] page by page, so memory
//! stays bounded by the page size, and reports what the run cost ([`FetchStats`]). It never
//! interprets records (that is the pipeline's job) and never writes to Atlassian: every request is
//! a GET.
//!
//! Shared HTTP plumbing — authentication, timeouts, retrying `429` with `Retry-After` and transient
//! failures with capped exponential backoff and jitter, request accounting — lives in [`http`].
#![deny(missing_docs)]

pub mod bitbucket;
pub mod confluence;
pub mod deployments;
pub mod http;
pub mod jira;
pub mod jsm;
pub mod org;
pub mod time;

use chrono::{DateTime, Utc};
use domain::{Pipeline, Product};
use std::time::Duration;

pub use http::{Auth, HttpClient, RetryPolicy};

/// What kind of source record a payload is; decides how the pipeline reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// An organization audit event (`events-stream`).
    OrgEvent,
    /// A Jira audit record.
    JiraAudit,
    /// A Jira issue, for its creation.
    JiraIssueCreated,
    /// One entry of a Jira issue's changelog.
    JiraChangelog,
    /// A Confluence audit record.
    ConfluenceAudit,
    /// One version of a Confluence page or blog post.
    ConfluenceVersion,
    /// A Bitbucket commit.
    BitbucketCommit,
    /// A Bitbucket pull request, for its opening.
    BitbucketPrOpened,
    /// A Bitbucket pull request, for its merge or decline.
    BitbucketPrClosed,
    /// A JSM customer request, for its creation.
    JsmRequestCreated,
    /// A JSM customer request, for its resolution.
    JsmRequestResolved,
    /// A generic AtlasLens event from a source outside Atlassian (imports and the ingest API;
    /// no connector produces it). Its context names the source: `{"source": "okta"}`.
    GenericEvent,
}

/// One record as the source gave it, with the context it was found in (its issue, page,
/// repository…) where the record alone does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// How to read it.
    pub kind: RecordKind,
    /// The record, untouched.
    pub raw: serde_json::Value,
    /// The parent object's fields the record refers to, or `Null`.
    pub context: serde_json::Value,
}

/// The half-open time window `[from, to)` a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

impl Window {
    /// Whether `t` falls inside the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }

    /// `t`, unless it is a time no record can carry ([`domain::time::implausible`]); then `None`,
    /// as for a time that does not parse. Every record time a connector compares with the window
    /// is read through this, so that a time of 1970 is not taken for "older than the window" (and
    /// a listing sorted newest first ended on it) and a time of 9999 is not taken for "after the
    /// window" (and the record dropped): such a record is handed on, and the pipeline refuses it
    /// with the reason.
    ///
    /// The present it is judged against is the window's end — a sync's window ends at its `now`,
    /// which in tests is the simulator's clock — or the clock, when later: a window in the past
    /// does not make every record since its end implausible.
    pub fn plausible(&self, t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let present = self.to.max(Utc::now());
        t.filter(|&t| domain::time::implausible(t, present).is_none())
    }
}

/// What one run cost and saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Pages received.
    pub pages: u64,
    /// `429` answers received.
    pub rate_limited: u64,
    /// Time spent waiting before retries (`Retry-After` or backoff).
    pub waited: Duration,
    /// Records handed to the sink.
    pub records: u64,
}

/// Receives the records of a run, one page at a time.
#[async_trait::async_trait]
pub trait RecordSink: Send {
    /// Takes one page of records. An error stops the run.
    async fn accept(&mut self, records: Vec<SourceRecord>) -> Result<(), SinkError>;

    /// Takes a listing entry the connector cannot use — a repository it cannot address, an issue
    /// without id or key, a page without id — with the reason, so that what the source holds
    /// behind it is a visible, counted reject rather than silently absent. An error stops the run.
    ///
    /// Required, with no default: a sink that stores records must store these too, and one that
    /// does not must say what becomes of them. Never log the entry itself (it may hold personal
    /// data), only the reason.
    async fn reject(&mut self, raw: serde_json::Value, reason: String) -> Result<(), SinkError>;
}

/// The sink a run feeds and how many records it has handed to it: the state a listing that feeds
/// the sink carries from page to page ([`http::Pager`]'s walk), and the count [`FetchStats`]
/// reports. A failure of the sink becomes [`ConnectorError::Sink`].
pub(crate) struct Feed<'a> {
    sink: &'a mut dyn RecordSink,
    records: u64,
}

impl<'a> Feed<'a> {
    /// Feeds `sink`, nothing handed to it yet.
    pub(crate) fn new(sink: &'a mut dyn RecordSink) -> Self {
        Self { sink, records: 0 }
    }

    /// Hands `records` to the sink ([`RecordSink::accept`]), counting them.
    pub(crate) async fn accept(
        &mut self,
        records: Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        self.records += records.len() as u64;
        self.sink
            .accept(records)
            .await
            .map_err(ConnectorError::Sink)
    }

    /// Hands a listing entry the connector cannot use to the sink, with the reason
    /// ([`RecordSink::reject`]).
    pub(crate) async fn reject(
        &mut self,
        raw: serde_json::Value,
        reason: String,
    ) -> Result<(), ConnectorError> {
        self.sink
            .reject(raw, reason)
            .await
            .map_err(ConnectorError::Sink)
    }

    /// The records handed to the sink so far.
    pub(crate) fn records(&self) -> u64 {
        self.records
    }
}

/// A non-empty string, trimmed, or a number written out: how ids and keys of listing entries are
/// read, to address their resources.
///
/// It looks like `pipeline::fields::text` but is not its twin: that one keeps a string as the
/// source wrote it, since it also reads summaries, messages and names, and the event ids made from
/// it must stay what they were; this one trims, since a blank around an id would be
/// percent-encoded into a URL path that names no resource. The pipeline could call this one (it
/// depends on the connectors), but only by changing what it stores.
pub(crate) fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A failure of the sink (the store), carried through the connector unchanged.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Why a run failed, classified so retry decisions can match on it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The credentials were refused (`401`).
    #[error("the credentials were refused (401) by {url}")]
    Unauthorized {
        /// The URL, without query.
        url: String,
    },
    /// The credentials lack permission or the plan lacks the feature (`403`).
    #[error("access is forbidden (403) at {url}: {detail}")]
    Forbidden {
        /// The URL, without query.
        url: String,
        /// The product's explanation, if any.
        detail: String,
    },
    /// The resource does not exist (`404`).
    #[error("not found (404): {url}")]
    NotFound {
        /// The URL, without query.
        url: String,
    },
    /// Still rate-limited after every retry.
    #[error("still rate-limited by {url} after {attempts} attempts")]
    RateLimited {
        /// The URL, without query.
        url: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Server errors, timeouts or broken connections outlasted every retry.
    #[error("{url} kept failing after {attempts} attempts: {detail}")]
    Transient {
        /// The URL, without query.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// The response was not the shape the API documents.
    #[error("unexpected response from {url}: {detail}")]
    Decode {
        /// The URL, without query.
        url: String,
        /// What did not fit.
        detail: String,
    },
    /// A request the API refused as malformed (`400`), which retrying cannot fix.
    #[error("the request was refused (HTTP {status}) by {url}: {detail}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The URL, without query.
        url: String,
        /// The product's explanation.
        detail: String,
    },
    /// The sink failed to store a page.
    #[error("storing a page failed: {0}")]
    Sink(SinkError),
}

impl ConnectorError {
    /// Whether retrying the whole run later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Transient { .. } | Self::Sink(_)
        )
    }
}

/// One source stream of one deployment.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// The product it reads.
    fn product(&self) -> Product;
    /// The pipeline its records feed.
    fn pipeline(&self) -> Pipeline;
    /// Pages through `window`, handing every record to `sink`.
    ///
    /// # Errors
    /// A classified [`ConnectorError`]; records already handed over stay handed over.
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError>;
}
