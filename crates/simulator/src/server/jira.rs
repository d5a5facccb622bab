//! Jira Cloud: the audit log (offset paged, newest first, zone-qualified bounds, `filter` terms),
//! the enhanced JQL search (`search`, with its JQL subset in `jql`), issue changelogs, groups and
//! members, and `/myself` (the API user's time zone, which JQL dates are read in).

mod jql;
pub(super) mod search;

use super::{bad_request, error, ok, params, Base, Family, Shared};
use crate::catalog::{
    AuditTarget, CHANGED_FIELDS, ISSUE_TYPES, JIRA_AUDIT, PRIORITIES, PROJECTS, STATUSES, TITLES,
};
use crate::dataset::Malformed;
use crate::dataset::{Issue, SiteData, AUDIT_ID_BASE, CHANGELOG_ID_BASE, ISSUE_ID_BASE};
use crate::directory::{Directory, Person};
use crate::format::{jira, GARBLED_TIME};
use crate::paging::offset_start;
use crate::scenarios::silent_source::Stream;
use crate::view::View;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::Arc;

const DIRECTORY: &str = "com.atlassian.crowd.directory.IdentityPlatformRemoteDirectory";

pub(super) fn site_index(state: &Shared, name: &str) -> usize {
    state
        .config
        .sites
        .iter()
        .position(|s| s.name == name)
        .unwrap_or(0)
}

/// A Jira user object.
pub(super) fn user(base: &str, site: &str, p: &Person) -> Value {
    json!({
        "self": format!("{base}/site/{site}/rest/api/3/user?accountId={}", p.account_id),
        "accountId": p.account_id,
        "accountType": "atlassian",
        "displayName": p.name,
        "emailAddress": p.email,
        "active": true,
        "timeZone": "UTC",
        "avatarUrls": { "48x48": format!("https://avatar-management.services.atlassian.com/default/{}/48", p.nickname) },
    })
}

/// A Jira date-time bound: must carry a zone; anything else matches nothing, like the real API.
fn jira_bound(v: Option<&str>) -> Result<Option<i64>, ()> {
    match v {
        None => Ok(None),
        Some(s) => crate::format::parse_instant(s)
            .filter(|_| s.parse::<i64>().is_err())
            .map(Some)
            .ok_or(()),
    }
}

/// Whether every `filter` term (lower-cased) occurs in one of the fields Jira's audit filter
/// reads: summary, category, event source, the object's and associated items' names, parents
/// and types (user items are named by account id), changed values, the author and the address.
fn audit_matches(record: &Value, terms: &[String]) -> bool {
    let mut texts: Vec<&Value> = ["summary", "category", "eventSource", "remoteAddress"]
        .iter()
        .map(|k| &record[*k])
        .collect();
    texts.push(&record["authorAccountId"]);
    let items = std::iter::once(&record["objectItem"])
        .chain(record["associatedItems"].as_array().into_iter().flatten());
    for item in items {
        texts.extend(["id", "name", "parentName", "typeName"].map(|k| &item[k]));
    }
    for change in record["changedValues"].as_array().into_iter().flatten() {
        texts.extend(["changedFrom", "changedTo"].map(|k| &change[k]));
    }
    let texts: Vec<String> = texts
        .iter()
        .filter_map(|v| v.as_str())
        .map(str::to_lowercase)
        .collect();
    terms
        .iter()
        .all(|t| texts.iter().any(|text| text.contains(t.as_str())))
}

