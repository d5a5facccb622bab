//! What the delivery integration tests share: a notification and clients that may reach the
//! loopback receivers.
#![allow(dead_code)] // each test binary uses its own part

use chrono::{TimeZone, Utc};
use delivery::{AlertSummary, ClientOptions, Notification, NotificationKind, UrlPolicy};
use domain::Severity;
use std::time::Duration;

/// Options that allow the receivers on 127.0.0.1, with a timeout of `timeout`.
pub fn loopback(timeout: Duration) -> ClientOptions {
    ClientOptions {
        timeout,
        policy: UrlPolicy::allow_private(),
    }
}

/// A client for the receivers, with a short timeout so hanging receivers do not slow tests.
pub fn client() -> reqwest::Client {
    delivery::http_client_with(loopback(Duration::from_secs(5)))
}

/// A high-severity alert grouped by person and IP.
pub fn notification() -> Notification {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 10, 15, 0).unwrap();
    Notification {
        id: Notification::new_id(),
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
