//! The enhanced JQL search, `GET` and `POST /rest/api/3/search/jql`: one operation the real API
//! offers in two places — the query string on `GET`, a `SearchAndReconcileRequestBean` JSON body
//! on `POST` (which then ignores the query string, as the real one does).
//!
//! Both read into one [`SearchRequest`], checked the way Jira checks it: `maxResults` within
//! 1–5000 (pages hold at most 100 issues, as the real API may return fewer than asked), a page
//! token this listing issued, and on `POST` a JSON body whose properties are the bean's own with
//! the bean's types. `properties`, `fieldsByKeys`, `failFast` and `reconcileIssues` are accepted
//! and have nothing to act on (no issue properties, no custom fields, search is always
//! consistent here).

use super::jql::{self, Facts, Field};
use super::{issue_json, issue_updated, site_index, status_now, Ctx};
use crate::catalog::{ISSUE_TYPES, PROJECTS, STATUSES};
use crate::dataset::ISSUE_ID_BASE;
use crate::paging::{decode_cursor, encode_cursor, next_start, Params};
use crate::scenarios::silent_source::Stream;
use crate::server::{bad_request, ok, params, Base, Family, Shared};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::sync::Arc;

/// The most issues one page holds, whatever `maxResults` asks for.
const PAGE_CAP: usize = 100;

/// The fields an issue carries here, in the order `names`/`schema` list them, with their display
/// name and schema type.
pub(super) const FIELDS: &[(&str, &str, &str)] = &[
    ("summary", "Summary", "string"),
    ("status", "Status", "status"),
    ("issuetype", "Issue Type", "issuetype"),
    ("project", "Project", "project"),
    ("creator", "Creator", "user"),
    ("reporter", "Reporter", "user"),
    ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"),
];

/// One search, wherever its parameters came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchRequest {
    jql: String,
    next_page_token: Option<String>,
    max_results: usize,
    fields: Vec<String>,
    expand: Vec<String>,
}

const INVALID_PAYLOAD: &str =
    "Invalid request payload. Refer to the REST API documentation and try again.";

fn max_results(n: Option<i64>) -> Result<usize, String> {
    match n {
        None => Ok(50),
        Some(n @ 1..=5000) => Ok(usize::try_from(n).unwrap_or(50)),
        Some(_) => Err("The max results parameter has to be between 1 and 5,000.".into()),
    }
}

impl SearchRequest {
    /// The `GET` form: every documented query parameter.
    pub(crate) fn from_query(p: &Params) -> Result<Self, String> {
        let max = match p.get("maxResults") {
            None => None,
            Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
                format!("The value '{v}' of the 'maxResults' parameter is not a number.")
            })?),
        };
        for id in p.list("reconcileIssues") {
            if id.parse::<i64>().is_err() {
                return Err(format!(
                    "The issue id '{id}' in 'reconcileIssues' is not a number."
                ));
            }
        }
        Ok(Self {
            jql: p.get("jql").unwrap_or("").to_owned(),
            next_page_token: p.get("nextPageToken").map(str::to_owned),
            max_results: max_results(max)?,
            fields: p.list("fields").into_iter().map(str::to_owned).collect(),
            expand: p.list("expand").into_iter().map(str::to_owned).collect(),
        })
    }

    /// The `POST` form: a `SearchAndReconcileRequestBean`. Its schema forbids other properties,
    /// and a property of the wrong type fails to deserialise: both are refused.
    pub(crate) fn from_body(body: &Value) -> Result<Self, String> {
        let obj = body.as_object().ok_or(INVALID_PAYLOAD)?;
        let string = |k: &str| match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(INVALID_PAYLOAD.to_owned()),
        };
        let strings = |k: &str| match obj.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| INVALID_PAYLOAD.to_owned()),
            Some(_) => Err(INVALID_PAYLOAD.to_owned()),
        };
        for (k, v) in obj {
            let fits = match k.as_str() {
                "jql" | "nextPageToken" | "expand" => v.is_string() || v.is_null(),
                "maxResults" => v.is_i64() || v.is_null(),
                "fields" | "properties" => {
                    v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                }
                "fieldsByKeys" => v.is_boolean() || v.is_null(),
                "reconcileIssues" => {
                    v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Value::is_i64))
                }
                _ => false,
            };
            if !fits {
                return Err(INVALID_PAYLOAD.to_owned());
            }
        }
        let split = |v: Vec<String>| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(Self {
            jql: string("jql")?.unwrap_or_default(),
            next_page_token: string("nextPageToken")?.filter(|t| !t.is_empty()),
            max_results: max_results(obj.get("maxResults").and_then(Value::as_i64))?,
            fields: split(strings("fields")?),
            expand: split(string("expand")?.map(|e| vec![e]).unwrap_or_default()),
        })
    }
}