/// `GET /rest/api/3/auditing/record?offset=&limit=&filter=&from=&to=`.
pub async fn audit(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let (offset, limit) = match (p.number("offset", 0), p.limit("limit", 1000, 1000)) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => return bad_request(Family::Site, &e),
    };
    let view = state.view_of(Stream::JiraAudit);
    let s = site_index(&state, &site);
    let snapshot = state.data();
    let dir = &snapshot.directory;
    let data = &snapshot.sites[s];
    let records: Vec<usize> = match (jira_bound(p.get("from")), jira_bound(p.get("to"))) {
        (Ok(from), Ok(to)) if from.zip(to).is_none_or(|(f, t)| f <= t) => {
            let lo = from.map_or(0, |f| data.jira_audit.partition_point(|e| e.stamp.at < f));
            let hi = to.map_or(data.jira_audit.len(), |t| {
                data.jira_audit.partition_point(|e| e.stamp.at <= t)
            });
            (lo..hi)
                .rev()
                .filter(|i| view.visible(data.jira_audit[*i].stamp))
                .collect()
        }
        _ => Vec::new(),
    };
    let records = match p.get("filter") {
        None => records,
        Some(filter) => {
            let terms: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
            records
                .into_iter()
                .filter(|i| audit_matches(&audit_record(dir, data, &view, *i), &terms))
                .collect()
        }
    };
    let start = offset_start(offset, limit, view.duplicate);
    let page: Vec<Value> = records
        .iter()
        .skip(start)
        .take(limit)
        .map(|i| audit_record(dir, data, &view, *i))
        .collect();
    ok(json!({ "offset": offset, "limit": limit, "total": records.len(), "records": page }))
}

fn audit_record(dir: &Directory, data: &SiteData, view: &View, i: usize) -> Value {
    let e = &data.jira_audit[i];
    let action = &JIRA_AUDIT[usize::from(e.action)];
    let actor = &dir.people[usize::from(e.actor)];
    let ip = &actor.ips[usize::from(e.ip) % actor.ips.len()];
    let subject = &dir.people[usize::from(e.subject) % dir.people.len()];
    let item = |id: &str, name: &str, type_name: &str| json!({ "id": id, "name": name, "typeName": type_name, "parentId": "10000", "parentName": DIRECTORY });
    let (object, changed, associated) = match action.target {
        AuditTarget::Group => {
            let g = &dir.groups[usize::from(e.target) % dir.groups.len()];
            (
                item(&g.name, &g.name, "GROUP"),
                vec![],
                vec![item(&subject.account_id, &subject.account_id, "USER")],
            )
        }
        AuditTarget::Container => {
            let (key, name, id) = PROJECTS[usize::from(e.target) % PROJECTS.len()];
            let roles = json!({ "fieldName": "Administrators", "changedFrom": "", "changedTo": subject.account_id });
            (
                json!({ "id": id, "name": format!("{name} ({key})"), "typeName": "PROJECT" }),
                vec![roles],
                vec![],
            )
        }
        AuditTarget::Permission => (
            json!({ "id": "0", "name": "Default Permission Scheme", "typeName": "PERMISSION_SCHEME" }),
            vec![
                json!({ "fieldName": "Permission", "changedFrom": "", "changedTo": "Browse Projects" }),
            ],
            vec![item("jira-software-users", "jira-software-users", "GROUP")],
        ),
        AuditTarget::Settings => (
            json!({ "id": "10000", "name": "Software Simplified Workflow", "typeName": "WORKFLOW" }),
            vec![
                json!({ "fieldName": "Transition", "changedFrom": "Done", "changedTo": "Closed" }),
            ],
            vec![],
        ),
        AuditTarget::Content => {
            // A deleted issue: numbered past the generated ones, so it names none that exists.
            let (key, name, _) = PROJECTS[usize::from(e.target) % PROJECTS.len()];
            let number = 9_000 + u32::from(e.target);
            (
                json!({ "id": (90_000 + u32::from(e.target)).to_string(), "name": format!("{key}-{number}"),
                        "typeName": "ISSUE", "parentName": format!("{name} ({key})") }),
                vec![],
                vec![],
            )
        }
        AuditTarget::AuditLog => (
            json!({ "id": "auditing", "name": "Audit log", "typeName": "AUDIT_LOG" }),
            vec![
                json!({ "fieldName": "Retention period", "changedFrom": "7 years", "changedTo": "30 days" }),
            ],
            vec![],
        ),
    };
    let malformed = view.malformed && e.serial as usize == Malformed::jira_audit(data);
    json!({
        "id": AUDIT_ID_BASE + u64::from(e.serial),
        "summary": action.summary,
        "remoteAddress": ip,
        "authorKey": actor.account_id,
        "authorAccountId": actor.account_id,
        "created": if malformed { GARBLED_TIME.to_owned() } else { jira(e.stamp.at) },
        "category": action.category,
        "eventSource": "",
        "description": "",
        "objectItem": object,
        "changedValues": changed,
        "associatedItems": associated,
    })
}

