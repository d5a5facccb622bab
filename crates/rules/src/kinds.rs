//! One evaluator per rule kind. Event kinds (`match`, `threshold`, `new_value`, `baseline`) are
//! given the new events the rule selects and look further back in the store only around them;
//! stream kinds (`absence`, `sync_health`) read the streams' state at a moment.

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
        RuleKind::NewValue {
            field,
            group_by,
            history_days,
        } => new_value::evaluate(store, rule, new, *field, *group_by, *history_days).await,
        RuleKind::Baseline {
            group_by,
            window_hours,
            history_days,
            factor,
            floor,
        } => {
            let params = baseline::Params {
                group_by: *group_by,
                window_hours: *window_hours,
                history_days: *history_days,
                factor: *factor,
                floor: *floor,
            };
            baseline::evaluate(store, rule, new, &params).await
        }
        RuleKind::Absence { .. } | RuleKind::SyncHealth { .. } => Ok(Vec::new()),
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
