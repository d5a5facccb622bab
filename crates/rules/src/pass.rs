//! One evaluation pass: every enabled rule over what was stored since its watermark, and every
//! stream rule over the streams' state now. A pass records alerts (idempotently) and moves each
//! rule's watermark; run it again after a crash and it finds the same alerts and records nothing
//! new.

use crate::finding::records;
use crate::kinds::baseline::{self, Tally};
use crate::kinds::{baseline_params, evaluate_events, new_value, new_value_params, streams};
use crate::recent::{Keeping, RecentEvents};
use crate::{memory, CompiledRule, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, StreamKey};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use store::alert_rules::StoredRule;
use store::events::{FieldValue, IngestMark};
use store::sync_state::SyncState;
use store::Store;

/// Events a pass reads per round trip.
const BATCH: i64 = 5_000;

/// How long a write may be in flight: the sink stamps a batch with its storing time just before
/// writing it, so an event can become visible after a pass that began up to this long after its
/// stamp has read past it. The next pass reads what was stamped from this long before the last
/// one began again; that costs a little and records nothing twice.
const OVERLAP: Duration = Duration::seconds(10);

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
    /// Events the last pass had read that this one took again without reading them (see
    /// [`RecentEvents`]).
    pub events_reused: u64,
    /// Alerts recorded for the first time.
    pub created: Vec<String>,
    /// Alerts that new matches joined.
    pub joined: u64,
    /// Rules that could not run, with why.
    pub skipped: Vec<(String, String)>,
    /// Rules whose memory was built in this pass, with how long that took in milliseconds.
    pub memory_built: Vec<(String, u64)>,
    /// How long reading the new events took, in milliseconds.
    pub read_ms: u64,
    /// How long each event rule took, in milliseconds (reading the new events excluded).
    pub rule_ms: BTreeMap<String, u64>,
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

/// How a pass evaluates one event rule.
enum Way {
    /// Match and threshold: the new events, and a short window around them in the store.
    Direct,
    /// New value: against the rule's memory of values, which each batch then updates.
    Values(new_value::Params),
    /// Baseline: every event read tallied over the whole pass, and the windows new events fall in
    /// judged at its end against the rule's memory of counts with the tally merged in.
    Counts(
        baseline::Params,
        Tally,
        BTreeSet<(FieldValue, DateTime<Utc>)>,
    ),
}

/// An event rule in a pass.
struct EventRule {
    rule: CompiledRule,
    /// The last event it has read (`None`: none yet).
    watermark: Option<IngestMark>,
    /// What it reads in this pass.
    resume: Resume,
    /// It never judges events stored at or before this one.
    start: Option<IngestMark>,
    way: Way,
    fired: bool,
    /// The newest event this pass read for it.
    moved: Option<IngestMark>,
}

/// Where a pass resumes reading for one rule: events stored at or after `since`, and after the
/// event `after` when it names one.
#[derive(Debug, Clone)]
struct Resume {
    since: DateTime<Utc>,
    after: Option<IngestMark>,
}

impl Resume {
    /// Whether the rule reads `e` in this pass.
    fn reads(&self, e: &Event) -> bool {
        e.ingested_at >= self.since && self.after.as_ref().is_none_or(|w| after(&mark(e), w))
    }

    /// A rule at `watermark` whose last pass began at `last_began` reads what was stamped from
    /// [`OVERLAP`] before that again (a write then in flight may have landed behind the
    /// watermark), and otherwise — or when `settled` says nothing landed there — only what is
    /// after the watermark. A baseline, which recounts the storing slices it reads (see
    /// [`baseline::merge`]), reads each slice whole.
    fn of(
        watermark: Option<&IngestMark>,
        last_began: Option<DateTime<Utc>>,
        settled: bool,
        whole_slices: bool,
    ) -> Self {
        let Some(w) = watermark else {
            return Resume {
                since: DateTime::<Utc>::UNIX_EPOCH,
                after: None,
            };
        };
        let in_flight_from = if settled {
            w.ingested_at + Duration::milliseconds(1)
        } else {
            last_began.unwrap_or(w.ingested_at) - OVERLAP
        };
        if whole_slices {
            Resume {
                since: baseline::slice_of(in_flight_from.min(w.ingested_at)),
                after: None,
            }
        } else if in_flight_from > w.ingested_at {
            Resume {
                since: w.ingested_at,
                after: Some(w.clone()),
            }
        } else {
            Resume {
                since: in_flight_from,
                after: None,
            }
        }
    }
}

