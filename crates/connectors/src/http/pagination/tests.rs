//! The pager's rules, one walk each: where offset, link and cursor listings end, and where the
//! caller ends them.

use super::*;
use serde::Deserialize;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// Every envelope field the shapes read, under one roof.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestPage {
    #[serde(default)]
    values: Vec<Value>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    next: Option<String>,
}

impl Listing for TestPage {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn is_last(&self) -> Option<bool> {
        self.is_last
    }

    fn next(&self) -> Option<String> {
        self.next.clone()
    }
}

const BASE: &str = "https://acme.example/rest/list";

/// What a walk did: the requests it sent (path and query), the pages it handed on, and how it
/// ended.
#[derive(Debug)]
struct Trace {
    asked: Vec<String>,
    handed: Vec<Vec<Value>>,
    result: Result<(), ConnectorError>,
}

/// Walks `pager` from `first` over `pages` (bodies by path and query), answering each page
/// handed on with `stop(entries)`: [`Flow::Stop`] when true.
async fn run(
    pager: &Pager,
    first: &str,
    pages: &[(&str, Value)],
    stop: impl Fn(&[Value]) -> bool,
) -> Trace {
    let pages: HashMap<&str, &Value> = pages.iter().map(|(k, v)| (*k, v)).collect();
    let asked = RefCell::new(Vec::new());
    let fetch = |url: Url| {
        let key = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let page = match pages.get(key.as_str()) {
            Some(body) => Ok(serde_json::from_value((*body).clone()).unwrap()),
            None => Err(ConnectorError::NotFound {
                url: display_url(&url),
            }),
        };
        asked.borrow_mut().push(key);
        std::future::ready(page)
    };
    let mut handed = Vec::new();
    let result = pager
        .walk_with(
            Url::parse(first).unwrap(),
            fetch,
            &mut handed,
            |handed, page: TestPage| {
                let stopping = stop(&page.values);
                handed.push(page.values);
                std::future::ready(Ok(Flow::stop_if(stopping, handed)))
            },
        )
        .await;
    Trace {
        asked: asked.into_inner(),
        handed,
        result,
    }
}

fn never(_: &[Value]) -> bool {
    false
}

fn values(n: usize) -> Vec<Value> {
    (0..n).map(|i| json!(i)).collect()
}

fn sizes(trace: &Trace) -> Vec<usize> {
    trace.handed.iter().map(Vec::len).collect()
}

