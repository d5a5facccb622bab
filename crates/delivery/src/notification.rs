//! What is delivered: a [`Notification`] about one alert, or about an incident (opened,
//! reopened, resolved) together with the alert that caused it, in words and numbers a person
//! reads in Slack or Jira and a machine reads in a webhook or a SIEM.
//!
//! An incident notification keeps `alert` (the alert that opened or reopened the incident, or
//! its latest alert when it was resolved) so every format has the figures it always had, and
//! adds `incident`; an alert notification has no `incident`, and its JSON has no such key.
//!
//! The notification's `id` is the idempotency key: every attempt to deliver the same
//! notification to the same destination carries it (it is the `webhook-id` of Standard Webhooks),
//! so a receiver that saw it before can drop the repeat. The lead keeps it stable across retries
//! and mints it with [`Notification::new_id`].
//!
//! The alert's `group` is an ordered list of (field, value) pairs rather than a map: the order is
//! the rule's group-by order, which is also the order people read it in. It serialises as
//! `[{"field": …, "value": …}]`, which webhook consumers can read without knowing field names.

use chrono::{DateTime, Utc};
use domain::{Classification, IncidentState, Severity};
use serde::{Deserialize, Serialize};

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotificationKind {
    /// An alert was opened.
    #[serde(rename = "alert.opened")]
    AlertOpened,
    /// An open alert grew past the point where someone should look again.
    #[serde(rename = "alert.escalated")]
    AlertEscalated,
    /// An administrator asked for a test message from the destination settings page.
    #[serde(rename = "test")]
    Test,
    /// Correlation opened an incident.
    #[serde(rename = "incident.opened")]
    IncidentOpened,
    /// A new alert reopened a resolved incident.
    #[serde(rename = "incident.reopened")]
    IncidentReopened,
    /// Someone resolved an incident.
    #[serde(rename = "incident.resolved")]
    IncidentResolved,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::AlertOpened,
        NotificationKind::AlertEscalated,
        NotificationKind::Test,
        NotificationKind::IncidentOpened,
        NotificationKind::IncidentReopened,
        NotificationKind::IncidentResolved,
    ];

    /// The event type of the webhook body (`alert.opened`, `incident.resolved`, `test`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationKind::AlertOpened => "alert.opened",
            NotificationKind::AlertEscalated => "alert.escalated",
            NotificationKind::Test => "test",
            NotificationKind::IncidentOpened => "incident.opened",
            NotificationKind::IncidentReopened => "incident.reopened",
            NotificationKind::IncidentResolved => "incident.resolved",
        }
    }

    /// The kind whose event type is `s` (what a delivery record stores).
    pub fn parse(s: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A short phrase for people ("New alert", "Incident reopened", "Test notification").
    pub const fn label(self) -> &'static str {
        match self {
            NotificationKind::AlertOpened => "New alert",
            NotificationKind::AlertEscalated => "Escalated alert",
            NotificationKind::Test => "Test notification",
            NotificationKind::IncidentOpened => "New incident",
            NotificationKind::IncidentReopened => "Incident reopened",
            NotificationKind::IncidentResolved => "Incident resolved",
        }
    }

    /// Whether it tells of an incident rather than of an alert alone.
    pub const fn is_incident(self) -> bool {
        matches!(
            self,
            NotificationKind::IncidentOpened
                | NotificationKind::IncidentReopened
                | NotificationKind::IncidentResolved
        )
    }
}

/// One message about one alert (or one incident and its alert), delivered to one or more
/// destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The idempotency key, stable across attempts (`webhook-id`).
    pub id: String,
    /// Why it is sent.
    pub event: NotificationKind,
    /// When the notification was made (not when an attempt is made).
    pub timestamp: DateTime<Utc>,
    /// The alert it is about; for an incident, the alert that caused the event.
    pub alert: AlertSummary,
    /// The incident it is about, for the `incident.*` kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<IncidentSummary>,
}

/// The incident as a notification tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// The incident's id.
    pub id: String,
    /// Its title in words, e.g. "Site admin granted — Ana Souza, then Space exported".
    pub title: String,
    /// Where it stands.
    pub state: IncidentState,
    /// The highest severity of its alerts.
    pub severity: Severity,
    /// How many alerts it holds.
    pub alerts: u64,
    /// How many events those alerts are made of.
    pub events: u64,
    /// How it was resolved, once it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
    /// The resolution's note, once it was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_note: Option<String>,
    /// Absolute link to the incident's page.
    pub url: String,
}

/// The alert as a notification tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSummary {
    /// The alert's id.
    pub id: String,
    /// The id of the rule that fired.
    pub rule_id: String,
    /// The rule's name as people know it.
    pub rule_name: String,
    /// How much attention the alert deserves.
    pub severity: Severity,
    /// One line in words, e.g. "Ana Souza exported 41 issues".
    pub title: String,
    /// Why it fired, in words and numbers, e.g. "41 exports today, usual 3".
    pub why: String,
    /// What the alert is grouped by, field name → value, in the rule's order, e.g.
    /// `("person", "Ana Souza")`, `("ip", "203.0.113.9")`.
    #[serde(with = "group_pairs")]
    pub group: Vec<(String, String)>,
    /// The first matching event.
    pub first_seen: DateTime<Utc>,
    /// The latest matching event.
    pub last_seen: DateTime<Utc>,
    /// How many events matched.
    pub count: u64,
    /// Absolute link to the alert's page.
    pub url: String,
    /// Absolute link to the matching events.
    pub events_url: String,
}

