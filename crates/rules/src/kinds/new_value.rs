//! `new_value`: a selected event whose value of a field its group has not shown within a history
//! window before it (a security event from an address this person has not used in 30 days). Each
//! distinct (group, value) pair among the new events is judged once, at its earliest new event.
//!
//! What came before is asked of one of two sources with the same meaning: the stored events (a
//! preview, which runs over the past) or the rule's memory in `rule_values` (a pass, whose cost
//! must follow the new events and not the months of history behind them).

use crate::compiled::field_value;
use crate::{CompiledRule, Finding, RulesError};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, EventId, Field};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use store::events::FieldValue;
use store::rule_values::{day_of, Days, Pair, PairChange};
use store::Store;

/// A new-value rule's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The field whose first values are found.
    pub field: Field,
    /// Whose values.
    pub group_by: Field,
    /// How far back a value counts as known.
    pub history_days: u32,
}

/// Where a new-value rule learns what its groups showed before.
pub enum Earlier<'a> {
    /// The stored events themselves.
    Stored(&'a Store),
    /// The rule's memory of the pairs it is asked about (loaded by [`remembered`]).
    Remembered(&'a HashMap<Pair, Days>),
}

/// Whether `days` hold a sighting in `[since, at)`. Each day keeps its first and last time, both
/// real sightings; one of them falls in the range whenever the range holds any sighting of a day
/// it does not cover whole, and a day it covers whole has both inside.
pub fn seen_in(days: &Days, since: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    days.range(day_of(since)..=day_of(at))
        .any(|(_, (first, last))| (since..at).contains(first) || (since..at).contains(last))
}

impl Earlier<'_> {
    async fn seen(
        &self,
        rule: &CompiledRule,
        group: &FieldValue,
        value: &FieldValue,
        since: DateTime<Utc>,
        event: (DateTime<Utc>, &EventId),
    ) -> Result<bool, RulesError> {
        Ok(match self {
            Earlier::Stored(store) => {
                store
                    .events
                    .seen_before(
                        &rule.filter,
                        &rule.actors,
                        &[group.clone(), value.clone()],
                        since,
                        event.0,
                        event.1,
                    )
                    .await?
            }
            Earlier::Remembered(memory) => memory
                .get(&(group.value.clone(), value.value.clone()))
                .is_some_and(|days| seen_in(days, since, event.0)),
        })
    }
}

/// The (group, value) pairs of `new`.
fn pairs<'e>(new: &[&'e Event], p: &Params) -> Vec<(Pair, &'e Event)> {
    new.iter()
        .filter_map(|e| {
            let group = field_value(e, p.group_by)?;
            let value = field_value(e, p.field)?;
            Some(((group.value, value.value), *e))
        })
        .collect()
}

/// The rule's memory of the pairs among `new`: one read for any number of them.
///
/// # Errors
/// A database error.
pub async fn remembered(
    store: &Store,
    rule: &CompiledRule,
    new: &[&Event],
    p: &Params,
) -> Result<HashMap<Pair, Days>, RulesError> {
    let wanted: BTreeSet<Pair> = pairs(new, p).into_iter().map(|(pair, _)| pair).collect();
    let wanted: Vec<Pair> = wanted.into_iter().collect();
    Ok(store.rule_values.days(&rule.rule.id, &wanted).await?)
}

/// What the rule's memory must learn from `new`, and the days of `memory` older than the history
/// any event at or after `now` can look back on. A sighting within the first and last time its
/// day already holds changes nothing and is left out, so a busy pair costs no write.
pub fn changes(
    new: &[&Event],
    memory: &HashMap<Pair, Days>,
    p: &Params,
    now: DateTime<Utc>,
) -> HashMap<Pair, PairChange> {
    // A day beyond the history of anything that can still arrive (late records included, by a
    // margin of a day) is of no use.
    let oldest_needed = day_of(now - Duration::days(i64::from(p.history_days) + 1));
    let mut out: HashMap<Pair, PairChange> = HashMap::new();
    for (pair, e) in pairs(new, p) {
        let t = e.occurred_at;
        let known = memory
            .get(&pair)
            .and_then(|days| days.get(&day_of(t)))
            .is_some_and(|(first, last)| (*first..=*last).contains(&t));
        if !known {
            out.entry(pair).or_default().seen.push(t);
        }
    }
    for (pair, days) in memory {
        let stale: Vec<i64> = days.range(..oldest_needed).map(|(d, _)| *d).collect();
        if !stale.is_empty() {
            out.entry(pair.clone()).or_default().forget_days = stale;
        }
    }
    out
}

