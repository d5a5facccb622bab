//! Which destinations an alert goes to: those its rule names, plus those that take every alert at
//! or above a severity by default — enabled ones only, and none while the rule is snoozed (the
//! alert is still recorded).

use chrono::{DateTime, Utc};
use domain::RuleSpec;
use store::alerts::Alert;
use store::destinations::StoredDestination;

/// The destinations `alert` goes to at `now`, given its rule's spec (`None` for a deleted rule:
/// the defaults still apply).
pub fn destinations_for<'a>(
    alert: &Alert,
    rule: Option<&RuleSpec>,
    all: &'a [StoredDestination],
    now: DateTime<Utc>,
) -> Vec<&'a StoredDestination> {
    if rule.is_some_and(|r| r.is_snoozed(now)) {
        return Vec::new();
    }
    all.iter()
        .filter(|d| d.enabled)
        .filter(|d| {
            rule.is_some_and(|r| r.destinations.contains(&d.id))
                || d.takes_by_default(alert.severity)
        })
        .collect()
}