impl AlertSummary {
    /// The value of the first group field named `field`, if any.
    pub fn group_value(&self, field: &str) -> Option<&str> {
        self.group
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.as_str())
    }
}

impl Notification {
    /// A fresh notification id: `msg_` and a ULID, the shape Standard Webhooks uses.
    pub fn new_id() -> String {
        format!("msg_{}", ulid::Ulid::new())
    }

    /// A test notification for the destination page's "Send a test" button: a made-up medium
    /// alert whose links point at `app_url` (the dashboard's absolute base URL), so that the
    /// administrator sees exactly the shape real alerts will have.
    pub fn test(now: DateTime<Utc>, app_url: &str) -> Notification {
        let base = app_url.trim_end_matches('/');
        Notification {
            id: Notification::new_id(),
            event: NotificationKind::Test,
            timestamp: now,
            alert: AlertSummary {
                id: "test".to_owned(),
                rule_id: "test".to_owned(),
                rule_name: "Test notification".to_owned(),
                severity: Severity::Medium,
                title: "Test notification from AtlasLens".to_owned(),
                why: "An administrator sent this from the destination settings; no rule fired."
                    .to_owned(),
                group: vec![("person".to_owned(), "Test Person".to_owned())],
                first_seen: now,
                last_seen: now,
                count: 1,
                url: format!("{base}/alerts"),
                events_url: format!("{base}/events"),
            },
            incident: None,
        }
    }
}

/// `Vec<(String, String)>` as `[{"field": …, "value": …}]`.
mod group_pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Pair<T> {
        field: T,
        value: T,
    }

    pub fn serialize<S: Serializer>(group: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<Pair<&str>> = group
            .iter()
            .map(|(field, value)| Pair {
                field: field.as_str(),
                value: value.as_str(),
            })
            .collect();
        pairs.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        let pairs = Vec::<Pair<String>>::deserialize(d)?;
        Ok(pairs.into_iter().map(|p| (p.field, p.value)).collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The notification the format tests share.
    pub(crate) fn sample() -> Notification {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 10, 15, 0).unwrap();
        Notification {
            id: "msg_01HZX3K9Q8W7E6R5T4Y3U2I1O0".to_owned(),
            event: NotificationKind::AlertOpened,
            timestamp: at,
            alert: AlertSummary {
                id: "al_42".to_owned(),
                rule_id: "bulk-export".to_owned(),
                rule_name: "Bulk export".to_owned(),
                severity: Severity::High,
                title: "Ana Souza exported 41 issues".to_owned(),
                why: "41 exports today, usual 3".to_owned(),
                group: vec![
                    ("person".to_owned(), "Ana Souza".to_owned()),
                    ("ip".to_owned(), "203.0.113.9".to_owned()),
                ],
                first_seen: at - chrono::Duration::hours(2),
                last_seen: at,
                count: 41,
                url: "https://atlaslens.example.com/alerts/al_42".to_owned(),
                events_url: "https://atlaslens.example.com/events?alert=al_42".to_owned(),
            },
            incident: None,
        }
    }

    /// The sample as the `kind` notification of the incident its alert opened.
    pub(crate) fn incident_sample(kind: NotificationKind) -> Notification {
        let resolved = kind == NotificationKind::IncidentResolved;
        Notification {
            event: kind,
            incident: Some(IncidentSummary {
                id: "inc_7".to_owned(),
                title: "Bulk export — Ana Souza".to_owned(),
                state: if resolved {
                    IncidentState::Resolved
                } else {
                    IncidentState::Triggered
                },
                severity: Severity::High,
                alerts: 2,
                events: 44,
                classification: resolved.then_some(Classification::TruePositive),
                resolution_note: resolved.then(|| "Access revoked".to_owned()),
                url: "https://atlaslens.example.com/incidents/inc_7".to_owned(),
            }),
            ..sample()
        }
    }

    #[test]
    fn the_group_serialises_as_ordered_field_value_objects_and_reads_back() {
        let n = sample();
        let json = serde_json::to_value(&n.alert).unwrap();
        assert_eq!(
            json["group"],
            serde_json::json!([
                {"field": "person", "value": "Ana Souza"},
                {"field": "ip", "value": "203.0.113.9"}
            ])
        );
        assert_eq!(json["severity"], "high");
        let back: AlertSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, n.alert);
    }

    #[test]
    fn kinds_serialise_as_their_webhook_event_types() {
        for kind in NotificationKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            NotificationKind::IncidentReopened.as_str(),
            "incident.reopened"
        );
        assert_eq!(
            NotificationKind::IncidentResolved.label(),
            "Incident resolved"
        );
    }

    #[test]
    fn an_alert_notification_has_no_incident_key_and_an_incident_one_reads_back() {
        let alert = serde_json::to_value(sample()).unwrap();
        assert!(alert.get("incident").is_none(), "{alert}");
        let n = incident_sample(NotificationKind::IncidentResolved);
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["incident"]["classification"], "true_positive");
        assert_eq!(json["incident"]["state"], "resolved");
        let back: Notification = serde_json::from_value(json).unwrap();
        assert_eq!(back, n);
    }

    #[test]
    fn new_ids_are_distinct_and_shaped_like_standard_webhooks_ids() {
        let (a, b) = (Notification::new_id(), Notification::new_id());
        assert_ne!(a, b);
        assert!(a.starts_with("msg_") && a.len() == 30, "{a}");
    }
}
