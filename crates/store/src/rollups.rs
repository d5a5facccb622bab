//! The `rollups_daily` collection: deterministic event counts per UTC day × deployment × product ×
//! pipeline × category × severity × operation × person, each row carrying the person's teams and
//! its count split over the day's 24 UTC hours (`hours`), so hour-exact ranges, hourly charts and
//! the hour × weekday heatmap in any time zone need no event scan. The Overview's charts and KPIs
//! read these rows instead of scanning events.
//!
//! Rows are never incremented in place: a (day, stream) slice is recomputed from `events` and
//! replaced as a whole, after every sync run for the days its window touched and by
//! `atlaslens rollup`. So a rebuild always yields the same documents — same ids, same field order,
//! same values — and reruns and backfills are safe.
//!
//! Team filters match the `teams` array, so an event counts once for each team of its actor and
//! once overall (summing rows without a team filter never double-counts).
//!
//! `rollups_daily_kinds` holds the same rows summed over people — a few dozen per day instead of
//! thousands — and answers every question that names no person or team. Summing per-hour counts
//! costs the database one expression per hour per row, so person-level totals read the plain
//! `count` of the days a range covers wholly and per-hour counts only for its partial first and
//! last days. Without a filter, they read `rollups_people` instead ([`spans`]): each person's
//! count over aligned spans of days, so that long ranges read a few thousand rows.
//!
//! Long because the daily rows, their rebuild and every read of them belong together: a change to
//! the row's shape must change all of them at once. The spans of days live in [`spans`].

mod spans;

pub use spans::{spans_answer, PersonTotal};

use super::{any_of, StoreError, ROLLUPS_DAILY, ROLLUPS_DAILY_KINDS, ROLLUPS_PEOPLE};
use crate::events::EventStore;
use crate::teams::TeamStore;
use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{
    Category, DeploymentId, EventFilter, Operation, PersonId, Pipeline, Product, Severity, TeamId,
};
use futures::{StreamExt, TryStreamExt};
use mongodb::{Collection, IndexModel};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Days (and spans) a rebuild recomputes at once: the database works on one while the next is
/// read or written (on 2 cores, 60 days of an import took 4.6 s one at a time).
pub(crate) const CONCURRENT_REBUILDS: usize = 3;

/// Which events a rebuild covers within a day: everything, or one deployment's stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupScope {
    /// Only this deployment.
    pub deployment: Option<DeploymentId>,
    /// Only this product.
    pub product: Option<Product>,
    /// Only this pipeline.
    pub pipeline: Option<Pipeline>,
}

impl RollupScope {
    /// One stream's events: what a sync run of it can have added.
    pub fn stream(deployment: DeploymentId, product: Product, pipeline: Pipeline) -> Self {
        Self {
            deployment: Some(deployment),
            product: Some(product),
            pipeline: Some(pipeline),
        }
    }

    fn filter(&self) -> Document {
        let mut f = Document::new();
        if let Some(d) = &self.deployment {
            f.insert("deployment", d.as_str());
        }
        if let Some(p) = self.product {
            f.insert("product", p.as_str());
        }
        if let Some(p) = self.pipeline {
            f.insert("pipeline", p.as_str());
        }
        f
    }
}

/// The `rollups_daily` collection.
#[derive(Debug, Clone)]
pub struct RollupStore {
    rollups: Collection<Document>,
    kinds: Collection<Document>,
    spans: Collection<Document>,
    /// The owner of the events the rows count.
    events: EventStore,
    /// The owner of the memberships each person's rows are stamped with.
    teams: TeamStore,
}

use domain::time::day_start;

/// A half-open time range `[start, end)`.
type Interval = (DateTime<Utc>, DateTime<Utc>);

