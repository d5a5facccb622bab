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

use crate::http::{address, follow, resource, HttpClient};
use crate::time::{bitbucket_datetime, parse_time};
use crate::{Connector, ConnectorError, FetchStats, RecordKind, RecordSink, SourceRecord, Window};
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

    /// One page from `url`: its values and the next page's URL, if any.
    async fn page(&self, url: Url) -> Result<(Vec<Value>, Option<Url>), ConnectorError> {
        let page: Page = self.http.get_json(url).await?.body;
        let next = match page.next.filter(|n| !n.is_empty()) {
            Some(link) => Some(follow(&self.base, &link)?),
            None => None,
        };
        Ok((page.values, next))
    }

    async fn repositories(&self) -> Result<Vec<Value>, ConnectorError> {
        let mut repos = Vec::new();
        let mut next = Some(resource(
            &self.base,
            &["repositories", &self.workspace],
            &[("pagelen", "100".to_owned())],
        )?);
        while let Some(url) = next.take() {
            let (values, following) = self.page(url).await?;
            repos.extend(values);
            next = following;
        }
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

fn repo_context(repo: &Value) -> Value {
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

    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let mut records = 0;
        for repo in self.repositories().await? {
            let context = repo_context(&repo);
            let key = match address(repository_key(&context), "repository", || {
                UNADDRESSABLE.to_owned()
            }) {
                Ok(key) => key,
                Err(reason) => {
                    sink.reject(repo, reason)
                        .await
                        .map_err(ConnectorError::Sink)?;
                    continue;
                }
            };

            // Commits come newest first without a date filter: stop at the first page that
            // holds nothing as recent as the window. Each page goes to the sink as it arrives.
            let mut next =
                Some(self.repo_endpoint(&key, "commits", &[("pagelen", "100".to_owned())])?);
            while let Some(url) = next.take() {
                let (values, following) = self.page(url).await?;
                // An empty page, or one holding a commit not known to be older, goes on.
                let mut any_recent = values.is_empty();
                let mut batch = Vec::with_capacity(values.len());
                for commit in values {
                    let date = window.plausible(commit["date"].as_str().and_then(parse_time));
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
                records += batch.len() as u64;
                sink.accept(batch).await.map_err(ConnectorError::Sink)?;
                if any_recent {
                    next = following;
                }
            }

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
            let mut next = Some(self.repo_endpoint(&key, "pullrequests", &query)?);
            while let Some(url) = next.take() {
                let (values, following) = self.page(url).await?;
                let mut batch = Vec::with_capacity(values.len());
                for pr in values {
                    let created = window.plausible(pr["created_on"].as_str().and_then(parse_time));
                    if created.is_none_or(|t| window.contains(t)) {
                        batch.push(SourceRecord {
                            kind: RecordKind::BitbucketPrOpened,
                            raw: pr.clone(),
                            context: context.clone(),
                        });
                    }
                    let closed = matches!(pr["state"].as_str(), Some("MERGED" | "DECLINED"));
                    let updated = window.plausible(pr["updated_on"].as_str().and_then(parse_time));
                    if closed && updated.is_none_or(|t| window.contains(t)) {
                        batch.push(SourceRecord {
                            kind: RecordKind::BitbucketPrClosed,
                            raw: pr,
                            context: context.clone(),
                        });
                    }
                }
                records += batch.len() as u64;
                sink.accept(batch).await.map_err(ConnectorError::Sink)?;
                next = following;
            }
        }
        Ok(FetchStats {
            records,
            ..self.http.take_stats()
        })
    }
}
