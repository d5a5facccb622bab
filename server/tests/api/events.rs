//! The Events server function and page over stored events.

use crate::helpers::spawn_app;
use chrono::{Duration, TimeZone, Utc};
use domain::{Event, ObjectRef, Product};

fn event(n: i64) -> Event {
    let at = Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).unwrap() + Duration::minutes(n);
    Event {
        ingested_at: Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap(),
        actor_raw: Some(format!("acc-{n}")),
        object_type: Some("project".into()),
        object_ref: Some(ObjectRef {
            id: "P1".into(),
            name: Some("Sécurité".into()),
            container: None,
        }),
        raw: serde_json::json!({ "n": n }),
        ..testkit::event("acme", Product::Jira, &format!("rec-{n:03}"), at)
    }
}

#[tokio::test]
async fn the_events_function_pages_newest_first_and_rejects_bad_input() {
    let app = spawn_app().await;
    app.store
        .events
        .insert_new(&(0..30).map(event).collect::<Vec<_>>())
        .await
        .unwrap();
    app.login_as_admin().await;

    let r = app.call("/api/events/list", &[("limit", "25")]).await;
    assert_eq!(r.status(), 200);
    let page: serde_json::Value = r.json().await.unwrap();
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0]["id"], "acme:jira:rec-029");
    assert_eq!(rows[0]["object"], "Sécurité");
    let next = page["next_cursor"].as_str().unwrap().to_owned();

    let r = app
        .call("/api/events/list", &[("limit", "25"), ("before", &next)])
        .await;
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 5);
    assert_eq!(page["rows"][0]["id"], "acme:jira:rec-004");
    assert!(page["next_cursor"].is_null());

    assert_eq!(
        app.call("/api/events/list", &[("limit", "7")])
            .await
            .status(),
        400
    );
    assert_eq!(
        app.call("/api/events/list", &[("before", "garbage")])
            .await
            .status(),
        400
    );

    // Filters travel in `query`: a product with no events, then a malformed address.
    let r = app
        .call("/api/events/list", &[("query[product]", "confluence")])
        .await;
    assert_eq!(r.status(), 200);
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 0);
    let r = app
        .call(
            "/api/events/list",
            &[("query[product]", "jira"), ("query[range]", "24h")],
        )
        .await;
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        page["rows"].as_array().unwrap().len(),
        0,
        "the events are from April"
    );
    assert!(page["share_query"].as_str().unwrap().contains("from="));
    assert_eq!(
        app.call("/api/events/list", &[("query[ip]", "10.0.0.300")])
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn the_events_page_renders_rows_and_the_empty_state_on_the_server() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let html = app.get("/events").await.text().await.unwrap();
    assert!(html.contains("No events yet"), "empty state");
    app.store.events.insert_new(&[event(1)]).await.unwrap();
    let html = app.get("/events").await.text().await.unwrap();
    assert!(
        html.contains("2026-04-01 08:01:00")
            && html.contains("permission_changed")
            && html.contains("acc-1"),
        "{html}"
    );
    assert!(!html.contains("No events yet"));
}
