//! Standard Webhooks delivery against the testkit's receiver, which checks signatures with its
//! own HMAC code; and the HTTP client's behaviour with endpoints that misbehave.

mod common;

use delivery::{ClientOptions, Destination, Outcome, UrlPolicy};
use secrecy::SecretString;
use std::time::{Duration, Instant};
use testkit::receivers::{Fault, WebhookReceiver, TEST_WEBHOOK_SECRET};

fn destination(hook: &WebhookReceiver, secret: &str) -> Destination {
    Destination::Webhook {
        url: hook.url(),
        secret: SecretString::from(secret),
    }
}

#[tokio::test]
async fn the_receiver_verifies_the_signature_of_a_delivery() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    let n = common::notification();
    let out = delivery::send(
        &common::client(),
        &destination(&hook, TEST_WEBHOOK_SECRET),
        &n,
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(
            out,
            Outcome::Delivered {
                status: Some(204),
                ..
            }
        ),
        "{out:?}"
    );
    let deliveries = hook.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].verified, "the receiver's own check must pass");
    assert_eq!(deliveries[0].id, n.id);
    let body: serde_json::Value = serde_json::from_slice(&deliveries[0].body).unwrap();
    assert_eq!(body["type"], "alert.opened");
    assert_eq!(body["data"]["id"], "al_42");
    let got = &hook.received()[0];
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert!(got.header("webhook-signature").unwrap().starts_with("v1,"));
}

#[tokio::test]
async fn two_attempts_of_one_notification_carry_the_same_webhook_id() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    hook.fail_next(1, Fault::Status(503));
    let client = common::client();
    let dest = destination(&hook, TEST_WEBHOOK_SECRET);
    let n = common::notification();
    let first = delivery::send(&client, &dest, &n, chrono::Utc::now()).await;
    assert!(
        matches!(
            first,
            Outcome::Retry {
                status: Some(503),
                ..
            }
        ),
        "{first:?}"
    );
    let second = delivery::send(&client, &dest, &n, chrono::Utc::now()).await;
    assert!(second.is_delivered(), "{second:?}");

    let got = hook.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].fault, Some(Fault::Status(503)));
    assert_eq!(got[0].header("webhook-id"), Some(n.id.as_str()));
    assert_eq!(got[1].header("webhook-id"), Some(n.id.as_str()));
    assert_eq!(
        got[0].body, got[1].body,
        "the same notification, the same bytes"
    );
    assert!(hook.deliveries()[0].verified);
}

#[tokio::test]
async fn a_delivery_signed_with_another_secret_is_refused_by_the_receiver() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    let other = delivery::generate_webhook_secret();
    let out = delivery::send(
        &common::client(),
        &Destination::Webhook {
            url: hook.url(),
            secret: other,
        },
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(&out, Outcome::Failed { status: Some(401), reason } if reason.contains("secret")),
        "{out:?}"
    );
    assert!(!hook.deliveries()[0].verified);
}

#[tokio::test]
async fn a_ten_megabyte_answer_is_read_no_further_than_the_cap() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    hook.fail_next(1, Fault::HugeBody(10 * 1024 * 1024));
    let started = Instant::now();
    let out = delivery::send(
        &common::client(),
        &destination(&hook, TEST_WEBHOOK_SECRET),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    assert_eq!(
        hook.received()[0].fault,
        Some(Fault::HugeBody(10 * 1024 * 1024))
    );
    match out {
        Outcome::Delivered {
            status: Some(200),
            detail,
            ..
        } => {
            assert!(
                detail.contains("longer than 64 KiB, read no further"),
                "{detail}"
            );
        }
        other => panic!("expected a delivery, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_is_not_followed() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    hook.fail_next(1, Fault::Redirect(format!("{}/elsewhere", hook.url())));
    let out = delivery::send(
        &common::client(),
        &destination(&hook, TEST_WEBHOOK_SECRET),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    match out {
        Outcome::Failed {
            status: Some(302),
            reason,
        } => {
            assert!(reason.contains("does not follow redirects"), "{reason}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(hook.received().len(), 1, "the redirect was followed");
}

#[tokio::test]
async fn an_endpoint_slower_than_the_timeout_is_retried() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    hook.fail_next(1, Fault::Hang(Duration::from_secs(5)));
    let client = delivery::http_client_with(common::loopback(Duration::from_millis(300)));
    let started = Instant::now();
    let out = delivery::send(
        &client,
        &destination(&hook, TEST_WEBHOOK_SECRET),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    assert_eq!(
        hook.received()[0].fault,
        Some(Fault::Hang(Duration::from_secs(5)))
    );
    assert!(
        matches!(&out, Outcome::Retry { status: None, reason, .. } if reason.contains("timeout")),
        "{out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_closed_port_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = delivery::send(
        &common::client(),
        &Destination::Webhook {
            url: format!("http://127.0.0.1:{port}/hook"),
            secret: SecretString::from(TEST_WEBHOOK_SECRET),
        },
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(&out, Outcome::Retry { status: None, reason, .. } if reason.contains("connect")),
        "{out:?}"
    );
}

#[tokio::test]
async fn the_production_client_refuses_a_name_that_resolves_to_loopback_when_connecting() {
    let hook = WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await;
    let client = delivery::http_client_with(ClientOptions {
        timeout: Duration::from_secs(5),
        policy: UrlPolicy::production(),
    });
    let dest = Destination::Webhook {
        url: format!("http://localhost:{}/hook", hook.addr().port()),
        secret: SecretString::from(TEST_WEBHOOK_SECRET),
    };
    let out = delivery::send(&client, &dest, &common::notification(), chrono::Utc::now()).await;
    assert!(
        matches!(&out, Outcome::Failed { status: None, reason } if reason.contains("localhost") && reason.contains("public address")),
        "{out:?}"
    );
    assert!(hook.received().is_empty(), "nothing may reach the receiver");
}
