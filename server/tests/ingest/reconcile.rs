//! A full sync stores exactly what the source holds — every record once — under every fault, and
//! a second sync adds nothing.

use crate::harness::{count, expected_ids, small_config, start, Harness};
use bson::doc;
use simulator::Faults;
use store::sync_state::RunCounters;

/// Records within this of the present may still turn visible (late records); compare before it.
fn settle(h: &Harness) -> chrono::Duration {
    let late = &h.sim.config().faults;
    if late.late_rate > 0.0 {
        chrono::Duration::seconds(late.late_delay_s as i64 + 60)
    } else {
        chrono::Duration::zero()
    }
}

async fn assert_reconciles(h: &Harness) {
    let range = h.covered(settle(h));
    let manifest = h.manifest(range);
    let expected = expected_ids(&manifest);
    let stored = h.stored_ids(range).await;
    for (stream, ids) in &expected {
        let got = stored.get(stream).cloned().unwrap_or_default();
        let missing: Vec<_> = ids.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(ids).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{stream}: {} expected, {} stored; missing e.g. {missing:?}; extra e.g. {extra:?}",
            ids.len(),
            got.len()
        );
    }
    for stream in stored.keys() {
        assert!(
            expected.contains_key(stream),
            "{stream} stored but not in the source"
        );
    }
    // Every malformed record is quarantined with its reason and raw input.
    let rejects = h.store.rejects.recent(None, 1000).await.unwrap();
    assert_eq!(
        rejects.len(),
        manifest.malformed.len(),
        "rejects {:?} vs malformed {:?}",
        rejects
            .iter()
            .map(|r| (&r.stream, &r.reason))
            .collect::<Vec<_>>(),
        manifest.malformed
    );
    for r in &rejects {
        assert!(!r.reason.is_empty());
        assert!(r.raw.as_document().is_some_and(|d| !d.is_empty()), "{r:?}");
    }
}

