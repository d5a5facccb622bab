//! Regression (review of the connectors, item 1): ids went into URL paths unencoded, so a `/`, `?`
//! or `#` inside an issue id or key, a page id or a repository key changed the resource asked for
//! (`/issue/10?02/changelog` asks for issue `10` with a query). Each id now travels as exactly one
//! percent-encoded path segment; an id no URL can carry as a segment (`.`, `..`) is a reject.

mod common;

use common::{fetch, page, Fixture};
use connectors::bitbucket::BitbucketActivity;
use connectors::confluence::ConfluenceContent;
use connectors::jira::JiraIssues;
use connectors::RecordKind;
use serde_json::json;

/// The paths asked for outside `expected` (exact) and `prefixes`.
fn stray(server: &Fixture, expected: &[&str], prefixes: &[&str]) -> Vec<String> {
    server
        .asked()
        .into_iter()
        .filter(|p| {
            !expected.contains(&p.as_str()) && !prefixes.iter().any(|pre| p.starts_with(pre))
        })
        .collect()
}

#[tokio::test]
async fn issue_ids_holding_a_slash_a_question_mark_or_a_hash_ask_for_their_own_changelog() {
    let fields = json!({ "summary": "s", "created": "2026-09-02T10:11:12.000+0000",
                         "updated": "2026-09-02T10:11:12.000+0000" });
    let entry = |id: &str| {
        json!({ "isLast": true, "values": [
            { "id": id, "created": "2026-09-03T10:00:00.000+0000", "items": [] }
        ] })
    };
    let server = Fixture::serve(&[
        (
            "/rest/api/3/search/jql",
            json!({ "isLast": true, "issues": [
                { "id": "10/01", "fields": fields },
                { "id": "10?02", "fields": fields },
                { "id": "10#03", "fields": fields },
                { "key": "..", "fields": fields }
            ] }),
        ),
        ("/rest/api/3/issue/10%2F01/changelog", entry("1")),
        ("/rest/api/3/issue/10%3F02/changelog", entry("2")),
        ("/rest/api/3/issue/10%2303/changelog", entry("3")),
    ])
    .await;

    let (_, sink) = fetch(&JiraIssues::new(common::http(), server.url(""))).await;

    let changelog: Vec<&str> = sink
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::JiraChangelog)
        .map(|r| r.raw["id"].as_str().unwrap())
        .collect();
    assert_eq!(changelog, ["1", "2", "3"], "asked: {:?}", server.asked());
    assert_eq!(sink.rejects.len(), 1, "{:?}", sink.rejects);
    assert_eq!(sink.rejects[0].0["key"], "..");
    assert!(
        sink.rejects[0].1.contains("\"..\""),
        "{}",
        sink.rejects[0].1
    );
    let stray = stray(
        &server,
        &["/rest/api/3/myself", "/rest/api/3/search/jql"],
        &["/rest/api/3/issue/10%"],
    );
    assert!(stray.is_empty(), "requests for other resources: {stray:?}");
}

#[tokio::test]
async fn page_ids_holding_a_slash_or_a_question_mark_ask_for_their_own_versions() {
    let versions =
        |n: u32| json!({ "results": [ { "number": n, "createdAt": "2026-09-05T08:00:00.000Z" } ] });
    let modified = json!({ "createdAt": "2026-09-05T08:00:00.000Z" });
    let server = Fixture::serve(&[
        (
            "/wiki/api/v2/pages",
            json!({ "results": [
                { "id": "7/8", "title": "Runbook", "version": modified },
                { "id": "7?9", "title": "Onboarding", "version": modified }
            ] }),
        ),
        ("/wiki/api/v2/pages/7%2F8/versions", versions(2)),
        ("/wiki/api/v2/pages/7%3F9/versions", versions(5)),
        ("/wiki/api/v2/blogposts", json!({ "results": [] })),
    ])
    .await;

    let (_, sink) = fetch(&ConfluenceContent::new(common::http(), server.url(""))).await;

    let got: Vec<(&str, u64)> = sink
        .records
        .iter()
        .map(|r| {
            (
                r.context["id"].as_str().unwrap(),
                r.raw["number"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("7/8", 2), ("7?9", 5)], "asked: {:?}", server.asked());
    let stray = stray(
        &server,
        &["/wiki/api/v2/pages", "/wiki/api/v2/blogposts"],
        &["/wiki/api/v2/pages/7%"],
    );
    assert!(stray.is_empty(), "requests for other resources: {stray:?}");
}

#[tokio::test]
async fn a_repository_slug_holding_a_hash_asks_for_its_own_commits_and_dots_are_rejected() {
    let server = Fixture::serve(&[
        (
            "/2.0/repositories/acme",
            page(json!([ { "slug": "a#b" }, { "slug": ".." } ])),
        ),
        (
            "/2.0/repositories/acme/a%23b/commits",
            page(json!([ { "hash": "9c2f", "date": "2026-09-12T16:40:11+00:00" } ])),
        ),
        ("/2.0/repositories/acme/a%23b/pullrequests", page(json!([]))),
    ])
    .await;

    let (_, sink) = fetch(&BitbucketActivity::new(
        common::http(),
        server.url("/2.0"),
        "acme".into(),
    ))
    .await;

    assert_eq!(sink.records.len(), 1, "asked: {:?}", server.asked());
    assert_eq!(sink.records[0].raw["hash"], "9c2f");
    assert_eq!(sink.rejects.len(), 1, "{:?}", sink.rejects);
    assert_eq!(sink.rejects[0].0["slug"], "..");
    let stray = stray(
        &server,
        &["/2.0/repositories/acme"],
        &["/2.0/repositories/acme/a%23b/"],
    );
    assert!(stray.is_empty(), "requests for other resources: {stray:?}");
}
