//! The unified event: one record from any product and pipeline, normalised.

use crate::ids::{DeploymentId, EventId, PersonId};
use crate::vocabulary::{Category, Operation, Pipeline, Product, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What an event acted on: an issue, a page, a group, a repository…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The object's id in its product.
    pub id: String,
    /// A human-readable name, when the source gives one.
    pub name: Option<String>,
    /// The enclosing project, space or repository, when there is one.
    pub container: Option<String>,
}

/// One normalised source record. Audit and activity events share this shape, so one query can span
/// security and productivity across every product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Natural key; re-ingesting the same record yields the same id.
    pub id: EventId,
    /// When it happened at the source, in UTC.
    pub occurred_at: DateTime<Utc>,
    /// When AtlasLens first stored it.
    pub ingested_at: DateTime<Utc>,
    /// The configured deployment it came from.
    pub deployment: DeploymentId,
    /// The product it came from.
    pub product: Product,
    /// The pipeline that produced it.
    pub pipeline: Pipeline,
    /// The canonical person who acted, once resolved.
    pub actor_id: Option<PersonId>,
    /// The product account id of the actor, as the source gave it.
    pub actor_raw: Option<String>,
    /// What happened, in the controlled vocabulary.
    pub operation: Operation,
    /// Security or content.
    pub category: Category,
    /// How much attention it deserves.
    pub severity: Severity,
    /// The kind of object acted on (issue, page, group, space…).
    pub object_type: Option<String>,
    /// The object acted on.
    pub object_ref: Option<ObjectRef>,
    /// The client address the source recorded, if any.
    pub source_ip: Option<IpAddr>,
    /// The country the source located the client in, when it gives one (organization events'
    /// `location.countryName`).
    #[serde(default)]
    pub country: Option<String>,
    /// The original payload, untouched.
    pub raw: serde_json::Value,
}
