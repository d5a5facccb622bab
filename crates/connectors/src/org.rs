//! The Atlassian organization (Admin API, bearer organization API key): the audit log through the
//! `events-stream` polling endpoint, and the organization's users for identity resolution.
//!
//! `events-stream` is paged by an opaque cursor (`meta.next`, or the `cursor` parameter of
//! `links.next`). A cursor can come back with an empty last page, because the stream is meant to be
//! re-polled; a run stops at the first empty page, and a cursor that does not change is treated as a
//! broken response rather than looped on forever.

use crate::http::{resource, Flow, HttpClient, Listing, Pager};
use crate::{
    Connector, ConnectorError, Feed, FetchStats, RecordKind, RecordSink, SourceRecord, Window,
};
use domain::{Pipeline, Product};
use reqwest::Url;
use serde::Deserialize;

/// `{data, meta: {next}, links: {next}}`, the envelope of the admin list endpoints.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<serde_json::Value>,
    #[serde(default)]
    meta: Option<Meta>,
    #[serde(default)]
    links: Option<Links>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

impl Listing for Page {
    fn len(&self) -> usize {
        self.data.len()
    }

    fn next(&self) -> Option<String> {
        self.next_cursor()
    }
}

impl Page {
    /// The next cursor: `meta.next`, else the `cursor` parameter of `links.next` (which some
    /// responses give as a URL and some as a bare cursor).
    fn next_cursor(&self) -> Option<String> {
        if let Some(next) = self
            .meta
            .as_ref()
            .and_then(|m| m.next.clone())
            .filter(|n| !n.is_empty())
        {
            return Some(next);
        }
        let link = self
            .links
            .as_ref()?
            .next
            .clone()
            .filter(|n| !n.is_empty())?;
        match Url::parse(&link) {
            Ok(url) => url
                .query_pairs()
                .find(|(k, _)| k == "cursor")
                .map(|(_, v)| v.into_owned()),
            Err(_) => Some(link),
        }
    }
}

/// The organization's audit log.
#[derive(Debug)]
pub struct OrgEvents {
    http: HttpClient,
    base: Url,
    org_id: String,
}

impl OrgEvents {
    /// Events of organization `org_id` at `base` (`https://api.atlassian.com/admin`).
    pub fn new(http: HttpClient, base: Url, org_id: String) -> Self {
        Self { http, base, org_id }
    }
}

#[async_trait::async_trait]
impl Connector for OrgEvents {
    fn product(&self) -> Product {
        Product::Org
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Audit
    }

    #[tracing::instrument(
        skip_all,
        fields(connector = "org.events", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let path = ["v1", "orgs", &self.org_id, "events-stream"];
        let bounds = [
            ("from", window.from.timestamp_millis().to_string()),
            ("to", window.to.timestamp_millis().to_string()),
            ("limit", "500".to_owned()),
        ];
        let first = resource(&self.base, &path, &bounds)?;
        let mut feed = Feed::new(sink);
        Pager::cursor("cursor")
            .refusing_a_repeated_cursor()
            .walk(
                &self.http,
                first,
                &mut feed,
                |feed, page: Page| async move {
                    let batch = page
                        .data
                        .into_iter()
                        .map(|raw| SourceRecord {
                            kind: RecordKind::OrgEvent,
                            raw,
                            context: serde_json::Value::Null,
                        })
                        .collect();
                    feed.accept(batch).await?;
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

/// The organization's managed accounts (`/v1/orgs/{orgId}/users`): account ids, names and
/// e-mails, for resolving accounts to people.
#[derive(Debug)]
pub struct OrgUsers {
    http: HttpClient,
    base: Url,
    org_id: String,
}

impl OrgUsers {
    /// Users of organization `org_id` at `base`.
    pub fn new(http: HttpClient, base: Url, org_id: String) -> Self {
        Self { http, base, org_id }
    }

    /// Every user, page by page.
    ///
    /// # Errors
    /// A classified [`ConnectorError`].
    pub async fn all(&self) -> Result<Vec<serde_json::Value>, ConnectorError> {
        let path = ["v1", "orgs", &self.org_id, "users"];
        let first = resource(&self.base, &path, &[])?;
        let mut users = Vec::new();
        // A cursor served twice ends this listing rather than failing it.
        Pager::cursor("cursor")
            .walk(&self.http, first, &mut users, |users, page: Page| {
                users.extend(page.data);
                std::future::ready(Ok(Flow::More(users)))
            })
            .await?;
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_comes_from_meta_or_from_the_next_link() {
        let page: Page =
            serde_json::from_value(serde_json::json!({ "data": [], "meta": { "next": "abc" } }))
                .unwrap();
        assert_eq!(page.next_cursor().as_deref(), Some("abc"));
        let page: Page = serde_json::from_value(serde_json::json!({
            "data": [], "links": { "next": "https://api.atlassian.com/admin/v1/orgs/o/events-stream?cursor=x%3Dy&limit=2" }
        }))
        .unwrap();
        assert_eq!(page.next_cursor().as_deref(), Some("x=y"));
        let page: Page =
            serde_json::from_value(serde_json::json!({ "data": [], "links": { "next": "bare" } }))
                .unwrap();
        assert_eq!(page.next_cursor().as_deref(), Some("bare"));
        let page: Page =
            serde_json::from_value(serde_json::json!({ "data": [], "meta": { "next": null } }))
                .unwrap();
        assert_eq!(page.next_cursor(), None);
    }
}
