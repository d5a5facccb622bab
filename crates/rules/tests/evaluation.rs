//! How evaluation behaves across passes: incremental, idempotent, late records judged in their own
//! window, dedup joining, exclusions, and a preview that agrees with the Events total.

use chrono::{DateTime, Duration, Utc};
use domain::{
    Category, Dedup, EventFilter, Exclusions, Field, Operation, PersonId, Product, RuleId,
    RuleKind, RuleSpec, Severity,
};
use rules::{evaluate_pass, evaluate_pass_keeping};
use store::alerts::AlertFilter;
use store::events::ActorScope;
use store::Store;

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn person(n: u32) -> PersonId {
    PersonId::parse(&format!("person:p{n}")).unwrap()
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn failure(who: u32, at: DateTime<Utc>, stored: DateTime<Utc>) -> domain::Event {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    domain::Event {
        operation: Operation::LoginFailed,
        category: Category::Security,
        severity: Severity::Medium,
        actor_id: Some(person(who)),
        source_ip: Some("198.51.100.7".parse().unwrap()),
        ingested_at: stored,
        ..testkit::event("acme", Product::Org, &format!("f{n}"), at)
    }
}

fn spec(kind: RuleKind, key: &str) -> RuleSpec {
    RuleSpec {
        name: "Failed sign-ins".into(),
        description: String::new(),
        severity: Severity::High,
        filter: "operation=login_failed".into(),
        kind,
        dedup: Dedup {
            key: key.into(),
            period_minutes: 60,
        },
        exclusions: Exclusions::default(),
        destinations: Vec::new(),
        enabled: true,
        snoozed_until: None,
        correlation: Default::default(),
    }
}

async fn store_with(spec: &RuleSpec) -> (Store, RuleId) {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let id = RuleId::parse("test-rule").unwrap();
    store.rules.create(&id, spec, "test", now()).await.unwrap();
    // A rule created on an empty store evaluates everything that arrives.
    evaluate_pass(&store, &[], now()).await.unwrap();
    (store, id)
}

async fn alerts(store: &Store, id: &RuleId) -> Vec<store::alerts::Alert> {
    let f = AlertFilter {
        rule: Some(id.clone()),
        ..AlertFilter::default()
    };
    store.alerts.list(&f, 100).await.unwrap()
}

fn threshold() -> RuleKind {
    RuleKind::Threshold {
        count: 3,
        window_minutes: 10,
        group_by: Field::Person,
    }
}

#[tokio::test]
async fn evaluating_the_same_events_twice_records_each_alert_once() {
    let (store, id) = store_with(&spec(RuleKind::Match, "{person}")).await;
    let at = now() - Duration::minutes(30);
    let events: Vec<_> = (0..3)
        .map(|i| failure(1, at + Duration::minutes(i), at))
        .collect();
    store.events.insert_new(&events).await.unwrap();
    let first = evaluate_pass(&store, &[], now()).await.unwrap();
    assert_eq!(first.created.len(), 1);
    // A pass after a crash before the watermark moved reads the same events again.
    store
        .rules
        .evaluated(&id, None, false, now())
        .await
        .unwrap();
    let again = evaluate_pass(&store, &[], now()).await.unwrap();
    assert!(again.created.is_empty(), "{again:?}");
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].count, 3,
        "the events joined one alert, counted once each"
    );
}

#[tokio::test]
async fn later_matches_in_the_period_join_the_open_alert_and_a_new_period_opens_another() {
    let (store, id) = store_with(&spec(RuleKind::Match, "{person}")).await;
    let base: DateTime<Utc> = "2026-03-10T09:10:00Z".parse().unwrap();
    store
        .events
        .insert_new(&[failure(1, base, now())])
        .await
        .unwrap();
    evaluate_pass(&store, &[], now()).await.unwrap();
    let later = now() + Duration::seconds(5);
    store
        .events
        .insert_new(&[
            failure(1, base + Duration::minutes(20), later),
            failure(1, base + Duration::minutes(70), later),
        ])
        .await
        .unwrap();
    let report = evaluate_pass(&store, &[], later).await.unwrap();
    assert_eq!(
        report.created.len(),
        1,
        "the 10:20 match joins, the 10:20+ hour opens one"
    );
    let mut found = alerts(&store, &id).await;
    found.sort_by_key(|a| a.period_start);
    assert_eq!(found.iter().map(|a| a.count).collect::<Vec<_>>(), [2, 1]);
}

#[tokio::test]
async fn a_late_record_completes_a_window_evaluated_before() {
    let (store, id) = store_with(&spec(threshold(), "{person}")).await;
    let t = now() - Duration::hours(3);
    store
        .events
        .insert_new(&[
            failure(1, t, now()),
            failure(1, t + Duration::minutes(4), now()),
        ])
        .await
        .unwrap();
    evaluate_pass(&store, &[], now()).await.unwrap();
    assert!(alerts(&store, &id).await.is_empty(), "two of three");
    // The third arrives a sync later, although it happened between the two.
    let later = now() + Duration::minutes(15);
    store
        .events
        .insert_new(&[failure(1, t + Duration::minutes(2), later)])
        .await
        .unwrap();
    evaluate_pass(&store, &[], later).await.unwrap();
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].count, 3);
    assert_eq!(found[0].first_seen, t);
}

