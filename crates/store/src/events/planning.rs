//! How the Events query becomes MongoDB requests: the filter document of a filter, and the
//! windows and find a page is read through. Exposed so the `explain` tests check exactly what
//! production sends.

use super::ActorScope;
use crate::any_of;
use bson::{doc, Document};
use chrono::{DateTime, Utc};
use domain::{EventFilter, PageCursor, PageSize};

/// Escapes regex metacharacters so free text is matched literally.
fn literal_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What [`EventStore::page`] sends to the server for one page, exposed so that a test can
/// `explain` exactly the query production runs.
///
/// There is deliberately no index `hint`. Every filter index is `(field, occurred_at -1, _id -1)`
/// ([`FILTER_INDEXES`]), so for any filter the plan that reads the narrowest field's index also
/// returns the keyset order and wins mongod's plan trial on its own. And SecantusDB does not read a
/// hinted index at all: with a `hint` it scans the whole collection for the matching documents
/// (`matching_rows` routes through an index only when no hint is given; measured on
/// 0.5.3-beta.196: a person with 8 events in 30 000 took 0.7 ms unhinted, 18 ms hinted by their
/// own index, the time of an unindexed filter).
#[derive(Debug, Clone, PartialEq)]
pub struct FindPlan {
    /// The filter document: [`query`] with the page's cursor.
    pub filter: Document,
    /// Newest first: `{occurred_at: -1, _id: -1}`, the keyset order.
    pub sort: Document,
    /// One more than the page size, to learn whether another page follows.
    pub limit: i64,
}

/// The find for one page of `filter` (with the team already resolved to `actors`), after `cursor`.
pub fn find_plan(
    filter: &EventFilter,
    actors: &ActorScope,
    cursor: Option<&PageCursor>,
    size: PageSize,
) -> FindPlan {
    FindPlan {
        filter: query(filter, actors, cursor),
        sort: doc! { "occurred_at": -1, "_id": -1 },
        limit: i64::from(size.get()) + 1,
    }
}

/// How far back from the page's start the successive reads of one page reach.
const PAGE_REACH_HOURS: [i64; 5] = [1, 6, 24, 24 * 7, 24 * 30];

/// The longest span over which an address block is read through the time range rather than
/// through its own index. Within a day, the time range costs at most a day's events and a broad
/// block (a whole office network) fills a page within the first hour; beyond it, reading the
/// block once costs no more than its own events, and a block that has not filled a page within a
/// day is a sparse one. [`page_windows`] therefore reads a block's page through the first day's
/// windows and then the rest of the range in one read.
const BLOCK_AFTER_TIME_UP_TO: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// The time windows one page is read through, newest first: the filter narrowed to the hour
/// before the page's start (`cursor`, else `to`, else `now`), then to reaches of 6 hours, a day,
/// a week and a month, then to the rest of its range. A page stops reading as soon as it is
/// full, so a first page over millions of events reads about an hour of them. An address block
/// stops at the day: see [`BLOCK_AFTER_TIME_UP_TO`].
///
/// Why: SecantusDB reads every event a find matches and sorts them before applying the limit,
/// so one unbounded find costs the whole match. mongod would stop after a page either way; the
/// windows cost it at most a few more small reads when matches are sparse. The first window is
/// open above (bounded only by `to` and the cursor), so nothing dated after `now` is skipped.
pub fn page_windows(
    filter: &EventFilter,
    cursor: Option<&PageCursor>,
    now: DateTime<Utc>,
) -> Vec<EventFilter> {
    let start = cursor.map(|c| c.occurred_at).or(filter.to).unwrap_or(now);
    let mut windows = Vec::new();
    let mut upper = filter.to;
    let block = filter.ip.is_some_and(|ip| ip.is_block());
    for hours in PAGE_REACH_HOURS {
        if block && hours > BLOCK_AFTER_TIME_UP_TO.num_hours() {
            break;
        }
        let lower = start - chrono::Duration::hours(hours);
        if filter.from.is_some_and(|f| f >= lower) {
            break;
        }
        windows.push(EventFilter {
            from: Some(lower),
            to: upper,
            ..filter.clone()
        });
        upper = Some(lower);
    }
    windows.push(EventFilter {
        to: upper,
        ..filter.clone()
    });
    windows
}

