//! The simulator is a test oracle for any client written for the real APIs, not only for ours:
//! every parameter Atlassian's documents list for an operation the simulator serves is
//! accepted with each documented value, read from the documents at test time so a newly
//! documented parameter is walked too; what the real API refuses is refused in the product's
//! own error shape; documented writes stay `405`. (The three bugs a foreign client met are
//! pinned by name in `foreign_clients.rs`.)
//!
//! Long because it walks every documented parameter of every simulated endpoint.

mod client;
mod common;
mod spec;

use client::{Answer, Body, Client, BOUNDED};
use reqwest::Method;
use serde_json::{json, Value};
use spec::{
    body_properties, documented_values, errors, jira_doc, parameters, parameters_in_examples,
    resolve, response_schema_of, spec, validator, Param, JIRA,
};

/// Which API an operation belongs to: where it lives and how it refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Admin,
    Jira,
    Jsm,
    ConfluenceV1,
    ConfluenceV2,
    Bitbucket,
}

/// An operation the simulator serves, as its document names it.
#[derive(Debug, Clone, Copy)]
struct Op {
    api: Api,
    doc: &'static str,
    path: &'static str,
    method: &'static str,
}

const fn op(api: Api, doc: &'static str, path: &'static str, method: &'static str) -> Op {
    Op {
        api,
        doc,
        path,
        method,
    }
}

const BB: &str = "bitbucket-cloud-2.0.json";
const V2: &str = "confluence-v2.json";

/// Every operation of the published documents the simulator serves (docs/simulator.md §4). The
/// organization `events-stream` is not in the saved Admin document; it is walked from
/// atlassian-api.md §1.2 by `the_events_stream_accepts_every_parameter_atlassian_describes`.
const SERVED: &[Op] = &[
    op(
        Api::Admin,
        "admin-organization.json",
        "/v1/orgs/{orgId}/event-actions",
        "get",
    ),
    op(
        Api::Admin,
        "admin-organization.json",
        "/v1/orgs/{orgId}/users",
        "get",
    ),
    op(Api::Jira, JIRA, "/rest/api/3/auditing/record", "get"),
    op(Api::Jira, JIRA, "/rest/api/3/search/jql", "get"),
    op(Api::Jira, JIRA, "/rest/api/3/search/jql", "post"),
    op(
        Api::Jira,
        JIRA,
        "/rest/api/3/issue/{issueIdOrKey}/changelog",
        "get",
    ),
    op(Api::Jira, JIRA, "/rest/api/3/group/bulk", "get"),
    op(Api::Jira, JIRA, "/rest/api/3/group/member", "get"),
    op(Api::Jira, JIRA, "/rest/api/3/myself", "get"),
    op(
        Api::Jsm,
        "jira-service-management.json",
        "/rest/servicedeskapi/request",
        "get",
    ),
    op(
        Api::ConfluenceV1,
        "confluence-v1.json",
        "/wiki/rest/api/audit",
        "get",
    ),
    op(Api::ConfluenceV2, V2, "/pages", "get"),
    op(Api::ConfluenceV2, V2, "/blogposts", "get"),
    op(Api::ConfluenceV2, V2, "/pages/{id}/versions", "get"),
    op(Api::ConfluenceV2, V2, "/blogposts/{id}/versions", "get"),
    op(Api::Bitbucket, BB, "/repositories/{workspace}", "get"),
    op(
        Api::Bitbucket,
        BB,
        "/repositories/{workspace}/{repo_slug}/commits",
        "get",
    ),
    op(
        Api::Bitbucket,
        BB,
        "/repositories/{workspace}/{repo_slug}/commits",
        "post",
    ),
    op(
        Api::Bitbucket,
        BB,
        "/repositories/{workspace}/{repo_slug}/pullrequests",
        "get",
    ),
];

/// A value that stands for "a page token or cursor this listing just issued".
const CURSOR: &str = "<cursor issued by the listing>";

/// Ids the walk needs that only the running simulator knows.
struct Known {
    issue: String,
    page: String,
    blogpost: String,
    group_id: String,
    group_name: String,
}

/// A page or blog post with more than one version (so its versions page in several pages).
async fn with_versions(c: &Client, kind: &str) -> String {
    let list = c
        .get(
            &format!("/site/acme/wiki/api/v2/{kind}"),
            &[("limit", "100")],
        )
        .await;
    for item in list["results"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let versions = c
            .get(
                &format!("/site/acme/wiki/api/v2/{kind}/{id}/versions"),
                &[("limit", "1")],
            )
            .await;
        if versions["_links"]["next"].is_string() {
            return id.to_owned();
        }
    }
    panic!("no {kind} with several versions");
}