#[tokio::test]
async fn a_new_rule_on_a_store_with_history_starts_from_now() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let old = now() - Duration::hours(1);
    store
        .events
        .insert_new(&[failure(1, old, old)])
        .await
        .unwrap();
    let id = RuleId::parse("late-rule").unwrap();
    store
        .rules
        .create(&id, &spec(RuleKind::Match, "{person}"), "t", now())
        .await
        .unwrap();
    evaluate_pass(&store, &[], now()).await.unwrap();
    evaluate_pass(&store, &[], now()).await.unwrap();
    assert!(
        alerts(&store, &id).await.is_empty(),
        "history is for the preview"
    );
}

#[tokio::test]
async fn excluded_people_and_addresses_never_alert() {
    let mut s = spec(RuleKind::Match, "{person}");
    s.exclusions = Exclusions {
        people: vec![person(1)],
        teams: Vec::new(),
        ips: vec!["203.0.113.0/24".parse().unwrap()],
    };
    let (store, id) = store_with(&s).await;
    let at = now() - Duration::minutes(5);
    let mut from_office = failure(2, at, at);
    from_office.source_ip = Some("203.0.113.50".parse().unwrap());
    store
        .events
        .insert_new(&[failure(1, at, at), from_office, failure(3, at, at)])
        .await
        .unwrap();
    evaluate_pass(&store, &[], now()).await.unwrap();
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].group.get(&Field::Person),
        Some(&person(3).to_string())
    );
}

#[tokio::test]
async fn a_preview_counts_what_the_events_page_counts_and_what_would_have_fired() {
    let (store, _) = store_with(&spec(threshold(), "{person}")).await;
    let t = now() - Duration::days(2);
    let mut events: Vec<_> = (0..3)
        .map(|i| failure(1, t + Duration::minutes(i), t))
        .collect();
    events.push(failure(2, t, t));
    events.push(failure(2, t - Duration::days(10), t));
    store.events.insert_new(&events).await.unwrap();
    let s = spec(threshold(), "{person}");
    let p = rules::preview::preview(&store, &s, &[], 7, now())
        .await
        .unwrap();
    let window = EventFilter {
        from: Some(now() - Duration::days(7)),
        to: Some(now()),
        operations: vec![Operation::LoginFailed],
        ..EventFilter::default()
    };
    let total = store
        .events
        .count_matching(&window, &ActorScope::Anyone)
        .await
        .unwrap();
    assert_eq!(p.matching_events, total);
    assert_eq!(p.matching_events, 4);
    assert_eq!(p.alerts, 1);
    assert_eq!(p.first[0].events.len(), 3);
    assert!(!p.noisy);
}

#[tokio::test]
async fn a_pass_takes_the_latest_events_from_the_last_one_and_judges_only_the_new() {
    let (store, id) = store_with(&spec(RuleKind::Match, "{person}")).await;
    let mut recent = None;
    let first = now() + Duration::minutes(10);
    let a: Vec<_> = (0..4).map(|i| failure(i, first, first)).collect();
    store.events.insert_new(&a).await.unwrap();
    let one = evaluate_pass_keeping(&store, &[], first, &mut recent)
        .await
        .unwrap();
    assert_eq!((one.events_read, one.created.len()), (4, 4));
    let second = first + Duration::minutes(10);
    let b: Vec<_> = (10..13).map(|i| failure(i, second, second)).collect();
    store.events.insert_new(&b).await.unwrap();
    let two = evaluate_pass_keeping(&store, &[], second, &mut recent)
        .await
        .unwrap();
    assert_eq!(
        (two.events_read, two.events_reused),
        (3, 4),
        "the first batch was taken from the last pass, only the second read: {two:?}"
    );
    assert_eq!(two.created.len(), 3);
    assert_eq!(alerts(&store, &id).await.len(), 7);
}

#[tokio::test]
async fn a_write_that_lands_behind_the_watermark_after_a_pass_is_still_judged() {
    let (store, id) = store_with(&spec(RuleKind::Match, "{person}")).await;
    let mut recent = None;
    let first = now() + Duration::minutes(10);
    let a: Vec<_> = (0..4).map(|i| failure(i, first, first)).collect();
    store.events.insert_new(&a).await.unwrap();
    evaluate_pass_keeping(&store, &[], first, &mut recent)
        .await
        .unwrap();
    // A write stamped just before that pass began becomes visible only after it read.
    let in_flight = failure(20, first, first - Duration::seconds(3));
    store.events.insert_new(&[in_flight]).await.unwrap();
    let second = first + Duration::minutes(10);
    let two = evaluate_pass_keeping(&store, &[], second, &mut recent)
        .await
        .unwrap();
    assert_eq!(
        two.events_reused, 0,
        "the count showed a write among the kept events: {two:?}"
    );
    assert_eq!(two.created.len(), 1, "{two:?}");
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 5);
    assert!(found
        .iter()
        .any(|a| a.group.values().any(|v| v.ends_with("p20"))));
}
