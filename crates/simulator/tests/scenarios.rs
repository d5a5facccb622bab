//! The detection scenarios end to end: what each writes is fetched by the real connectors and
//! normalised by the pipeline into the operation its detection reads; every situation is seeded
//! into the data; the ordinary data trips none of the detections' thresholds; and the two
//! switches silence a stream and make one product refuse credentials.

mod common;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use common::{at, connectors, small_config, start, window_until_now, Collect, ANCHOR};
use connectors::{ConnectorError, Window};
use domain::{Event, Operation, Pipeline, Product};
use serde_json::Value;
use simulator::{RunningSimulator, SimConfig, SituationReport};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Every record of `window` from every connector, normalised (rejects left out).
async fn events(sim: &RunningSimulator, window: Window) -> Vec<Event> {
    let deployment = domain::DeploymentId::parse("acme").unwrap();
    let mut out = Vec::new();
    for connector in connectors(sim, TIMEOUT) {
        let mut sink = Collect::default();
        connector.fetch(window, &mut sink).await.unwrap();
        out.extend(
            sink.records
                .iter()
                .filter_map(|r| pipeline::normalize(&deployment, r, sim.now()).ok())
                .map(|n| n.event),
        );
    }
    out
}

fn by_id(events: &[Event]) -> BTreeMap<String, &Event> {
    events
        .iter()
        .map(|e| (e.id.as_str().to_owned(), e))
        .collect()
}

/// The event id of each record of `situation`.
fn ids(situation: &SituationReport) -> Vec<String> {
    situation
        .records
        .iter()
        .map(|r| format!("acme:{}:{}", r.product, r.source_id))
        .collect()
}

/// The operations each scenario's records must become, in record order (`None`: any length,
/// all of this one operation).
fn expected(scenario: &str) -> Vec<Operation> {
    use Operation::*;
    match scenario {
        "admin-granted" => vec![AdminGranted, AdminGranted],
        "impersonation" => vec![UserImpersonated],
        "mfa-disabled" => vec![MfaDisabled],
        "auth-policy-changed" => vec![AuthPolicyChanged],
        "api-key-created" => vec![ApiKeyCreated],
        "api-token-created" => vec![ApiTokenCreated],
        "permission-changed" => vec![PermissionChanged; 3],
        "audit-settings-changed" => vec![AuditSettingsChanged; 2],
        "public-access" => vec![PublicAccessEnabled],
        "privileged-group" => vec![UserAddedToGroup; 2],
        "brute-force" => vec![LoginFailed; 8],
        "brute-force-ip" => vec![LoginFailed; 12],
        "mass-deletion" => vec![ContentDeleted; 25],
        "mass-export" => vec![ContentExported; 6],
        "new-ip" | "new-country" => vec![Login],
        "unusual-volume" => std::iter::once(PageCreated)
            .chain(std::iter::repeat_n(PageUpdated, 149))
            .collect(),
        other => panic!("no expectation for {other}"),
    }
}

