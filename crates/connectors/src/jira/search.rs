//! How issue activity walks the enhanced JQL search (`/rest/api/3/search/jql`) without trusting
//! what `nextPageToken` means.
//!
//! The search is ordered `updated ASC`, and `updated` only ever grows. The token is opaque and
//! its semantics are not documented: the simulator's is a position in the listing as sorted at
//! each request, and nothing promises the real one is a snapshot. With a position, an issue
//! already read that is updated before the next page moves to the end, every later issue moves up
//! one place and the one at the page boundary is never read (the kill-loop run lost an issue's
//! creation and three changelog entries that way, and later windows did not cover them).
//!
//! So every page is a **fresh query** whose lower bound is the last page's latest `updated` (a
//! keyset): one response sorted `updated ASC` means every matching issue it did not hold was
//! updated no earlier than its last issue, and as `updated` never goes back, it still matches
//! `updated >= <that minute>` whenever the next query runs — whatever happened in between and
//! whatever a token would have meant. JQL dates are whole minutes, so the next query serves again
//! the issues of that minute already read; they are excluded by id (`AND id not in (…)`), which
//! also guarantees progress when more than a page shares one minute. An issue read earlier and
//! updated since comes back at the end; it is read again (one more changelog request), since the
//! sink dedups by event id and the change may have brought entries inside the window (a late one,
//! a window that is not over). An issue served again unchanged is not read again.
//!
//! Options weighed: `ORDER BY updated DESC` turns the mid-run update into a duplicate, but an issue
//! not yet read that is updated jumps to pages already read, and the next run's window (from the
//! last one's end, less the overlap) no longer covers its earlier entries; a verification pass
//! that re-runs the search pages by the same token, with the same hazard, and costs a second
//! listing. The keyset costs nothing more when nothing changes — one search request per page of
//! new issues, exactly as many as the token (the boundary minute's issues are excluded, not
//! served again) — and one changelog request per issue updated while the run pages.
//!
//! One case still follows the token: more than [`MAX_EXCLUDED`] issues read inside one minute
//! (a bulk edit) would make the exclusion list too long for a `GET`, so the walk continues that
//! query by its token until a page reaches a later minute, and says so in a warning.

use super::jql_minute;
use crate::id_text;
use crate::time::parse_time;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The most issue ids one query excludes; each costs up to ~12 characters of URL.
pub(super) const MAX_EXCLUDED: usize = 200;

/// What to do after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Next {
    /// Ask for [`Walk::request`] next.
    More,
    /// Every matching issue has been served.
    Done,
}

/// The walk's state between pages.
#[derive(Debug)]
pub(super) struct Walk {
    zone: chrono_tz::Tz,
    /// The lower bound of the next query, a whole minute.
    floor: DateTime<Utc>,
    /// JQL values (ids, else keys) of the issues served at `floor` or with no readable `updated`.
    excluded: BTreeSet<String>,
    /// Each issue read, by id or key, with the `updated` it had when read.
    read: HashMap<String, Option<String>>,
    /// The query the last request sent.
    current: String,
    /// While crossing a crowded minute: the token continuing `current`.
    token: Option<String>,
}

fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}

fn updated(issue: &Value) -> Option<DateTime<Utc>> {
    issue["fields"]["updated"].as_str().and_then(parse_time)
}

/// How the walk names an issue: its id, else its key.
pub(super) fn handle(issue: &Value) -> Option<String> {
    id_text(&issue["id"]).or_else(|| id_text(&issue["key"]))
}

