//! Confluence Cloud: the audit log (REST v1: epoch-millisecond bounds, `start`/`limit`, newest
//! first) and pages, blog posts and their versions (REST v2: newest-modified first, cursor paged
//! through a relative `_links.next` and the `Link` header).

use super::jira::site_index;
use super::{bad_request, error, ok, params, Base, Family, Shared};
use crate::catalog::{AuditTarget, CONFLUENCE_AUDIT, SPACES, TITLES};
use crate::dataset::{Content, SiteData, CONTENT_ID_BASE};
use crate::format::{hex, iso_z, GARBLED_TIME};
use crate::paging::{decode_cursor, encode_cursor, next_start, offset_start};
use crate::view::{Malformed, View};
use axum::extract::{Path, RawQuery, State};
use axum::http::header::LINK;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
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

fn epoch_bound(v: Option<&str>, name: &str) -> Result<Option<i64>, String> {
    v.map(|s| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("'{name}' must be epoch milliseconds"))
    })
    .transpose()
}

/// `GET /wiki/rest/api/audit?startDate=&endDate=&start=&limit=`.
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
        Err(e) => return bad_request(Family::Site, &e),
    };
    let view = state.view();
    let s = site_index(&state, &site);
    let data = &state.data.sites[s];
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
    let first = offset_start(start, limit, view.duplicate);
    let results: Vec<Value> = records
        .iter()
        .skip(first)
        .take(limit)
        .map(|i| audit_record(&state, data, &view, *i))
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
        links["next"] = json!(format!("/rest/api/audit?{}", super::query_string(&q)));
    }
    ok(json!({ "results": results, "start": start, "limit": limit, "size": size, "_links": links }))
}

