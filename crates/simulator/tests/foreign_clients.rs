//! The three bugs a client written for the real APIs met when run against the simulator side by
//! side with Atlassian (issue 9, item 8), each pinned by a test named after it:
//! `POST /rest/api/3/search/jql` answered `405`, relative JQL dates (`updated >= -30d`) were
//! refused, and `expand=changelog` was ignored.

mod client;
mod common;
mod spec;

use client::{Body, Client, BOUNDED};
use reqwest::Method;
use serde_json::{json, Value};
use spec::{check, jira_doc, response_schema_of};

fn ids(page: &Value) -> Vec<String> {
    page["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn post_search_jql_with_the_documented_body_is_served_not_405() {
    let c = Client::new().await;
    // Everything visible, so nothing arrives between the listings compared below.
    c.sim.advance_clock(chrono::Duration::days(2));
    let path = "/site/acme/rest/api/3/search/jql";
    let jql = "updated >= \"2000-01-01 00:00\" ORDER BY updated ASC";
    let fields = "summary,status,updated";
    let mut by_get = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut q = vec![("jql", jql), ("maxResults", "7"), ("fields", fields)];
        if let Some(t) = &token {
            q.push(("nextPageToken", t));
        }
        let page = c.get(path, &q).await;
        by_get.push(page.clone());
        token = page["nextPageToken"].as_str().map(str::to_owned);
        if page["isLast"] == true {
            break;
        }
    }
    let mut by_post = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let body = json!({ "jql": jql, "maxResults": 7, "fields": ["summary", "status", "updated"],
                           "nextPageToken": token, "expand": "", "fieldsByKeys": false });
        let a = c
            .send(Method::POST, path, &[], Some(&Body::Json(body)))
            .await;
        assert_eq!(a.status, 200, "POST answers like GET: {}", a.body);
        by_post.push(a.body.clone());
        token = a.body["nextPageToken"].as_str().map(str::to_owned);
        if a.body["isLast"] == true {
            break;
        }
    }
    assert!(by_get.len() > 2, "several pages");
    assert_eq!(by_post, by_get, "the same pages by either method");
    c.sim.stop().await;
}

#[tokio::test]
async fn relative_jql_dates_are_read_against_the_simulator_clock() {
    let c = Client::new().await;
    let path = "/site/acme/rest/api/3/search/jql";
    let search = |jql: String| {
        let c = &c;
        async move {
            c.get(
                path,
                &[("jql", &jql), ("maxResults", "100"), ("fields", "updated")],
            )
            .await
        }
    };
    let now = c.sim.now();
    let minute = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    // `-2h` lies between the absolute queries of the minutes around now − 2 h.
    let relative = ids(&search("updated >= -2h".into()).await);
    let wider = ids(&search(format!(
        "updated >= \"{}\"",
        minute(now - chrono::Duration::hours(2))
    ))
    .await);
    let narrower = ids(&search(format!(
        "updated >= \"{}\"",
        minute(now - chrono::Duration::hours(2) + chrono::Duration::minutes(2))
    ))
    .await);
    assert!(
        !narrower.is_empty(),
        "issues were updated in the last two hours"
    );
    assert!(wider.len() < 100, "one page holds each answer");
    assert!(narrower.iter().all(|i| relative.contains(i)));
    assert!(relative.iter().all(|i| wider.contains(i)));
    for jql in [
        "updated >= -30d",
        "updated >= \"-4w\"",
        "updated >= -15m",
        "created >= startOfDay(-1)",
    ] {
        let page = c.get(path, &[("jql", jql)]).await;
        assert!(page["issues"].is_array(), "{jql}");
    }
    // The simulator's clock, not the wall clock: ten simulated days later nothing has been
    // updated in the last day (the data ends a day after the anchor).
    assert!(!ids(&search("updated >= -1d".into()).await).is_empty());
    c.sim.advance_clock(chrono::Duration::days(10));
    assert!(ids(&search("updated >= -1d".into()).await).is_empty());
    assert!(!ids(&search("updated >= -12d".into()).await).is_empty());
    c.sim.stop().await;
}

#[tokio::test]
async fn expand_changelog_returns_each_issues_histories_in_the_real_shape() {
    let c = Client::new().await;
    // Everything visible, so nothing arrives between the search and the changelogs.
    c.sim.advance_clock(chrono::Duration::days(2));
    let path = "/site/acme/rest/api/3/search/jql";
    let page = c
        .get(
            path,
            &[
                ("jql", BOUNDED),
                ("maxResults", "30"),
                ("expand", "changelog"),
                ("fields", "updated"),
            ],
        )
        .await;
    let jira = jira_doc();
    check(
        &jira,
        &response_schema_of(&jira, "/rest/api/3/search/jql", "get"),
        &page,
        "search with expand=changelog",
    );
    let issues = page["issues"].as_array().unwrap();
    let mut with_history = 0;
    for issue in issues {
        let embedded = &issue["changelog"];
        assert!(embedded["histories"].is_array(), "{issue}");
        let id = issue["id"].as_str().unwrap();
        let all = c
            .get(&format!("/site/acme/rest/api/3/issue/{id}/changelog"), &[])
            .await;
        assert_eq!(embedded["total"], all["total"], "issue {id}");
        let mut oldest_first = embedded["histories"].as_array().unwrap().clone();
        oldest_first.reverse();
        assert_eq!(
            &Value::Array(oldest_first),
            &all["values"],
            "issue {id}: newest first"
        );
        if all["total"].as_u64() > Some(0) {
            with_history += 1;
        }
    }
    assert!(with_history > 0, "some issue has a history");
    // Without the expansion, no changelog.
    let plain = c.get(path, &[("jql", BOUNDED), ("maxResults", "5")]).await;
    assert!(plain["issues"][0].get("changelog").is_none());
    c.sim.stop().await;
}
