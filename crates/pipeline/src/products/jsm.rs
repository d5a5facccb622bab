//! Jira Service Management: customer requests, for their creation (by the reporter) and their
//! resolution.

use super::{object, Parts};
use crate::fields::{required, text, time};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Operation, Pipeline, Product};
use serde_json::Value;

/// A `DateDTO` time: `epochMillis`, else `iso8601`.
fn date_dto(v: &Value, field: &'static str) -> Result<DateTime<Utc>, NormalizeError> {
    if v["epochMillis"].is_number() {
        time(&v["epochMillis"], field)
    } else {
        time(&v["iso8601"], field)
    }
}

fn request(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
    (suffix, operation, occurred_at): (&str, Operation, DateTime<Utc>),
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["issueId"], "issueId")?;
    let reporter = &raw["reporter"];
    let actor = (operation == Operation::RequestCreated).then(|| AccountRef {
        account_id: text(&reporter["accountId"]),
        display_name: text(&reporter["displayName"]),
        email: text(&reporter["emailAddress"]),
        ..AccountRef::default()
    });
    Parts {
        product: Product::Jsm,
        pipeline: Pipeline::Activity,
        source_id: format!("request-{id}-{suffix}"),
        occurred_at,
        operation,
        object_type: Some("request".into()),
        object_ref: object(
            text(&raw["issueKey"]).or(Some(id)),
            text(&raw["summary"]),
            text(&raw["serviceDeskId"]),
        ),
        source_ip: None,
        actor,
        raw,
    }
    .build(deployment, now)
}

/// A request, for its creation.
pub fn created(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let at = date_dto(&raw["createdDate"], "createdDate")?;
    request(
        deployment,
        raw,
        now,
        ("created", Operation::RequestCreated, at),
    )
}

/// A request, for its resolution.
pub fn resolved(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let at = date_dto(
        &raw["currentStatus"]["statusDate"],
        "currentStatus.statusDate",
    )?;
    request(
        deployment,
        raw,
        now,
        ("resolved", Operation::RequestResolved, at),
    )
}
