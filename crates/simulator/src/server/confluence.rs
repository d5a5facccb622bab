//! Confluence Cloud: the audit log (REST v1: epoch-millisecond bounds, `searchString`,
//! `start`/`limit`, newest first) and pages, blog posts and their versions (REST v2: filtered by
//! id, space, status, title and subtype, sorted by any documented key, bodies in either format,
//! cursor paged through a relative `_links.next` and the `Link` header).
//!
//! Each API refuses a bad parameter in its own shape: v1 with `{statusCode, data, message}`,
//! v2 with `{"errors":[{status, code, title, detail}]}`.

mod content;

pub use content::{list, versions};

use super::jira::site_index;
use super::{ok, params, Base, Shared};
use crate::catalog::{AuditTarget, CONFLUENCE_AUDIT, SPACES, TITLES};
use crate::dataset::Malformed;
use crate::dataset::SiteData;
use crate::directory::Directory;
use crate::format::{hex, GARBLED_TIME};
use crate::paging::offset_start;
use crate::scenarios::silent_source::Stream;
use crate::view::View;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// The fields of an audit record its source id is hashed from (docs/simulator.md §5).
pub(crate) fn audit_source_id(
    creation: &str,
    account: &str,
    summary: &str,
    object_type: &str,
    name: &str,
    ip: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let joined = [creation, account, summary, object_type, name, ip].join("\n");
    format!("audit-{}", hex(&Sha256::digest(joined.as_bytes())[..8]))
}

/// What an audit record says, computed once for rendering and for its source id.
pub(crate) struct AuditParts {
    pub summary: &'static str,
    pub object_type: &'static str,
    pub name: String,
    pub group: Option<String>,
    pub ip: String,
    pub account: String,
    pub display: String,
    pub category: &'static str,
}

/// The parts of audit record `i` of `data`.
pub(crate) fn audit_parts(
    state_dir: &crate::directory::Directory,
    data: &SiteData,
    i: usize,
) -> AuditParts {
    let e = &data.confluence_audit[i];
    let action = &CONFLUENCE_AUDIT[usize::from(e.action)];
    let actor = &state_dir.people[usize::from(e.actor)];
    let subject = &state_dir.people[usize::from(e.subject) % state_dir.people.len()];
    let space = SPACES[usize::from(e.target) % SPACES.len()];
    let (object_type, name, group) = match action.target {
        AuditTarget::Group => {
            let g = &state_dir.groups[usize::from(e.target) % state_dir.groups.len()];
            ("User", subject.name.clone(), Some(g.name.clone()))
        }
        AuditTarget::Permission | AuditTarget::Container => ("Space", space.1.to_owned(), None),
        AuditTarget::Settings => ("Global settings", "Site title".to_owned(), None),
        // A deleted page, numbered past the generated ones.
        AuditTarget::Content => {
            let title = TITLES[usize::from(e.target) % TITLES.len()];
            ("Page", format!("{title} (#{})", 9_000 + e.target), None)
        }
        AuditTarget::AuditLog => ("Audit log", "Retention period".to_owned(), None),
    };
    AuditParts {
        summary: action.summary,
        object_type,
        name,
        group,
        ip: actor.ips[usize::from(e.ip) % actor.ips.len()].clone(),
        account: actor.account_id.clone(),
        display: actor.name.clone(),
        category: action.category,
    }
}

/// A REST v1 refusal: `{statusCode, data, message}`.
fn v1_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "statusCode": status.as_u16(),
        "data": { "authorized": true, "valid": false, "errors": [], "successful": false },
        "message": message,
    });
    (status, Json(body)).into_response()
}

/// A REST v2 refusal: `{"errors":[{status, code, title, detail}]}`.
fn v2_error(status: StatusCode, code: &str, title: &str) -> Response {
    let body = json!({ "errors": [{ "status": status.as_u16(), "code": code, "title": title, "detail": null }] });
    (status, Json(body)).into_response()
}

fn v2_bad(title: &str) -> Response {
    v2_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST_PARAMETER", title)
}

fn v2_not_found() -> Response {
    v2_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found")
}

/// Whether any string in `v` contains `needle` (lower-cased), ignoring case.
fn mentions(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.to_lowercase().contains(needle),
        Value::Array(items) => items.iter().any(|i| mentions(i, needle)),
        Value::Object(map) => map.values().any(|i| mentions(i, needle)),
        _ => false,
    }
}