async fn known(c: &Client) -> Known {
    let search = c
        .get(
            "/site/acme/rest/api/3/search/jql",
            &[("jql", BOUNDED), ("maxResults", "100")],
        )
        .await;
    let mut issue = None;
    for i in search["issues"].as_array().unwrap() {
        let id = i["id"].as_str().unwrap();
        let changelog = c
            .get(&format!("/site/acme/rest/api/3/issue/{id}/changelog"), &[])
            .await;
        if changelog["total"].as_u64() > Some(1) {
            issue = Some(id.to_owned());
            break;
        }
    }
    let issue = issue.expect("an issue with a changelog");
    let page = with_versions(c, "pages").await;
    let blogpost = with_versions(c, "blogposts").await;
    let groups = c.get("/site/acme/rest/api/3/group/bulk", &[]).await;
    Known {
        issue,
        page,
        blogpost,
        group_id: groups["values"][0]["groupId"].as_str().unwrap().to_owned(),
        group_name: groups["values"][0]["name"].as_str().unwrap().to_owned(),
    }
}

/// Where `op` lives on the simulator.
fn url(op: &Op, k: &Known) -> String {
    let path = op
        .path
        .replace("{orgId}", "acme-org")
        .replace("{issueIdOrKey}", &k.issue)
        .replace("{workspace}", "acme")
        .replace("{repo_slug}", "exporter");
    match op.api {
        Api::Admin => format!("/admin{path}"),
        Api::Jira | Api::Jsm | Api::ConfluenceV1 => format!("/site/acme{path}"),
        Api::ConfluenceV2 => {
            let id = if path.starts_with("/pages") {
                &k.page
            } else {
                &k.blogpost
            };
            format!("/site/acme/wiki/api/v2{}", path.replace("{id}", id))
        }
        Api::Bitbucket => format!("/bitbucket/2.0{path}"),
    }
}

/// The parameters a request must carry for `op` to answer `200` at all.
fn base(op: &Op, k: &Known) -> Vec<(String, Value)> {
    match (op.path, op.method) {
        ("/rest/api/3/search/jql", _) => vec![("jql".into(), json!(BOUNDED))],
        ("/rest/api/3/group/member", _) => vec![("groupId".into(), json!(k.group_id))],
        _ => Vec::new(),
    }
}

/// Base parameters a parameter replaces rather than joins (the document says they exclude
/// each other).
fn replaces(op: &Op, name: &str) -> &'static [&'static str] {
    match (op.path, name) {
        ("/rest/api/3/group/member", "groupname") => &["groupId"],
        _ => &[],
    }
}

/// Every parameter `op` documents: its own list (or, for a `POST` with a JSON body, the body's
/// properties), plus what Bitbucket documents elsewhere — the page envelope's `page`/`pagelen`,
/// `q`/`sort` where the description says the listing filters and sorts, parameters shown only in
/// the description's example requests, and `fields` (partial responses, atlassian-api.md §4.2).
fn documented(doc: &Value, op: &Op) -> Vec<Param> {
    let operation = &doc["paths"][op.path][op.method];
    let mut params: Vec<Param> = if operation["requestBody"]["content"]["application/json"]
        .is_object()
        && op.api == Api::Jira
    {
        body_properties(doc, op.path, op.method)
    } else {
        parameters(doc, op.path, op.method)
            .into_iter()
            .filter(|p| p.location == "query")
            .collect()
    };
    if op.api == Api::Bitbucket {
        let text = |name: &str, description: &str, schema: Value| Param {
            name: name.into(),
            location: "query".into(),
            schema,
            description: description.into(),
        };
        let envelope = resolve(
            doc,
            &operation["responses"]["200"]["content"]["application/json"]["schema"],
        );
        for name in ["page", "pagelen"] {
            if envelope["properties"][name].is_object() {
                params.push(text(name, "", envelope["properties"][name].clone()));
            }
        }
        let description = operation["description"].as_str().unwrap_or("");
        if description.contains("filtering and sorting") {
            for name in ["q", "sort"] {
                if !params.iter().any(|p| p.name == name) {
                    params.push(text(name, "", json!({ "type": "string" })));
                }
            }
        }
        let described = match op.method {
            // The POST is "identical to GET": its parameters are the GET's.
            "post" => doc["paths"][op.path]["get"]["description"]
                .as_str()
                .unwrap_or(""),
            _ => description,
        };
        for name in parameters_in_examples(described) {
            params.push(text(&name, "", json!({ "type": "string" })));
        }
        params.push(text("fields", "", json!({ "type": "string" })));
    }
    params
}

