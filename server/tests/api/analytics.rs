//! The Overview, People, Teams and total-count server functions over stored events, people and
//! teams: what the pages show comes from the rollups and the decrypted directory.

use crate::helpers::{spawn_app, TestApp, API_KEY};
use chrono::{Duration, DurationRound, Utc};
use domain::{
    Category, DeploymentId, Event, EventId, ObjectRef, Operation, PersonId, Pipeline, Product,
    Severity, SourceId,
};
use ingest::identity::IdentityResolver;
use pipeline::AccountRef;
use serde_json::Value;
use std::sync::Arc;
use store::crypto::KeyRing;
use store::rollups::{days_touched, RollupScope};
use store::teams::GroupSnapshot;

/// Ana (in team-red) acts in Jira, Confluence and Bitbucket; Bo signs in once.
async fn seed(app: &TestApp) -> (PersonId, PersonId) {
    let now = Utc::now();
    let resolver = IdentityResolver::new(
        app.store.identities.clone(),
        Arc::new(KeyRing::new(&API_KEY, &[])),
    );
    let learn = |id: &str, name: &str| {
        let account = AccountRef {
            account_id: Some(id.to_owned()),
            display_name: Some(name.to_owned()),
            email: Some(format!("{id}@example.test")),
            bitbucket_uuid: None,
        };
        let resolver = resolver.clone();
        async move {
            resolver
                .learn(&account, Product::Org, now)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let ana = learn("acc-ana", "Ana Lima").await;
    let bo = learn("acc-bo", "Bo Ångström").await;
    let deployment = DeploymentId::parse("acme").unwrap();
    app.store
        .teams
        .replace_deployment(
            &deployment,
            &[GroupSnapshot {
                group_id: "1".into(),
                name: "team-red".into(),
                members: vec![ana.clone()],
            }],
            now,
        )
        .await
        .unwrap();
    let base = now.duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(30);
    let event = |n: i64, product, op, kind: &str, who: &PersonId| Event {
        id: EventId::new(
            &deployment,
            product,
            &SourceId::parse(&format!("r-{n}")).unwrap(),
        ),
        occurred_at: base + Duration::minutes(17 * n),
        ingested_at: now,
        deployment: deployment.clone(),
        product,
        pipeline: Pipeline::Activity,
        actor_id: Some(who.clone()),
        actor_raw: None,
        operation: op,
        category: Category::Content,
        severity: Severity::Low,
        object_type: Some(kind.into()),
        object_ref: Some(ObjectRef {
            id: format!("X-{n}"),
            name: Some(format!("Item {n}")),
            container: Some("OPS".into()),
        }),
        source_ip: None,
        country: None,
        raw: serde_json::json!({ "n": n }),
    };
    let mut events = vec![
        event(0, Product::Jira, Operation::IssueCreated, "issue", &ana),
        event(1, Product::Jira, Operation::IssueUpdated, "issue", &ana),
        event(2, Product::Confluence, Operation::PageCreated, "page", &ana),
        event(
            3,
            Product::Bitbucket,
            Operation::PrOpened,
            "pull_request",
            &ana,
        ),
    ];
    let mut login = event(4, Product::Org, Operation::Login, "user", &bo);
    login.pipeline = Pipeline::Audit;
    login.category = Category::Security;
    events.push(login);
    app.store.events.insert_new(&events).await.unwrap();
    app.store
        .rollups
        .rebuild(
            &days_touched(base, now + Duration::hours(1)),
            &RollupScope::default(),
        )
        .await
        .unwrap();
    (ana, bo)
}

async fn json(app: &TestApp, path: &str, args: &[(&str, &str)]) -> (u16, Value) {
    let r = app.call(path, args).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn the_overview_draws_every_chart_from_the_rollups() {
    let app = spawn_app().await;
    seed(&app).await;
    app.login_as_admin().await;
    let (status, o) = json(&app, "/api/overview/data", &[("query[range]", "7d")]).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["current"]["events"], 5);
    assert_eq!(o["current"]["security"], 1);
    assert_eq!(o["current"]["people"], 2);
    let charts = o["charts"].as_array().unwrap();
    let ids: Vec<&str> = charts.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "chart-time",
            "chart-people",
            "chart-operations",
            "chart-severity",
            "chart-heatmap"
        ]
    );
    for c in charts {
        let svg = c["svg"].as_str().unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains(r#"role="img""#),
            "{svg}"
        );
        assert!(
            svg.contains("<a href=\"/events?"),
            "{} links into Events",
            c["id"]
        );
    }
    // Names are decrypted for the chart, and each bar narrows Events to its person.
    let people = charts[1]["svg"].as_str().unwrap();
    assert!(people.contains("Ana Lima: 4"), "{people}");
    assert!(people.contains("person=person%3A"));

    let (status, e) = json(&app, "/api/overview/data", &[("query[ip]", "10.0.0.1")]).await;
    assert_eq!(status, 400);
    assert!(
        e.to_string().contains("use Events for IP and text filters"),
        "{e}"
    );
    let (status, e) = json(&app, "/api/overview/data", &[("tz", "Mars/Olympus")]).await;
    assert_eq!(status, 400);
    assert!(e.to_string().contains("not a known time zone"), "{e}");
}