/// `[from, to)` split into the whole UTC days it covers (`None` if none) and the partial days at
/// either end (or the one partial day a short range lies in), which are read hour by hour.
fn split_days(from: DateTime<Utc>, to: DateTime<Utc>) -> (Option<Interval>, Vec<Interval>) {
    let first_whole = if day_start(from.date_naive()) == from {
        from
    } else {
        day_start(from.date_naive()) + Duration::days(1)
    };
    let last_whole = day_start(to.date_naive()).max(first_whole);
    let whole = (first_whole < last_whole).then_some((first_whole, last_whole));
    let edges = [(from, first_whole.min(to)), (last_whole, to)]
        .into_iter()
        .filter(|(a, b)| a < b)
        .collect();
    (whole, edges)
}

/// A row's 24 per-hour counts from its array `field`.
fn hour_array(row: &Document, field: &str) -> Result<[u64; 24], StoreError> {
    let listed = row
        .get_array(field)
        .map_err(|e| corrupt(format!("a rollup row's {field}: {e}")))?;
    let mut hours = [0u64; 24];
    for (slot, n) in hours.iter_mut().zip(listed) {
        *slot = number(Some(n)).map_or(0, |n| n.max(0) as u64);
    }
    Ok(hours)
}

/// Every UTC day that `[from, to)` touches.
pub fn days_touched(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<NaiveDate> {
    let last = (to - Duration::nanoseconds(1)).date_naive();
    let mut day = from.date_naive();
    let mut out = Vec::new();
    while day <= last {
        out.push(day);
        day = day.succ_opt().expect("a next day");
    }
    out
}

impl RollupStore {
    /// Opens the collections.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            rollups: db.collection(ROLLUPS_DAILY),
            kinds: db.collection(ROLLUPS_DAILY_KINDS),
            spans: db.collection(ROLLUPS_PEOPLE),
            events: EventStore::new(db),
            teams: TeamStore::new(db),
        }
    }

    /// Indexes for replacing slices and for the Overview's range, person and team queries.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.rollups
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "day": 1, "deployment": 1, "product": 1, "pipeline": 1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "person_id": 1, "day": 1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "teams": 1, "day": 1 })
                    .build(),
            ])
            .await?;
        self.kinds
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "day": 1, "deployment": 1, "product": 1, "pipeline": 1 })
                    .build(),
            )
            .await?;
        self.spans
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "span": 1, "start": 1 })
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Recomputes the rows of `days` within `scope` from the events; returns the rows written.
    ///
    /// # Errors
    /// A database error.
    pub async fn rebuild(
        &self,
        days: &[NaiveDate],
        scope: &RollupScope,
    ) -> Result<u64, StoreError> {
        let teams = self.teams.teams_by_person().await?;
        // Each day once: two rebuilds of one day at a time could delete each other's rows.
        let days: Vec<NaiveDate> = days
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let written: Vec<u64> = futures::stream::iter(
            days.iter()
                .copied()
                .map(|day| self.rebuild_day(day, scope, &teams)),
        )
        .buffer_unordered(CONCURRENT_REBUILDS)
        .try_collect()
        .await?;
        self.refresh_spans(&days).await?;
        Ok(written.iter().sum())
    }

    async fn rebuild_day(
        &self,
        day: NaiveDate,
        scope: &RollupScope,
        teams: &BTreeMap<PersonId, BTreeSet<TeamId>>,
    ) -> Result<u64, StoreError> {
        let start = day_start(day);
        let matcher = day_matcher(scope, start);
        // One row per key without the hour; the hour groups fold into its `hours` array.
        let mut folded: BTreeMap<String, RowDoc> = BTreeMap::new();
        let mut cursor = self.events.hourly_groups(matcher).await?;
        while let Some(group) = cursor.try_next().await? {
            let count = number(Some(&group.count)).ok_or_else(|| corrupt("count".into()))?;
            let hour = number(Some(&group.key.hour))
                .and_then(|h| usize::try_from(h).ok())
                .filter(|h| *h < 24)
                .ok_or_else(|| corrupt(format!("hour is {:?}", group.key.hour)))?;
            let k = group.key;
            let id = format!(
                "{day}|{}|{}|{}|{}|{}|{}|{}",
                k.deployment,
                k.product,
                k.pipeline,
                k.category,
                k.severity,
                k.operation,
                k.person.as_ref().map_or("-", PersonId::as_str)
            );
            let row = folded.entry(id.clone()).or_insert_with(|| RowDoc {
                teams: k
                    .person
                    .as_ref()
                    .and_then(|p| teams.get(p))
                    .map(|t| t.iter().cloned().collect())
                    .unwrap_or_default(),
                kind: KindDoc {
                    id,
                    day: bson::DateTime::from_chrono(start),
                    deployment: k.deployment,
                    product: k.product,
                    pipeline: k.pipeline,
                    category: k.category,
                    severity: k.severity,
                    operation: k.operation,
                    count: 0,
                    hours: vec![0; 24],
                },
                person_id: k.person,
            });
            row.kind.hours[hour] += count;
            row.kind.count += count;
        }
        // The same rows summed over people.
        let mut kinds: BTreeMap<String, KindDoc> = BTreeMap::new();
        for row in folded.values() {
            let id = row
                .kind
                .id
                .rsplit_once('|')
                .map_or(row.kind.id.as_str(), |(k, _)| k)
                .to_owned();
            let kind = kinds.entry(id.clone()).or_insert_with(|| KindDoc {
                id,
                count: 0,
                hours: vec![0; 24],
                ..row.kind.clone()
            });
            kind.count += row.kind.count;
            for (sum, n) in kind.hours.iter_mut().zip(&row.kind.hours) {
                *sum += n;
            }
        }
        // BTreeMap order is `_id` order, so a rebuild writes the same rows in the same order.
        let rows: Vec<RowDoc> = folded.into_values().collect();
        let kinds: Vec<KindDoc> = kinds.into_values().collect();
        let mut slice = scope.filter();
        slice.insert("day", bson::DateTime::from_chrono(start));
        let written = rows.len() as u64;
        self.rollups.delete_many(slice.clone()).await?;
        replace_slice(&self.rollups.clone_with_type::<RowDoc>(), rows).await?;
        self.kinds.delete_many(slice).await?;
        replace_slice(&self.kinds.clone_with_type::<KindDoc>(), kinds).await?;
        Ok(written)
    }
}