impl EventRule {
    /// Evaluates the batch's events for this rule: `read` are those it selects from where it
    /// resumes, some already judged by the last pass (the overlap).
    async fn batch(
        &mut self,
        store: &Store,
        read: &[&Event],
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<(), RulesError> {
        let start = self.start.as_ref();
        let new: Vec<&Event> = read
            .iter()
            .filter(|e| start.is_none_or(|s| after(&mark(e), s)))
            .copied()
            .collect();
        let rule = &self.rule;
        match &mut self.way {
            Way::Direct => {
                let found = evaluate_events(store, rule, &new).await?;
                self.fired |= record(store, rule, found, now, report).await?;
            }
            Way::Values(p) => {
                if read.is_empty() {
                    return Ok(());
                }
                let memory = new_value::remembered(store, rule, read, p).await?;
                let earlier = new_value::Earlier::Remembered(&memory);
                let found = new_value::evaluate(&earlier, rule, &new, p).await?;
                self.fired |= record(store, rule, found, now, report).await?;
                // After the alerts: a pass that stops in between finds them again.
                let changes = new_value::changes(read, &memory, p, now);
                store.rule_values.remember(&rule.rule.id, &changes).await?;
            }
            Way::Counts(p, tally, touched) => {
                // Events before the rule's start are counted (they are its history) but never
                // judged.
                for e in read {
                    baseline::tally(tally, e, p);
                }
                touched.extend(baseline::touched_by(&new, p));
            }
        }
        Ok(())
    }

    /// Ends the pass for this rule: a baseline judges the windows it tallied.
    async fn conclude(
        &mut self,
        store: &Store,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<(), RulesError> {
        let Way::Counts(p, tally, touched) = &mut self.way else {
            return Ok(());
        };
        if tally.is_empty() {
            return Ok(());
        }
        let rule = &self.rule;
        let groups: BTreeSet<String> = tally.keys().map(|(g, _)| g.clone()).collect();
        let groups: Vec<String> = groups.into_iter().collect();
        let mut memory = store.rule_counts.windows(&rule.rule.id, &groups).await?;
        let recount_from = self.resume.since;
        let changes = baseline::merge(&mut memory, tally, recount_from, p, now);
        let touched = std::mem::take(touched);
        let counts = baseline::Counts::Remembered(&memory);
        let found = baseline::evaluate(store, &counts, rule, touched, p).await?;
        self.fired |= record(store, rule, found, now, report).await?;
        store.rule_counts.save(&rule.rule.id, &changes).await?;
        Ok(())
    }
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
    evaluate_pass_keeping(store, stream_list, now, &mut None).await
}

/// Runs one pass at `now` over every enabled rule, taking from `recent` what the previous pass of
/// this process read of the latest events where the store shows nothing landed among them since,
/// and leaving there what this pass read of its own latest ones.
///
/// # Errors
/// A database error (the pass can simply run again).
pub async fn evaluate_pass_keeping(
    store: &Store,
    stream_list: &[StreamInfo],
    now: DateTime<Utc>,
    recent_out: &mut Option<RecentEvents>,
) -> Result<PassReport, RulesError> {
    let started = Instant::now();
    let mut report = PassReport::default();
    let recent = match recent_out.take() {
        Some(r) if r.still_whole(store).await? => Some(r),
        _ => None,
    };
    let stored: Vec<StoredRule> = store
        .rules
        .all()
        .await?
        .into_iter()
        .filter(|r| r.spec.enabled)
        .collect();
    let states = store.rules.states().await?;
    let mut event_rules: Vec<EventRule> = Vec::new();
    // Read only when a rule is new: on SecantusDB it costs more than a pass.
    let mut newest: Option<Option<IngestMark>> = None;
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
        let Some(state) = states.get(id.as_str()) else {
            // A new rule starts from what is stored now (the preview shows what it would have
            // found before), or from the first event of a store that has none yet, so the
            // first sync of a new installation is evaluated.
            let newest = match &newest {
                Some(n) => n,
                None => newest.insert(store.events.newest_mark(now).await?),
            };
            store.rules.start(&id, newest.as_ref(), now).await?;
            continue;
        };
        let kind = &compiled.rule.spec.kind;
        let way = if let Some(p) = new_value_params(kind) {
            Way::Values(p)
        } else if let Some(p) = baseline_params(kind) {
            Way::Counts(p, Tally::new(), BTreeSet::new())
        } else {
            Way::Direct
        };
        let settled = match (&recent, &state.watermark, state.evaluated_at) {
            (Some(r), Some(w), Some(began)) => r.settles(w, began, OVERLAP),
            _ => false,
        };
        let resume = Resume::of(
            state.watermark.as_ref(),
            state.evaluated_at,
            settled,
            matches!(way, Way::Counts(..)),
        );
        let remembers = !matches!(way, Way::Direct);
        if remembers && !memory::holds(&compiled, state.memory.as_ref()) {
            let boundary = resume.since;
            let building = Instant::now();
            report.events_read += memory::build(store, &compiled, boundary, now).await?;
            report
                .memory_built
                .push((id.to_string(), building.elapsed().as_millis() as u64));
        }
        event_rules.push(EventRule {
            rule: compiled,
            watermark: state.watermark.clone(),
            resume,
            start: state.start.clone(),
            way,
            fired: false,
            moved: None,
        });
    }
    if event_rules.is_empty() {
        report.duration_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }
    let lowest = event_rules
        .iter()
        .map(|r| r.resume.since)
        .min()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut keeping = Keeping::from(baseline::slice_of(now - OVERLAP).max(lowest));
    let mut cursor: Option<IngestMark> = None;
    if let Some(r) = recent.filter(|r| r.cover_from(lowest)) {
        let (events, through) = r.into_stored_since(lowest);
        report.events_reused = events.len() as u64;
        for chunk in events.chunks(BATCH as usize) {
            judge(&mut event_rules, store, chunk, now, &mut report).await?;
        }
        keeping.read(&events);
        cursor = Some(through);
    }
    loop {
        let from = match &cursor {
            None => (lowest, None),
            Some(c) => (c.ingested_at, Some(&c.id)),
        };
        let reading = Instant::now();
        let batch = store.events.ingested_after(Some(from), BATCH).await?;
        report.read_ms += reading.elapsed().as_millis() as u64;
        report.events_read += batch.len() as u64;
        if batch.is_empty() {
            break;
        }
        judge(&mut event_rules, store, &batch, now, &mut report).await?;
        keeping.read(&batch);
        let full = batch.len() as i64 == BATCH;
        cursor = batch.last().map(mark);
        if !full {
            break;
        }
    }
    for r in &mut event_rules {
        let rule_started = Instant::now();
        r.conclude(store, now, &mut report).await?;
        *report
            .rule_ms
            .entry(r.rule.rule.id.to_string())
            .or_default() += rule_started.elapsed().as_millis() as u64;
        let w = r.moved.as_ref().or(r.watermark.as_ref());
        store
            .rules
            .evaluated(&r.rule.rule.id, w, r.fired, now)
            .await?;
    }
    *recent_out = keeping.done(cursor);
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

/// Lets every event rule judge one batch of events, in stored order.
async fn judge(
    event_rules: &mut [EventRule],
    store: &Store,
    batch: &[Event],
    now: DateTime<Utc>,
    report: &mut PassReport,
) -> Result<(), RulesError> {
    let Some(last) = batch.last().map(mark) else {
        return Ok(());
    };
    for r in event_rules {
        let rule_started = Instant::now();
        let read: Vec<&Event> = batch
            .iter()
            .filter(|e| r.resume.reads(e) && r.rule.selects(e))
            .collect();
        r.batch(store, &read, now, report).await?;
        if r.watermark.as_ref().is_none_or(|w| after(&last, w)) {
            r.moved = Some(last.clone());
        }
        *report
            .rule_ms
            .entry(r.rule.rule.id.to_string())
            .or_default() += rule_started.elapsed().as_millis() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn watermark(at: &str) -> IngestMark {
        IngestMark {
            ingested_at: t(at),
            id: domain::EventId::parse("acme:jira:w1").unwrap(),
        }
    }

    #[test]
    fn a_rule_reads_after_its_watermark_once_no_write_can_still_land_behind_it() {
        let w = watermark("2026-03-10T12:00:00Z");
        let r = Resume::of(Some(&w), Some(t("2026-03-10T12:05:00Z")), false, false);
        assert_eq!(r.since, w.ingested_at);
        assert_eq!(r.after, Some(w));
    }

    #[test]
    fn a_rule_reads_again_what_was_stamped_shortly_before_its_last_pass_began() {
        let w = watermark("2026-03-10T12:00:00Z");
        let r = Resume::of(Some(&w), Some(t("2026-03-10T12:00:03Z")), false, false);
        assert_eq!(r.since, t("2026-03-10T11:59:53Z"));
        assert_eq!(r.after, None);
    }

    #[test]
    fn a_baseline_reads_whole_storing_slices() {
        let w = watermark("2026-03-10T12:00:00Z");
        let r = Resume::of(Some(&w), Some(t("2026-03-10T12:00:03Z")), false, true);
        assert_eq!(r.since, t("2026-03-10T11:59:50Z"));
        let r = Resume::of(Some(&w), Some(t("2026-03-10T12:05:00Z")), false, true);
        assert_eq!(r.since, t("2026-03-10T12:00:00Z"));
    }

    #[test]
    fn a_rule_settled_by_the_last_pass_reads_only_after_its_watermark() {
        let w = watermark("2026-03-10T12:00:04Z");
        let r = Resume::of(Some(&w), Some(t("2026-03-10T12:00:05Z")), true, false);
        assert_eq!(r.since, w.ingested_at);
        assert_eq!(r.after, Some(w.clone()));
        let r = Resume::of(Some(&w), Some(t("2026-03-10T12:00:05Z")), true, true);
        assert_eq!(
            r.since,
            t("2026-03-10T12:00:00Z"),
            "the storing slice whole"
        );
    }
}
