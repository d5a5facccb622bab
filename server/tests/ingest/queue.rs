//! Syncs run as jobs: queued, run by workers, recorded; a failing source fails its own job and
//! stream only.

use crate::harness::{at_wall_clock, small_config, start, DEPLOYMENT};
use connectors::deployments::Deployments;
use domain::StreamKey;
use ingest::identity::IdentityResolver;
use ingest::{queue, Syncer};
use server::background::Background;
use simulator::Faults;
use std::sync::Arc;
use std::time::Duration;
use store::crypto::KeyRing;

#[tokio::test]
async fn a_queued_sync_runs_to_done_and_a_refused_credential_fails_only_its_stream() {
    // The queue's workers sync up to the wall clock.
    let h = start(at_wall_clock(small_config(5, Faults::default()))).await;
    let jobs = jobs::JobStore::new(&h.store.db);
    jobs.setup().await.unwrap();

    // The site token is wrong; the organization key is right.
    let sim = h.sim.config().clone();
    let good = server::demo::simulator_credentials(&sim);
    let deployments = Arc::new(
        Deployments::parse(
            &server::demo::deployments_toml(&h.sim.base_url(), &sim, DEPLOYMENT, 15, 2),
            |name| match name {
                "SIMULATOR_SITE_API_TOKEN" => Some("wrong".to_owned()),
                other => good(other),
            },
        )
        .unwrap(),
    );
    let syncer = Syncer::new(
        h.store.clone(),
        IdentityResolver::new(
            h.store.identities.clone(),
            Arc::new(KeyRing::new(&[9u8; 32], &[])),
        ),
        deployments.clone(),
    );
    let background = Background::start(
        &h.store,
        &jobs,
        syncer,
        deployments.clone(),
        services::AppState::new(
            h.store.clone(),
            deployments,
            Arc::new(KeyRing::new(&[9u8; 32], &[])),
            Duration::ZERO,
        )
        .notifier,
        Duration::from_secs(5),
        false,
    );

    let org: StreamKey = format!("{DEPLOYMENT}/org/audit").parse().unwrap();
    let jira: StreamKey = format!("{DEPLOYMENT}/jira/audit").parse().unwrap();
    let org_job = queue::enqueue(&jobs, &org, queue::Trigger::Cli)
        .await
        .unwrap();
    // A second request while the first is queued joins it.
    assert_eq!(
        queue::enqueue(&jobs, &org, queue::Trigger::Cli)
            .await
            .unwrap()
            .id(),
        org_job.id()
    );
    let jira_job = queue::enqueue(&jobs, &jira, queue::Trigger::Cli)
        .await
        .unwrap();

    let done = jobs
        .wait_terminal(org_job.id(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done.status, jobs::JobStatus::Done, "{done:?}");
    let state = h
        .store
        .sync_state
        .get(&org.to_string())
        .await
        .unwrap()
        .unwrap();
    assert!(state.last_run.unwrap().counters.inserted > 0);
    assert!(state.cursor.is_some());

    let failed = jobs
        .wait_terminal(jira_job.id(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(failed.status, jobs::JobStatus::Failed, "{failed:?}");
    assert!(
        failed.last_error.as_deref().unwrap_or("").contains("401"),
        "{failed:?}"
    );
    // Refused credentials are not retried: an operator must fix them.
    assert_eq!(failed.attempts, 1, "{failed:?}");
    let state = h
        .store
        .sync_state
        .get(&jira.to_string())
        .await
        .unwrap()
        .unwrap();
    assert!(state.last_error.unwrap().contains("401"));
    assert!(
        state.cursor.is_none(),
        "the cursor of a failed stream must not move"
    );

    background.stop().await;
}
