//! The event store against a real MongoDB-wire server: idempotent ingestion, indexes, retention and
//! the Events query with every filter and keyset pagination.
//!
//! Long because every filter of the Events query has its own test against stored events.

use bson::doc;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{
    Category, DeploymentId, Event, EventFilter, EventId, IpFilter, ObjectRef, Operation, PageSize,
    PersonId, Pipeline, Product, Severity, SourceId, TeamId,
};
use futures::TryStreamExt;
use store::events::ActorScope;
use store::rollups::RollupScope;
use store::teams::GroupSnapshot;
use store::{Store, EVENTS};

fn t(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::minutes(minute)
}

fn event(source: &str, minute: i64, product: Product, op: Operation) -> Event {
    let (pipeline, category) = if op == Operation::IssueCreated || op == Operation::PageUpdated {
        (Pipeline::Activity, Category::Content)
    } else {
        (Pipeline::Audit, Category::Security)
    };
    Event {
        ingested_at: t(10_000),
        pipeline,
        actor_id: Some(PersonId::parse("person:1").unwrap()),
        actor_raw: Some("5f8a-acc".into()),
        operation: op,
        category,
        severity: if op == Operation::AdminGranted {
            Severity::High
        } else {
            Severity::Low
        },
        object_type: Some("issue".into()),
        object_ref: Some(ObjectRef {
            id: source.into(),
            name: Some(format!("Object {source}")),
            container: None,
        }),
        source_ip: Some("203.0.113.7".parse().unwrap()),
        raw: serde_json::json!({ "id": source, "nested": { "ünïcode": "日本語", "n": 1 } }),
        ..testkit::event("acme", product, source, t(minute))
    }
}

async fn store() -> Store {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn the_same_record_twice_is_stored_once_and_left_unchanged() {
    let store = store().await;
    let first = event("10001", 1, Product::Jira, Operation::Login);
    assert_eq!(
        store
            .events
            .insert_new(std::slice::from_ref(&first))
            .await
            .unwrap()
            .inserted,
        1
    );
    let before = store
        .db
        .collection::<bson::Document>(EVENTS)
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();

    let mut again = first.clone();
    again.ingested_at = t(20_000);
    again.severity = Severity::High;
    let outcome = store.events.insert_new(&[again]).await.unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (0, 1));

    let after = store
        .db
        .collection::<bson::Document>(EVENTS)
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        before, after,
        "a re-ingested record must not change the stored document"
    );
    assert_eq!(
        store
            .db
            .collection::<bson::Document>(EVENTS)
            .count_documents(doc! {})
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.events.get(&first.id).await.unwrap().unwrap(),
        first,
        "the event reads back as written"
    );
}

#[tokio::test]
async fn an_events_country_is_stored_and_read_back_and_an_old_document_has_none() {
    let store = store().await;
    let signed_in = Event {
        country: Some("Singapore".into()),
        ..event("with-country", 1, Product::Org, Operation::Login)
    };
    let elsewhere = event("without-country", 2, Product::Org, Operation::Login);
    store
        .events
        .insert_new(&[signed_in.clone(), elsewhere.clone()])
        .await
        .unwrap();
    let stored = |id: &EventId| {
        let coll = store.db.collection::<bson::Document>(EVENTS);
        let id = id.to_string();
        async move { coll.find_one(doc! { "_id": id }).await.unwrap().unwrap() }
    };
    assert_eq!(
        stored(&signed_in.id).await.get_str("country").ok(),
        Some("Singapore")
    );
    assert!(
        !stored(&elsewhere.id).await.contains_key("country"),
        "no country, no field"
    );
    assert_eq!(
        store.events.get(&signed_in.id).await.unwrap().unwrap(),
        signed_in
    );
    assert_eq!(
        store
            .events
            .get(&elsewhere.id)
            .await
            .unwrap()
            .unwrap()
            .country,
        None,
        "a document written before events had a country reads back without one"
    );
}

#[tokio::test]
async fn a_batch_with_new_and_known_records_stores_only_the_new_ones() {
    let store = store().await;
    let a = event("a", 1, Product::Jira, Operation::Login);
    let b = event("b", 2, Product::Jira, Operation::Login);
    let c = event("c", 3, Product::Confluence, Operation::PageUpdated);
    store
        .events
        .insert_new(&[a.clone(), b.clone()])
        .await
        .unwrap();
    let outcome = store
        .events
        .insert_new(&[a, c, b.clone(), b])
        .await
        .unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (1, 3));
    assert_eq!(store.events.estimated_count().await.unwrap(), 3);
}

