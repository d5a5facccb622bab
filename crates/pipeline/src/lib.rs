//! Normalisation: one source record in, one [`Event`] (and the account that acted) out — or a
//! [`NormalizeError`] saying exactly why not, so the record can be quarantined with its reason.
//!
//! Pure functions only: no IO, no clock (the caller passes `now`), no identity look-ups (the
//! caller resolves the returned [`AccountRef`] to a person). One module per product reads that
//! product's record shapes; [`operations`] maps source actions onto the controlled vocabulary and
//! [`classify`] decides category and severity.
#![deny(missing_docs)]

pub mod classify;
pub mod directory;
mod fields;
pub mod nesting;
pub mod operations;
mod products;

use chrono::{DateTime, Utc};
use connectors::{RecordKind, SourceRecord};
use domain::{DeploymentId, Event, IdError, Operation, Product};

pub use fields::{parse_author_raw, EPOCH_MILLIS_FROM};

/// The generic AtlasLens event: its JSON Schema and the rule for source names.
pub mod generic {
    /// The JSON Schema (draft 2020-12) of one generic event, as `GET /api/ingest/schema` serves it.
    pub const SCHEMA: &str = include_str!("../generic-event.schema.json");
    pub use crate::products::generic::valid_source;
}

/// The product account that performed an event, as the record names it. Any part may be missing
/// (Bitbucket commits by unlinked authors carry only `Name <email>`; a Bitbucket account may carry
/// only its `uuid` and display name, which is all the schema promises).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountRef {
    /// The Atlassian account id.
    pub account_id: Option<String>,
    /// The display name.
    pub display_name: Option<String>,
    /// The e-mail address.
    pub email: Option<String>,
    /// The Bitbucket account uuid, canonical (`{lower-case-hex}`): what identifies a Bitbucket
    /// account whose record has no account id.
    pub bitbucket_uuid: Option<String>,
}

impl AccountRef {
    /// Whether nothing identifies the account.
    pub fn is_empty(&self) -> bool {
        self.account_id.is_none() && self.bitbucket_uuid.is_none() && self.email.is_none()
    }

    /// What the event keeps as the account it names: the account id, else the Bitbucket uuid,
    /// else the e-mail address — the most stable identifier the record gives.
    pub fn raw_id(&self) -> Option<String> {
        self.account_id
            .clone()
            .or_else(|| self.bitbucket_uuid.clone())
            .or_else(|| self.email.clone())
    }
}

/// A normalised record: the event (with `actor_id` still unset) and who acted.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The event.
    pub event: Event,
    /// The acting account, if the record names one.
    pub actor: Option<AccountRef>,
}

/// Why a record could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// A field the event needs is absent or null.
    #[error("required field `{0}` is missing")]
    Missing(&'static str),
    /// A time field is not in the form the product writes it in.
    #[error("field `{field}` is not {expected}: {value}")]
    BadTime {
        /// The field.
        field: &'static str,
        /// The form the field is read in.
        expected: &'static str,
        /// Its value, shortened.
        value: String,
    },
    /// A time field reads, but as a time the record cannot have: before 2000 or more than a day
    /// after it was fetched. Stored, it would be silently wrong evidence.
    #[error(
        "field `{field}` holds {value}, read as {read}: {why}, so it cannot be this record's time"
    )]
    ImplausibleTime {
        /// The field.
        field: &'static str,
        /// Its value, shortened.
        value: String,
        /// The instant it reads as (RFC 3339).
        read: String,
        /// Which bound it breaks.
        why: &'static str,
    },
    /// The record's id does not make a valid event id.
    #[error("the record id is unusable: {0}")]
    BadId(#[from] IdError),
    /// The record nests deeper than [`nesting::MAX_DEPTH`] levels: no source writes such records,
    /// and building an event from one could exhaust the stack.
    #[error("the record nests more than {limit} levels deep")]
    TooDeep {
        /// The bound.
        limit: usize,
    },
    /// A field holds a value outside what it may hold, with the rule it breaks.
    #[error("field `{field}` is invalid: {why}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong and what it may hold.
        why: String,
    },
    /// A field holds a value of the wrong kind.
    #[error("field `{field}` has an unexpected value: {value:?}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// Its value, shortened.
        value: String,
    },
}

/// Normalises one record of `deployment`, stamping `now` as the ingestion time and judging its
/// times against it. Every way records come in goes through here, so the nesting bound is
/// checked here once.
///
/// # Errors
/// A [`NormalizeError`] naming the field at fault. Quarantine a rejected record's raw payload
/// through [`nesting::storable`].
pub fn normalize(
    deployment: &DeploymentId,
    record: &SourceRecord,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let limit = nesting::MAX_DEPTH;
    if nesting::deeper_than(&record.raw, limit) || nesting::deeper_than(&record.context, limit) {
        return Err(NormalizeError::TooDeep { limit });
    }
    let raw = &record.raw;
    let ctx = &record.context;
    match record.kind {
        RecordKind::OrgEvent => products::org::event(deployment, raw, now),
        RecordKind::JiraAudit => products::jira::audit(deployment, raw, now),
        RecordKind::JiraIssueCreated => products::jira::issue_created(deployment, raw, now),
        RecordKind::JiraChangelog => products::jira::changelog(deployment, raw, ctx, now),
        RecordKind::ConfluenceAudit => products::confluence::audit(deployment, raw, now),
        RecordKind::ConfluenceVersion => products::confluence::version(deployment, raw, ctx, now),
        RecordKind::BitbucketCommit => products::bitbucket::commit(deployment, raw, ctx, now),
        RecordKind::BitbucketPrOpened => products::bitbucket::pr_opened(deployment, raw, ctx, now),
        RecordKind::BitbucketPrClosed => products::bitbucket::pr_closed(deployment, raw, ctx, now),
        RecordKind::JsmRequestCreated => products::jsm::created(deployment, raw, now),
        RecordKind::JsmRequestResolved => products::jsm::resolved(deployment, raw, now),
        RecordKind::GenericEvent => products::generic::event(deployment, raw, ctx, now),
    }
}

/// The operation a stored audit record of `product` maps to under the current vocabulary, read
/// from its raw payload alone (audit records need no context), so records stored under an older
/// vocabulary can be reclassified. `None` for products without an audit pipeline of their own,
/// or a record that no longer normalises.
pub fn audit_operation_of(product: Product, raw: &serde_json::Value) -> Option<Operation> {
    let kind = match product {
        Product::Org => RecordKind::OrgEvent,
        Product::Jira => RecordKind::JiraAudit,
        Product::Confluence => RecordKind::ConfluenceAudit,
        Product::Bitbucket | Product::Jsm | Product::External => return None,
    };
    let record = SourceRecord {
        kind,
        raw: raw.clone(),
        context: serde_json::Value::Null,
    };
    let deployment = DeploymentId::parse("reclassify").ok()?;
    // A stored record's time was plausible when it was stored; judge it against the far future.
    let now = DateTime::<Utc>::MAX_UTC - chrono::TimeDelta::days(2);
    normalize(&deployment, &record, now)
        .ok()
        .map(|n| n.event.operation)
}
