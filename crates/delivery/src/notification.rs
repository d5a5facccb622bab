//! What is delivered: a [`Notification`] about one alert, in words and numbers a person reads in
//! Slack or Jira and a machine reads in a webhook or a SIEM.
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
use domain::Severity;
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
}

impl NotificationKind {
    /// The event type of the webhook body (`alert.opened`, `alert.escalated`, `test`).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationKind::AlertOpened => "alert.opened",
            NotificationKind::AlertEscalated => "alert.escalated",
            NotificationKind::Test => "test",
        }
    }

    /// A short phrase for people ("New alert", "Escalated alert", "Test notification").
    pub const fn label(self) -> &'static str {
        match self {
            NotificationKind::AlertOpened => "New alert",
            NotificationKind::AlertEscalated => "Escalated alert",
            NotificationKind::Test => "Test notification",
        }
    }
}

/// One message about one alert, delivered to one or more destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The idempotency key, stable across attempts (`webhook-id`).
    pub id: String,
    /// Why it is sent.
    pub event: NotificationKind,
    /// When the notification was made (not when an attempt is made).
    pub timestamp: DateTime<Utc>,
    /// The alert it is about.
    pub alert: AlertSummary,
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
        for kind in [
            NotificationKind::AlertOpened,
            NotificationKind::AlertEscalated,
            NotificationKind::Test,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn new_ids_are_distinct_and_shaped_like_standard_webhooks_ids() {
        let (a, b) = (Notification::new_id(), Notification::new_id());
        assert_ne!(a, b);
        assert!(a.starts_with("msg_") && a.len() == 30, "{a}");
    }
}