#[tokio::test]
async fn ensuring_indexes_twice_is_harmless_and_a_new_retention_replaces_the_ttl() {
    let store = store().await;
    store.ensure_indexes(365).await.unwrap();
    store.ensure_indexes(30).await.unwrap();
    let indexes: Vec<_> = store
        .db
        .collection::<bson::Document>(EVENTS)
        .list_indexes()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let ttl = indexes
        .iter()
        .find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some("occurred_at_ttl"))
        .expect("the TTL index exists");
    let expire = ttl.options.as_ref().unwrap().expire_after.unwrap();
    assert_eq!(expire.as_secs(), 30 * 86_400);
    assert!(
        indexes.len() >= 8,
        "listing and filter indexes exist: {}",
        indexes.len()
    );
}

#[tokio::test]
async fn events_of_the_same_instant_are_ordered_by_id_newest_first() {
    let store = store().await;
    let events: Vec<Event> = [("e1", 1), ("e2", 2), ("e3", 2), ("e4", 2), ("e5", 3)]
        .iter()
        .map(|(id, m)| event(id, *m, Product::Jira, Operation::Login))
        .collect();
    store.events.insert_new(&events).await.unwrap();
    let page = store
        .events
        .page(
            &EventFilter::default(),
            &ActorScope::Anyone,
            None,
            PageSize::default(),
        )
        .await
        .unwrap();
    let seen: Vec<_> = page.events.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        seen,
        [
            "acme:jira:e5",
            "acme:jira:e4",
            "acme:jira:e3",
            "acme:jira:e2",
            "acme:jira:e1"
        ]
    );
    assert!(page.next.is_none());
}

#[tokio::test]
async fn keyset_cursors_continue_exactly_after_the_last_event_shown() {
    let store = store().await;
    let events: Vec<Event> = (0..60)
        .map(|i| event(&format!("k{i:02}"), i / 3, Product::Jira, Operation::Login))
        .collect();
    store.events.insert_new(&events).await.unwrap();
    let size = PageSize::try_from(25).unwrap();
    let first = store
        .events
        .page(&EventFilter::default(), &ActorScope::Anyone, None, size)
        .await
        .unwrap();
    let second = store
        .events
        .page(
            &EventFilter::default(),
            &ActorScope::Anyone,
            first.next.as_ref(),
            size,
        )
        .await
        .unwrap();
    let third = store
        .events
        .page(
            &EventFilter::default(),
            &ActorScope::Anyone,
            second.next.as_ref(),
            size,
        )
        .await
        .unwrap();
    assert_eq!(
        (first.events.len(), second.events.len(), third.events.len()),
        (25, 25, 10)
    );
    assert!(third.next.is_none());
    let mut all: Vec<_> = [first.events, second.events, third.events]
        .concat()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let in_order = all.clone();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 60, "no event repeated or skipped");
    let mut expected: Vec<_> = events
        .iter()
        .map(|e| (e.occurred_at, e.id.clone()))
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        in_order,
        expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
}

