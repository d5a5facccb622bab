//! Bitbucket Cloud (`https://api.bitbucket.org/2.0`, Basic e-mail + API token): commits and pull
//! requests of every repository in a workspace. Pages are followed through their absolute `next`
//! links, never built by hand.
//!
//! Commits have no date filter and come newest first, so a repository's listing stops after a page
//! holding only commits older than the window; a commit whose date is unreadable or implausible
//! ([`Window::plausible`]) is not older, so a page of them does not stop it. Pull requests are filtered and sorted by
//! `updated_on` on the server. Bitbucket Cloud has no audit API: its audit events exist only in
//! the organization log, with Atlassian Guard.
//!
//! The official schema promises a repository's `uuid` and `full_name` but not its `slug`, so a
//! repository is addressed by whichever of them it has ([`repository_key`]); one with none of them
//! is handed to the sink as a reject, so its absent history is visible rather than silent.

use crate::http::{address, resource, Flow, HttpClient, Listing, Pager};
use crate::time::{bitbucket_datetime, parse_time};
use crate::{
    Connector, ConnectorError, Feed, FetchStats, RecordKind, RecordSink, SourceRecord, Window,
};
use domain::{Pipeline, Product};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};

/// Why Bitbucket audit is shown as unavailable rather than fetched.
pub const AUDIT_UNAVAILABLE: &str =
    "Bitbucket Cloud has no audit-log API; its audit events are only in the \
     organization audit log, which needs Atlassian Guard (connect the organization to see them)";

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    values: Vec<Value>,
    #[serde(default)]
    next: Option<String>,
}

impl Listing for Page {
    fn len(&self) -> usize {
        self.values.len()
    }

    /// The absolute `next` link.
    fn next(&self) -> Option<String> {
        self.next.clone()
    }
}

/// Commits and pull requests of one workspace.
#[derive(Debug)]
pub struct BitbucketActivity {
    http: HttpClient,
    base: Url,
    workspace: String,
}

impl BitbucketActivity {
    /// Activity of `workspace` at `base` (`https://api.bitbucket.org/2.0`).
    pub fn new(http: HttpClient, base: Url, workspace: String) -> Self {
        Self {
            http,
            base,
            workspace,
        }
    }

    /// How every listing here pages: through its `next` links, past an empty page too.
    fn pager(&self) -> Pager {
        Pager::links(&self.base)
    }

    async fn repositories(&self) -> Result<Vec<Value>, ConnectorError> {
        let first = resource(
            &self.base,
            &["repositories", &self.workspace],
            &[("pagelen", "100".to_owned())],
        )?;
        let mut repos = Vec::new();
        self.pager()
            .walk(&self.http, first, &mut repos, |repos, page: Page| {
                repos.extend(page.values);
                std::future::ready(Ok(Flow::More(repos)))
            })
            .await?;
        Ok(repos)
    }

    /// `/repositories/{workspace}/{key}/{leaf}` with `query`; the key is percent-encoded as one
    /// path segment (a `{uuid}` key keeps its braces, encoded).
    fn repo_endpoint(
        &self,
        key: &str,
        leaf: &str,
        query: &[(&str, String)],
    ) -> Result<Url, ConnectorError> {
        resource(
            &self.base,
            &["repositories", &self.workspace, key, leaf],
            query,
        )
    }
}

/// The context a Bitbucket record is read with: its repository's slug, full name, uuid and name
/// (the importer builds the same from a record's own `repository`).
pub fn repo_context(repo: &Value) -> Value {
    json!({ "slug": repo["slug"], "fullName": repo["full_name"], "uuid": repo["uuid"], "name": repo["name"] })
}

/// Why a repository listing entry is refused.
const UNADDRESSABLE: &str =
    "repository without slug, full_name or uuid: its commits and pull requests cannot be listed";