/// Which of [`FIELDS`] a `fields` list asks for: names, `*all`/`*navigable`, `-name` to leave
/// one out (exclusions alone mean "navigable minus these"); the default `id` asks for none.
fn selected(fields: &[String]) -> Vec<&'static str> {
    let minus: Vec<&str> = fields.iter().filter_map(|f| f.strip_prefix('-')).collect();
    let named: Vec<&str> = fields
        .iter()
        .map(String::as_str)
        .filter(|f| !f.starts_with('-'))
        .collect();
    let all = named.iter().any(|f| *f == "*all" || *f == "*navigable")
        || (named.is_empty() && !minus.is_empty());
    FIELDS
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|f| (all || named.contains(f)) && !minus.contains(f))
        .collect()
}

/// `GET /rest/api/3/search/jql?jql=&nextPageToken=&maxResults=&fields=&expand=&…`.
pub async fn get(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    match SearchRequest::from_query(&params(query.as_deref())) {
        Ok(request) => run(&state, &site, &base, &request),
        Err(e) => bad_request(Family::Site, &e),
    }
}

/// `POST /rest/api/3/search/jql` with a JSON `SearchAndReconcileRequestBean`.
pub async fn post(
    State(state): State<Arc<Shared>>,
    Path(site): Path<String>,
    Base(base): Base,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !content_type.is_some_and(|c| c.trim_start().starts_with("application/json")) {
        return unsupported_media_type(content_type);
    }
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|_| INVALID_PAYLOAD.to_owned())
        .and_then(|v| SearchRequest::from_body(&v));
    match parsed {
        Ok(request) => run(&state, &site, &base, &request),
        Err(e) => bad_request(Family::Site, &e),
    }
}

