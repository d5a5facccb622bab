//! One module per product, each reading that product's record shapes into [`Parts`], which
//! [`Parts::build`] turns into a classified event.

pub mod bitbucket;
pub mod confluence;
pub mod generic;
pub mod jira;
pub mod jsm;
pub mod org;

use crate::classify::{category, severity};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Event, EventId, ObjectRef, Operation, Pipeline, Product, SourceId};
use serde_json::Value;
use std::net::IpAddr;

/// What a product module reads out of a record.
pub struct Parts<'a> {
    pub product: Product,
    pub pipeline: Pipeline,
    pub source_id: String,
    pub occurred_at: DateTime<Utc>,
    pub operation: Operation,
    pub object_type: Option<String>,
    pub object_ref: Option<ObjectRef>,
    pub source_ip: Option<IpAddr>,
    pub country: Option<String>,
    pub actor: Option<AccountRef>,
    pub raw: &'a Value,
}

impl Parts<'_> {
    /// The classified event.
    pub fn build(
        self,
        deployment: &DeploymentId,
        now: DateTime<Utc>,
    ) -> Result<Normalized, NormalizeError> {
        let source = SourceId::parse(&self.source_id)?;
        let actor = self.actor.filter(|a| !a.is_empty());
        Ok(Normalized {
            event: Event {
                id: EventId::new(deployment, self.product, &source),
                occurred_at: self.occurred_at,
                ingested_at: now,
                deployment: deployment.clone(),
                product: self.product,
                pipeline: self.pipeline,
                actor_id: None,
                actor_raw: actor.as_ref().and_then(AccountRef::raw_id),
                operation: self.operation,
                category: category(self.pipeline),
                severity: severity(self.operation),
                object_type: self.object_type,
                object_ref: self.object_ref,
                source_ip: self.source_ip,
                country: self.country,
                raw: self.raw.clone(),
            },
            actor,
        })
    }
}

/// An object reference from optional parts; `None` without an id.
pub fn object(
    id: Option<String>,
    name: Option<String>,
    container: Option<String>,
) -> Option<ObjectRef> {
    id.map(|id| ObjectRef {
        id,
        name,
        container,
    })
}
