//! Jira: audit records (`id`, `created`, `summary`, `category`, `authorAccountId`,
//! `remoteAddress`, `objectItem`, `associatedItems`), issue creations and changelog entries.

use super::{object, Parts};
use crate::fields::{ip, iso_time, required, text};
use crate::operations::{audit_operation, escalate_admin};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Operation, Pipeline, Product};
use serde_json::Value;

fn account(v: &Value) -> AccountRef {
    AccountRef {
        account_id: text(&v["accountId"]),
        display_name: text(&v["displayName"]),
        email: text(&v["emailAddress"]),
        ..AccountRef::default()
    }
}

/// One audit record.
pub fn audit(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["id"], "id")?;
    let occurred_at = iso_time(&raw["created"], "created", now)?;
    let summary = required(&raw["summary"], "summary")?;
    let item = &raw["objectItem"];
    let group = (item["typeName"].as_str() == Some("GROUP"))
        .then(|| text(&item["name"]))
        .flatten();
    Parts {
        product: Product::Jira,
        pipeline: Pipeline::Audit,
        source_id: format!("audit-{id}"),
        occurred_at,
        operation: escalate_admin(audit_operation(&summary), group.as_deref()),
        object_type: text(&item["typeName"]).map(|t| t.to_lowercase()),
        object_ref: object(
            text(&item["id"]),
            text(&item["name"]),
            text(&item["parentName"]),
        ),
        source_ip: ip(&raw["remoteAddress"]),
        country: None,
        actor: Some(AccountRef {
            account_id: text(&raw["authorAccountId"]),
            ..AccountRef::default()
        }),
        raw,
    }
    .build(deployment, now)
}

/// An issue, for its creation.
pub fn issue_created(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["id"], "id")?;
    let fields = &raw["fields"];
    let creator = if fields["creator"].is_object() {
        &fields["creator"]
    } else {
        &fields["reporter"]
    };
    Parts {
        product: Product::Jira,
        pipeline: Pipeline::Activity,
        source_id: format!("issue-{id}-created"),
        occurred_at: iso_time(&fields["created"], "fields.created", now)?,
        operation: Operation::IssueCreated,
        object_type: Some("issue".into()),
        object_ref: object(
            text(&raw["key"]).or(Some(id.clone())),
            text(&fields["summary"]),
            text(&fields["project"]["key"]),
        ),
        source_ip: None,
        country: None,
        actor: Some(account(creator)),
        raw,
    }
    .build(deployment, now)
}

/// One changelog entry; a status change is a transition, anything else an update.
pub fn changelog(
    deployment: &DeploymentId,
    raw: &Value,
    ctx: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["id"], "id")?;
    let transitioned = raw["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["field"].as_str() == Some("status")));
    Parts {
        product: Product::Jira,
        pipeline: Pipeline::Activity,
        source_id: format!("changelog-{id}"),
        occurred_at: iso_time(&raw["created"], "created", now)?,
        operation: if transitioned {
            Operation::IssueTransitioned
        } else {
            Operation::IssueUpdated
        },
        object_type: Some("issue".into()),
        object_ref: object(
            text(&ctx["issueKey"]).or_else(|| text(&ctx["issueId"])),
            text(&ctx["summary"]),
            text(&ctx["project"]),
        ),
        source_ip: None,
        country: None,
        actor: Some(account(&raw["author"])),
        raw,
    }
    .build(deployment, now)
}