/// The issue's latest visible activity, if the issue itself is visible.
pub(crate) fn issue_updated(view: &View, data: &SiteData, issue: &Issue) -> Option<i64> {
    if !view.visible(issue.stamp) {
        return None;
    }
    let changes = &data.changes[issue.start as usize..issue.end as usize];
    Some(
        changes
            .iter()
            .rev()
            .find(|c| view.visible(c.stamp))
            .map_or(issue.stamp.at, |c| c.stamp.at),
    )
}

fn status_now(view: &View, data: &SiteData, issue: &Issue) -> usize {
    data.changes[issue.start as usize..issue.end as usize]
        .iter()
        .rev()
        .find(|c| c.field == 0 && view.visible(c.stamp))
        .map_or(0, |c| usize::from(c.step) + 1)
}

/// What rendering an issue or a changelog entry needs: the site, the host the client used, and
/// the request's view.
pub(super) struct Ctx<'a> {
    dir: &'a Directory,
    data: &'a SiteData,
    base: &'a str,
    site: &'a str,
    view: View,
}

/// How many changelog entries `expand=changelog` embeds: the most recent, newest first (the
/// real API truncates too; `/changelog` pages through all of them).
const EMBEDDED_CHANGELOG: usize = 100;

/// Issue `i` with the named `fields` (already resolved against `search::FIELDS`), and its
/// changelog embedded when `with_changelog`.
fn issue_json(ctx: &Ctx<'_>, i: usize, fields: &[&str], with_changelog: bool) -> Value {
    let (dir, data, base, site, view) = (ctx.dir, ctx.data, ctx.base, ctx.site, &ctx.view);
    let issue = &data.issues[i];
    let id = ISSUE_ID_BASE + i as u64;
    let (pkey, pname, pid) = PROJECTS[usize::from(issue.project)];
    let creator = user(base, site, &dir.people[usize::from(issue.creator)]);
    let (sname, sid, scat) = STATUSES[status_now(view, data, issue)];
    let (tname, tid) = ISSUE_TYPES[usize::from(issue.kind)];
    let malformed = view.malformed && Malformed::issue(data) == Some(i);
    let mut out = serde_json::Map::new();
    let mut put = |name: &str, v: Value| {
        if fields.contains(&name) {
            out.insert(name.to_owned(), v);
        }
    };
    put(
        "summary",
        json!(format!(
            "{} #{}",
            TITLES[usize::from(issue.title)],
            issue.number
        )),
    );
    put(
        "status",
        json!({ "id": sid, "name": sname, "statusCategory": { "key": scat, "name": scat } }),
    );
    put(
        "issuetype",
        json!({ "id": tid, "name": tname, "subtask": false }),
    );
    put("project", json!({ "id": pid, "key": pkey, "name": pname }));
    put("creator", creator.clone());
    put("reporter", creator);
    put(
        "created",
        json!(if malformed {
            GARBLED_TIME.to_owned()
        } else {
            jira(issue.stamp.at)
        }),
    );
    put(
        "updated",
        json!(jira(
            issue_updated(view, data, issue).unwrap_or(issue.stamp.at)
        )),
    );
    let mut body = json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": id.to_string(),
        "key": format!("{pkey}-{}", issue.number),
        "self": format!("{base}/site/{site}/rest/api/3/issue/{id}"),
        "fields": out,
    });
    if with_changelog {
        let entries = visible_changes(view, data, issue);
        let histories: Vec<Value> = entries
            .iter()
            .rev()
            .take(EMBEDDED_CHANGELOG)
            .map(|c| changelog_entry(ctx, *c))
            .collect();
        body["changelog"] = json!({
            "startAt": 0, "maxResults": histories.len(), "total": entries.len(), "histories": histories,
        });
    }
    body
}