/// Values chosen for a parameter whose valid values depend on the data or the simulator; `None`
/// leaves it to what the document lists, then to its type.
fn chosen(op: &Op, name: &str, k: &Known) -> Option<Vec<Value>> {
    Some(match (op.api, op.path, name) {
        (_, _, "nextPageToken" | "cursor") => vec![json!(CURSOR)],
        (Api::Jira, "/rest/api/3/search/jql", "jql") => vec![
            json!("updated >= -30d ORDER BY updated DESC"),
            json!("project in (PLAT, PAY) AND updated >= startOfDay(-3) ORDER BY key ASC"),
            json!("created >= \"2000/01/01\" AND status != Done ORDER BY created DESC, key ASC"),
        ],
        (Api::Jira, _, "reconcileIssues") => vec![json!([10001, 10002])],
        (Api::Jira, "/rest/api/3/auditing/record", "from") => {
            vec![json!("2000-01-01T00:00:00.000+0000")]
        }
        (Api::Jira, "/rest/api/3/auditing/record", "to") => {
            vec![json!("2100-01-01T00:00:00.000+0000")]
        }
        (Api::Jira, "/rest/api/3/auditing/record", "filter") => {
            vec![json!("group"), json!("USER jira-software-users")]
        }
        (Api::Jira, "/rest/api/3/group/member", "groupId") => vec![json!(k.group_id)],
        (Api::Jira, "/rest/api/3/group/member", "groupname") => vec![json!(k.group_name)],
        (Api::ConfluenceV1, _, "startDate") => vec![json!("0")],
        (Api::ConfluenceV1, _, "endDate") => vec![json!("4102444800000")],
        (Api::ConfluenceV1, _, "searchString") => vec![json!("space")],
        (Api::ConfluenceV2, "/pages", "id") => vec![json!([k.page.parse::<u64>().unwrap()])],
        (Api::ConfluenceV2, "/blogposts", "id") => {
            vec![json!([k.blogpost.parse::<u64>().unwrap()])]
        }
        (Api::ConfluenceV2, _, "space-id") => vec![json!([65538, 65539])],
        (Api::Jsm, _, "searchTerm") => vec![json!("VPN*")],
        (Api::Jsm, _, "organizationId") => vec![json!(1)],
        (Api::Jsm, _, "serviceDeskId") => vec![json!(3)],
        (Api::Jsm, _, "requestTypeId") => vec![json!(25)],
        (Api::Bitbucket, "/repositories/{workspace}", "q") => vec![
            json!("updated_on >= 2000-01-01T00:00:00+00:00"),
            json!("name ~ \"app\" OR (language = \"rust\" AND is_private = true)"),
        ],
        (Api::Bitbucket, _, "q") => vec![
            json!("updated_on >= 2000-01-01T00:00:00+00:00"),
            json!("state = \"OPEN\" OR author.display_name ~ \"a\""),
        ],
        (Api::Bitbucket, _, "sort") => vec![json!("-updated_on"), json!("created_on")],
        (Api::Bitbucket, _, "include") => vec![json!("main")],
        (Api::Bitbucket, _, "exclude") => vec![json!("feature/old")],
        (Api::Bitbucket, _, "path") => vec![json!("README.md")],
        (Api::Bitbucket, _, "fields") => vec![json!("next,values.type")],
        _ => return None,
    })
}

/// A valid value of `schema` when nothing else says which.
fn by_type(schema: &Value) -> Vec<Value> {
    let number = || {
        schema
            .get("default")
            .or_else(|| schema.get("minimum"))
            .cloned()
            .unwrap_or(json!(1))
    };
    match schema["type"].as_str() {
        Some("boolean") => vec![json!(true), json!(false)],
        Some("integer") => vec![number()],
        Some("array") => match schema["items"]["type"].as_str() {
            Some("integer") => vec![json!([1])],
            _ => vec![json!(["sim"])],
        },
        _ => vec![json!("sim")],
    }
}

