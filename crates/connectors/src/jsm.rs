//! Jira Service Management (site URL, Basic e-mail + API token): customer requests, for their
//! creation and their resolution. The request list has no time filter and is ordered by latest
//! activity, newest first, so a run stops at the first request whose latest activity is older
//! than the window. A request whose times are unreadable or implausible ([`Window::plausible`])
//! says nothing about where the listing is: it is handed on and the listing goes on.

use crate::http::{endpoint, HttpClient};
use crate::time::parse_time;
use crate::{Connector, ConnectorError, FetchStats, RecordKind, RecordSink, SourceRecord, Window};
use chrono::{DateTime, TimeZone, Utc};
use domain::{Pipeline, Product};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

const PAGE: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    values: Vec<Value>,
    #[serde(default)]
    is_last_page: Option<bool>,
}

/// A JSM `DateDTO` (`{iso8601, epochMillis, …}`) as a UTC time.
pub fn date_dto(v: &Value) -> Option<DateTime<Utc>> {
    v["epochMillis"]
        .as_i64()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .or_else(|| v["iso8601"].as_str().and_then(parse_time))
}

/// Customer requests of one site.
#[derive(Debug)]
pub struct JsmRequests {
    http: HttpClient,
    site: Url,
}

impl JsmRequests {
    /// Requests of the site at `site`.
    pub fn new(http: HttpClient, site: Url) -> Self {
        Self { http, site }
    }
}

#[async_trait::async_trait]
impl Connector for JsmRequests {
    fn product(&self) -> Product {
        Product::Jsm
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Activity
    }

    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let mut start = 0usize;
        let mut records = 0;
        loop {
            let query = [
                ("requestOwnership", "ALL_ORGANIZATIONS".to_owned()),
                ("requestStatus", "ALL_REQUESTS".to_owned()),
                ("expand", "status".to_owned()),
                ("start", start.to_string()),
                ("limit", PAGE.to_string()),
            ];
            let page: Page = self
                .http
                .get_json(endpoint(
                    &self.site,
                    "/rest/servicedeskapi/request",
                    &query,
                )?)
                .await?
                .body;
            let n = page.values.len();
            start += n;
            let mut batch = Vec::new();
            let mut reached_older = false;
            for request in page.values {
                let created = window.plausible(date_dto(&request["createdDate"]));
                let status_at = window.plausible(date_dto(&request["currentStatus"]["statusDate"]));
                let latest = created.max(status_at);
                if latest.is_some_and(|t| t < window.from) {
                    reached_older = true;
                    break;
                }
                if created.is_none_or(|t| window.contains(t)) {
                    batch.push(SourceRecord {
                        kind: RecordKind::JsmRequestCreated,
                        raw: request.clone(),
                        context: Value::Null,
                    });
                }
                let done = request["currentStatus"]["statusCategory"].as_str() == Some("DONE");
                if done && status_at.is_none_or(|t| window.contains(t)) {
                    batch.push(SourceRecord {
                        kind: RecordKind::JsmRequestResolved,
                        raw: request,
                        context: Value::Null,
                    });
                }
            }
            records += batch.len() as u64;
            sink.accept(batch).await.map_err(ConnectorError::Sink)?;
            if reached_older || n == 0 || page.is_last_page.unwrap_or(n < PAGE) {
                break;
            }
        }
        Ok(FetchStats {
            records,
            ..self.http.take_stats()
        })
    }
}