/// Checks that every record of `situation` was fetched and became the scenario's operation, and
/// what else the scenario promises of them.
fn check(situation: &SituationReport, events: &[Event]) {
    let name = situation.scenario.as_str();
    let found = by_id(events);
    let got: Vec<&Event> = ids(situation)
        .iter()
        .map(|id| {
            *found
                .get(id)
                .unwrap_or_else(|| panic!("{name}: {id} was not fetched"))
        })
        .collect();
    let ops: Vec<Operation> = got.iter().map(|e| e.operation).collect();
    assert_eq!(ops, expected(name), "{name}");
    let person = &situation.people[0].account_id;
    for (e, r) in got.iter().zip(&situation.records) {
        assert_eq!(e.actor_raw.as_deref(), Some(r.actor.as_str()), "{name}");
        assert_eq!(e.occurred_at, r.at, "{name}");
    }
    let span = |es: &[&Event]| es.last().unwrap().occurred_at - es[0].occurred_at;
    match name {
        "admin-granted" | "privileged-group" => {
            // Jira and the organization name the account by id, Confluence by display name.
            let display = &situation.people[0].name;
            for e in &got {
                let acted_on = serde_json::to_string(&e.raw).unwrap();
                assert!(
                    acted_on.contains(person.as_str()) || acted_on.contains(display.as_str()),
                    "{name}: about {person}"
                );
            }
            if name == "privileged-group" {
                for e in &got {
                    let group = serde_json::to_string(&e.raw).unwrap();
                    assert!(
                        group.contains("jira-admins-eu")
                            || group.contains("confluence-admins-emea"),
                        "{name}"
                    );
                }
            }
        }
        "brute-force" => {
            assert!(got.iter().all(|e| e.actor_raw.as_deref() == Some(person)));
            let ips: BTreeSet<_> = got.iter().map(|e| e.source_ip).collect();
            assert_eq!(ips.len(), 1, "{name}: one address");
            assert!(span(&got) < ChronoDuration::minutes(5));
        }
        "brute-force-ip" => {
            let who: BTreeSet<_> = got.iter().map(|e| e.actor_raw.clone()).collect();
            assert_eq!(who.len(), 6, "{name}: six people");
            let ips: BTreeSet<_> = got.iter().map(|e| e.source_ip).collect();
            assert_eq!(ips.len(), 1, "{name}: one address");
            assert!(span(&got) < ChronoDuration::minutes(5));
        }
        "mass-deletion" | "mass-export" => {
            assert!(got.iter().all(|e| e.actor_raw.as_deref() == Some(person)));
            assert!(span(&got) < ChronoDuration::minutes(30));
        }
        "unusual-volume" => {
            assert!(got.iter().all(|e| e.actor_raw.as_deref() == Some(person)));
            assert!(span(&got) < ChronoDuration::days(1));
        }
        "new-ip" | "new-country" => {
            let e = got[0];
            let before: Vec<&Event> = events
                .iter()
                .filter(|o| o.actor_raw == e.actor_raw && o.occurred_at < e.occurred_at)
                .collect();
            assert!(!before.is_empty(), "{name}: the person has a history");
            let ip = e.source_ip.expect("an address");
            assert!(
                before.iter().all(|o| o.source_ip != Some(ip)),
                "{name}: {ip} was never used by the person before"
            );
            let country = e.country.clone().expect("a country");
            let seen = before
                .iter()
                .any(|o| o.country.as_deref() == Some(&country));
            assert_eq!(
                seen,
                name == "new-ip",
                "{name}: {country} is {}new for the person",
                if name == "new-ip" { "not " } else { "" }
            );
        }
        _ => {}
    }
}

