//! `new_value`: a selected event whose value of a field its group has not shown within a history
//! window before it (a security event from an address this person has not used in 30 days). Each
//! distinct (group, value) pair among the new events is looked up once, at its earliest new event,
//! as one indexed query of the group's events before that moment.

use crate::compiled::field_value;
use crate::{CompiledRule, Finding, RulesError};
use chrono::Duration;
use domain::{Event, Field};
use std::collections::{BTreeMap, BTreeSet};
use store::Store;

/// Findings of first values of `field` per `group_by` value within `history_days`.
///
/// # Errors
/// A database error.
pub async fn evaluate(
    store: &Store,
    rule: &CompiledRule,
    new: &[&Event],
    field: Field,
    group_by: Field,
    history_days: u32,
) -> Result<Vec<Finding>, RulesError> {
    let history = Duration::days(i64::from(history_days));
    let mut ordered: Vec<&Event> = new.to_vec();
    ordered.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
    let mut looked_up = BTreeSet::new();
    let mut findings = Vec::new();
    for e in ordered {
        let (Some(group), Some(value)) = (field_value(e, group_by), field_value(e, field)) else {
            continue;
        };
        if !looked_up.insert((group.clone(), value.clone())) {
            continue;
        }
        let seen = store
            .events
            .seen_before(
                &rule.filter,
                &rule.actors,
                &[group.clone(), value.clone()],
                e.occurred_at - history,
                e.occurred_at,
                &e.id,
            )
            .await?;
        if seen {
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
                "first {} {} for this {} in {history_days} days ({})",
                field.label(),
                value.value,
                group_by.label(),
                e.operation.as_str().replace('_', " ")
            ),
            shown: (e.occurred_at, e.occurred_at),
        });
    }
    Ok(findings)
}