fn epoch_bound(v: Option<&str>, name: &str) -> Result<Option<i64>, String> {
    v.map(|s| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("'{name}' must be epoch milliseconds"))
    })
    .transpose()
}

/// `GET /wiki/rest/api/audit?startDate=&endDate=&searchString=&start=&limit=`.
pub async fn audit(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let parsed = (|| {
        Ok::<_, String>((
            epoch_bound(p.get("startDate"), "startDate")?,
            epoch_bound(p.get("endDate"), "endDate")?,
            p.number("start", 0)?,
            p.limit("limit", 1000, 1000)?,
        ))
    })();
    let (from, to, start, limit) = match parsed {
        Ok(v) => v,
        Err(e) => return v1_error(StatusCode::BAD_REQUEST, &e),
    };
    let view = state.view_of(Stream::ConfluenceAudit);
    let s = site_index(&state, &site);
    let snapshot = state.data();
    let dir = &snapshot.directory;
    let data = &snapshot.sites[s];
    let lo = from.map_or(0, |f| {
        data.confluence_audit.partition_point(|e| e.stamp.at < f)
    });
    let hi = to.map_or(data.confluence_audit.len(), |t| {
        data.confluence_audit.partition_point(|e| e.stamp.at <= t)
    });
    let records: Vec<usize> = (lo..hi.max(lo))
        .rev()
        .filter(|i| view.visible(data.confluence_audit[*i].stamp))
        .collect();
    // `searchString` matches any string property of a record.
    let needle = p.get("searchString").map(str::to_lowercase);
    let records: Vec<usize> = match &needle {
        None => records,
        Some(n) => records
            .into_iter()
            .filter(|i| mentions(&audit_record(dir, data, &view, *i), n))
            .collect(),
    };
    let first = offset_start(start, limit, view.duplicate);
    let results: Vec<Value> = records
        .iter()
        .skip(first)
        .take(limit)
        .map(|i| audit_record(dir, data, &view, *i))
        .collect();
    let size = results.len();
    let wiki = format!("{base}/site/{site}/wiki");
    let mut links =
        json!({ "base": wiki, "context": "/wiki", "self": format!("{wiki}/rest/api/audit") });
    if first + size < records.len() {
        let mut q = vec![
            ("start", (start + size).to_string()),
            ("limit", limit.to_string()),
        ];
        if let Some(f) = from {
            q.push(("startDate", f.to_string()));
        }
        if let Some(t) = to {
            q.push(("endDate", t.to_string()));
        }
        if let Some(n) = p.get("searchString") {
            q.push(("searchString", n.to_owned()));
        }
        links["next"] = json!(format!("/rest/api/audit?{}", super::query_string(&q)));
    }
    ok(json!({ "results": results, "start": start, "limit": limit, "size": size, "_links": links }))
}

fn audit_record(dir: &Directory, data: &SiteData, view: &View, i: usize) -> Value {
    let parts = audit_parts(dir, data, i);
    let e = &data.confluence_audit[i];
    let malformed = view.malformed && e.serial as usize == Malformed::confluence_audit(data);
    let associated: Vec<Value> = parts
        .group
        .iter()
        .map(|g| json!({ "name": g, "objectType": "Group" }))
        .collect();
    let changed: Vec<Value> = match parts.object_type {
        "Space" => {
            vec![json!({ "name": "Permission", "oldValue": "", "newValue": "Export space" })]
        }
        "Audit log" => {
            vec![
                json!({ "name": "Retention period", "oldValue": "7 years", "newValue": "30 days" }),
            ]
        }
        _ => vec![],
    };
    json!({
        "author": {
            "type": "user", "displayName": parts.display, "accountId": parts.account,
            "accountType": "atlassian", "publicName": parts.display, "isGuest": false,
        },
        "remoteAddress": parts.ip,
        "creationDate": if malformed { json!(GARBLED_TIME) } else { json!(e.stamp.at) },
        "summary": parts.summary,
        "description": "",
        "category": parts.category,
        "sysAdmin": e.actor < 3,
        "superAdmin": false,
        "affectedObject": { "name": parts.name, "objectType": parts.object_type },
        "changedValues": changed,
        "associatedObjects": associated,
    })
}