/// A configuration the size of the demo's (the default one) at a fixed anchor.
fn demo_config() -> SimConfig {
    SimConfig {
        anchor: at(ANCHOR),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_situation_is_seeded_twice_and_becomes_the_operations_its_detection_reads() {
    let sim = start(demo_config()).await;
    let situations = sim.situations();
    let names: BTreeSet<&str> = situations.iter().map(|s| s.scenario.as_str()).collect();
    assert_eq!(
        names.len(),
        17,
        "every scenario that writes records: {names:?}"
    );
    for name in &names {
        assert_eq!(
            situations
                .iter()
                .filter(|s| s.scenario == *name && s.seeded)
                .count(),
            2,
            "{name}"
        );
    }
    let window = window_until_now(&sim);
    let events = events(&sim, window).await;
    for s in &situations {
        assert!(s
            .records
            .iter()
            .all(|r| r.at >= window.from && r.at < window.to));
        check(s, &events);
    }
    sim.stop().await;
}

/// The most events of `events` (by time) within any `width` window.
fn densest(times: &mut [DateTime<Utc>], width: ChronoDuration) -> usize {
    times.sort_unstable();
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= width {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

/// Per key, the most events within any `width` window.
fn worst_by<K: Ord>(
    events: &[&Event],
    key: impl Fn(&Event) -> Option<K>,
    width: ChronoDuration,
) -> usize {
    let mut groups: BTreeMap<K, Vec<DateTime<Utc>>> = BTreeMap::new();
    for e in events {
        if let Some(k) = key(e) {
            groups.entry(k).or_default().push(e.occurred_at);
        }
    }
    groups
        .values_mut()
        .map(|t| densest(t, width))
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ordinary_data_trips_no_detection_threshold() {
    for config in [demo_config(), small_config(7)] {
        let sim = start(config).await;
        let seeded: BTreeSet<String> = sim.situations().iter().flat_map(ids).collect();
        let all = events(&sim, window_until_now(&sim)).await;
        let ordinary: Vec<&Event> = all
            .iter()
            .filter(|e| !seeded.contains(e.id.as_str()))
            .collect();
        let of = |ops: &[Operation]| -> Vec<&Event> {
            ordinary
                .iter()
                .copied()
                .filter(|e| ops.contains(&e.operation))
                .collect()
        };
        let actor = |e: &Event| e.actor_raw.clone();
        let failed = of(&[Operation::LoginFailed]);
        assert!(!failed.is_empty(), "the ordinary data has failed sign-ins");
        assert!(
            worst_by(&failed, actor, ChronoDuration::minutes(10)) < 5,
            "5 failed sign-ins by one person in 10 minutes"
        );
        let mut by_ip: BTreeMap<IpAddr, Vec<&Event>> = BTreeMap::new();
        for e in &failed {
            if let Some(ip) = e.source_ip {
                by_ip.entry(ip).or_default().push(e);
            }
        }
        for (ip, es) in &by_ip {
            let people: BTreeSet<_> = es.iter().map(|e| e.actor_raw.clone()).collect();
            assert!(
                people.len() < 6 && es.len() < 12,
                "{ip}: a spray from one address"
            );
        }
        let exports = of(&[Operation::ContentExported]);
        assert!(
            worst_by(&exports, actor, ChronoDuration::hours(1)) < 5,
            "5 exports by one person in an hour"
        );
        let deletions = of(&[Operation::ContentDeleted]);
        assert!(
            !deletions.is_empty(),
            "the ordinary data deletes now and then"
        );
        assert!(
            worst_by(&deletions, actor, ChronoDuration::hours(1)) < 20,
            "20 deletions by one person in an hour"
        );
        let content: Vec<&Event> = ordinary
            .iter()
            .copied()
            .filter(|e| e.pipeline == Pipeline::Activity)
            .collect();
        let busiest_day = worst_by(
            &content,
            |e| Some((e.actor_raw.clone(), e.occurred_at.date_naive())),
            ChronoDuration::days(1),
        );
        assert!(
            busiest_day < 30,
            "someone's ordinary day has {busiest_day} content actions"
        );
        // A baseline of ten times the median day and at least 50 events: nobody's ordinary day
        // has 50 events of any kind.
        let busiest_any = worst_by(
            &ordinary,
            |e| Some((e.actor_raw.clone(), e.occurred_at.date_naive())),
            ChronoDuration::days(1),
        );
        assert!(
            busiest_any < 50,
            "someone's ordinary day has {busiest_any} events"
        );
        // Privileged groups are the scenario's alone.
        for e in of(&[Operation::UserAddedToGroup]) {
            let raw = serde_json::to_string(&e.raw).unwrap();
            assert!(!raw.contains("admins-eu") && !raw.contains("admins-emea"));
        }
        // Each person signs in from their own addresses, all in one country.
        let mut places: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for e in ordinary.iter().filter(|e| e.product == Product::Org) {
            let country = e
                .country
                .clone()
                .expect("every organization event has a country");
            places
                .entry(e.actor_raw.clone().unwrap())
                .or_default()
                .insert(country);
        }
        assert!(!places.is_empty());
        for (who, countries) in &places {
            assert_eq!(countries.len(), 1, "{who} signs in from {countries:?}");
        }
        sim.stop().await;
    }
}

async fn post(sim: &RunningSimulator, path_and_query: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/scenario/{path_and_query}", sim.base_url()))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_added_on_demand_is_fetched_by_the_next_sync_as_its_operations() {
    let sim = start(small_config(11)).await;
    let listed: Value = reqwest::get(format!("{}/_sim/scenario", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<String> = listed["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 17);
    let switches: Vec<&str> = listed["switches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(switches, ["silent-source", "refused-credentials"]);
    let seeded = listed["situations"].as_array().unwrap().len();
    assert_eq!(seeded, 34, "two of each, seeded");

    let before = sim.now();
    let someone = sim.situations()[0].people[0].email.clone();
    let mut added = Vec::new();
    for (k, name) in names.iter().enumerate() {
        // Every other scenario about a named person, by e-mail; the rest about their default.
        let query = if k % 2 == 0 {
            format!("{name}?person={}", someone.replace('+', "%2B"))
        } else {
            name.clone()
        };
        let (status, body) = post(&sim, &query).await;
        assert_eq!(status, 200, "{name}: {body}");
        let report: SituationReport = serde_json::from_value(body).unwrap();
        assert_eq!(report.scenario, *name);
        assert!(!report.seeded);
        if k % 2 == 0 {
            assert_eq!(report.people[0].email, someone, "{name}");
        }
        let last = report.records.iter().map(|r| r.at).max().unwrap();
        assert!(
            before <= last && last <= sim.now(),
            "{name}: the last record is at the simulated now"
        );
        added.push(report);
    }
    // The next sync: up to a moment after now.
    let window = Window {
        from: window_until_now(&sim).from,
        to: sim.now() + ChronoDuration::seconds(1),
    };
    let events = events(&sim, window).await;
    for report in &added {
        check(report, &events);
    }

    // At a chosen time in the past.
    let when = before - ChronoDuration::hours(30);
    let (status, body) = post(
        &sim,
        &format!("new-country?at={}", when.to_rfc3339().replace('+', "%2B")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let report: SituationReport = serde_json::from_value(body).unwrap();
    assert_eq!(report.records[0].at, when);
    let (status, _) = post(&sim, "no-such-scenario").await;
    assert_eq!(status, 404);
    let (status, body) = post(&sim, "brute-force?person=nobody@nowhere.example").await;
    assert_eq!(status, 400, "{body}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silenced_stream_serves_nothing_new_until_it_is_switched_back_on() {
    let sim = start(small_config(12)).await;
    let (status, body) = post(&sim, "silent-source?stream=confluence-audit").await;
    assert_eq!(
        (status, body["stream"].as_str()),
        (200, Some("confluence-audit"))
    );
    // Later than the whole burst (28 minutes) reaches back.
    sim.advance_clock(ChronoDuration::hours(1));
    let deletion = sim.add_scenario("mass-deletion", None, None).unwrap();
    let window = Window {
        from: sim.now() - ChronoDuration::hours(2),
        to: sim.now() + ChronoDuration::seconds(1),
    };
    let fetched: BTreeSet<String> = events(&sim, window)
        .await
        .iter()
        .map(|e| e.id.as_str().to_owned())
        .collect();
    for (id, r) in ids(&deletion).iter().zip(&deletion.records) {
        assert_eq!(
            fetched.contains(id),
            r.stream != "confluence-audit",
            "{id} ({})",
            r.stream
        );
    }
    common::reconcile(&sim, window_until_now(&sim), TIMEOUT).await;

    let (status, body) = post(&sim, "silent-source?stream=confluence-audit&off=true").await;
    assert_eq!((status, &body["silent_since"]), (200, &Value::Null));
    let fetched: BTreeSet<String> = events(&sim, window)
        .await
        .iter()
        .map(|e| e.id.as_str().to_owned())
        .collect();
    assert!(ids(&deletion).iter().all(|id| fetched.contains(id)));
    let (status, _) = post(&sim, "silent-source?stream=jira").await;
    assert_eq!(status, 400);
    sim.stop().await;
}

#[tokio::test]
async fn a_product_switched_to_refuse_credentials_fails_its_sync_with_401_or_403() {
    let sim = start(small_config(13)).await;
    let window = window_until_now(&sim);
    let fetch = |product: Product, pipeline: Pipeline| {
        let connector = connectors(&sim, TIMEOUT)
            .into_iter()
            .find(|c| c.product() == product && c.pipeline() == pipeline)
            .unwrap();
        async move {
            let mut sink = Collect::default();
            connector.fetch(window, &mut sink).await.map(|_| ())
        }
    };
    let (status, _) = post(&sim, "refused-credentials?product=jira&status=403").await;
    assert_eq!(status, 200);
    assert!(matches!(
        fetch(Product::Jira, Pipeline::Audit).await,
        Err(ConnectorError::Forbidden { .. })
    ));
    fetch(Product::Confluence, Pipeline::Audit)
        .await
        .expect("the other products still serve");

    post(&sim, "refused-credentials?product=jira&status=401").await;
    assert!(matches!(
        fetch(Product::Jira, Pipeline::Activity).await,
        Err(ConnectorError::Unauthorized { .. })
    ));
    post(&sim, "refused-credentials?product=org").await;
    assert!(matches!(
        fetch(Product::Org, Pipeline::Audit).await,
        Err(ConnectorError::Unauthorized { .. })
    ));

    post(&sim, "refused-credentials?product=jira&off=true").await;
    post(&sim, "refused-credentials?product=org&off=true").await;
    fetch(Product::Jira, Pipeline::Audit).await.unwrap();
    fetch(Product::Org, Pipeline::Audit).await.unwrap();
    let (status, _) = post(&sim, "refused-credentials?product=jira&status=500").await;
    assert_eq!(status, 400);
    sim.stop().await;
}