/// The events of one UTC day within `scope`. A whole stream is read through `source_time`
/// (its three fields, then the day). A wider scope — a deployment's events of every product, as
/// an import touches — puts the day first: SecantusDB reads a filter through the first of its
/// fields that has an index when no index covers its equalities and the range, and through
/// `source_time` by the deployment alone that is every event of the deployment, for each day
/// (measured on 0.5.3-beta.196: 280 ms a day of 1,700 events among 100,000; 40 ms with the day
/// first). mongod's planner is indifferent to the order.
fn day_matcher(scope: &RollupScope, start: DateTime<Utc>) -> Document {
    let day = doc! {
        "occurred_at": {
            "$gte": bson::DateTime::from_chrono(start),
            "$lt": bson::DateTime::from_chrono(start + Duration::days(1)),
        }
    };
    let whole_stream =
        scope.deployment.is_some() && scope.product.is_some() && scope.pipeline.is_some();
    let (mut first, rest) = if whole_stream {
        (scope.filter(), day)
    } else {
        (day, scope.filter())
    };
    first.extend(rest);
    first
}

/// Writes a rebuilt slice's rows (after its old rows were deleted).
async fn replace_slice<T: Serialize + Send + Sync>(
    collection: &Collection<T>,
    rows: Vec<T>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    match collection.insert_many(rows).ordered(false).await {
        Ok(_) => Ok(()),
        // A concurrent rebuild of an overlapping slice wrote the same rows first.
        Err(e) if super::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A `rollups_daily_kinds` row as written: one day's events of one deployment, product, pipeline,
/// category, severity and operation, whoever acted, per UTC hour. Also the leading fields of a
/// [`RowDoc`], in the same order.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct KindDoc {
    #[serde(rename = "_id")]
    id: String,
    day: bson::DateTime,
    deployment: DeploymentId,
    product: Product,
    pipeline: Pipeline,
    category: Category,
    severity: Severity,
    operation: Operation,
    count: i64,
    hours: Vec<i64>,
}

/// A `rollups_daily` row as written: a [`KindDoc`]'s key plus the acting person (null for events
/// without one) and that person's teams when the row was built.
#[derive(Debug, Clone, PartialEq)]
struct RowDoc {
    kind: KindDoc,
    person_id: Option<PersonId>,
    teams: Vec<TeamId>,
}

impl Serialize for RowDoc {
    /// Fields in the stored order: `_id`, day, the key, `person_id`, `teams`, `count`, `hours`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let k = &self.kind;
        let mut row = serializer.serialize_struct("RowDoc", 12)?;
        row.serialize_field("_id", &k.id)?;
        row.serialize_field("day", &k.day)?;
        row.serialize_field("deployment", &k.deployment)?;
        row.serialize_field("product", &k.product)?;
        row.serialize_field("pipeline", &k.pipeline)?;
        row.serialize_field("category", &k.category)?;
        row.serialize_field("severity", &k.severity)?;
        row.serialize_field("operation", &k.operation)?;
        row.serialize_field("person_id", &self.person_id)?;
        row.serialize_field("teams", &self.teams)?;
        row.serialize_field("count", &k.count)?;
        row.serialize_field("hours", &k.hours)?;
        row.end()
    }
}

