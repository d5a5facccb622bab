//! `atlaslens serve` killed (SIGKILL, no chance to clean up) in the middle of a rules pass, and
//! again in the middle of its deliveries, then started once more: every alert exists exactly once
//! with each of its events counted once, and every alert reaches the webhook at least once, all
//! its attempts carrying one idempotency key.

use base64::Engine;
use chrono::{Duration as Span, Utc};
use delivery::{Destination, UrlPolicy};
use domain::{
    Category, Dedup, Event, Exclusions, Operation, PersonId, Product, RuleId, RuleKind, RuleSpec,
    Severity,
};
use notify::configure::{add, DestinationForm};
use secrecy::SecretString;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store::alerts::AlertFilter;
use store::crypto::KeyRing;
use store::Store;
use testkit::receivers::{WebhookReceiver, TEST_WEBHOOK_SECRET};

const KEY: [u8; 32] = [9u8; 32];
/// People granted admin rights, one event each: one alert each.
const GRANTS: u32 = 1_200;
/// Other events, so that a pass reads many batches and lasts long enough to be killed in.
const FILLER: u32 = 40_000;

/// `atlaslens serve` on the test's database, with no deployments, a 3 s job lease, and loopback
/// destinations allowed; its log goes to `dir/serve-<round>.log`.
fn serve(store: &Store, dir: &Path, round: u32) -> Child {
    Command::new(env!("CARGO_BIN_EXE_atlaslens"))
        .arg("serve")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env_remove("ATLASLENS_CONFIG")
        .env("MONGODB_URI", testkit::server_uri())
        .env("ATLASLENS_DB_NAME", store.db.name())
        .env("ATLASLENS_DATA_DIR", dir)
        .env("ATLASLENS_BIND", "127.0.0.1:0")
        .env(
            "ATLASLENS_ENCRYPTION_KEY",
            base64::engine::general_purpose::STANDARD.encode(KEY),
        )
        .env("ATLASLENS_JOB_LEASE_SECONDS", "3")
        .env("ATLASLENS_ALLOW_PRIVATE_DESTINATIONS", "1")
        .env("ATLASLENS_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("serve-{round}.log"))).unwrap())
        .spawn()
        .unwrap()
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Polls `probe` until it says stop, failing with the child's log after `within`.
async fn until<F, Fut>(what: &str, dir: &Path, round: u32, within: Duration, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !probe().await {
        assert!(
            started.elapsed() < within,
            "timed out waiting for {what}:\n{}",
            std::fs::read_to_string(dir.join(format!("serve-{round}.log"))).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn events() -> Vec<Event> {
    let now = Utc::now();
    let at = |i: u32| now - Span::hours(2) + Span::milliseconds(i64::from(i) * 50);
    let grants = (0..GRANTS).map(|i| Event {
        operation: Operation::AdminGranted,
        category: Category::Security,
        actor_id: Some(PersonId::parse(&format!("person:g{i:05}")).unwrap()),
        ingested_at: now - Span::minutes(1),
        ..testkit::event("acme", Product::Org, &format!("grant-{i}"), at(i * 30))
    });
    let filler = (0..FILLER).map(|i| Event {
        operation: Operation::Login,
        actor_id: Some(PersonId::parse(&format!("person:f{:03}", i % 300)).unwrap()),
        ingested_at: now - Span::minutes(1),
        ..testkit::event("acme", Product::Confluence, &format!("view-{i}"), at(i))
    });
    grants.chain(filler).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_and_deliveries_survive_a_process_killed_mid_pass_and_mid_delivery() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    store.upgrade().await.unwrap();
    jobs::JobStore::new(&store.db).setup().await.unwrap();
    for chunk in events().chunks(5_000) {
        store.events.insert_new(chunk).await.unwrap();
    }
    let webhook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    let keys = KeyRing::new(&KEY, &[]);
    add(
        &store,
        &keys,
        DestinationForm {
            id: "siem".into(),
            name: "SIEM".into(),
            destination: Destination::Webhook {
                url: webhook.url(),
                secret: SecretString::from(TEST_WEBHOOK_SECRET.to_owned()),
            },
            default_min_severity: None,
            incident_events: false,
        },
        UrlPolicy::allow_private(),
        "test",
        Utc::now(),
    )
    .await
    .unwrap();
    let rule = RuleId::parse("grants").unwrap();
    let spec = RuleSpec {
        name: "Administrator rights granted".into(),
        description: String::new(),
        severity: Severity::High,
        filter: "operation=admin_granted".into(),
        kind: RuleKind::Match,
        dedup: Dedup {
            key: "{person}".into(),
            period_minutes: 60,
        },
        exclusions: Exclusions::default(),
        destinations: vec!["siem".into()],
        enabled: true,
        snoozed_until: None,
        correlation: Default::default(),
    };
    store
        .rules
        .create(&rule, &spec, "test", Utc::now())
        .await
        .unwrap();
    // Evaluated from the first stored event, as on a new installation.
    store.rules.start(&rule, None, Utc::now()).await.unwrap();
    let alerts = store.db.collection::<bson::Document>("alerts");
    let count_alerts = || {
        let alerts = alerts.clone();
        async move { alerts.count_documents(bson::doc! {}).await.unwrap() }
    };
    let dir = tempfile::tempdir().unwrap();
    let limit = Duration::from_secs(180);

    // Round 1: killed while its pass has recorded some alerts but not all.
    let child = serve(&store, dir.path(), 1);
    until("part of the pass", dir.path(), 1, limit, || async {
        count_alerts().await > 0
    })
    .await;
    let mid_pass = count_alerts().await;
    kill(child);
    assert!(
        mid_pass < u64::from(GRANTS),
        "the kill landed mid-pass ({mid_pass} of {GRANTS} alerts recorded)"
    );
    assert!(webhook.received().is_empty(), "nothing was sent mid-pass");

    // Round 2: the pass is taken over once the lease lapses; killed mid-delivery.
    let child = serve(&store, dir.path(), 2);
    until("part of the deliveries", dir.path(), 2, limit, || async {
        !webhook.deliveries().is_empty()
    })
    .await;
    kill(child);
    let mid_delivery: BTreeSet<String> = webhook.deliveries().into_iter().map(|d| d.id).collect();
    assert!(
        mid_delivery.len() < GRANTS as usize,
        "the kill landed mid-delivery ({} of {GRANTS} sent)",
        mid_delivery.len()
    );

    // Round 3: everything left is finished.
    let child = serve(&store, dir.path(), 3);
    // (A delivery whose queue key the kill left held by a job never stored waits for that lock to
    // go stale, a minute, and is queued by a later pass.)
    until("every delivery", dir.path(), 3, limit, || async {
        let sent: BTreeSet<String> = webhook.deliveries().into_iter().map(|d| d.id).collect();
        sent.len() >= GRANTS as usize
    })
    .await;
    kill(child);

    // Exactly one alert per grant, each event counted once.
    let all = store
        .alerts
        .list(&AlertFilter::default(), i64::from(GRANTS) * 2)
        .await
        .unwrap();
    assert_eq!(all.len(), GRANTS as usize);
    let twice: Vec<_> = all
        .iter()
        .filter(|a| a.count != 1)
        .map(|a| (&a.id, a.count, &a.first_events))
        .take(3)
        .collect();
    assert!(twice.is_empty(), "an event counted twice: {twice:?}");
    let people: BTreeSet<String> = all.iter().map(|a| a.dedup_key.clone()).collect();
    assert_eq!(people.len(), GRANTS as usize);

    // Every alert delivered at least once, every attempt signed, one id per alert.
    let known: BTreeSet<String> = all.iter().map(|a| a.id.clone()).collect();
    let mut ids_per_alert: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in webhook.deliveries() {
        assert!(d.verified, "a delivery the receiver could not verify");
        let body: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
        let alert = body["data"]["id"].as_str().unwrap_or_default().to_owned();
        assert!(
            known.contains(&alert),
            "a delivery about no stored alert: {body}"
        );
        ids_per_alert.entry(alert).or_default().insert(d.id);
    }
    assert_eq!(
        ids_per_alert.len(),
        GRANTS as usize,
        "an alert was never delivered"
    );
    assert!(
        ids_per_alert.values().all(|ids| ids.len() == 1),
        "an alert delivered under two idempotency keys"
    );
    let stored = store
        .db
        .collection::<bson::Document>("deliveries")
        .count_documents(bson::doc! {})
        .await
        .unwrap();
    assert_eq!(stored, u64::from(GRANTS), "one delivery record per alert");
}
