//! The Atlassian organization (Admin API, bearer organization API key): the audit log through the
//! `events-stream` polling endpoint, and the organization's users for identity resolution.
//!
//! `events-stream` is paged by an opaque cursor (`meta.next`, or the `cursor` parameter of
//! `links.next`). A cursor can come back with an empty last page, because the stream is meant to be
//! re-polled; a run stops at the first empty page, and a cursor that does not change is treated as a
//! broken response rather than looped on forever.

use crate::http::{display_url, resource, HttpClient};
use crate::{Connector, ConnectorError, FetchStats, RecordKind, RecordSink, SourceRecord, Window};
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
        let mut cursor: Option<String> = None;
        let mut records = 0;
        loop {
            let mut query = bounds.to_vec();
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let page: Page = self
                .http
                .get_json(resource(&self.base, &path, &query)?)
                .await?
                .body;
            if page.data.is_empty() {
                break;
            }
            let next = page.next_cursor();
            records += page.data.len() as u64;
            let batch = page
                .data
                .into_iter()
                .map(|raw| SourceRecord {
                    kind: RecordKind::OrgEvent,
                    raw,
                    context: serde_json::Value::Null,
                })
                .collect();
            sink.accept(batch).await.map_err(ConnectorError::Sink)?;
            match next {
                None => break,
                Some(n) if Some(&n) == cursor.as_ref() => {
                    return Err(ConnectorError::Decode {
                        url: display_url(&resource(&self.base, &path, &[])?),
                        detail: "the next cursor equals the current one; refusing to loop".into(),
                    })
                }
                Some(n) => cursor = Some(n),
            }
        }
        Ok(FetchStats {
            records,
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
        let mut users = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query: Vec<(&str, String)> = cursor.iter().map(|c| ("cursor", c.clone())).collect();
            let page: Page = self
                .http
                .get_json(resource(&self.base, &path, &query)?)
                .await?
                .body;
            let done = page.data.is_empty();
            let next = page.next_cursor();
            users.extend(page.data);
            match next {
                Some(n) if !done && Some(&n) != cursor.as_ref() => cursor = Some(n),
                _ => break,
            }
        }
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