/// What rollup counts are grouped by (besides the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Nothing: one total per day.
    Total,
    /// The product.
    Product,
    /// The category.
    Category,
    /// The severity.
    Severity,
    /// The operation.
    Operation,
    /// The acting person (`None` for events without one).
    Person,
    /// Each team of the acting person (an event counts once per team).
    Team,
}

impl Dimension {
    /// The rollup row's field holding the value, if any.
    fn stored(self) -> Option<&'static str> {
        self.field().map(|f| &f[1..])
    }

    /// The field as an aggregation expression.
    fn field(self) -> Option<&'static str> {
        match self {
            Self::Total => None,
            Self::Product => Some("$product"),
            Self::Category => Some("$category"),
            Self::Severity => Some("$severity"),
            Self::Operation => Some("$operation"),
            Self::Person => Some("$person_id"),
            Self::Team => Some("$teams"),
        }
    }
}

/// One day's counts for one value of a [`Dimension`], per UTC hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCounts {
    /// The UTC day.
    pub day: NaiveDate,
    /// The dimension's value (`None` for [`Dimension::Total`] and events without a person).
    pub key: Option<String>,
    /// Counts per UTC hour of the day.
    pub hours: [u64; 24],
}

impl HourCounts {
    /// The start of hour `h` of this day.
    pub fn hour_start(&self, h: usize) -> DateTime<Utc> {
        day_start(self.day) + Duration::hours(h as i64)
    }

    /// The hours (start, count) that overlap `[from, to)`.
    pub fn overlapping(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, u64)> + '_ {
        (0..24)
            .map(|h| (self.hour_start(h), self.hours[h]))
            .filter(move |(start, n)| *n > 0 && *start < to && *start + Duration::hours(1) > from)
    }

    /// The sum over the hours lying wholly inside `[from, to)` (either bound open when `None`).
    pub fn inside(&self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> u64 {
        (0..24)
            .filter(|h| {
                let start = self.hour_start(*h);
                from.is_none_or(|f| start >= f)
                    && to.is_none_or(|t| start + Duration::hours(1) <= t)
            })
            .map(|h| self.hours[h])
            .sum()
    }
}

/// Whether the rollups can answer `filter`: they hold no IP addresses or object names.
pub fn rollups_answer(filter: &EventFilter) -> bool {
    filter.ip.is_none() && filter.text.as_deref().is_none_or(|t| t.trim().is_empty())
}

