//! From an alert to the receivers: a rule fires, its deliveries are queued once per destination
//! and delivered at least once with one idempotency key, faults are retried or disable the
//! destination, and running everything twice sends nothing twice.

use chrono::{DateTime, Duration, Utc};
use delivery::{ClientOptions, Destination, Sender, SyslogFormat, UrlPolicy};
use domain::{
    Category, Dedup, Exclusions, Operation, PersonId, Product, RuleId, RuleKind, RuleSpec, Severity,
};
use notify::configure::{add, DestinationForm};
use notify::Notifier;
use secrecy::SecretString;
use std::sync::Arc;
use store::crypto::KeyRing;
use store::deliveries::DeliveryStatus;
use store::Store;
use testkit::receivers::{
    Fault, JiraReceiver, SlackReceiver, SyslogReceiver, WebhookReceiver, TEST_JIRA_EMAIL,
    TEST_JIRA_TOKEN, TEST_WEBHOOK_SECRET,
};
use tokio::sync::watch;

fn now() -> DateTime<Utc> {
    Utc::now()
}

struct World {
    store: Store,
    notifier: Notifier,
    jobs: jobs::JobStore,
    stop: watch::Sender<bool>,
    slack: SlackReceiver,
    webhook: WebhookReceiver,
    jira: JiraReceiver,
    syslog: SyslogReceiver,
}

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
    let syslog = SyslogReceiver::spawn().await;
    let secret = |s: &str| SecretString::from(s.to_owned());
    let forms = [
        (
            "slack",
            Destination::Slack {
                webhook_url: secret(&slack.url()),
            },
        ),
        (
            "webhook",
            Destination::Webhook {
                url: webhook.url(),
                secret: secret(TEST_WEBHOOK_SECRET),
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
                per_incident: false,
            },
        ),
        (
            "syslog",
            Destination::Syslog {
                host: syslog.host(),
                port: syslog.port(),
                tls: false,
                format: SyslogFormat::Cef,
            },
        ),
    ];
    for (id, destination) in forms {
        let form = DestinationForm {
            id: id.into(),
            name: id.into(),
            destination,
            default_min_severity: Some(Severity::Medium),
            incident_events: false,
        };
        add(
            &store,
            &keys,
            form,
            UrlPolicy::allow_private(),
            "test",
            now(),
        )
        .await
        .unwrap();
    }
    let sender = Sender::new(ClientOptions {
        timeout: std::time::Duration::from_secs(2),
        policy: UrlPolicy::allow_private(),
    });
    let notifier = Notifier::new(
        store.clone(),
        jobs.clone(),
        keys,
        sender,
        None,
        "http://atlaslens.test".into(),
    );
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
    let rule = RuleSpec {
        name: "Administrator rights granted".into(),
        description: String::new(),
        severity: Severity::High,
        filter: "operation=admin_granted".into(),
        kind: RuleKind::Match,
        dedup: Dedup {
            key: "{person}".into(),
            period_minutes: 60,
        },
        exclusions: Exclusions::default(),
        destinations: Vec::new(),
        enabled: true,
        snoozed_until: None,
        correlation: Default::default(),
    };
    let id = RuleId::parse("admin").unwrap();
    store.rules.create(&id, &rule, "test", now()).await.unwrap();
    rules::evaluate_pass(&store, &[], now()).await.unwrap();
    World {
        store,
        notifier,
        jobs,
        stop,
        slack,
        webhook,
        jira,
        syslog,
    }
}

async fn grant(w: &World, n: u32) {
    let at = now() - Duration::minutes(1);
    let e = domain::Event {
        operation: Operation::AdminGranted,
        category: Category::Security,
        actor_id: Some(PersonId::parse(&format!("person:p{n}")).unwrap()),
        ingested_at: now(),
        ..testkit::event("acme", Product::Org, &format!("g{n}"), at)
    };
    w.store.events.insert_new(&[e]).await.unwrap();
    rules::evaluate_pass(&w.store, &[], now()).await.unwrap();
    w.notifier.queue_pending(now()).await.unwrap();
}

