//! `rollups_people`: each person's event count (and security-event count) over aligned spans of
//! 1, 2, 4 … 64 UTC days, so that the Overview's top and active people and the People and Teams
//! rankings over any range read a few hundred rows per span instead of every person-level row of
//! every day.
//!
//! A span of `n` days starts on a day whose number (days since 1970-01-01) is a multiple of `n`.
//! Any run of whole days is the union of at most two spans of each length, so 90 days are read
//! as about ten spans; the partial first and last days of a range come from the one-day spans,
//! which also carry per-hour counts. One-day spans are summed from `rollups_daily`, longer ones
//! from their two halves, and all of them are recomputed whenever a rebuild touches their days,
//! so (like the daily rows) a rebuild writes the same documents every time.
//!
//! These totals know no product, category or other dimension: they serve filters that name none.

use super::{
    corrupt, day_start, hour_array, number, split_days, HourCounts, RollupStore, StoreError,
};
use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{EventFilter, PersonId};
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet};

/// The category counted separately, as the People ranking shows it.
const SECURITY: &str = domain::Category::Security.as_str();

/// Span lengths in days, shortest first; each is twice the one before.
const SPANS: [i64; 7] = [1, 2, 4, 8, 16, 32, 64];

/// Whether [`RollupStore::person_totals`] can answer `filter`: it names nothing but a range.
pub fn spans_answer(filter: &EventFilter) -> bool {
    filter.products.is_empty()
        && filter.pipelines.is_empty()
        && filter.categories.is_empty()
        && filter.severities.is_empty()
        && filter.operations.is_empty()
        && filter.person.is_none()
        && filter.team.is_none()
        && filter.ip.is_none()
        && filter.text.as_deref().is_none_or(|t| t.trim().is_empty())
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")
}

fn day_number(day: NaiveDate) -> i64 {
    (day - epoch()).num_days()
}

fn day_of(number: i64) -> NaiveDate {
    epoch() + Duration::days(number)
}

/// The aligned spans `(length, first day number)` that exactly cover days `[from, to)`, longest
/// first where they fit.
fn cover(mut from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    while from < to {
        let span = SPANS
            .iter()
            .rev()
            .copied()
            .find(|s| from.rem_euclid(*s) == 0 && from + s <= to)
            .unwrap_or(1);
        out.push((span, from));
        from += span;
    }
    out
}

/// One person's counts within one span (and, for one-day spans, per UTC hour).
#[derive(Default)]
struct Tally {
    count: i64,
    security: i64,
    hours: [i64; 24],
    security_hours: [i64; 24],
}

/// A person's events and security events in a range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonTotal {
    /// Every event.
    pub events: u64,
    /// Events in the security category.
    pub security: u64,
}

impl std::ops::AddAssign for PersonTotal {
    fn add_assign(&mut self, other: Self) {
        self.events += other.events;
        self.security += other.security;
    }
}

impl RollupStore {
    /// Recomputes every span that contains one of `days`, shortest first.
    ///
    /// # Errors
    /// A database error.
    pub(super) async fn refresh_spans(&self, days: &[NaiveDate]) -> Result<(), StoreError> {
        let touched: BTreeSet<i64> = days.iter().map(|d| day_number(*d)).collect();
        for span in SPANS {
            let starts: BTreeSet<i64> = touched.iter().map(|d| d - d.rem_euclid(span)).collect();
            // The spans of one length are independent; the next length reads them.
            let _: Vec<()> = futures::stream::iter(starts.into_iter().map(|start| async move {
                let tallies = if span == 1 {
                    self.tally_day(start).await?
                } else {
                    self.tally_halves(span, start).await?
                };
                self.replace_span(span, start, tallies).await
            }))
            .buffer_unordered(super::CONCURRENT_REBUILDS)
            .try_collect()
            .await?;
        }
        Ok(())
    }

    /// Each person's count on one day, from that day's `rollups_daily` rows.
    async fn tally_day(&self, day: i64) -> Result<BTreeMap<Option<String>, Tally>, StoreError> {
        let mut out: BTreeMap<Option<String>, Tally> = BTreeMap::new();
        let mut rows = self
            .rollups
            .find(doc! { "day": bson::DateTime::from_chrono(day_start(day_of(day))) })
            .projection(doc! { "person_id": 1, "category": 1, "hours": 1 })
            .await?;
        while let Some(row) = rows.try_next().await? {
            let tally = out
                .entry(row.get_str("person_id").ok().map(str::to_owned))
                .or_default();
            let security = row.get_str("category") == Ok(SECURITY);
            for (h, n) in hour_array(&row, "hours")?.into_iter().enumerate() {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                tally.hours[h] += n;
                tally.count += n;
                if security {
                    tally.security_hours[h] += n;
                    tally.security += n;
                }
            }
        }
        Ok(out)
    }

    /// Each person's count over a span, from its two halves.
    async fn tally_halves(
        &self,
        span: i64,
        start: i64,
    ) -> Result<BTreeMap<Option<String>, Tally>, StoreError> {
        let half = span / 2;
        let mut out: BTreeMap<Option<String>, Tally> = BTreeMap::new();
        for part in [start, start + half] {
            let mut rows = self.spans.find(span_key(half, part)).await?;
            while let Some(row) = rows.try_next().await? {
                let tally = out
                    .entry(row.get_str("person_id").ok().map(str::to_owned))
                    .or_default();
                tally.count += number(row.get("count")).unwrap_or(0);
                tally.security += number(row.get("security")).unwrap_or(0);
            }
        }
        Ok(out)
    }