/// A JQL value for `v`: bare when it is a number (an issue id), else quoted.
fn jql_value(v: &str) -> String {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.to_owned()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl Walk {
    /// A walk over the issues updated since `from` (floored to the minute), JQL dates written in
    /// `zone`, the API user's.
    pub(super) fn new(from: DateTime<Utc>, zone: chrono_tz::Tz) -> Self {
        Self {
            zone,
            floor: minute(from),
            excluded: BTreeSet::new(),
            read: HashMap::new(),
            current: String::new(),
            token: None,
        }
    }

    /// The query for the next page and the token to send with it (only inside a crowded minute).
    pub(super) fn request(&mut self) -> (String, Option<String>) {
        if self.token.is_none() {
            let mut jql = format!("updated >= \"{}\"", jql_minute(self.floor, self.zone));
            if !self.excluded.is_empty() {
                let ids: Vec<String> = self.excluded.iter().map(|v| jql_value(v)).collect();
                jql.push_str(&format!(" AND id not in ({})", ids.join(", ")));
            }
            jql.push_str(" ORDER BY updated ASC");
            self.current = jql;
        }
        (self.current.clone(), self.token.clone())
    }

    /// Whether `issue`, served under `handle`, is to be read: never read, or changed since.
    pub(super) fn should_read(&mut self, handle: &str, issue: &Value) -> bool {
        let now = issue["fields"]["updated"].as_str().map(str::to_owned);
        self.read
            .insert(handle.to_owned(), now.clone())
            .is_none_or(|before| before != now)
    }

    /// Takes in a page the last request was answered with.
    ///
    /// # Errors
    /// A description of a search that would loop: a page of issues its own query excluded, or an
    /// unchanged token.
    pub(super) fn after(
        &mut self,
        issues: &[Value],
        next_token: Option<String>,
        is_last: Option<bool>,
    ) -> Result<Next, String> {
        let next_token = next_token.filter(|t| !t.is_empty());
        if issues.is_empty() || is_last == Some(true) || next_token.is_none() {
            return Ok(Next::Done);
        }
        let latest = issues.iter().filter_map(updated).map(minute).max();
        let floor = latest.map_or(self.floor, |m| m.max(self.floor));
        let at_floor = issues
            .iter()
            .filter(|i| updated(i).is_none_or(|t| minute(t) >= floor))
            .filter_map(handle);
        if floor > self.floor {
            self.floor = floor;
            self.excluded = at_floor.collect();
            self.token = None;
            return Ok(Next::More);
        }
        let before = self.excluded.len();
        self.excluded.extend(at_floor);
        if self.excluded.len() <= MAX_EXCLUDED {
            if self.excluded.len() == before && self.token.is_none() {
                return Err("the search served only issues its query excluded".into());
            }
            self.token = None;
            return Ok(Next::More);
        }
        if self.token.is_none() {
            tracing::warn!(
                jira.minute = %self.floor,
                jira.excluded = self.excluded.len(),
                "more issues were updated inside one minute than a query can exclude; following nextPageToken through it"
            );
        } else if self.token == next_token {
            return Err("nextPageToken did not change; refusing to loop".into());
        }
        self.token = next_token;
        Ok(Next::More)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn issue(id: u32, updated: &str) -> Value {
        json!({ "id": id.to_string(), "fields": { "updated": updated } })
    }

    fn walk() -> Walk {
        Walk::new(
            Utc.with_ymd_and_hms(2026, 9, 15, 8, 0, 30).unwrap(),
            chrono_tz::UTC,
        )
    }

    #[test]
    fn the_next_page_is_a_fresh_query_from_the_last_minute_served_without_its_issues() {
        let mut w = walk();
        assert_eq!(
            w.request(),
            (
                "updated >= \"2026-09-15 08:00\" ORDER BY updated ASC".to_owned(),
                None
            )
        );
        let page = [
            issue(10001, "2026-09-15T08:01:00.000+0000"),
            issue(10002, "2026-09-15T08:02:10.000+0000"),
            issue(10003, "2026-09-15T08:02:50.000+0000"),
        ];
        assert_eq!(
            w.after(&page, Some("t1".into()), Some(false)),
            Ok(Next::More)
        );
        assert_eq!(
            w.request(),
            (
                "updated >= \"2026-09-15 08:02\" AND id not in (10002, 10003) ORDER BY updated ASC"
                    .to_owned(),
                None
            ),
            "no token: the next page does not depend on what a token means"
        );
    }

    #[test]
    fn dates_are_written_in_the_users_zone() {
        let mut w = Walk::new(
            Utc.with_ymd_and_hms(2026, 9, 14, 23, 59, 59).unwrap(),
            chrono_tz::Asia::Tokyo,
        );
        assert!(w.request().0.starts_with("updated >= \"2026-09-15 08:59\""));
    }

    #[test]
    fn a_minute_holding_more_than_a_page_is_crossed_by_excluding_what_was_read() {
        let mut w = walk();
        w.request();
        let full: Vec<Value> = (0..100)
            .map(|i| issue(10000 + i, "2026-09-15T08:05:00.000+0000"))
            .collect();
        assert_eq!(w.after(&full, Some("t".into()), None), Ok(Next::More));
        let more: Vec<Value> = (100..200)
            .map(|i| issue(10000 + i, "2026-09-15T08:05:30.000+0000"))
            .collect();
        assert_eq!(w.after(&more, Some("t".into()), None), Ok(Next::More));
        let (jql, token) = w.request();
        assert!(jql.starts_with("updated >= \"2026-09-15 08:05\" AND id not in (10000, 10001"));
        assert!(jql.contains("10199)"));
        assert_eq!(token, None);
    }

    #[test]
    fn past_the_exclusion_limit_the_walk_follows_the_token_until_the_minute_changes() {
        let mut w = walk();
        let mut n = 0u32;
        let mut page = |updated: &str| -> Vec<Value> {
            n += 100;
            (n - 100..n).map(|i| issue(10000 + i, updated)).collect()
        };
        w.request();
        for _ in 0..MAX_EXCLUDED / 100 {
            w.after(
                &page("2026-09-15T08:05:00.000+0000"),
                Some("t0".into()),
                None,
            )
            .unwrap();
        }
        let crowded = w.request().0;
        w.after(
            &page("2026-09-15T08:05:00.000+0000"),
            Some("t1".into()),
            None,
        )
        .unwrap();
        assert_eq!(w.request(), (crowded.clone(), Some("t1".to_owned())));
        assert!(w
            .after(
                &page("2026-09-15T08:05:00.000+0000"),
                Some("t1".into()),
                None
            )
            .is_err());
        w.after(
            &page("2026-09-15T08:06:00.000+0000"),
            Some("t2".into()),
            None,
        )
        .unwrap();
        let (jql, token) = w.request();
        assert!(jql.starts_with("updated >= \"2026-09-15 08:06\" AND id not in ("));
        assert_eq!(token, None);
    }

    #[test]
    fn a_page_of_nothing_but_excluded_issues_is_refused_rather_than_looped_on() {
        let mut w = walk();
        w.request();
        let page = [issue(10001, "2026-09-15T08:00:10.000+0000")];
        assert_eq!(w.after(&page, Some("t".into()), None), Ok(Next::More));
        assert!(w.after(&page, Some("t".into()), None).is_err());
    }

    #[test]
    fn the_last_page_ends_the_walk() {
        let mut w = walk();
        w.request();
        let page = [issue(10001, "2026-09-15T08:00:10.000+0000")];
        assert_eq!(w.after(&page, None, None), Ok(Next::Done));
        assert_eq!(w.after(&page, Some("t".into()), Some(true)), Ok(Next::Done));
        assert_eq!(w.after(&[], Some("t".into()), None), Ok(Next::Done));
    }

    #[test]
    fn an_issue_is_read_again_only_when_it_changed_since() {
        let mut w = walk();
        let a = issue(10001, "2026-09-15T08:00:10.000+0000");
        assert!(w.should_read("10001", &a));
        assert!(!w.should_read("10001", &a));
        assert!(w.should_read("10001", &issue(10001, "2026-09-15T09:00:00.000+0000")));
    }

    #[test]
    fn ids_go_bare_and_anything_else_quoted() {
        assert_eq!(jql_value("10482"), "10482");
        assert_eq!(jql_value("ENG-311"), "\"ENG-311\"");
        assert_eq!(jql_value("a\"b"), "\"a\\\"b\"");
    }
}
