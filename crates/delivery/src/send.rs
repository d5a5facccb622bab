//! One attempt to deliver one notification to one destination, and the classification of what
//! came back into an [`Outcome`].
//!
//! The HTTP client ([`http_client`], [`http_client_with`]) is built for talking to servers we
//! do not control:
//!
//! - **No redirects.** A 3xx is a failure, as Standard Webhooks says; following it would also let
//!   a public URL bounce the request, with its signature or token, to an internal address.
//! - **A 15 s timeout** for the whole exchange, body included (the spec suggests 15–30 s).
//! - **The SSRF guard at connection time**: under the production policy the client's resolver
//!   refuses names that resolve to non-public addresses, so a destination validated on Monday
//!   cannot be rebound to `10.0.0.5` on Tuesday. System proxies are ignored for the same reason
//!   (a proxy would resolve the name where we cannot check it).
//! - **User agent** `AtlasLens/<version>`.
//!
//! At most [`MAX_RESPONSE_BYTES`] of any answer are read, chunk by chunk; the rest is never
//! received into memory and the connection is dropped, so a destination answering with 10 MB
//! (or forever) costs 64 KiB.
//!
//! Success is 2xx only, and per kind: Slack must answer `ok`, Jira must answer with the issue it
//! created (its key becomes the outcome's `remote_ref`). Reasons name the host, never the URL,
//! whose path may be a credential.

use crate::destination::Destination;
use crate::guard::{self, GuardError, UrlPolicy};
use crate::notification::Notification;
use crate::outcome::{self, excerpt, parse_retry_after, Outcome};
use crate::{jira, slack, syslog, webhook};
use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use secrecy::ExposeSecret;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most of a response body ever read.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The default time allowed for one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// The user agent of every request.
pub const USER_AGENT: &str = concat!("AtlasLens/", env!("CARGO_PKG_VERSION"));

/// How deliveries connect: the time allowed per attempt and which addresses may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// The time allowed for one attempt, answer included.
    pub timeout: Duration,
    /// Which addresses may be connected to.
    pub policy: UrlPolicy,
}

impl Default for ClientOptions {
    /// 15 s, public addresses only.
    fn default() -> Self {
        ClientOptions {
            timeout: DEFAULT_TIMEOUT,
            policy: UrlPolicy::production(),
        }
    }
}

/// The production client: 15 s timeout, no redirects, public addresses only.
///
/// # Panics
/// If the TLS backend cannot initialise (a broken build, not a runtime condition).
pub fn http_client() -> reqwest::Client {
    http_client_with(ClientOptions::default())
}

/// A client with `options` (tests shorten the timeout; the demo allows private addresses).
///
/// # Panics
/// If the TLS backend cannot initialise (a broken build, not a runtime condition).
pub fn http_client_with(options: ClientOptions) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .no_proxy();
    if !options.policy.allow_private {
        builder = builder.dns_resolver(Arc::new(GuardedResolver {
            policy: options.policy,
        }));
    }
    builder.build().expect("the HTTP client builds")
}

