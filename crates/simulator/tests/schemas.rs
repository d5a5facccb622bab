//! Every response the connectors rely on validates against the response schema of the matching
//! operation in Atlassian's published OpenAPI documents (vendored unmodified in `specs/`, with
//! their provenance in `specs/SOURCES.md`, and read at test time). The Admin document predates `events-stream`, so that envelope is checked against a
//! schema written from atlassian-api.md §1.3/§1.5, and its events against the spec's `EventModel`.

mod common;
mod spec;

use common::{small_config, start};
use serde_json::{json, Value};
use simulator::RunningSimulator;
use spec::{check, response_schema, spec};

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn get(&self, sim: &RunningSimulator, path: &str) -> Value {
        let cfg = sim.config();
        let url = format!("{}{path}", self.base);
        let request = self.http.get(&url);
        let request = if path.starts_with("/admin") {
            request.bearer_auth(&cfg.org_api_key)
        } else if path.starts_with("/bitbucket") {
            request.basic_auth(&cfg.bitbucket.email, Some(&cfg.bitbucket.api_token))
        } else {
            request.basic_auth(&cfg.sites[0].email, Some(&cfg.sites[0].api_token))
        };
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        r.json().await.unwrap()
    }
}

fn non_empty<'a>(v: &'a Value, field: &str, what: &str) -> &'a Vec<Value> {
    let items = v[field]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no {field} array"));
    assert!(
        !items.is_empty(),
        "{what}: {field} is empty, nothing was validated"
    );
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_matches_the_published_schemas() {
    let sim = start(small_config(21)).await;
    let c = Client {
        http: reqwest::Client::new(),
        base: sim.base_url(),
    };

    // Admin.
    let admin = spec("admin-organization.json");
    let stream = c
        .get(&sim, "/admin/v1/orgs/acme-org/events-stream?limit=50")
        .await;
    let envelope = json!({
        "type": "object",
        "required": ["data", "meta", "links"],
        "properties": {
            "data": { "type": "array", "items": { "$ref": "#/components/schemas/EventModel" } },
            "meta": { "type": "object", "required": ["next", "page_size"],
                      "properties": { "next": { "type": ["string", "null"] }, "page_size": { "type": "integer" } } },
            "links": { "type": "object", "required": ["self"],
                       "properties": { "self": { "type": "string" }, "next": { "type": "string" }, "prev": { "type": "string" } } }
        }
    });
    for e in non_empty(&stream, "data", "events-stream") {
        for field in ["processedAt", "time"] {
            assert!(
                e["attributes"][field]
                    .as_str()
                    .is_some_and(|t| t.parse::<chrono::DateTime<chrono::Utc>>().is_ok()),
                "{field}: {e}"
            );
        }
        assert_eq!(e["message"]["format"], "simple");
    }
    check(&admin, &envelope, &stream, "events-stream");
    let actions = c.get(&sim, "/admin/v1/orgs/acme-org/event-actions").await;
    check(
        &admin,
        &response_schema(&admin, "/v1/orgs/{orgId}/event-actions"),
        &actions,
        "event-actions",
    );
    let users = c.get(&sim, "/admin/v1/orgs/acme-org/users").await;
    non_empty(&users, "data", "users");
    check(
        &admin,
        &response_schema(&admin, "/v1/orgs/{orgId}/users"),
        &users,
        "users",
    );

    // Jira.
    let jira = spec("jira-platform-v3.json");
    let audit = c
        .get(&sim, "/site/acme/rest/api/3/auditing/record?limit=100")
        .await;
    non_empty(&audit, "records", "jira audit");
    // `AuditRecordBean` forbids extra properties yet omits `authorAccountId`, which Atlassian's
    // own response example for this operation carries (and connectors read): declare it.
    let example = jira["paths"]["/rest/api/3/auditing/record"]["get"]["responses"]["200"]
        ["content"]["application/json"]["example"]
        .as_str()
        .unwrap();
    assert!(example.contains("\"authorAccountId\""));
    let mut jira_patched = jira.clone();
    jira_patched["components"]["schemas"]["AuditRecordBean"]["properties"]["authorAccountId"] =
        json!({ "type": "string" });
    check(
        &jira_patched,
        &response_schema(&jira, "/rest/api/3/auditing/record"),
        &audit,
        "jira audit",
    );
    let fields = "summary,status,issuetype,project,creator,reporter,created,updated";
    let search = c.get(&sim, &format!("/site/acme/rest/api/3/search/jql?jql=updated%20%3E%3D%20%222000-01-01%2000%3A00%22%20ORDER%20BY%20updated%20ASC&maxResults=20&fields={fields}")).await;
    let issues = non_empty(&search, "issues", "jql search");
    check(
        &jira,
        &response_schema(&jira, "/rest/api/3/search/jql"),
        &search,
        "jql search",
    );
    let with_changes = issues.iter().rev().find_map(|i| i["id"].as_str()).unwrap();
    let mut changelog = Value::Null;
    for issue in issues
        .iter()
        .filter_map(|i| i["id"].as_str())
        .chain([with_changes])
    {
        changelog = c
            .get(
                &sim,
                &format!("/site/acme/rest/api/3/issue/{issue}/changelog"),
            )
            .await;
        if changelog["values"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
        {
            break;
        }
    }
    non_empty(&changelog, "values", "changelog");
    check(
        &jira,
        &response_schema(&jira, "/rest/api/3/issue/{issueIdOrKey}/changelog"),
        &changelog,
        "changelog",
    );
    let groups = c.get(&sim, "/site/acme/rest/api/3/group/bulk").await;
    let group = non_empty(&groups, "values", "groups")[0]["groupId"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &jira,
        &response_schema(&jira, "/rest/api/3/group/bulk"),
        &groups,
        "group bulk",
    );
    let members = c
        .get(
            &sim,
            &format!("/site/acme/rest/api/3/group/member?groupId={group}"),
        )
        .await;
    non_empty(&members, "values", "group members");
    check(
        &jira,
        &response_schema(&jira, "/rest/api/3/group/member"),
        &members,
        "group members",
    );
    let me = c.get(&sim, "/site/acme/rest/api/3/myself").await;
    check(
        &jira,
        &response_schema(&jira, "/rest/api/3/myself"),
        &me,
        "myself",
    );

    // JSM.
    let jsm = spec("jira-service-management.json");
    let requests = c.get(&sim, "/site/acme/rest/servicedeskapi/request?requestOwnership=ALL_ORGANIZATIONS&requestStatus=ALL_REQUESTS&expand=status&limit=50").await;
    non_empty(&requests, "values", "jsm requests");
    check(
        &jsm,
        &response_schema(&jsm, "/rest/servicedeskapi/request"),
        &requests,
        "jsm requests",
    );

    // Confluence.
    let v1 = spec("confluence-v1.json");
    let caudit = c
        .get(&sim, "/site/acme/wiki/rest/api/audit?limit=100")
        .await;
    non_empty(&caudit, "results", "confluence audit");
    check(
        &v1,
        &response_schema(&v1, "/wiki/rest/api/audit"),
        &caudit,
        "confluence audit",
    );
    let v2 = spec("confluence-v2.json");
    for kind in ["pages", "blogposts"] {
        let list = c
            .get(
                &sim,
                &format!("/site/acme/wiki/api/v2/{kind}?sort=-modified-date&limit=5"),
            )
            .await;
        let id = non_empty(&list, "results", kind)[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        check(&v2, &response_schema(&v2, &format!("/{kind}")), &list, kind);
        let versions = c
            .get(
                &sim,
                &format!("/site/acme/wiki/api/v2/{kind}/{id}/versions?sort=-modified-date"),
            )
            .await;
        non_empty(&versions, "results", "versions");
        check(
            &v2,
            &response_schema(&v2, &format!("/{kind}/{{id}}/versions")),
            &versions,
            &format!("{kind} versions"),
        );
    }

    // Bitbucket.
    let bb = spec("bitbucket-cloud-2.0.json");
    let repos = c
        .get(&sim, "/bitbucket/2.0/repositories/acme?pagelen=100")
        .await;
    let slug = non_empty(&repos, "values", "repositories")[0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &bb,
        &response_schema(&bb, "/repositories/{workspace}"),
        &repos,
        "repositories",
    );
    let commits = c
        .get(
            &sim,
            &format!("/bitbucket/2.0/repositories/acme/{slug}/commits?pagelen=20"),
        )
        .await;
    non_empty(&commits, "values", "commits");
    check(
        &bb,
        &response_schema(&bb, "/repositories/{workspace}/{repo_slug}/commits"),
        &commits,
        "commits",
    );
    let prs = c
        .get(&sim, &format!("/bitbucket/2.0/repositories/acme/{slug}/pullrequests?state=OPEN&state=MERGED&state=DECLINED&sort=-updated_on&pagelen=50"))
        .await;
    non_empty(&prs, "values", "pull requests");
    check(
        &bb,
        &response_schema(&bb, "/repositories/{workspace}/{repo_slug}/pullrequests"),
        &prs,
        "pull requests",
    );

    sim.stop().await;
}

#[test]
fn the_schema_check_can_fail() {
    let jira = spec("jira-platform-v3.json");
    let schema = response_schema(&jira, "/rest/api/3/auditing/record");
    let bad =
        json!({ "offset": "zero", "limit": 1, "total": 1, "records": [{ "id": "not a number" }] });
    let result = std::panic::catch_unwind(|| check(&jira, &schema, &bad, "a broken record"));
    assert!(result.is_err(), "a wrong shape is caught");
}
