//! Confluence Cloud (site URL + `/wiki`, Basic e-mail + API token): the audit log (REST v1, epoch
//! millisecond bounds, `start`/`limit` paging) and page and blog-post versions (REST v2, cursor
//! paging through `_links.next`).
//!
//! v2 has no "modified since" filter, so content is listed newest-modified first and the listing
//! stops at the first item last modified before the window; each item modified inside it has its
//! versions listed, and the versions inside the window become records. An item or version whose
//! time is unreadable or implausible ([`Window::plausible`]) ends neither listing: the item has its
//! versions listed, the version is handed on. An item without an id cannot have its versions
//! listed; it is handed to the sink as a reject, not skipped.

use crate::http::{address, endpoint, resource, Flow, HttpClient, Listing, Pager};
use crate::time::parse_time;
use crate::{
    id_text, Connector, ConnectorError, Feed, FetchStats, RecordKind, RecordSink, SourceRecord,
    Window,
};
use domain::{Pipeline, Product};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};

const AUDIT_PAGE: usize = 1000;

#[derive(Debug, Deserialize)]
struct AuditPage {
    #[serde(default)]
    results: Vec<Value>,
}

/// `size` and `totalSize` are not read: a short page is the last.
impl Listing for AuditPage {
    fn len(&self) -> usize {
        self.results.len()
    }
}

/// v2 list envelope: `{results, _links: {next?}}`.
#[derive(Debug, Deserialize)]
struct CursorPage {
    #[serde(default)]
    results: Vec<Value>,
    #[serde(default, rename = "_links")]
    links: Option<NextLink>,
}

#[derive(Debug, Deserialize)]
struct NextLink {
    #[serde(default)]
    next: Option<String>,
}

impl Listing for CursorPage {
    fn len(&self) -> usize {
        self.results.len()
    }

    /// `_links.next`, relative to the site.
    fn next(&self) -> Option<String> {
        self.links.as_ref()?.next.clone()
    }
}

/// How the v2 lists page: through `_links.next`, and no further than an empty page.
fn v2_pager(site: &Url) -> Pager {
    Pager::links(site).ending_on_an_empty_page()
}

/// Confluence's audit log.
#[derive(Debug)]
pub struct ConfluenceAudit {
    http: HttpClient,
    site: Url,
}

impl ConfluenceAudit {
    /// The audit log of the site at `site` (`https://acme.atlassian.net`).
    pub fn new(http: HttpClient, site: Url) -> Self {
        Self { http, site }
    }
}

#[async_trait::async_trait]
impl Connector for ConfluenceAudit {
    fn product(&self) -> Product {
        Product::Confluence
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Audit
    }

    #[tracing::instrument(
        skip_all,
        fields(connector = "confluence.audit", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        // `endDate` is inclusive; one millisecond less keeps the window half-open.
        let query = [
            ("startDate", window.from.timestamp_millis().to_string()),
            ("endDate", (window.to.timestamp_millis() - 1).to_string()),
        ];
        let first = endpoint(&self.site, "/wiki/rest/api/audit", &query)?;
        let mut feed = Feed::new(sink);
        Pager::offset("start", "limit", AUDIT_PAGE)
            .walk(
                &self.http,
                first,
                &mut feed,
                |feed, page: AuditPage| async move {
                    let batch = page.results.into_iter().map(|raw| SourceRecord {
                        kind: RecordKind::ConfluenceAudit,
                        raw,
                        context: Value::Null,
                    });
                    feed.accept(batch.collect()).await?;
                    Ok(Flow::More(feed))
                },
            )
            .await?;
        Ok(FetchStats {
            records: feed.records(),
            ..self.http.take_stats()
        })
    }
}

/// Versions of pages and blog posts.
#[derive(Debug)]
pub struct ConfluenceContent {
    http: HttpClient,
    site: Url,
}

impl ConfluenceContent {
    /// Content of the site at `site`.
    pub fn new(http: HttpClient, site: Url) -> Self {
        Self { http, site }
    }

    async fn versions(
        &self,
        kind: &str,
        id: &str,
        item: &Value,
        window: Window,
    ) -> Result<Vec<SourceRecord>, ConnectorError> {
        let context = json!({ "contentType": kind.trim_end_matches('s'), "id": id, "title": item["title"], "spaceId": item["spaceId"] });
        let query = [
            ("sort", "-modified-date".to_owned()),
            ("limit", "250".to_owned()),
        ];
        let first = resource(
            &self.site,
            &["wiki", "api", "v2", kind, id, "versions"],
            &query,
        )?;
        let mut out = Vec::new();
        v2_pager(&self.site)
            .walk(&self.http, first, &mut out, |out, page: CursorPage| {
                let mut older_seen = false;
                for version in page.results {
                    match window.plausible(version["createdAt"].as_str().and_then(parse_time)) {
                        Some(t) if t < window.from => older_seen = true,
                        Some(t) if !window.contains(t) => {}
                        // Unreadable and implausible times go on, for the pipeline to quarantine
                        // with the reason.
                        _ => out.push(SourceRecord {
                            kind: RecordKind::ConfluenceVersion,
                            raw: version,
                            context: context.clone(),
                        }),
                    }
                }
                // Newest first: after a page that reached an older version, all are older.
                std::future::ready(Ok(Flow::stop_if(older_seen, out)))
            })
            .await?;
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Connector for ConfluenceContent {
    fn product(&self) -> Product {
        Product::Confluence
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Activity
    }

    #[tracing::instrument(
        skip_all,
        fields(connector = "confluence.content", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let mut feed = Feed::new(sink);
        for kind in ["pages", "blogposts"] {
            let query = [
                ("sort", "-modified-date".to_owned()),
                ("limit", "250".to_owned()),
            ];
            let first = resource(&self.site, &["wiki", "api", "v2", kind], &query)?;
            v2_pager(&self.site)
                .walk(
                    &self.http,
                    first,
                    &mut feed,
                    |feed, page: CursorPage| async move {
                        let mut batch = Vec::new();
                        let mut reached_older = false;
                        for item in page.results {
                            let modified = window.plausible(
                                item["version"]["createdAt"].as_str().and_then(parse_time),
                            );
                            if modified.is_some_and(|t| t < window.from) {
                                reached_older = true;
                                break;
                            }
                            let noun = kind.trim_end_matches('s');
                            let id = match address(id_text(&item["id"]), noun, || {
                                format!("{noun} without id: its versions cannot be listed")
                            }) {
                                Ok(id) => id,
                                Err(reason) => {
                                    feed.reject(item, reason).await?;
                                    continue;
                                }
                            };
                            batch.extend(self.versions(kind, &id, &item, window).await?);
                        }
                        feed.accept(batch).await?;
                        // Newest-modified first: after the first older item, all are older.
                        Ok(Flow::stop_if(reached_older, feed))
                    },
                )
                .await?;
        }
        Ok(FetchStats {
            records: feed.records(),
            ..self.http.take_stats()
        })
    }
}
