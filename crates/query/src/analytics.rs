//! The numbers behind the Overview, People and Teams pages, computed from the daily rollups'
//! per-hour counts (never by scanning events): headline figures against the previous range,
//! activity over time by product and by category, top people and operations, the severity mix,
//! and the hour × weekday pattern in the viewer's time zone.
//!
//! A range is counted in whole UTC hours: its start is rounded down and its end up to the hour.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
pub use chrono_tz::Tz;
use domain::time::{ceil_hour, floor_hour};
use domain::{Category, EventFilter, Operation, PersonId, Product, Severity, TeamId};
use std::collections::BTreeMap;
use std::str::FromStr;
pub use store::rollups::Dimension;
use store::rollups::{spans_answer, HourCounts, RollupStore};
use store::StoreError;

/// Headline numbers of one range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Headline {
    /// Events.
    pub events: u64,
    /// Security events.
    pub security: u64,
    /// High-severity events.
    pub high: u64,
    /// Distinct people who acted.
    pub people: u64,
}

/// One bar of a time chart: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC, exclusive).
    pub end: DateTime<Utc>,
}

/// Hourly buckets up to this range length, daily beyond.
const HOURLY_UP_TO: Duration = Duration::hours(48);

/// Everything the Overview shows for one range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// The range shown.
    pub from: DateTime<Utc>,
    /// Its exclusive end.
    pub to: DateTime<Utc>,
    /// This range.
    pub current: Headline,
    /// The range of the same length just before.
    pub previous: Headline,
    /// The time chart's bars (hours for up to two days, else UTC days).
    pub buckets: Vec<Bucket>,
    /// Counts per bucket for each product.
    pub by_product: BTreeMap<Product, Vec<u64>>,
    /// Counts per bucket for each category.
    pub by_category: BTreeMap<Category, Vec<u64>>,
    /// People by activity, busiest first (at most `top`).
    pub top_people: Vec<(PersonId, u64)>,
    /// Operations by count, most frequent first (at most `top`).
    pub top_operations: Vec<(Operation, u64)>,
    /// Events per severity, most frequent first.
    pub severities: Vec<(Severity, u64)>,
    /// `[weekday from Monday][hour]` in the chosen zone.
    pub heatmap: [[u64; 24]; 7],
    /// For each heatmap cell, the latest UTC hour in the range that falls in it.
    pub heatmap_latest: [[Option<DateTime<Utc>>; 24]; 7],
}

