//! Recovery of a job whose worker process died: a worker in a separate OS process (this test
//! binary re-executed in "child worker" mode) claims a long job and is SIGKILLed mid-job; a
//! second worker recovers the job once its lease has expired and completes it.

mod common;

use bson::{doc, Document};
use common::{settings, start, QUEUE};
use futures::TryStreamExt;
use jobs::{run_workers, EnqueueOptions, HandlerError, JobContext, JobStatus, JobStore};
use mongodb::Database;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Set (to `uri|database`) only in the re-executed child process.
const CHILD_ENV: &str = "JOBS_TEST_CHILD_WORKER";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Work {
    key: String,
    work_ms: u64,
}

/// Records that an attempt started, works for a while, then applies its effect idempotently
/// (an upsert by key; `applied` counts how often the effect really ran).
async fn handler(
    db: Database,
    work: Work,
    ctx: JobContext,
) -> Result<serde_json::Value, HandlerError> {
    let fail = |e: mongodb::error::Error| HandlerError::Retryable(e.to_string());
    db.collection::<Document>("attempts_started")
        .insert_one(doc! { "job": &ctx.job_id, "attempt": ctx.attempt, "pid": std::process::id() })
        .await
        .map_err(fail)?;
    tokio::time::sleep(Duration::from_millis(work.work_ms)).await;
    db.collection::<Document>("effects")
        .update_one(
            doc! { "_id": &work.key },
            doc! { "$set": { "job": &ctx.job_id, "attempt": ctx.attempt }, "$inc": { "applied": 1 } },
        )
        .upsert(true)
        .await
        .map_err(fail)?;
    Ok(json!({ "applied_by_attempt": ctx.attempt }))
}

/// The child worker process's entry point; a no-op in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_worker_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (uri, name) = spec.split_once('|').expect("uri|database");
    let db = mongodb::Client::with_uri_str(uri)
        .await
        .unwrap()
        .database(name);
    let mut s = settings();
    s.name_prefix = "child".to_owned();
    let h = db.clone();
    run_workers(
        db,
        s,
        move |w: Work, ctx| handler(h.clone(), w, ctx),
        std::future::pending(),
    )
    .await
    .unwrap();
}

/// Kills the child if the test fails before it does.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_process_was_killed_is_recovered_and_completed_once() {
    let db = testkit::fresh_database().await;
    let store = JobStore::new(&db);
    store.setup().await.unwrap();
    let work = Work {
        key: "effect-1".into(),
        work_ms: 2_000,
    };
    let id = store
        .enqueue(QUEUE, &work, EnqueueOptions::default())
        .await
        .unwrap();

    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_worker_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!("{}|{}", testkit::server_uri(), db.name()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child worker starts");
    let mut child = ChildGuard(child);

    // Wait until the child is inside the handler.
    let started = db.collection::<Document>("attempts_started");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while started.count_documents(doc! {}).await.unwrap() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the child never started the job"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let running = store.get(id.id()).await.unwrap().unwrap();
    assert_eq!(running.status, JobStatus::Running);
    let child_worker = running.worker.clone().unwrap();
    assert!(child_worker.starts_with("child-"), "{child_worker}");

    // SIGKILL: no graceful shutdown, no acknowledgement, no lease release.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let killed_at = chrono::Utc::now();
    let orphan = store.get(id.id()).await.unwrap().unwrap();
    assert_eq!(
        orphan.status,
        JobStatus::Running,
        "still held by the dead worker's lease"
    );

    let h = db.clone();
    let workers = start(&db, settings(), move |w: Work, ctx| {
        handler(h.clone(), w, ctx)
    });
    let job = store
        .wait_terminal(id.id(), Duration::from_secs(30))
        .await
        .unwrap();
    workers.stop().await;

    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.attempts, 2);
    assert_eq!(job.runs.len(), 2);
    let lost = &job.runs[0];
    assert_eq!(lost.attempt, 1);
    assert_eq!(lost.status, JobStatus::Failed);
    assert_eq!(lost.worker.as_deref(), Some(child_worker.as_str()));
    assert!(
        lost.error.as_deref().unwrap().contains("lost"),
        "{:?}",
        lost.error
    );
    // Recovered only after the lease ran out (2 s from the child's last heartbeat, ≤ 0.5 s old).
    let recovered_after = (lost.finished_at.unwrap() - killed_at).num_milliseconds();
    assert!(
        recovered_after >= 1_000,
        "recovered {recovered_after} ms after the kill"
    );
    let done = &job.runs[1];
    assert_eq!(done.attempt, 2);
    assert_eq!(done.status, JobStatus::Done);
    assert!(done.worker.as_deref().unwrap().starts_with("test-"));
    assert_eq!(job.result, Some(json!({ "applied_by_attempt": 2 })));

    // Both attempts started; the effect happened exactly once, in one document.
    assert_eq!(started.count_documents(doc! {}).await.unwrap(), 2);
    let effects: Vec<Document> = db
        .collection::<Document>("effects")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(effects.len(), 1);
    assert_eq!(effects[0].get_i32("applied").unwrap(), 1);
    assert_eq!(effects[0].get_str("job").unwrap(), id.id());
}