/// Indices of the issue's changelog entries visible in `view`, oldest first.
fn visible_changes(view: &View, data: &SiteData, issue: &Issue) -> Vec<usize> {
    (issue.start as usize..issue.end as usize)
        .filter(|c| view.visible(data.changes[*c].stamp))
        .collect()
}

/// Changelog entry `c` as `/changelog` and `expand=changelog` serve it.
fn changelog_entry(ctx: &Ctx<'_>, c: usize) -> Value {
    let (data, view) = (ctx.data, &ctx.view);
    let dir = ctx.dir;
    let ch = &data.changes[c];
    let item = match ch.field {
        0 => {
            let (fname, fid, _) = STATUSES[usize::from(ch.step)];
            let (tname, tid, _) = STATUSES[usize::from(ch.step) + 1];
            json!({ "field": "status", "fieldtype": "jira", "fieldId": "status", "from": fid, "fromString": fname, "to": tid, "toString": tname })
        }
        f => {
            let (field, field_id) = CHANGED_FIELDS[usize::from(f - 1) % CHANGED_FIELDS.len()];
            let v = usize::from(ch.step);
            match field {
                "assignee" => {
                    let a = &dir.people[v % dir.people.len()];
                    let b = &dir.people[(v + 1) % dir.people.len()];
                    json!({ "field": field, "fieldtype": "jira", "fieldId": field_id, "from": a.account_id, "fromString": a.name, "to": b.account_id, "toString": b.name })
                }
                "priority" => {
                    json!({ "field": field, "fieldtype": "jira", "fieldId": field_id, "from": (v % 4 + 1).to_string(), "fromString": PRIORITIES[v % 4], "to": ((v + 1) % 4 + 1).to_string(), "toString": PRIORITIES[(v + 1) % 4] })
                }
                // Text fields carry no ids: the keys are left out (the published schema has them as
                // non-nullable strings).
                _ => {
                    json!({ "field": field, "fieldtype": "jira", "fieldId": field_id, "fromString": "", "toString": format!("{field} change {v}") })
                }
            }
        }
    };
    let malformed = view.malformed && Malformed::changelog(data) == Some(c);
    json!({
        "id": (CHANGELOG_ID_BASE + c as u64).to_string(),
        "author": user(ctx.base, ctx.site, &dir.people[usize::from(ch.author)]),
        "created": if malformed { GARBLED_TIME.to_owned() } else { jira(ch.stamp.at) },
        "items": [item],
    })
}

fn find_issue(data: &SiteData, key: &str) -> Option<usize> {
    if let Ok(id) = key.parse::<u64>() {
        let i = usize::try_from(id.checked_sub(ISSUE_ID_BASE)?).ok()?;
        return (i < data.issues.len()).then_some(i);
    }
    let (pkey, number) = key.split_once('-')?;
    let number: u32 = number.parse().ok()?;
    data.issues
        .iter()
        .position(|i| PROJECTS[usize::from(i.project)].0 == pkey && i.number == number)
}

