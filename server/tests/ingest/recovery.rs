//! A sync worker process killed mid-job (SIGKILL, no chance to clean up): its job is recovered
//! once the lease lapses, completed by another worker, and the store ends equal to the source —
//! nothing lost, nothing twice.

use crate::harness::{at_wall_clock, expected_ids, small_config, start, Harness, DEPLOYMENT};
use base64::Engine;
use ingest::identity::IdentityResolver;
use ingest::Syncer;
use server::background::Background;
use simulator::Faults;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use store::crypto::KeyRing;

const KEY: [u8; 32] = [7u8; 32];

/// `atlaslens sync --connector stream --wait` against the harness's store and simulator, with a
/// 3 s job lease; its log goes to `dir/sync.log`.
fn sync_and_wait(h: &Harness, dir: &Path, stream: &str) -> Command {
    let config = dir.join("deployments.toml");
    let sim = h.sim.config().clone();
    std::fs::write(
        &config,
        server::demo::deployments_toml(&h.sim.base_url(), &sim, DEPLOYMENT, 15, 2),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_atlaslens"));
    command
        .args(["sync", "--connector", stream, "--wait"])
        .env("MONGODB_URI", testkit::server_uri())
        .env("ATLASLENS_DB_NAME", h.store.db.name())
        .env("ATLASLENS_DATA_DIR", dir)
        .env("ATLASLENS_CONFIG", &config)
        .env(
            "ATLASLENS_ENCRYPTION_KEY",
            base64::engine::general_purpose::STANDARD.encode(KEY),
        )
        .env("ATLASLENS_JOB_LEASE_SECONDS", "3")
        .env("SIMULATOR_ORG_API_KEY", &sim.org_api_key)
        .env("SIMULATOR_SITE_API_TOKEN", &sim.sites[0].api_token)
        .env("SIMULATOR_BITBUCKET_API_TOKEN", &sim.bitbucket.api_token)
        .stderr(std::fs::File::create(dir.join("sync.log")).unwrap());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_whose_worker_process_is_killed_is_recovered_and_completed_once() {
    // Enough records for several pages and batches, and slow responses, keep the child busy long
    // enough to be killed mid-run.
    // The killed child and the worker here sync up to the wall clock, so the data ends there.
    let h = start(at_wall_clock(simulator::SimConfig {
        events_per_day: 4000,
        ..small_config(
            77,
            Faults {
                slow_ms: 400,
                ..Faults::default()
            },
        )
    }))
    .await;
    let jobs = jobs::JobStore::new(&h.store.db);
    jobs.setup().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stream = format!("{DEPLOYMENT}/org/audit");
    // Every record that occurred before now is visible now; later ones may or may not be synced.
    let settled = h.sim.now();

    let mut child = sync_and_wait(&h, dir.path(), &stream)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the child's worker is running the job and has stored part of the window.
    let events = h.store.db.collection::<bson::Document>("events");
    let job_id = loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the sync ended ({status}) before it could be killed:\n{}",
                std::fs::read_to_string(dir.path().join("sync.log")).unwrap_or_default()
            );
        }
        let mut filter = jobs::JobFilter::queue(ingest::queue::QUEUE);
        filter.status = Some(jobs::JobStatus::Running);
        let running = jobs.list(&filter).await.unwrap();
        let stored = events.count_documents(bson::doc! {}).await.unwrap();
        if let (Some(job), true) = (running.first(), stored >= 1000) {
            break job.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = events.count_documents(bson::doc! {}).await.unwrap();

    // Another worker (this process) takes the job over once the lease lapses.
    let syncer = Syncer::new(
        h.store.clone(),
        IdentityResolver::new(
            h.store.identities.clone(),
            Arc::new(KeyRing::new(&KEY, &[])),
        ),
        h.deployments.clone(),
    );
    let background = Background::start(
        &h.store,
        &jobs,
        syncer,
        h.deployments.clone(),
        services::AppState::new(
            h.store.clone(),
            h.deployments.clone(),
            Arc::new(KeyRing::new(&KEY, &[])),
            Duration::ZERO,
        )
        .notifier,
        Duration::from_secs(3),
        false,
    );
    let done = jobs
        .wait_terminal(&job_id, Duration::from_secs(120))
        .await
        .unwrap();
    background.stop().await;
    assert_eq!(done.status, jobs::JobStatus::Done, "{done:?}");
    assert!(
        done.runs.len() >= 2,
        "the lost attempt is on record: {:?}",
        done.runs
    );
    assert_ne!(
        done.runs.first().and_then(|r| r.worker.clone()),
        done.runs.last().and_then(|r| r.worker.clone()),
        "a different worker completed it"
    );

    // The store equals the source for that stream: every record, once.
    let state = h.store.sync_state.get(&stream).await.unwrap().unwrap();
    let run = state.last_run.unwrap();
    let range = (run.window_from, settled);
    let expected = expected_ids(&h.manifest(range))
        .remove("org/audit")
        .unwrap();
    let stored = h
        .stored_ids(range)
        .await
        .remove("org/audit")
        .unwrap_or_default();
    assert!(
        partial < expected.len() as u64,
        "the child was killed too late to prove anything"
    );
    assert_eq!(stored, expected);
    assert!(run.counters.duplicates >= partial, "{run:?}");
}

/// The kill loop's last step failed: after `serve` had been killed 20 times, `atlaslens sync
/// --all --wait` joined the jobs already queued for three streams, whose attempts had all been
/// spent on killed workers; they ended failed and so did the command, though the sync asked for
/// never ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waited_sync_that_joins_a_job_whose_attempts_were_spent_on_killed_workers_runs_anew() {
    let h = start(at_wall_clock(small_config(78, Faults::default()))).await;
    let jobs = jobs::JobStore::new(&h.store.db);
    jobs.setup().await.unwrap();
    let stream = format!("{DEPLOYMENT}/org/audit");
    let key: domain::StreamKey = stream.parse().unwrap();
    let spent = ingest::queue::enqueue(&jobs, &key, ingest::queue::Trigger::Schedule)
        .await
        .unwrap();
    // As its fourth and last attempt's worker left it when killed a moment ago: running, the
    // lease about to lapse.
    let now_ms = bson::DateTime::now().timestamp_millis();
    let (started, lapses) = (
        bson::DateTime::from_millis(now_ms - 10_000),
        bson::DateTime::from_millis(now_ms + 2_000),
    );
    h.store
        .db
        .collection::<bson::Document>(jobs::JOBS)
        .update_one(
            bson::doc! { "_id": spent.id() },
            bson::doc! { "$set": {
                "status": "Running", "attempts": 4_i64, "lock_by": "sync-killed-0",
                "lock_at": started, "started_at": started, "lease_until": lapses,
            }, "$unset": { "available_at": "" } },
        )
        .await
        .unwrap();
    let settled = h.sim.now();

    let dir = tempfile::tempdir().unwrap();
    let out = sync_and_wait(&h, dir.path(), &stream).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = std::fs::read_to_string(dir.path().join("sync.log")).unwrap_or_default();
    assert!(out.status.success(), "{stdout}\n{log}");
    assert!(
        stdout.contains(&format!("the sync already queued (job {})", spent.id()))
            && stdout.contains("running a new one")
            && stdout.trim_end().ends_with(&format!("{stream}: done")),
        "joined {}:\n{stdout}\n{log}",
        spent.id()
    );
    let spent = jobs.get(spent.id()).await.unwrap().unwrap();
    assert_eq!(spent.status, jobs::JobStatus::Failed, "{spent:?}");

    let state = h.store.sync_state.get(&stream).await.unwrap().unwrap();
    let range = (state.last_run.unwrap().window_from, settled);
    let expected = expected_ids(&h.manifest(range))
        .remove("org/audit")
        .unwrap();
    assert!(!expected.is_empty());
    let stored = h
        .stored_ids(range)
        .await
        .remove("org/audit")
        .unwrap_or_default();
    assert_eq!(stored, expected);
}
