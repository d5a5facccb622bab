//! The `rollups_daily` collection: deterministic event counts per UTC day × deployment × product ×
//! pipeline × category × severity × operation × person, each row carrying the person's teams. The
//! Overview's charts and KPIs read these rows instead of scanning events.
//!
//! Rows are never incremented in place: a (day, stream) slice is recomputed from `events` and
//! replaced as a whole, after every sync run for the days its window touched and by
//! `atlaslens rollup`. So a rebuild always yields the same documents — same ids, same field order,
//! same values — and reruns and backfills are safe.
//!
//! Team filters match the `teams` array, so an event counts once for each team of its actor and
//! once overall (summing rows without a team filter never double-counts).

use super::{StoreError, EVENTS, GROUP_MEMBERSHIP, ROLLUPS_DAILY};
use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures::TryStreamExt;
use mongodb::{Collection, IndexModel};
use std::collections::{BTreeMap, BTreeSet};

/// Which events a rebuild covers within a day: everything, or one deployment's stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupScope {
    /// Only this deployment.
    pub deployment: Option<String>,
    /// Only this product.
    pub product: Option<String>,
    /// Only this pipeline.
    pub pipeline: Option<String>,
}

impl RollupScope {
    fn filter(&self) -> Document {
        let mut f = Document::new();
        for (key, value) in [
            ("deployment", &self.deployment),
            ("product", &self.product),
            ("pipeline", &self.pipeline),
        ] {
            if let Some(v) = value {
                f.insert(key, v);
            }
        }
        f
    }
}

/// The `rollups_daily` collection.
#[derive(Debug, Clone)]
pub struct RollupStore {
    rollups: Collection<Document>,
    events: Collection<Document>,
    membership: Collection<Document>,
}

/// Midnight UTC of `day`.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
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
            events: db.collection(EVENTS),
            membership: db.collection(GROUP_MEMBERSHIP),
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
        Ok(())
    }

    /// Each person's teams, sorted, for stamping rows.
    async fn teams_by_person(&self) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut cursor = self.membership.find(doc! {}).await?;
        while let Some(m) = cursor.try_next().await? {
            if let (Ok(p), Ok(t)) = (m.get_str("person_id"), m.get_str("team_id")) {
                out.entry(p.to_owned()).or_default().insert(t.to_owned());
            }
        }
        Ok(out)
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
        let teams = self.teams_by_person().await?;
        let mut written = 0;
        for day in days {
            written += self.rebuild_day(*day, scope, &teams).await?;
        }
        Ok(written)
    }

    async fn rebuild_day(
        &self,
        day: NaiveDate,
        scope: &RollupScope,
        teams: &BTreeMap<String, BTreeSet<String>>,
    ) -> Result<u64, StoreError> {
        let start = day_start(day);
        let mut matcher = scope.filter();
        matcher.insert(
            "occurred_at",
            doc! {
                "$gte": bson::DateTime::from_chrono(start),
                "$lt": bson::DateTime::from_chrono(start + Duration::days(1)),
            },
        );
        let pipeline = [
            doc! { "$match": matcher },
            doc! { "$group": {
                "_id": {
                    "deployment": "$deployment", "product": "$product", "pipeline": "$pipeline",
                    "category": "$category", "severity": "$severity", "operation": "$operation",
                    "person": "$actor_id",
                },
                "count": { "$sum": 1 },
            } },
        ];
        let mut rows: Vec<Document> = Vec::new();
        let mut cursor = self.events.aggregate(pipeline).await?;
        while let Some(group) = cursor.try_next().await? {
            let key = group
                .get_document("_id")
                .map_err(|e| corrupt(e.to_string()))?;
            let text = |k: &str| {
                key.get_str(k)
                    .map(str::to_owned)
                    .map_err(|e| corrupt(e.to_string()))
            };
            let person = key.get_str("person").ok().map(str::to_owned);
            let count = match group.get("count") {
                Some(Bson::Int32(n)) => i64::from(*n),
                Some(Bson::Int64(n)) => *n,
                Some(Bson::Double(n)) => *n as i64,
                other => return Err(corrupt(format!("count is {other:?}"))),
            };
            let (deployment, product, pipeline) =
                (text("deployment")?, text("product")?, text("pipeline")?);
            let (category, severity, operation) =
                (text("category")?, text("severity")?, text("operation")?);
            let id = format!(
                "{day}|{deployment}|{product}|{pipeline}|{category}|{severity}|{operation}|{}",
                person.as_deref().unwrap_or("-")
            );
            let person_teams: Vec<String> = person
                .as_ref()
                .and_then(|p| teams.get(p))
                .map(|t| t.iter().cloned().collect())
                .unwrap_or_default();
            rows.push(doc! {
                "_id": id,
                "day": bson::DateTime::from_chrono(start),
                "deployment": deployment,
                "product": product,
                "pipeline": pipeline,
                "category": category,
                "severity": severity,
                "operation": operation,
                "person_id": person.map_or(Bson::Null, Bson::String),
                "teams": person_teams,
                "count": count,
            });
        }
        rows.sort_by(|a, b| a.get_str("_id").ok().cmp(&b.get_str("_id").ok()));
        let mut slice = scope.filter();
        slice.insert("day", bson::DateTime::from_chrono(start));
        self.rollups.delete_many(slice).await?;
        let written = rows.len() as u64;
        if !rows.is_empty() {
            match self.rollups.insert_many(rows).ordered(false).await {
                Ok(_) => {}
                // A concurrent rebuild of an overlapping slice wrote the same rows first.
                Err(e) if super::is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(written)
    }
}

/// Headline numbers over a range of days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Events.
    pub events: i64,
    /// Events in the security category.
    pub security: i64,
    /// High-severity events.
    pub high: i64,
    /// Distinct people who acted.
    pub people: i64,
}

impl RollupStore {
    /// Totals over the UTC days `[first, end)`, from the rollups alone.
    ///
    /// # Errors
    /// A database error.
    pub async fn totals(&self, first: NaiveDate, end: NaiveDate) -> Result<Totals, StoreError> {
        let matcher = doc! { "day": {
            "$gte": bson::DateTime::from_chrono(day_start(first)),
            "$lt": bson::DateTime::from_chrono(day_start(end)),
        } };
        let when = |field: &str, value: &str| {
            doc! { "$sum": { "$cond": [{ "$eq": [format!("${field}"), value] }, "$count", 0] } }
        };
        let pipeline = [
            doc! { "$match": matcher },
            doc! { "$group": {
                "_id": Bson::Null,
                "events": { "$sum": "$count" },
                "security": when("category", "security"),
                "high": when("severity", "high"),
                "people": { "$addToSet": "$person_id" },
            } },
        ];
        let mut cursor = self.rollups.aggregate(pipeline).await?;
        let Some(group) = cursor.try_next().await? else {
            return Ok(Totals::default());
        };
        let number = |key: &str| match group.get(key) {
            Some(Bson::Int32(n)) => i64::from(*n),
            Some(Bson::Int64(n)) => *n,
            Some(Bson::Double(n)) => *n as i64,
            _ => 0,
        };
        let people = group
            .get_array("people")
            .map(|p| p.iter().filter(|v| matches!(v, Bson::String(_))).count() as i64)
            .unwrap_or(0);
        Ok(Totals {
            events: number("events"),
            security: number("security"),
            high: number("high"),
            people,
        })
    }
}

fn corrupt(reason: String) -> StoreError {
    StoreError::Corrupt {
        collection: ROLLUPS_DAILY,
        reason,
    }
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
