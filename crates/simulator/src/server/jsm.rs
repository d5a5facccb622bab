//! Jira Service Management: customer requests, ordered by latest activity (newest first),
//! `start`/`limit` paged with `isLastPage`. Most reporters are portal-only customers.

use super::jira::site_index;
use super::{bad_request, ok, params, Base, Family, Shared};
use crate::catalog::{REQUEST_TYPES, TITLES};
use crate::dataset::{Request, SiteData};
use crate::format::{jira, jsm_iso, utc, GARBLED_TIME};
use crate::paging::offset_start;
use crate::view::{Malformed, View};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::Arc;

/// A JSM `DateDTO`.
fn date_dto(ms: i64) -> Value {
    json!({
        "iso8601": jsm_iso(ms),
        "jira": jira(ms),
        "friendly": utc(ms).format("%d/%b/%y %-I:%M %p").to_string(),
        "epochMillis": ms,
    })
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
    state: &Shared,
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
    let dir = &state.data.directory;
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
    let summary = format!("{} ({key})", TITLES[usize::from(r.title)]);
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

/// `GET /rest/servicedeskapi/request?requestOwnership=&requestStatus=&start=&limit=&expand=`.
pub async fn requests(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let (start, limit) = match (p.number("start", 0), p.limit("limit", 50, 100)) {
        (Ok(s), Ok(l)) => (s, l),
        (Err(e), _) | (_, Err(e)) => return bad_request(Family::Site, &e),
    };
    let expand_status = p
        .get("expand")
        .is_some_and(|e| e.split(',').any(|x| x.trim() == "status"));
    let view = state.view();
    let s = site_index(&state, &site);
    let data = &state.data.sites[s];
    let mut latest: Vec<(i64, usize)> = data
        .requests
        .iter()
        .enumerate()
        .filter(|(_, r)| view.visible(r.created))
        .map(|(i, r)| (resolution(&view, r).unwrap_or(r.created.at), i))
        .collect();
    latest.sort_unstable_by(|a, b| b.cmp(a));
    let first = offset_start(start, limit, view.duplicate);
    let values: Vec<Value> = latest
        .iter()
        .skip(first)
        .take(limit)
        .map(|(_, i)| request_json(&state, &base, &site, data, &view, *i, expand_status))
        .collect();
    let size = values.len();
    let last = first + size >= latest.len();
    let api = format!("{base}/site/{site}/rest/servicedeskapi");
    let mut links = json!({ "base": api, "context": "", "self": format!("{api}/request?start={start}&limit={limit}") });
    if !last {
        links["next"] = json!(format!(
            "{api}/request?start={}&limit={limit}",
            start + size
        ));
    }
    ok(json!({
        "_expands": [], "size": size, "start": start, "limit": limit, "isLastPage": last,
        "values": values, "_links": links,
    }))
}
