//! What new-value and baseline rules remember between passes: built from the history stored before
//! the rule first ran, updated by each pass with the new events only, never counting an event
//! twice when a pass reads it again, and built again when what the rule selects changes.

use chrono::{DateTime, Duration, Utc};
use domain::{
    Category, Dedup, Exclusions, Field, Operation, PersonId, Product, RuleId, RuleKind, RuleSpec,
    Severity,
};
use rules::{evaluate_pass, evaluate_pass_keeping, RecentEvents};
use store::alerts::{Alert, AlertFilter};
use store::Store;

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn person(n: u32) -> PersonId {
    PersonId::parse(&format!("person:m{n}")).unwrap()
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A security event by person 1 from `ip` at `at`, stored at `stored`.
fn sign_in(op: Operation, ip: &str, at: DateTime<Utc>, stored: DateTime<Utc>) -> domain::Event {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    domain::Event {
        operation: op,
        category: Category::Security,
        severity: Severity::Medium,
        actor_id: Some(person(1)),
        source_ip: Some(ip.parse().unwrap()),
        ingested_at: stored,
        ..testkit::event("acme", Product::Org, &format!("m{n}"), at)
    }
}

fn spec(filter: &str, kind: RuleKind, key: &str) -> RuleSpec {
    RuleSpec {
        name: "Memory".into(),
        description: String::new(),
        severity: Severity::High,
        filter: filter.into(),
        kind,
        dedup: Dedup {
            key: key.into(),
            period_minutes: 24 * 60,
        },
        exclusions: Exclusions::default(),
        destinations: Vec::new(),
        enabled: true,
        snoozed_until: None,
        correlation: Default::default(),
    }
}

fn new_ip() -> RuleKind {
    RuleKind::NewValue {
        field: Field::Ip,
        group_by: Field::Person,
        history_days: 30,
    }
}

fn baseline() -> RuleKind {
    RuleKind::Baseline {
        group_by: Field::Person,
        window_hours: 24,
        history_days: 30,
        factor: 10.0,
        floor: 50,
    }
}

/// A store holding `history`, with the rule created after it and started by a first pass.
async fn started_after(history: &[domain::Event], spec: &RuleSpec) -> (Store, RuleId) {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    store.events.insert_new(history).await.unwrap();
    let id = RuleId::parse("remembering").unwrap();
    store.rules.create(&id, spec, "test", now()).await.unwrap();
    evaluate_pass(&store, &[], now()).await.unwrap();
    (store, id)
}

async fn alerts(store: &Store, id: &RuleId) -> Vec<Alert> {
    let f = AlertFilter {
        rule: Some(id.clone()),
        ..AlertFilter::default()
    };
    store.alerts.list(&f, 100).await.unwrap()
}

/// Stores `events` at `at` and runs a pass then.
async fn pass_with(store: &Store, events: Vec<domain::Event>, at: DateTime<Utc>) {
    if !events.is_empty() {
        store.events.insert_new(&events).await.unwrap();
    }
    evaluate_pass(store, &[], at).await.unwrap();
}

/// Stores `events` at `at` and runs a pass then, as the rules worker does: handed what the last
/// pass read of the latest events.
async fn pass_keeping(
    store: &Store,
    events: Vec<domain::Event>,
    at: DateTime<Utc>,
    recent: &mut Option<RecentEvents>,
) -> rules::PassReport {
    if !events.is_empty() {
        store.events.insert_new(&events).await.unwrap();
    }
    evaluate_pass_keeping(store, &[], at, recent).await.unwrap()
}

#[tokio::test]
async fn a_new_value_rule_knows_the_addresses_used_before_it_started() {
    let stored = now() - Duration::days(1);
    let history = [sign_in(
        Operation::Login,
        "198.51.100.7",
        now() - Duration::days(10),
        stored,
    )];
    let (store, id) = started_after(
        &history,
        &spec("category=security", new_ip(), "{person}/{ip}"),
    )
    .await;
    let later = now() + Duration::minutes(1);
    pass_with(
        &store,
        vec![
            sign_in(Operation::Login, "198.51.100.7", now(), later),
            sign_in(Operation::Login, "203.0.113.9", now(), later),
        ],
        later,
    )
    .await;
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].group.get(&Field::Ip).map(String::as_str),
        Some("203.0.113.9")
    );
    // The new address is now known: using it again the next day is nothing new.
    let next_day = now() + Duration::days(1);
    pass_with(
        &store,
        vec![sign_in(Operation::Login, "203.0.113.9", next_day, next_day)],
        next_day,
    )
    .await;
    assert_eq!(alerts(&store, &id).await.len(), 1);
}

#[tokio::test]
async fn an_address_unused_for_longer_than_the_history_is_new_again() {
    let stored = now() - Duration::days(40);
    let history = [sign_in(
        Operation::Login,
        "198.51.100.7",
        now() - Duration::days(40),
        stored,
    )];
    let (store, id) = started_after(
        &history,
        &spec("category=security", new_ip(), "{person}/{ip}"),
    )
    .await;
    let later = now() + Duration::minutes(1);
    pass_with(
        &store,
        vec![sign_in(Operation::Login, "198.51.100.7", now(), later)],
        later,
    )
    .await;
    assert_eq!(alerts(&store, &id).await.len(), 1);
}

