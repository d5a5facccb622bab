//! The delivery receivers as a process, for the end-to-end suite: Slack, Jira, a Standard Webhooks
//! endpoint and syslog on loopback ports, plus a small read-only report of what each received so a
//! browser test can check that an alert reached them.
//!
//! `test-receivers <report-address> <urls-file>` writes the receivers' URLs (and the Jira and
//! webhook credentials they accept) to `<urls-file>` as JSON once they listen, then serves
//! `GET /report` on `<report-address>` until killed.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use testkit::receivers::{self, Receivers};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(report_addr), Some(urls_file)) = (args.next(), args.next()) else {
        eprintln!("usage: test-receivers <report-address> <urls-file>");
        std::process::exit(2);
    };
    let receivers = Arc::new(receivers::spawn_all().await);
    let listener = tokio::net::TcpListener::bind(&report_addr)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {report_addr}: {e}"));
    let urls = json!({
        "slack": receivers.slack.url(),
        "jira": receivers.jira.url(),
        "jira_email": receivers::TEST_JIRA_EMAIL,
        "jira_token": receivers::TEST_JIRA_TOKEN,
        "webhook": receivers.webhook.url(),
        "webhook_secret": receivers::TEST_WEBHOOK_SECRET,
        "syslog": receivers.syslog.url(),
        "report": format!("http://{}/report", listener.local_addr().expect("address")),
    });
    std::fs::write(&urls_file, urls.to_string())
        .unwrap_or_else(|e| panic!("cannot write {urls_file}: {e}"));
    let app = Router::new()
        .route("/report", get(report))
        .with_state(receivers);
    axum::serve(listener, app).await.expect("the report server");
}

/// What every receiver got: Slack message bodies, Jira issue keys and bodies, webhook deliveries
/// with the receiver's signature verdict, syslog lines.
async fn report(State(receivers): State<Arc<Receivers>>) -> Json<Value> {
    let bodies = |requests: Vec<receivers::ReceivedRequest>| -> Vec<Value> {
        requests
            .iter()
            .map(|r| r.json().unwrap_or_else(|| Value::String(r.text())))
            .collect()
    };
    let webhook: Vec<Value> = receivers
        .webhook
        .deliveries()
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id,
                "verified": d.verified,
                "body": serde_json::from_slice::<Value>(&d.body).unwrap_or(Value::Null),
            })
        })
        .collect();
    Json(json!({
        "slack": bodies(receivers.slack.received()),
        "jira": { "created": receivers.jira.created(), "requests": bodies(receivers.jira.received()) },
        "webhook": webhook,
        "syslog": receivers.syslog.received(),
    }))
}
