//! From an incident to the receivers: a destination that chose incident events hears of the
//! opening with a link to the incident, one that did not hears only of the alert; queueing again
//! finds the same delivery; and a Jira destination keeping one issue per incident opens one issue
//! and comments on it for the incident's next alert.

use chrono::{DateTime, Duration, Utc};
use delivery::{ClientOptions, Destination, Sender, UrlPolicy};
use domain::{Classification, Field, Move, RuleId, RuleSpec, Severity};
use notify::configure::{add, DestinationForm};
use notify::queue::incident_delivery_id;
use notify::Notifier;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::alerts::AlertRecord;
use store::crypto::KeyRing;
use store::deliveries::{Delivery, DeliveryStatus};
use store::Store;
use testkit::receivers::{
    JiraReceiver, SlackReceiver, WebhookReceiver, TEST_JIRA_EMAIL, TEST_JIRA_TOKEN,
    TEST_WEBHOOK_SECRET,
};
use tokio::sync::watch;

const APP: &str = "http://atlaslens.test";

struct World {
    store: Store,
    notifier: Notifier,
    stop: watch::Sender<bool>,
    slack: SlackReceiver,
    webhook: WebhookReceiver,
    jira: JiraReceiver,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A webhook that chose incident events, a Slack that did not, and a Jira keeping one issue per
/// incident — each taking medium alerts and above — with delivery workers running.
async fn world() -> World {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let jobs = jobs::JobStore::new(&store.db);
    jobs.setup().await.unwrap();
    let keys = Arc::new(KeyRing::new(&[7u8; 32], &[]));
    let slack = SlackReceiver::spawn().await;
    let webhook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    let jira = JiraReceiver::spawn(TEST_JIRA_EMAIL, TEST_JIRA_TOKEN).await;
    let secret = |s: &str| SecretString::from(s.to_owned());
    let forms = [
        (
            "hook",
            Destination::Webhook {
                url: webhook.url(),
                secret: secret(TEST_WEBHOOK_SECRET),
            },
        ),
        (
            "slack",
            Destination::Slack {
                webhook_url: secret(&slack.url()),
            },
        ),
        (
            "jira",
            Destination::Jira {
                base_url: jira.url(),
                project_key: "SEC".into(),
                issue_type: "Task".into(),
                email: TEST_JIRA_EMAIL.into(),
                api_token: secret(TEST_JIRA_TOKEN),
                per_incident: true,
            },
        ),
    ];
    for (id, destination) in forms {
        let form = DestinationForm {
            id: id.into(),
            name: id.into(),
            destination,
            default_min_severity: Some(Severity::Medium),
            incident_events: id == "hook",
        };
        add(
            &store,
            &keys,
            form,
            UrlPolicy::allow_private(),
            "test",
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let sender = Sender::new(ClientOptions {
        timeout: std::time::Duration::from_secs(2),
        policy: UrlPolicy::allow_private(),
    });
    let notifier = Notifier::new(store.clone(), jobs, keys, sender, None, APP.into());
    let (stop, rx) = watch::channel(false);
    let settings = jobs::WorkerSettings {
        backoff_base: std::time::Duration::from_millis(200),
        ..notify::queue::worker_settings("test", std::time::Duration::from_secs(60))
    };
    let (n, mut rx) = (notifier.clone(), rx.clone());
    tokio::spawn(async move {
        notify::queue::run_workers(n, settings, async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .await
        .unwrap();
    });
    World {
        store,
        notifier,
        stop,
        slack,
        webhook,
        jira,
    }
}

/// A per-person rule named `name`, reopening resolved incidents within `reopen_hours`.
async fn rule_reopening(store: &Store, name: &str, reopen_hours: u32) -> RuleId {
    let id = RuleId::parse(name).unwrap();
    let spec = RuleSpec {
        correlation: domain::Correlation {
            reopen_hours,
            ..Default::default()
        },
        ..testkit::match_rule(name, "category:security")
    };
    store
        .rules
        .create(&id, &spec, "test", Utc::now())
        .await
        .unwrap();
    id
}

/// A per-person rule named `name`.
async fn rule(store: &Store, name: &str) -> RuleId {
    rule_reopening(store, name, 0).await
}

/// An alert of `rule` for `person` at `at`, correlated, and the deliveries queued; returns how
/// many were queued.
async fn alert(w: &World, rule: &RuleId, person: &str, at: DateTime<Utc>) -> u64 {
    let record = AlertRecord {
        id: format!("{rule}:{person}:{}", at.timestamp()),
        rule_id: rule.clone(),
        rule_name: rule.to_string(),
        severity: Severity::High,
        dedup_key: person.into(),
        group: BTreeMap::from([(Field::Person, person.to_owned())]),
        period_start: at,
        events: Vec::new(),
        seen_at: at,
        why: "test".into(),
        events_query: String::new(),
    };
    w.store.alerts.record(&record, at).await.unwrap();
    incidents::correlate_pending(&w.store, Utc::now())
        .await
        .unwrap();
    w.notifier.queue_pending(Utc::now()).await.unwrap()
}

/// Every delivery, once `n` exist and none is pending.
async fn settled(w: &World, n: usize) -> Vec<Delivery> {
    for _ in 0..200 {
        let mut all = Vec::new();
        for id in ["hook", "slack", "jira"] {
            all.extend(w.store.deliveries.for_destination(id, 100).await.unwrap());
        }
        if all.len() >= n && all.iter().all(|d| d.status != DeliveryStatus::Pending) {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("deliveries did not settle");
}

async fn only_incident(w: &World) -> store::incidents::Incident {
    let alerts = w.store.alerts.list(&Default::default(), 10).await.unwrap();
    let id = alerts[0].incident_id.clone().expect("correlated");
    w.store.incidents.get(&id).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_opened_incident_reaches_the_destinations_that_chose_incident_events_once() {
    let w = world().await;
    let grants = rule(&w.store, "grants").await;
    // The webhook and Slack hear of the alert, the webhook and the per-incident Jira of the
    // incident; the Jira does not take the opening alert on its own.
    assert_eq!(
        alert(&w, &grants, "person:ana", Utc::now() - Duration::minutes(5)).await,
        4
    );
    let done = settled(&w, 4).await;
    assert!(
        done.iter().all(|d| d.status == DeliveryStatus::Delivered),
        "{done:?}"
    );
    let incident = only_incident(&w).await;

    let hooks = w.webhook.deliveries();
    let bodies: Vec<serde_json::Value> = hooks
        .iter()
        .map(|h| serde_json::from_slice(&h.body).unwrap())
        .collect();
    let kinds: Vec<String> = bodies
        .iter()
        .map(|b| b["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&"alert.opened".to_owned()), "{kinds:?}");
    let at = bodies
        .iter()
        .position(|b| b["type"] == "incident.opened")
        .expect("the webhook heard of the incident");
    let (opened, body) = (&hooks[at], &bodies[at]);
    assert!(opened.verified);
    assert_eq!(body["incident"]["id"], incident.id.as_str());
    assert_eq!(
        body["incident"]["url"],
        format!("{APP}/incidents/{}", incident.id)
    );
    assert_eq!(body["incident"]["alerts"], 1);
    assert_eq!(body["data"]["rule_id"], "grants");
    let alert_body = bodies.iter().find(|b| b["type"] == "alert.opened").unwrap();
    assert!(alert_body.get("incident").is_none(), "{alert_body}");

    let slack = w.slack.received();
    assert_eq!(slack.len(), 1, "Slack chose no incident events");
    assert!(
        !slack[0].text().contains("/incidents/"),
        "{}",
        slack[0].text()
    );

    // The incident's deliveries: one per destination taking it, with derived ids.
    let of_incident = w.store.deliveries.for_incident(&incident.id).await.unwrap();
    let mut to: Vec<&str> = of_incident
        .iter()
        .filter(|d| d.event == "incident.opened")
        .map(|d| d.destination_id.as_str())
        .collect();
    to.sort_unstable();
    assert_eq!(to, ["hook", "jira"]);
    let entry = w
        .store
        .incidents
        .timeline(&incident)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == store::incidents::EntryKind::Opened)
        .unwrap();
    assert!(!entry.notify_pending);
    let hook_delivery = of_incident
        .iter()
        .find(|d| d.destination_id == "hook" && d.event == "incident.opened")
        .unwrap();
    assert_eq!(hook_delivery.id, incident_delivery_id(&entry.id, "hook"));
    assert_eq!(opened.id, hook_delivery.id, "webhook-id is the delivery id");

    // Queueing again queues nothing and sends nothing more.
    assert_eq!(w.notifier.queue_pending(Utc::now()).await.unwrap(), 0);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(w.webhook.deliveries().len(), 2);
    assert_eq!(
        w.store
            .deliveries
            .for_incident(&incident.id)
            .await
            .unwrap()
            .len(),
        of_incident.len()
    );
}

#[tokio::test]
async fn a_per_incident_jira_opens_one_issue_and_comments_for_a_later_alert() {
    let w = world().await;
    let grants = rule(&w.store, "grants").await;
    let exports = rule(&w.store, "exports").await;
    let first = Utc::now() - Duration::minutes(10);
    alert(&w, &grants, "person:bea", first).await;
    settled(&w, 4).await;
    assert_eq!(w.jira.created(), ["SEC-1"], "one issue, for the incident");
    let incident = only_incident(&w).await;
    assert_eq!(incident.jira_issue.as_deref(), Some("SEC-1"));
    let issue = &w.jira.received()[0].json().unwrap()["fields"];
    assert!(
        issue["summary"]
            .as_str()
            .unwrap()
            .starts_with("[AtlasLens] Incident: grants"),
        "{issue}"
    );
    assert!(issue["description"]
        .to_string()
        .contains(&format!("{APP}/incidents/{}", incident.id)));

    // The same person's next alert joins the incident: a comment on its issue, no new issue.
    alert(&w, &exports, "person:bea", first + Duration::minutes(2)).await;
    let done = settled(&w, 6).await;
    assert!(
        done.iter().all(|d| d.status == DeliveryStatus::Delivered),
        "{done:?}"
    );
    assert_eq!(w.jira.created(), ["SEC-1"]);
    let comments = w.jira.comments();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].0, "SEC-1");
    assert!(
        comments[0].1.to_string().contains("New alert: exports"),
        "{}",
        comments[0].1
    );
    let comment = done
        .iter()
        .find(|d| d.destination_id == "jira" && d.event == "alert.opened")
        .unwrap();
    assert_eq!(comment.remote_ref.as_deref(), Some("SEC-1"));
    assert_eq!(comment.incident_id.as_deref(), Some(incident.id.as_str()));
    assert_eq!(only_incident(&w).await.alerts, 2);
}

#[tokio::test]
async fn a_resolution_is_told_with_its_classification_and_is_a_comment_on_the_issue() {
    let w = world().await;
    let grants = rule(&w.store, "grants").await;
    alert(&w, &grants, "person:cai", Utc::now() - Duration::minutes(5)).await;
    settled(&w, 4).await;
    let incident = only_incident(&w).await;
    for m in [
        Move::Acknowledge,
        Move::Resolve(Classification::TruePositive, "Access revoked".into()),
    ] {
        incidents::apply_move(&w.store, &incident.id, &m, "ana", Utc::now())
            .await
            .unwrap();
    }
    assert_eq!(w.notifier.queue_pending(Utc::now()).await.unwrap(), 2);
    settled(&w, 6).await;
    let resolved: serde_json::Value = w
        .webhook
        .deliveries()
        .iter()
        .map(|h| serde_json::from_slice::<serde_json::Value>(&h.body).unwrap())
        .find(|b| b["type"] == "incident.resolved")
        .expect("the webhook heard of the resolution");
    assert_eq!(resolved["incident"]["classification"], "true_positive");
    assert_eq!(resolved["incident"]["resolution_note"], "Access revoked");
    assert_eq!(resolved["incident"]["state"], "resolved");
    assert_eq!(resolved["data"]["rule_id"], "grants", "its latest alert");
    assert_eq!(w.jira.created(), ["SEC-1"]);
    let comments = w.jira.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].1.to_string().contains("Incident resolved: "),
        "{}",
        comments[0].1
    );
}

#[tokio::test]
async fn a_reopening_is_told_and_is_a_comment_on_the_issue() {
    let w = world().await;
    let grants = rule_reopening(&w.store, "grants", 24).await;
    alert(&w, &grants, "person:dev", Utc::now() - Duration::hours(3)).await;
    settled(&w, 4).await;
    let incident = only_incident(&w).await;
    for m in [
        Move::Acknowledge,
        Move::Resolve(Classification::FalsePositive, "A test account".into()),
    ] {
        incidents::apply_move(&w.store, &incident.id, &m, "ana", Utc::now())
            .await
            .unwrap();
    }
    w.notifier.queue_pending(Utc::now()).await.unwrap();
    settled(&w, 6).await;
    // A new alert for the same person inside the reopen window reopens the incident.
    alert(
        &w,
        &grants,
        "person:dev",
        Utc::now() - Duration::minutes(10),
    )
    .await;
    let reopened = w.store.incidents.get(&incident.id).await.unwrap().unwrap();
    assert_eq!(reopened.state, domain::IncidentState::Triggered);
    settled(&w, 8).await;
    let told: serde_json::Value = w
        .webhook
        .deliveries()
        .iter()
        .map(|h| serde_json::from_slice::<serde_json::Value>(&h.body).unwrap())
        .find(|b| b["type"] == "incident.reopened")
        .expect("the webhook heard of the reopening");
    assert_eq!(told["incident"]["id"], incident.id.as_str());
    assert_eq!(told["incident"]["state"], "triggered");
    assert_eq!(w.jira.created(), ["SEC-1"], "still one issue");
    assert!(
        w.jira
            .comments()
            .iter()
            .any(|(_, body)| body.to_string().contains("Incident reopened")),
        "the reopening is a comment on it"
    );
}