/// The values `p` is walked with.
fn values(op: &Op, p: &Param, k: &Known) -> Vec<Value> {
    if let Some(v) = chosen(op, &p.name, k) {
        return v;
    }
    let listed = documented_values(p);
    if !listed.is_empty() {
        let array = p.schema["type"] == "array";
        return listed
            .into_iter()
            .map(|v| if array { json!([v]) } else { json!(v) })
            .collect();
    }
    by_type(&p.schema)
}

/// A query-string form of a JSON value: arrays comma-separated, as Atlassian reads them.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The page token or cursor `op`'s first one-item page hands out, as a client would read it.
async fn cursor(c: &Client, op: &Op, k: &Known) -> String {
    let path = url(op, k);
    match op.api {
        Api::Jira => {
            let page = c.get(&path, &[("jql", BOUNDED), ("maxResults", "1")]).await;
            page["nextPageToken"].as_str().unwrap().to_owned()
        }
        Api::Admin => {
            let page = c.get(&path, &[]).await;
            page["meta"]["next"].as_str().unwrap().to_owned()
        }
        Api::ConfluenceV2 => {
            let page = c.get(&path, &[("limit", "1")]).await;
            let next = page["_links"]["next"].as_str().unwrap();
            let query = next.split_once('?').unwrap().1;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
            pairs.into_iter().find(|(k, _)| k == "cursor").unwrap().1
        }
        other => panic!("{other:?} issues no cursors"),
    }
}

/// `Ok` when an answer is what a documented parameter with a valid value must get: `200`, and
/// (when the operation has a published schema) a body that matches it.
fn verdict(a: &Answer, schema: Option<&jsonschema::Validator>) -> Result<(), String> {
    if a.status != 200 {
        return Err(format!("answered {}: {}", a.status, a.body));
    }
    match schema.map(|v| errors(v, &a.body)) {
        Some(e) if !e.is_empty() => Err(format!("the body does not match: {}", e.join("; "))),
        _ => Ok(()),
    }
}

fn doc_of(name: &str) -> Value {
    if name == JIRA {
        jira_doc()
    } else {
        spec(name)
    }
}