/// `GET /rest/api/3/issue/{issueIdOrKey}/changelog?startAt=&maxResults=`.
pub async fn changelog(
    State(state): State<Arc<Shared>>,
    Path((site, key)): Path<(String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let (start_at, max) = match (p.number("startAt", 0), p.limit("maxResults", 100, 100)) {
        (Ok(s), Ok(m)) => (s, m),
        (Err(e), _) | (_, Err(e)) => return bad_request(Family::Site, &e),
    };
    let view = state.view_of(Stream::JiraActivity);
    let s = site_index(&state, &site);
    let snapshot = state.data();
    let data = &snapshot.sites[s];
    let Some(i) = find_issue(data, &key).filter(|i| view.visible(data.issues[*i].stamp)) else {
        return error(
            Family::Site,
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        );
    };
    let entries = visible_changes(&view, data, &data.issues[i]);
    let first = offset_start(start_at, max, view.duplicate);
    let ctx = Ctx {
        dir: &snapshot.directory,
        data,
        base: &base,
        site: &site,
        view,
    };
    let values: Vec<Value> = entries
        .iter()
        .skip(first)
        .take(max)
        .map(|c| changelog_entry(&ctx, *c))
        .collect();
    let served = values.len();
    let is_last = first + served >= entries.len();
    let id = ISSUE_ID_BASE + i as u64;
    let mut body = json!({
        "self": format!("{base}/site/{site}/rest/api/3/issue/{id}/changelog?startAt={start_at}&maxResults={max}"),
        "maxResults": max, "startAt": start_at, "total": entries.len(), "isLast": is_last, "values": values,
    });
    if !is_last {
        body["nextPage"] = json!(format!(
            "{base}/site/{site}/rest/api/3/issue/{id}/changelog?startAt={}&maxResults={max}",
            start_at + served
        ));
    }
    ok(body)
}

fn offset_page(
    p: &crate::paging::Params,
    duplicate: bool,
    items: Vec<Value>,
    self_url: String,
) -> Response {
    let (start_at, max) = match (p.number("startAt", 0), p.limit("maxResults", 50, 50)) {
        (Ok(s), Ok(m)) => (s, m),
        (Err(e), _) | (_, Err(e)) => return bad_request(Family::Site, &e),
    };
    let first = offset_start(start_at, max, duplicate);
    let total = items.len();
    let values: Vec<Value> = items.into_iter().skip(first).take(max).collect();
    let is_last = first + values.len() >= total;
    ok(
        json!({ "self": self_url, "maxResults": max, "startAt": start_at, "total": total, "isLast": is_last, "values": values }),
    )
}

/// `GET /rest/api/3/group/bulk?startAt=&maxResults=&groupId=&groupName=`.
pub async fn groups(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    // `accessType` and `applicationKey` narrow by product access, which every group here has.
    let (ids, names) = (p.all("groupId"), p.all("groupName"));
    let items = state
        .data()
        .directory
        .groups
        .iter()
        .filter(|g| {
            (ids.is_empty() && names.is_empty())
                || ids.contains(&g.id.as_str())
                || names.contains(&g.name.as_str())
        })
        .map(|g| json!({ "groupId": g.id, "name": g.name }))
        .collect();
    offset_page(
        &p,
        state.view().duplicate,
        items,
        format!("{base}/site/{site}/rest/api/3/group/bulk"),
    )
}

/// `GET /rest/api/3/group/member?groupId=&startAt=&maxResults=`.
pub async fn members(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let p = params(query.as_deref());
    let snapshot = state.data();
    let dir = &snapshot.directory;
    let group = p
        .get("groupId")
        .and_then(|id| dir.groups.iter().find(|g| g.id == id))
        .or_else(|| {
            p.get("groupname")
                .and_then(|n| dir.groups.iter().find(|g| g.name == n))
        });
    let Some(group) = group else {
        return error(
            Family::Site,
            StatusCode::NOT_FOUND,
            "The specified group does not exist.",
        );
    };
    let items = group
        .members
        .iter()
        .map(|m| user(&base, &site, &dir.people[*m]))
        .collect();
    offset_page(
        &p,
        state.view().duplicate,
        items,
        format!(
            "{base}/site/{site}/rest/api/3/group/member?groupId={}",
            group.id
        ),
    )
}

/// `GET /rest/api/3/myself` — the API user, whose time zone is UTC.
pub async fn myself(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
) -> Response {
    let s = site_index(&state, &site);
    let email = &state.config.sites[s].email;
    ok(json!({
        "self": format!("{base}/site/{site}/rest/api/3/user?accountId=sim-sync-user"),
        "accountId": "5b10ac8d82e05b22cc7d4ef5",
        "accountType": "atlassian",
        "emailAddress": email,
        "displayName": "AtlasLens sync",
        "active": true,
        "timeZone": "UTC",
        "locale": "en_US",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_bounds_without_a_zone_match_nothing() {
        assert_eq!(
            jira_bound(Some("2026-09-01T00:00:00.000+0000")),
            Ok(Some(1_788_220_800_000))
        );
        assert_eq!(
            jira_bound(Some("2026-09-01T00:00:00.000Z")),
            Ok(Some(1_788_220_800_000))
        );
        assert_eq!(jira_bound(Some("2026-09-01T00:00:00.000")), Err(()));
        assert_eq!(jira_bound(None), Ok(None));
    }
}
