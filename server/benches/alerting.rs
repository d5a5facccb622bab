//! Alerting benchmark: every built-in rule (the two that ship switched off included) evaluated
//! when a sync has just stored 10,000 new events, over a store of 1 million and then 5 million
//! events — the cost must follow the new events, not the store — and the time from the end of a
//! sync to the message reaching a Slack receiver, through the real rules and delivery queues.
//!
//! `cargo bench -p server --bench alerting` (environment: `BENCH_SIZES`, default
//! `1000000,5000000`; `BENCH_RUNS`, default 10; `BENCH_LATENCY_RUNS`, default 20). Writes its
//! figures into BENCHMARKS.md between the `alerting` markers.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{env_number, peak_rss_mib, write_section};
use delivery::{ClientOptions, Destination, Sender, UrlPolicy};
use domain::{
    Category, DeploymentId, Event, EventId, ObjectRef, Operation, PersonId, Pipeline, Product,
    Severity, SourceId, StreamKey, StreamKind,
};
use notify::configure::{add, DestinationForm};
use notify::Notifier;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rules::{evaluate_pass_keeping, PassReport, RecentEvents, StreamInfo};
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use store::alert_rules::MemoryMark;
use store::crypto::KeyRing;
use store::Store;
use testkit::receivers::SlackReceiver;
use tokio::sync::watch;

const PEOPLE: usize = 500;
/// New events per evaluated sync.
const NEW: usize = 10_000;
/// How far back the stored history reaches (the longest rule history is 30 days).
const HISTORY_DAYS: i64 = 30;

/// What generated events are: product, pipeline, operation, weight (of 743). Mostly activity and
/// sign-ins; group changes, API tokens and permission changes one in 743 each — still about 13 of
/// each per sync, far more than an organisation sees, so the match rules have work to do.
const KINDS: &[(Product, Pipeline, Operation, u32)] = &[
    (Product::Org, Pipeline::Audit, Operation::Login, 300),
    (Product::Org, Pipeline::Audit, Operation::LoginFailed, 20),
    (
        Product::Org,
        Pipeline::Audit,
        Operation::UserAddedToGroup,
        1,
    ),
    (Product::Org, Pipeline::Audit, Operation::ApiTokenCreated, 1),
    (
        Product::Jira,
        Pipeline::Audit,
        Operation::PermissionChanged,
        1,
    ),
    (
        Product::Jira,
        Pipeline::Activity,
        Operation::IssueCreated,
        80,
    ),
    (
        Product::Jira,
        Pipeline::Activity,
        Operation::IssueUpdated,
        140,
    ),
    (
        Product::Confluence,
        Pipeline::Activity,
        Operation::PageCreated,
        40,
    ),
    (
        Product::Confluence,
        Pipeline::Activity,
        Operation::PageUpdated,
        80,
    ),
    (
        Product::Confluence,
        Pipeline::Audit,
        Operation::ContentExported,
        10,
    ),
    (
        Product::Bitbucket,
        Pipeline::Activity,
        Operation::CommitPushed,
        70,
    ),
];

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn person(i: usize) -> PersonId {
    PersonId::parse(&format!("person:bench{i:04}")).unwrap()
}

/// One generated event at `at`, stored at `ingested`.
fn event(rng: &mut StdRng, at: DateTime<Utc>, ingested: DateTime<Utc>) -> Event {
    let total: u32 = KINDS.iter().map(|k| k.3).sum();
    let mut pick = rng.gen_range(0..total);
    let &(product, pipeline, operation, _) = KINDS
        .iter()
        .find(|k| {
            if pick < k.3 {
                true
            } else {
                pick -= k.3;
                false
            }
        })
        .unwrap();
    // A few busy people, many quiet ones.
    let who = if rng.gen_bool(0.3) {
        rng.gen_range(0..20)
    } else {
        rng.gen_range(0..PEOPLE)
    };
    with(product, pipeline, operation, who, at, ingested, rng)
}

