//! Organization audit events (`events-stream`): `attributes.time`, `.action`, `.actor`,
//! `.context[]` (what was acted on), `.container[]` (where) and `.location` (`ip`, and the
//! `countryName` Atlassian located it in).

use super::{object, Parts};
use crate::fields::{ip, iso_time, required, text};
use crate::operations::{audit_operation, escalate_admin, escalate_admin_role};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Pipeline, Product};
use serde_json::Value;

/// A readable name from a context item's free-form attributes.
fn context_name(item: &Value) -> Option<String> {
    let a = &item["attributes"];
    [
        "name",
        "displayName",
        "groupName",
        "siteName",
        "key",
        "email",
    ]
    .iter()
    .find_map(|k| text(&a[*k]))
}

/// The role a role grant or revocation names, if any: Atlassian does not document where
/// (`context[].attributes` is free-form), so a context item typed as a role gives its name, and
/// any item's `role` or `roleName` attribute is read too. Without one the event stays a role
/// grant or revocation.
fn role_name(context: &[Value]) -> Option<String> {
    context.iter().find_map(|c| {
        let a = &c["attributes"];
        text(&a["role"])
            .or_else(|| text(&a["roleName"]))
            .or_else(|| {
                c["type"]
                    .as_str()
                    .is_some_and(|t| t.contains("role"))
                    .then(|| context_name(c).or_else(|| text(&c["id"])))
                    .flatten()
            })
    })
}

/// The country Atlassian located the client in (`location.countryName`), trimmed; blank is none.
fn country(location: &Value) -> Option<String> {
    location["countryName"]
        .as_str()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

/// One organization event.
pub fn event(
    deployment: &DeploymentId,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let id = required(&raw["id"], "id")?;
    let attributes = &raw["attributes"];
    let occurred_at = iso_time(&attributes["time"], "attributes.time", now)?;
    let action = required(&attributes["action"], "attributes.action")?;
    let context = attributes["context"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let group = context
        .iter()
        .find(|c| c["type"].as_str().is_some_and(|t| t.contains("group")))
        .and_then(context_name);
    // The thing acted on: a group or space before a site or the user.
    let target = context
        .iter()
        .find(|c| {
            !matches!(
                c["type"].as_str(),
                Some("sites" | "site" | "users" | "user")
            )
        })
        .or_else(|| context.first());
    let container = attributes["container"]
        .as_array()
        .and_then(|c| c.first())
        .and_then(|c| context_name(c).or_else(|| text(&c["id"])));
    let actor = &attributes["actor"];
    Parts {
        product: Product::Org,
        pipeline: Pipeline::Audit,
        source_id: id,
        occurred_at,
        operation: escalate_admin_role(
            escalate_admin(audit_operation(&action), group.as_deref()),
            role_name(&context).as_deref(),
        ),
        object_type: target.and_then(|t| text(&t["type"])),
        object_ref: target.and_then(|t| object(text(&t["id"]), context_name(t), container.clone())),
        source_ip: ip(&attributes["location"]["ip"]),
        country: country(&attributes["location"]),
        actor: Some(AccountRef {
            account_id: text(&actor["id"]),
            display_name: text(&actor["name"]),
            email: text(&actor["email"]),
            ..AccountRef::default()
        }),
        raw,
    }
    .build(deployment, now)
}
