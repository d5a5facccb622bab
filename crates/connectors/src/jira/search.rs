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
//! The lower bound is a wall-clock minute in the API user's zone, and in the hour the clocks go
//! back a minute names two instants: it is written so that neither lies after the floor
//! (`jql_minute`), and the issues a query from it serves again — from the earliest instant it
//! may be read as — are the ones excluded. An issue whose `updated` is unreadable or implausible
//! ([`Window::plausible`]) neither lifts the floor nor is left to be served again: it counts as
//! served at the floor, and is excluded.
//!
//! One case still follows the token: more than [`MAX_EXCLUDED`] issues read inside one minute
//! (a bulk edit) would make the exclusion list too long for a `GET`, so the walk continues that
//! query by its token until a page reaches a later minute, and says so in a warning.

use super::jql_minute;
use crate::time::parse_time;
use crate::{id_text, Window};
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
    /// The run's window, which judges whether an `updated` is plausible.
    window: Window,
    zone: chrono_tz::Tz,
    /// The lower bound of the next query, a whole minute.
    floor: DateTime<Utc>,
    /// JQL values (ids, else keys) of the issues served that the query from `floor` would serve
    /// again: those updated no earlier than the earliest instant its literal may be read as (the
    /// floor itself but in the hour the clocks go back), or with no readable `updated`.
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
    /// A walk over the issues updated since the start of `window` (floored to the minute), JQL
    /// dates written in `zone`, the API user's.
    pub(super) fn new(window: Window, zone: chrono_tz::Tz) -> Self {
        Self {
            window,
            zone,
            floor: minute(window.from),
            excluded: BTreeSet::new(),
            read: HashMap::new(),
            current: String::new(),
            token: None,
        }
    }

    /// The query for the next page and the token to send with it (only inside a crowded minute).
    pub(super) fn request(&mut self) -> (String, Option<String>) {
        if self.token.is_none() {
            let (since, _) = jql_minute(self.floor, self.zone);
            let mut jql = format!("updated >= \"{since}\"");
            if !self.excluded.is_empty() {
                let ids: Vec<String> = self.excluded.iter().map(|v| jql_value(v)).collect();
                jql.push_str(&format!(" AND id not in ({})", ids.join(", ")));
            }
            jql.push_str(" ORDER BY updated ASC");
            self.current = jql;
        }
        (self.current.clone(), self.token.clone())
    }

    /// The issue's `updated`, when it is readable and plausible.
    fn updated(&self, issue: &Value) -> Option<DateTime<Utc>> {
        self.window
            .plausible(issue["fields"]["updated"].as_str().and_then(parse_time))
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
    /// A description of a search that would loop: a page that gives the next query nothing new to
    /// exclude (with the floor unchanged, the same query would be sent again), or an unchanged
    /// token.
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
        let latest = issues
            .iter()
            .filter_map(|i| self.updated(i))
            .map(minute)
            .max();
        let floor = latest.map_or(self.floor, |m| m.max(self.floor));
        let (since, reach) = jql_minute(floor, self.zone);
        let served_again: Vec<String> = issues
            .iter()
            .filter(|i| self.updated(i).is_none_or(|t| t >= reach))
            .filter_map(handle)
            .collect();
        if floor > self.floor {
            self.floor = floor;
            self.excluded = served_again.into_iter().collect();
            self.token = None;
            return Ok(Next::More);
        }
        let before = self.excluded.len();
        self.excluded.extend(served_again);
        if self.excluded.len() <= MAX_EXCLUDED {
            if self.excluded.len() == before && self.token.is_none() {
                return Err(format!(
                    "the search from {since:?} made no progress: it served only issues its query \
                     already excludes, issues updated before that minute or issues without id or \
                     key, so the next query would be the same one again"
                ));
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

    fn window(from: DateTime<Utc>) -> Window {
        Window {
            from,
            to: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        }
    }

    fn walk() -> Walk {
        Walk::new(
            window(Utc.with_ymd_and_hms(2026, 9, 15, 8, 0, 30).unwrap()),
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
            window(Utc.with_ymd_and_hms(2026, 9, 14, 23, 59, 59).unwrap()),
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
        let err = w.after(&page, Some("t".into()), None).unwrap_err();
        assert!(
            err.contains("\"2026-09-15 08:00\" made no progress"),
            "{err}"
        );
    }

    /// Regression (review of the connectors, item 4): a page of issues without id or key at the
    /// floor was refused as "the search served only issues its query excluded", though the query
    /// excluded none of them.
    #[test]
    fn a_page_that_gives_the_next_query_nothing_to_exclude_is_refused_saying_so() {
        let mut w = walk();
        w.request();
        let page = [json!({ "fields": { "updated": "2026-09-15T08:00:10.000+0000" } })];
        let err = w.after(&page, Some("t".into()), None).unwrap_err();
        assert!(err.contains("without id or key"), "{err}");
        assert!(
            !err.contains("served only issues its query excluded"),
            "{err}"
        );
    }

    /// Regression (review of the connectors, item 3): in the hour the clocks go back, a floor whose
    /// minute could be read as the later instant is written an hour early. The issues of that hour
    /// already read are served again: they are excluded, not refused as no progress, and not read
    /// again.
    #[test]
    fn in_the_hour_the_clocks_go_back_the_floor_is_written_early_and_what_it_serves_again_excluded()
    {
        let ny = chrono_tz::America::New_York;
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).unwrap();
        let mut w = Walk::new(window(from), ny);
        assert!(w.request().0.starts_with("updated >= \"2026-11-01 00:00\""));
        let first = [
            issue(1, "2026-11-01T04:40:00.000+0000"),
            issue(2, "2026-11-01T04:45:00.000+0000"),
        ];
        for i in &first {
            assert!(w.should_read(i["id"].as_str().unwrap(), i));
        }
        assert_eq!(w.after(&first, Some("t".into()), None), Ok(Next::More));
        assert_eq!(
            w.request().0,
            "updated >= \"2026-11-01 00:45\" AND id not in (2) ORDER BY updated ASC"
        );
        // 05:30Z is the first 01:30 (EDT); "01:30" may be read as the second, 06:30Z (EST).
        let second = [
            issue(3, "2026-11-01T05:10:00.000+0000"),
            issue(4, "2026-11-01T05:30:20.000+0000"),
        ];
        assert_eq!(w.after(&second, Some("t".into()), None), Ok(Next::More));
        assert_eq!(
            w.request().0,
            "updated >= \"2026-11-01 00:30\" AND id not in (3, 4) ORDER BY updated ASC",
            "00:30 EDT is 04:30Z, no later than the floor whichever way it is read"
        );
        // The site serves issues 1 and 2 again, and nothing new: they are not read again, and
        // the next query excludes them too.
        assert!(first
            .iter()
            .all(|i| !w.should_read(i["id"].as_str().unwrap(), i)));
        assert_eq!(w.after(&first, Some("t".into()), None), Ok(Next::More));
        assert_eq!(
            w.request().0,
            "updated >= \"2026-11-01 00:30\" AND id not in (1, 2, 3, 4) ORDER BY updated ASC"
        );
    }

    #[test]
    fn an_implausible_updated_neither_lifts_the_floor_nor_is_served_again() {
        let mut w = walk();
        w.request();
        let page = [
            issue(10001, "2026-09-15T08:01:00.000+0000"),
            issue(10002, "9999-01-01T00:00:00.000+0000"),
            issue(10003, "1970-01-01T00:00:00.000+0000"),
        ];
        assert_eq!(w.after(&page, Some("t".into()), None), Ok(Next::More));
        assert_eq!(
            w.request().0,
            "updated >= \"2026-09-15 08:01\" AND id not in (10001, 10002, 10003) ORDER BY updated ASC",
            "the year 9999 did not move the floor past the issues still to come"
        );
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