fn with(
    product: Product,
    pipeline: Pipeline,
    operation: Operation,
    who: usize,
    at: DateTime<Utc>,
    ingested: DateTime<Utc>,
    rng: &mut StdRng,
) -> Event {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let deployment = DeploymentId::parse("bench").unwrap();
    // Each person has a few usual addresses.
    let ip: IpAddr = format!("10.{}.{}.{}", who / 250, who % 250, 1 + rng.gen_range(0..3))
        .parse()
        .unwrap();
    Event {
        id: EventId::new(
            &deployment,
            product,
            &SourceId::parse(&format!("alerting-{n}")).unwrap(),
        ),
        occurred_at: at,
        ingested_at: ingested,
        deployment,
        product,
        pipeline,
        actor_id: Some(person(who)),
        actor_raw: None,
        operation,
        category: if pipeline == Pipeline::Audit {
            Category::Security
        } else {
            pipeline::classify::category(pipeline)
        },
        severity: pipeline::classify::severity(operation),
        object_type: None,
        object_ref: Some(ObjectRef {
            id: format!("obj-{}", rng.gen_range(0..5_000)),
            name: None,
            container: Some(format!("space-{}", rng.gen_range(0..40))),
        }),
        source_ip: (pipeline == Pipeline::Audit).then_some(ip),
        country: None,
        raw: serde_json::json!({ "n": n }),
    }
}

