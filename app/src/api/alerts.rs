//! The Alerts pages' data and actions: the list (filters in the URL: status, severity, rule,
//! person, team, range), an alert's page (why, its events, its deliveries), and acknowledging and
//! closing, one or many at once.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{AlertStatus, Severity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One value an alert is grouped by, as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupValue {
    /// `person`, `ip`, `stream`…
    pub field: String,
    /// The value (a person's name when known).
    pub shown: String,
    /// Where it links (a person's page).
    pub link: Option<String>,
}

/// One alert in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    /// Its id.
    pub id: String,
    /// Its rule.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// Its severity.
    pub severity: Severity,
    /// Where it stands.
    pub status: AlertStatus,
    /// The values it is grouped by.
    pub group: Vec<GroupValue>,
    /// Its first event.
    pub first_seen: DateTime<Utc>,
    /// Its latest event.
    pub last_seen: DateTime<Utc>,
    /// How many events.
    pub count: u64,
    /// Why it fired.
    pub why: String,
    /// The Events query string of its events.
    pub events_query: String,
}

/// The Alerts page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertListing {
    /// Matching alerts, last seen first.
    pub rows: Vec<AlertRow>,
    /// Matching alerts per status (the status filter aside).
    pub counts: Vec<(AlertStatus, u64)>,
    /// Every rule, for the filter: (id, name).
    pub rules: Vec<(String, String)>,
}

/// One delivery of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    /// The idempotency key.
    pub id: String,
    /// The destination.
    pub destination: String,
    /// `alert.opened`, `alert.escalated`, `incident.opened`, `incident.reopened`,
    /// `incident.resolved`, `test`.
    pub event: String,
    /// `pending`, `delivered`, `failed`, `gone`.
    pub status: String,
    /// Attempts: when, outcome, HTTP status, detail.
    pub attempts: Vec<(DateTime<Utc>, String, Option<u16>, String)>,
    /// A Jira issue key.
    pub remote_ref: Option<String>,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// The alert it tells of (none for a test message).
    pub alert_id: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<store::deliveries::Delivery> for DeliveryRow {
    fn from(d: store::deliveries::Delivery) -> Self {
        Self {
            id: d.id,
            destination: d.destination_id,
            event: d.event,
            status: d.status.as_str().to_owned(),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| (a.at, a.outcome, a.status_code, a.detail))
                .collect(),
            remote_ref: d.remote_ref,
            queued_at: d.created_at,
            alert_id: d.alert_id,
        }
    }
}

/// An alert's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDetail {
    /// The alert.
    pub alert: AlertRow,
    /// What the rule detects.
    pub rule_description: String,
    /// The rule's logic in words.
    pub rule_logic: String,
    /// Who acknowledged it and when.
    pub acknowledged: Option<(String, DateTime<Utc>)>,
    /// Who closed it and when.
    pub closed: Option<(String, DateTime<Utc>)>,
    /// The first events: id, when, operation, object.
    pub events: Vec<(String, DateTime<Utc>, String, Option<String>)>,
    /// Its deliveries.
    pub deliveries: Vec<DeliveryRow>,
    /// The Jira issue opened for it.
    pub jira_issue: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use super::*;
    use query::people::PeopleSnapshot;
    use store::alerts::Alert;

    pub fn row(a: &Alert, people: &PeopleSnapshot) -> AlertRow {
        AlertRow {
            id: a.id.clone(),
            rule_id: a.rule_id.to_string(),
            rule_name: a.rule_name.clone(),
            severity: a.severity,
            status: a.status,
            group: a
                .group
                .iter()
                .map(|(f, v)| {
                    let person = (*f == domain::Field::Person)
                        .then(|| domain::PersonId::parse(v).ok())
                        .flatten();
                    GroupValue {
                        field: f.as_str().to_owned(),
                        shown: person
                            .as_ref()
                            .and_then(|p| people.name(p).map(str::to_owned))
                            .unwrap_or_else(|| v.clone()),
                        link: person.map(|p| {
                            format!("/people/{}", domain::url::encode_component(p.as_str()))
                        }),
                    }
                })
                .collect(),
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            count: a.count,
            why: a.why.clone(),
            events_query: a.events_query.clone(),
        }
    }
}

