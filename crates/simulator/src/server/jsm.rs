//! Jira Service Management: customer requests, ordered by latest activity (newest first),
//! `start`/`limit` paged with `isLastPage`. Most reporters are portal-only customers.
//!
//! The filters are the documented ones, read for the API user: every request belongs to the one
//! service desk (`3`) and the one organization ([`ORGANIZATION_ID`]) the user is a member of,
//! and the user raised, joined and approves none of them — so `ALL_ORGANIZATIONS`,
//! `ORGANIZATION` of that id and the default see every request, `OWNED_REQUESTS`,
//! `PARTICIPATED_REQUESTS` and `APPROVER` none. A value outside a parameter's documented set is
//! refused with JSM's own `ErrorResponse`.

use super::jira::site_index;
use super::{ok, params, query_string, Base, Shared};
use crate::catalog::{REQUEST_TYPES, TITLES};
use crate::dataset::Malformed;
use crate::dataset::{Request, SiteData};
use crate::directory::Directory;
use crate::format::{jira, jsm_iso, utc, GARBLED_TIME};
use crate::paging::offset_start;
use crate::paging::Params;
use crate::scenarios::silent_source::Stream;
use crate::view::View;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// The organization every request belongs to.
pub const ORGANIZATION_ID: i64 = 1;

/// The service desk every request belongs to.
const SERVICE_DESK_ID: i64 = 3;

/// JSM's `ErrorResponse`.
fn jsm_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "errorMessage": message }))).into_response()
}

fn check<'a>(name: &str, value: &'a str, allowed: &[&str]) -> Result<&'a str, String> {
    allowed.contains(&value).then_some(value).ok_or_else(|| {
        format!(
            "The value '{value}' is not valid for '{name}'. Valid values: {}.",
            allowed.join(", ")
        )
    })
}

fn integer(p: &Params, name: &str) -> Result<Option<i64>, String> {
    p.get(name)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| format!("'{name}' must be an integer, got {v:?}"))
        })
        .transpose()
}

/// The request filters, checked.
struct Filter {
    /// Whether the ownership asked for covers the requests (all of them, or none).
    owned: bool,
    /// `Some(true)` open only, `Some(false)` closed only.
    open: Option<bool>,
    request_type: Option<String>,
    search: Option<String>,
    expand_status: bool,
}

impl Filter {
    fn parse(p: &Params) -> Result<Self, Box<Response>> {
        let bad = |e: String| Box::new(jsm_error(StatusCode::BAD_REQUEST, &e));
        let ownership = p.list("requestOwnership");
        for o in &ownership {
            check(
                "requestOwnership",
                o,
                &[
                    "OWNED_REQUESTS",
                    "PARTICIPATED_REQUESTS",
                    "ORGANIZATION",
                    "ALL_ORGANIZATIONS",
                    "APPROVER",
                    "ALL_REQUESTS",
                ],
            )
            .map_err(bad)?;
        }
        let status = p
            .get("requestStatus")
            .map(|s| {
                check(
                    "requestStatus",
                    s,
                    &["OPEN_REQUESTS", "CLOSED_REQUESTS", "ALL_REQUESTS"],
                )
            })
            .transpose()
            .map_err(bad)?;
        if let Some(a) = p.get("approvalStatus") {
            check(
                "approvalStatus",
                a,
                &["MY_PENDING_APPROVAL", "MY_HISTORY_APPROVAL"],
            )
            .map_err(bad)?;
        }
        let organization = integer(p, "organizationId").map_err(bad)?;
        let desk = integer(p, "serviceDeskId").map_err(bad)?;
        let request_type = integer(p, "requestTypeId").map_err(bad)?;
        if desk.is_some_and(|d| d != SERVICE_DESK_ID) {
            return Err(Box::new(jsm_error(
                StatusCode::NOT_FOUND,
                "The service desk does not exist or you do not have permission to access it.",
            )));
        }
        let owned = ownership.is_empty()
            || ownership.iter().any(|o| match *o {
                "ALL_ORGANIZATIONS" | "ALL_REQUESTS" => true,
                "ORGANIZATION" => organization == Some(ORGANIZATION_ID),
                _ => false,
            });
        Ok(Self {
            owned,
            open: match status {
                Some("OPEN_REQUESTS") => Some(true),
                Some("CLOSED_REQUESTS") => Some(false),
                _ => None,
            },
            request_type: request_type.map(|t| t.to_string()),
            search: p
                .get("searchTerm")
                .map(|t| t.replace('*', "").trim().to_lowercase()),
            expand_status: p.list("expand").contains(&"status"),
        })
    }
}

/// A JSM `DateDTO`.
fn date_dto(ms: i64) -> Value {
    json!({
        "iso8601": jsm_iso(ms),
        "jira": jira(ms),
        "friendly": utc(ms).format("%d/%b/%y %-I:%M %p").to_string(),
        "epochMillis": ms,
    })
}

/// The request's summary.
fn summary(r: &Request, i: usize) -> String {
    format!("{} (SUP-{})", TITLES[usize::from(r.title)], i + 1)
}

/// When the request's resolution is visible, its time.
pub(crate) fn resolution(view: &View, r: &Request) -> Option<i64> {
    r.resolved
        .filter(|s| view.visible_child(r.created, *s))
        .map(|s| s.at)
}

fn status(name: &str, category: &str, at: i64) -> Value {
    json!({ "status": name, "statusCategory": category, "statusDate": date_dto(at) })
}

