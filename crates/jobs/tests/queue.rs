//! The queue end to end against a real MongoDB-wire server: workers run jobs, failures are
//! retried with backoff, operators retry and kill, active keys admit one job at a time, and
//! concurrent workers never run a job twice.
//!
//! Long because each test drives real workers through a whole lifecycle against a real server.

mod common;

use bson::doc;
use common::{eventually, settings, start, QUEUE};
use futures::TryStreamExt;
use jobs::{
    EnqueueOptions, Enqueued, HandlerError, JobFilter, JobStatus, JobStore, MongoStorage,
    StorageConfig,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Sync {
    connector: String,
}

fn sync(c: &str) -> Sync {
    Sync {
        connector: c.to_owned(),
    }
}

const WAIT: Duration = Duration::from_secs(20);

async fn store() -> (mongodb::Database, JobStore) {
    let db = testkit::fresh_database().await;
    let store = JobStore::new(&db);
    store.setup().await.unwrap();
    (db, store)
}

fn opts(max_attempts: u32) -> EnqueueOptions {
    EnqueueOptions {
        max_attempts,
        ..EnqueueOptions::default()
    }
}

fn labelled(label: &str) -> EnqueueOptions {
    EnqueueOptions {
        labels: BTreeMap::from([("connector".to_owned(), label.to_owned())]),
        ..EnqueueOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enqueued_job_is_run_by_a_worker_and_its_result_stored() {
    let (db, store) = store().await;
    let id = store
        .enqueue(QUEUE, &sync("jira"), EnqueueOptions::default())
        .await
        .unwrap();
    assert!(matches!(id, Enqueued::Created(_)));
    let before = store.get(id.id()).await.unwrap().unwrap();
    assert_eq!(before.status, JobStatus::Pending);
    assert_eq!(before.args, json!({ "connector": "jira" }));

    let workers = start(&db, settings(), |args: Sync, ctx| async move {
        Ok(json!({ "synced": args.connector, "attempt": ctx.attempt }))
    });
    let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
    workers.stop().await;

    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.result, Some(json!({ "synced": "jira", "attempt": 1 })));
    assert_eq!(job.attempts, 1);
    assert_eq!(job.runs.len(), 1);
    let run = &job.runs[0];
    assert_eq!(run.status, JobStatus::Done);
    assert_eq!(run.attempt, 1);
    let worker = run.worker.clone().expect("the run names its worker");
    assert!(worker.starts_with("test-"), "{worker}");
    assert_eq!(job.worker.as_deref(), Some(worker.as_str()));
    assert!(run.started_at.is_some() && run.finished_at.is_some());
    assert!(job.duration.is_some());
    assert!(job.next_attempt_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_failing_twice_then_succeeding_keeps_each_error_and_backs_off() {
    let (db, store) = store().await;
    let id = store
        .enqueue(QUEUE, &sync("confluence"), opts(5))
        .await
        .unwrap();
    let mut s = settings();
    s.backoff_base = Duration::from_millis(500);
    let workers = start(&db, s, |_: Sync, ctx| async move {
        if ctx.attempt < 3 {
            Err(HandlerError::Retryable(format!("boom {}", ctx.attempt)))
        } else {
            Ok(json!("ok"))
        }
    });

    // Between attempts the job shows as failed, with its next attempt in the future.
    let deadline = tokio::time::Instant::now() + WAIT;
    let waiting = loop {
        let job = store.get(id.id()).await.unwrap().unwrap();
        if job.status == JobStatus::Failed {
            break job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job never waited for a retry"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let next = waiting
        .next_attempt_at
        .expect("a failed job with attempts left has a next attempt");
    assert!(
        next > waiting.finished_at.unwrap(),
        "the retry is scheduled after the failure"
    );
    assert!(!waiting.is_terminal());
    assert_eq!(waiting.last_error.as_deref(), Some("boom 1"));

    let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
    workers.stop().await;
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.attempts, 3);
    let errors: Vec<_> = job.runs.iter().map(|r| r.error.clone()).collect();
    assert_eq!(
        errors,
        vec![Some("boom 1".into()), Some("boom 2".into()), None]
    );
    let statuses: Vec<_> = job.runs.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![JobStatus::Failed, JobStatus::Failed, JobStatus::Done]
    );
    // Exponential backoff: 500 ms after the first failure, 1 s after the second.
    let gap = |i: usize| {
        (job.runs[i + 1].started_at.unwrap() - job.runs[i].finished_at.unwrap()).num_milliseconds()
    };
    assert!(gap(0) >= 490, "first backoff was {} ms", gap(0));
    assert!(gap(1) >= 990, "second backoff was {} ms", gap(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_attempts_leave_the_job_dead_until_an_operator_retries_it() {
    let (db, store) = store().await;
    let id = store
        .enqueue(QUEUE, &sync("bitbucket"), opts(2))
        .await
        .unwrap();
    let healthy = Arc::new(AtomicBool::new(false));
    let h = healthy.clone();
    let workers = start(&db, settings(), move |_: Sync, ctx| {
        let healthy = h.clone();
        async move {
            if healthy.load(Ordering::SeqCst) {
                Ok(json!({ "attempt": ctx.attempt }))
            } else {
                Err(HandlerError::Retryable(format!(
                    "unreachable ({})",
                    ctx.attempt
                )))
            }
        }
    });

    let dead = store.wait_terminal(id.id(), WAIT).await.unwrap();
    assert_eq!(dead.status, JobStatus::Failed);
    assert_eq!(dead.next_attempt_at, None, "no attempt left: dead");
    assert_eq!(dead.attempts, 2);
    let errors: Vec<_> = dead.runs.iter().map(|r| r.error.clone().unwrap()).collect();
    assert_eq!(errors, vec!["unreachable (1)", "unreachable (2)"]);
    assert_eq!(dead.last_error.as_deref(), Some("unreachable (2)"));

    healthy.store(true, Ordering::SeqCst);
    assert!(store.retry(id.id()).await.unwrap());
    assert!(
        !store.retry(id.id()).await.unwrap(),
        "a queued job is not retried twice"
    );
    let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
    workers.stop().await;
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.attempts, 3);
    assert_eq!(job.max_attempts, 3, "the budget was raised by one");
    assert_eq!(
        job.runs.len(),
        3,
        "the history of the failed attempts is kept"
    );
    assert_eq!(job.result, Some(json!({ "attempt": 3 })));
    assert!(
        !store.retry(id.id()).await.unwrap(),
        "a done job is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_error_fails_the_job_without_further_attempts() {
    let (db, store) = store().await;
    let id = store.enqueue(QUEUE, &sync("org"), opts(5)).await.unwrap();
    let workers = start(&db, settings(), |_: Sync, _| async move {
        Err::<serde_json::Value, _>(HandlerError::Fatal("token revoked".into()))
    });
    let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
    workers.stop().await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.next_attempt_at, None);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.runs.len(), 1);
    assert_eq!(job.runs[0].error.as_deref(), Some("token revoked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_fails_the_job_and_the_worker_carries_on() {
    let (db, store) = store().await;
    let bad = store.enqueue(QUEUE, &sync("panic"), opts(3)).await.unwrap();
    let good = store.enqueue(QUEUE, &sync("fine"), opts(3)).await.unwrap();
    let workers = start(&db, settings(), |args: Sync, _| async move {
        if args.connector == "panic" {
            panic!("handler bug");
        }
        Ok(json!(null))
    });
    let bad = store.wait_terminal(bad.id(), WAIT).await.unwrap();
    let good = store.wait_terminal(good.id(), WAIT).await.unwrap();
    workers.stop().await;
    assert_eq!(bad.status, JobStatus::Failed);
    assert!(
        bad.last_error.as_deref().unwrap().contains("handler bug"),
        "{:?}",
        bad.last_error
    );
    assert_eq!(good.status, JobStatus::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_pending_job_never_runs() {
    let (db, store) = store().await;
    let id = store
        .enqueue(QUEUE, &sync("jsm"), EnqueueOptions::default())
        .await
        .unwrap();
    assert!(store.kill(id.id()).await.unwrap());
    assert!(
        !store.kill(id.id()).await.unwrap(),
        "a killed job cannot be killed again"
    );
    let other = store
        .enqueue(QUEUE, &sync("after"), EnqueueOptions::default())
        .await
        .unwrap();

    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let workers = start(&db, settings(), move |args: Sync, _| {
        let runs = r.clone();
        async move {
            if args.connector == "jsm" {
                runs.fetch_add(1, Ordering::SeqCst);
            }
            Ok(json!(null))
        }
    });
    // The job enqueued after it runs, so the worker has certainly looked at the queue.
    store.wait_terminal(other.id(), WAIT).await.unwrap();
    workers.stop().await;
    let job = store.get(id.id()).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Killed);
    assert_eq!(job.attempts, 0);
    assert!(job.runs.is_empty());
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_running_job_stops_its_handler() {
    let (db, store) = store().await;
    let id = store.enqueue(QUEUE, &sync("long"), opts(3)).await.unwrap();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let workers = start(&db, settings(), move |_: Sync, _| {
        let finished = f.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(15)).await;
            finished.store(true, Ordering::SeqCst);
            Ok(json!(null))
        }
    });
    eventually("the job to start", WAIT, || {
        let store = store.clone();
        let id = id.id().to_owned();
        async move { store.get(&id).await.unwrap().unwrap().status == JobStatus::Running }
    })
    .await;
    assert!(store.kill(id.id()).await.unwrap());
    assert!(store.get(id.id()).await.unwrap().unwrap().cancel_requested);
    let job = store
        .wait_terminal(id.id(), Duration::from_secs(5))
        .await
        .unwrap();
    workers.stop().await;
    assert_eq!(job.status, JobStatus::Killed);
    assert_eq!(job.runs.len(), 1);
    assert_eq!(job.runs[0].status, JobStatus::Killed);
    assert!(!finished.load(Ordering::SeqCst), "the handler was stopped");
    assert_eq!(job.attempts, 1, "a killed job is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_all_requeues_every_dead_job_matching_the_filter() {
    let (db, store) = store().await;
    let mut ids = Vec::new();
    for label in ["a", "a", "b"] {
        ids.push(
            store
                .enqueue(QUEUE, &sync(label), labelled(label))
                .await
                .unwrap(),
        );
    }
    let healthy = Arc::new(AtomicBool::new(false));
    let h = healthy.clone();
    let workers = start(&db, settings(), move |_: Sync, _| {
        let healthy = h.clone();
        async move {
            if healthy.load(Ordering::SeqCst) {
                Ok(json!(null))
            } else {
                Err(HandlerError::Fatal("bad config".into()))
            }
        }
    });
    for id in &ids {
        let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
        assert_eq!(job.status, JobStatus::Failed);
    }
    let mut only_a = JobFilter::queue(QUEUE);
    only_a.labels.insert("connector".into(), "a".into());
    let listed = store
        .list(&JobFilter {
            status: Some(JobStatus::Failed),
            ..only_a.clone()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);

    healthy.store(true, Ordering::SeqCst);
    assert_eq!(store.retry_all(&only_a).await.unwrap(), 2);
    for id in &ids[..2] {
        assert_eq!(
            store.wait_terminal(id.id(), WAIT).await.unwrap().status,
            JobStatus::Done
        );
    }
    workers.stop().await;
    let b = store.get(ids[2].id()).await.unwrap().unwrap();
    assert_eq!(
        b.status,
        JobStatus::Failed,
        "the job outside the filter stays failed"
    );
    assert_eq!(store.retry_all(&only_a).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_key_admits_one_active_job_at_a_time() {
    let (db, store) = store().await;
    let keyed = || EnqueueOptions {
        active_key: Some("sync:jira-1".into()),
        ..EnqueueOptions::default()
    };
    let first = store.enqueue(QUEUE, &sync("jira"), keyed()).await.unwrap();
    let Enqueued::Created(first_id) = first else {
        panic!("{first:?}")
    };
    // Pending: the same job comes back.
    let again = store.enqueue(QUEUE, &sync("jira"), keyed()).await.unwrap();
    assert_eq!(again, Enqueued::AlreadyActive(first_id.clone()));
    // Other keys and unkeyed jobs are unaffected.
    let other = store
        .enqueue(
            QUEUE,
            &sync("jira"),
            EnqueueOptions {
                active_key: Some("sync:jira-2".into()),
                ..EnqueueOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(other, Enqueued::Created(_)));

    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    let workers = start(&db, settings(), move |_: Sync, _| {
        let release = r.clone();
        async move {
            while !release.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(json!(null))
        }
    });
    eventually("the keyed job to run", WAIT, || {
        let store = store.clone();
        let id = first_id.clone();
        async move { store.get(&id).await.unwrap().unwrap().status == JobStatus::Running }
    })
    .await;
    // Running: still the same job.
    let again = store.enqueue(QUEUE, &sync("jira"), keyed()).await.unwrap();
    assert_eq!(again, Enqueued::AlreadyActive(first_id.clone()));

    release.store(true, Ordering::SeqCst);
    assert_eq!(
        store.wait_terminal(&first_id, WAIT).await.unwrap().status,
        JobStatus::Done
    );
    // Finished: a new job is created.
    let next = store.enqueue(QUEUE, &sync("jira"), keyed()).await.unwrap();
    let Enqueued::Created(next_id) = next else {
        panic!("{next:?}")
    };
    assert_ne!(next_id, first_id);
    assert_eq!(
        store.wait_terminal(&next_id, WAIT).await.unwrap().status,
        JobStatus::Done
    );
    workers.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_run_each_job_exactly_once() {
    let (db, store) = store().await;
    const N: usize = 30;
    let mut ids = Vec::new();
    for i in 0..N {
        ids.push(
            store
                .enqueue(QUEUE, &sync(&format!("c{i}")), EnqueueOptions::default())
                .await
                .unwrap(),
        );
    }
    let executions = db.collection::<bson::Document>("executions");
    let handler = {
        let executions = executions.clone();
        move |args: Sync, ctx: jobs::JobContext| {
            let executions = executions.clone();
            async move {
                // An insert, not an upsert: a second execution would show as a second document.
                executions
                    .insert_one(doc! { "job": &ctx.job_id, "connector": args.connector })
                    .await
                    .map_err(|e| HandlerError::Retryable(e.to_string()))?;
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(json!(null))
            }
        }
    };
    // Three separate worker groups racing for the same queue.
    let mut s = settings();
    s.concurrency = 2;
    let groups = vec![
        start(&db, s.clone(), handler.clone()),
        start(&db, s.clone(), handler.clone()),
        start(&db, s, handler),
    ];
    let mut workers_seen = std::collections::BTreeSet::new();
    for id in &ids {
        let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
        assert_eq!(job.status, JobStatus::Done);
        assert_eq!(job.runs.len(), 1);
        workers_seen.insert(job.runs[0].worker.clone().unwrap());
    }
    for g in groups {
        g.stop().await;
    }
    let all: Vec<bson::Document> = executions
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), N, "every job ran exactly once");
    let distinct: std::collections::BTreeSet<_> = all
        .iter()
        .map(|d| d.get_str("job").unwrap().to_owned())
        .collect();
    assert_eq!(distinct.len(), N);
    assert!(
        workers_seen.len() >= 2,
        "the work was shared: {workers_seen:?}"
    );
    let counts = store.counts(QUEUE).await.unwrap();
    assert_eq!(counts[&JobStatus::Done], N as u64);
    assert_eq!(counts[&JobStatus::Pending], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_counts_and_workers_describe_the_queue() {
    let (db, store) = store().await;
    let a = store
        .enqueue(QUEUE, &sync("x"), labelled("x"))
        .await
        .unwrap();
    let b = store
        .enqueue(QUEUE, &sync("y"), labelled("y"))
        .await
        .unwrap();
    store
        .enqueue("other-queue", &sync("z"), labelled("x"))
        .await
        .unwrap();
    assert!(store.kill(b.id()).await.unwrap());

    let all = store.list(&JobFilter::queue(QUEUE)).await.unwrap();
    let ids: Vec<_> = all.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, vec![b.id(), a.id()], "newest first, one queue only");
    let killed = store
        .list(&JobFilter {
            status: Some(JobStatus::Killed),
            ..JobFilter::queue(QUEUE)
        })
        .await
        .unwrap();
    assert_eq!(killed.len(), 1);
    assert_eq!(killed[0].labels["connector"], "y");

    let counts = store.counts(QUEUE).await.unwrap();
    assert_eq!(counts[&JobStatus::Pending], 1);
    assert_eq!(counts[&JobStatus::Killed], 1);
    assert_eq!(counts[&JobStatus::Done], 0);
    assert_eq!(counts.len(), 5);

    assert!(store.get("no-such-job").await.unwrap().is_none());
    assert!(!store.kill("no-such-job").await.unwrap());
    assert!(!store.retry("no-such-job").await.unwrap());

    let mut s = settings();
    s.concurrency = 2;
    let workers = start(&db, s, |_: Sync, _| async move { Ok(json!(null)) });
    store.wait_terminal(a.id(), WAIT).await.unwrap();
    eventually("both workers to register", WAIT, || {
        let store = store.clone();
        async move {
            store
                .workers(QUEUE)
                .await
                .unwrap()
                .iter()
                .filter(|w| w.alive)
                .count()
                == 2
        }
    })
    .await;
    workers.stop().await;
    store.setup().await.expect("setup is idempotent");
}

/// Plain apalis on this backend: a `TaskSink::push` and a `WorkerBuilder` with an async fn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_apalis_workers_and_sinks_run_on_the_backend() {
    use apalis::prelude::*;
    let (db, store) = store().await;
    let mut config = StorageConfig::new(QUEUE);
    config.heartbeat = Duration::from_millis(500);
    config.lease = Duration::from_secs(2);
    let mut sink = MongoStorage::<Sync>::new(&db, config.clone());
    sink.push(sync("apalis")).await.unwrap();
    let listed = store.list(&JobFilter::queue(QUEUE)).await.unwrap();
    assert_eq!(listed.len(), 1);
    let id = listed[0].id.clone();

    async fn handle(args: Sync, worker: WorkerContext) -> Result<String, BoxDynError> {
        worker.stop()?;
        Ok(format!("hello {}", args.connector))
    }
    let backend =
        MongoStorage::<Sync>::new(&db, config).poll_with_interval(Duration::from_millis(100));
    let worker = WorkerBuilder::new("plain-apalis-worker")
        .backend(backend)
        .build(handle);
    tokio::time::timeout(WAIT, worker.run())
        .await
        .unwrap()
        .unwrap();
    let job = store.get(&id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.result, Some(json!("hello apalis")));
    assert_eq!(job.runs[0].worker.as_deref(), Some("plain-apalis-worker"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_longer_than_its_lease_is_kept_alive_by_heartbeats() {
    let (db, store) = store().await;
    let id = store.enqueue(QUEUE, &sync("slow"), opts(3)).await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = {
        let runs = runs.clone();
        move |_: Sync, _| {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                // Twice the 2 s lease: only heartbeats keep the claim.
                tokio::time::sleep(Duration::from_millis(4_500)).await;
                Ok(json!(null))
            }
        }
    };
    // A second group keeps looking for orphans the whole time.
    let a = start(&db, settings(), handler.clone());
    let b = start(&db, settings(), handler);
    let job = store.wait_terminal(id.id(), WAIT).await.unwrap();
    a.stop().await;
    b.stop().await;
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.runs.len(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_keyed_job_frees_its_key_and_retrying_it_takes_the_key_again() {
    let (_db, store) = store().await;
    let keyed = || EnqueueOptions {
        active_key: Some("sync:org".into()),
        ..EnqueueOptions::default()
    };
    let a = store.enqueue(QUEUE, &sync("org"), keyed()).await.unwrap();
    assert!(store.kill(a.id()).await.unwrap());
    let b = store.enqueue(QUEUE, &sync("org"), keyed()).await.unwrap();
    assert!(matches!(b, Enqueued::Created(_)), "{b:?}");
    assert_ne!(a.id(), b.id());

    let err = store.retry(a.id()).await.unwrap_err();
    assert!(
        matches!(&err, jobs::JobError::KeyActive(holder) if holder == b.id()),
        "{err:?}"
    );
    assert_eq!(
        store.get(a.id()).await.unwrap().unwrap().status,
        JobStatus::Killed
    );

    assert!(store.kill(b.id()).await.unwrap());
    assert!(store.retry(a.id()).await.unwrap());
    let again = store.enqueue(QUEUE, &sync("org"), keyed()).await.unwrap();
    assert_eq!(again, Enqueued::AlreadyActive(a.id().to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_lock_left_behind_by_a_crash_is_taken_over() {
    let (db, store) = store().await;
    let keyed = || EnqueueOptions {
        active_key: Some("sync:jsm".into()),
        ..EnqueueOptions::default()
    };
    let old = store.enqueue(QUEUE, &sync("jsm"), keyed()).await.unwrap();
    assert!(store.kill(old.id()).await.unwrap());
    // As if the process died between ending the job and deleting its key lock.
    db.collection::<bson::Document>(jobs::JOB_KEYS)
        .insert_one(doc! { "_id": "sync:jsm", "job": old.id(), "queue": QUEUE, "since": bson::DateTime::now() })
        .await
        .unwrap();
    let new = store.enqueue(QUEUE, &sync("jsm"), keyed()).await.unwrap();
    assert!(matches!(new, Enqueued::Created(_)), "{new:?}");
    assert_ne!(new.id(), old.id());
}
