//! Generic AtlasLens events: what sources outside Atlassian send through an import or the ingest
//! API. The schema is published as JSON Schema ([`crate::generic::SCHEMA`], served at
//! `GET /api/ingest/schema`, documented in `docs/ingest.md`); this reads it.
//!
//! The event's product is always `external`, and its source id is `<source>:<id>`, so two sources
//! can use the same ids and none can write over an Atlassian product's events.

use super::{object, Parts};
use crate::fields::{ip, short, text, time_or_epoch};
use crate::{AccountRef, NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use domain::{DeploymentId, Operation, Pipeline, Product};
use serde_json::Value;

/// The longest source name and event id accepted (the schema says the same).
const MAX_SOURCE: usize = 40;
const MAX_ID: usize = 200;

/// The pipeline an operation belongs to when the event does not say.
fn pipeline_of(op: Operation) -> Pipeline {
    use Operation::*;
    match op {
        IssueCreated | IssueUpdated | IssueTransitioned | CommentAdded | PageCreated
        | PageUpdated | BlogpostPublished | CommitPushed | PrOpened | PrMerged | PrDeclined
        | RequestCreated | RequestResolved | ActivityOther => Pipeline::Activity,
        _ => Pipeline::Audit,
    }
}

/// Whether `s` is a usable source name: lower-case letters, digits, `-` and `_`.
pub fn valid_source(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SOURCE
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The source of a generic event: the one the channel is bound to (`context.source`, from the
/// token or `--source`) — the record may repeat it but not name another — else the record's own.
fn source_of(raw: &Value, ctx: &Value) -> Result<String, NormalizeError> {
    let bound = ctx["source"].as_str();
    let own = match &raw["source"] {
        Value::Null => None,
        Value::String(s) => Some(s.as_str()),
        other => {
            return Err(NormalizeError::BadValue {
                field: "source",
                value: short(other),
            })
        }
    };
    let source = match (bound, own) {
        (Some(b), Some(o)) if b != o => {
            return Err(NormalizeError::Invalid {
                field: "source",
                why: format!("{o:?}, but this channel is bound to source {b:?}"),
            })
        }
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => return Err(NormalizeError::Missing("source")),
    };
    if !valid_source(source) {
        return Err(NormalizeError::Invalid {
            field: "source",
            why: format!(
                "{source:?}: a source is lower-case letters, digits, - and _, at most {MAX_SOURCE}"
            ),
        });
    }
    Ok(source.to_owned())
}

/// An optional string field; anything but a string or null is refused.
fn optional_text(v: &Value, field: &'static str) -> Result<Option<String>, NormalizeError> {
    match v {
        Value::Null => Ok(None),
        Value::String(_) => Ok(text(v)),
        other => Err(NormalizeError::BadValue {
            field,
            value: short(other),
        }),
    }
}

/// One generic event.
pub fn event(
    deployment: &DeploymentId,
    raw: &Value,
    ctx: &Value,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    if !raw.is_object() {
        return Err(NormalizeError::Invalid {
            field: "event",
            why: format!("{}: an event is a JSON object", short(raw)),
        });
    }
    let source = source_of(raw, ctx)?;
    let id = match &raw["id"] {
        Value::Null => return Err(NormalizeError::Missing("id")),
        v @ (Value::String(_) | Value::Number(_)) => {
            text(v).ok_or(NormalizeError::Missing("id"))?
        }
        other => {
            return Err(NormalizeError::BadValue {
                field: "id",
                value: short(other),
            })
        }
    };
    if id.len() > MAX_ID {
        return Err(NormalizeError::Invalid {
            field: "id",
            why: format!(
                "{}…: at most {MAX_ID} bytes",
                id.chars().take(40).collect::<String>()
            ),
        });
    }
    let occurred_at = time_or_epoch(&raw["occurred_at"], "occurred_at", now)?;
    let operation = match &raw["operation"] {
        Value::Null => return Err(NormalizeError::Missing("operation")),
        Value::String(s) => s
            .parse::<Operation>()
            .map_err(|_| NormalizeError::Invalid {
                field: "operation",
                why: format!("{s:?} is not in the operation vocabulary (docs/normalisation.md)"),
            })?,
        other => {
            return Err(NormalizeError::BadValue {
                field: "operation",
                value: short(other),
            })
        }
    };
    let pipeline = match &raw["pipeline"] {
        Value::Null => pipeline_of(operation),
        Value::String(s) => s.parse::<Pipeline>().map_err(|_| NormalizeError::Invalid {
            field: "pipeline",
            why: format!("{s:?}: it is audit or activity"),
        })?,
        other => {
            return Err(NormalizeError::BadValue {
                field: "pipeline",
                value: short(other),
            })
        }
    };
    let actor = &raw["actor"];
    let actor = if actor.is_null() {
        None
    } else if actor.is_object() {
        let email = optional_text(&actor["email"], "actor.email")?.map(|e| e.to_lowercase());
        let account = optional_text(&actor["account_id"], "actor.account_id")?;
        // An e-mail address is what joins the event to a person AtlasLens knows from Atlassian;
        // a source's own account id (not an Atlassian one) only identifies the actor without it,
        // and then within its source.
        Some(AccountRef {
            account_id: email
                .is_none()
                .then(|| account.map(|a| format!("{source}:{a}")))
                .flatten(),
            display_name: optional_text(&actor["display_name"], "actor.display_name")?,
            email,
            bitbucket_uuid: None,
        })
    } else {
        return Err(NormalizeError::BadValue {
            field: "actor",
            value: short(actor),
        });
    };
    let obj = &raw["object"];
    if !obj.is_null() && !obj.is_object() {
        return Err(NormalizeError::BadValue {
            field: "object",
            value: short(obj),
        });
    }
    let source_ip = match &raw["source_ip"] {
        Value::Null => None,
        v => Some(ip(v).ok_or_else(|| NormalizeError::BadValue {
            field: "source_ip",
            value: short(v),
        })?),
    };
    Parts {
        product: Product::External,
        pipeline,
        source_id: format!("{source}:{id}"),
        occurred_at,
        operation,
        object_type: optional_text(&obj["type"], "object.type")?,
        object_ref: object(
            optional_text(&obj["id"], "object.id")?,
            optional_text(&obj["name"], "object.name")?,
            optional_text(&obj["container"], "object.container")?,
        ),
        source_ip,
        country: optional_text(&raw["country"], "country")?,
        actor,
        raw,
    }
    .build(deployment, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    }

    fn deployment() -> DeploymentId {
        DeploymentId::parse("acme").unwrap()
    }

    fn schema() -> Value {
        serde_json::from_str(crate::generic::SCHEMA).unwrap()
    }

    #[test]
    fn the_published_schema_lists_exactly_the_operation_vocabulary() {
        let listed: Vec<String> = schema()["properties"]["operation"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let vocabulary: Vec<String> = Operation::ALL.iter().map(|o| o.to_string()).collect();
        assert_eq!(listed, vocabulary);
    }

    #[test]
    fn the_schema_example_becomes_an_external_event_keyed_by_source_and_id() {
        let example = schema()["examples"][0].clone();
        let n = event(&deployment(), &example, &Value::Null, now()).unwrap();
        assert_eq!(n.event.id.as_str(), "acme:external:okta:evt-7f3a");
        assert_eq!(n.event.product, Product::External);
        assert_eq!(n.event.pipeline, Pipeline::Audit);
        assert_eq!(n.event.operation, Operation::LoginFailed);
        assert_eq!(
            n.event.occurred_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 15, 0).unwrap()
        );
        assert_eq!(n.actor.unwrap().email.as_deref(), Some("dana@example.com"));
        assert_eq!(n.event.country.as_deref(), Some("Portugal"));
        assert_eq!(n.event.raw, example, "the payload is kept untouched");
    }

    #[test]
    fn epoch_seconds_milliseconds_and_zoned_strings_are_the_same_instant() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 8, 15, 0).unwrap();
        for at in [
            json!(t.timestamp()),
            json!(t.timestamp_millis()),
            json!("2026-11-30T09:15:00+01:00"),
        ] {
            let raw = json!({"source": "vpn", "id": 1, "occurred_at": at, "operation": "login"});
            let n = event(&deployment(), &raw, &Value::Null, now()).unwrap();
            assert_eq!(n.event.occurred_at, t, "{at}");
        }
    }

    #[test]
    fn a_time_without_a_zone_is_refused_not_guessed() {
        let raw = json!({"source": "vpn", "id": 1, "occurred_at": "2026-11-30T08:15:00", "operation": "login"});
        let err = event(&deployment(), &raw, &Value::Null, now()).unwrap_err();
        assert!(err.to_string().contains("with a zone"), "{err}");
    }

    #[test]
    fn a_bound_source_fills_in_and_refuses_another() {
        let bound = json!({"source": "vpn"});
        let raw = json!({"id": "a", "occurred_at": "2026-11-30T08:15:00Z", "operation": "logout"});
        let n = event(&deployment(), &raw, &bound, now()).unwrap();
        assert_eq!(n.event.id.as_str(), "acme:external:vpn:a");
        let other = json!({"source": "okta", "id": "a", "occurred_at": "2026-11-30T08:15:00Z", "operation": "logout"});
        let err = event(&deployment(), &other, &bound, now()).unwrap_err();
        assert!(
            err.to_string().contains(r#"bound to source "vpn""#),
            "{err}"
        );
    }

    #[test]
    fn each_malformed_field_is_named() {
        let base = json!({"source": "vpn", "id": "a", "occurred_at": "2026-11-30T08:15:00Z", "operation": "login"});
        for (field, value, expect) in [
            ("operation", json!("hacked"), "operation"),
            ("operation", Value::Null, "operation"),
            ("id", json!({"x": 1}), "id"),
            ("source", json!("Not Valid"), "source"),
            ("source_ip", json!("not-an-ip"), "source_ip"),
            ("actor", json!("dana"), "actor"),
            ("pipeline", json!("security"), "pipeline"),
            ("occurred_at", json!("1999-12-31T23:00:00Z"), "occurred_at"),
        ] {
            let mut raw = base.clone();
            raw[field] = value;
            let err = event(&deployment(), &raw, &Value::Null, now()).unwrap_err();
            assert!(err.to_string().contains(expect), "{field}: {err}");
        }
        let err = event(&deployment(), &json!([1, 2]), &Value::Null, now()).unwrap_err();
        assert!(err.to_string().contains("JSON object"), "{err}");
    }
}
