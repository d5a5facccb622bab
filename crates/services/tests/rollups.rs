//! Daily rollups against a real MongoDB-wire server: counts equal the events they summarise, each
//! row carries its person's teams, and a rebuild writes byte-identical documents.

use bson::{doc, Document};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::{
    Category, DeploymentId, Event, EventId, Operation, PersonId, Pipeline, Product, Severity,
    SourceId,
};
use futures::TryStreamExt;
use services::store::rollups::RollupScope;
use services::store::teams::GroupSnapshot;
use services::store::Store;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn event(
    n: u32,
    when: DateTime<Utc>,
    product: Product,
    op: Operation,
    actor: Option<&str>,
) -> Event {
    let deployment = DeploymentId::parse("acme").unwrap();
    Event {
        id: EventId::new(
            &deployment,
            product,
            &SourceId::parse(&format!("r-{n}")).unwrap(),
        ),
        occurred_at: when,
        ingested_at: when,
        deployment,
        product,
        pipeline: Pipeline::Audit,
        actor_id: actor.map(|a| PersonId::parse(a).unwrap()),
        actor_raw: None,
        operation: op,
        category: Category::Security,
        severity: Severity::Low,
        object_type: None,
        object_ref: None,
        source_ip: None,
        raw: serde_json::json!({ "n": n }),
    }
}

async fn rows(store: &Store) -> Vec<Document> {
    store
        .db
        .collection::<Document>("rollups_daily")
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn rollups_count_every_event_once_and_rebuild_identically() {
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(365).await.unwrap();
    let mut events = Vec::new();
    // Day 1: three logins by person:a (in two teams), one by nobody; one Jira change by person:b.
    for n in 0..3 {
        events.push(event(
            n,
            at(1, 9 + n),
            Product::Org,
            Operation::Login,
            Some("person:a"),
        ));
    }
    events.push(event(3, at(1, 23), Product::Org, Operation::Login, None));
    events.push(event(
        4,
        at(1, 12),
        Product::Jira,
        Operation::PermissionChanged,
        Some("person:b"),
    ));
    // Day 2: one more login; midnight belongs to day 2.
    events.push(event(
        5,
        at(2, 0),
        Product::Org,
        Operation::Login,
        Some("person:a"),
    ));
    store.events.insert_new(&events).await.unwrap();
    store
        .teams
        .replace_deployment(
            &DeploymentId::parse("acme").unwrap(),
            &[
                GroupSnapshot {
                    group_id: "1".into(),
                    name: "team-red".into(),
                    members: vec![PersonId::parse("person:a").unwrap()],
                },
                GroupSnapshot {
                    group_id: "2".into(),
                    name: "team-blue".into(),
                    members: vec![PersonId::parse("person:a").unwrap()],
                },
            ],
            Utc::now(),
        )
        .await
        .unwrap();

    let days: Vec<NaiveDate> = [at(1, 0), at(2, 0)]
        .iter()
        .map(|t| t.date_naive())
        .collect();
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();
    let first = rows(&store).await;
    let total: i64 = first.iter().map(|r| r.get_i64("count").unwrap()).sum();
    assert_eq!(total, events.len() as i64, "{first:#?}");

    let row = |id: &str| {
        first
            .iter()
            .find(|r| r.get_str("_id") == Ok(id))
            .cloned()
            .unwrap_or_else(|| panic!("no row {id}: {first:#?}"))
    };
    let a = row("2026-03-01|acme|org|audit|security|low|login|person:a");
    assert_eq!(a.get_i64("count").unwrap(), 3);
    let teams: Vec<&str> = a
        .get_array("teams")
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert_eq!(teams, ["team:blue", "team:red"]);
    assert_eq!(
        row("2026-03-01|acme|org|audit|security|low|login|-")
            .get_i64("count")
            .unwrap(),
        1
    );
    assert_eq!(
        row("2026-03-02|acme|org|audit|security|low|login|person:a")
            .get_i64("count")
            .unwrap(),
        1
    );
    assert_eq!(
        row("2026-03-01|acme|org|audit|security|low|login|person:a")
            .get_datetime("day")
            .unwrap()
            .to_chrono(),
        at(1, 0)
    );

    // Rebuilding (all of it, or one stream's slice) writes the very same bytes.
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();
    let scope = RollupScope {
        deployment: Some("acme".into()),
        product: Some("jira".into()),
        pipeline: Some("audit".into()),
    };
    store.rollups.rebuild(&days, &scope).await.unwrap();
    let again = rows(&store).await;
    let bytes = |docs: &[Document]| {
        docs.iter()
            .map(|d| bson::to_vec(d).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(bytes(&first), bytes(&again));

    // New events for a day show up after that day is rebuilt, and only then.
    store
        .events
        .insert_new(&[event(
            6,
            at(1, 13),
            Product::Jira,
            Operation::PermissionChanged,
            Some("person:b"),
        )])
        .await
        .unwrap();
    store.rollups.rebuild(&days[..1], &scope).await.unwrap();
    let after = rows(&store).await;
    let b = after
        .iter()
        .find(|r| {
            r.get_str("_id")
                == Ok("2026-03-01|acme|jira|audit|security|low|permission_changed|person:b")
        })
        .unwrap();
    assert_eq!(b.get_i64("count").unwrap(), 2);
    assert_eq!(after.len(), first.len());

    // Headline numbers come from the rollups: day 1 alone, then both days.
    let day1 = at(1, 0).date_naive();
    let t = store
        .rollups
        .totals(day1, day1 + Duration::days(1))
        .await
        .unwrap();
    assert_eq!((t.events, t.security, t.high, t.people), (6, 6, 0, 2));
    let t = store
        .rollups
        .totals(day1, day1 + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(t.events, 7);
    let empty = store
        .rollups
        .totals(day1 - Duration::days(9), day1)
        .await
        .unwrap();
    assert_eq!(empty, services::store::rollups::Totals::default());
}
