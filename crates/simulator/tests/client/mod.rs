//! A client for the running simulator that sends what a client written for the real APIs
//! sends — any method, query, JSON or form body — with the right credentials for each API.
#![allow(dead_code)]

use crate::common::{small_config, start};
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::Value;
use simulator::RunningSimulator;

/// A bounded JQL query every search may carry.
pub const BOUNDED: &str = "updated >= \"2000-01-01 00:00\"";

/// A request body.
pub enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
}

/// The simulator under test and an HTTP client for it.
pub struct Client {
    pub http: reqwest::Client,
    pub sim: RunningSimulator,
}

/// A response reduced to what the checks read.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Client {
    /// A client of a freshly started small simulator.
    pub async fn new() -> Self {
        Self {
            http: reqwest::Client::new(),
            sim: start(small_config(31)).await,
        }
    }

    /// Sends a request; the body is JSON when it parses as JSON, else the text.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Body>,
    ) -> Answer {
        let cfg = self.sim.config();
        let url = format!("{}{path}", self.sim.base_url());
        let mut r = self.http.request(method, &url).query(query);
        r = if path.starts_with("/admin") {
            r.bearer_auth(&cfg.org_api_key)
        } else if path.starts_with("/bitbucket") {
            r.basic_auth(&cfg.bitbucket.email, Some(&cfg.bitbucket.api_token))
        } else {
            r.basic_auth(&cfg.sites[0].email, Some(&cfg.sites[0].api_token))
        };
        r = match body {
            None => r,
            Some(Body::Json(v)) => r.json(v),
            Some(Body::Form(pairs)) => r
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(pairs).unwrap()),
        };
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// A `GET` that must answer `200`; its JSON body.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let a = self.send(Method::GET, path, &q, None).await;
        assert_eq!(a.status, 200, "GET {path}: {}", a.body);
        a.body
    }
}
