//! Regression (review of the connectors, item 2): listings without a server-side time filter stop
//! at the first entry older than the window, and a single implausible time — `epochMillis: 0`, a
//! version dated 1970, a page of commits dated 1970 — ended the listing there, skipping every
//! later entry without a trace. A time the pipeline would refuse (before 2000-01-01, more than a
//! day after now, unreadable) now decides nothing: the listing goes on and the record is handed on,
//! so the pipeline rejects it with its reason.

mod common;

use common::{fetch, page, Fixture};
use connectors::bitbucket::BitbucketActivity;
use connectors::confluence::ConfluenceContent;
use connectors::jira::JiraIssues;
use connectors::jsm::JsmRequests;
use connectors::RecordKind;
use serde_json::{json, Value};

fn kinds_and(records: &[connectors::SourceRecord], field: &str) -> Vec<(RecordKind, Value)> {
    records
        .iter()
        .map(|r| (r.kind, r.raw[field].clone()))
        .collect()
}

#[tokio::test]
async fn a_request_dated_1970_does_not_end_the_request_listing() {
    let epoch = json!({ "epochMillis": 0 });
    let open = |id: &str, ms: i64| {
        json!({ "issueId": id, "createdDate": { "epochMillis": ms },
                "currentStatus": { "statusCategory": "NEW", "statusDate": { "epochMillis": ms } } })
    };
    let server = Fixture::serve(&[(
        "/rest/servicedeskapi/request",
        json!({ "isLastPage": true, "values": [
            open("0", 1_789_900_000_000), // 2026-09-20
            { "issueId": "1", "createdDate": epoch,
              "currentStatus": { "statusCategory": "DONE", "statusDate": epoch } },
            open("2", 1_789_049_001_456), // 2026-09-10
            open("3", 1_786_000_000_000), // 2026-08-06: older than the window, the listing ends
            open("4", 1_789_049_001_456)
        ] }),
    )])
    .await;

    let (_, sink) = fetch(&JsmRequests::new(common::http(), server.url(""))).await;

    assert_eq!(
        kinds_and(&sink.records, "issueId"),
        [
            (RecordKind::JsmRequestCreated, json!("0")),
            (RecordKind::JsmRequestCreated, json!("1")),
            (RecordKind::JsmRequestResolved, json!("1")),
            (RecordKind::JsmRequestCreated, json!("2")),
        ],
        "the request dated 1970 is handed on for the pipeline to reject, and the listing goes on \
         to the first request truly older than the window"
    );
}

#[tokio::test]
async fn a_page_or_version_dated_1970_does_not_end_the_content_listing() {
    let server = Fixture::serve(&[
        (
            "/wiki/api/v2/pages",
            json!({ "results": [
                { "id": "1", "version": { "createdAt": "1970-01-01T00:00:00.000Z" } },
                { "id": "2", "version": { "createdAt": "2026-09-20T08:00:00.000Z" } }
            ] }),
        ),
        (
            "/wiki/api/v2/pages/1/versions",
            json!({ "results": [ { "number": 1, "createdAt": "1970-01-01T00:00:00.000Z" } ] }),
        ),
        (
            "/wiki/api/v2/pages/2/versions",
            json!({ "results": [
                { "number": 3, "createdAt": "2026-09-20T08:00:00.000Z" },
                { "number": 2, "createdAt": "0000-01-01T00:00:00.000Z" }
            ], "_links": { "next": "/wiki/api/v2/pages/2/versions?cursor=b" } }),
        ),
        (
            "/wiki/api/v2/pages/2/versions?cursor=b",
            json!({ "results": [ { "number": 1, "createdAt": "2026-09-10T08:00:00.000Z" } ] }),
        ),
        ("/wiki/api/v2/blogposts", json!({ "results": [] })),
    ])
    .await;

    let (_, sink) = fetch(&ConfluenceContent::new(common::http(), server.url(""))).await;

    let got: Vec<(Value, Value)> = sink
        .records
        .iter()
        .map(|r| (r.context["id"].clone(), r.raw["number"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("1"), json!(1)),
            (json!("2"), json!(3)),
            (json!("2"), json!(2)),
            (json!("2"), json!(1)),
        ],
        "asked: {:?}",
        server.asked()
    );
}

#[tokio::test]
async fn a_page_of_commits_dated_1970_does_not_end_the_commit_listing() {
    let commit = |hash: &str, date: &str| json!({ "hash": hash, "date": date });
    let server = Fixture::serve(&[
        (
            "/2.0/repositories/acme",
            page(json!([{ "slug": "exporter" }])),
        ),
        (
            "/2.0/repositories/acme/exporter/commits",
            json!({ "values": [
                commit("a1", "1970-01-01T00:00:00+00:00"),
                commit("a2", "1970-01-01T00:00:01+00:00")
            ], "next": "/2.0/repositories/acme/exporter/commits?page=2" }),
        ),
        (
            "/2.0/repositories/acme/exporter/commits?page=2",
            page(json!([commit("b1", "2026-09-12T16:40:11+00:00")])),
        ),
        (
            "/2.0/repositories/acme/exporter/pullrequests",
            page(json!([])),
        ),
    ])
    .await;

    let (_, sink) = fetch(&BitbucketActivity::new(
        common::http(),
        server.url("/2.0"),
        "acme".into(),
    ))
    .await;

    let hashes: Vec<Value> = sink.records.iter().map(|r| r.raw["hash"].clone()).collect();
    assert_eq!(
        hashes,
        [json!("a1"), json!("a2"), json!("b1")],
        "asked: {:?}",
        server.asked()
    );
}

#[tokio::test]
async fn times_far_in_the_future_are_handed_on_not_dropped_as_outside_the_window() {
    let fields = json!({ "summary": "s", "created": "2099-01-01T00:00:00.000+0000",
                         "updated": "2026-09-02T10:11:12.000+0000" });
    let server = Fixture::serve(&[
        (
            "/rest/api/3/search/jql",
            json!({ "isLast": true, "issues": [ { "id": "10001", "fields": fields } ] }),
        ),
        (
            "/rest/api/3/issue/10001/changelog",
            json!({ "isLast": true, "values": [
                { "id": "1", "created": "2099-01-01T00:00:00.000+0000", "items": [] },
                { "id": "2", "created": "2026-10-02T00:00:00.000+0000", "items": [] },
                { "id": "3", "created": "2026-09-03T10:00:00.000+0000", "items": [] }
            ] }),
        ),
    ])
    .await;

    let (_, sink) = fetch(&JiraIssues::new(common::http(), server.url(""))).await;

    assert_eq!(
        kinds_and(&sink.records, "id"),
        [
            (RecordKind::JiraIssueCreated, json!("10001")),
            (RecordKind::JiraChangelog, json!("1")),
            (RecordKind::JiraChangelog, json!("3")),
        ],
        "the times of 2099 go on to be rejected; the entry just after the window is left out"
    );
}
