//! How fast the simulator generates its data at benchmark scale and answers a full manifest: the
//! ingest bench and the kill loop wait for both before anything is measured.
//!
//! `cargo bench -p simulator --bench generate` (`BENCH_DAYS`, `BENCH_EVENTS_PER_DAY` change the
//! scale; 30 × 35,000 by default, about a million records).
#![allow(clippy::print_stdout)] // A bench reports on standard output.

use simulator::{SimConfig, Simulator};
use std::time::Instant;

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let config = SimConfig {
        days: setting("BENCH_DAYS", 30),
        events_per_day: setting("BENCH_EVENTS_PER_DAY", 35_000),
        people: 400,
        teams: 12,
        ..SimConfig::default()
    };
    let (days, per_day) = (config.days, config.events_per_day);
    let started = Instant::now();
    let sim = Simulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("the simulator starts");
    let generated = started.elapsed();
    let records = sim.record_count();
    let started = Instant::now();
    let from = "2000-01-01T00:00:00Z".parse().expect("a valid time");
    let manifest = sim.manifest(from, sim.now(), true);
    let listed: u64 = manifest.sources.iter().map(|s| s.count).sum();
    let manifested = started.elapsed();
    sim.stop().await;
    println!("| measure | value |");
    println!("|---|---|");
    println!("| simulated days × records/day | {days} × {per_day} |");
    println!("| records generated | {records} |");
    println!(
        "| generation (start to listening) | {:.2} s, {:.0} records/s |",
        generated.as_secs_f64(),
        records as f64 / generated.as_secs_f64()
    );
    println!(
        "| manifest with every id ({listed} visible records) | {:.2} s |",
        manifested.as_secs_f64()
    );
}
