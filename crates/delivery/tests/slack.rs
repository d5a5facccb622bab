//! Slack delivery against the testkit's incoming-webhook receiver.

mod common;

use delivery::{Destination, Outcome};
use secrecy::SecretString;
use std::time::Duration;
use testkit::receivers::{Fault, SlackReceiver};

fn destination(receiver: &SlackReceiver) -> Destination {
    Destination::Slack {
        webhook_url: SecretString::from(receiver.url()),
    }
}

#[tokio::test]
async fn a_message_arrives_with_blocks_a_fallback_and_mentions_escaped() {
    let slack = SlackReceiver::spawn().await;
    let mut n = common::notification();
    n.alert.group[0].1 = "<!channel> Ana & co".to_owned();
    let out = delivery::send(
        &common::client(),
        &destination(&slack),
        &n,
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(
            &out,
            Outcome::Delivered {
                status: Some(200),
                remote_ref: None,
                ..
            }
        ),
        "{out:?}"
    );

    let got = slack.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    assert!(got[0]
        .header("user-agent")
        .unwrap()
        .starts_with("AtlasLens/"));
    let raw = got[0].text();
    assert!(
        !raw.contains("<!channel>"),
        "the mention must not arrive raw: {raw}"
    );
    let body = got[0].json().unwrap();
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(
        body["blocks"][0]["text"]["text"],
        "Ana Souza exported 41 issues"
    );
    assert_eq!(
        body["blocks"][2]["fields"][0]["text"],
        "*person*\n&lt;!channel&gt; Ana &amp; co"
    );
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("New alert (High): Ana Souza exported 41 issues."),
        "{text}"
    );
    assert!(
        !text.contains('*') && !text.contains('\n'),
        "plain text: {text}"
    );
}

#[tokio::test]
async fn rate_limiting_is_retried_after_the_time_slack_asks_for() {
    let slack = SlackReceiver::spawn().await;
    slack.fail_next(
        1,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    );
    let out = delivery::send(
        &common::client(),
        &destination(&slack),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    assert_eq!(
        slack.received()[0].fault,
        Some(Fault::RateLimited {
            retry_after_secs: 7
        })
    );
    match out {
        Outcome::Retry {
            status,
            retry_after,
            reason,
        } => {
            assert_eq!(status, Some(429));
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
            assert!(reason.contains("429"), "{reason}");
        }
        other => panic!("expected a retry, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_retry_gone_disables_and_not_found_fails() {
    let slack = SlackReceiver::spawn().await;
    let client = common::client();
    let dest = destination(&slack);
    let n = common::notification();
    let now = chrono::Utc::now();

    slack.fail_next(1, Fault::Status(500));
    let out = delivery::send(&client, &dest, &n, now).await;
    assert!(
        matches!(
            out,
            Outcome::Retry {
                status: Some(500),
                retry_after: None,
                ..
            }
        ),
        "{out:?}"
    );

    slack.fail_next(1, Fault::Status(410));
    let out = delivery::send(&client, &dest, &n, now).await;
    assert_eq!(out, Outcome::Gone { status: 410 });

    slack.fail_next(1, Fault::Status(404));
    match delivery::send(&client, &dest, &n, now).await {
        Outcome::Failed {
            status: Some(404),
            reason,
        } => {
            assert!(reason.contains("create a new incoming webhook"), "{reason}");
            assert!(
                !reason.contains("abcdefghijklmnopqrstuvwx"),
                "the URL's token leaked: {reason}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }

    let faults: Vec<Option<Fault>> = slack.received().into_iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [
            Some(Fault::Status(500)),
            Some(Fault::Status(410)),
            Some(Fault::Status(404))
        ]
    );
}