async fn settled(w: &World, alert_deliveries: usize) -> Vec<store::deliveries::Delivery> {
    for _ in 0..200 {
        let all: Vec<_> = {
            let mut v = Vec::new();
            for a in w.store.alerts.list(&Default::default(), 100).await.unwrap() {
                v.extend(w.store.deliveries.for_alert(&a.id).await.unwrap());
            }
            v
        };
        if all.len() >= alert_deliveries && all.iter().all(|d| d.status != DeliveryStatus::Pending)
        {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("deliveries did not settle");
}

#[tokio::test]
async fn an_alert_reaches_slack_the_signed_webhook_jira_and_syslog_once() {
    let w = world().await;
    grant(&w, 1).await;
    let done = settled(&w, 4).await;
    assert!(
        done.iter().all(|d| d.status == DeliveryStatus::Delivered),
        "{done:?}"
    );
    let slack = w.slack.received();
    assert_eq!(slack.len(), 1);
    let body = slack[0].json().unwrap();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("Administrator rights granted"),
        "{body}"
    );
    let hooks = w.webhook.deliveries();
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].verified, "the receiver verified the signature");
    let webhook_delivery = done.iter().find(|d| d.destination_id == "webhook").unwrap();
    assert_eq!(
        hooks[0].id, webhook_delivery.id,
        "webhook-id is the delivery's idempotency key"
    );
    assert_eq!(w.jira.created().len(), 1);
    let alert = &w.store.alerts.list(&Default::default(), 10).await.unwrap()[0];
    assert_eq!(
        alert.jira_issue.as_deref(),
        Some(w.jira.created()[0].as_str())
    );
    assert_eq!(
        w.syslog
            .wait_for(1, std::time::Duration::from_secs(5))
            .await
            .len(),
        1
    );
    // Everything again: the same alert, nothing new queued or sent.
    rules::evaluate_pass(&w.store, &[], now()).await.unwrap();
    assert_eq!(w.notifier.queue_pending(now()).await.unwrap(), 0);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(w.slack.received().len(), 1);
    assert_eq!(w.webhook.deliveries().len(), 1);
    let _ = w.stop.send(true);
    drop(w.jobs);
}

#[tokio::test]
async fn a_rate_limited_slack_is_retried_after_its_retry_after_with_one_key() {
    let w = world().await;
    w.slack.fail_next(
        1,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    w.webhook.fail_next(1, Fault::Status(500));
    grant(&w, 2).await;
    let done = settled(&w, 4).await;
    let slack = done.iter().find(|d| d.destination_id == "slack").unwrap();
    assert_eq!(slack.status, DeliveryStatus::Delivered);
    assert_eq!(slack.attempts.len(), 2, "{:?}", slack.attempts);
    assert_eq!(slack.attempts[0].status_code, Some(429));
    let waited = slack.attempts[1].at - slack.attempts[0].at;
    assert!(
        waited >= Duration::milliseconds(900),
        "Retry-After honoured: {waited}"
    );
    let hooks = w.webhook.received();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].header("webhook-id"), hooks[1].header("webhook-id"));
    let _ = w.stop.send(true);
}

#[tokio::test]
async fn a_gone_destination_is_disabled_and_a_permanent_refusal_is_not_retried() {
    let w = world().await;
    w.slack.fail_next(1, Fault::Status(410));
    w.webhook.fail_next(5, Fault::Status(404));
    grant(&w, 3).await;
    let done = settled(&w, 4).await;
    let slack = done.iter().find(|d| d.destination_id == "slack").unwrap();
    assert_eq!(slack.status, DeliveryStatus::Gone);
    let dest = w.store.destinations.get("slack").await.unwrap().unwrap();
    assert!(!dest.enabled);
    assert!(dest.disabled_reason.unwrap().contains("410"));
    let hook = done.iter().find(|d| d.destination_id == "webhook").unwrap();
    assert_eq!(hook.status, DeliveryStatus::Failed);
    assert_eq!(hook.attempts.len(), 1);
    // A second alert does not go to the disabled destination.
    grant(&w, 4).await;
    settled(&w, 7).await;
    assert_eq!(w.slack.received().len(), 1);
    let _ = w.stop.send(true);
}

#[tokio::test]
async fn a_test_message_and_a_resend_use_the_same_job_path() {
    let w = world().await;
    let id = w.notifier.send_test("webhook", now()).await.unwrap();
    for _ in 0..100 {
        if w.webhook.deliveries().len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(w.webhook.deliveries()[0].id, id);
    w.notifier.resend(&id).await.unwrap();
    for _ in 0..100 {
        if w.webhook.deliveries().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let got = w.webhook.deliveries();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].id, id, "a resend keeps the idempotency key");
    let _ = w.stop.send(true);
}
