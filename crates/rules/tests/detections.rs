//! The built-in detection pack, rule by rule: a positive fixture that must fire and a negative
//! one that must not, evaluated by a real pass over a real database (one per test).

use chrono::{DateTime, Duration, Utc};
use domain::{
    Category, DeploymentId, Event, ObjectRef, Operation, PersonId, Pipeline, Product, RuleId,
    Severity, StreamKey, StreamKind,
};
use rules::{evaluate_pass, StreamInfo};
use store::alerts::{Alert, AlertFilter};
use store::sync_state::{LastRun, RunCounters};
use store::Store;

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}

/// A store with the one built-in rule `id` installed (switched on), evaluating from the start.
async fn with_rule(id: &str) -> Store {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let pack: Vec<_> = rules::builtin::pack()
        .into_iter()
        .filter(|(rid, _)| rid.as_str() == id)
        .map(|(rid, mut spec)| {
            spec.enabled = true;
            (rid, spec)
        })
        .collect();
    assert_eq!(pack.len(), 1, "no built-in rule {id}");
    store
        .rules
        .install_builtin(&pack, None, now())
        .await
        .unwrap();
    store
}

fn person(n: u32) -> PersonId {
    PersonId::parse(&format!("person:p{n:04}")).unwrap()
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// An audit event of `op` by person `who`, `ago` before now.
fn ev(op: Operation, who: u32, ago: Duration) -> Event {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let at = now() - ago;
    Event {
        operation: op,
        actor_id: Some(person(who)),
        source_ip: Some("198.51.100.7".parse().unwrap()),
        category: Category::Security,
        severity: Severity::High,
        ingested_at: now() - minutes(1),
        ..testkit::event("acme", Product::Org, &format!("e{n}"), at)
    }
}

fn with_ip(mut e: Event, ip: &str) -> Event {
    e.source_ip = Some(ip.parse().unwrap());
    e
}

fn on(mut e: Event, name: &str) -> Event {
    e.object_ref = Some(ObjectRef {
        id: name.to_owned(),
        name: Some(name.to_owned()),
        container: None,
    });
    e
}

fn streams() -> Vec<StreamInfo> {
    vec![StreamInfo {
        key: stream(),
        credential_expires: None,
    }]
}

fn stream() -> StreamKey {
    StreamKey {
        deployment: DeploymentId::parse("acme").unwrap(),
        kind: StreamKind::Events(Product::Confluence, Pipeline::Audit),
    }
}

/// Stores `events`, runs a pass with `streams`, and returns the rule's alerts.
async fn fire_with(
    store: &Store,
    id: &str,
    events: Vec<Event>,
    streams: &[StreamInfo],
) -> Vec<Alert> {
    store.events.insert_new(&events).await.unwrap();
    evaluate_pass(store, streams, now()).await.unwrap();
    let filter = AlertFilter {
        rule: Some(RuleId::parse(id).unwrap()),
        ..AlertFilter::default()
    };
    store.alerts.list(&filter, 100).await.unwrap()
}

async fn fire(id: &str, events: Vec<Event>) -> Vec<Alert> {
    let store = with_rule(id).await;
    fire_with(&store, id, events, &streams()).await
}

#[tokio::test]
async fn admin_granted_fires_on_an_admin_grant_and_not_on_a_lesser_role() {
    let fired = fire(
        "admin-granted",
        vec![on(
            ev(Operation::AdminGranted, 1, minutes(5)),
            "site-admins",
        )],
    )
    .await;
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].severity, Severity::High);
    assert!(fired[0].why.contains("site-admins"), "{}", fired[0].why);
    assert!(fire(
        "admin-granted",
        vec![ev(Operation::RoleGranted, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn impersonation_fires_on_log_in_as_user_and_not_on_a_sign_in() {
    assert_eq!(
        fire(
            "user-impersonation",
            vec![ev(Operation::UserImpersonated, 1, minutes(5))]
        )
        .await
        .len(),
        1
    );
    assert!(fire(
        "user-impersonation",
        vec![ev(Operation::Login, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn weakened_authentication_fires_on_mfa_and_policy_changes_not_other_settings() {
    let fired = fire(
        "mfa-or-sso-weakened",
        vec![
            ev(Operation::MfaDisabled, 1, minutes(5)),
            ev(Operation::AuthPolicyChanged, 1, minutes(4)),
        ],
    )
    .await;
    assert_eq!(fired.len(), 2, "one per operation: {fired:?}");
    assert!(fire(
        "mfa-or-sso-weakened",
        vec![ev(Operation::SettingsChanged, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn api_credentials_fire_when_created_not_when_revoked() {
    assert_eq!(
        fire(
            "api-credential-created",
            vec![ev(Operation::ApiKeyCreated, 1, minutes(5))]
        )
        .await
        .len(),
        1
    );
    assert!(fire(
        "api-credential-created",
        vec![ev(Operation::ApiTokenRevoked, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn permission_changes_fire_on_audit_changes_not_on_group_creation() {
    assert_eq!(
        fire(
            "permissions-changed",
            vec![ev(Operation::PermissionChanged, 1, minutes(5))]
        )
        .await
        .len(),
        1
    );
    assert!(fire(
        "permissions-changed",
        vec![ev(Operation::GroupCreated, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn audit_settings_fire_on_evidence_settings_not_on_other_settings() {
    assert_eq!(
        fire(
            "audit-settings-changed",
            vec![ev(Operation::AuditSettingsChanged, 1, minutes(5))]
        )
        .await
        .len(),
        1
    );
    assert!(fire(
        "audit-settings-changed",
        vec![ev(Operation::SettingsChanged, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn public_access_fires_when_enabled_not_on_a_new_space() {
    assert_eq!(
        fire(
            "public-access-enabled",
            vec![ev(Operation::PublicAccessEnabled, 1, minutes(5))]
        )
        .await
        .len(),
        1
    );
    assert!(fire(
        "public-access-enabled",
        vec![ev(Operation::ContainerCreated, 1, minutes(5))]
    )
    .await
    .is_empty());
}

#[tokio::test]
async fn a_privileged_group_fires_by_its_name_an_ordinary_group_does_not() {
    let added = |g: &str| on(ev(Operation::UserAddedToGroup, 1, minutes(5)), g);
    assert_eq!(
        fire("privileged-group-added", vec![added("jira-admins-eu")])
            .await
            .len(),
        1
    );
    assert!(fire("privileged-group-added", vec![added("developers")])
        .await
        .is_empty());
}

#[tokio::test]
async fn brute_force_per_person_needs_five_failures_within_ten_minutes() {
    let failures = |gaps: &[i64]| -> Vec<Event> {
        gaps.iter()
            .map(|m| ev(Operation::LoginFailed, 1, minutes(*m)))
            .collect()
    };
    let fired = fire("brute-force-person", failures(&[30, 28, 26, 24, 22])).await;
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].count, 5);
    assert!(
        fired[0].why.contains("5 matching events"),
        "{}",
        fired[0].why
    );
    // Five failures over 40 minutes: never five within ten.
    assert!(fire("brute-force-person", failures(&[50, 40, 30, 20, 10]))
        .await
        .is_empty());
}

#[tokio::test]
async fn brute_force_per_address_counts_failures_across_people() {
    let spray = |n: u32| -> Vec<Event> {
        (0..n)
            .map(|i| {
                ev(
                    Operation::LoginFailed,
                    100 + i,
                    minutes(9 - i64::from(i) % 9),
                )
            })
            .collect()
    };
    let fired = fire("brute-force-ip", spray(10)).await;
    assert_eq!(fired.len(), 1);
    assert_eq!(
        fired[0].group.get(&domain::Field::Ip).map(String::as_str),
        Some("198.51.100.7")
    );
    assert!(fire("brute-force-ip", spray(9)).await.is_empty());
}

#[tokio::test]
async fn mass_deletion_needs_twenty_deletions_by_one_person_within_an_hour() {
    let deletions = |n: i64, every: i64| -> Vec<Event> {
        (0..n)
            .map(|i| ev(Operation::ContentDeleted, 1, minutes(5 + i * every)))
            .collect()
    };
    assert_eq!(fire("mass-deletion", deletions(20, 2)).await.len(), 1);
    assert!(
        fire("mass-deletion", deletions(20, 5)).await.is_empty(),
        "20 over 100 minutes"
    );
}

#[tokio::test]
async fn mass_export_needs_five_exports_by_one_person_within_an_hour() {
    let exports = |n: i64| -> Vec<Event> {
        (0..n)
            .map(|i| ev(Operation::ContentExported, 1, minutes(5 + i * 5)))
            .collect()
    };
    assert_eq!(fire("mass-export", exports(5)).await.len(), 1);
    assert!(fire("mass-export", exports(4)).await.is_empty());
}

#[tokio::test]
async fn a_new_address_fires_once_a_known_one_does_not() {
    let id = "new-ip-security-event";
    let store = with_rule(id).await;
    // History: the person used .7 ten days ago (stored before the rule looked).
    let known = with_ip(ev(Operation::Login, 1, Duration::days(10)), "198.51.100.7");
    let again = with_ip(ev(Operation::Login, 1, minutes(30)), "198.51.100.7");
    let fired = fire_with(&store, id, vec![known, again], &streams()).await;
    // The first event ever is new; the second, from the same address, is not.
    assert_eq!(fired.len(), 1, "{fired:?}");
    let new = with_ip(ev(Operation::Login, 1, minutes(10)), "203.0.113.9");
    let fired = fire_with(&store, id, vec![new], &streams()).await;
    assert_eq!(fired.len(), 2);
    assert!(fired.iter().any(|a| a.why.contains("203.0.113.9")));
}

#[tokio::test]
async fn a_new_country_fires_a_home_country_does_not() {
    let id = "new-country";
    let store = with_rule(id).await;
    let from = |c: &str, ago: Duration| Event {
        country: Some(c.to_owned()),
        ..ev(Operation::Login, 1, ago)
    };
    let fired = fire_with(
        &store,
        id,
        vec![from("Portugal", Duration::days(3))],
        &streams(),
    )
    .await;
    assert_eq!(fired.len(), 1, "the first country ever is new");
    let fired = fire_with(&store, id, vec![from("Portugal", minutes(20))], &streams()).await;
    assert_eq!(fired.len(), 1, "the home country again is not");
    let fired = fire_with(&store, id, vec![from("Brazil", minutes(10))], &streams()).await;
    assert_eq!(fired.len(), 2);
    assert!(fired
        .iter()
        .any(|a| a.group.get(&domain::Field::Country).map(String::as_str) == Some("Brazil")));
}

fn activity(who: u32, at: DateTime<Utc>) -> Event {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Event {
        operation: Operation::PageUpdated,
        pipeline: Pipeline::Activity,
        category: Category::Content,
        severity: Severity::Low,
        actor_id: Some(person(who)),
        ingested_at: now() - minutes(1),
        ..testkit::event("acme", Product::Confluence, &format!("a{n}"), at)
    }
}

#[tokio::test]
async fn unusual_volume_fires_above_ten_times_the_usual_day_and_the_floor() {
    let today = now() - Duration::hours(11);
    let history = |per_day: i64| -> Vec<Event> {
        (1..=30)
            .flat_map(|d| {
                (0..per_day).map(move |i| activity(1, today - Duration::days(d) + minutes(i)))
            })
            .collect()
    };
    let burst =
        |n: i64| -> Vec<Event> { (0..n).map(|i| activity(1, today + minutes(i))).collect() };
    let mut usual_two = history(2);
    usual_two.extend(burst(60));
    let fired = fire("unusual-volume", usual_two).await;
    assert_eq!(fired.len(), 1, "60 against a usual 2");
    assert!(
        fired[0].why.contains("60 matching events today, usual 2"),
        "{}",
        fired[0].why
    );
    let mut usual_ten = history(10);
    usual_ten.extend(burst(60));
    assert!(
        fire("unusual-volume", usual_ten).await.is_empty(),
        "60 is not ten times 10"
    );
    assert!(
        fire("unusual-volume", burst(40)).await.is_empty(),
        "below the floor of 50"
    );
}

async fn synced(store: &Store) {
    let run = LastRun {
        window_from: now() - Duration::hours(1),
        window_to: now(),
        finished_at: now(),
        duration_ms: 10,
        succeeded: true,
        counters: RunCounters::default(),
    };
    store
        .sync_state
        .succeeded(&stream().to_string(), &run, None)
        .await
        .unwrap();
}

fn confluence_audit(ago: Duration) -> Event {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    testkit::event("acme", Product::Confluence, &format!("c{n}"), now() - ago)
}

#[tokio::test]
async fn a_silent_source_fires_after_a_day_without_events() {
    let store = with_rule("silent-source").await;
    synced(&store).await;
    let fired = fire_with(
        &store,
        "silent-source",
        vec![confluence_audit(Duration::hours(30))],
        &streams(),
    )
    .await;
    assert_eq!(fired.len(), 1);
    assert_eq!(
        fired[0]
            .group
            .get(&domain::Field::Stream)
            .map(String::as_str),
        Some("acme/confluence/audit")
    );
    let store = with_rule("silent-source").await;
    synced(&store).await;
    assert!(fire_with(
        &store,
        "silent-source",
        vec![confluence_audit(Duration::hours(2))],
        &streams()
    )
    .await
    .is_empty());
}

async fn failed(store: &Store, times: u32, refused: bool) {
    for i in 0..times {
        let run = LastRun {
            window_from: now() - Duration::hours(1),
            window_to: now(),
            finished_at: now() - minutes(i64::from(times - i)),
            duration_ms: 10,
            succeeded: false,
            counters: RunCounters::default(),
        };
        let error = if refused {
            "401 Unauthorized"
        } else {
            "503 Service Unavailable"
        };
        store
            .sync_state
            .failed(&stream().to_string(), &run, error, refused)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_failing_sync_fires_after_three_failures_in_a_row_not_two() {
    let store = with_rule("sync-failing").await;
    failed(&store, 3, false).await;
    let fired = fire_with(&store, "sync-failing", vec![], &streams()).await;
    assert_eq!(fired.len(), 1);
    assert!(fired[0].why.contains("3 runs"), "{}", fired[0].why);
    let store = with_rule("sync-failing").await;
    failed(&store, 2, false).await;
    assert!(fire_with(&store, "sync-failing", vec![], &streams())
        .await
        .is_empty());
}

#[tokio::test]
async fn refused_credentials_fire_on_the_first_refusal() {
    let store = with_rule("sync-failing").await;
    failed(&store, 1, true).await;
    let fired = fire_with(&store, "sync-failing", vec![], &streams()).await;
    assert_eq!(fired.len(), 1);
    assert!(
        fired[0].why.contains("refused the credentials"),
        "{}",
        fired[0].why
    );
}

#[tokio::test]
async fn an_expiring_credential_warns_within_fourteen_days_only() {
    let expiring = |days: i64| {
        vec![StreamInfo {
            key: stream(),
            credential_expires: Some(now() + Duration::days(days)),
        }]
    };
    let store = with_rule("sync-failing").await;
    let fired = fire_with(&store, "sync-failing", vec![], &expiring(10)).await;
    assert_eq!(fired.len(), 1);
    assert!(fired[0].why.contains("in 10 days"), "{}", fired[0].why);
    let store = with_rule("sync-failing").await;
    assert!(fire_with(&store, "sync-failing", vec![], &expiring(30))
        .await
        .is_empty());
}
