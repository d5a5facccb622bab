//! How each connector walks its listings, against a tiny local server: the requests it sends, the
//! pages it hands to the sink and where it stops — one test per paging shape and rule, so that the
//! shared walk (`http::Pager`) keeps what every connector did when it had its own loop.

mod common;

use async_trait::async_trait;
use axum::http::Uri;
use common::{september, Fixture};
use connectors::confluence::ConfluenceAudit;
use connectors::jira::{JiraAudit, JiraGroups};
use connectors::jsm::JsmRequests;
use connectors::org::{OrgEvents, OrgUsers};
use connectors::{Connector, ConnectorError, RecordSink, SinkError, SourceRecord};
use serde_json::{json, Value};

/// Counts the pages handed over, and keeps their records.
#[derive(Default)]
struct Pages {
    sizes: Vec<usize>,
    records: Vec<SourceRecord>,
}

#[async_trait]
impl RecordSink for Pages {
    async fn accept(&mut self, records: Vec<SourceRecord>) -> Result<(), SinkError> {
        self.sizes.push(records.len());
        self.records.extend(records);
        Ok(())
    }

    async fn reject(&mut self, _raw: Value, reason: String) -> Result<(), SinkError> {
        panic!("nothing here is rejected: {reason}")
    }
}

async fn run(connector: &dyn Connector) -> (Result<u64, ConnectorError>, Pages) {
    let mut sink = Pages::default();
    let result = connector
        .fetch(september(), &mut sink)
        .await
        .map(|s| s.records);
    (result, sink)
}

/// The value of query parameter `key` in `uri`.
fn param(uri: &Uri, key: &str) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The query parameters' names in order.
fn names(uri: &Uri) -> Vec<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, _)| k.into_owned())
        .collect()
}

fn entries(n: usize, from: usize) -> Vec<Value> {
    (from..from + n).map(|i| json!({ "id": i })).collect()
}

#[tokio::test]
async fn the_jira_audit_log_is_paged_by_offset_until_a_short_page() {
    let server = Fixture::answer(|uri| {
        let offset: usize = param(uri, "offset")?.parse().ok()?;
        let n = if offset < 2000 { 1000 } else { 7 };
        Some(json!({ "offset": offset, "limit": 1000, "total": 1, "records": entries(n, offset) }))
    })
    .await;

    let (result, sink) = run(&JiraAudit::new(common::http(), server.url(""))).await;

    assert_eq!(result.unwrap(), 2007);
    assert_eq!(sink.sizes, [1000, 1000, 7], "`total` is not trusted");
    let asked = server.requests();
    assert_eq!(
        asked.iter().map(|u| param(u, "offset")).collect::<Vec<_>>(),
        [Some("0".into()), Some("1000".into()), Some("2000".into())]
    );
    assert_eq!(names(&asked[0]), ["from", "to", "offset", "limit"]);
    assert_eq!(
        param(&asked[0], "to").unwrap(),
        "2026-09-30T23:59:59.999+0000"
    );
}

#[tokio::test]
async fn the_confluence_audit_log_hands_on_the_empty_page_that_ends_it() {
    let server = Fixture::answer(|uri| {
        let start: usize = param(uri, "start")?.parse().ok()?;
        let n = if start == 0 { 1000 } else { 0 };
        Some(json!({ "start": start, "limit": 1000, "size": n, "results": entries(n, start) }))
    })
    .await;

    let (result, sink) = run(&ConfluenceAudit::new(common::http(), server.url(""))).await;

    assert_eq!(result.unwrap(), 1000);
    assert_eq!(sink.sizes, [1000, 0]);
    let asked = server.requests();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[1].path(), "/wiki/rest/api/audit");
    assert_eq!(names(&asked[1]), ["startDate", "endDate", "start", "limit"]);
    assert_eq!(param(&asked[1], "start").unwrap(), "1000");
}

