//! Test support shared by the connector tests against a tiny local server: the server, a client
//! with short waits, a sink that keeps records and rejects apart, and a fixed window.
#![allow(dead_code)]

use async_trait::async_trait;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use connectors::{
    Auth, Connector, FetchStats, HttpClient, RecordSink, RetryPolicy, SinkError, SourceRecord,
    Window,
};
use reqwest::Url;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A local server answering JSON, `404` for anything it does not know, and remembering every
/// request (path and query, still percent-encoded).
pub struct Fixture {
    base: String,
    asked: Arc<Mutex<Vec<Uri>>>,
}

impl Fixture {
    /// Fixed bodies by exact path and query (`/wiki/api/v2/pages/2/versions?cursor=b`), else by
    /// exact path.
    pub async fn serve(routes: &[(&str, Value)]) -> Self {
        let routes: HashMap<String, Value> = routes
            .iter()
            .map(|(path, body)| ((*path).to_owned(), body.clone()))
            .collect();
        Self::answer(move |uri| {
            let full = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
            routes.get(full).or_else(|| routes.get(uri.path())).cloned()
        })
        .await
    }

    /// Bodies computed by `answer` from the request's URI; `None` is a `404`.
    pub async fn answer(answer: impl Fn(&Uri) -> Option<Value> + Send + Sync + 'static) -> Self {
        let answer = Arc::new(answer);
        let asked = Arc::new(Mutex::new(Vec::new()));
        let seen = asked.clone();
        let app = Router::new().fallback(move |uri: Uri| {
            let answer = answer.clone();
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(uri.clone());
                match answer(&uri) {
                    Some(body) => Json(body).into_response(),
                    None => Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(axum::body::Body::from("{}"))
                        .unwrap(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base: format!("http://{addr}"),
            asked,
        }
    }

    /// The server's URL for `path`.
    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("{}{path}", self.base)).unwrap()
    }

    /// The paths asked for, in order.
    pub fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(|u| u.path().to_owned())
            .collect()
    }

    /// The requests made, path and query, in order.
    pub fn requests(&self) -> Vec<Uri> {
        self.asked.lock().unwrap().clone()
    }
}

pub fn http() -> HttpClient {
    HttpClient::new(
        Auth::Basic {
            email: "bot@acme.example".into(),
            token: SecretString::from("token".to_owned()),
        },
        Duration::from_secs(5),
        RetryPolicy {
            max_attempts: 2,
            base: Duration::from_millis(5),
            cap: Duration::from_millis(10),
        },
    )
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn september() -> Window {
    Window {
        from: at("2026-09-01T00:00:00Z"),
        to: at("2026-10-01T00:00:00Z"),
    }
}

/// Keeps records and rejects apart.
#[derive(Default)]
pub struct Collect {
    pub records: Vec<SourceRecord>,
    pub rejects: Vec<(Value, String)>,
}

#[async_trait]
impl RecordSink for Collect {
    async fn accept(&mut self, records: Vec<SourceRecord>) -> Result<(), SinkError> {
        self.records.extend(records);
        Ok(())
    }

    async fn reject(&mut self, raw: Value, reason: String) -> Result<(), SinkError> {
        self.rejects.push((raw, reason));
        Ok(())
    }
}

/// Fetches `window`, failing the test with the connector's error if the run fails.
pub async fn fetch_window(connector: &dyn Connector, window: Window) -> (FetchStats, Collect) {
    let mut sink = Collect::default();
    let stats = connector
        .fetch(window, &mut sink)
        .await
        .unwrap_or_else(|e| panic!("the run failed: {e}"));
    (stats, sink)
}

/// Fetches September 2026.
pub async fn fetch(connector: &dyn Connector) -> (FetchStats, Collect) {
    fetch_window(connector, september()).await
}

/// A Bitbucket-style page of `values`.
pub fn page(values: Value) -> Value {
    json!({ "pagelen": 100, "values": values })
}
