//! Import and ingest benchmark on a real secantusd-rs:
//! 1. `atlaslens import`'s path over a generated NDJSON file of generic events and a CSV export
//!    of Jira audit records (1 million records each by default), against raw driver
//!    `insert_many` of the same final documents on the same server with the same indexes, and the
//!    resident memory each import added;
//! 2. the ingest API over HTTP, in batches of 1,000 events: events/s and the 95th percentile of
//!    the request time.
//!
//! `cargo bench -p server --bench imports` (environment: `BENCH_IMPORT_RECORDS`,
//! `BENCH_INGEST_BATCHES`). Writes its figures into BENCHMARKS.md between the `imports` markers.

mod common;

use app::ssr::AppState;
use bson::{doc, Document};
use chrono::{Duration, Utc};
use common::{env_number, rss_mib, write_section};
use domain::DeploymentId;
use futures::TryStreamExt;
use imports::{ImportRequest, Importer, Limits, Phase, SourceKind};
use ingest::identity::IdentityResolver;
use server::startup::{leptos_options, Application};
use services::auth::Authenticator;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use store::crypto::KeyRing;
use store::imports::ImportStatus;
use store::Store;

const OPERATIONS: [&str; 6] = [
    "login",
    "login_failed",
    "logout",
    "permission_changed",
    "user_created",
    "settings_changed",
];

