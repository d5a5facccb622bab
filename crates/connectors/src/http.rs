//! The HTTP plumbing every connector shares: one `reqwest` client per deployment with its
//! credentials and timeouts, GET-only requests, classification of failures, and the retry loop —
//! `429` waits for `Retry-After` (or `X-RateLimit-Reset`), other transient failures back off
//! exponentially with full jitter, both capped. Every request, retry and wait is counted.
//!
//! URLs are built here too: [`endpoint`] for fixed paths, [`resource`] for any path holding an id,
//! a key or a configured name, each percent-encoded as exactly one segment — an id is data from
//! the network, and a `/`, `?` or `#` in it must not change the resource asked for.
//!
//! So is the walk through a paged listing (`Pager`, in `http/pagination.rs`): offset, link and cursor
//! paging, each with its rules for when a listing ends, written once for every connector.

mod pagination;
mod retry;

pub(crate) use pagination::{Flow, Listing, Pager};
pub use retry::RetryPolicy;

use crate::{ConnectorError, FetchStats};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Mutex;
use std::time::Duration;

/// How a deployment authenticates.
#[derive(Clone)]
pub enum Auth {
    /// `Basic base64(email:token)`: Jira, Confluence, JSM and Bitbucket API tokens.
    Basic {
        /// The Atlassian account e-mail.
        email: String,
        /// The API token.
        token: SecretString,
    },
    /// `Bearer <key>`: the organization API key.
    Bearer(SecretString),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { email, .. } => write!(f, "Basic({email}, token hidden)"),
            Auth::Bearer(_) => f.write_str("Bearer(hidden)"),
        }
    }
}

/// A GET-only JSON client for one deployment.
#[derive(Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
    auth: Auth,
    policy: RetryPolicy,
    stats: Mutex<FetchStats>,
}

/// A response body and the headers that matter for paging.
#[derive(Debug)]
pub struct JsonResponse<T> {
    /// The decoded body.
    pub body: T,
    /// Response headers (for `Link`).
    pub headers: HeaderMap,
}

impl HttpClient {
    /// A client with `auth`, a per-request `timeout` and a retry policy.
    ///
    /// # Panics
    /// If the TLS backend cannot initialise (a broken build, not a runtime condition).
    pub fn new(auth: Auth, timeout: Duration, policy: RetryPolicy) -> Self {
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("AtlasLens/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        Self {
            inner,
            auth,
            policy,
            stats: Mutex::new(FetchStats::default()),
        }
    }

    /// Counters since the last [`HttpClient::take_stats`].
    pub fn take_stats(&self) -> FetchStats {
        std::mem::take(&mut *self.stats.lock().expect("stats lock"))
    }

    fn count(&self, f: impl FnOnce(&mut FetchStats)) {
        f(&mut self.stats.lock().expect("stats lock"));
    }

    /// GETs `url` and decodes the JSON body, retrying as the policy allows. Counts one page.
    ///
    /// # Errors
    /// A classified [`ConnectorError`].
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
    ) -> Result<JsonResponse<T>, ConnectorError> {
        let shown = display_url(&url);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.count(|s| s.requests += 1);
            let wait = match self.send(&url).await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        let headers = response.headers().clone();
                        let bytes = match response.bytes().await {
                            Ok(b) => b,
                            Err(e) => {
                                // The body broke off mid-way: as transient as a failed connect.
                                match self.backoff_or_fail(attempt, &shown, e.to_string()) {
                                    Ok(wait) => {
                                        self.pause(wait).await;
                                        continue;
                                    }
                                    Err(e) => return Err(e),
                                }
                            }
                        };
                        let body =
                            serde_json::from_slice(&bytes).map_err(|e| ConnectorError::Decode {
                                url: shown.clone(),
                                detail: e.to_string(),
                            })?;
                        self.count(|s| s.pages += 1);
                        return Ok(JsonResponse { body, headers });
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.count(|s| s.rate_limited += 1);
                        if attempt >= self.policy.max_attempts {
                            return Err(ConnectorError::RateLimited {
                                url: shown,
                                attempts: attempt,
                            });
                        }
                        let hinted = retry_after(response.headers());
                        tracing::info!(http.url = %shown, retry_after_ms = hinted.map(|d| d.as_millis() as u64), "rate-limited; waiting before retrying");
                        self.policy.wait_after_rate_limit(attempt, hinted)
                    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                        let hinted = retry_after(response.headers());
                        match self.backoff_or_fail(attempt, &shown, format!("HTTP {status}")) {
                            Ok(wait) => hinted.map_or(wait, |h| self.policy.clamp(h).max(wait)),
                            Err(e) => return Err(e),
                        }
                    } else {
                        let detail = error_detail(response).await;
                        return Err(classify(status, shown, detail));
                    }
                }
                Err(e) => {
                    let detail = if e.is_timeout() {
                        "timed out".to_owned()
                    } else {
                        without_url(&e)
                    };
                    self.backoff_or_fail(attempt, &shown, detail)?
                }
            };
            self.pause(wait).await;
        }
    }

    async fn send(&self, url: &Url) -> reqwest::Result<reqwest::Response> {
        let request = self
            .inner
            .get(url.clone())
            .header(ACCEPT, "application/json");
        let request = match &self.auth {
            Auth::Basic { email, token } => request.basic_auth(email, Some(token.expose_secret())),
            Auth::Bearer(key) => {
                request.header(AUTHORIZATION, format!("Bearer {}", key.expose_secret()))
            }
        };
        request.send().await
    }

    fn backoff_or_fail(
        &self,
        attempt: u32,
        url: &str,
        detail: String,
    ) -> Result<Duration, ConnectorError> {
        if attempt >= self.policy.max_attempts {
            return Err(ConnectorError::Transient {
                url: url.to_owned(),
                attempts: attempt,
                detail,
            });
        }
        tracing::info!(http.url = %url, http.attempt = attempt, error = %detail, "transient failure; backing off");
        Ok(self.policy.backoff(attempt))
    }

    async fn pause(&self, wait: Duration) {
        self.count(|s| s.waited += wait);
        tokio::time::sleep(wait).await;
    }
}