impl RollupStore {
    /// Per-hour counts of the days overlapping `[from, to)` (open bounds when `None`), for the
    /// rows matching `filter` (which [`rollups_answer`] must accept), grouped by day and `by`.
    ///
    /// # Errors
    /// A database error.
    pub async fn hour_counts(
        &self,
        filter: &EventFilter,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        by: Dimension,
    ) -> Result<Vec<HourCounts>, StoreError> {
        let mut grouped = self.hour_counts_by(filter, None, from, to, &[by]).await?;
        Ok(grouped.pop().unwrap_or_default())
    }

    /// [`Self::hour_counts`] for several dimensions at once, from one read of the rows: the rows
    /// are summed here rather than by the server, which (on SecantusDB) evaluates each of the 24
    /// hour sums for every row of every grouping. With `among` (see `search::actor_scope`), only
    /// those people's rows are read, in place of the filter's person and team: a team as its
    /// current members.
    ///
    /// # Errors
    /// A database error, or a row whose hours are not a list of numbers.
    pub async fn hour_counts_by(
        &self,
        filter: &EventFilter,
        among: Option<&[PersonId]>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        dims: &[Dimension],
    ) -> Result<Vec<Vec<HourCounts>>, StoreError> {
        let mut matcher = row_matcher(filter, from.map(|f| day_start(f.date_naive())), to);
        if let Some(people) = among {
            matcher.remove("teams");
            let ids: Vec<&str> = people.iter().map(PersonId::as_str).collect();
            matcher.insert("person_id", doc! { "$in": ids });
        }
        let personal = filter.person.is_some()
            || filter.team.is_some()
            || among.is_some()
            || dims
                .iter()
                .any(|d| matches!(d, Dimension::Person | Dimension::Team));
        let collection = if personal { &self.rollups } else { &self.kinds };
        let mut projection = doc! { "_id": 0, "day": 1, "hours": 1 };
        for field in dims.iter().filter_map(|d| d.stored()) {
            projection.insert(field, 1);
        }
        type Sums = BTreeMap<(NaiveDate, Option<String>), [u64; 24]>;
        let mut sums: Vec<Sums> = vec![Sums::new(); dims.len()];
        let mut cursor = collection.find(matcher).projection(projection).await?;
        while let Some(row) = cursor.try_next().await? {
            let day = row
                .get_datetime("day")
                .map_err(|e| corrupt(e.to_string()))?
                .to_chrono()
                .date_naive();
            let hours = hour_array(&row, "hours")?;
            for (dim, sums) in dims.iter().zip(sums.iter_mut()) {
                let keys: Vec<Option<String>> = match dim.stored() {
                    None => vec![None],
                    Some("teams") => row
                        .get_array("teams")
                        .map(|teams| {
                            teams
                                .iter()
                                .filter_map(|t| t.as_str().map(|t| Some(t.to_owned())))
                                .collect()
                        })
                        .unwrap_or_default(),
                    Some(field) => vec![row.get_str(field).ok().map(str::to_owned)],
                };
                for key in keys {
                    let slot = sums.entry((day, key)).or_insert([0; 24]);
                    for (sum, n) in slot.iter_mut().zip(hours) {
                        *sum += n;
                    }
                }
            }
        }
        // `(day, key)` order, as the map holds them.
        Ok(sums
            .into_iter()
            .map(|sums| {
                sums.into_iter()
                    .map(|((day, key), hours)| HourCounts { day, key, hours })
                    .collect()
            })
            .collect())
    }