/// Findings of first values among `new`, judged against `earlier`.
///
/// # Errors
/// A database error.
pub async fn evaluate(
    earlier: &Earlier<'_>,
    rule: &CompiledRule,
    new: &[&Event],
    p: &Params,
) -> Result<Vec<Finding>, RulesError> {
    let history = Duration::days(i64::from(p.history_days));
    let mut ordered: Vec<&Event> = new.to_vec();
    ordered.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
    let mut judged = BTreeSet::new();
    let mut findings = Vec::new();
    for e in ordered {
        let (Some(group), Some(value)) = (field_value(e, p.group_by), field_value(e, p.field))
        else {
            continue;
        };
        if !judged.insert((group.clone(), value.clone())) {
            continue;
        }
        let since = e.occurred_at - history;
        if earlier
            .seen(rule, &group, &value, since, (e.occurred_at, &e.id))
            .await?
        {
            continue;
        }
        findings.push(Finding {
            group: BTreeMap::from([
                (group.field, group.value),
                (value.field, value.value.clone()),
            ]),
            anchor: e.occurred_at,
            events: vec![(e.id.clone(), e.occurred_at)],
            why: format!(
                "first {} {} for this {} in {} days ({})",
                p.field.label(),
                value.value,
                p.group_by.label(),
                p.history_days,
                e.operation.as_str().replace('_', " ")
            ),
            shown: (e.occurred_at, e.occurred_at),
        });
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn days(times: &[&str]) -> Days {
        let mut d = Days::new();
        for t in times.iter().map(|t| at(t)) {
            d.entry(day_of(t))
                .and_modify(|(f, l)| {
                    *f = (*f).min(t);
                    *l = (*l).max(t);
                })
                .or_insert((t, t));
        }
        d
    }

    #[test]
    fn a_sighting_inside_the_history_counts_and_one_outside_does_not() {
        let now = at("2026-03-31T12:00:00Z");
        let since = now - Duration::days(30);
        assert!(seen_in(&days(&["2026-03-10T08:00:00Z"]), since, now));
        assert!(!seen_in(&days(&["2026-02-27T08:00:00Z"]), since, now));
        // The first day of the range: only what is after its start.
        assert!(seen_in(&days(&["2026-03-01T13:00:00Z"]), since, now));
        assert!(!seen_in(&days(&["2026-03-01T11:00:00Z"]), since, now));
        // The event's own day: only what is before it.
        assert!(seen_in(&days(&["2026-03-31T11:59:59Z"]), since, now));
        assert!(!seen_in(
            &days(&["2026-03-31T12:00:00Z", "2026-03-31T18:00:00Z"]),
            since,
            now
        ));
    }

    #[test]
    fn a_sighting_the_memory_already_covers_writes_nothing_and_old_days_are_forgotten() {
        let p = Params {
            field: Field::Ip,
            group_by: Field::Person,
            history_days: 30,
        };
        let e = |at: &str| domain::Event {
            actor_id: Some(domain::PersonId::parse("person:ana").unwrap()),
            source_ip: Some("203.0.113.9".parse().unwrap()),
            ..testkit::event("acme", domain::Product::Org, "e1", super::tests::at(at))
        };
        let pair: Pair = ("person:ana".into(), "203.0.113.9".into());
        let memory = HashMap::from([(
            pair.clone(),
            days(&[
                "2026-01-02T08:00:00Z",
                "2026-03-31T08:00:00Z",
                "2026-03-31T18:00:00Z",
            ]),
        )]);
        let now = at("2026-03-31T20:00:00Z");
        let inside = e("2026-03-31T12:00:00Z");
        let changes = changes(&[&inside], &memory, &p, now);
        assert!(
            changes[&pair].seen.is_empty(),
            "12:00 lies within 08:00–18:00"
        );
        assert_eq!(
            changes[&pair].forget_days,
            [day_of(at("2026-01-02T08:00:00Z"))]
        );
        let later = e("2026-03-31T19:00:00Z");
        assert_eq!(
            super::changes(&[&later], &memory, &p, now)[&pair].seen,
            [later.occurred_at]
        );
    }

    #[test]
    fn the_first_and_last_of_a_day_decide_for_the_day() {
        let now = at("2026-03-31T12:00:00Z");
        let since = now - Duration::days(30);
        // A day straddling the start of the range with a sighting after it.
        assert!(seen_in(
            &days(&["2026-03-01T01:00:00Z", "2026-03-01T20:00:00Z"]),
            since,
            now
        ));
        // The event's day: earlier and later sightings.
        assert!(seen_in(
            &days(&["2026-03-31T01:00:00Z", "2026-03-31T20:00:00Z"]),
            since,
            now
        ));
    }
}
