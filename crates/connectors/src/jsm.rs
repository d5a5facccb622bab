//! Jira Service Management (site URL, Basic e-mail + API token): customer requests, for their
//! creation and their resolution. The request list has no time filter and is ordered by latest
//! activity, newest first, so a run stops at the first request whose latest activity is older
//! than the window. A request whose times are unreadable or implausible ([`Window::plausible`])
//! says nothing about where the listing is: it is handed on and the listing goes on.

use crate::http::{endpoint, Flow, HttpClient, Listing, Pager};
use crate::time::parse_time;
use crate::{
    Connector, ConnectorError, Feed, FetchStats, RecordKind, RecordSink, SourceRecord, Window,
};
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

impl Listing for Page {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn is_last(&self) -> Option<bool> {
        self.is_last_page
    }
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

    #[tracing::instrument(
        skip_all,
        fields(connector = "jsm.requests", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let query = [
            ("requestOwnership", "ALL_ORGANIZATIONS".to_owned()),
            ("requestStatus", "ALL_REQUESTS".to_owned()),
            ("expand", "status".to_owned()),
        ];
        let first = endpoint(&self.site, "/rest/servicedeskapi/request", &query)?;
        let mut feed = Feed::new(sink);
        Pager::offset("start", "limit", PAGE)
            .walk(
                &self.http,
                first,
                &mut feed,
                |feed, page: Page| async move {
                    let mut batch = Vec::new();
                    let mut reached_older = false;
                    for request in page.values {
                        let created = window.plausible(date_dto(&request["createdDate"]));
                        let status_at =
                            window.plausible(date_dto(&request["currentStatus"]["statusDate"]));
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
                        let done =
                            request["currentStatus"]["statusCategory"].as_str() == Some("DONE");
                        if done && status_at.is_none_or(|t| window.contains(t)) {
                            batch.push(SourceRecord {
                                kind: RecordKind::JsmRequestResolved,
                                raw: request,
                                context: Value::Null,
                            });
                        }
                    }
                    feed.accept(batch).await?;
                    // Latest activity first: after the first older request, all are older.
                    Ok(Flow::stop_if(reached_older, feed))
                },
            )
            .await?;
        Ok(FetchStats {
            records: feed.records(),
            ..self.http.take_stats()
        })
    }
}