    async fn replace_span(
        &self,
        span: i64,
        start: i64,
        tallies: BTreeMap<Option<String>, Tally>,
    ) -> Result<(), StoreError> {
        let first = bson::DateTime::from_chrono(day_start(day_of(start)));
        let rows: Vec<Document> = tallies
            .into_iter()
            .filter(|(_, t)| t.count > 0)
            .map(|(person, t)| {
                let mut row = doc! {
                    "_id": format!("{span}|{}|{}", day_of(start), person.as_deref().unwrap_or("-")),
                    "span": span,
                    "start": first,
                    "person_id": person.map_or(Bson::Null, Bson::String),
                    "count": t.count,
                    "security": t.security,
                };
                if span == 1 {
                    row.insert("hours", t.hours.to_vec());
                    row.insert("security_hours", t.security_hours.to_vec());
                }
                row
            })
            .collect();
        self.spans.delete_many(span_key(span, start)).await?;
        if !rows.is_empty() {
            match self.spans.insert_many(rows).ordered(false).await {
                Ok(_) => {}
                // A concurrent rebuild of the same span wrote the same rows first.
                Err(e) if super::super::is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Events and security events per person (`None`: events without one) in the whole hours of
    /// `[from, to)`, for a filter [`spans_answer`] accepts: the spans covering its whole days, and
    /// the hours of its partial first and last days.
    ///
    /// # Errors
    /// A database error.
    pub async fn person_totals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BTreeMap<Option<String>, PersonTotal>, StoreError> {
        let (whole, edges) = split_days(from, to);
        let whole = whole.map_or_else(Vec::new, |(first, last)| {
            cover(
                day_number(first.date_naive()),
                day_number(last.date_naive()),
            )
        });
        let reads = whole
            .iter()
            .map(|(span, start)| (*span, *start, None))
            .chain(edges.iter().map(|(a, b)| {
                let day = day_number(a.date_naive());
                (1, day, Some((*a, *b)))
            }))
            .map(|(span, start, hours)| self.read_span(span, start, hours));
        let mut out: BTreeMap<Option<String>, PersonTotal> = BTreeMap::new();
        for part in futures::future::try_join_all(reads).await? {
            for (person, n) in part {
                *out.entry(person).or_default() += n;
            }
        }
        out.retain(|_, n| n.events > 0);
        Ok(out)
    }

    /// Midnight of the first day with any rollup, if there is one: where "since the beginning"
    /// starts.
    ///
    /// # Errors
    /// A database error.
    pub async fn first_day(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let first = self
            .spans
            .find_one(doc! { "span": 1 })
            .sort(doc! { "span": 1, "start": 1 })
            .await?;
        first
            .map(|row| {
                row.get_datetime("start")
                    .map(|d| d.to_chrono())
                    .map_err(|e| corrupt(format!("a span's start: {e}")))
            })
            .transpose()
    }

    /// [`Self::person_totals`] summed over each team's current members: an event counts once for
    /// each team of its actor, as in the daily rows (which carry the teams of the last rebuild).
    ///
    /// # Errors
    /// A database error.
    pub async fn team_totals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BTreeMap<String, PersonTotal>, StoreError> {
        let (people, teams) =
            futures::try_join!(self.person_totals(from, to), self.teams.teams_by_person())?;
        let mut out: BTreeMap<String, PersonTotal> = BTreeMap::new();
        for (person, total) in people {
            let person = person.and_then(|p| PersonId::parse(&p).ok());
            for team in person.and_then(|p| teams.get(&p)).into_iter().flatten() {
                *out.entry(team.to_string()).or_default() += total;
            }
        }
        Ok(out)
    }

    /// One span's counts per person; for a one-day span with `hours`, only the hours inside.
    async fn read_span(
        &self,
        span: i64,
        start: i64,
        hours: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<(Option<String>, PersonTotal)>, StoreError> {
        let mut out = Vec::new();
        let mut rows = self.spans.find(span_key(span, start)).await?;
        while let Some(row) = rows.try_next().await? {
            let person = row.get_str("person_id").ok().map(str::to_owned);
            let read = |total: &str, hourly: &str| -> Result<u64, StoreError> {
                Ok(match hours {
                    None => number(row.get(total)).map_or(0, |n| n.max(0) as u64),
                    Some((from, to)) => HourCounts {
                        day: day_of(start),
                        key: None,
                        hours: hour_array(&row, hourly)?,
                    }
                    .inside(Some(from), Some(to)),
                })
            };
            let total = PersonTotal {
                events: read("count", "hours")?,
                security: read("security", "security_hours")?,
            };
            out.push((person, total));
        }
        Ok(out)
    }
}

fn span_key(span: i64, start: i64) -> Document {
    doc! { "span": span, "start": bson::DateTime::from_chrono(day_start(day_of(start))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_days_is_covered_by_aligned_spans_without_gaps_or_overlaps() {
        for (from, to) in [
            (0, 1),
            (3, 4),
            (5, 95),
            (20_400, 20_490),
            (7, 200),
            (64, 128),
        ] {
            let spans = cover(from, to);
            let mut next = from;
            for (span, start) in &spans {
                assert_eq!(*start, next, "contiguous");
                assert_eq!(start.rem_euclid(*span), 0, "aligned");
                next += span;
            }
            assert_eq!(next, to);
            // At most two spans of each shorter length (one on the way up, one on the way down).
            for s in &SPANS[..SPANS.len() - 1] {
                assert!(spans.iter().filter(|(span, _)| span == s).count() <= 2);
            }
        }
        assert_eq!(cover(64, 128), [(64, 64)]);
        assert!(cover(5, 95).len() <= 12);
    }
}