#[tokio::test]
async fn jsm_requests_go_on_past_a_short_page_that_is_not_the_last_and_stop_at_older_ones() {
    let request = |id: &str, ms: i64| {
        json!({ "issueId": id, "createdDate": { "epochMillis": ms },
                "currentStatus": { "statusCategory": "NEW", "statusDate": { "epochMillis": ms } } })
    };
    let server = Fixture::answer(move |uri| {
        Some(match param(uri, "start")?.as_str() {
            "0" => json!({ "isLastPage": false, "values": [request("1", 1_789_900_000_000)] }),
            "1" => json!({ "isLastPage": false, "values": [
                request("2", 1_789_049_001_456),
                request("3", 1_786_000_000_000), // 2026-08-06: older than the window
                request("4", 1_789_049_001_456)
            ] }),
            _ => json!({ "isLastPage": true, "values": [request("5", 1_789_049_001_456)] }),
        })
    })
    .await;

    let (result, sink) = run(&JsmRequests::new(common::http(), server.url(""))).await;

    assert_eq!(result.unwrap(), 2);
    assert_eq!(sink.sizes, [1, 1]);
    let asked = server.requests();
    assert_eq!(
        asked.len(),
        2,
        "nothing after the page reaching older requests"
    );
    assert_eq!(
        names(&asked[1]),
        [
            "requestOwnership",
            "requestStatus",
            "expand",
            "start",
            "limit"
        ]
    );
}

#[tokio::test]
async fn jira_groups_end_on_a_page_that_does_not_say_it_is_the_last() {
    let server = Fixture::answer(|uri| {
        let start = param(uri, "startAt")?;
        Some(if start == "0" {
            json!({ "isLast": false, "values": entries(50, 0) })
        } else {
            json!({ "values": entries(50, 50) })
        })
    })
    .await;
    let groups = JiraGroups::new(common::http(), server.url(""));

    assert_eq!(groups.groups().await.unwrap().len(), 100);
    let asked = server.requests();
    assert_eq!(
        asked.len(),
        2,
        "the second page, full but silent, is the last"
    );
    assert_eq!(asked[1].path(), "/rest/api/3/group/bulk");
    assert_eq!(asked[1].query(), Some("startAt=50&maxResults=50"));

    assert_eq!(groups.members("g/1").await.unwrap().len(), 100);
    assert_eq!(
        server.requests()[2].query(),
        Some("groupId=g%2F1&startAt=0&maxResults=50")
    );
}

#[tokio::test]
async fn org_events_follow_the_cursor_and_end_on_an_empty_page_without_handing_it_on() {
    let server = Fixture::answer(|uri| {
        Some(match param(uri, "cursor").as_deref() {
            None => json!({ "data": entries(2, 0), "meta": { "next": "c1" } }),
            Some("c1") => json!({ "data": entries(2, 2), "links": {
                "next": "https://api.atlassian.com/admin/v1/orgs/o/events-stream?cursor=c%3D2" } }),
            Some("c=2") => json!({ "data": [], "meta": { "next": "c3" } }),
            Some(_) => return None,
        })
    })
    .await;

    let (result, sink) = run(&OrgEvents::new(
        common::http(),
        server.url("/admin"),
        "o-1".into(),
    ))
    .await;

    assert_eq!(result.unwrap(), 4);
    assert_eq!(sink.sizes, [2, 2], "the empty last page is not handed on");
    let asked = server.requests();
    assert_eq!(asked.len(), 3);
    assert_eq!(asked[0].path(), "/admin/v1/orgs/o-1/events-stream");
    assert_eq!(names(&asked[0]), ["from", "to", "limit"]);
    assert_eq!(names(&asked[2]), ["from", "to", "limit", "cursor"]);
}

#[tokio::test]
async fn org_events_refuse_a_cursor_that_does_not_change() {
    let server =
        Fixture::answer(|_| Some(json!({ "data": entries(1, 0), "meta": { "next": "same" } })))
            .await;

    let (result, sink) = run(&OrgEvents::new(
        common::http(),
        server.url("/admin"),
        "o-1".into(),
    ))
    .await;

    match result {
        Err(ConnectorError::Decode { url, detail }) => {
            assert!(url.ends_with("/admin/v1/orgs/o-1/events-stream"), "{url}");
            assert!(detail.contains("refusing to loop"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sink.sizes, [1, 1], "both pages were handed on first");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn org_users_end_quietly_on_a_cursor_that_does_not_change() {
    let server = Fixture::answer(|uri| {
        Some(match param(uri, "cursor") {
            None => json!({ "data": entries(2, 0), "links": { "next": "bare" } }),
            Some(_) => json!({ "data": entries(1, 2), "meta": { "next": "bare" } }),
        })
    })
    .await;
    let users = OrgUsers::new(common::http(), server.url("/admin"), "o-1".into());

    assert_eq!(users.all().await.unwrap().len(), 3);
    let asked = server.requests();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].query(), None, "no bare `?` on the first page");
    assert_eq!(asked[1].query(), Some("cursor=bare"));
}
