//! Correlation: each new or escalated alert joins the active incident with its key whose latest
//! event is within the rule's lookback, or reopens a resolved one within the reopen window, or
//! opens a new incident (linked to the last closed one with the key, which is never reopened).
//!
//! It is idempotent and survives a restart at any point. An alert waits with `correlate_pending`
//! until it stands in its incident; a new incident's id derives from its key and first alert, so
//! a retry opens the same one or finds it active and joins it; an alert is put in an incident
//! only if it is in none, and its attachment entry has an id derived from both. The incident's
//! figures are recomputed from its alerts, never incremented.

use chrono::{DateTime, Duration, Utc};
use domain::incident::{highest, RulePart};
use domain::{Correlation, Field, IncidentState, RuleId};
use std::collections::BTreeMap;
use store::alerts::Alert;
use store::incidents::{Opening, Summary};
use store::{Store, StoreError};

/// What one correlation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelationReport {
    /// Alerts correlated.
    pub alerts: u64,
    /// Incidents opened.
    pub opened: u64,
    /// Alerts that joined an active incident.
    pub joined: u64,
    /// Resolved incidents reopened.
    pub reopened: u64,
}

/// Correlates every alert waiting for it, oldest event first; returns what it did.
///
/// # Errors
/// A database error: the alerts not yet done stay pending for the next run.
pub async fn correlate_pending(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<CorrelationReport, StoreError> {
    const PAGE: i64 = 500;
    let rules: BTreeMap<RuleId, Correlation> = store
        .rules
        .all()
        .await?
        .into_iter()
        .map(|r| (r.id, r.spec.correlation))
        .collect();
    let mut report = CorrelationReport::default();
    loop {
        let page = store.alerts.pending_correlation(PAGE).await?;
        let n = page.len() as i64;
        for alert in page {
            let correlation = rules.get(&alert.rule_id).copied().unwrap_or_default();
            correlate_one(store, &alert, &correlation, now, &mut report).await?;
            report.alerts += 1;
        }
        if n < PAGE {
            return Ok(report);
        }
    }
}

async fn correlate_one(
    store: &Store,
    alert: &Alert,
    correlation: &Correlation,
    now: DateTime<Utc>,
    report: &mut CorrelationReport,
) -> Result<(), StoreError> {
    let incident = match &alert.incident_id {
        Some(id) => id.clone(),
        None => {
            let chosen = choose(store, alert, correlation, now, report).await?;
            store.alerts.join_incident(&alert.id, &chosen).await?
        }
    };
    store
        .incidents
        .record_attached(&incident, &alert.id, &alert.rule_name, now)
        .await?;
    let alerts = store.alerts.of_incident(&incident).await?;
    if let Some(summary) = summarise(&alerts) {
        store.incidents.summarise(&incident, &summary).await?;
    }
    store.alerts.correlated(&alert.id, alert.severity).await
}

/// The incident an alert that is in none goes to: an active one, a reopened one, or a new one.
async fn choose(
    store: &Store,
    alert: &Alert,
    correlation: &Correlation,
    now: DateTime<Utc>,
    report: &mut CorrelationReport,
) -> Result<String, StoreError> {
    let key = correlation.key(alert.rule_id.as_str(), &alert.group);
    let lookback = Duration::hours(i64::from(correlation.lookback_hours));
    if let Some(active) = store
        .incidents
        .active_for(&key, alert.first_seen - lookback)
        .await?
    {
        report.joined += 1;
        return Ok(active.id);
    }
    if correlation.reopen_hours > 0 {
        let window = Duration::hours(i64::from(correlation.reopen_hours));
        if let Some(resolved) = store
            .incidents
            .resolved_for(&key, alert.created_at - window)
            .await?
        {
            if store.incidents.reopen(&resolved.id, &alert.id, now).await? {
                report.reopened += 1;
                return Ok(resolved.id);
            }
        }
    }
    let follows = store
        .incidents
        .latest_in_state(&key, IncidentState::Closed)
        .await?;
    let id = format!(
        "inc_{}",
        store::digest::short_id(&[b"incident", key.as_bytes(), alert.id.as_bytes()])
    );
    let opened = store
        .incidents
        .open(&Opening {
            id,
            key,
            alert_id: alert.id.clone(),
            severity: alert.severity,
            first_seen: alert.first_seen,
            last_seen: alert.last_seen,
            follows,
            at: now,
        })
        .await?;
    report.opened += 1;
    Ok(opened.id)
}

/// What `alerts` add up to (`None` for none).
pub fn summarise(alerts: &[Alert]) -> Option<Summary> {
    let severity = highest(alerts.iter().map(|a| a.severity))?;
    let mut parts: Vec<(RuleId, RulePart)> = Vec::new();
    let (mut people, mut ips) = (Vec::new(), Vec::new());
    for a in alerts {
        match parts.iter_mut().find(|(r, _)| *r == a.rule_id) {
            Some((_, p)) => p.events += a.count,
            None => parts.push((
                a.rule_id.clone(),
                RulePart {
                    rule_name: a.rule_name.clone(),
                    events: a.count,
                },
            )),
        }
        for (field, into) in [(Field::Person, &mut people), (Field::Ip, &mut ips)] {
            if let Some(v) = a.group.get(&field) {
                if !into.contains(v) {
                    into.push(v.clone());
                }
            }
        }
    }
    Some(Summary {
        severity,
        parts: parts.into_iter().map(|(_, p)| p).collect(),
        alerts: alerts.len() as u64,
        events: alerts.iter().map(|a| a.count).sum(),
        people,
        ips,
        first_seen: alerts.iter().map(|a| a.first_seen).min()?,
        last_seen: alerts.iter().map(|a| a.last_seen).max()?,
    })
}
