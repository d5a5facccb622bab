//! The Events filter means the same in memory (`EventFilter::matches`, which rules evaluate new
//! events with) as in the store's query (which the Events page and rule windows read): for a mix
//! of events and filters of every field, both select the same events.

use chrono::{DateTime, Duration, Utc};
use domain::{
    Category, Event, EventFilter, ObjectRef, Operation, PageSize, PersonId, Pipeline, Product,
    Severity, TeamId,
};
use std::collections::BTreeSet;
use store::events::ActorScope;
use store::Store;

fn t0() -> DateTime<Utc> {
    "2026-03-01T00:00:00Z".parse().unwrap()
}

fn events() -> Vec<Event> {
    let ops = [
        Operation::Login,
        Operation::LoginFailed,
        Operation::AdminGranted,
        Operation::PageUpdated,
    ];
    let products = [Product::Jira, Product::Org, Product::Confluence];
    (0..60)
        .map(|i: i64| {
            let op = ops[i as usize % ops.len()];
            Event {
                operation: op,
                pipeline: if op == Operation::PageUpdated {
                    Pipeline::Activity
                } else {
                    Pipeline::Audit
                },
                category: if op == Operation::PageUpdated {
                    Category::Content
                } else {
                    Category::Security
                },
                severity: [Severity::Low, Severity::Medium, Severity::High][i as usize % 3],
                actor_id: (i % 5 != 0)
                    .then(|| PersonId::parse(&format!("person:p{}", i % 4)).unwrap()),
                source_ip: (i % 3 != 0).then(|| format!("10.0.{}.{}", i % 2, i).parse().unwrap()),
                object_ref: (i % 2 == 0).then(|| ObjectRef {
                    id: format!("o{i}"),
                    name: Some(if i % 4 == 0 {
                        format!("Jira-Admins-{i}")
                    } else {
                        format!("page {i}")
                    }),
                    container: None,
                }),
                ..testkit::event(
                    "acme",
                    products[i as usize % 3],
                    &format!("e{i}"),
                    t0() + Duration::hours(i),
                )
            }
        })
        .collect()
}

#[tokio::test]
async fn every_filter_selects_the_same_events_in_memory_and_in_the_store() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let all = events();
    store.events.insert_new(&all).await.unwrap();
    let team = TeamId::parse("team:core").unwrap();
    let members: Vec<PersonId> = ["person:p1", "person:p2"]
        .iter()
        .map(|p| PersonId::parse(p).unwrap())
        .collect();
    let filters = vec![
        EventFilter::default(),
        EventFilter {
            from: Some(t0() + Duration::hours(10)),
            to: Some(t0() + Duration::hours(30)),
            ..Default::default()
        },
        EventFilter {
            products: vec![Product::Org, Product::Jira],
            ..Default::default()
        },
        EventFilter {
            pipelines: vec![Pipeline::Activity],
            ..Default::default()
        },
        EventFilter {
            categories: vec![Category::Security],
            severities: vec![Severity::High],
            ..Default::default()
        },
        EventFilter {
            operations: vec![Operation::LoginFailed, Operation::AdminGranted],
            ..Default::default()
        },
        EventFilter {
            person: Some(PersonId::parse("person:p3").unwrap()),
            ..Default::default()
        },
        EventFilter {
            team: Some(team.clone()),
            ..Default::default()
        },
        EventFilter {
            team: Some(team.clone()),
            person: Some(PersonId::parse("person:p2").unwrap()),
            ..Default::default()
        },
        EventFilter {
            ip: Some("10.0.1.0/24".parse().unwrap()),
            ..Default::default()
        },
        EventFilter {
            ip: Some("10.0.0.4".parse().unwrap()),
            ..Default::default()
        },
        EventFilter {
            text: Some("ADMIN".into()),
            ..Default::default()
        },
        EventFilter {
            text: Some("login_f".into()),
            operations: vec![Operation::LoginFailed],
            ..Default::default()
        },
    ];
    for f in filters {
        let scope = match &f.team {
            Some(_) => ActorScope::People(
                members
                    .iter()
                    .filter(|m| f.person.as_ref().is_none_or(|p| p == *m))
                    .cloned()
                    .collect(),
            ),
            None => ActorScope::Anyone,
        };
        let member_set: BTreeSet<PersonId> = members.iter().cloned().collect();
        let in_memory: BTreeSet<String> = all
            .iter()
            .filter(|e| f.matches(e, Some(&member_set)))
            .map(|e| e.id.to_string())
            .collect();
        let page = store
            .events
            .page(&f, &scope, None, PageSize::try_from(200).unwrap())
            .await
            .unwrap();
        let stored: BTreeSet<String> = page.events.iter().map(|e| e.id.to_string()).collect();
        assert_eq!(in_memory, stored, "{f:?}");
        assert!(
            !stored.is_empty() || f.person.is_some(),
            "a filter that selects nothing proves little: {f:?}"
        );
    }
}

/// What new-value rules ask: has this person used this address within the window, before this
/// event? Found, not found when the window or the moment excludes it, and never the event itself.
#[tokio::test]
async fn seen_before_finds_a_group_value_earlier_in_the_window_only() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let person = PersonId::parse("person:p0001").unwrap();
    let used = Event {
        operation: Operation::Login,
        actor_id: Some(person.clone()),
        source_ip: Some("198.51.100.7".parse().unwrap()),
        ..testkit::event("acme", Product::Org, "used", t0())
    };
    store
        .events
        .insert_new(std::slice::from_ref(&used))
        .await
        .unwrap();
    let group = [
        store::events::FieldValue {
            field: domain::Field::Person,
            value: person.to_string(),
        },
        store::events::FieldValue {
            field: domain::Field::Ip,
            value: "198.51.100.7".into(),
        },
    ];
    let filter = EventFilter::default();
    let later = t0() + Duration::days(3);
    let seen = |since: DateTime<Utc>, at: DateTime<Utc>, id: domain::EventId| {
        let (store, filter, group) = (store.clone(), filter.clone(), group.clone());
        async move {
            store
                .events
                .seen_before(&filter, &ActorScope::Anyone, &group, since, at, &id)
                .await
                .unwrap()
        }
    };
    let other = testkit::event("acme", Product::Org, "later", later).id;
    assert!(seen(later - Duration::days(30), later, other.clone()).await);
    assert!(
        !seen(later - Duration::days(1), later, other).await,
        "outside the window"
    );
    assert!(
        !seen(t0() - Duration::days(30), t0(), used.id.clone()).await,
        "an event is not seen before itself"
    );
    let other_ip = [
        group[0].clone(),
        store::events::FieldValue {
            field: domain::Field::Ip,
            value: "203.0.113.9".into(),
        },
    ];
    assert!(!store
        .events
        .seen_before(
            &filter,
            &ActorScope::Anyone,
            &other_ip,
            later - Duration::days(30),
            later,
            &used.id,
        )
        .await
        .unwrap());
}
