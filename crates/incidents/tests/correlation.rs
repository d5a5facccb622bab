//! Alerts become incidents: one per person within the lookback, reopened only inside the reopen
//! window, never a closed one reopened, never twice for the same alert; and the lifecycle refuses
//! what it does not allow.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use domain::{
    Classification, CorrelateBy, Correlation, Field, IncidentState, Move, RuleId, RuleSpec,
    Severity,
};
use incidents::{apply_move, correlate_pending, IncidentError};
use store::alerts::AlertRecord;
use store::Store;

fn t0() -> DateTime<Utc> {
    "2026-03-10T03:00:00Z".parse().unwrap()
}

async fn store() -> Store {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    store
}

/// A per-person rule named `name` correlating as `correlation`.
async fn rule(store: &Store, name: &str, correlation: Correlation) -> RuleId {
    let id = RuleId::parse(name).unwrap();
    let spec = RuleSpec {
        correlation,
        ..testkit::match_rule(name, "category:security")
    };
    store.rules.create(&id, &spec, "test", t0()).await.unwrap();
    id
}

/// Records an alert of `rule` for `person` at `at`.
async fn alert(store: &Store, rule: &RuleId, person: &str, at: DateTime<Utc>, sev: Severity) {
    let record = AlertRecord {
        id: format!("{rule}:{person}:{}", at.timestamp()),
        rule_id: rule.clone(),
        rule_name: rule.to_string(),
        severity: sev,
        dedup_key: person.into(),
        group: BTreeMap::from([(Field::Person, person.to_owned())]),
        period_start: at,
        events: Vec::new(),
        seen_at: at,
        why: "test".into(),
        events_query: String::new(),
    };
    store.alerts.record(&record, at).await.unwrap();
}

/// Makes each of `moves` on incident `id` as `ana`, each allowed.
async fn make(store: &Store, id: &str, moves: &[&Move]) {
    for m in moves {
        apply_move(store, id, m, "ana", t0()).await.unwrap();
    }
}

