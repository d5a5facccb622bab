//! Syslog delivery against the testkit's TCP collector.

mod common;

use delivery::{Destination, Outcome, Sender, SyslogFormat};
use std::time::Duration;
use testkit::receivers::SyslogReceiver;

fn destination(collector: &SyslogReceiver, format: SyslogFormat, tls: bool) -> Destination {
    Destination::Syslog {
        host: collector.host(),
        port: collector.port(),
        tls,
        format,
    }
}

fn sender() -> Sender {
    Sender::new(common::loopback(Duration::from_secs(5)))
}

#[tokio::test]
async fn a_cef_message_arrives_framed_with_escaped_structured_data() {
    let collector = SyslogReceiver::spawn().await;
    let mut n = common::notification();
    n.alert.id = r#"al_"42"]\x"#.to_owned();
    let out = sender()
        .send(
            &destination(&collector, SyslogFormat::Cef, false),
            &n,
            chrono::Utc::now(),
        )
        .await;
    assert!(
        matches!(&out, Outcome::Delivered { status: None, detail, .. } if detail.contains("TCP")),
        "{out:?}"
    );

    let got = collector.wait_for(1, Duration::from_secs(5)).await;
    assert!(collector.errors().is_empty(), "{:?}", collector.errors());
    assert_eq!(got.len(), 1, "one octet-counted frame");
    let line = &got[0];
    assert!(
        line.starts_with("<82>1 2026-03-02T10:15:00.000Z "),
        "{line}"
    );
    assert!(line.contains(" atlaslens "), "{line}");
    assert!(line.contains(" alert [atlaslens@32473 "), "{line}");
    assert!(line.contains(r#"alert="al_\"42\"\]\\x""#), "{line}");
    assert!(
        line.contains(r#"rule="bulk-export" severity="high""#),
        "{line}"
    );
    let cef = &line[line.find("CEF:0|").expect("a CEF message")..];
    assert!(cef.starts_with("CEF:0|AtlasLens|AtlasLens|"), "{cef}");
    assert!(
        cef.contains("|bulk-export|Ana Souza exported 41 issues|8|"),
        "{cef}"
    );
    assert!(
        cef.contains("suser=Ana Souza") && cef.contains("src=203.0.113.9"),
        "{cef}"
    );
}

#[tokio::test]
async fn a_json_message_carries_the_webhook_body() {
    let collector = SyslogReceiver::spawn().await;
    let n = common::notification();
    let out = sender()
        .send(
            &destination(&collector, SyslogFormat::Json, false),
            &n,
            chrono::Utc::now(),
        )
        .await;
    assert!(out.is_delivered(), "{out:?}");
    let got = collector.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    let (_, json) = got[0]
        .split_once("\"] ")
        .expect("structured data, then the message");
    let body: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(body["type"], "alert.opened");
    assert_eq!(body["data"]["rule_name"], "Bulk export");
    let expected: serde_json::Value = serde_json::from_slice(&delivery::webhook::body(&n)).unwrap();
    assert_eq!(body, expected);
}

#[tokio::test]
async fn a_collector_that_is_not_listening_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dest = Destination::Syslog {
        host: "127.0.0.1".to_owned(),
        port,
        tls: false,
        format: SyslogFormat::Cef,
    };
    let out = sender()
        .send(&dest, &common::notification(), chrono::Utc::now())
        .await;
    assert!(
        matches!(out, Outcome::Retry { status: None, .. }),
        "{out:?}"
    );
}

#[tokio::test]
async fn tls_to_a_plain_collector_is_not_counted_as_delivered() {
    let collector = SyslogReceiver::spawn().await;
    // The plain collector waits for more bytes and the TLS client for a ServerHello: only the
    // timeout ends it.
    let sender = Sender::new(common::loopback(Duration::from_millis(500)));
    let out = sender
        .send(
            &destination(&collector, SyslogFormat::Cef, true),
            &common::notification(),
            chrono::Utc::now(),
        )
        .await;
    assert!(
        matches!(&out, Outcome::Retry { reason, .. } if reason.contains("did not accept")),
        "{out:?}"
    );
    drop(sender);
    assert!(collector
        .wait_for(1, Duration::from_millis(300))
        .await
        .is_empty());
}

#[tokio::test]
async fn the_free_send_function_keeps_syslog_to_public_addresses() {
    let collector = SyslogReceiver::spawn().await;
    let out = delivery::send(
        &common::client(),
        &destination(&collector, SyslogFormat::Cef, false),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(&out, Outcome::Failed { reason, .. } if reason.contains("loopback")),
        "{out:?}"
    );
}
