//! `threshold`: at least N selected events of one group within a window. For each group among the
//! new events, the group's events from one window before the earliest new event to one window after
//! the latest are read, and every window ending at one of them that holds a new event is counted:
//! a late record can complete a window that ends at an event evaluated earlier.

use super::WINDOW_LIMIT;
use crate::compiled::field_value;
use crate::{CompiledRule, Finding, RulesError};
use chrono::Duration;
use domain::rule::minutes_in_words;
use domain::{Event, Field};
use std::collections::BTreeMap;
use store::Store;

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
    let mut groups: BTreeMap<_, Vec<&Event>> = BTreeMap::new();
    for e in new {
        if let Some(g) = field_value(e, group_by) {
            groups.entry(g).or_default().push(e);
        }
    }
    let mut findings = Vec::new();
    for (group, members) in groups {
        let mut new_times: Vec<_> = members.iter().map(|e| e.occurred_at).collect();
        new_times.sort();
        let (Some(first), Some(last)) = (new_times.first(), new_times.last()) else {
            continue;
        };
        let filter = rule.within(*first - window, *last + window + Duration::milliseconds(1));
        let events: Vec<Event> = store
            .events
            .group_events(
                &filter,
                &rule.actors,
                std::slice::from_ref(&group),
                WINDOW_LIMIT,
            )
            .await?
            .into_iter()
            .filter(|e| rule.selects(e))
            .collect();
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
    }
    Ok(findings)
}