/// Stores `count` events spread over the history before `end`, each stored a minute after it
/// happened, as a store that has been syncing for a month holds them.
async fn load(store: &Store, rng: &mut StdRng, count: usize, end: DateTime<Utc>) {
    let started = Instant::now();
    let span_ms = Duration::days(HISTORY_DAYS).num_milliseconds();
    let mut batch = Vec::with_capacity(5_000);
    let mut times: Vec<i64> = (0..count).map(|_| rng.gen_range(0..span_ms)).collect();
    times.sort_unstable();
    for (i, t) in times.into_iter().enumerate() {
        let at = end - Duration::milliseconds(span_ms - t);
        batch.push(event(rng, at, at + Duration::minutes(1)));
        if batch.len() == batch.capacity() {
            store.events.insert_new(&batch).await.unwrap();
            batch.clear();
            if (i + 1) % 500_000 == 0 {
                eprintln!("  {} events stored", i + 1);
            }
        }
    }
    store.events.insert_new(&batch).await.unwrap();
    eprintln!(
        "stored {count} events in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// The events one sync brings: ordinary activity of the last ten minutes plus a handful of
/// situations the built-in rules look for (an admin grant, a burst of failed sign-ins, a mass
/// export), all stored at `now`.
fn sync_batch(rng: &mut StdRng, run: usize, now: DateTime<Utc>) -> Vec<Event> {
    let mut events: Vec<Event> = (0..NEW - 20)
        .map(|_| {
            let at = now - Duration::milliseconds(rng.gen_range(0..600_000));
            event(rng, at, now)
        })
        .collect();
    let who = 100 + run % 300;
    let at = |s: i64| now - Duration::seconds(s);
    events.push(with(
        Product::Org,
        Pipeline::Audit,
        Operation::AdminGranted,
        who,
        at(30),
        now,
        rng,
    ));
    for s in 0..12 {
        events.push(with(
            Product::Org,
            Pipeline::Audit,
            Operation::LoginFailed,
            who + 1,
            at(20 * s),
            now,
            rng,
        ));
    }
    for s in 0..7 {
        events.push(with(
            Product::Confluence,
            Pipeline::Audit,
            Operation::ContentExported,
            who + 2,
            at(60 * s),
            now,
            rng,
        ));
    }
    events
}

fn streams() -> Vec<StreamInfo> {
    let deployment = DeploymentId::parse("bench").unwrap();
    [
        (Product::Org, Pipeline::Audit),
        (Product::Jira, Pipeline::Audit),
        (Product::Jira, Pipeline::Activity),
        (Product::Confluence, Pipeline::Audit),
        (Product::Confluence, Pipeline::Activity),
        (Product::Bitbucket, Pipeline::Activity),
    ]
    .into_iter()
    .map(|(product, pipeline)| StreamInfo {
        key: StreamKey {
            deployment: deployment.clone(),
            kind: StreamKind::Events(product, pipeline),
        },
        credential_expires: None,
    })
    .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Makes every rule with a memory build it again at its next pass: the history just loaded was
/// stored behind the rules' watermarks, as no sync would store it.
async fn forget_memories(store: &Store) {
    let stale = MemoryMark {
        fingerprint: "stale".into(),
        boundary: DateTime::<Utc>::UNIX_EPOCH,
    };
    for rule in store.rules.all().await.unwrap() {
        if rules::memory::remembers(&rule.spec.kind) {
            store.rules.remembering(&rule.id, &stale).await.unwrap();
        }
    }
}

/// The six event rules that took longest in a pass, with their milliseconds.
fn slowest(report: &PassReport) -> String {
    let mut rules: Vec<_> = report.rule_ms.iter().collect();
    rules.sort_by(|a, b| b.1.cmp(a.1));
    rules
        .iter()
        .take(6)
        .map(|(id, ms)| format!("{id} {ms} ms"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How far apart the simulated syncs are: each brings the events of the ten minutes before it.
const SYNC_EVERY: Duration = Duration::minutes(10);

/// Times `runs` passes, each after a sync batch stored at the simulated `clock`, which advances
/// by [`SYNC_EVERY`]; returns the row of the report.
async fn passes(
    store: &Store,
    rng: &mut StdRng,
    runs: u32,
    size: u64,
    clock: &mut DateTime<Utc>,
) -> String {
    let streams = streams();
    let mut times = Vec::new();
    let (mut read, mut reused, mut created, mut first) = (0u64, 0u64, 0usize, 0.0);
    // As the rules worker of `atlaslens serve` does, each pass hands the next what it read of the
    // latest events.
    let mut recent: Option<RecentEvents> = None;
    for run in 0..runs + 1 {
        *clock += SYNC_EVERY;
        let now = *clock;
        store
            .events
            .insert_new(&sync_batch(rng, run as usize, now))
            .await
            .unwrap();
        let started = Instant::now();
        let report: PassReport = evaluate_pass_keeping(store, &streams, now, &mut recent)
            .await
            .unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        eprintln!(
            "  pass {run}: {ms:.0} ms, {} events read in {} ms, {} taken from the last pass; rules {} ms; memory built: {:?}; slowest rules: {}",
            report.events_read,
            report.read_ms,
            report.events_reused,
            report.rule_ms.values().sum::<u64>(),
            report.memory_built,
            slowest(&report)
        );
        // The first pass after loading builds the rules' memory over the history and warms the
        // caches; it is reported apart.
        if run == 0 {
            first = ms;
        } else {
            times.push(ms);
            read += report.events_read;
            reused += report.events_reused;
            created += report.created.len();
        }
    }
    times.sort_by(f64::total_cmp);
    format!(
        "| {size} | {:.1} | {:.0} | **{:.0}** | {:.0} | {} | {} | {:.1} |",
        first / 1000.0,
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or_default(),
        read / u64::from(runs),
        reused / u64::from(runs),
        created as f64 / f64::from(runs),
    )
}

/// The end of a sync (the evaluation it queues) to the Slack receiver holding the message, through
/// the rules worker, the notifier and a delivery worker as `atlaslens serve` runs them.
async fn sync_to_slack(store: &Store, rng: &mut StdRng, runs: u32) -> (f64, f64, f64) {
    let jobs = jobs::JobStore::new(&store.db);
    jobs.setup().await.unwrap();
    let keys = Arc::new(KeyRing::new(&[5u8; 32], &[]));
    let slack = SlackReceiver::spawn().await;
    add(
        store,
        &keys,
        DestinationForm {
            id: "security-channel".into(),
            name: "Security channel".into(),
            destination: Destination::Slack {
                webhook_url: secrecy::SecretString::from(slack.url()),
            },
            default_min_severity: Some(Severity::High),
            incident_events: false,
        },
        UrlPolicy::allow_private(),
        "bench",
        Utc::now(),
    )
    .await
    .unwrap();
    let sender = Sender::new(ClientOptions {
        timeout: std::time::Duration::from_secs(10),
        policy: UrlPolicy::allow_private(),
    });
    let notifier = Notifier::new(
        store.clone(),
        jobs.clone(),
        keys,
        sender,
        None,
        "http://atlaslens.bench".into(),
    );
    let (stop, rx) = watch::channel(false);
    let stopped = |rx: &watch::Receiver<bool>| {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let lease = std::time::Duration::from_secs(60);
    let workers = {
        let (n, shutdown) = (notifier.clone(), stopped(&rx));
        tokio::spawn(async move {
            notify::queue::run_workers(n, notify::queue::worker_settings("bench", lease), shutdown)
                .await
                .unwrap();
        })
    };
    let evaluators = {
        let (n, shutdown, store) = (notifier.clone(), stopped(&rx), store.clone());
        let after: rules::queue::AfterPass = Arc::new(move || {
            let n = n.clone();
            Box::pin(async move {
                n.queue_pending(Utc::now()).await.unwrap();
            })
        });
        tokio::spawn(async move {
            rules::queue::run_workers(
                &store,
                Arc::new(streams()),
                rules::queue::worker_settings("bench", lease),
                after,
                shutdown,
            )
            .await
            .unwrap();
        })
    };
    let mut times = Vec::new();
    for run in 0..runs {
        let now = Utc::now();
        // One sync's worth: a thousand ordinary events and one administrator grant.
        let mut batch: Vec<Event> = (0..999)
            .map(|_| {
                let at = now - Duration::seconds(rng.gen_range(0..600));
                event(rng, at, now)
            })
            .collect();
        batch.push(with(
            Product::Org,
            Pipeline::Audit,
            Operation::AdminGranted,
            run as usize % PEOPLE,
            now - Duration::seconds(5),
            now,
            rng,
        ));
        store.events.insert_new(&batch).await.unwrap();
        let before = slack.received().len();
        let started = Instant::now();
        rules::queue::enqueue(&jobs, "bench sync").await.unwrap();
        while slack.received().len() == before {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "no Slack message within a minute"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        times.push(started.elapsed().as_secs_f64());
        // Let the pass and any other deliveries of this run settle before the next.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let _ = stop.send(true);
    let _ = tokio::join!(workers, evaluators);
    times.sort_by(f64::total_cmp);
    (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or_default(),
    )
}

#[tokio::main]
async fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,5000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("BENCH_SIZES: numbers, comma-separated")
        })
        .collect();
    let runs = env_number("BENCH_RUNS", 10);
    let latency_runs = env_number("BENCH_LATENCY_RUNS", 20);
    let mut rng = StdRng::seed_from_u64(11);
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(3650).await.unwrap();
    store.upgrade().await.unwrap();
    // History ends six hours ago; the simulated syncs of both sizes (22 × 10 minutes) follow it,
    // and the latency runs use the real clock after them.
    let loaded_until = Utc::now() - Duration::hours(6);
    let mut clock = loaded_until + Duration::minutes(1);
    let mut stored = 0u64;
    let mut installed = false;
    let mut report = String::new();
    let _ = writeln!(
        report,
        "Measured {} on this machine ({} cores), release build, SecantusDB `secantusd-rs` started by the bench; {PEOPLE} people, {HISTORY_DAYS} days of history; all {} built-in rules switched on; {runs} timed passes per size after a first pass that builds the new-value and baseline rules' memory over the history loaded, each after a sync batch of {NEW} new events of the ten minutes since the one before, on a simulated clock (ordinary activity plus an admin grant, 12 failed sign-ins and 7 exports).\n",
        Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, usize::from),
        rules::builtin::pack().len(),
    );
    let _ = writeln!(
        report,
        "| events stored | first pass, memory built, s | pass p50 ms | pass p95 ms | max ms | events read per pass | taken from the last pass | alerts per pass |\n|---|---|---|---|---|---|---|---|"
    );
    for size in sizes {
        // Older history, so the sync batches stay the newest events.
        load(&store, &mut rng, (size - stored) as usize, loaded_until).await;
        stored = size;
        if !installed {
            let pack: Vec<_> = rules::builtin::pack()
                .into_iter()
                .map(|(id, mut spec)| {
                    spec.enabled = true;
                    (id, spec)
                })
                .collect();
            let newest = store.events.newest_mark(Utc::now()).await.unwrap();
            store
                .rules
                .install_builtin(&pack, newest.as_ref(), Utc::now())
                .await
                .unwrap();
            installed = true;
        }
        forget_memories(&store).await;
        let row = passes(&store, &mut rng, runs, size, &mut clock).await;
        eprintln!("{row}");
        let _ = writeln!(report, "{row}");
        write_section("alerting", &report);
    }
    let (p50, p95, max) = sync_to_slack(&store, &mut rng, latency_runs).await;
    let _ = writeln!(
        report,
        "\n| sync end → Slack receiver ({latency_runs} syncs of 1,000 events with one admin grant, {stored} stored) | p50 s | p95 s | max s |\n|---|---|---|---|\n| rules queue → pass → notifier → delivery queue → Slack | {p50:.2} | **{p95:.2}** | {max:.2} |"
    );
    eprintln!("sync end to Slack: p50 {p50:.2} s, p95 {p95:.2} s, max {max:.2} s");
    let _ = writeln!(
        report,
        "\nPeak memory of the bench process (generator, evaluator, workers): {:.0} MiB.",
        peak_rss_mib()
    );
    write_section("alerting", &report);
}