/// How a repository is addressed in URL paths and named in event ids, read from its record
/// context (`slug`, `fullName`, `uuid`): the slug; else the repository part of `full_name`
/// (`acme/exporter` → `exporter`, the same string Bitbucket uses in URLs, so ids stay those of the
/// slug); else the uuid in braces, which Bitbucket accepts in place of the slug. `None` when the
/// entry has none of them.
pub fn repository_key(context: &Value) -> Option<String> {
    let text = |key: &str| {
        context[key]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let Some(slug) = text("slug") {
        return Some(slug.to_owned());
    }
    let from_full_name = text("fullName")
        .and_then(|full| full.rsplit_once('/'))
        .map(|(_, repo)| repo.trim())
        .filter(|repo| !repo.is_empty());
    if let Some(repo) = from_full_name {
        return Some(repo.to_owned());
    }
    text("uuid").and_then(braced_uuid)
}

/// A Bitbucket uuid in its canonical form, `{lower-case-hex}`, whether or not it came braced;
/// `None` when nothing is left without the braces.
pub fn braced_uuid(uuid: &str) -> Option<String> {
    let inner = uuid
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim();
    (!inner.is_empty()).then(|| format!("{{{}}}", inner.to_lowercase()))
}

#[async_trait::async_trait]
impl Connector for BitbucketActivity {
    fn product(&self) -> Product {
        Product::Bitbucket
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Activity
    }

    #[tracing::instrument(
        skip_all,
        fields(connector = "bitbucket.activity", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let mut feed = Feed::new(sink);
        for repo in self.repositories().await? {
            let context = repo_context(&repo);
            let key = match address(repository_key(&context), "repository", || {
                UNADDRESSABLE.to_owned()
            }) {
                Ok(key) => key,
                Err(reason) => {
                    feed.reject(repo, reason).await?;
                    continue;
                }
            };
            let context = &context;

            // Commits come newest first without a date filter: stop at the first page that
            // holds nothing as recent as the window. Each page goes to the sink as it arrives.
            let commits = self.repo_endpoint(&key, "commits", &[("pagelen", "100".to_owned())])?;
            self.pager()
                .walk(
                    &self.http,
                    commits,
                    &mut feed,
                    |feed, page: Page| async move {
                        // An empty page, or one holding a commit not known to be older, goes on.
                        let mut any_recent = page.values.is_empty();
                        let mut batch = Vec::with_capacity(page.values.len());
                        for commit in page.values {
                            let date =
                                window.plausible(commit["date"].as_str().and_then(parse_time));
                            if date.is_none_or(|t| t >= window.from) {
                                any_recent = true;
                            }
                            if date.is_none_or(|t| window.contains(t)) {
                                batch.push(SourceRecord {
                                    kind: RecordKind::BitbucketCommit,
                                    raw: commit,
                                    context: context.clone(),
                                });
                            }
                        }
                        feed.accept(batch).await?;
                        Ok(Flow::stop_if(!any_recent, feed))
                    },
                )
                .await?;

            let query = [
                ("state", "OPEN".to_owned()),
                ("state", "MERGED".to_owned()),
                ("state", "DECLINED".to_owned()),
                (
                    "q",
                    format!("updated_on>={}", bitbucket_datetime(window.from)),
                ),
                ("sort", "-updated_on".to_owned()),
                ("pagelen", "50".to_owned()),
            ];
            let pull_requests = self.repo_endpoint(&key, "pullrequests", &query)?;
            self.pager()
                .walk(
                    &self.http,
                    pull_requests,
                    &mut feed,
                    |feed, page: Page| async move {
                        let mut batch = Vec::with_capacity(page.values.len());
                        for pr in page.values {
                            let created =
                                window.plausible(pr["created_on"].as_str().and_then(parse_time));
                            if created.is_none_or(|t| window.contains(t)) {
                                batch.push(SourceRecord {
                                    kind: RecordKind::BitbucketPrOpened,
                                    raw: pr.clone(),
                                    context: context.clone(),
                                });
                            }
                            let closed =
                                matches!(pr["state"].as_str(), Some("MERGED" | "DECLINED"));
                            let updated =
                                window.plausible(pr["updated_on"].as_str().and_then(parse_time));
                            if closed && updated.is_none_or(|t| window.contains(t)) {
                                batch.push(SourceRecord {
                                    kind: RecordKind::BitbucketPrClosed,
                                    raw: pr,
                                    context: context.clone(),
                                });
                            }
                        }
                        feed.accept(batch).await?;
                        Ok(Flow::More(feed))
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
