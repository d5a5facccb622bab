//! One evaluation pass: every enabled rule over what was stored since its watermark, and every
//! stream rule over the streams' state now. A pass records alerts (idempotently) and moves each
//! rule's watermark; run it again after a crash and it finds the same alerts and records nothing
//! new.

use crate::finding::records;
use crate::kinds::{evaluate_events, streams};
use crate::{CompiledRule, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, StreamKey};
use std::collections::BTreeMap;
use std::time::Instant;
use store::alert_rules::StoredRule;
use store::events::IngestMark;
use store::sync_state::SyncState;
use store::Store;

/// Events a pass reads per round trip.
const BATCH: i64 = 5_000;

/// How far before its watermark a rule looks again: events stored by a write still in flight when
/// the last pass read carry an earlier storing time than the newest it saw. Looking again costs a
/// little and records nothing twice.
const OVERLAP: Duration = Duration::minutes(2);

/// A configured stream, as stream rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream.
    pub key: StreamKey,
    /// When its credential expires, if the deployments file says.
    pub credential_expires: Option<DateTime<Utc>>,
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    /// Rules evaluated.
    pub rules: usize,
    /// Events read from the store.
    pub events_read: u64,
    /// Alerts recorded for the first time.
    pub created: Vec<String>,
    /// Alerts that new matches joined.
    pub joined: u64,
    /// Rules that could not run, with why.
    pub skipped: Vec<(String, String)>,
    /// How long it took.
    pub duration_ms: u64,
}

fn mark(e: &Event) -> IngestMark {
    IngestMark {
        ingested_at: e.ingested_at,
        id: e.id.clone(),
    }
}

fn after(a: &IngestMark, b: &IngestMark) -> bool {
    (a.ingested_at, &a.id) > (b.ingested_at, &b.id)
}

async fn record(
    store: &Store,
    rule: &CompiledRule,
    found: Vec<crate::Finding>,
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<bool, RulesError> {
    let alerts = records(rule, found);
    for a in &alerts {
        let r = store.alerts.record(a, now).await?;
        if r.created {
            tracing::info!(
                rule.id = %rule.rule.id,
                alert.id = %a.id,
                alert.count = r.alert.count,
                "alert recorded"
            );
            report.created.push(a.id.clone());
        } else if r.attached > 0 {
            report.joined += 1;
        }
    }
    Ok(!alerts.is_empty())
}

/// Runs one pass at `now` over every enabled rule.
///
/// # Errors
/// A database error (the pass can simply run again).
pub async fn evaluate_pass(
    store: &Store,
    stream_list: &[StreamInfo],
    now: DateTime<Utc>,
) -> Result<PassReport, RulesError> {
    let started = Instant::now();
    let mut report = PassReport::default();
    let stored: Vec<StoredRule> = store
        .rules
        .all()
        .await?
        .into_iter()
        .filter(|r| r.spec.enabled)
        .collect();
    let states = store.rules.states().await?;
    // A rule's watermark; `None`: from the first event stored.
    let mut event_rules: Vec<(CompiledRule, Option<IngestMark>)> = Vec::new();
    let mut starts: Vec<Option<IngestMark>> = Vec::new();
    let newest = store.events.newest_mark().await?;
    let mut sync_states: Option<BTreeMap<String, SyncState>> = None;
    for rule in stored {
        let id = rule.id.clone();
        let compiled = match CompiledRule::compile(store, rule).await {
            Ok(c) => c,
            Err(RulesError::Invalid { rule, reason }) => {
                tracing::warn!(rule.id = %rule, error = %reason, "a stored rule is not valid; skipped");
                report.skipped.push((rule, reason.to_string()));
                continue;
            }
            Err(e) => return Err(e),
        };
        report.rules += 1;
        if !compiled.rule.spec.kind.reads_events() {
            let sync_states = match &sync_states {
                Some(s) => s,
                None => sync_states.insert(streams::sync_states(store).await?),
            };
            let found = streams::evaluate(store, &compiled, stream_list, sync_states, now).await?;
            let fired = record(store, &compiled, found, now, &mut report).await?;
            store.rules.evaluated(&id, None, fired, now).await?;
            continue;
        }
        match states.get(id.as_str()) {
            Some(state) => {
                event_rules.push((compiled, state.watermark.clone()));
                starts.push(state.start.clone());
            }
            // A new rule starts from what is stored now (the preview shows what it would have
            // found before), or from the first event of a store that has none yet, so the
            // first sync of a new installation is evaluated.
            None => {
                store.rules.start(&id, newest.as_ref(), now).await?;
            }
        }
    }
    if event_rules.is_empty() {
        report.duration_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }
    let since = |w: &Option<IngestMark>| {
        w.as_ref()
            .map_or(DateTime::<Utc>::UNIX_EPOCH, |w| w.ingested_at - OVERLAP)
    };
    let lowest = event_rules
        .iter()
        .map(|(_, w)| since(w))
        .min()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut cursor: Option<IngestMark> = None;
    let mut fired = vec![false; event_rules.len()];
    let mut moved: Vec<Option<IngestMark>> = vec![None; event_rules.len()];
    loop {
        let from = match &cursor {
            None => (lowest, None),
            Some(c) => (c.ingested_at, Some(&c.id)),
        };
        let batch = store.events.ingested_after(Some(from), BATCH).await?;
        report.events_read += batch.len() as u64;
        let Some(last) = batch.last().map(mark) else {
            break;
        };
        for (i, (rule, watermark)) in event_rules.iter().enumerate() {
            let from = since(watermark);
            let start = starts[i].as_ref();
            let new: Vec<&Event> = batch
                .iter()
                .filter(|e| {
                    e.ingested_at >= from
                        && start.is_none_or(|s| after(&mark(e), s))
                        && rule.selects(e)
                })
                .collect();
            let found = evaluate_events(store, rule, &new).await?;
            fired[i] |= record(store, rule, found, now, &mut report).await?;
            if watermark.as_ref().is_none_or(|w| after(&last, w)) {
                moved[i] = Some(last.clone());
            }
        }
        let full = batch.len() as i64 == BATCH;
        cursor = Some(last);
        if !full {
            break;
        }
    }
    for (i, (rule, watermark)) in event_rules.iter().enumerate() {
        let w = moved[i].as_ref().or(watermark.as_ref());
        store
            .rules
            .evaluated(&rule.rule.id, w, fired[i], now)
            .await?;
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        rules = report.rules,
        events_read = report.events_read,
        alerts_created = report.created.len(),
        alerts_joined = report.joined,
        duration_ms = report.duration_ms,
        "rules evaluated"
    );
    Ok(report)
}
