//! Jira Service Management: customer requests, for their creation (by the reporter) and their
//! resolution.

use super::{object, Parts};
use crate::fields::{epoch_millis, iso_time, required, text};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Operation, Pipeline, Product};
use serde_json::Value;

/// A `DateDTO` time (`{epochMillis, iso8601, jira, friendly}`): `epochMillis` when present, else
/// `iso8601`; `fields` names the DTO and its two parts.
fn date_dto(
    v: &Value,
    fields: [&'static str; 3],
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, NormalizeError> {
    let [dto, epoch, iso] = fields;
    if !v.is_object() {
        Err(NormalizeError::Missing(dto))
    } else if v["epochMillis"].is_null() {
        iso_time(&v["iso8601"], iso, now)
    } else {
        epoch_millis(&v["epochMillis"], epoch, now)
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
        country: None,
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
    let at = date_dto(
        &raw["createdDate"],
        [
            "createdDate",
            "createdDate.epochMillis",
            "createdDate.iso8601",
        ],
        now,
    )?;
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
        [
            "currentStatus.statusDate",
            "currentStatus.statusDate.epochMillis",
            "currentStatus.statusDate.iso8601",
        ],
        now,
    )?;
    request(
        deployment,
        raw,
        now,
        ("resolved", Operation::RequestResolved, at),
    )
}
