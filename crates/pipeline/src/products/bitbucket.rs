//! Bitbucket: commits (author by linked account, else by the `Name <email>` of the git author) and
//! pull requests opened, merged or declined. Accounts are named by account id and by uuid (the
//! schema promises only the uuid), and repositories by slug, else `full_name`, else uuid.

use super::{object, Parts};
use crate::fields::{iso_time, parse_author_raw, required, text};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use connectors::bitbucket::{braced_uuid, repository_key};
use domain::{DeploymentId, Operation, Pipeline, Product};
use serde_json::Value;

/// An account (`user`/`account`): the schema promises `uuid` and `display_name`, not
/// `account_id`, so the uuid is read too.
fn user(v: &Value) -> AccountRef {
    AccountRef {
        account_id: text(&v["account_id"]),
        display_name: text(&v["display_name"]),
        email: None,
        bitbucket_uuid: text(&v["uuid"]).and_then(|u| braced_uuid(&u)),
    }
}

/// The repository's part of the source id: its slug, else what the connector addressed it by
/// (see [`repository_key`]), so ids of repositories with a slug never change.
fn slug(ctx: &Value) -> Result<String, NormalizeError> {
    repository_key(ctx).ok_or(NormalizeError::Missing(
        "repository slug, full_name or uuid",
    ))
}

/// One commit.
pub fn commit(
    deployment: &DeploymentId,
    raw: &Value,
    ctx: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let hash = required(&raw["hash"], "hash")?;
    let author = &raw["author"];
    let (name, email) = author["raw"]
        .as_str()
        .map(parse_author_raw)
        .unwrap_or_default();
    let mut actor = user(&author["user"]);
    actor.email = email;
    actor.display_name = actor.display_name.or(name);
    let summary = text(&raw["summary"]["raw"])
        .or_else(|| text(&raw["message"]))
        .map(|m| m.lines().next().unwrap_or_default().to_owned());
    Parts {
        product: Product::Bitbucket,
        pipeline: Pipeline::Activity,
        source_id: format!("commit-{}-{hash}", slug(ctx)?),
        occurred_at: iso_time(&raw["date"], "date", now)?,
        operation: Operation::CommitPushed,
        object_type: Some("commit".into()),
        object_ref: object(
            Some(hash.chars().take(12).collect()),
            summary,
            text(&ctx["fullName"]),
        ),
        source_ip: None,
        country: None,
        actor: Some(actor),
        raw,
    }
    .build(deployment, now)
}

fn pr_object(raw: &Value, id: &str, ctx: &Value) -> Option<domain::ObjectRef> {
    object(
        Some(format!("#{id}")),
        text(&raw["title"]),
        text(&ctx["fullName"]),
    )
}

/// A pull request, for its opening.
pub fn pr_opened(
    deployment: &DeploymentId,
    raw: &Value,
    ctx: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["id"], "id")?;
    Parts {
        product: Product::Bitbucket,
        pipeline: Pipeline::Activity,
        source_id: format!("pr-{}-{id}-opened", slug(ctx)?),
        occurred_at: iso_time(&raw["created_on"], "created_on", now)?,
        operation: Operation::PrOpened,
        object_type: Some("pull_request".into()),
        object_ref: pr_object(raw, &id, ctx),
        source_ip: None,
        country: None,
        actor: Some(user(&raw["author"])),
        raw,
    }
    .build(deployment, now)
}

/// A pull request, for its merge or decline (by whoever closed it).
pub fn pr_closed(
    deployment: &DeploymentId,
    raw: &Value,
    ctx: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["id"], "id")?;
    let (operation, verb) = match raw["state"].as_str() {
        Some("MERGED") => (Operation::PrMerged, "merged"),
        Some("DECLINED") => (Operation::PrDeclined, "declined"),
        other => {
            return Err(NormalizeError::BadValue {
                field: "state",
                value: format!("{other:?}"),
            })
        }
    };
    let closer = if raw["closed_by"].is_object() {
        &raw["closed_by"]
    } else {
        &raw["author"]
    };
    Parts {
        product: Product::Bitbucket,
        pipeline: Pipeline::Activity,
        source_id: format!("pr-{}-{id}-{verb}", slug(ctx)?),
        occurred_at: iso_time(&raw["updated_on"], "updated_on", now)?,
        operation,
        object_type: Some("pull_request".into()),
        object_ref: pr_object(raw, &id, ctx),
        source_ip: None,
        country: None,
        actor: Some(user(closer)),
        raw,
    }
    .build(deployment, now)
}
