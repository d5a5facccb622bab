//! `threshold`: at least N selected events of one group within a window. The new events' times
//! are gathered into clusters (each new event with a window either side, overlapping ones merged),
//! the rule's events in a cluster are read in one query for all its groups, and every window
//! ending at one of them that holds a new event is counted: a late record can complete a window
//! that ends at an event evaluated earlier.

use super::WINDOW_LIMIT;
use crate::compiled::field_value;
use crate::{CompiledRule, Finding, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::rule::minutes_in_words;
use domain::{Event, Field};
use std::collections::BTreeMap;
use store::events::FieldValue;
use store::Store;

/// A range of time holding new events, and the groups they belong to.
struct Cluster {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// Each group's new event times in the cluster, oldest first.
    groups: BTreeMap<FieldValue, Vec<DateTime<Utc>>>,
}

/// The clusters of `new`: each new event's time with `window` either side, overlaps merged.
fn clusters(new: &[&Event], group_by: Field, window: Duration) -> Vec<Cluster> {
    let mut times: Vec<(DateTime<Utc>, FieldValue)> = new
        .iter()
        .filter_map(|e| field_value(e, group_by).map(|g| (e.occurred_at, g)))
        .collect();
    times.sort();
    let mut out: Vec<Cluster> = Vec::new();
    for (t, group) in times {
        let (from, to) = (t - window, t + window + Duration::milliseconds(1));
        match out.last_mut() {
            Some(c) if from <= c.to => c.to = c.to.max(to),
            _ => out.push(Cluster {
                from,
                to,
                groups: BTreeMap::new(),
            }),
        }
        if let Some(c) = out.last_mut() {
            c.groups.entry(group).or_default().push(t);
        }
    }
    out
}

/// The selected events of the cluster's groups within it, by group. One query of the rule's
/// filter over the cluster's time (an indexed field and a short range: it reads what the window
/// holds, not what the groups did over all time); when that meets the limit, one query per group,
/// so a busy cluster cannot crowd any group out.
async fn cluster_events(
    store: &Store,
    rule: &CompiledRule,
    c: &Cluster,
    group_by: Field,
) -> Result<BTreeMap<FieldValue, Vec<Event>>, RulesError> {
    let filter = rule.within(c.from, c.to);
    let events = store
        .events
        .group_events(&filter, &rule.actors, &[], WINDOW_LIMIT)
        .await?;
    let mut by_group: BTreeMap<FieldValue, Vec<Event>> = BTreeMap::new();
    if events.len() as i64 == WINDOW_LIMIT {
        for group in c.groups.keys() {
            let events = store
                .events
                .group_events(
                    &filter,
                    &rule.actors,
                    std::slice::from_ref(group),
                    WINDOW_LIMIT,
                )
                .await?;
            by_group.insert(group.clone(), events);
        }
    } else {
        for e in events {
            if let Some(g) = field_value(&e, group_by).filter(|g| c.groups.contains_key(g)) {
                by_group.entry(g).or_default().push(e);
            }
        }
    }
    for events in by_group.values_mut() {
        events.retain(|e| rule.selects(e));
    }
    Ok(by_group)
}

/// Every window of `events` (one group's, oldest first) that ends at one of them, holds a new
/// event and reaches `count`.
fn crossings(
    group: &FieldValue,
    events: &[Event],
    new_times: &[DateTime<Utc>],
    count: u32,
    window_minutes: u32,
) -> Vec<Finding> {
    let window = Duration::minutes(i64::from(window_minutes));
    let mut findings = Vec::new();
    let mut start = 0;
    for (end, x) in events.iter().enumerate() {
        while x.occurred_at - events[start].occurred_at >= window {
            start += 1;
        }
        // Only windows holding a new event: the newest new event at or before x within W.
        let holds_new = new_times
            .iter()
            .rev()
            .find(|t| **t <= x.occurred_at)
            .is_some_and(|t| x.occurred_at - *t < window);
        let n = end - start + 1;
        if !holds_new || n < count as usize {
            continue;
        }
        let inside = &events[start..=end];
        findings.push(Finding {
            group: BTreeMap::from([(group.field, group.value.clone())]),
            anchor: x.occurred_at,
            events: inside
                .iter()
                .map(|e| (e.id.clone(), e.occurred_at))
                .collect(),
            why: format!(
                "{n} matching events by one {} within {} (threshold {count})",
                group.field.label(),
                minutes_in_words(window_minutes)
            ),
            shown: (inside[0].occurred_at, x.occurred_at),
        });
    }
    findings
}

/// Findings of a threshold of `count` events in `window_minutes` per `group_by` value.
///
/// # Errors
/// A database error.
pub async fn evaluate(
    store: &Store,
    rule: &CompiledRule,
    new: &[&Event],
    count: u32,
    window_minutes: u32,
    group_by: Field,
) -> Result<Vec<Finding>, RulesError> {
    let window = Duration::minutes(i64::from(window_minutes));
    let mut findings = Vec::new();
    for c in clusters(new, group_by, window) {
        let by_group = cluster_events(store, rule, &c, group_by).await?;
        for (group, events) in &by_group {
            // Fewer events than the threshold in the whole cluster cannot cross it.
            if events.len() < count as usize {
                continue;
            }
            findings.extend(crossings(
                group,
                events,
                &c.groups[group],
                count,
                window_minutes,
            ));
        }
    }
    Ok(findings)
}