async fn ids(store: &Store, filter: EventFilter, actors: ActorScope) -> Vec<String> {
    let page = store
        .events
        .page(&filter, &actors, None, PageSize::try_from(200).unwrap())
        .await
        .unwrap();
    let mut ids: Vec<String> = page.events.into_iter().map(|e| e.id.to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_filter_narrows_the_result_to_matching_events() {
    let store = store().await;
    let mut admin = event("adm", 10, Product::Org, Operation::AdminGranted);
    admin.actor_id = Some(PersonId::parse("person:2").unwrap());
    admin.source_ip = Some("2001:db8::5".parse().unwrap());
    admin.object_ref = Some(ObjectRef {
        id: "g1".into(),
        name: Some("Site-Admins (Ünïcode)".into()),
        container: None,
    });
    let mut page = event("pg", 20, Product::Confluence, Operation::PageUpdated);
    page.source_ip = Some("10.1.2.3".parse().unwrap());
    page.actor_id = Some(PersonId::parse("person:3").unwrap());
    let issue = event("is", 30, Product::Jira, Operation::IssueCreated);
    let mut anonymous = event("anon", 40, Product::Jira, Operation::LoginFailed);
    anonymous.actor_id = None;
    anonymous.source_ip = None;
    store
        .events
        .insert_new(&[admin, page, issue, anonymous])
        .await
        .unwrap();
    store
        .teams
        .replace_deployment(
            &DeploymentId::parse("acme").unwrap(),
            &[GroupSnapshot {
                group_id: "g-1".into(),
                name: "team-sec".into(),
                members: vec![
                    PersonId::parse("person:2").unwrap(),
                    PersonId::parse("person:3").unwrap(),
                ],
            }],
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let all = EventFilter::default();
    assert_eq!(ids(&store, all.clone(), ActorScope::Anyone).await.len(), 4);
    let f = |edit: fn(&mut EventFilter)| {
        let mut f = all.clone();
        edit(&mut f);
        f
    };
    let anyone = || ActorScope::Anyone;
    assert_eq!(
        ids(&store, f(|f| f.products = vec![Product::Jira]), anyone()).await,
        ["acme:jira:anon", "acme:jira:is"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.products = vec![Product::Org, Product::Confluence]),
            anyone()
        )
        .await,
        ["acme:confluence:pg", "acme:org:adm"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.pipelines = vec![Pipeline::Activity]),
            anyone()
        )
        .await,
        ["acme:confluence:pg", "acme:jira:is"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.categories = vec![Category::Security]),
            anyone()
        )
        .await,
        ["acme:jira:anon", "acme:org:adm"]
    );
    assert_eq!(
        ids(&store, f(|f| f.severities = vec![Severity::High]), anyone()).await,
        ["acme:org:adm"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.operations = vec![Operation::LoginFailed]),
            anyone()
        )
        .await,
        ["acme:jira:anon"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.person = Some(PersonId::parse("person:3").unwrap())),
            anyone()
        )
        .await,
        ["acme:confluence:pg"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.ip = Some("10.0.0.0/8".parse::<IpFilter>().unwrap())),
            anyone()
        )
        .await,
        ["acme:confluence:pg"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.ip = Some("2001:db8::/32".parse().unwrap())),
            anyone()
        )
        .await,
        ["acme:org:adm"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.ip = Some("203.0.113.7".parse().unwrap())),
            anyone()
        )
        .await,
        ["acme:jira:is"]
    );
    assert_eq!(
        ids(&store, f(|f| f.text = Some("ünïcode)".into())), anyone()).await,
        ["acme:org:adm"],
        "text is literal and case-insensitive"
    );
    assert_eq!(
        ids(&store, f(|f| f.text = Some("LOGIN_F".into())), anyone()).await,
        ["acme:jira:anon"],
        "text matches the operation"
    );
    assert_eq!(
        ids(&store, f(|f| f.text = Some(".*".into())), anyone()).await,
        Vec::<String>::new(),
        "regex syntax is not interpreted"
    );
    assert_eq!(
        ids(
            &store,
            f(|f| {
                f.from = Some(t(20));
                f.to = Some(t(40));
            }),
            anyone()
        )
        .await,
        ["acme:confluence:pg", "acme:jira:is"],
        "from is inclusive, to exclusive"
    );

    let team = store
        .teams
        .members(&TeamId::parse("team:sec").unwrap())
        .await
        .unwrap();
    assert_eq!(team.len(), 2);
    assert_eq!(
        ids(&store, all.clone(), ActorScope::People(team.clone())).await,
        ["acme:confluence:pg", "acme:org:adm"]
    );
    assert_eq!(
        ids(
            &store,
            f(|f| f.person = Some(PersonId::parse("person:2").unwrap())),
            ActorScope::People(team)
        )
        .await,
        ["acme:org:adm"],
        "a person and a team together mean that person, if in the team"
    );
    assert!(
        ids(&store, all, ActorScope::People(vec![]))
            .await
            .is_empty(),
        "an empty team matches nothing"
    );
}