#[tokio::test]
async fn changing_what_a_rule_selects_builds_its_memory_again() {
    // Only a sign-in (not a failure) came from .9 before.
    let stored = now() - Duration::days(1);
    let history = [sign_in(
        Operation::Login,
        "203.0.113.9",
        now() - Duration::days(3),
        stored,
    )];
    let narrow = spec("operation=login_failed", new_ip(), "{person}/{ip}");
    let (store, id) = started_after(&history, &narrow).await;
    // Built for failures only, the memory knows no address.
    pass_with(&store, Vec::new(), now()).await;
    // Widened to every security event, .9 is known from the earlier sign-in.
    let wide = spec("category=security", new_ip(), "{person}/{ip}");
    store.rules.update(&id, &wide, "test", now()).await.unwrap();
    let later = now() + Duration::minutes(1);
    pass_with(
        &store,
        vec![sign_in(Operation::LoginFailed, "203.0.113.9", now(), later)],
        later,
    )
    .await;
    assert!(alerts(&store, &id).await.is_empty());
}

fn page_edit(at: DateTime<Utc>, stored: DateTime<Utc>) -> domain::Event {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    domain::Event {
        operation: Operation::PageUpdated,
        pipeline: domain::Pipeline::Activity,
        category: Category::Content,
        severity: Severity::Low,
        actor_id: Some(person(1)),
        ingested_at: stored,
        ..testkit::event("acme", Product::Confluence, &format!("p{n}"), at)
    }
}

/// Person 1's count in today's window as the rule remembers it.
async fn remembered_today(store: &Store, id: &RuleId) -> u64 {
    let today = "2026-03-10T00:00:00Z"
        .parse::<DateTime<Utc>>()
        .unwrap()
        .timestamp_millis();
    store
        .rule_counts
        .windows(id, &[person(1).to_string()])
        .await
        .unwrap()
        .get(&person(1).to_string())
        .and_then(|w| w.get(&today))
        .map_or(0, |c| c.total())
}

#[tokio::test]
async fn a_baseline_judges_a_burst_against_the_days_before_it_started_counting_each_event_once() {
    let today: DateTime<Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
    // Three edits a day for 30 days, and 4 already today, all stored before the rule started.
    let mut history = Vec::new();
    for d in 1..=30 {
        for i in 0..3 {
            let at = today - Duration::days(d) + Duration::hours(9 + i);
            history.push(page_edit(at, at + Duration::minutes(1)));
        }
    }
    for i in 0..4 {
        history.push(page_edit(
            today + Duration::hours(1 + i),
            now() - Duration::hours(2),
        ));
    }
    let (store, id) = started_after(
        &history,
        &spec("product=confluence", baseline(), "{person}"),
    )
    .await;
    // A burst of 50 more today: 54 against a usual 3.
    let later = now() + Duration::minutes(1);
    let mut recent = None;
    let burst: Vec<_> = (0..50)
        .map(|i| page_edit(now() - Duration::minutes(i), later))
        .collect();
    pass_keeping(&store, burst, later, &mut recent).await;
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].why.contains("54 matching events today, usual 3"),
        "{}",
        found[0].why
    );
    assert_eq!(found[0].count, 54, "every event of the window is behind it");
    assert_eq!(remembered_today(&store, &id).await, 54);
    // The next pass takes the last minutes again (the overlap, from what the last pass read):
    // nothing is counted twice.
    let again = pass_keeping(
        &store,
        Vec::new(),
        later + Duration::seconds(30),
        &mut recent,
    )
    .await;
    assert_eq!(again.events_reused, 50, "{again:?}");
    assert_eq!(remembered_today(&store, &id).await, 54);
    // Later events add to the count, and the alert grows with them.
    let after = later + Duration::minutes(3);
    pass_keeping(
        &store,
        vec![page_edit(after, after), page_edit(after, after)],
        after,
        &mut recent,
    )
    .await;
    assert_eq!(remembered_today(&store, &id).await, 56);
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].count, 56);
    assert!(
        found[0].why.contains("56 matching events today"),
        "{}",
        found[0].why
    );
}

#[tokio::test]
async fn a_preview_and_a_pass_agree_on_a_baseline() {
    let today: DateTime<Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
    let mut history = Vec::new();
    for d in 1..=30 {
        let at = today - Duration::days(d) + Duration::hours(9);
        history.push(page_edit(at, at));
    }
    let s = spec("product=confluence", baseline(), "{person}");
    let (store, id) = started_after(&history, &s).await;
    let later = now() + Duration::minutes(1);
    let burst: Vec<_> = (0..60)
        .map(|i| page_edit(now() - Duration::minutes(i), later))
        .collect();
    pass_with(&store, burst, later).await;
    let preview = rules::preview::preview(&store, &s, &[], 7, later)
        .await
        .unwrap();
    let found = alerts(&store, &id).await;
    assert_eq!(preview.alerts, 1);
    assert_eq!(found.len(), 1);
    assert_eq!(preview.first[0].group, found[0].group);
    assert_eq!(preview.first[0].period_start, found[0].period_start);
    assert_eq!(preview.first[0].why, found[0].why);
}

#[tokio::test]
async fn a_baseline_counts_the_history_stored_with_its_start_but_never_judges_it() {
    let today: DateTime<Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
    // Sixty edits today, all stored in one write just before the rule starts: history.
    let stored = now() - Duration::seconds(2);
    let history: Vec<_> = (0..60)
        .map(|i| page_edit(today + Duration::minutes(i), stored))
        .collect();
    let s = spec("product=confluence", baseline(), "{person}");
    let (store, id) = started_after(&history, &s).await;
    pass_with(&store, Vec::new(), now() + Duration::seconds(3)).await;
    assert!(
        alerts(&store, &id).await.is_empty(),
        "history is not judged"
    );
    assert_eq!(remembered_today(&store, &id).await, 60, "but it is counted");
    // One more edit today is new: 61 against a usual 0.
    let later = now() + Duration::minutes(1);
    pass_with(&store, vec![page_edit(later, later)], later).await;
    let found = alerts(&store, &id).await;
    assert_eq!(found.len(), 1);
    assert!(
        found[0].why.contains("61 matching events today, usual 0"),
        "{}",
        found[0].why
    );
}
