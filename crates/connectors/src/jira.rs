//! Jira Cloud (site URL, Basic e-mail + API token): the audit log, issue activity through the
//! enhanced JQL search and changelogs, and the organization's groups as the site sees them.
//!
//! - Audit: `offset`/`limit` paging with a frozen `from`/`to` (zone-qualified). The loop stops on a
//!   short or empty page; `total` is not trusted (it has disagreed with the records returned).
//! - Issues: JQL dates have minute precision and are read in the API user's time zone, so the
//!   window start is floored to the minute and written in that zone (from `/myself`, UTC if
//!   unknown), never as a minute the site could read as a later instant (the hour the clocks go
//!   back, `jql_minute`). There is no upper bound: `updated` is an issue's latest change, so an
//!   issue with activity inside the window may have changed since. Records outside the exact
//!   window are dropped here; those with an unreadable or implausible time
//!   ([`Window::plausible`]) are handed on, for the pipeline to refuse with the reason. An issue's changelog is listed by its id, else its key (the endpoint takes
//!   either); an issue with neither is handed to the sink as a reject, not skipped.
//! - The search is not paged by `nextPageToken` alone: an issue updated while the run pages would
//!   shift a position token and the issue at the next boundary would never be read. Each page is
//!   a fresh keyset query instead (`jira/search.rs` says why, and what was weighed against it).

mod search;

use crate::http::{address, display_url, endpoint, resource, Flow, HttpClient, Listing, Pager};
use crate::time::{jira_datetime, parse_time};
use crate::{
    Connector, ConnectorError, Feed, FetchStats, RecordKind, RecordSink, SourceRecord, Window,
};
use chrono::{DateTime, DurationRound, LocalResult, TimeDelta, TimeZone, Utc};
use domain::{Pipeline, Product};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};

const AUDIT_PAGE: usize = 1000;
const SEARCH_PAGE: usize = 100;
const CHANGELOG_PAGE: usize = 100;
const GROUP_PAGE: usize = 50;

#[derive(Debug, Deserialize)]
struct AuditPage {
    #[serde(default)]
    records: Vec<Value>,
}