/// The MongoDB filter for an [`EventFilter`], an actor scope and a page cursor; without a cursor,
/// the filter [`EventStore::count_matching`] counts.
///
/// The order of the fields means nothing to mongod. SecantusDB reads a filter that no one index
/// covers through the first field (in document order) that has an index, so the fields that are
/// usually narrowest come first: person, address (or address block over a long span), operation,
/// severity, then the time range, then a team's people (and an address block over a short span),
/// then the broad product, pipeline and category.
pub fn query(filter: &EventFilter, actors: &ActorScope, cursor: Option<&PageCursor>) -> Document {
    let mut q = Document::new();
    let mut people: Option<Vec<String>> = match actors {
        ActorScope::Anyone => None,
        ActorScope::People(p) => Some(p.iter().map(ToString::to_string).collect()),
    };
    if let Some(person) = &filter.person {
        let person = person.to_string();
        people = Some(match people {
            Some(team) => team.into_iter().filter(|p| *p == person).collect(),
            None => vec![person],
        });
    }
    // Several people (a team) go after the time range: SecantusDB reads an `$in` through its
    // index without the range, which is every event of every member, where the range through
    // the time index is a page's window.
    let mut members = None;
    match people.as_deref() {
        None => {}
        Some([one]) => {
            q.insert("actor_id", one);
        }
        Some(many) => members = Some(doc! { "$in": many }),
    }
    // An exact address is narrow and goes early. A block goes early over a long span, but after
    // the time range over a day or less: SecantusDB reads a key range through its index without
    // the time bounds, so the block costs every event in it whatever the span, where a day costs
    // a day's events. See `BLOCK_AFTER_TIME_UP_TO`.
    let mut block = None;
    if let Some(ip) = &filter.ip {
        let (lo, hi) = ip.key_range();
        if !ip.is_block() {
            q.insert("ip_key", lo.as_str());
        } else {
            let range = doc! { "$gte": lo.as_str(), "$lte": hi.as_str() };
            let upper = cursor
                .map(|c| c.occurred_at)
                .or(filter.to)
                .unwrap_or_else(Utc::now);
            match filter.from {
                Some(from) if upper - from <= BLOCK_AFTER_TIME_UP_TO => block = Some(range),
                _ => {
                    q.insert("ip_key", range);
                }
            }
        }
    }
    for (field, values) in [
        ("operation", any_of(&filter.operations)),
        ("severity", any_of(&filter.severities)),
    ] {
        if let Some(v) = values {
            q.insert(field, v);
        }
    }
    let mut time = Document::new();
    if let Some(from) = filter.from {
        time.insert("$gte", bson::DateTime::from_chrono(from));
    }
    if let Some(to) = filter.to {
        time.insert("$lt", bson::DateTime::from_chrono(to));
    }
    if let Some(c) = cursor {
        // Also a bound on the time range, so that the index scan starts at the cursor instead
        // of reading (and discarding) every newer event; the `$or` below settles the ties.
        time.insert("$lte", bson::DateTime::from_chrono(c.occurred_at));
    }
    if !time.is_empty() {
        q.insert("occurred_at", time);
    }
    if let Some(members) = members {
        q.insert("actor_id", members);
    }
    if let Some(block) = block {
        q.insert("ip_key", block);
    }
    for (field, values) in [
        ("product", any_of(&filter.products)),
        ("pipeline", any_of(&filter.pipelines)),
        ("category", any_of(&filter.categories)),
    ] {
        if let Some(v) = values {
            q.insert(field, v);
        }
    }
    let mut and: Vec<Document> = Vec::new();
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = bson::Regex {
            pattern: literal_regex(&text.to_lowercase()),
            options: String::new(),
        };
        and.push(doc! { "search": pattern });
    }
    if let Some(c) = cursor {
        let at = bson::DateTime::from_chrono(c.occurred_at);
        and.push(doc! { "$or": [
            { "occurred_at": { "$lt": at } },
            { "occurred_at": at, "_id": { "$lt": c.id.as_str() } },
        ] });
    }
    if !and.is_empty() {
        q.insert("$and", and);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::EventId;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_page_reads_growing_windows_back_from_its_start_then_the_rest() {
        let now = t("2026-03-31T12:00:00Z");
        let open = page_windows(&EventFilter::default(), None, now);
        let bounds: Vec<_> = open.iter().map(|w| (w.from, w.to)).collect();
        assert_eq!(
            bounds,
            [
                (Some(t("2026-03-31T11:00:00Z")), None),
                (
                    Some(t("2026-03-31T06:00:00Z")),
                    Some(t("2026-03-31T11:00:00Z"))
                ),
                (
                    Some(t("2026-03-30T12:00:00Z")),
                    Some(t("2026-03-31T06:00:00Z"))
                ),
                (
                    Some(t("2026-03-24T12:00:00Z")),
                    Some(t("2026-03-30T12:00:00Z"))
                ),
                (
                    Some(t("2026-03-01T12:00:00Z")),
                    Some(t("2026-03-24T12:00:00Z"))
                ),
                (None, Some(t("2026-03-01T12:00:00Z"))),
            ]
        );
        // A range shorter than the reaches ends with its own start; a cursor moves the start.
        let day = EventFilter {
            from: Some(t("2026-03-31T00:00:00Z")),
            to: Some(t("2026-03-31T10:00:00Z")),
            ..EventFilter::default()
        };
        let cursor = PageCursor {
            occurred_at: t("2026-03-31T08:30:00Z"),
            id: EventId::parse("acme:jira:r-1").unwrap(),
        };
        let bounds: Vec<_> = page_windows(&day, Some(&cursor), now)
            .iter()
            .map(|w| (w.from, w.to))
            .collect();
        assert_eq!(
            bounds,
            [
                (Some(t("2026-03-31T07:30:00Z")), day.to),
                (
                    Some(t("2026-03-31T02:30:00Z")),
                    Some(t("2026-03-31T07:30:00Z"))
                ),
                (day.from, Some(t("2026-03-31T02:30:00Z"))),
            ]
        );
    }

    /// The first field of the filter document, the one SecantusDB reads through its index.
    fn leading_field(filter: &EventFilter) -> String {
        query(filter, &ActorScope::Anyone, None)
            .keys()
            .next()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn an_address_block_is_read_through_the_time_range_within_a_day_and_through_itself_beyond() {
        let now = t("2026-03-31T12:00:00Z");
        let block = EventFilter {
            ip: Some("10.2.0.0/16".parse().unwrap()),
            ..EventFilter::default()
        };
        // The first day's windows of any filter, then the rest in one read.
        let bounds = |f: &EventFilter| -> Vec<_> {
            page_windows(f, None, now)
                .iter()
                .map(|w| (w.from, w.to))
                .collect()
        };
        let open = bounds(&EventFilter::default());
        let mut expected = open[..3].to_vec();
        expected.push((None, open[2].0));
        assert_eq!(bounds(&block), expected);
        let windows = page_windows(&block, None, now);
        let leading: Vec<_> = windows
            .iter()
            .map(|w| {
                // The open first window is bounded by the real now; pin it for the test.
                let w = EventFilter {
                    to: w.to.or(Some(now)),
                    ..w.clone()
                };
                leading_field(&w)
            })
            .collect();
        assert_eq!(
            leading,
            ["occurred_at", "occurred_at", "occurred_at", "ip_key"]
        );

        // A single address always leads, whatever the span; so does a block with no range.
        let address = EventFilter {
            ip: Some("10.2.0.7".parse().unwrap()),
            from: Some(t("2026-03-31T11:00:00Z")),
            to: Some(now),
            ..EventFilter::default()
        };
        assert_eq!(leading_field(&address), "ip_key");
        let address_anytime = EventFilter {
            from: None,
            to: None,
            ..address.clone()
        };
        assert_eq!(page_windows(&address_anytime, None, now).len(), 6);
        assert_eq!(leading_field(&block), "ip_key");
    }
}
