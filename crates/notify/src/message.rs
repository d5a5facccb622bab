//! What a notification says: the alert in words (the rule, who — by name — and why, with its
//! numbers) and absolute links to the alert page and to its events; for an incident event, the
//! incident too (its title in words, state, figures, resolution) and a link to its page.

use delivery::{AlertSummary, IncidentSummary, Notification, NotificationKind};
use domain::url::encode_component;
use domain::{Field, PersonId};
use query::people::PeopleSnapshot;
use store::alerts::Alert;
use store::incidents::Incident;

/// The alert page's path.
pub fn alert_path(id: &str) -> String {
    format!("/alerts/{}", encode_component(id))
}

/// The group's values as a notification shows them: a person by name (and id), the rest as they
/// are.
pub fn group_values(alert: &Alert, people: Option<&PeopleSnapshot>) -> Vec<(String, String)> {
    alert
        .group
        .iter()
        .map(|(field, value)| {
            let shown = match field {
                Field::Person => PersonId::parse(value)
                    .ok()
                    .and_then(|p| people.and_then(|s| s.name(&p).map(|n| format!("{n} ({value})"))))
                    .unwrap_or_else(|| value.clone()),
                _ => value.clone(),
            };
            (field.as_str().to_owned(), shown)
        })
        .collect()
}

/// The incident page's path.
pub fn incident_path(id: &str) -> String {
    format!("/incidents/{}", encode_component(id))
}

/// The one-line title: "Administrator rights granted: Ana Souza".
pub fn title(alert: &Alert, people: Option<&PeopleSnapshot>) -> String {
    let who = alert.group.get(&Field::Person).map(|p| {
        PersonId::parse(p)
            .ok()
            .and_then(|id| people.and_then(|s| s.name(&id).map(str::to_owned)))
            .unwrap_or_else(|| p.clone())
    });
    let subject = who
        .or_else(|| alert.group.get(&Field::Ip).cloned())
        .or_else(|| alert.group.get(&Field::Stream).cloned());
    match subject {
        Some(s) => format!("{}: {s}", alert.rule_name),
        None => alert.rule_name.clone(),
    }
}

/// The notification of `alert` with the stable id `delivery_id`.
pub fn notification(
    alert: &Alert,
    kind: NotificationKind,
    delivery_id: &str,
    people: Option<&PeopleSnapshot>,
    public_url: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Notification {
    let base = public_url.trim_end_matches('/');
    Notification {
        id: delivery_id.to_owned(),
        event: kind,
        timestamp: now,
        alert: AlertSummary {
            id: alert.id.clone(),
            rule_id: alert.rule_id.to_string(),
            rule_name: alert.rule_name.clone(),
            severity: alert.severity,
            title: title(alert, people),
            why: alert.why.clone(),
            group: group_values(alert, people),
            first_seen: alert.first_seen,
            last_seen: alert.last_seen,
            count: alert.count,
            url: format!("{base}{}", alert_path(&alert.id)),
            events_url: format!("{base}/events?{}", alert.events_query),
        },
        incident: None,
    }
}

/// The `kind` notification of `incident` (an `incident.*` kind), caused by `alert` (the alert
/// that opened or reopened it, or its latest alert), with the stable id `delivery_id`. The
/// resolution is told only by `incident.resolved`.
pub fn incident_notification(
    incident: &Incident,
    alert: &Alert,
    kind: NotificationKind,
    delivery_id: &str,
    people: Option<&PeopleSnapshot>,
    public_url: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Notification {
    let base = public_url.trim_end_matches('/');
    let resolution = incident
        .resolution
        .as_ref()
        .filter(|_| kind == NotificationKind::IncidentResolved);
    Notification {
        incident: Some(IncidentSummary {
            id: incident.id.clone(),
            title: incidents::evidence::title(incident, people),
            state: incident.state,
            severity: incident.severity,
            alerts: incident.alerts,
            events: incident.events,
            classification: resolution.map(|r| r.classification),
            resolution_note: resolution.map(|r| r.note.clone()),
            url: format!("{base}{}", incident_path(&incident.id)),
        }),
        ..notification(alert, kind, delivery_id, people, public_url, now)
    }
}
