//! Confluence: audit records (no id of their own: a digest of their identifying fields stands in)
//! and page / blog-post versions.
//!
//! A group-membership record names the member as its affected object and the group among its
//! associated objects; the event's object is the group, as it is for Jira and organization
//! membership events, so "who joined which group" reads the same whichever product said it (the
//! member stays in the raw payload).

use super::{object, Parts};
use crate::fields::{epoch_millis, ip, iso_time, text};
use crate::operations::{audit_operation, escalate_admin};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Operation, Pipeline, Product};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The stand-in id of an audit record: the first 16 hex digits of SHA-256 over `creationDate`,
/// author account id, summary, affected object type and name, and remote address, joined by
/// newlines (see docs/simulator.md §5).
pub fn audit_source_id(raw: &Value) -> String {
    let part = |v: &Value| text(v).unwrap_or_default();
    let joined = [
        part(&raw["creationDate"]),
        part(&raw["author"]["accountId"]),
        part(&raw["summary"]),
        part(&raw["affectedObject"]["objectType"]),
        part(&raw["affectedObject"]["name"]),
        part(&raw["remoteAddress"]),
    ]
    .join("\n");
    let digest = Sha256::digest(joined.as_bytes());
    format!(
        "audit-{}",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// One audit record.
pub fn audit(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let occurred_at = epoch_millis(&raw["creationDate"], "creationDate", now)?;
    let summary = text(&raw["summary"]).ok_or(NormalizeError::Missing("summary"))?;
    let affected = &raw["affectedObject"];
    let group = raw["associatedObjects"]
        .as_array()
        .and_then(|objs| {
            objs.iter().find(|o| {
                o["objectType"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("group"))
            })
        })
        .and_then(|o| text(&o["name"]));
    let author = &raw["author"];
    let operation = escalate_admin(audit_operation(&summary), group.as_deref());
    let membership = matches!(
        operation,
        Operation::UserAddedToGroup
            | Operation::UserRemovedFromGroup
            | Operation::AdminGranted
            | Operation::AdminRevoked
    );
    let (object_type, object_ref) = match group.filter(|_| membership) {
        Some(g) => (
            Some("group".to_owned()),
            object(Some(g.clone()), Some(g), None),
        ),
        None => (
            text(&affected["objectType"]).map(|t| t.to_lowercase()),
            object(text(&affected["name"]), text(&affected["name"]), None),
        ),
    };
    Parts {
        product: Product::Confluence,
        pipeline: Pipeline::Audit,
        source_id: audit_source_id(raw),
        occurred_at,
        operation,
        object_type,
        object_ref,
        source_ip: ip(&raw["remoteAddress"]),
        country: None,
        actor: Some(AccountRef {
            account_id: text(&author["accountId"]),
            display_name: text(&author["displayName"]),
            ..AccountRef::default()
        }),
        raw,
    }
    .build(deployment, now)
}

/// One version of a page or blog post; version 1 of a page is its creation.
pub fn version(
    deployment: &DeploymentId,
    raw: &Value,
    ctx: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let kind = ctx["contentType"].as_str().unwrap_or("page");
    let id = text(&ctx["id"]).ok_or(NormalizeError::Missing("content id"))?;
    let number = raw["number"]
        .as_u64()
        .ok_or(NormalizeError::Missing("number"))?;
    let operation = match (kind, number) {
        ("blogpost", _) => Operation::BlogpostPublished,
        (_, 1) => Operation::PageCreated,
        _ => Operation::PageUpdated,
    };
    Parts {
        product: Product::Confluence,
        pipeline: Pipeline::Activity,
        source_id: format!("{kind}-{id}-v{number}"),
        occurred_at: iso_time(&raw["createdAt"], "createdAt", now)?,
        operation,
        object_type: Some(kind.to_owned()),
        object_ref: object(Some(id), text(&ctx["title"]), text(&ctx["spaceId"])),
        source_ip: None,
        country: None,
        actor: Some(AccountRef {
            account_id: text(&raw["authorId"]),
            ..AccountRef::default()
        }),
        raw,
    }
    .build(deployment, now)
}
