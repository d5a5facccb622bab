//! Incident correlation benchmark: 10,000 new alerts (2,000 people, five rules each) correlated
//! into a store that already holds 100,000 closed incidents for the same people, then the same
//! again over 400,000 — the cost must follow the new alerts, not the closed history (every lookup
//! is by key and state, and a closed incident is only ever read to link a new one to it).
//!
//! `cargo bench -p server --bench incidents` (environment: `BENCH_CLOSED`, default
//! `100000,400000`; `BENCH_ALERTS`, default 10000). Writes its figures into BENCHMARKS.md between
//! the `incidents` markers.

mod common;

use bson::{doc, Document};
use chrono::{DateTime, Duration, Utc};
use common::{peak_rss_mib, write_section};
use domain::{Field, RuleId, Severity};
use std::collections::BTreeMap;
use std::time::Instant;
use store::alerts::AlertRecord;
use store::Store;

const PEOPLE: usize = 2_000;
const RULES: [&str; 5] = [
    "admin-granted",
    "api-token-created",
    "mass-export",
    "new-ip-security",
    "brute-force",
];

fn t0() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().expect("a fixed time")
}

fn sizes() -> Vec<usize> {
    std::env::var("BENCH_CLOSED")
        .unwrap_or_else(|_| "100000,400000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

async fn create_rules(store: &Store) {
    for name in RULES {
        let spec = testkit::match_rule(name, "category:security");
        let id = RuleId::parse(name).expect("a rule id");
        store
            .rules
            .create(&id, &spec, "bench", t0())
            .await
            .expect("rule stored");
    }
}

/// Closed incidents `from..to`, spread over the people, a month before the new alerts.
async fn store_closed(store: &Store, from: usize, to: usize) {
    let incidents = store.db.collection::<Document>("incidents");
    let rank = i32::from(domain::incident::severity_rank(Severity::High));
    let mut batch = Vec::with_capacity(5_000);
    for n in from..to {
        let at = bson::DateTime::from_chrono(
            t0() - Duration::days(30) + Duration::seconds((n % 2_000_000) as i64),
        );
        batch.push(doc! {
            "_id": format!("inc_closed_{n:08}"),
            "key": format!("person:p{:04}", n % PEOPLE),
            "state": "closed", "state_rank": 4,
            "severity": "high", "severity_rank": rank,
            "parts": [ { "rule_name": RULES[n % RULES.len()], "events": 1_i64 } ],
            "alerts": 1_i64, "events": 1_i64,
            "people": [format!("person:p{:04}", n % PEOPLE)], "ips": [],
            "first_seen": at, "last_seen": at, "created_at": at,
            "acknowledged_by": "bench", "acknowledged_at": at,
            "resolved_by": "bench", "resolved_at": at,
            "classification": "false_positive", "resolution_note": "bench",
            "closed_by": "bench", "closed_at": at,
            "revision": 4_i64, "outbox": [],
        });
        if batch.len() == 5_000 {
            incidents
                .insert_many(std::mem::take(&mut batch))
                .await
                .expect("incidents stored");
        }
    }
    if !batch.is_empty() {
        incidents
            .insert_many(batch)
            .await
            .expect("incidents stored");
    }
}

/// `n` new alerts of round `round`: one per (person, rule), pending correlation.
async fn record_alerts(store: &Store, n: usize, round: usize) {
    let start = t0() + Duration::days(round as i64);
    for i in 0..n {
        let (person, rule) = (i / RULES.len() % PEOPLE, RULES[i % RULES.len()]);
        let at = start + Duration::seconds(i as i64);
        let person = format!("person:p{person:04}");
        let record = AlertRecord {
            id: format!("{rule}:{person}:{round}:{i}"),
            rule_id: RuleId::parse(rule).expect("a rule id"),
            rule_name: rule.into(),
            severity: if i % 7 == 0 {
                Severity::High
            } else {
                Severity::Medium
            },
            dedup_key: person.clone(),
            group: BTreeMap::from([(Field::Person, person)]),
            period_start: at,
            events: Vec::new(),
            seen_at: at,
            why: "bench".into(),
            events_query: String::new(),
        };
        store
            .alerts
            .record(&record, at)
            .await
            .expect("alert stored");
    }
}

struct Row {
    closed: usize,
    total: u64,
    alerts: u64,
    opened: u64,
    joined: u64,
    seconds: f64,
}

#[tokio::main]
async fn main() {
    let alerts: usize = common::env_number("BENCH_ALERTS", 10_000) as usize;
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .expect("indexes");
    create_rules(&store).await;
    let mut rows = Vec::new();
    let mut stored = 0;
    for (round, closed) in sizes().into_iter().enumerate() {
        let started = Instant::now();
        store_closed(&store, stored, closed).await;
        stored = closed;
        // The previous round's incidents are closed too, so every round starts alike.
        store
            .db
            .collection::<Document>("incidents")
            .update_many(
                doc! { "state": { "$ne": "closed" } },
                doc! { "$set": { "state": "closed", "state_rank": 4 } },
            )
            .await
            .expect("closed");
        record_alerts(&store, alerts, round + 1).await;
        eprintln!(
            "{closed} closed incidents and {alerts} new alerts stored in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let now = t0() + Duration::days(round as i64 + 2);
        let timer = Instant::now();
        let report = incidents::correlate_pending(&store, now)
            .await
            .expect("correlated");
        let seconds = timer.elapsed().as_secs_f64();
        let total = store
            .db
            .collection::<Document>("incidents")
            .estimated_document_count()
            .await
            .expect("counted");
        eprintln!(
            "correlated {} alerts in {seconds:.2} s: {} opened, {} joined",
            report.alerts, report.opened, report.joined
        );
        rows.push(Row {
            closed,
            total,
            alerts: report.alerts,
            opened: report.opened,
            joined: report.joined,
            seconds,
        });
    }
    let mut body = format!(
        "Measured {} on this machine ({} cores), release build, SecantusDB `secantusd-rs` started by the bench; {PEOPLE} people, {} rules, every new alert's person also has closed incidents; default correlation (by person, 24 h lookback).\n\n",
        Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        RULES.len()
    );
    body.push_str("| closed incidents before | incidents after | alerts correlated | incidents opened | alerts joined | time, s | per alert, ms |\n|---|---|---|---|---|---|---|\n");
    for r in &rows {
        body.push_str(&format!(
            "| {} | {} | {} | {} | {} | **{:.2}** | {:.2} |\n",
            r.closed,
            r.total,
            r.alerts,
            r.opened,
            r.joined,
            r.seconds,
            r.seconds * 1000.0 / r.alerts.max(1) as f64
        ));
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        body.push_str(&format!(
            "\nTime at {} closed ÷ time at {} closed: **{:.2}**. Peak memory of the bench process: {:.0} MiB.\n",
            last.closed,
            first.closed,
            last.seconds / first.seconds,
            peak_rss_mib()
        ));
    }
    eprint!("{body}");
    write_section("incidents", &body);
}
