//! Ingestion benchmark: syncs ≥ 1 million simulated records end to end (real connectors over HTTP,
//! the pipeline, identity resolution, the event store on a real secantusd-rs) and compares the
//! ingest path with raw driver `insert_many` of the same final documents on the same server.
//!
//! `cargo bench -p server --bench ingest` (environment: `BENCH_DAYS`, `BENCH_EVENTS_PER_DAY`).
//! Writes its figures into BENCHMARKS.md between the `ingest` markers.
//!
//! The simulator runs in a child process (this binary re-executed), so the peak RSS reported is
//! AtlasLens's alone.

mod common;

use bson::{doc, Document};
use common::{env_number, peak_rss_mib, write_section};
use domain::StreamKind;
use futures::TryStreamExt;
use ingest::identity::IdentityResolver;
use ingest::Syncer;
use simulator::{SimConfig, Simulator};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use store::crypto::KeyRing;
use store::Store;

const CHILD: &str = "ATLASLENS_BENCH_SIMULATOR";

fn sim_config() -> SimConfig {
    SimConfig {
        seed: 42,
        people: 300,
        teams: 12,
        days: env_number("BENCH_DAYS", 30),
        events_per_day: env_number("BENCH_EVENTS_PER_DAY", 35_000),
        ..SimConfig::default()
    }
}

/// Child mode: serve the simulator, print its base URL for the parent, wait for stdin to close.
#[allow(clippy::print_stdout)] // The parent reads the URL from our standard output.
async fn run_simulator_child() {
    let config: SimConfig = serde_json::from_str(&std::env::var(CHILD).unwrap()).unwrap();
    let sim = Simulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    println!("{}", sim.base_url());
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {}
    })
    .await;
    sim.stop().await;
}

#[tokio::main]
async fn main() {
    if std::env::var_os(CHILD).is_some() {
        run_simulator_child().await;
        return;
    }
    let config = sim_config();
    let generated = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, serde_json::to_string(&config).unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line.trim().to_owned();
    eprintln!(
        "simulator ready at {base_url} in {:.1} s",
        generated.elapsed().as_secs_f64()
    );

    let deployments =
        Arc::new(server::demo::deployments_for(&base_url, &config, "bench", 15, 30).unwrap());
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(3650).await.unwrap();
    let syncer = Syncer::new(
        store.clone(),
        IdentityResolver::new(
            store.identities.clone(),
            Arc::new(KeyRing::new(&[3u8; 32], &[])),
        ),
        deployments.clone(),
    );
    let baseline_rss = peak_rss_mib();

    // 1. End to end: every stream, as the scheduler would run them on a first sync.
    let now = chrono::Utc::now();
    let started = Instant::now();
    let (mut events, mut store_ms) = (0u64, 0u64);
    for stream in deployments.runnable() {
        let t = Instant::now();
        let report = syncer.run(&stream, now).await.unwrap();
        eprintln!(
            "{:<28} {:>8} records {:>8} new in {:>6.1} s ({:.1} s storing), peak RSS so far {:.0} MiB",
            stream.to_string(),
            report.counters.records,
            report.counters.inserted,
            t.elapsed().as_secs_f64(),
            report.counters.store_ms as f64 / 1000.0,
            peak_rss_mib()
        );
        if matches!(stream.kind, StreamKind::Events(..)) {
            events += report.counters.inserted;
            store_ms += report.counters.store_ms;
        }
    }
    let total = started.elapsed().as_secs_f64();
    let peak_rss = peak_rss_mib();
    drop(child.stdin.take());
    let _ = child.wait();

    // 2. Raw driver: the same final documents, insert_many in batches of the same size, into a
    // fresh database on the same server with the same indexes.
    let raw_store = Store::new(testkit::fresh_database().await);
    raw_store.ensure_indexes(3650).await.unwrap();
    let source = store.db.collection::<Document>("events");
    let target = raw_store.db.collection::<Document>("events");
    let mut cursor = source.find(doc! {}).batch_size(1000).await.unwrap();
    let (mut raw_secs, mut raw_docs, mut batch) = (0f64, 0u64, Vec::with_capacity(1000));
    loop {
        let next = cursor.try_next().await.unwrap();
        let done = next.is_none();
        batch.extend(next);
        if batch.len() == 1000 || (done && !batch.is_empty()) {
            let docs = std::mem::take(&mut batch);
            raw_docs += docs.len() as u64;
            let t = Instant::now();
            target.insert_many(docs).ordered(false).await.unwrap();
            raw_secs += t.elapsed().as_secs_f64();
        }
        if done {
            break;
        }
    }
    assert_eq!(
        raw_docs, events,
        "the raw copy must hold the same documents"
    );

    let e2e_rate = events as f64 / total;
    let ingest_rate = events as f64 / (store_ms as f64 / 1000.0);
    let raw_rate = raw_docs as f64 / raw_secs;
    let report = format!(
        "Measured {date} on this machine ({cores} cores), release build, SecantusDB `secantusd-rs` \
         started by the bench, simulator in a child process.\n\n\
         | measure | value |\n|---|---|\n\
         | simulated records (days × records/day) | {days} × {per_day} |\n\
         | events stored | {events} |\n\
         | end-to-end time (HTTP fetch, normalise, resolve, store, refresh daily rollups; streams one after another) | {total:.1} s |\n\
         | end-to-end throughput | **{e2e_rate:.0} events/s** |\n\
         | ingest path (normalise, resolve, `insert_many` via the event store) | {ingest_rate:.0} events/s |\n\
         | raw driver `insert_many` of the same final documents, same server, same indexes | {raw_rate:.0} events/s |\n\
         | **ingest path ÷ raw driver** | **{ratio:.2}** |\n\
         | peak RSS of AtlasLens during the sync | **{peak_rss:.0} MiB** (before syncing: {baseline_rss:.0} MiB) |\n",
        date = chrono::Utc::now().format("%Y-%m-%d"),
        cores = std::thread::available_parallelism().map_or(1, |n| n.get()),
        days = config.days,
        per_day = config.events_per_day,
        ratio = ingest_rate / raw_rate,
    );
    eprintln!("\n{report}");
    write_section("ingest", &report);
}