/// `total` is not read, nor any `isLast`: a short page is the last.
impl Listing for AuditPage {
    fn len(&self) -> usize {
        self.records.len()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchPage {
    #[serde(default)]
    issues: Vec<Value>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangelogPage {
    #[serde(default)]
    values: Vec<Value>,
    #[serde(default)]
    is_last: Option<bool>,
}

impl Listing for ChangelogPage {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn is_last(&self) -> Option<bool> {
        self.is_last
    }
}

/// Offset-paged `{startAt, maxResults, isLast, values}` envelopes (groups, members).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OffsetPage {
    #[serde(default)]
    values: Vec<Value>,
    #[serde(default)]
    is_last: Option<bool>,
}

impl Listing for OffsetPage {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn is_last(&self) -> Option<bool> {
        self.is_last
    }
}

/// Jira's audit log.
#[derive(Debug)]
pub struct JiraAudit {
    http: HttpClient,
    site: Url,
}

impl JiraAudit {
    /// The audit log of the site at `site` (`https://acme.atlassian.net`).
    pub fn new(http: HttpClient, site: Url) -> Self {
        Self { http, site }
    }
}

#[async_trait::async_trait]
impl Connector for JiraAudit {
    fn product(&self) -> Product {
        Product::Jira
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Audit
    }

    #[tracing::instrument(
        skip_all,
        fields(connector = "jira.audit", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        // `to` is inclusive in this API; step back a millisecond to keep the window half-open.
        let to = window.to - TimeDelta::milliseconds(1);
        let query = [
            ("from", jira_datetime(window.from)),
            ("to", jira_datetime(to)),
        ];
        let first = endpoint(&self.site, "/rest/api/3/auditing/record", &query)?;
        let mut feed = Feed::new(sink);
        Pager::offset("offset", "limit", AUDIT_PAGE)
            .walk(
                &self.http,
                first,
                &mut feed,
                |feed, page: AuditPage| async move {
                    let batch = page.records.into_iter().map(|raw| SourceRecord {
                        kind: RecordKind::JiraAudit,
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

/// Issue activity: creations and changelog entries inside the window.
#[derive(Debug)]
pub struct JiraIssues {
    http: HttpClient,
    site: Url,
}

impl JiraIssues {
    /// Issues of the site at `site`.
    pub fn new(http: HttpClient, site: Url) -> Self {
        Self { http, site }
    }

    /// The API user's time zone, which JQL dates are read in; UTC when the site does not say.
    async fn user_zone(&self) -> Result<chrono_tz::Tz, ConnectorError> {
        match self
            .http
            .get_json::<Value>(endpoint(&self.site, "/rest/api/3/myself", &[])?)
            .await
        {
            Ok(me) => Ok(me.body["timeZone"]
                .as_str()
                .and_then(|z| z.parse().ok())
                .unwrap_or(chrono_tz::UTC)),
            Err(ConnectorError::NotFound { .. }) => Ok(chrono_tz::UTC),
            Err(e) => Err(e),
        }
    }

    /// The changelog entries inside `window` of the issue addressed by `id_or_key`.
    async fn changelog(
        &self,
        issue: &Value,
        id_or_key: &str,
        window: Window,
    ) -> Result<Vec<SourceRecord>, ConnectorError> {
        let context = json!({
            "issueId": issue["id"],
            "issueKey": issue["key"],
            "summary": issue["fields"]["summary"],
            "project": issue["fields"]["project"]["key"],
        });
        let first = resource(
            &self.site,
            &["rest", "api", "3", "issue", id_or_key, "changelog"],
            &[],
        )?;
        let mut out = Vec::new();
        Pager::offset("startAt", "maxResults", CHANGELOG_PAGE)
            .walk(&self.http, first, &mut out, |out, page: ChangelogPage| {
                out.extend(
                    page.values
                        .into_iter()
                        .filter(|entry| {
                            window
                                .plausible(entry["created"].as_str().and_then(parse_time))
                                .is_none_or(|t| window.contains(t))
                        })
                        .map(|raw| SourceRecord {
                            kind: RecordKind::JiraChangelog,
                            raw,
                            context: context.clone(),
                        }),
                );
                std::future::ready(Ok(Flow::More(out)))
            })
            .await?;
        Ok(out)
    }
}

/// A JQL date literal for `t` rounded down to the minute, written in `zone`, that names no instant
/// after it however the site reads it; and the earliest instant it may be read as.
///
/// JQL dates are wall-clock minutes without an offset. When the clocks go back, an hour of
/// wall-clock minutes happens twice, and a literal in it names two instants a fold (an hour)
/// apart; which one the site takes is not documented, and Java's calendar takes the later. A
/// lower bound written for the earlier instant could then be read as the later one, and the issues
/// updated in between would never be served. So that minute is written one fold earlier, before
/// the clocks went back, where it names one instant; the later of the two instants is written as
/// it is, since either reading of it lies at or before it. The earliest reading tells the walk
/// which issues a query from the literal serves again.
fn jql_minute(t: DateTime<Utc>, zone: chrono_tz::Tz) -> (String, DateTime<Utc>) {
    let floored = t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t);
    let mut at = floored;
    loop {
        let local = at.with_timezone(&zone).naive_local();
        let literal = || local.format("%Y-%m-%d %H:%M").to_string();
        match zone.from_local_datetime(&local) {
            LocalResult::Ambiguous(earlier, later) if later.to_utc() > floored => {
                // `at` is the earlier reading: step back across the fold.
                at -= later.to_utc() - earlier.to_utc();
            }
            LocalResult::Ambiguous(earlier, _) => return (literal(), earlier.to_utc()),
            _ => return (literal(), at),
        }
    }
}

#[async_trait::async_trait]
impl Connector for JiraIssues {
    fn product(&self) -> Product {
        Product::Jira
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::Activity
    }

    #[tracing::instrument(
        skip_all,
        fields(connector = "jira.issues", window.from = %window.from, window.to = %window.to),
        err
    )]
    async fn fetch(
        &self,
        window: Window,
        sink: &mut dyn RecordSink,
    ) -> Result<FetchStats, ConnectorError> {
        let zone = self.user_zone().await?;
        // No upper bound: `updated` is an issue's latest change, so an issue with activity inside
        // the window may have been updated since; its in-window records must still be found.
        // The lower bound is floored to the minute; exact filtering follows. Each page is a fresh
        // query from the last page's latest minute (`search`), never a bare token.
        //
        // This is the one listing that does not walk through `http::Pager`: its next request is
        // not a position, a link or a cursor the page carries but a query computed from the
        // issues served (their latest minute, the ids to exclude) by the same `Walk` that the
        // handling of the page consults (`should_read`), and taking a page in can fail (a query
        // that would only repeat itself). None of the pager's rules for when a listing ends
        // holds here either: an empty page, `isLast` or a missing token end it (`Walk::after`).
        let mut walk = search::Walk::new(window, zone);
        let mut records = 0;
        loop {
            let (jql, token) = walk.request();
            let mut query = vec![
                ("jql", jql),
                ("maxResults", SEARCH_PAGE.to_string()),
                (
                    "fields",
                    "summary,status,issuetype,project,creator,reporter,created,updated".to_owned(),
                ),
            ];
            if let Some(t) = token {
                query.push(("nextPageToken", t));
            }
            let url = endpoint(&self.site, "/rest/api/3/search/jql", &query)?;
            let page: SearchPage = self.http.get_json(url.clone()).await?.body;
            let mut batch = Vec::new();
            for issue in &page.issues {
                let id_or_key = match address(search::handle(issue), "issue", || {
                    "issue without id or key: its creation and changelog cannot be read".to_owned()
                }) {
                    Ok(h) => h,
                    Err(reason) => {
                        sink.reject(issue.clone(), reason)
                            .await
                            .map_err(ConnectorError::Sink)?;
                        continue;
                    }
                };
                if !walk.should_read(&id_or_key, issue) {
                    continue;
                }
                let created =
                    window.plausible(issue["fields"]["created"].as_str().and_then(parse_time));
                if created.is_none_or(|t| window.contains(t)) {
                    batch.push(SourceRecord {
                        kind: RecordKind::JiraIssueCreated,
                        raw: issue.clone(),
                        context: Value::Null,
                    });
                }
                batch.extend(self.changelog(issue, &id_or_key, window).await?);
            }
            records += batch.len() as u64;
            sink.accept(batch).await.map_err(ConnectorError::Sink)?;
            let next = walk
                .after(&page.issues, page.next_page_token, page.is_last)
                .map_err(|detail| ConnectorError::Decode {
                    url: display_url(&url),
                    detail,
                })?;
            if next == search::Next::Done {
                break;
            }
        }
        Ok(FetchStats {
            records,
            ..self.http.take_stats()
        })
    }
}

/// The organization's groups and their members, as the site sees them.
#[derive(Debug)]
pub struct JiraGroups {
    http: HttpClient,
    site: Url,
}

impl JiraGroups {
    /// Groups of the site at `site`.
    pub fn new(http: HttpClient, site: Url) -> Self {
        Self { http, site }
    }

    async fn all_pages(
        &self,
        path: &'static str,
        extra: &[(&str, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut out = Vec::new();
        // These listings go on only while a page says `isLast: false`: one that does not say is
        // taken for the last, full or not.
        Pager::offset("startAt", "maxResults", GROUP_PAGE)
            .unsaid_means_last()
            .walk(
                &self.http,
                endpoint(&self.site, path, extra)?,
                &mut out,
                |out, page: OffsetPage| {
                    out.extend(page.values);
                    std::future::ready(Ok(Flow::More(out)))
                },
            )
            .await?;
        Ok(out)
    }

    /// Every group: `{groupId, name}`.
    ///
    /// # Errors
    /// A classified [`ConnectorError`].
    pub async fn groups(&self) -> Result<Vec<Value>, ConnectorError> {
        self.all_pages("/rest/api/3/group/bulk", &[]).await
    }

    /// The members of one group: `{accountId, displayName, emailAddress?, …}`.
    ///
    /// # Errors
    /// A classified [`ConnectorError`].
    pub async fn members(&self, group_id: &str) -> Result<Vec<Value>, ConnectorError> {
        self.all_pages(
            "/rest/api/3/group/member",
            &[("groupId", group_id.to_owned())],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jql_dates_are_whole_minutes_in_the_users_zone() {
        let t = Utc.with_ymd_and_hms(2026, 9, 14, 23, 59, 59).unwrap();
        let minute = Utc.with_ymd_and_hms(2026, 9, 14, 23, 59, 0).unwrap();
        assert_eq!(
            jql_minute(t, chrono_tz::UTC),
            ("2026-09-14 23:59".to_owned(), minute)
        );
        assert_eq!(
            jql_minute(t, chrono_tz::Asia::Tokyo),
            ("2026-09-15 08:59".to_owned(), minute)
        );
    }

    /// Regression (review of the connectors, item 3): New York's clocks go back from 02:00 EDT to
    /// 01:00 EST on 2026-11-01, so "01:30" names 05:30Z and 06:30Z. A floor of 05:30Z was written
    /// "01:30", which a site reading the later instant took for 06:30Z, never serving the issues
    /// updated between the two.
    #[test]
    fn a_floor_in_the_hour_the_clocks_go_back_is_never_read_as_a_later_instant() {
        let ny = chrono_tz::America::New_York;
        let z = |h, m| Utc.with_ymd_and_hms(2026, 11, 1, h, m, 0).unwrap();
        let readings = |literal: &str| -> Vec<DateTime<Utc>> {
            let local = chrono::NaiveDateTime::parse_from_str(literal, "%Y-%m-%d %H:%M").unwrap();
            ny.from_local_datetime(&local)
                .earliest()
                .into_iter()
                .chain(ny.from_local_datetime(&local).latest())
                .map(|t| t.to_utc())
                .collect()
        };

        // The first 01:30 (EDT) is written an hour earlier, 00:30 EDT, which names one instant.
        let (literal, earliest) = jql_minute(z(5, 30) + TimeDelta::seconds(42), ny);
        assert_eq!(literal, "2026-11-01 00:30");
        assert_eq!(earliest, z(4, 30));
        assert_eq!(readings(&literal), [z(4, 30), z(4, 30)]);

        // The second 01:30 (EST) is written as it is: either reading is no later than it.
        let (literal, earliest) = jql_minute(z(6, 30), ny);
        assert_eq!(literal, "2026-11-01 01:30");
        assert_eq!(earliest, z(5, 30));
        assert_eq!(readings(&literal), [z(5, 30), z(6, 30)]);

        // Every floor of the night, minute by minute: no reading of its literal lies after it.
        let mut t = z(3, 0);
        while t < z(9, 0) {
            let (literal, earliest) = jql_minute(t, ny);
            let read = readings(&literal);
            assert!(
                read.iter().all(|r| *r <= t),
                "{t}: {literal} reads as {read:?}"
            );
            assert_eq!(read.first(), Some(&earliest), "{t}: {literal}");
            t += TimeDelta::minutes(1);
        }

        // When the clocks go forward no minute is ambiguous, and each is written as it is.
        let spring = Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap();
        assert_eq!(
            jql_minute(spring, ny),
            ("2026-03-08 03:00".to_owned(), spring)
        );
    }
}