/// Sends one request of `op` with `base` plus `(name, value)`.
async fn send_with(
    c: &Client,
    op: &Op,
    k: &Known,
    mut pairs: Vec<(String, Value)>,
    name: &str,
    value: Value,
) -> Answer {
    let drop = replaces(op, name);
    pairs.retain(|(n, _)| n != name && !drop.contains(&n.as_str()));
    pairs.push((name.to_owned(), value));
    let path = url(op, k);
    let query = |pairs: &[(String, Value)]| -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.clone(), text(v))).collect()
    };
    match (op.method, op.api) {
        ("get", _) => c.send(Method::GET, &path, &query(&pairs), None).await,
        ("post", Api::Jira) => {
            let body: serde_json::Map<String, Value> = pairs.into_iter().collect();
            c.send(
                Method::POST,
                &path,
                &[],
                Some(&Body::Json(Value::Object(body))),
            )
            .await
        }
        ("post", _) => {
            c.send(Method::POST, &path, &[], Some(&Body::Form(query(&pairs))))
                .await
        }
        (m, _) => panic!("no reads with {m}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_parameter_of_every_served_operation_is_accepted() {
    let c = Client::new().await;
    let k = known(&c).await;
    let mut failures = Vec::new();
    let mut walked = 0;
    let mut current_doc = (String::new(), Value::Null);
    for op in SERVED {
        if current_doc.0 != op.doc {
            current_doc = (op.doc.to_owned(), doc_of(op.doc));
        }
        let doc = &current_doc.1;
        let schema = response_schema_of(doc, op.path, op.method);
        let check = validator(doc, &schema, op.path);
        let params = documented(doc, op);
        for p in &params {
            for value in values(op, p, &k) {
                let value = if value == json!(CURSOR) {
                    json!(cursor(&c, op, &k).await)
                } else {
                    value
                };
                let a = send_with(&c, op, &k, base(op, &k), &p.name, value.clone()).await;
                walked += 1;
                if let Err(e) = verdict(&a, Some(&check)) {
                    failures.push(format!(
                        "{} {} {}={}: {e}",
                        op.method.to_uppercase(),
                        op.path,
                        p.name,
                        text(&value)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {walked} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The walk saw the parameters the documents list, not an empty list.
    assert!(walked > 100, "only {walked} requests were walked");
    eprintln!(
        "{walked} documented parameter values walked over {} operations",
        SERVED.len()
    );
    c.sim.stop().await;
}

#[tokio::test]
async fn the_events_stream_accepts_every_parameter_atlassian_describes() {
    // Not in the saved Admin document (2023); atlassian-api.md §1.2 lists them.
    let c = Client::new().await;
    // Everything visible, so nothing arrives between the listings compared below.
    c.sim.advance_clock(chrono::Duration::days(2));
    let path = "/admin/v1/orgs/acme-org/events-stream";
    let from = (c.sim.now() - chrono::Duration::days(4)).timestamp_millis();
    let cursor = c.get(path, &[("limit", "5")]).await["meta"]["next"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, value) in [
        ("cursor", cursor.as_str()),
        ("from", &from.to_string()),
        ("to", &c.sim.now().timestamp_millis().to_string()),
        ("limit", "500"),
        ("sortOrder", "asc"),
        ("sortOrder", "desc"),
    ] {
        let page = c.get(path, &[(name, value)]).await;
        assert!(page["data"].is_array(), "{name}={value}");
    }
    // Descending is the ascending listing reversed, page after page.
    let collect = |order: &'static str| {
        let c = &c;
        async move {
            let mut ids = Vec::new();
            let mut query = vec![("from", from.to_string()), ("sortOrder", order.to_owned())];
            loop {
                let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let page = c.get(path, &q).await;
                ids.extend(
                    page["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["id"].as_str().unwrap().to_owned()),
                );
                match page["meta"]["next"].as_str() {
                    Some(n) => query = vec![("cursor", n.to_owned())],
                    None => return ids,
                }
            }
        }
    };
    let asc = collect("asc").await;
    let mut desc = collect("desc").await;
    assert!(asc.len() > 200, "{} events", asc.len());
    desc.reverse();
    assert_eq!(asc, desc);
    c.sim.stop().await;
}

/// The parameters whose description (not schema) gives a closed set the real API enforces.
const CLOSED_BY_DESCRIPTION: &[(&str, &str)] = &[
    ("/rest/servicedeskapi/request", "requestOwnership"),
    ("/rest/servicedeskapi/request", "requestStatus"),
    ("/rest/servicedeskapi/request", "approvalStatus"),
];

/// Whether `body` is `api`'s own refusal.
fn refusal_shape(api: Api, body: &Value) -> bool {
    match api {
        Api::Jira => body["errorMessages"].is_array() && body["errors"].is_object(),
        Api::Jsm => body["errorMessage"].is_string(),
        Api::ConfluenceV1 => body["statusCode"] == 400 && body["message"].is_string(),
        Api::ConfluenceV2 => {
            body["errors"][0]["status"] == 400
                && body["errors"][0]["code"].is_string()
                && body["errors"][0]["title"].is_string()
        }
        Api::Bitbucket => body["type"] == "error" && body["error"]["message"].is_string(),
        Api::Admin => body["errors"][0]["code"].is_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_outside_a_documented_set_gets_the_products_own_400() {
    let c = Client::new().await;
    let k = known(&c).await;
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for op in SERVED {
        let doc = spec(op.doc);
        for p in documented(&doc, op) {
            let closed = p.schema["enum"].is_array()
                || p.schema["items"]["enum"].is_array()
                || CLOSED_BY_DESCRIPTION.contains(&(op.path, p.name.as_str()));
            if !closed {
                continue;
            }
            let bogus = json!("NOT_A_DOCUMENTED_VALUE");
            let a = send_with(&c, op, &k, base(op, &k), &p.name, bogus).await;
            checked.push(format!("{} {}", op.path, p.name));
            if a.status != 400 || !refusal_shape(op.api, &a.body) {
                failures.push(format!("{} {}: {} {}", op.path, p.name, a.status, a.body));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked.len() >= 12, "closed sets checked: {checked:?}");
    // Other refusals keep their product's shape too.
    let jira = c
        .send(
            Method::GET,
            "/site/acme/rest/api/3/search/jql",
            &[("jql".into(), "updated >= \"someday\"".into())],
            None,
        )
        .await;
    assert_eq!(jira.status, 400);
    assert!(refusal_shape(Api::Jira, &jira.body), "{}", jira.body);
    let v1 = c
        .send(
            Method::GET,
            "/site/acme/wiki/rest/api/audit",
            &[("startDate".into(), "yesterday".into())],
            None,
        )
        .await;
    assert_eq!(v1.status, 400);
    assert!(refusal_shape(Api::ConfluenceV1, &v1.body), "{}", v1.body);
    let bbql = c
        .send(
            Method::GET,
            "/bitbucket/2.0/repositories/acme/exporter/pullrequests",
            &[("q".into(), "state = OPEN".into())],
            None,
        )
        .await;
    assert_eq!(bbql.status, 400);
    assert!(refusal_shape(Api::Bitbucket, &bbql.body), "{}", bbql.body);
    c.sim.stop().await;
}

#[tokio::test]
async fn a_search_body_with_a_property_the_bean_does_not_declare_gets_jiras_400() {
    let c = Client::new().await;
    let path = "/site/acme/rest/api/3/search/jql";
    // `startAt` belonged to the removed `/search`; `failFast` is a GET parameter only.
    for body in [
        json!({ "jql": BOUNDED, "startAt": 0 }),
        json!({ "jql": BOUNDED, "failFast": true }),
        json!({ "jql": BOUNDED, "maxResults": "ten" }),
    ] {
        let a = c
            .send(Method::POST, path, &[], Some(&Body::Json(body.clone())))
            .await;
        assert_eq!(a.status, 400, "{body}");
        assert!(refusal_shape(Api::Jira, &a.body), "{body}: {}", a.body);
    }
    for max in ["0", "5001"] {
        let a = c
            .send(
                Method::GET,
                path,
                &[
                    ("jql".into(), BOUNDED.into()),
                    ("maxResults".into(), max.into()),
                ],
                None,
            )
            .await;
        assert_eq!(a.status, 400, "maxResults={max}");
        assert_eq!(
            a.body["errorMessages"][0],
            "The max results parameter has to be between 1 and 5,000."
        );
    }
    // A body that is not JSON never reaches the operation.
    let r = c
        .http
        .post(format!("{}{path}", c.sim.base_url()))
        .basic_auth(
            &c.sim.config().sites[0].email,
            Some(&c.sim.config().sites[0].api_token),
        )
        .body("jql=project%3DPLAT")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    c.sim.stop().await;
}

#[tokio::test]
async fn the_parameter_walk_can_fail() {
    let refused = Answer {
        status: 400,
        body: json!({ "errorMessages": ["no"], "errors": {} }),
    };
    assert!(verdict(&refused, None).is_err(), "a 400 is a failure");
    let jira = jira_doc();
    let schema = response_schema_of(&jira, "/rest/api/3/search/jql", "get");
    let v = validator(&jira, &schema, "search");
    let misshapen = Answer {
        status: 200,
        body: json!({ "issues": "none", "isLast": "yes" }),
    };
    assert!(
        verdict(&misshapen, Some(&v)).is_err(),
        "a wrong shape is a failure"
    );
    let fine = Answer {
        status: 200,
        body: json!({ "issues": [], "isLast": true }),
    };
    assert_eq!(verdict(&fine, Some(&v)), Ok(()));
    // And the walk reads the documents: every served operation lists parameters, including
    // ones a client must be able to send.
    let params: Vec<String> = documented(&jira, &SERVED[4])
        .into_iter()
        .map(|p| p.name)
        .collect();
    for name in [
        "jql",
        "nextPageToken",
        "maxResults",
        "fields",
        "expand",
        "reconcileIssues",
    ] {
        assert!(
            params.iter().any(|p| p == name),
            "POST body lists {name}: {params:?}"
        );
    }
    let search = parameters(&jira, "/rest/api/3/search/jql", "get");
    let expand = search.iter().find(|p| p.name == "expand").unwrap();
    assert!(documented_values(expand).contains(&"changelog".to_owned()));
}

#[tokio::test]
async fn documented_writes_on_served_paths_are_refused_with_405() {
    let c = Client::new().await;
    let k = known(&c).await;
    let mut seen = 0;
    for op in SERVED {
        let doc = spec(op.doc);
        let item = doc["paths"][op.path].as_object().unwrap();
        for method in ["post", "put", "patch", "delete"] {
            let served_read = SERVED
                .iter()
                .any(|o| o.path == op.path && o.method == method);
            if !item.contains_key(method) || served_read {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = c
                .send(m, &url(op, &k), &[], Some(&Body::Json(json!({}))))
                .await;
            assert_eq!(a.status, 405, "{method} {} is a write", op.path);
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} documented writes found");
    c.sim.stop().await;
}
