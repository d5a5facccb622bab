//! `match`: every selected event is an alert; events with the same dedup key in one period join it.

use crate::compiled::value_of;
use crate::kinds::describe;
use crate::{CompiledRule, Finding};
use domain::Event;
use std::collections::BTreeMap;

/// One finding per event, carrying every field the event has.
pub fn evaluate(rule: &CompiledRule, new: &[&Event]) -> Vec<Finding> {
    new.iter()
        .map(|e| {
            let group: BTreeMap<_, _> = rule
                .rule
                .spec
                .carried_fields()
                .into_iter()
                .filter_map(|f| value_of(e, f).map(|v| (f, v)))
                .collect();
            Finding {
                group,
                anchor: e.occurred_at,
                events: vec![(e.id.clone(), e.occurred_at)],
                why: describe(e),
                shown: (e.occurred_at, e.occurred_at),
            }
        })
        .collect()
}