/// Writes `n` generic events as NDJSON, spread over the last 60 days, by 300 people.
fn write_ndjson(path: &Path, n: u32) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let start = Utc::now() - Duration::days(60);
    for i in 0..n {
        let at = start + Duration::seconds(i64::from(i) * 5_184_000 / i64::from(n.max(1)));
        writeln!(
            out,
            r#"{{"id":"vpn-{i}","occurred_at":"{}","operation":"{}","actor":{{"email":"person{}@example.com","display_name":"Person {}"}},"source_ip":"198.51.100.{}","object":{{"type":"gateway","id":"gw-{}"}}}}"#,
            at.to_rfc3339(),
            OPERATIONS[i as usize % OPERATIONS.len()],
            i % 300,
            i % 300,
            i % 250,
            i % 7
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// Writes `n` rows of a Jira audit CSV export over the last 60 days.
fn write_csv(path: &Path, n: u32) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "ID,Date,Summary,Category,Author Account ID,IP Address,Object,Object Type"
    )
    .unwrap();
    let start = Utc::now() - Duration::days(60);
    let summaries = [
        "User added to group",
        "Permission scheme changed",
        "User created",
        "Project created",
    ];
    for i in 0..n {
        let at = start + Duration::seconds(i64::from(i) * 5_184_000 / i64::from(n.max(1)));
        writeln!(
            out,
            "{i},{},\"{}\",user management,557058:{:04},203.0.113.{},\"jira-group-{}\",GROUP",
            at.format("%Y-%m-%dT%H:%M:%S%.3f+0000"),
            summaries[i as usize % summaries.len()],
            i % 300,
            i % 250,
            i % 20
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// Copies every stored event into a fresh database with raw `insert_many` (batches of 1000);
/// returns events per second.
async fn raw_rate(store: &Store, expected: u64) -> f64 {
    let raw = Store::new(testkit::fresh_database().await);
    raw.ensure_indexes(3650).await.unwrap();
    let target = raw.db.collection::<Document>("events");
    let mut cursor = store
        .db
        .collection::<Document>("events")
        .find(doc! {})
        .batch_size(1000)
        .await
        .unwrap();
    let (mut secs, mut docs, mut batch) = (0f64, 0u64, Vec::with_capacity(1000));
    loop {
        let next = cursor.try_next().await.unwrap();
        let done = next.is_none();
        batch.extend(next);
        if batch.len() == 1000 || (done && !batch.is_empty()) {
            let b = std::mem::take(&mut batch);
            docs += b.len() as u64;
            let t = Instant::now();
            target.insert_many(b).ordered(false).await.unwrap();
            secs += t.elapsed().as_secs_f64();
        }
        if done {
            break;
        }
    }
    assert_eq!(docs, expected, "the raw copy holds the same documents");
    raw.db.drop().await.unwrap();
    docs as f64 / secs
}

/// One import into a fresh database: (records/s, raw records/s, RSS added in MiB, new events).
async fn measure_import(path: &Path, source: SourceKind) -> (f64, f64, f64, u64) {
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(3650).await.unwrap();
    let keys = Arc::new(KeyRing::new(&[3u8; 32], &[]));
    let importer = Importer::new(
        store.clone(),
        IdentityResolver::new(store.identities.clone(), keys),
        Limits::default(),
    );
    let before = rss_mib();
    // The largest resident size while this import runs (the process's own peak would keep an
    // earlier import's).
    let highest = Arc::new(std::sync::Mutex::new(before));
    let sampler = {
        let highest = highest.clone();
        tokio::spawn(async move {
            loop {
                {
                    let now = rss_mib();
                    let mut h = highest.lock().unwrap();
                    *h = h.max(now);
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    // When each phase began, to say where the time goes.
    let mut phases: Vec<(Phase, Instant)> = Vec::new();
    let doc = importer
        .run(
            ImportRequest {
                id: store::imports::new_import_id(),
                path: path.to_owned(),
                file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
                deployment: DeploymentId::parse("bench").unwrap(),
                source: Some(source),
                source_name: Some("vpn".into()),
                format: None,
                dates: Vec::new(),
                by: "bench".into(),
            },
            Utc::now(),
            &mut |phase, _, _, _| {
                if phases.last().map(|(p, _)| *p) != Some(phase) {
                    phases.push((phase, Instant::now()));
                }
            },
        )
        .await
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    let ended = Instant::now();
    for (i, (phase, at)) in phases.iter().enumerate() {
        let until = phases.get(i + 1).map_or(ended, |(_, t)| *t);
        eprintln!("  {phase:?}: {:.1} s", (until - *at).as_secs_f64());
    }
    sampler.abort();
    let grown = *highest.lock().unwrap() - before;
    assert_eq!(doc.status, ImportStatus::Complete, "{doc:?}");
    assert_eq!(doc.counts.rejected, 0, "{doc:?}");
    let new = doc.counts.new as u64;
    eprintln!("{source}: {new} events in {secs:.1} s, RSS +{grown:.0} MiB");
    let raw = raw_rate(&store, new).await;
    store.db.drop().await.unwrap();
    (new as f64 / secs, raw, grown, new)
}

/// The ingest API over HTTP: (events/s, p95 request ms, requests).
async fn measure_api(batches: u32) -> (f64, f64, u32) {
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(3650).await.unwrap();
    let keys = Arc::new(KeyRing::new(&[3u8; 32], &[]));
    let state = AppState::new(
        store.clone(),
        Arc::new(connectors::deployments::Deployments::default()),
        keys.clone(),
        std::time::Duration::ZERO,
    );
    let mut settings = services::Settings::from_lookup(|_| None).unwrap();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.ingest_calls_per_minute = 100_000;
    let options = leptos_options(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let app = Application::build(&settings, options, state, Authenticator::new(&store, keys))
        .await
        .unwrap();
    let url = format!("http://{}/api/ingest/events", app.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let token = store
        .ingest_tokens
        .create(
            store::ingest_tokens::TokenSpec {
                name: "bench".into(),
                deployment: "bench".into(),
                source: "vpn".into(),
                lifetime: None,
                created_by: "bench".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap()
        .token;
    let client = reqwest::Client::new();
    let start = Utc::now() - Duration::days(10);
    let mut times = Vec::with_capacity(batches as usize);
    let started = Instant::now();
    for b in 0..batches {
        let events: Vec<serde_json::Value> = (0..1000)
            .map(|i| {
                let n = b * 1000 + i;
                serde_json::json!({
                    "id": format!("api-{n}"),
                    "occurred_at": (start + Duration::seconds(i64::from(n))).to_rfc3339(),
                    "operation": OPERATIONS[n as usize % OPERATIONS.len()],
                    "actor": { "email": format!("person{}@example.com", n % 300) },
                    "source_ip": "198.51.100.7",
                })
            })
            .collect();
        let t = Instant::now();
        let r = client
            .post(&url)
            .bearer_auth(&token)
            .json(&events)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let report: serde_json::Value = r.json().await.unwrap();
        assert_eq!(report["accepted"], 1000, "{report}");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    times.sort_by(f64::total_cmp);
    let p95 = times[((times.len() as f64 * 0.95).ceil() as usize).saturating_sub(1)];
    store.db.drop().await.unwrap();
    (f64::from(batches) * 1000.0 / secs, p95, batches)
}

#[tokio::main]
async fn main() {
    let records = env_number("BENCH_IMPORT_RECORDS", 1_000_000);
    let batches = env_number("BENCH_INGEST_BATCHES", 200);
    let dir = tempfile::tempdir().unwrap();
    let ndjson = dir.path().join("vpn.ndjson");
    let csv = dir.path().join("jira-audit.csv");
    write_ndjson(&ndjson, records);
    write_csv(&csv, records);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    let (nd_rate, nd_raw, nd_rss, nd_new) = measure_import(&ndjson, SourceKind::Generic).await;
    let (csv_rate, csv_raw, csv_rss, csv_new) = measure_import(&csv, SourceKind::JiraAudit).await;
    let (api_rate, api_p95, api_requests) = measure_api(batches).await;
    let report = format!(
        "Measured {date} on this machine ({cores} cores), release build, SecantusDB `secantusd-rs` \
         started by the bench.\n\n\
         | measure | NDJSON, generic events | CSV, Jira audit export |\n|---|---|---|\n\
         | file | {nd_size:.0} MB, {nd_new} records | {csv_size:.0} MB, {csv_new} rows |\n\
         | import (check the whole file, read, normalise, resolve, store, roll up the days) | {nd_rate:.0} records/s | {csv_rate:.0} records/s |\n\
         | raw driver `insert_many` of the same final documents, same server, same indexes | {nd_raw:.0} records/s | {csv_raw:.0} records/s |\n\
         | **import ÷ raw driver** | **{nd_ratio:.2}** | **{csv_ratio:.2}** |\n\
         | resident memory the import added (peak) | **{nd_rss:.0} MiB** | **{csv_rss:.0} MiB** |\n\n\
         | ingest API over HTTP | value |\n|---|---|\n\
         | requests of 1,000 generic events, one after another | {api_requests} |\n\
         | throughput | **{api_rate:.0} events/s** |\n\
         | 95th percentile of the request time | **{api_p95:.0} ms** |\n",
        date = Utc::now().format("%Y-%m-%d"),
        cores = std::thread::available_parallelism().map_or(1, |n| n.get()),
        nd_size = size(&ndjson),
        csv_size = size(&csv),
        nd_ratio = nd_rate / nd_raw,
        csv_ratio = csv_rate / csv_raw,
    );
    eprintln!("\n{report}");
    write_section("imports", &report);
}