/// Jira's gateway refuses a body that is not JSON before the operation sees it, as RFC 7807
/// problem details.
fn unsupported_media_type(content_type: Option<&str>) -> Response {
    let body = json!({
        "title": "Unsupported Media Type",
        "detail": format!("Content-Type '{}' is not supported.", content_type.unwrap_or("null")),
        "instance": "/rest/api/3/search/jql",
    });
    let mut r = (StatusCode::UNSUPPORTED_MEDIA_TYPE, body.to_string()).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// One hit: the issue and what it is ordered by.
struct Hit {
    index: usize,
    created: i64,
    updated: i64,
    status: usize,
}

fn compare(order: &[(Field, bool)], data: &crate::dataset::SiteData, a: &Hit, b: &Hit) -> Ordering {
    let issue = |h: &Hit| &data.issues[h.index];
    let key = |h: &Hit| (PROJECTS[usize::from(issue(h).project)].0, issue(h).number);
    for (field, desc) in order {
        let o = match field {
            Field::Updated => a.updated.cmp(&b.updated),
            Field::Created => a.created.cmp(&b.created),
            Field::Key => key(a).cmp(&key(b)),
            Field::Id => a.index.cmp(&b.index),
            Field::Project => key(a).0.cmp(key(b).0),
            Field::Status => a.status.cmp(&b.status),
            Field::IssueType => ISSUE_TYPES[usize::from(issue(a).kind)]
                .0
                .cmp(ISSUE_TYPES[usize::from(issue(b).kind)].0),
            Field::Creator | Field::Reporter => Ordering::Equal,
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.index.cmp(&b.index)
}

fn run(state: &Shared, site: &str, base: &str, request: &SearchRequest) -> Response {
    let view = state.view_of(Stream::JiraActivity);
    let mut jql = match jql::parse(&request.jql, view.now) {
        Ok(j) => j,
        Err(e) => return bad_request(Family::Site, &e),
    };
    if jql.order.is_empty() {
        jql.order.push((Field::Updated, false));
    }
    let start = match &request.next_page_token {
        None => 0,
        Some(t) => match decode_cursor("jql", t) {
            Some((pos, _)) => pos,
            None => {
                return bad_request(
                    Family::Site,
                    "The provided next page token is invalid or expired.",
                )
            }
        },
    };
    let s = site_index(state, site);
    let snapshot = state.data();
    let data = &snapshot.sites[s];
    let people = &snapshot.directory.people;
    let mut hits: Vec<Hit> = Vec::new();
    for (index, issue) in data.issues.iter().enumerate() {
        let Some(updated) = issue_updated(&view, data, issue) else {
            continue;
        };
        let (pkey, pname, pid) = PROJECTS[usize::from(issue.project)];
        let status = status_now(&view, data, issue);
        let (sname, sid, _) = STATUSES[status];
        let (tname, tid) = ISSUE_TYPES[usize::from(issue.kind)];
        let key = format!("{pkey}-{}", issue.number);
        let id = (ISSUE_ID_BASE + index as u64).to_string();
        let facts = Facts {
            project: [pkey, pname, pid],
            key: &key,
            id: &id,
            status: [sname, sid],
            issuetype: [tname, tid],
            creator: &people[usize::from(issue.creator)].account_id,
            created: issue.stamp.at,
            updated,
        };
        if jql.matches(&facts) {
            hits.push(Hit {
                index,
                created: issue.stamp.at,
                updated,
                status,
            });
        }
    }
    hits.sort_by(|a, b| compare(&jql.order, data, a, b));
    let fields = selected(&request.fields);
    let expand = |name: &str| request.expand.iter().any(|e| e == name);
    let ctx = Ctx {
        dir: &snapshot.directory,
        data,
        base,
        site,
        view,
    };
    let page: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(request.max_results.min(PAGE_CAP))
        .map(|h| issue_json(&ctx, h.index, &fields, expand("changelog")))
        .collect();
    let served = page.len();
    let last = start + served >= hits.len();
    let mut body = json!({ "issues": page, "isLast": last });
    if !last {
        body["nextPageToken"] = json!(encode_cursor(
            "jql",
            next_start(start, served, view.duplicate),
            &[]
        ));
    }
    let described = FIELDS.iter().filter(|(name, _, _)| fields.contains(name));
    if expand("names") {
        let names: Map<String, Value> = described
            .clone()
            .map(|(id, name, _)| ((*id).to_owned(), json!(name)))
            .collect();
        body["names"] = Value::Object(names);
    }
    if expand("schema") {
        let schema: Map<String, Value> = described
            .map(|(id, _, kind)| ((*id).to_owned(), json!({ "type": kind, "system": id })))
            .collect();
        body["schema"] = Value::Object(schema);
    }
    ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Params {
        Params(serde_urlencoded::from_str(q).unwrap())
    }

    #[test]
    fn both_forms_read_into_the_same_request() {
        let got = SearchRequest::from_query(&query(
            "jql=project%3DPLAT&maxResults=20&fields=summary,status&fields=updated&expand=changelog,names&properties=p&fieldsByKeys=true&failFast=false&reconcileIssues=10001,10002",
        ))
        .unwrap();
        let posted = SearchRequest::from_body(&json!({
            "jql": "project=PLAT", "maxResults": 20, "fields": ["summary", "status", "updated"],
            "expand": "changelog,names", "properties": ["p"], "fieldsByKeys": true,
            "reconcileIssues": [10001, 10002], "nextPageToken": null,
        }))
        .unwrap();
        assert_eq!(got, posted);
        assert_eq!(got.fields, ["summary", "status", "updated"]);
        assert_eq!(got.expand, ["changelog", "names"]);
    }

    #[test]
    fn a_body_with_a_foreign_or_mistyped_property_is_an_invalid_payload() {
        for body in [
            json!({ "jql": "project=PLAT", "startAt": 0 }),
            json!({ "jql": "project=PLAT", "failFast": true }),
            json!({ "jql": ["project=PLAT"] }),
            json!({ "jql": "project=PLAT", "maxResults": "ten" }),
            json!({ "jql": "project=PLAT", "fields": "summary" }),
            json!(["project=PLAT"]),
        ] {
            assert_eq!(
                SearchRequest::from_body(&body),
                Err(INVALID_PAYLOAD.to_owned()),
                "{body}"
            );
        }
    }

    #[test]
    fn max_results_outside_one_to_five_thousand_is_refused() {
        for bad in ["0", "-1", "5001"] {
            assert!(
                SearchRequest::from_query(&query(&format!("maxResults={bad}")))
                    .unwrap_err()
                    .contains("between 1 and 5,000")
            );
        }
        assert_eq!(
            SearchRequest::from_query(&query("maxResults=5000"))
                .unwrap()
                .max_results,
            5000
        );
    }

    #[test]
    fn fields_select_by_name_all_or_exclusion() {
        let f = |v: &[&str]| selected(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert!(f(&["id"]).is_empty());
        assert_eq!(f(&["summary", "updated"]), ["summary", "updated"]);
        assert_eq!(f(&["*all", "-creator"]).len(), FIELDS.len() - 1);
        assert_eq!(f(&["-summary"]).len(), FIELDS.len() - 1);
    }
}
