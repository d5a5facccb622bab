//! What the rules with long histories remember between passes. A new-value rule ("an address this
//! person has not used in 30 days") and a baseline rule ("ten times their usual day") would
//! otherwise read a group's whole history for every new event; instead each keeps what it needs of
//! the events it selected — the days each (group, value) pair was seen (`rule_values`), each
//! group's count per window (`rule_counts`) — and a pass reads and updates that with the new
//! events only, so its cost follows the new events and not the size of the store.
//!
//! The memory is built from the stored events once: when the rule is first evaluated, and again
//! whenever what it selects changes (its fingerprint: filter, kind, exclusions, team members).
//! Counts are split at a storing-time boundary: events stored before it are counted here, later
//! ones by the passes, so none is counted twice.

use crate::compiled::value_of;
use crate::kinds::baseline::{self, Tally};
use crate::kinds::{baseline_params, new_value, new_value_params};
use crate::{CompiledRule, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, RuleId, RuleKind};
use futures::TryStreamExt;
use std::collections::HashMap;
use store::alert_rules::MemoryMark;
use store::rule_counts::{GroupChange, WindowCount};
use store::rule_values::{day_of, Days, Pair, PairChange};
use store::Store;

/// Events read per round trip while building.
const BATCH: u32 = 2_000;

/// Whether rules of `kind` keep a memory.
pub fn remembers(kind: &RuleKind) -> bool {
    matches!(kind, RuleKind::NewValue { .. } | RuleKind::Baseline { .. })
}

/// Whether `rule`'s memory, as `mark` describes it, still holds.
pub fn holds(rule: &CompiledRule, mark: Option<&MemoryMark>) -> bool {
    mark.is_some_and(|m| m.fingerprint == rule.fingerprint())
}

/// Builds `rule`'s memory from the stored events: what it has selected within its history before
/// `now`, counts of events stored before `boundary` only. Returns how many events it read.
///
/// # Errors
/// A database error or a corrupt event.
pub async fn build(
    store: &Store,
    rule: &CompiledRule,
    boundary: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, RulesError> {
    let id = &rule.rule.id;
    forget(store, id).await?;
    let kind = &rule.rule.spec.kind;
    let (values_of, counts_of) = (new_value_params(kind), baseline_params(kind));
    let from = match (&values_of, &counts_of) {
        (Some(p), _) => now - Duration::days(i64::from(p.history_days) + 1),
        (None, Some(p)) => p.window_of(now) - Duration::days(i64::from(p.history_days) + 2),
        (None, None) => return Ok(0),
    };
    // Events dated ahead of the clock (a source's skew) are history too.
    let mut events = store.events.oldest_first(
        rule.within(from, now + Duration::days(1)),
        rule.actors.clone(),
        BATCH,
    );
    let mut values: HashMap<Pair, Days> = HashMap::new();
    let mut tally = Tally::new();
    let mut read = 0_u64;
    while let Some(doc) = events.try_next().await? {
        read += 1;
        let e = Event::try_from(doc)?;
        if !rule.selects(&e) {
            continue;
        }
        if let Some(p) = &values_of {
            remember_value(&mut values, &e, p);
        } else if let Some(p) = counts_of.as_ref().filter(|_| e.ingested_at < boundary) {
            baseline::tally(&mut tally, &e, p);
        }
    }
    if !values.is_empty() {
        let changes: HashMap<Pair, PairChange> = values
            .into_iter()
            .map(|(pair, days)| {
                let seen = days.values().flat_map(|(f, l)| [*f, *l]).collect();
                (
                    pair,
                    PairChange {
                        seen,
                        forget_days: Vec::new(),
                    },
                )
            })
            .collect();
        store.rule_values.remember(id, &changes).await?;
    }
    if !tally.is_empty() {
        let mut changes: HashMap<String, GroupChange> = HashMap::new();
        for ((group, window), slices) in tally {
            let count = WindowCount {
                settled: slices.values().sum(),
                recent: Default::default(),
            };
            changes.entry(group).or_default().set.insert(window, count);
        }
        store.rule_counts.save(id, &changes).await?;
    }
    store
        .rules
        .remembering(
            id,
            &MemoryMark {
                fingerprint: rule.fingerprint(),
                boundary,
            },
        )
        .await?;
    tracing::info!(rule.id = %id, events_read = read, "rule memory built");
    Ok(read)
}

/// Keeps, per pair and day, only the first and last sighting: all the memory stores of them.
fn remember_value(values: &mut HashMap<Pair, Days>, e: &Event, p: &new_value::Params) {
    let (Some(group), Some(value)) = (value_of(e, p.group_by), value_of(e, p.field)) else {
        return;
    };
    let t = e.occurred_at;
    values
        .entry((group, value))
        .or_default()
        .entry(day_of(t))
        .and_modify(|(first, last)| {
            *first = (*first).min(t);
            *last = (*last).max(t);
        })
        .or_insert((t, t));
}

/// Forgets what `rule` remembers (it was deleted, or its memory is built again).
///
/// # Errors
/// A database error.
pub async fn forget(store: &Store, rule: &RuleId) -> Result<(), RulesError> {
    store.rule_values.forget(rule).await?;
    store.rule_counts.forget(rule).await?;
    Ok(())
}
