//! Which destinations a notification goes to.
//!
//! An alert: those its rule names, plus those that take every alert at or above a severity by
//! default — enabled ones only, and none while the rule is snoozed (the alert is still recorded).
//!
//! An incident event (opened, reopened, resolved): the enabled destinations that chose incident
//! events and either take the incident's severity by default or are named by the rule of one of
//! its alerts — and none while every rule involved is snoozed. A Jira destination keeping one
//! issue per incident takes incident events whether or not it chose them, because its issues are
//! made by them.

use chrono::{DateTime, Utc};
use delivery::DestinationKind;
use domain::{RuleSpec, Severity};
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

/// The destinations an event of an incident of `severity` goes to at `now`, given the specs of
/// its alerts' rules (`None` for a deleted rule).
pub fn destinations_for_incident<'a>(
    severity: Severity,
    rules: &[Option<&RuleSpec>],
    all: &'a [StoredDestination],
    now: DateTime<Utc>,
) -> Vec<&'a StoredDestination> {
    if !rules.is_empty() && rules.iter().all(|r| r.is_some_and(|r| r.is_snoozed(now))) {
        return Vec::new();
    }
    all.iter()
        .filter(|d| d.enabled && (d.incident_events || issue_per_incident(d)))
        .filter(|d| {
            d.takes_by_default(severity)
                || rules
                    .iter()
                    .flatten()
                    .any(|r| r.destinations.contains(&d.id))
        })
        .collect()
}

/// Whether `d` is a Jira destination keeping one issue per incident.
pub fn issue_per_incident(d: &StoredDestination) -> bool {
    d.kind
        .parse::<DestinationKind>()
        .is_ok_and(|kind| delivery::destination::issue_per_incident(kind, &d.settings))
}
