//! Atlassian's audit-log webhook and polling together: the simulator pushes its organization
//! events to the real router as the webhook does, then the organization stream is polled — the
//! pushed events are found again as duplicates (same event id), and nothing is stored twice.

use crate::harness::{small_config, start, DEPLOYMENT};
use app::ssr::AppState;
use chrono::Duration;
use domain::{Pipeline, Product, StreamKey, StreamKind};
use server::startup::{leptos_options, Application};
use services::auth::Authenticator;
use simulator::Faults;
use std::sync::Arc;
use store::crypto::KeyRing;

#[tokio::test]
async fn polling_after_the_webhook_stores_each_organization_event_once() {
    let h = start(small_config(41, Faults::default())).await;
    let keys = Arc::new(KeyRing::new(&[7u8; 32], &[]));
    let state = AppState::new(
        h.store.clone(),
        h.deployments.clone(),
        keys.clone(),
        std::time::Duration::ZERO,
    );
    let mut settings = services::Settings::from_lookup(|_| None).unwrap();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    let options = leptos_options(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let app = Application::build(
        &settings,
        options,
        state,
        Authenticator::new(&h.store, keys.clone()),
    )
    .await
    .unwrap();
    let url = format!(
        "http://{}/api/ingest/atlassian/{DEPLOYMENT}",
        app.local_addr().unwrap()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let authorization = "Bearer sim-webhook-secret";
    h.store
        .webhook_secrets
        .set(&keys, DEPLOYMENT, authorization, "test", chrono::Utc::now())
        .await
        .unwrap();

    let now = h.sim.now();
    let pushed: Vec<_> = h
        .sim
        .webhook_events(now - Duration::hours(6), now)
        .into_iter()
        .take(40)
        .collect();
    assert!(
        pushed.len() >= 10,
        "the simulator has organization events to push: {}",
        pushed.len()
    );
    let statuses = h
        .sim
        .send_webhook(&url, Some(authorization), &pushed)
        .await
        .unwrap();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let refused = h
        .sim
        .send_webhook(&url, Some("Bearer wrong"), &pushed[..1])
        .await
        .unwrap();
    assert_eq!(refused, [401]);
    let test = h.sim.webhook_test_event();
    assert_eq!(
        h.sim
            .send_webhook(&url, Some(authorization), &[test])
            .await
            .unwrap(),
        [200]
    );

    let key = StreamKey {
        deployment: domain::DeploymentId::parse(DEPLOYMENT).unwrap(),
        kind: StreamKind::Events(Product::Org, Pipeline::Audit),
    };
    let report = h.syncer.run(&key, now).await.unwrap();
    assert_eq!(
        report.counters.duplicates,
        pushed.len() as u64,
        "polling finds every pushed event again: {:?}",
        report.counters
    );
    let stored = h
        .store
        .db
        .collection::<bson::Document>("events")
        .count_documents(bson::doc! { "product": "org" })
        .await
        .unwrap();
    assert_eq!(
        stored,
        report.counters.inserted + pushed.len() as u64 + 1,
        "each event once, and the test event"
    );
    let _ = stop.send(());
}