#[tokio::test]
async fn pages_read_through_time_windows_miss_nothing_across_months() {
    let store = store().await;
    // 70 events spread over about 100 days before `t(0)`, two of them at the same instant.
    let mut events: Vec<Event> = (0..70)
        .map(|i| {
            event(
                &format!("w{i:02}"),
                -(i * i * 30),
                Product::Jira,
                Operation::Login,
            )
        })
        .collect();
    events.push(event(
        "w-twin",
        -(9 * 9 * 30),
        Product::Jira,
        Operation::Login,
    ));
    store.events.insert_new(&events).await.unwrap();
    let size = PageSize::try_from(25).unwrap();
    for filter in [
        EventFilter::default(),
        EventFilter {
            to: Some(t(1)),
            ..EventFilter::default()
        },
        EventFilter {
            from: Some(t(-60 * 24 * 40)),
            to: Some(t(-60 * 5)),
            ..EventFilter::default()
        },
    ] {
        let mut shown = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .events
                .page(&filter, &ActorScope::Anyone, cursor.as_ref(), size)
                .await
                .unwrap();
            shown.extend(page.events.into_iter().map(|e| e.id));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut expected: Vec<_> = events
            .iter()
            .filter(|e| filter.from.is_none_or(|f| e.occurred_at >= f))
            .filter(|e| filter.to.is_none_or(|t| e.occurred_at < t))
            .map(|e| (e.occurred_at, e.id.clone()))
            .collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(
            shown,
            expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>(),
            "{filter:?}"
        );
    }
}

/// Makes every stored event look as an earlier version stored it: without the `search` field.
async fn forget_search_field(store: &Store) {
    let raw = store.db.collection::<bson::Document>("events");
    raw.update_many(bson::doc! {}, bson::doc! { "$unset": { "search": "" } })
        .await
        .unwrap();
}

/// A store holding one event as an earlier version stored it.
async fn store_with_an_event_from_an_earlier_version() -> Store {
    let store = store().await;
    store
        .events
        .insert_new(&[event("old-1", 0, Product::Jira, Operation::AdminGranted)])
        .await
        .unwrap();
    forget_search_field(&store).await;
    store
}

#[tokio::test]
async fn events_stored_without_the_free_text_field_get_it_at_start_up() {
    let store = store_with_an_event_from_an_earlier_version().await;
    let text = EventFilter {
        text: Some("OBJECT OLD".into()),
        ..EventFilter::default()
    };
    assert!(ids(&store, text.clone(), ActorScope::Anyone)
        .await
        .is_empty());
    assert_eq!(store.events.upgrade().await.unwrap(), 1);
    assert_eq!(ids(&store, text, ActorScope::Anyone).await.len(), 1);
    assert_eq!(
        store.events.upgrade().await.unwrap(),
        0,
        "nothing left to do"
    );
}

#[tokio::test]
async fn start_up_upgrades_run_until_they_complete_once_and_are_then_skipped() {
    let store = store_with_an_event_from_an_earlier_version().await;
    let text = EventFilter {
        text: Some("object old".into()),
        ..EventFilter::default()
    };
    store.upgrade().await.unwrap();
    assert_eq!(ids(&store, text.clone(), ActorScope::Anyone).await.len(), 1);
    let recorded = store
        .db
        .collection::<bson::Document>("upgrades")
        .find_one(bson::doc! { "_id": "events.search" })
        .await
        .unwrap()
        .expect("the completed upgrade is recorded");
    assert_eq!(recorded.get_i64("changed").unwrap(), 1);

    // Recorded as done, it does not scan the events again at the next start-up.
    forget_search_field(&store).await;
    store.upgrade().await.unwrap();
    assert!(ids(&store, text, ActorScope::Anyone).await.is_empty());
}

/// An event as an earlier version classified it: `op` at `severity`, with `raw` as received.
fn stored_as(
    source: &str,
    product: Product,
    op: Operation,
    severity: Severity,
    raw: serde_json::Value,
) -> Event {
    Event {
        severity,
        raw,
        ..event(source, 5, product, op)
    }
}

fn org_action(action: &str) -> serde_json::Value {
    serde_json::json!({ "id": action, "attributes": {
        "time": "2026-03-01T12:05:00Z", "action": action, "actor": { "id": "5f8a-acc" } } })
}