async fn incident_of_all(store: &Store) -> Vec<String> {
    let mut ids: Vec<String> = store
        .alerts
        .list(&Default::default(), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.incident_id.expect("every alert is in an incident"))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[tokio::test]
async fn alerts_for_one_person_within_the_lookback_make_one_incident() {
    let store = store().await;
    let admin = rule(&store, "admin-granted", Correlation::default()).await;
    let export = rule(&store, "mass-export", Correlation::default()).await;
    alert(&store, &admin, "person:ana", t0(), Severity::Medium).await;
    alert(
        &store,
        &export,
        "person:ana",
        t0() + Duration::hours(2),
        Severity::High,
    )
    .await;
    alert(
        &store,
        &export,
        "person:bob",
        t0() + Duration::hours(2),
        Severity::Low,
    )
    .await;

    let report = correlate_pending(&store, t0() + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!((report.alerts, report.opened, report.joined), (3, 2, 1));
    let ids = incident_of_all(&store).await;
    assert_eq!(ids.len(), 2);
    let ana = store
        .incidents
        .list(&Default::default(), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.alerts == 2)
        .expect("Ana's two alerts share an incident");
    assert_eq!(ana.severity, Severity::High, "the highest of its alerts");
    assert_eq!(ana.state, IncidentState::Triggered);

    // Re-running changes nothing: no second incident, no alert attached twice.
    let again = correlate_pending(&store, t0() + Duration::hours(4))
        .await
        .unwrap();
    assert_eq!(again.alerts, 0);
    let ana = store.incidents.get(&ana.id).await.unwrap().unwrap();
    let attached = store
        .incidents
        .timeline(&ana)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == store::incidents::EntryKind::AlertAttached)
        .count();
    assert_eq!(attached, 2);
}

#[tokio::test]
async fn an_alert_outside_the_lookback_opens_a_second_incident() {
    let store = store().await;
    let r = rule(&store, "brute-force", Correlation::default()).await;
    alert(&store, &r, "person:ana", t0(), Severity::Medium).await;
    alert(
        &store,
        &r,
        "person:ana",
        t0() + Duration::hours(30),
        Severity::Medium,
    )
    .await;
    correlate_pending(&store, t0() + Duration::hours(31))
        .await
        .unwrap();
    assert_eq!(incident_of_all(&store).await.len(), 2);
}

#[tokio::test]
async fn a_resolved_incident_reopens_only_inside_the_reopen_window_and_a_closed_one_never() {
    let store = store().await;
    let correlation = Correlation {
        by: CorrelateBy::Person,
        lookback_hours: 1,
        reopen_hours: 48,
    };
    let r = rule(&store, "new-ip", correlation).await;
    alert(&store, &r, "person:ana", t0(), Severity::Medium).await;
    correlate_pending(&store, t0()).await.unwrap();
    let first = incident_of_all(&store).await.remove(0);
    let resolve = Move::Resolve(Classification::FalsePositive, "VPN change".into());
    make(&store, &first, &[&Move::Acknowledge, &resolve]).await;

    // Within 48 hours: the resolved incident is triggered again, and says so.
    alert(
        &store,
        &r,
        "person:ana",
        t0() + Duration::hours(5),
        Severity::Medium,
    )
    .await;
    let report = correlate_pending(&store, t0() + Duration::hours(5))
        .await
        .unwrap();
    assert_eq!(report.reopened, 1);
    let reopened = store.incidents.get(&first).await.unwrap().unwrap();
    assert_eq!(reopened.state, IncidentState::Triggered);
    assert!(reopened.resolution.is_none());
    let kinds: Vec<String> = store
        .incidents
        .timeline(&reopened)
        .await
        .unwrap()
        .iter()
        .map(|e| format!("{:?}", e.kind))
        .collect();
    assert!(kinds.iter().any(|k| k.contains("Reopened")), "{kinds:?}");

    // Closed: a later alert opens a new incident that follows the closed one.
    make(
        &store,
        &first,
        &[&Move::Acknowledge, &resolve, &Move::Close],
    )
    .await;
    alert(
        &store,
        &r,
        "person:ana",
        t0() + Duration::hours(6),
        Severity::Medium,
    )
    .await;
    correlate_pending(&store, t0() + Duration::hours(6))
        .await
        .unwrap();
    let ids = incident_of_all(&store).await;
    assert_eq!(ids.len(), 2);
    let newer = ids.iter().find(|id| **id != first).unwrap();
    let newer = store.incidents.get(newer).await.unwrap().unwrap();
    assert_eq!(newer.follows.as_deref(), Some(first.as_str()));
    assert_eq!(
        store.incidents.get(&first).await.unwrap().unwrap().state,
        IncidentState::Closed
    );
}

#[tokio::test]
async fn illegal_moves_are_refused_and_a_closed_incident_cannot_be_edited() {
    let store = store().await;
    let r = rule(&store, "impersonation", Correlation::default()).await;
    alert(&store, &r, "person:ana", t0(), Severity::High).await;
    correlate_pending(&store, t0()).await.unwrap();
    let id = incident_of_all(&store).await.remove(0);

    let close_early = apply_move(&store, &id, &Move::Close, "ana", t0()).await;
    assert!(
        matches!(close_early, Err(IncidentError::Refused(_))),
        "{close_early:?}"
    );
    let no_note = Move::Resolve(Classification::TruePositive, "  ".into());
    make(&store, &id, &[&Move::Acknowledge]).await;
    assert!(apply_move(&store, &id, &no_note, "ana", t0())
        .await
        .is_err());
    let unknown = Move::Assign("nobody".into());
    assert!(matches!(
        apply_move(&store, &id, &unknown, "ana", t0()).await,
        Err(IncidentError::UnknownUser(_))
    ));
    let resolve = Move::Resolve(Classification::TruePositive, "confirmed".into());
    make(&store, &id, &[&resolve, &Move::Close]).await;
    for m in [Move::Note("more".into()), Move::Acknowledge, resolve] {
        let r = apply_move(&store, &id, &m, "ana", t0()).await;
        assert!(matches!(r, Err(IncidentError::Refused(_))), "{m:?}: {r:?}");
    }
    // Acknowledging acknowledged its alert.
    let alerts = store.alerts.of_incident(&id).await.unwrap();
    assert!(
        alerts.iter().all(|a| a.acknowledged.is_some()),
        "{alerts:?}"
    );
}

/// A process killed part-way through correlating an alert leaves it flagged; the restarted
/// process (a new connection to the same database) attaches it to the incident already opened for
/// it, never a second one — whether it died before or after recording the alert's incident.
#[tokio::test]
async fn a_restart_between_an_alert_and_its_correlation_leaves_exactly_one_incident() {
    let store = store().await;
    let admin = rule(&store, "admin-granted", Correlation::default()).await;
    alert(&store, &admin, "person:ana", t0(), Severity::High).await;
    correlate_pending(&store, t0()).await.unwrap();
    let alerts = store.db.collection::<bson::Document>("alerts");
    // Died after opening the incident, before the alert recorded it …
    alerts
        .update_many(
            bson::doc! {},
            bson::doc! { "$set": { "correlate_pending": true }, "$unset": { "incident_id": "" } },
        )
        .await
        .unwrap();
    let restarted = Store::new(store.db.client().database(store.db.name()));
    let report = correlate_pending(&restarted, t0() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((report.alerts, report.opened, report.joined), (1, 0, 1));
    // … and after recording it, before clearing the flag.
    alerts
        .update_many(
            bson::doc! {},
            bson::doc! { "$set": { "correlate_pending": true } },
        )
        .await
        .unwrap();
    let report = correlate_pending(&restarted, t0() + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!((report.alerts, report.opened), (1, 0));

    let ids = incident_of_all(&restarted).await;
    assert_eq!(ids.len(), 1, "one incident: {ids:?}");
    let incident = restarted.incidents.get(&ids[0]).await.unwrap().unwrap();
    assert_eq!(incident.alerts, 1);
    let timeline = restarted.incidents.timeline(&incident).await.unwrap();
    let kinds: Vec<_> = timeline.iter().map(|e| e.kind).collect();
    use store::incidents::EntryKind;
    assert_eq!(
        kinds,
        [EntryKind::Opened, EntryKind::AlertAttached],
        "opened first, the alert attached once"
    );
    let all = restarted
        .incidents
        .list(&Default::default(), 10)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}
