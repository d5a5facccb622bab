//! Listing entries in shapes the APIs allow but the simulator never serves — a repository without
//! `slug`, an issue without `id`, a page without `id` — against a tiny local server: each is either
//! read through what the API does promise or handed to the sink as a reject with its reason, and
//! never skipped without a trace.

mod common;

use common::{fetch, page, Fixture};
use connectors::bitbucket::BitbucketActivity;
use connectors::confluence::ConfluenceContent;
use connectors::jira::JiraIssues;
use connectors::RecordKind;
use serde_json::json;

#[tokio::test]
async fn repositories_without_a_slug_are_read_by_full_name_or_uuid_not_silently_skipped() {
    let commit = |hash: &str| json!({ "hash": hash, "date": "2026-09-12T16:40:11+00:00" });
    let pr = json!({ "id": 7, "state": "OPEN", "created_on": "2026-09-08T09:14:02+00:00",
                     "updated_on": "2026-09-08T09:14:02+00:00", "author": { "uuid": "{a1}" } });
    let server = Fixture::serve(&[
        (
            "/2.0/repositories/acme",
            page(json!([
                { "type": "repository", "full_name": "acme/exporter", "uuid": "{0F9E}" },
                { "type": "repository", "uuid": "{1A2B}", "name": "Nameless" },
                { "type": "repository", "name": "Ghost" }
            ])),
        ),
        (
            "/2.0/repositories/acme/exporter/commits",
            page(json!([commit("9c2f1e7a")])),
        ),
        (
            "/2.0/repositories/acme/exporter/pullrequests",
            page(json!([pr])),
        ),
        (
            "/2.0/repositories/acme/%7B1a2b%7D/commits",
            page(json!([commit("4b5c6d7e")])),
        ),
        (
            "/2.0/repositories/acme/%7B1a2b%7D/pullrequests",
            page(json!([])),
        ),
    ])
    .await;
    let connector = BitbucketActivity::new(common::http(), server.url("/2.0"), "acme".into());

    let (stats, sink) = fetch(&connector).await;

    let commits: Vec<(&str, &str)> = sink
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::BitbucketCommit)
        .map(|r| {
            (
                r.raw["hash"].as_str().unwrap(),
                r.context["uuid"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        commits,
        [("9c2f1e7a", "{0F9E}"), ("4b5c6d7e", "{1A2B}")],
        "both slugless repositories were read; asked: {:?}",
        server.asked()
    );
    assert!(sink
        .records
        .iter()
        .any(|r| r.kind == RecordKind::BitbucketPrOpened));
    assert_eq!(sink.rejects.len(), 1, "{:?}", sink.rejects);
    let (raw, reason) = &sink.rejects[0];
    assert_eq!(raw["name"], "Ghost");
    assert!(reason.contains("slug, full_name or uuid"), "{reason}");
    assert_eq!(stats.records, 3);
    assert!(
        !server.asked().iter().any(|p| p.contains("Ghost")),
        "nothing is requested for a repository that cannot be addressed"
    );
}

#[tokio::test]
async fn an_issue_without_an_id_has_its_changelog_listed_by_key_and_one_with_neither_is_rejected() {
    let fields =
        json!({ "summary": "Exporter drops events", "created": "2026-09-02T10:11:12.000+0000" });
    let server = Fixture::serve(&[
        (
            "/rest/api/3/search/jql",
            json!({ "isLast": true, "issues": [
                { "key": "ENG-311", "fields": fields },
                { "fields": fields }
            ] }),
        ),
        (
            "/rest/api/3/issue/ENG-311/changelog",
            json!({ "isLast": true, "values": [
                { "id": "90001", "created": "2026-09-03T10:00:00.000+0000",
                  "author": { "accountId": "acc-1" }, "items": [] }
            ] }),
        ),
    ])
    .await;
    let connector = JiraIssues::new(common::http(), server.url(""));

    let (stats, sink) = fetch(&connector).await;

    let kinds: Vec<RecordKind> = sink.records.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [RecordKind::JiraIssueCreated, RecordKind::JiraChangelog],
        "asked: {:?}",
        server.asked()
    );
    assert_eq!(sink.records[1].context["issueKey"], "ENG-311");
    assert_eq!(sink.rejects.len(), 1, "{:?}", sink.rejects);
    assert!(sink.rejects[0].1.contains("without id or key"));
    assert_eq!(stats.records, 2);
}

#[tokio::test]
async fn a_page_without_an_id_is_rejected_instead_of_failing_the_run_on_an_empty_path() {
    let modified = json!({ "createdAt": "2026-09-05T08:00:00.000Z" });
    let server = Fixture::serve(&[
        (
            "/wiki/api/v2/pages",
            json!({ "results": [
                { "title": "Runbook", "version": modified },
                { "id": "77", "title": "Onboarding", "version": modified }
            ] }),
        ),
        (
            "/wiki/api/v2/pages/77/versions",
            json!({ "results": [
                { "number": 2, "createdAt": "2026-09-05T08:00:00.000Z", "authorId": "acc-2" }
            ] }),
        ),
        ("/wiki/api/v2/blogposts", json!({ "results": [] })),
    ])
    .await;
    let connector = ConfluenceContent::new(common::http(), server.url(""));

    let (stats, sink) = fetch(&connector).await;

    assert_eq!(sink.records.len(), 1, "asked: {:?}", server.asked());
    assert_eq!(sink.records[0].context["id"], "77");
    assert_eq!(sink.rejects.len(), 1, "{:?}", sink.rejects);
    assert_eq!(sink.rejects[0].0["title"], "Runbook");
    assert!(sink.rejects[0].1.contains("page without id"));
    assert_eq!(stats.records, 1);
}