#[tokio::test]
async fn totals_and_the_person_filter_accept_names() {
    let app = spawn_app().await;
    let (ana, _) = seed(&app).await;
    app.login_as_admin().await;
    let total = |args: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { json(app, "/api/events/total", args).await }
    };
    let (status, t) = total(&[("query[range]", "7d")]).await;
    assert_eq!((status, t["total"].as_u64()), (200, Some(5)), "{t}");
    assert_eq!(t["from_rollups"], true);
    let (_, t) = total(&[("query[range]", "7d"), ("query[q]", "item")]).await;
    assert_eq!(
        (t["total"].as_u64(), &t["from_rollups"]),
        (Some(5), &Value::Bool(false))
    );
    // A typed name resolves to the one person it matches, in the count and the listing alike.
    let (_, t) = total(&[("query[person]", "ana lima")]).await;
    assert_eq!(t["total"], 4);
    let (status, page) = json(&app, "/api/events/list", &[("query[person]", "Ana")]).await;
    assert_eq!(status, 200);
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .all(|r| r["actor"] == "Ana Lima" && r["person"] == ana.as_str()));
    let (status, e) = total(&[("query[person]", "example.test")]).await;
    assert_eq!(status, 400);
    assert!(e.to_string().contains("several people match"), "{e}");
    let (status, e) = total(&[("query[person]", "nobody at all")]).await;
    assert_eq!(status, 400);
    assert!(e.to_string().contains("no person matches"), "{e}");
}

#[tokio::test]
async fn people_are_found_by_name_without_plaintext_in_the_database() {
    let app = spawn_app().await;
    let (ana, _) = seed(&app).await;
    app.login_as_admin().await;
    let (status, found) = json(&app, "/api/people/find", &[("text", "LIMA")]).await;
    assert_eq!(status, 200);
    assert_eq!(
        found,
        serde_json::json!([{ "id": ana.as_str(), "name": "Ana Lima" }])
    );
    let stored: Vec<bson::Document> = {
        use futures::TryStreamExt;
        app.store
            .db
            .collection::<bson::Document>("identities")
            .find(bson::doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    let text = format!("{stored:?}");
    assert!(
        !text.contains("Ana Lima") && !text.contains("acc-ana@example.test"),
        "{text}"
    );
}

#[tokio::test]
async fn a_persons_page_spans_products_and_a_teams_page_lists_members() {
    let app = spawn_app().await;
    let (ana, _) = seed(&app).await;
    app.login_as_admin().await;
    let (status, p) = json(&app, "/api/people/page", &[("id", ana.as_str())]).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["name"], "Ana Lima");
    let products: Vec<&str> = p["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[0].as_str().unwrap())
        .collect();
    assert_eq!(products, ["bitbucket", "confluence", "jira"]);
    assert_eq!(p["teams"], serde_json::json!([["team:red", "team-red"]]));
    assert_eq!(p["accounts"][0]["email"], "acc-ana@example.test");
    assert_eq!(p["recent"].as_array().unwrap().len(), 4);
    let items: Vec<&str> = p["work_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        ["X-3", "X-2", "X-1", "X-0"],
        "newest first, one per item"
    );
    let (status, _) = json(&app, "/api/people/page", &[("id", "person:nobody")]).await;
    assert_eq!(status, 404);

    let (status, t) = json(&app, "/api/teams/list", &[("query[range]", "7d")]).await;
    assert_eq!(status, 200);
    assert_eq!(
        t["rows"],
        serde_json::json!([{ "id": "team:red", "name": "team-red", "events": 4, "security": 0 }])
    );
    let (status, t) = json(&app, "/api/teams/page", &[("id", "team:red")]).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["members"][0]["name"], "Ana Lima");
    assert_eq!(t["totals"], serde_json::json!([4, 0]));
}
