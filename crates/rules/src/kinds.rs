//! One evaluator per rule kind. Event kinds (`match`, `threshold`, `new_value`, `baseline`) are
//! given the new events the rule selects and look further back only around them — in the store
//! for a preview, and for the two kinds with long histories in the rule's own memory during a pass
//! (see [`crate::memory`]); stream kinds (`absence`, `sync_health`) read the streams' state.

pub mod baseline;
pub mod matching;
pub mod new_value;
pub mod streams;
pub mod threshold;

use crate::{CompiledRule, Finding, RulesError};
use domain::{Event, RuleKind};
use store::Store;

/// The most events one group's window lookup reads; a window holding more is judged on these
/// (a threshold is crossed long before).
pub(crate) const WINDOW_LIMIT: i64 = 20_000;

/// What an event rule finds among `new` (events it selects, oldest stored first).
///
/// # Errors
/// A database error.
pub async fn evaluate_events(
    store: &Store,
    rule: &CompiledRule,
    new: &[&Event],
) -> Result<Vec<Finding>, RulesError> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    match &rule.rule.spec.kind {
        RuleKind::Match => Ok(matching::evaluate(rule, new)),
        RuleKind::Threshold {
            count,
            window_minutes,
            group_by,
        } => threshold::evaluate(store, rule, new, *count, *window_minutes, *group_by).await,
        RuleKind::NewValue { .. } => {
            let p = new_value_params(&rule.rule.spec.kind).expect("a new-value rule");
            new_value::evaluate(&new_value::Earlier::Stored(store), rule, new, &p).await
        }
        RuleKind::Baseline { .. } => {
            let p = baseline_params(&rule.rule.spec.kind).expect("a baseline rule");
            let touched = baseline::touched_by(new, &p);
            baseline::evaluate(store, &baseline::Counts::Stored(store), rule, touched, &p).await
        }
        RuleKind::Absence { .. } | RuleKind::SyncHealth { .. } => Ok(Vec::new()),
    }
}

/// A new-value rule's numbers, if `kind` is one.
pub fn new_value_params(kind: &RuleKind) -> Option<new_value::Params> {
    match kind {
        RuleKind::NewValue {
            field,
            group_by,
            history_days,
        } => Some(new_value::Params {
            field: *field,
            group_by: *group_by,
            history_days: *history_days,
        }),
        _ => None,
    }
}

/// A baseline rule's numbers, if `kind` is one.
pub fn baseline_params(kind: &RuleKind) -> Option<baseline::Params> {
    match kind {
        RuleKind::Baseline {
            group_by,
            window_hours,
            history_days,
            factor,
            floor,
        } => Some(baseline::Params {
            group_by: *group_by,
            window_hours: *window_hours,
            history_days: *history_days,
            factor: *factor,
            floor: *floor,
        }),
        _ => None,
    }
}

/// How an event reads in an alert's words: "admin_granted on site-admins".
pub(crate) fn describe(event: &Event) -> String {
    let mut s = event.operation.as_str().replace('_', " ");
    if let Some(o) = &event.object_ref {
        s.push_str(" on ");
        s.push_str(o.name.as_deref().unwrap_or(&o.id));
    }
    if let Some(ip) = event.source_ip {
        s.push_str(&format!(" from {ip}"));
    }
    s
}