/// Regression: events stored before the severity policy changed kept their old severity, and
/// audit actions the vocabulary has since learnt to name stayed `audit_other`; the first start-up
/// of this version reclassifies them (the raw payload untouched) and rebuilds their days' rollups.
#[tokio::test]
async fn events_classified_under_the_old_policy_are_reclassified_once_at_start_up() {
    let store = store().await;
    let joined = org_action("User added to the organization");
    store
        .events
        .insert_new(&[
            stored_as(
                "joined",
                Product::Org,
                Operation::AuditOther,
                Severity::Low,
                joined.clone(),
            ),
            stored_as(
                "unknown",
                Product::Org,
                Operation::AuditOther,
                Severity::Low,
                org_action("marketplace_app_installed"),
            ),
            stored_as(
                "export",
                Product::Confluence,
                Operation::ContentExported,
                Severity::Medium,
                serde_json::json!({ "summary": "Space exported" }),
            ),
            stored_as(
                "login",
                Product::Org,
                Operation::Login,
                Severity::Low,
                org_action("user_login"),
            ),
            stored_as(
                "role-deleted",
                Product::Org,
                Operation::ContainerDeleted,
                Severity::High,
                org_action("project_role_deleted"),
            ),
        ])
        .await
        .unwrap();
    store.upgrade().await.unwrap();

    let classified = |source: &str| {
        let store = store.clone();
        let id = EventId::new(
            &DeploymentId::parse("acme").unwrap(),
            if source == "export" {
                Product::Confluence
            } else {
                Product::Org
            },
            &SourceId::parse(source).unwrap(),
        );
        async move {
            let e = store.events.get(&id).await.unwrap().unwrap();
            (e.operation, e.severity, e.raw)
        }
    };
    assert_eq!(
        classified("joined").await,
        (Operation::UserAddedToOrg, Severity::Medium, joined),
        "named now, at its severity, the payload as it was"
    );
    let (op, severity, _) = classified("unknown").await;
    assert_eq!((op, severity), (Operation::AuditOther, Severity::Medium));
    assert_eq!(classified("export").await.1, Severity::High);
    assert_eq!(classified("login").await.1, Severity::Low);
    assert_eq!(
        classified("role-deleted").await.0,
        Operation::AuditOther,
        "a name an older, looser rule caught is released"
    );

    assert_eq!(exports_rollup_severity(&store).await, "high");
    let recorded = classification_upgrade(&store).await;
    assert_eq!(recorded.get_i64("changed").unwrap(), 4, "{recorded}");
}

/// The severity the daily rollup of `content_exported` events holds.
async fn exports_rollup_severity(store: &Store) -> String {
    let rollup = store
        .db
        .collection::<bson::Document>("rollups_daily")
        .find_one(doc! { "operation": "content_exported" })
        .await
        .unwrap()
        .expect("the day is rolled up");
    rollup.get_str("severity").unwrap().to_owned()
}

/// What the `upgrades` collection records of the reclassification.
async fn classification_upgrade(store: &Store) -> bson::Document {
    store
        .db
        .collection::<bson::Document>("upgrades")
        .find_one(doc! { "_id": "events.classification.2026-12-02.detections" })
        .await
        .unwrap()
        .expect("the reclassification is recorded")
}

/// A start-up killed after rewriting the events but before rebuilding their rollups: the next
/// one finds nothing left to reclassify, and still rebuilds the days it had recorded as pending.
#[tokio::test]
async fn a_reclassification_interrupted_before_its_rollups_rebuilds_them_at_the_next_start_up() {
    let store = store().await;
    let export = stored_as(
        "export",
        Product::Confluence,
        Operation::ContentExported,
        Severity::Medium,
        serde_json::json!({ "summary": "Space exported" }),
    );
    let day = export.occurred_at.date_naive();
    store.events.insert_new(&[export]).await.unwrap();
    store
        .rollups
        .rebuild(&[day], &RollupScope::default())
        .await
        .unwrap();
    // The killed start-up: days recorded, the event rewritten, the rollup not yet rebuilt.
    store
        .db
        .collection::<bson::Document>("upgrades")
        .insert_one(doc! {
            "_id": "events.classification.2026-12-02.detections",
            "pending_days": [day.to_string()],
        })
        .await
        .unwrap();
    store
        .db
        .collection::<bson::Document>(EVENTS)
        .update_many(doc! {}, doc! { "$set": { "severity": "high" } })
        .await
        .unwrap();
    assert_eq!(
        exports_rollup_severity(&store).await,
        "medium",
        "stale before the restart"
    );

    store.upgrade().await.unwrap();
    assert_eq!(exports_rollup_severity(&store).await, "high");
    let recorded = classification_upgrade(&store).await;
    assert!(recorded.get_datetime("done_at").is_ok(), "{recorded}");
    assert!(!recorded.contains_key("pending_days"), "{recorded}");
}