/// `Retry-After` in seconds or as an HTTP date, else `X-RateLimit-Reset` (ISO-8601).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let now = chrono::Utc::now();
    if let Some(value) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()) {
        if let Ok(secs) = value.trim().parse::<f64>() {
            return (secs.is_finite() && secs >= 0.0)
                .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(value) {
            return Some(
                (at.with_timezone(&chrono::Utc) - now)
                    .to_std()
                    .unwrap_or_default(),
            );
        }
    }
    let reset = headers
        .get("x-ratelimit-reset")
        .and_then(|v| v.to_str().ok())?;
    let at = crate::time::parse_time(reset).or_else(|| {
        chrono::DateTime::parse_from_str(&format!("{reset}:00Z"), "%Y-%m-%dT%H:%M:%S%#z")
            .ok()
            .map(|t| t.to_utc())
    })?;
    Some((at - now).to_std().unwrap_or_default())
}

fn classify(status: StatusCode, url: String, detail: String) -> ConnectorError {
    match status {
        StatusCode::UNAUTHORIZED => ConnectorError::Unauthorized { url },
        StatusCode::FORBIDDEN => ConnectorError::Forbidden { url, detail },
        StatusCode::NOT_FOUND => ConnectorError::NotFound { url },
        _ => ConnectorError::Rejected {
            status: status.as_u16(),
            url,
            detail,
        },
    }
}

/// The product's error message, shortened; bodies can be large and are never logged whole.
async fn error_detail(response: reqwest::Response) -> String {
    let text = response.text().await.unwrap_or_default();
    let mut detail: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        detail.push('…');
    }
    detail
}

/// The URL without its query (which may carry cursors, never secrets, but is noise in logs).
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

fn without_url(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = String::from("connection failed");
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}

/// `base` + the literal `path` (+ query pairs), keeping any path the base already has
/// (`https://host/admin` + `/v1/orgs` → `https://host/admin/v1/orgs`). `path` is `'static` so that
/// no id can be formatted into it: a path holding an id is built with [`resource`].
///
/// # Errors
/// [`ConnectorError::Decode`] when the result is not a URL (a misconfigured base).
pub fn endpoint(
    base: &Url,
    path: &'static str,
    query: &[(&str, String)],
) -> Result<Url, ConnectorError> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    resource(base, &segments, query)
}

/// What a path segment may hold unencoded: RFC 3986's unreserved characters. Everything else —
/// `/`, `?`, `#` and `%` above all, but also `;` (which Tomcat, behind Jira and Confluence, reads
/// as a path parameter and drops) — is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why `id` cannot travel as one segment of a URL path, if it cannot. Every other string can:
/// [`resource`] percent-encodes it. `.` and `..` cannot, encoded or not: URL parsers (ours,
/// `reqwest`'s and the server's) resolve them away (`/issue/../changelog` is `/issue/changelog`,
/// and `%2E%2E` is read as `..`), so the request would silently name another resource. An empty
/// id would make an empty segment, another resource again.
pub fn unaddressable(id: &str) -> Option<&'static str> {
    match id {
        "" => Some("an empty id cannot be a URL path segment"),
        "." | ".." => Some("`.` and `..` cannot be URL path segments: URLs resolve them away"),
        _ => None,
    }
}