#[tokio::test]
async fn offset_paging_advances_by_the_entries_received_after_the_listings_own_query() {
    let trace = run(
        &Pager::offset("startAt", "maxResults", 3),
        &format!("{BASE}?from=a"),
        &[
            (
                "/rest/list?from=a&startAt=0&maxResults=3",
                json!({ "values": values(3) }),
            ),
            (
                "/rest/list?from=a&startAt=3&maxResults=3",
                json!({ "values": values(3), "isLast": false }),
            ),
            (
                "/rest/list?from=a&startAt=6&maxResults=3",
                json!({ "values": values(1) }),
            ),
        ],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(sizes(&trace), [3, 3, 1], "asked: {:?}", trace.asked);
}

#[tokio::test]
async fn offset_paging_stops_on_is_last() {
    let trace = run(
        &Pager::offset("startAt", "maxResults", 3),
        BASE,
        &[(
            "/rest/list?startAt=0&maxResults=3",
            json!({ "values": values(3), "isLast": true }),
        )],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(trace.asked, ["/rest/list?startAt=0&maxResults=3"]);
}

#[tokio::test]
async fn a_short_page_ends_an_offset_listing_unless_it_says_it_is_not_the_last() {
    let trace = run(
        &Pager::offset("start", "limit", 3),
        BASE,
        &[
            (
                "/rest/list?start=0&limit=3",
                json!({ "values": values(2), "isLast": false }),
            ),
            ("/rest/list?start=2&limit=3", json!({ "values": values(1) })),
            ("/rest/list?start=3&limit=3", json!({ "values": values(1) })),
        ],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(
        trace.asked,
        ["/rest/list?start=0&limit=3", "/rest/list?start=2&limit=3"],
        "the second page is short and says nothing: the last"
    );
}

#[tokio::test]
async fn an_empty_page_ends_an_offset_listing_after_it_is_handed_on() {
    let trace = run(
        &Pager::offset("offset", "limit", 3),
        BASE,
        &[
            (
                "/rest/list?offset=0&limit=3",
                json!({ "values": values(3) }),
            ),
            (
                "/rest/list?offset=3&limit=3",
                json!({ "values": [], "isLast": false }),
            ),
            ("/rest/list?offset=3&limit=3&again", json!({ "values": [] })),
        ],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(sizes(&trace), [3, 0]);
}

#[tokio::test]
async fn a_listing_that_goes_on_only_when_told_takes_a_page_that_does_not_say_for_the_last() {
    let pages = [
        (
            "/rest/list?startAt=0&maxResults=3",
            json!({ "values": values(3), "isLast": false }),
        ),
        (
            "/rest/list?startAt=3&maxResults=3",
            json!({ "values": values(3) }),
        ),
        (
            "/rest/list?startAt=6&maxResults=3",
            json!({ "values": values(3) }),
        ),
    ];
    let told = Pager::offset("startAt", "maxResults", 3).unsaid_means_last();
    let trace = run(&told, BASE, &pages, never).await;
    trace.result.as_ref().unwrap();
    assert_eq!(
        sizes(&trace),
        [3, 3],
        "a full page that does not say is the last"
    );
    let plain = Pager::offset("startAt", "maxResults", 3);
    let trace = run(&plain, BASE, &pages, never).await;
    assert_eq!(sizes(&trace), [3, 3, 3], "{:?}", trace.result);
}

#[tokio::test]
async fn next_links_are_followed_absolute_as_they_are_and_relative_against_the_base() {
    let base = Url::parse("https://acme.example/wiki/").unwrap();
    let trace = run(
        &Pager::links(&base),
        BASE,
        &[
            (
                "/rest/list",
                json!({ "values": values(1), "next": "/wiki/api/v2/pages?cursor=b" }),
            ),
            (
                "/wiki/api/v2/pages?cursor=b",
                json!({ "values": values(1), "next": "https://acme.example/rest/list?page=3" }),
            ),
            (
                "/rest/list?page=3",
                json!({ "values": values(1), "next": "" }),
            ),
        ],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(
        trace.asked,
        [
            "/rest/list",
            "/wiki/api/v2/pages?cursor=b",
            "/rest/list?page=3"
        ],
        "an empty link is no link"
    );
}

#[tokio::test]
async fn a_link_listing_goes_on_past_an_empty_page_unless_told_to_end_there() {
    let pages = [
        (
            "/rest/list",
            json!({ "values": [], "next": "/rest/list?page=2" }),
        ),
        ("/rest/list?page=2", json!({ "values": values(1) })),
    ];
    let base = Url::parse(BASE).unwrap();
    let trace = run(&Pager::links(&base), BASE, &pages, never).await;
    trace.result.as_ref().unwrap();
    assert_eq!(sizes(&trace), [0, 1]);
    let until_empty = Pager::links(&base).ending_on_an_empty_page();
    let trace = run(&until_empty, BASE, &pages, never).await;
    trace.result.as_ref().unwrap();
    assert_eq!(trace.asked, ["/rest/list"]);
    assert_eq!(sizes(&trace), [0], "the empty page is handed on");
}

#[tokio::test]
async fn the_caller_ends_the_walk_where_the_listing_reaches_older_entries() {
    let base = Url::parse(BASE).unwrap();
    let older = |entries: &[Value]| entries.contains(&json!("older"));
    let trace = run(
        &Pager::links(&base),
        BASE,
        &[
            (
                "/rest/list",
                json!({ "values": ["new"], "next": "?page=2" }),
            ),
            (
                "/rest/list?page=2",
                json!({ "values": ["new", "older"], "next": "http://[bad" }),
            ),
        ],
        older,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(
        trace.asked,
        ["/rest/list", "/rest/list?page=2"],
        "the next link is never followed, nor even resolved"
    );
    let trace = run(
        &Pager::offset("start", "limit", 2),
        BASE,
        &[(
            "/rest/list?start=0&limit=2",
            json!({ "values": ["new", "older"], "isLast": false }),
        )],
        older,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(trace.asked.len(), 1);
}

#[tokio::test]
async fn a_bad_next_link_fails_the_walk_once_the_page_before_it_is_handed_on() {
    let base = Url::parse(BASE).unwrap();
    let trace = run(
        &Pager::links(&base),
        BASE,
        &[(
            "/rest/list",
            json!({ "values": [1], "next": "http://[bad" }),
        )],
        never,
    )
    .await;
    assert!(
        matches!(&trace.result, Err(ConnectorError::Decode { detail, .. }) if detail.contains("bad next link")),
        "{:?}",
        trace.result
    );
    assert_eq!(sizes(&trace), [1]);
}

#[tokio::test]
async fn the_cursor_goes_on_the_first_requests_query_which_carries_none() {
    let trace = run(
        &Pager::cursor("cursor"),
        &format!("{BASE}?limit=2"),
        &[
            (
                "/rest/list?limit=2",
                json!({ "values": values(2), "next": "c1" }),
            ),
            (
                "/rest/list?limit=2&cursor=c1",
                json!({ "values": values(2), "next": "x=y" }),
            ),
            (
                "/rest/list?limit=2&cursor=x%3Dy",
                json!({ "values": values(1) }),
            ),
        ],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(sizes(&trace), [2, 2, 1], "asked: {:?}", trace.asked);
    let trace = run(
        &Pager::cursor("cursor"),
        BASE,
        &[("/rest/list", json!({ "values": values(1) }))],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(trace.asked, ["/rest/list"], "no bare `?` without a cursor");
}

#[tokio::test]
async fn an_empty_cursor_page_ends_the_walk_without_being_handed_on() {
    let trace = run(
        &Pager::cursor("cursor"),
        BASE,
        &[
            ("/rest/list", json!({ "values": values(1), "next": "c1" })),
            (
                "/rest/list?cursor=c1",
                json!({ "values": [], "next": "c2" }),
            ),
            ("/rest/list?cursor=c2", json!({ "values": values(1) })),
        ],
        never,
    )
    .await;
    trace.result.as_ref().unwrap();
    assert_eq!(trace.asked.len(), 2);
    assert_eq!(sizes(&trace), [1]);
}

#[tokio::test]
async fn an_unchanged_cursor_ends_the_walk() {
    let pages = [
        ("/rest/list", json!({ "values": values(1), "next": "c1" })),
        (
            "/rest/list?cursor=c1",
            json!({ "values": values(1), "next": "c1" }),
        ),
    ];
    let trace = run(&Pager::cursor("cursor"), BASE, &pages, never).await;
    trace.result.as_ref().unwrap();
    assert_eq!(trace.asked, ["/rest/list", "/rest/list?cursor=c1"]);
    assert_eq!(sizes(&trace), [1, 1]);
}

#[tokio::test]
async fn an_unchanged_cursor_fails_a_listing_that_refuses_it_once_its_page_is_handed_on() {
    let pages = [
        (
            "/rest/list?from=1",
            json!({ "values": values(1), "next": "c1" }),
        ),
        (
            "/rest/list?from=1&cursor=c1",
            json!({ "values": values(1), "next": "c1" }),
        ),
    ];
    let refusing = Pager::cursor("cursor").refusing_a_repeated_cursor();
    let trace = run(&refusing, &format!("{BASE}?from=1"), &pages, never).await;
    match &trace.result {
        Err(ConnectorError::Decode { url, detail }) => {
            assert_eq!(url, BASE, "the URL without its query");
            assert!(detail.contains("refusing to loop"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sizes(&trace), [1, 1]);
}

#[tokio::test]
async fn a_failed_request_ends_the_walk_with_its_error() {
    let trace = run(
        &Pager::cursor("cursor"),
        BASE,
        &[("/rest/list", json!({ "values": values(1), "next": "gone" }))],
        never,
    )
    .await;
    assert!(
        matches!(trace.result, Err(ConnectorError::NotFound { .. })),
        "{:?}",
        trace.result
    );
    assert_eq!(trace.asked, ["/rest/list", "/rest/list?cursor=gone"]);
}

#[tokio::test]
async fn a_failed_page_ends_the_walk_with_its_error_and_asks_for_no_more() {
    let asked = RefCell::new(0);
    let result = Pager::cursor("cursor")
        .walk_with(
            Url::parse(BASE).unwrap(),
            |_: Url| {
                *asked.borrow_mut() += 1;
                std::future::ready(Ok(serde_json::from_value::<TestPage>(
                    json!({ "values": [1], "next": "c" }),
                )
                .unwrap()))
            },
            (),
            |(), _: TestPage| std::future::ready(Err(ConnectorError::Sink("full".into()))),
        )
        .await;
    assert!(matches!(result, Err(ConnectorError::Sink(_))), "{result:?}");
    assert_eq!(asked.into_inner(), 1);
}

#[test]
#[should_panic(expected = "only an offset listing")]
fn a_rule_of_one_shape_is_refused_on_another() {
    let _ = Pager::cursor("cursor").unsaid_means_last();
}