fn request_json(
    dir: &Directory,
    base: &str,
    site: &str,
    data: &SiteData,
    view: &View,
    i: usize,
    expand_status: bool,
) -> Value {
    let r = &data.requests[i];
    let id = data.request_id(i);
    let key = format!("SUP-{}", i + 1);
    let customers = dir.customers.len();
    let reporter = if (r.reporter as usize) < customers {
        let c = &dir.customers[r.reporter as usize];
        json!({ "accountId": c.account_id, "displayName": c.name, "emailAddress": c.email, "active": true,
                "timeZone": "Europe/Berlin", "_links": { "self": format!("{base}/site/{site}/rest/api/2/user?accountId={}", c.account_id) } })
    } else {
        let p = &dir.people[(r.reporter as usize - customers) % dir.people.len()];
        json!({ "accountId": p.account_id, "displayName": p.name, "emailAddress": p.email, "active": true,
                "timeZone": "UTC", "_links": { "self": format!("{base}/site/{site}/rest/api/2/user?accountId={}", p.account_id) } })
    };
    let summary = summary(r, i);
    let (type_id, _) = REQUEST_TYPES[usize::from(r.kind) % REQUEST_TYPES.len()];
    let created = if view.malformed && i == Malformed::request(data) {
        json!({ "iso8601": GARBLED_TIME, "jira": GARBLED_TIME, "friendly": GARBLED_TIME })
    } else {
        date_dto(r.created.at)
    };
    let open = status("Waiting for support", "NEW", r.created.at);
    let current = match resolution(view, r) {
        Some(at) => status("Resolved", "DONE", at),
        None => open.clone(),
    };
    let mut out = json!({
        "_expands": ["participant", "status", "sla", "requestType", "serviceDesk", "attachment", "action", "comment"],
        "issueId": id.to_string(),
        "issueKey": key,
        "summary": summary,
        "requestTypeId": type_id,
        "serviceDeskId": "3",
        "createdDate": created,
        "reporter": reporter,
        "requestFieldValues": [{ "fieldId": "summary", "label": "Summary", "value": summary }],
        "currentStatus": current,
        "_links": {
            "web": format!("{base}/site/{site}/servicedesk/customer/portal/3/{key}"),
            "jiraRest": format!("{base}/site/{site}/rest/api/2/issue/{id}"),
            "self": format!("{base}/site/{site}/rest/servicedeskapi/request/{id}"),
        },
    });
    if expand_status {
        let mut history = vec![open];
        if resolution(view, r).is_some() {
            history.insert(0, current);
        }
        out["status"] = json!({ "size": history.len(), "start": 0, "limit": 50, "isLastPage": true, "values": history });
    }
    out
}

/// `GET /rest/servicedeskapi/request?searchTerm=&requestOwnership=&requestStatus=&approvalStatus=&organizationId=&serviceDeskId=&requestTypeId=&expand=&start=&limit=`.
pub async fn requests(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let (start, limit) = match (p.number("start", 0), p.limit("limit", 50, 100)) {
        (Ok(s), Ok(l)) => (s, l),
        (Err(e), _) | (_, Err(e)) => return jsm_error(StatusCode::BAD_REQUEST, &e),
    };
    let filter = match Filter::parse(&p) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let view = state.view_of(Stream::JsmActivity);
    let s = site_index(&state, &site);
    let snapshot = state.data();
    let data = &snapshot.sites[s];
    let mut latest: Vec<(i64, usize)> = data
        .requests
        .iter()
        .enumerate()
        .filter(|(_, r)| filter.owned && view.visible(r.created))
        .filter(|(_, r)| {
            filter
                .open
                .is_none_or(|open| resolution(&view, r).is_none() == open)
        })
        .filter(|(_, r)| {
            filter
                .request_type
                .as_deref()
                .is_none_or(|t| REQUEST_TYPES[usize::from(r.kind) % REQUEST_TYPES.len()].0 == t)
        })
        .filter(|(i, r)| {
            filter
                .search
                .as_deref()
                .is_none_or(|term| summary(r, *i).to_lowercase().contains(term))
        })
        .map(|(i, r)| (resolution(&view, r).unwrap_or(r.created.at), i))
        .collect();
    latest.sort_unstable_by(|a, b| b.cmp(a));
    let first = offset_start(start, limit, view.duplicate);
    let values: Vec<Value> = latest
        .iter()
        .skip(first)
        .take(limit)
        .map(|(_, i)| {
            request_json(
                &snapshot.directory,
                &base,
                &site,
                data,
                &view,
                *i,
                filter.expand_status,
            )
        })
        .collect();
    let size = values.len();
    let last = first + size >= latest.len();
    let api = format!("{base}/site/{site}/rest/servicedeskapi");
    let link = |from: usize| {
        let mut pairs: Vec<(&str, String)> =
            p.0.iter()
                .filter(|(k, _)| k != "start" && k != "limit")
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
        pairs.push(("start", from.to_string()));
        pairs.push(("limit", limit.to_string()));
        format!("{api}/request?{}", query_string(&pairs))
    };
    let mut links = json!({ "base": api, "context": "", "self": link(start) });
    if !last {
        links["next"] = json!(link(start + size));
    }
    ok(json!({
        "_expands": [], "size": size, "start": start, "limit": limit, "isLastPage": last,
        "values": values, "_links": links,
    }))
}