#[tokio::test]
async fn a_full_sync_reconciles_with_the_source_and_a_second_adds_nothing() {
    let h = start(small_config(11, Faults::default())).await;
    let first = h.sync_all().await;
    assert_reconciles(&h).await;
    let range = h.covered(chrono::Duration::zero());
    let expected = count(&expected_ids(&h.manifest(range)));
    let inserted: u64 = first.values().map(|c| c.inserted).sum();
    assert!(
        expected > 500,
        "the data set is too small to mean much: {expected}"
    );
    // Directory inserts count accounts and memberships, not events.
    let events_inserted: u64 = first
        .iter()
        .filter(|(k, _)| !k.ends_with("/directory"))
        .map(|(_, c)| c.inserted)
        .sum();
    assert_eq!(events_inserted as usize, expected);
    assert!(inserted >= events_inserted);

    let second = h.sync_all().await;
    for (stream, c) in second.iter().filter(|(k, _)| !k.ends_with("/directory")) {
        assert_eq!(c.inserted, 0, "{stream} inserted again: {c:?}");
    }
    assert_eq!(count(&h.stored_ids(range).await), expected);

    // The cursor is the newest stored event of each stream, and nothing failed.
    for state in h.store.sync_state.all().await.unwrap() {
        assert!(state.last_error.is_none(), "{state:?}");
        assert!(state.last_success_at.is_some(), "{state:?}");
    }

    // Every actor resolved to a person whose name is stored only encrypted.
    let events = h.store.db.collection::<bson::Document>("events");
    let with_actor = events
        .count_documents(doc! { "actor_raw": { "$exists": true } })
        .await
        .unwrap();
    let resolved = events
        .count_documents(doc! { "actor_id": { "$exists": true } })
        .await
        .unwrap();
    assert!(with_actor > 0);
    assert_eq!(with_actor, resolved);
    let identities: Vec<bson::Document> = futures::TryStreamExt::try_collect(
        h.store
            .db
            .collection::<bson::Document>("identities")
            .find(doc! {})
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(!identities.is_empty());
    for i in &identities {
        for field in ["name_enc", "email_enc"] {
            if let Ok(v) = i.get_str(field) {
                assert!(v.starts_with("v1:"), "{field} is not a ciphertext: {v}");
            }
        }
        assert!(i.get("name").is_none() && i.get("email").is_none());
    }
    // The daily rollups the sync kept current count every stored event exactly once.
    let rollups: Vec<bson::Document> = futures::TryStreamExt::try_collect(
        h.store
            .db
            .collection::<bson::Document>("rollups_daily")
            .find(doc! {})
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    let counted: i64 = rollups.iter().map(|r| r.get_i64("count").unwrap()).sum();
    let stored = events.count_documents(doc! {}).await.unwrap();
    assert_eq!(counted as u64, stored);

    // Organization groups became teams, product groups did not.
    let teams = h.store.teams.all().await.unwrap();
    assert_eq!(teams.len(), h.sim.config().teams, "{teams:?}");
    for t in &teams {
        assert!(
            !h.store.teams.members(&t.id).await.unwrap().is_empty(),
            "{t:?}"
        );
    }
}

/// Syncs twice under `faults`, reconciling after each; returns the first run's counters summed
/// over the streams and what the simulator injected, for the test to check its fault fired.
async fn reconciles_under(faults: Faults) -> (RunCounters, simulator::Injected) {
    reconciles_with(small_config(23, faults)).await
}

async fn reconciles_with(config: simulator::SimConfig) -> (RunCounters, simulator::Injected) {
    let h = start(config).await;
    let first = h.sync_all().await;
    assert_reconciles(&h).await;
    // Again, to show overlapping re-delivery changes nothing.
    h.sync_all().await;
    assert_reconciles(&h).await;
    let mut total = RunCounters::default();
    for c in first.values() {
        total.requests += c.requests;
        total.pages += c.pages;
        total.rate_limited += c.rate_limited;
        total.waited_ms += c.waited_ms;
        total.records += c.records;
        total.inserted += c.inserted;
        total.duplicates += c.duplicates;
        total.rejects += c.rejects;
    }
    (total, h.sim.injected())
}

/// Faults were injected and the streams' syncs sent requests again. (The directory refresh's
/// requests meet the faults too but are not in the streams' counters, so the two totals cannot
/// be compared one for one.)
fn retried_after_faults(run: &RunCounters, injected: &simulator::Injected) {
    let faults = injected.rate_limited + injected.server_errors + injected.hangs;
    assert!(
        faults > 0 && run.requests > run.pages,
        "{run:?} after {injected:?}"
    );
}

#[tokio::test]
async fn rate_limit_bursts_lose_nothing() {
    let (run, injected) = reconciles_under(Faults {
        rate_limit_every: Some(7),
        rate_limit_burst: 2,
        ..Faults::default()
    })
    .await;
    assert!(run.rate_limited > 0 && run.waited_ms > 0, "{run:?}");
    retried_after_faults(&run, &injected);
}

#[tokio::test]
async fn server_errors_lose_nothing() {
    let (run, injected) = reconciles_under(Faults {
        error_rate: 0.1,
        ..Faults::default()
    })
    .await;
    assert!(injected.server_errors > 0, "{injected:?}");
    retried_after_faults(&run, &injected);
}

#[tokio::test]
async fn slow_responses_lose_nothing() {
    reconciles_under(Faults {
        slow_ms: 20,
        ..Faults::default()
    })
    .await;
}

#[tokio::test]
async fn hanging_requests_time_out_and_are_retried() {
    let (run, injected) = reconciles_under(Faults {
        hang_rate: 0.03,
        ..Faults::default()
    })
    .await;
    assert!(injected.hangs > 0, "{injected:?}");
    retried_after_faults(&run, &injected);
}

#[tokio::test]
async fn malformed_records_are_quarantined_with_their_reason() {
    let (run, _) = reconciles_under(Faults {
        malformed: true,
        ..Faults::default()
    })
    .await;
    assert!(run.rejects > 0, "{run:?}");
}

#[tokio::test]
async fn records_repeated_across_pages_are_stored_once() {
    // Enough records that every stream spans several pages (at 500 a day none overlapped).
    let (run, _) = reconciles_with(simulator::SimConfig {
        events_per_day: 2500,
        ..small_config(
            23,
            Faults {
                duplicate_across_pages: true,
                ..Faults::default()
            },
        )
    })
    .await;
    assert!(run.duplicates > 0, "pages overlapped: {run:?}");
}

#[tokio::test]
async fn every_fault_at_once_still_reconciles() {
    let (run, injected) = reconciles_under(Faults {
        rate_limit_every: Some(9),
        rate_limit_burst: 2,
        error_rate: 0.05,
        slow_ms: 5,
        hang_rate: 0.02,
        malformed: true,
        duplicate_across_pages: true,
        late_rate: 0.05,
        late_delay_s: 300,
        reject_credentials: false,
    })
    .await;
    assert!(run.rejects > 0, "{run:?}");
    retried_after_faults(&run, &injected);
}

#[tokio::test]
async fn a_late_record_inside_the_overlap_is_picked_up_by_the_next_run() {
    // Every record turns visible five minutes after it occurred, and there are enough of them
    // (about seven a minute) that the last five minutes before the first sync always hold some.
    let h = start(simulator::SimConfig {
        days: 1,
        events_per_day: 10_000,
        ..small_config(
            31,
            Faults {
                late_rate: 1.0,
                late_delay_s: 300,
                ..Faults::default()
            },
        )
    })
    .await;
    h.sync_all().await;
    let everything = |h: &Harness| {
        let (from, _) = h.covered(chrono::Duration::zero());
        (from, h.sim.now() + chrono::Duration::days(2))
    };
    let before = count(&h.stored_ids(everything(&h)).await);
    // Records that occurred in the last five minutes but are not visible yet were missed...
    h.sim.advance_clock(chrono::Duration::minutes(6));
    let counters = h.sync_all().await;
    let late: u64 = counters.values().map(|c| c.late).sum();
    assert!(late > 0, "no late arrivals were seen: {counters:?}");
    assert!(count(&h.stored_ids(everything(&h)).await) > before);
    // ...and now everything visible is stored exactly once.
    assert_reconciles(&h).await;
}