/// The chart buckets of `[from, to)`.
pub fn buckets(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Bucket> {
    let (mut start, step) = if to - from <= HOURLY_UP_TO {
        (floor_hour(from), Duration::hours(1))
    } else {
        (
            domain::time::day_start(from.date_naive()),
            Duration::days(1),
        )
    };
    let mut out = Vec::new();
    while start < to {
        out.push(Bucket {
            start,
            end: start + step,
        });
        start += step;
    }
    out
}

fn bucket_of(buckets: &[Bucket], t: DateTime<Utc>) -> Option<usize> {
    let i = buckets.partition_point(|b| b.end <= t);
    (i < buckets.len() && buckets[i].start <= t).then_some(i)
}

/// Sums per key over the hours overlapping `[from, to)`.
fn per_key(
    counts: &[HourCounts],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<Option<String>, u64> {
    let mut out = BTreeMap::new();
    for c in counts {
        let n: u64 = c.overlapping(from, to).map(|(_, n)| n).sum();
        if n > 0 {
            *out.entry(c.key.clone()).or_insert(0) += n;
        }
    }
    out
}

fn headline(
    [products, categories, severities]: [&[HourCounts]; 3],
    people: &BTreeMap<Option<String>, u64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Headline {
    let of = |c: &[HourCounts], key: &str| {
        per_key(c, from, to)
            .get(&Some(key.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    Headline {
        events: per_key(products, from, to).values().sum(),
        security: of(categories, Category::Security.as_str()),
        high: of(severities, Severity::High.as_str()),
        people: people.keys().filter(|k| k.is_some()).count() as u64,
    }
}

/// A rollup key as its type. A key that does not parse (a value this build's vocabulary no longer
/// has) is left out of the figures, with a warning, rather than failing the page.
fn typed<K>(key: &str, parse: impl Fn(&str) -> Option<K>) -> Option<K> {
    let parsed = parse(key);
    if parsed.is_none() {
        tracing::warn!(
            rollup.key = key,
            "a rollup key is not a known value; left out"
        );
    }
    parsed
}

/// The keys by count, most first (ties in key order), at most `top`.
fn ranked<K>(
    map: BTreeMap<Option<String>, u64>,
    top: usize,
    parse: impl Fn(&str) -> Option<K>,
) -> Vec<(K, u64)> {
    let mut v: Vec<(String, u64)> = map.into_iter().filter_map(|(k, n)| Some((k?, n))).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter()
        .filter_map(|(k, n)| Some((typed(&k, &parse)?, n)))
        .take(top)
        .collect()
}

fn series<K: Ord + Clone + FromStr>(
    counts: &[HourCounts],
    buckets: &[Bucket],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<K, Vec<u64>> {
    let mut out: BTreeMap<K, Vec<u64>> = BTreeMap::new();
    for c in counts {
        let Some(key) = c
            .key
            .as_deref()
            .and_then(|k| typed(k, |k| k.parse::<K>().ok()))
        else {
            continue;
        };
        for (start, n) in c.overlapping(from, to) {
            if let Some(i) = bucket_of(buckets, start.max(from)) {
                out.entry(key.clone())
                    .or_insert_with(|| vec![0; buckets.len()])[i] += n;
            }
        }
    }
    out
}

impl Overview {
    /// The Overview of `[from, to)`, widened to whole hours, for events matching the rest of
    /// `filter` (which the rollups must be able to answer), with at most `top` people and
    /// operations, and the heatmap in `tz`.
    ///
    /// # Errors
    /// A database error.
    #[tracing::instrument(
        name = "overview",
        skip_all,
        fields(overview.hours = (to - from).num_hours(), overview.zone = %tz),
        err
    )]
    pub async fn compute(
        rollups: &RollupStore,
        filter: &EventFilter,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tz: Tz,
        top: usize,
    ) -> Result<Self, StoreError> {
        let (from, to) = (floor_hour(from), ceil_hour(to));
        let before = from - (to - from);
        let people = |from, to| async move {
            if spans_answer(filter) {
                let totals = rollups.person_totals(from, to).await?;
                Ok(totals.into_iter().map(|(p, t)| (p, t.events)).collect())
            } else {
                rollups.totals_by(filter, from, to, Dimension::Person).await
            }
        };
        let dims = [
            Dimension::Product,
            Dimension::Category,
            Dimension::Severity,
            Dimension::Operation,
        ];
        let (grouped, people_now, people_before) = futures::try_join!(
            rollups.hour_counts_by(filter, None, Some(before), Some(to), &dims),
            people(from, to),
            people(before, from),
        )?;
        let mut grouped = grouped.into_iter();
        let mut next = || grouped.next().unwrap_or_default();
        let (products, categories, severities, operations) = (next(), next(), next(), next());
        let all = [&products[..], &categories[..], &severities[..]];
        let buckets = buckets(from, to);
        let mut heatmap = [[0u64; 24]; 7];
        let mut heatmap_latest = [[None; 24]; 7];
        for c in &products {
            for (start, n) in c.overlapping(from, to) {
                let local = start.with_timezone(&tz);
                let (d, h) = (
                    local.weekday().num_days_from_monday() as usize,
                    local.hour() as usize,
                );
                heatmap[d][h] += n;
                let latest = &mut heatmap_latest[d][h];
                if latest.is_none_or(|t| t < start) {
                    *latest = Some(start);
                }
            }
        }
        Ok(Self {
            from,
            to,
            current: headline(all, &people_now, from, to),
            previous: headline(all, &people_before, before, from),
            by_product: series(&products, &buckets, from, to),
            by_category: series(&categories, &buckets, from, to),
            buckets,
            top_people: ranked(people_now, top, |k| PersonId::parse(k).ok()),
            top_operations: ranked(per_key(&operations, from, to), top, |k| k.parse().ok()),
            severities: ranked(per_key(&severities, from, to), usize::MAX, |k| {
                k.parse().ok()
            }),
            heatmap,
            heatmap_latest,
        })
    }
}

/// What a ranking is by: a person or a team, named by its id in the rollups.
pub trait RankedBy: Sized + Clone + Eq + std::hash::Hash + Ord {
    /// The rollup dimension holding these ids.
    const DIMENSION: Dimension;
    /// The id a rollup key names, if it is one.
    fn from_key(key: &str) -> Option<Self>;
}

impl RankedBy for PersonId {
    const DIMENSION: Dimension = Dimension::Person;
    fn from_key(key: &str) -> Option<Self> {
        PersonId::parse(key).ok()
    }
}

impl RankedBy for TeamId {
    const DIMENSION: Dimension = Dimension::Team;
    fn from_key(key: &str) -> Option<Self> {
        TeamId::parse(key).ok()
    }
}

/// One person's or team's activity over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity<Id> {
    /// Who.
    pub id: Id,
    /// Their events.
    pub events: u64,
    /// Their security events.
    pub security: u64,
}

/// Activity of each person or team (`Id`) over `[from, to)`, widened to whole hours, busiest
/// first (ties by id). Rollup keys that are not an `Id` are skipped.
///
/// # Errors
/// A database error.
pub async fn ranking<Id: RankedBy>(
    rollups: &RollupStore,
    filter: &EventFilter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Activity<Id>>, StoreError> {
    let (from, to) = (floor_hour(from), ceil_hour(to));
    let by = Id::DIMENSION;
    let counted: Vec<(Option<String>, u64, u64)> = if spans_answer(filter) {
        match by {
            Dimension::Person => rollups
                .person_totals(from, to)
                .await?
                .into_iter()
                .map(|(k, t)| (k, t.events, t.security))
                .collect(),
            _ => rollups
                .team_totals(from, to)
                .await?
                .into_iter()
                .map(|(k, t)| (Some(k), t.events, t.security))
                .collect(),
        }
    } else {
        let security_filter = EventFilter {
            categories: vec![domain::Category::Security],
            ..filter.clone()
        };
        let (all, security) = futures::try_join!(
            rollups.totals_by(filter, from, to, by),
            rollups.totals_by(&security_filter, from, to, by),
        )?;
        all.into_iter()
            .map(|(k, n)| {
                let s = security.get(&k).copied().unwrap_or(0);
                (k, n, s)
            })
            .collect()
    };
    let mut out: Vec<Activity<Id>> = counted
        .into_iter()
        .filter_map(|(k, events, security)| {
            Some(Activity {
                id: Id::from_key(k.as_deref()?)?,
                events,
                security,
            })
        })
        .collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn short_ranges_chart_hours_and_long_ranges_chart_days() {
        let hourly = buckets(t("2026-03-01T10:30:00Z"), t("2026-03-02T10:30:00Z"));
        assert_eq!(hourly.len(), 25);
        assert_eq!(hourly[0].start, t("2026-03-01T10:00:00Z"));
        let daily = buckets(t("2026-03-01T10:30:00Z"), t("2026-03-08T10:30:00Z"));
        assert_eq!(daily.len(), 8);
        assert_eq!(daily[7].start, t("2026-03-08T00:00:00Z"));
        assert_eq!(bucket_of(&daily, t("2026-03-08T09:00:00Z")), Some(7));
        assert_eq!(bucket_of(&daily, t("2026-03-09T00:00:00Z")), None);
    }
}