/// A resolver that refuses names resolving to any address the policy does not allow.
struct GuardedResolver {
    policy: UrlPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = guard::check_name(&host, 0, policy)
                .await
                .map_err(|e| Box::new(e) as Box<dyn StdError + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A client and the options it was built with, so that syslog (which does not go through the
/// HTTP client) connects under the same policy and timeout. What the lead keeps in its state.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    options: ClientOptions,
}

impl Sender {
    /// A sender whose client is [`http_client_with`]`(options)`.
    pub fn new(options: ClientOptions) -> Self {
        Sender {
            client: http_client_with(options),
            options,
        }
    }

    /// The HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// One attempt to deliver `n` to `dest` at `now`.
    pub async fn send(&self, dest: &Destination, n: &Notification, now: DateTime<Utc>) -> Outcome {
        deliver(&self.client, self.options, dest, n, None, now).await
    }

    /// One attempt to add `n` as a comment to the Jira issue `issue_key` (a destination keeping
    /// one issue per incident); the outcome's `remote_ref` is that issue. Only Jira has issues:
    /// any other destination fails.
    pub async fn comment(
        &self,
        dest: &Destination,
        issue_key: &str,
        n: &Notification,
        now: DateTime<Utc>,
    ) -> Outcome {
        if !matches!(dest, Destination::Jira { .. }) {
            return Outcome::Failed {
                status: None,
                reason: format!("a {} destination has no issues to comment on", dest.kind()),
            };
        }
        deliver(&self.client, self.options, dest, n, Some(issue_key), now).await
    }
}

/// One attempt to deliver `n` to `dest` at `now` (the webhook timestamp and the reference for an
/// HTTP-date `Retry-After`). HTTP destinations go through `client`; a syslog destination is
/// reached under the production policy with the default timeout — use [`Sender`] for others.
pub async fn send(
    client: &reqwest::Client,
    dest: &Destination,
    n: &Notification,
    now: DateTime<Utc>,
) -> Outcome {
    deliver(client, ClientOptions::default(), dest, n, None, now).await
}

#[tracing::instrument(
    name = "delivery.send",
    skip_all,
    fields(destination.kind = %dest.kind(), notification.id = %n.id)
)]
async fn deliver(
    client: &reqwest::Client,
    options: ClientOptions,
    dest: &Destination,
    n: &Notification,
    comment_on: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome {
    let started = Instant::now();
    let outcome = match dest {
        Destination::Syslog {
            host,
            port,
            tls,
            format,
        } => {
            let target = syslog::Target {
                host,
                port: *port,
                tls: *tls,
                format: *format,
            };
            syslog::deliver(target, n, options.policy, options.timeout).await
        }
        _ => deliver_http(client, dest, n, comment_on, now).await,
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    match &outcome {
        Outcome::Delivered { status, .. } => {
            tracing::info!(delivery.outcome = "delivered", http.status = ?status, duration_ms, "notification delivered")
        }
        Outcome::Retry { status, reason, .. } => {
            tracing::warn!(delivery.outcome = "retry", http.status = ?status, duration_ms, delivery.reason = %reason, "notification not delivered; will retry")
        }
        Outcome::Gone { status } => {
            tracing::warn!(
                delivery.outcome = "gone",
                http.status = status,
                duration_ms,
                "destination is gone"
            )
        }
        Outcome::Failed { status, reason } => {
            tracing::warn!(delivery.outcome = "failed", http.status = ?status, duration_ms, delivery.reason = %reason, "notification could not be delivered")
        }
    }
    outcome
}

/// One HTTP request: the kind's message, or for Jira with `comment_on` a comment on that issue.
async fn deliver_http(
    client: &reqwest::Client,
    dest: &Destination,
    n: &Notification,
    comment_on: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome {
    let request = match dest {
        Destination::Slack { webhook_url } => client
            .post(webhook_url.expose_secret())
            .json(&slack::payload(n)),
        Destination::Jira {
            base_url,
            project_key,
            issue_type,
            email,
            api_token,
            ..
        } => {
            let request = match comment_on {
                Some(key) => client
                    .post(jira::comment_url(base_url, key))
                    .json(&jira::comment_body(n)),
                None => client
                    .post(jira::issue_url(base_url))
                    .json(&jira::issue_body(n, project_key, issue_type)),
            };
            request
                .basic_auth(email, Some(api_token.expose_secret()))
                .header(ACCEPT, "application/json")
        }
        Destination::Webhook { url, secret } => {
            let key = match webhook::decode_secret(secret) {
                Ok(key) => key,
                Err(e) => {
                    return Outcome::Failed {
                        status: None,
                        reason: e.to_string(),
                    }
                }
            };
            let body = webhook::body(n);
            let mut request = client.post(url.as_str());
            for (name, value) in webhook::headers(&key, &n.id, now, &body) {
                request = request.header(name, value);
            }
            request.body(body)
        }
        Destination::Syslog { .. } => {
            return Outcome::Failed {
                status: None,
                reason: "syslog is not sent over HTTP".to_owned(),
            }
        }
    };
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(e) => return from_error(e),
    };
    let status = response.status().as_u16();
    let host = response
        .url()
        .host_str()
        .unwrap_or("the destination")
        .to_owned();
    let headers = response.headers().clone();
    let body = read_capped(&mut response, MAX_RESPONSE_BYTES).await;
    drop(response);
    let note = if body.truncated {
        format!(
            "; answer longer than {} KiB, read no further",
            MAX_RESPONSE_BYTES / 1024
        )
    } else if body.error.is_some() {
        "; the answer's body could not be read".to_owned()
    } else {
        String::new()
    };

    if (200..300).contains(&status) {
        return match dest {
            Destination::Slack { .. }
                if body.error.is_none() && body.bytes.trim_ascii() != b"ok" =>
            {
                Outcome::Failed {
                    status: Some(status),
                    reason: format!(
                        "Slack answered {status} but not `ok` ({}); check that the URL is a Slack \
                         incoming webhook",
                        excerpt(&body.bytes, 200)
                    ),
                }
            }
            Destination::Jira { .. } if comment_on.is_some() => Outcome::Delivered {
                status: Some(status),
                detail: format!(
                    "commented on Jira issue {} on {host}",
                    comment_on.unwrap_or_default()
                ),
                remote_ref: comment_on.map(str::to_owned),
            },
            Destination::Jira { .. } => match jira::created(&body.bytes) {
                Some(issue) => Outcome::Delivered {
                    status: Some(status),
                    detail: format!("created Jira issue {} on {host}", issue.key),
                    remote_ref: Some(issue.key),
                },
                None => Outcome::Delivered {
                    status: Some(status),
                    remote_ref: None,
                    detail: format!(
                        "Jira answered {status} but named no issue key; the issue may exist \
                         without a link{note}"
                    ),
                },
            },
            _ => Outcome::Delivered {
                status: Some(status),
                remote_ref: None,
                detail: format!("{host} answered {status}{note}"),
            },
        };
    }
    if (300..400).contains(&status) {
        let target = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| match url::Url::parse(l) {
                Ok(u) => format!(" to {}", u.host_str().unwrap_or("another address")),
                Err(_) => " to another path".to_owned(),
            })
            .unwrap_or_default();
        return Outcome::Failed {
            status: Some(status),
            reason: format!(
                "{host} answered {status}, a redirect{target}; AtlasLens does not follow \
                 redirects, so enter the final URL"
            ),
        };
    }
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let said = match dest {
        Destination::Jira { .. } if is_json => jira::error_summary(&body.bytes),
        _ => None,
    }
    .unwrap_or_else(|| excerpt(&body.bytes, 200));
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    outcome::from_status(
        status,
        retry_after,
        format!("{host} answered {status}{said}{}", hint(dest, status)),
    )
}

/// What to do about a permanent refusal, per kind.
fn hint(dest: &Destination, status: u16) -> String {
    let text = match (dest, status) {
        (Destination::Slack { .. }, 400) => {
            "Slack refused the message; this is a bug, please report it"
        }
        (Destination::Slack { .. }, 403 | 404) => {
            "the webhook or its channel no longer exists; create a new incoming webhook"
        }
        (Destination::Jira { .. }, 401) => {
            "check the account e-mail and the API token, which may have expired"
        }
        (Destination::Jira { .. }, 403) => "the account may not create issues in this project",
        (Destination::Jira { .. }, 400) => "check the project key and the issue type",
        (Destination::Jira { .. }, 404) => "no Jira REST API at this site URL; check it",
        (_, 401 | 403) => "the endpoint refused the request; check that it expects this secret",
        (_, 404) => "nothing answers at this URL; check it",
        _ => return String::new(),
    };
    format!(" ({text})")
}

struct CappedBody {
    bytes: Vec<u8>,
    truncated: bool,
    error: Option<reqwest::Error>,
}

/// Reads at most `cap` bytes of the body, a chunk at a time, and stops.
async fn read_capped(response: &mut reqwest::Response, cap: usize) -> CappedBody {
    let mut body = CappedBody {
        bytes: Vec::new(),
        truncated: false,
        error: None,
    };
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.bytes.len();
                if chunk.len() >= room {
                    body.bytes.extend_from_slice(&chunk[..room]);
                    // Exactly full with nothing after would be no truncation, but finding out
                    // means reading on; a cap is a cap.
                    body.truncated = true;
                    return body;
                }
                body.bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return body,
            Err(e) => {
                body.error = Some(e);
                return body;
            }
        }
    }
}

/// The outcome of a request that got no answer.
fn from_error(e: reqwest::Error) -> Outcome {
    let e = e.without_url();
    if let Some(refused) = guard_refusal(&e) {
        return Outcome::Failed {
            status: None,
            reason: refused.to_string(),
        };
    }
    let cause = causes(&e);
    if e.is_timeout() {
        Outcome::Retry {
            status: None,
            retry_after: None,
            reason: format!("no answer within the timeout ({cause})"),
        }
    } else if e.is_builder() {
        Outcome::Failed {
            status: None,
            reason: format!("the destination's URL cannot be used ({cause}); enter it again"),
        }
    } else if e.is_connect() {
        Outcome::Retry {
            status: None,
            retry_after: None,
            reason: format!("could not connect ({cause})"),
        }
    } else {
        Outcome::Retry {
            status: None,
            retry_after: None,
            reason: format!("the request failed ({cause})"),
        }
    }
}

fn guard_refusal<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a GuardError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(refused) = err.downcast_ref::<GuardError>() {
            return Some(refused);
        }
        current = err.source();
    }
    None
}

/// The error and its causes in one line (the URL was removed first).
fn causes(e: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut current = e.source();
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}