fn audit_record(state: &Shared, data: &SiteData, view: &View, i: usize) -> Value {
    let parts = audit_parts(&state.data.directory, data, i);
    let e = &data.confluence_audit[i];
    let malformed = view.malformed && i == Malformed::confluence_audit(data);
    let associated: Vec<Value> = parts
        .group
        .iter()
        .map(|g| json!({ "name": g, "objectType": "Group" }))
        .collect();
    let changed: Vec<Value> = match parts.object_type {
        "Space" => {
            vec![json!({ "name": "Permission", "oldValue": "", "newValue": "Export space" })]
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

fn kind(path: &str) -> Option<bool> {
    match path {
        "pages" => Some(false),
        "blogposts" => Some(true),
        _ => None,
    }
}

/// The version index that is a content's current version now, if it is visible at all.
pub(crate) fn current_version(view: &View, data: &SiteData, c: &Content) -> Option<usize> {
    let first = c.start as usize;
    if !view.visible(data.versions[first].stamp) {
        return None;
    }
    (first..c.end as usize)
        .rev()
        .find(|v| view.visible(data.versions[*v].stamp))
}

fn version_json(state: &Shared, data: &SiteData, view: &View, c: &Content, v: usize) -> Value {
    let ver = &data.versions[v];
    let malformed = view.malformed && v == Malformed::version(data);
    json!({
        "createdAt": if malformed { GARBLED_TIME.to_owned() } else { iso_z(ver.stamp.at) },
        "message": "",
        "number": v - c.start as usize + 1,
        "minorEdit": false,
        "authorId": state.data.directory.people[usize::from(ver.author)].account_id,
    })
}

fn cursor_response(body: Value, next: Option<String>, wiki: &str) -> Response {
    let mut body = body;
    body["_links"] = json!({ "base": wiki });
    let link = next.map(|n| {
        body["_links"]["next"] = json!(n);
        format!("<{n}>; rel=\"next\", <{wiki}>; rel=\"base\"")
    });
    let mut r = ok(body);
    if let Some(l) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(LINK, l);
    }
    r
}

/// `GET /wiki/api/v2/{pages|blogposts}?sort=-modified-date&limit=&cursor=`.
pub async fn list(
    State(state): State<Arc<Shared>>,
    Path((site, kind_path)): Path<(String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(blog) = kind(&kind_path) else {
        return error(Family::Site, StatusCode::NOT_FOUND, "Not Found");
    };
    let p = params(query.as_deref());
    let limit = match p.limit("limit", 25, 250) {
        Ok(l) => l,
        Err(e) => return bad_request(Family::Site, &e),
    };
    let start = match p.get("cursor").map(|c| decode_cursor(&kind_path, c)) {
        None => 0,
        Some(Some((pos, _))) => pos,
        Some(None) => return bad_request(Family::Site, "Invalid cursor"),
    };
    let view = state.view();
    let s = site_index(&state, &site);
    let data = &state.data.sites[s];
    // Newest-modified first (the only order the connectors ask for; others fall back to it).
    let mut items: Vec<(i64, usize, usize)> = data
        .contents
        .iter()
        .enumerate()
        .filter(|(_, c)| c.blog == blog)
        .filter_map(|(i, c)| {
            current_version(&view, data, c).map(|v| (data.versions[v].stamp.at, i, v))
        })
        .collect();
    items.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let people = &state.data.directory.people;
    let results: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|(_, i, v)| {
            let c = &data.contents[*i];
            let id = CONTENT_ID_BASE + *i as u64;
            let (space_key, _, space_id) = SPACES[usize::from(c.space)];
            let title = format!("{} ({id})", TITLES[usize::from(c.title)]);
            let author = &people[usize::from(c.author)].account_id;
            let mut item = json!({
                "id": id.to_string(), "status": "current", "title": title, "spaceId": space_id,
                "authorId": author, "createdAt": iso_z(data.versions[c.start as usize].stamp.at),
                "version": version_json(&state, data, &view, c, *v),
                "_links": { "webui": format!("/spaces/{space_key}/{kind_path}/{id}"), "tinyui": format!("/x/{id}") },
            });
            if !blog {
                item["parentType"] = json!("page");
                item["ownerId"] = json!(author);
                item["position"] = json!(*i % 100);
            }
            item
        })
        .collect();
    let served = results.len();
    let next = (start + served < items.len()).then(|| {
        let cursor = encode_cursor(&kind_path, next_start(start, served, view.duplicate), &[]);
        format!(
            "/site/{site}/wiki/api/v2/{kind_path}?{}",
            super::query_string(&[
                ("sort", "-modified-date".into()),
                ("limit", limit.to_string()),
                ("cursor", cursor)
            ])
        )
    });
    cursor_response(
        json!({ "results": results }),
        next,
        &format!("{base}/site/{site}/wiki"),
    )
}

/// `GET /wiki/api/v2/{pages|blogposts}/{id}/versions?sort=-modified-date&limit=&cursor=`.
pub async fn versions(
    State(state): State<Arc<Shared>>,
    Path((site, kind_path, id)): Path<(String, String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let not_found = || error(Family::Site, StatusCode::NOT_FOUND, "Content not found");
    let Some(blog) = kind(&kind_path) else {
        return not_found();
    };
    let p = params(query.as_deref());
    let limit = match p.limit("limit", 25, 250) {
        Ok(l) => l,
        Err(e) => return bad_request(Family::Site, &e),
    };
    let tag = format!("{kind_path}-versions");
    let start = match p.get("cursor").map(|c| decode_cursor(&tag, c)) {
        None => 0,
        Some(Some((pos, _))) => pos,
        Some(None) => return bad_request(Family::Site, "Invalid cursor"),
    };
    let view = state.view();
    let s = site_index(&state, &site);
    let data = &state.data.sites[s];
    let index = id
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_sub(CONTENT_ID_BASE))
        .and_then(|n| usize::try_from(n).ok())
        .filter(|i| data.contents.get(*i).is_some_and(|c| c.blog == blog));
    let Some(i) = index else {
        return not_found();
    };
    let c = &data.contents[i];
    let Some(current) = current_version(&view, data, c) else {
        return not_found();
    };
    let ascending = p.get("sort") == Some("modified-date");
    let mut all: Vec<usize> = (c.start as usize..=current)
        .filter(|v| view.visible(data.versions[*v].stamp))
        .collect();
    if !ascending {
        all.reverse();
    }
    let entity = if blog { "blogpost" } else { "page" };
    let title = format!(
        "{} ({})",
        TITLES[usize::from(c.title)],
        CONTENT_ID_BASE + i as u64
    );
    let results: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|v| {
            let mut j = version_json(&state, data, &view, c, *v);
            j[entity] = json!({ "id": id, "title": title });
            j
        })
        .collect();
    let served = results.len();
    let next = (start + served < all.len()).then(|| {
        let cursor = encode_cursor(&tag, next_start(start, served, view.duplicate), &[]);
        format!(
            "/site/{site}/wiki/api/v2/{kind_path}/{id}/versions?{}",
            super::query_string(&[("limit", limit.to_string()), ("cursor", cursor)])
        )
    });
    cursor_response(
        json!({ "results": results }),
        next,
        &format!("{base}/site/{site}/wiki"),
    )
}