/// The id of a listing entry, ready to be one URL path segment, or why the entry cannot be read:
/// `missing()` when it has no id, else what [`unaddressable`] says, naming the entry as `noun`.
/// Connectors hand the reason to [`crate::RecordSink::reject`].
pub fn address(
    id: Option<String>,
    noun: &str,
    missing: impl FnOnce() -> String,
) -> Result<String, String> {
    let id = id.ok_or_else(missing)?;
    match unaddressable(&id) {
        Some(why) => Err(format!("{noun} {id:?} cannot be addressed: {why}")),
        None => Ok(id),
    }
}

/// `base` + one path segment per item of `segments` (+ query pairs), keeping any path the base
/// already has. Each segment is percent-encoded, so a `/`, `?`, `#` or `%` inside an id stays
/// inside its segment and the URL names the resource the id names. Every URL whose path holds an
/// id, a key or a configured name is built here.
///
/// # Errors
/// [`ConnectorError::Decode`] when the base cannot hold a path, or when a segment is
/// [`unaddressable`] (connectors check listing entries first and hand those to the sink as
/// rejects, so this is a misconfiguration).
pub fn resource(
    base: &Url,
    segments: &[&str],
    query: &[(&str, String)],
) -> Result<Url, ConnectorError> {
    let bad = |detail: String| ConnectorError::Decode {
        url: display_url(base),
        detail,
    };
    if base.cannot_be_a_base() {
        return Err(bad("the base URL cannot hold a path".into()));
    }
    let mut path = base.path().trim_end_matches('/').to_owned();
    for segment in segments {
        if let Some(why) = unaddressable(segment) {
            return Err(bad(format!("{segment:?}: {why}")));
        }
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    let mut url = base.clone();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

/// Resolves a `next` link the API returned: absolute URLs are followed as they are; relative ones
/// are resolved against `base` (Confluence returns `/wiki/…` paths relative to the site).
///
/// # Errors
/// [`ConnectorError::Decode`] when the link is not a URL.
pub fn follow(base: &Url, link: &str) -> Result<Url, ConnectorError> {
    base.join(link).map_err(|e| ConnectorError::Decode {
        url: display_url(base),
        detail: format!("bad next link: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("nonsense"));
        assert_eq!(retry_after(&h), None);
        let mut h = HeaderMap::new();
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
        h.insert("x-ratelimit-reset", HeaderValue::from_str(&soon).unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }

    #[test]
    fn each_id_is_one_encoded_segment_under_the_base_path() {
        let base = Url::parse("https://acme.atlassian.net/wiki/").unwrap();
        let url = resource(
            &base,
            &["api", "v2", "pages", "7/8?x#y%z;w", "versions"],
            &[("limit", "250".to_owned())],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://acme.atlassian.net/wiki/api/v2/pages/7%2F8%3Fx%23y%25z%3Bw/versions?limit=250"
        );
        assert_eq!(
            endpoint(&base, "/rest/api/3/search/jql", &[])
                .unwrap()
                .as_str(),
            "https://acme.atlassian.net/wiki/rest/api/3/search/jql"
        );
        let uuid = resource(&base, &["{0f9e}", "%2E%2E", "a b"], &[]).unwrap();
        assert_eq!(uuid.path(), "/wiki/%7B0f9e%7D/%252E%252E/a%20b");
    }

    #[test]
    fn dot_segments_and_empty_ids_are_refused_not_resolved_away() {
        let base = Url::parse("https://api.bitbucket.org/2.0").unwrap();
        for id in ["", ".", ".."] {
            assert!(unaddressable(id).is_some(), "{id:?}");
            assert!(
                matches!(
                    resource(&base, &["repositories", id, "commits"], &[]),
                    Err(ConnectorError::Decode { .. })
                ),
                "{id:?}"
            );
        }
        assert_eq!(unaddressable("..."), None);
        assert_eq!(unaddressable(".x"), None);
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let auth = Auth::Basic {
            email: "a@b".into(),
            token: SecretString::from("tok-123".to_owned()),
        };
        assert!(!format!("{auth:?}").contains("tok-123"));
        let auth = Auth::Bearer(SecretString::from("key-456".to_owned()));
        assert!(!format!("{auth:?}").contains("key-456"));
    }
}