/// Alerts matching the filters (each may be empty).
#[server(endpoint = "alerts/list")]
pub async fn list_alerts(
    status: String,
    severity: String,
    rule: String,
    person: String,
    team: String,
    range: String,
) -> Result<AlertListing, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let mut filter = store::alerts::AlertFilter {
        statuses: crate::ssr::parse_list(&status)?,
        severities: crate::ssr::parse_list(&severity)?,
        people: crate::ssr::people_filter(&state, &person, &team).await?,
        from: crate::ssr::since(&range, Utc::now())?,
        ..Default::default()
    };
    if !rule.trim().is_empty() {
        filter.rule = Some(domain::RuleId::parse(rule.trim()).map_err(crate::ssr::bad_request)?);
    }
    let alerts = state.store.alerts.list(&filter, 500).await?;
    let counts = state
        .store
        .alerts
        .count_by_status(&store::alerts::AlertFilter {
            statuses: Vec::new(),
            ..filter.clone()
        })
        .await?;
    let people = state.people.snapshot().await?;
    let rules = state.store.rules.all().await?;
    Ok(AlertListing {
        rows: alerts.iter().map(|a| convert::row(a, &people)).collect(),
        counts: counts.into_iter().collect(),
        rules: rules
            .into_iter()
            .map(|r| (r.id.to_string(), r.spec.name))
            .collect(),
    })
}

/// One alert with its events and deliveries.
#[server(endpoint = "alerts/get")]
pub async fn get_alert(id: String) -> Result<AlertDetail, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let alert = state
        .store
        .alerts
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    let people = state.people.snapshot().await?;
    let rule = state.store.rules.get(&alert.rule_id).await?;
    let mut events = Vec::new();
    for event_id in state.store.alerts.event_ids(&alert.id, 20).await? {
        if let Some(e) = state.store.events.get(&event_id).await? {
            events.push((
                e.id.to_string(),
                e.occurred_at,
                e.operation.as_str().to_owned(),
                e.object_ref.and_then(|o| o.name.or(Some(o.id))),
            ));
        }
    }
    let deliveries = state
        .store
        .deliveries
        .for_alert(&alert.id)
        .await?
        .into_iter()
        .map(DeliveryRow::from)
        .collect();
    Ok(AlertDetail {
        alert: convert::row(&alert, &people),
        rule_description: rule
            .as_ref()
            .map(|r| r.spec.description.clone())
            .unwrap_or_default(),
        rule_logic: rule
            .as_ref()
            .map(|r| r.spec.kind.describe())
            .unwrap_or_else(|| "the rule was deleted".into()),
        acknowledged: alert.acknowledged.clone(),
        closed: alert.closed.clone(),
        events,
        deliveries,
        jira_issue: alert.jira_issue.clone(),
    })
}

/// Acknowledges (`action = acknowledge`) or closes (`action = close`) the alerts `ids`; returns
/// how many changed.
#[server(endpoint = "alerts/change")]
pub async fn change_alerts(ids: Option<Vec<String>>, action: String) -> Result<u64, ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(crate::ssr::bad_request(
            "choose at least one alert (tick its box) first",
        ));
    }
    let now = Utc::now();
    let changed = match action.as_str() {
        "acknowledge" => {
            state
                .store
                .alerts
                .acknowledge(&ids, &user.username, now)
                .await?
        }
        "close" => state.store.alerts.close(&ids, &user.username, now).await?,
        other => {
            return Err(crate::ssr::bad_request(format!(
                "`{other}` is not an action; use acknowledge or close"
            )))
        }
    };
    tracing::info!(admin = %user.username, action = %action, alerts = ids.len(), changed, "alerts changed");
    Ok(changed)
}

/// Sends a delivery again, with the same idempotency key.
#[server(endpoint = "alerts/resend")]
pub async fn resend_delivery(id: String) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    state.notifier.resend(&id).await?;
    tracing::info!(delivery.id = %id, admin = %user.username, "delivery resent");
    Ok(())
}