    /// Events per person or team (`by`) in the whole hours of `[from, to)`, for rows matching
    /// `filter`: the days the range covers wholly from their `count`, its partial first and last
    /// days hour by hour.
    ///
    /// # Errors
    /// A database error.
    pub async fn totals_by(
        &self,
        filter: &EventFilter,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: Dimension,
    ) -> Result<BTreeMap<Option<String>, u64>, StoreError> {
        let (whole, edges) = split_days(from, to);
        let mut out: BTreeMap<Option<String>, u64> = BTreeMap::new();
        if let Some((first_whole, last_whole)) = whole {
            let mut pipeline =
                vec![doc! { "$match": row_matcher(filter, Some(first_whole), Some(last_whole)) }];
            if by == Dimension::Team {
                pipeline.push(doc! { "$unwind": "$teams" });
            }
            let key = by
                .field()
                .map_or(Bson::Null, |f| Bson::String(f.to_owned()));
            pipeline.push(doc! { "$group": { "_id": key, "count": { "$sum": "$count" } } });
            let mut cursor = self.rollups.aggregate(pipeline).await?;
            while let Some(row) = cursor.try_next().await? {
                let key = row.get_str("_id").ok().map(str::to_owned);
                let n = number(row.get("count")).map_or(0, |n| n.max(0) as u64);
                *out.entry(key).or_insert(0) += n;
            }
        }
        for (start, end) in edges {
            for c in self.hour_counts(filter, Some(start), Some(end), by).await? {
                let n: u64 = c.overlapping(start, end).map(|(_, n)| n).sum();
                if n > 0 {
                    *out.entry(c.key).or_insert(0) += n;
                }
            }
        }
        Ok(out)
    }

    /// Rebuilds the days written by an older version: rows without per-hour counts, or days
    /// without their summed-over-people rows or their one-day spans.
    ///
    /// # Errors
    /// A database error.
    pub async fn upgrade(&self) -> Result<u64, StoreError> {
        let days_of = |values: Vec<Bson>| -> BTreeSet<NaiveDate> {
            values
                .into_iter()
                .filter_map(|d| match d {
                    Bson::DateTime(d) => Some(d.to_chrono().date_naive()),
                    _ => None,
                })
                .collect()
        };
        let stale = days_of(
            self.rollups
                .distinct("day", doc! { "hours": { "$exists": false } })
                .await?,
        );
        let all = days_of(self.rollups.distinct("day", doc! {}).await?);
        let summed = days_of(self.kinds.distinct("day", doc! {}).await?);
        let spanned = days_of(self.spans.distinct("start", doc! { "span": 1 }).await?);
        let days: Vec<NaiveDate> = stale
            .into_iter()
            .chain(all.difference(&summed).copied())
            .chain(all.difference(&spanned).copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if days.is_empty() {
            return Ok(0);
        }
        tracing::info!(
            days = days.len(),
            "rebuilding rollups written by an earlier version"
        );
        self.rebuild(&days, &RollupScope::default()).await
    }
}

/// The rows of days in `[from, to)` (open bounds when `None`) that match `filter`.
fn row_matcher(
    filter: &EventFilter,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Document {
    let mut matcher = Document::new();
    if let Some(days) = crate::within(from, to) {
        matcher.insert("day", days);
    }
    let lists = [
        ("product", any_of(&filter.products)),
        ("pipeline", any_of(&filter.pipelines)),
        ("category", any_of(&filter.categories)),
        ("severity", any_of(&filter.severities)),
        ("operation", any_of(&filter.operations)),
    ];
    for (field, matched) in lists {
        if let Some(m) = matched {
            matcher.insert(field, m);
        }
    }
    if let Some(person) = &filter.person {
        matcher.insert("person_id", person.as_str());
    }
    if let Some(team) = &filter.team {
        matcher.insert("teams", team.as_str());
    }
    matcher
}

/// A count or hour in a rollup document (sums come back as 32- or 64-bit, or double).
fn number(value: Option<&Bson>) -> Option<i64> {
    super::reply_count(value).and_then(|n| i64::try_from(n).ok())
}

fn corrupt(reason: String) -> StoreError {
    StoreError::corrupt(ROLLUPS_DAILY, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_touches_each_day_it_overlaps_once() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            days_touched(t("2026-03-01T23:50:00Z"), t("2026-03-02T00:10:00Z")),
            [d("2026-03-01"), d("2026-03-02")]
        );
        // An exclusive end at midnight does not touch the next day.
        assert_eq!(
            days_touched(t("2026-03-01T10:00:00Z"), t("2026-03-02T00:00:00Z")),
            [d("2026-03-01")]
        );
    }
}
