//! The reads rule evaluation makes of `events`: what was stored since a watermark, in the order it
//! was stored, and one group's events of a filter within a window. Each is bounded by an index
//! (`ingested_order`, or the filter's field index with the time range), so an evaluation costs what
//! the new events and the rule's window hold, never the size of the store.

use super::planning::query;
use super::{ActorScope, EventDoc, EventStore};
use crate::StoreError;
use bson::{doc, Document};
use chrono::{DateTime, Duration, Utc};
use domain::{Event, EventFilter, EventId, Field, IpKey, Pipeline, Product};
use futures::TryStreamExt;
use serde::Deserialize;

/// Where rule evaluation has read up to: the last event's `(ingested_at, _id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestMark {
    /// When it was stored.
    pub ingested_at: DateTime<Utc>,
    /// Its id (breaks ties between events stored in the same millisecond).
    pub id: EventId,
}

/// One value of one field, as a group of a rule's events: `(person, p-…)`, `(ip, 203.0.113.9)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldValue {
    /// The field.
    pub field: Field,
    /// Its value as the event carries it (an address as text).
    pub value: String,
}

impl FieldValue {
    /// The condition on a stored event, or `None` for a field events do not store per event.
    fn condition(&self) -> Option<(&'static str, bson::Bson)> {
        let text = |v: &str| bson::Bson::String(v.to_owned());
        Some(match self.field {
            Field::Person => ("actor_id", text(&self.value)),
            Field::Ip => {
                let ip = self.value.parse().ok()?;
                ("ip_key", text(IpKey::of(ip).as_str()))
            }
            Field::Object => ("object_ref.id", text(&self.value)),
            Field::Container => ("object_ref.container", text(&self.value)),
            Field::Country => ("country", text(&self.value)),
            Field::Operation => ("operation", text(&self.value)),
            Field::Product => ("product", text(&self.value)),
            Field::Stream => return None,
        })
    }
}

#[derive(Deserialize)]
struct MarkOnly {
    #[serde(rename = "_id")]
    id: String,
    ingested_at: bson::DateTime,
}

#[derive(Deserialize)]
struct TimeOnly {
    occurred_at: bson::DateTime,
}

impl EventStore {
    /// Up to `limit` events stored from `from` on, oldest stored first: those stored at or after
    /// its time, or — when it names an event — only those stored strictly after that event.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn ingested_after(
        &self,
        from: Option<(DateTime<Utc>, Option<&EventId>)>,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let filter = match from {
            None => Document::new(),
            Some((at, None)) => doc! { "ingested_at": { "$gte": bson::DateTime::from_chrono(at) } },
            Some((at, Some(id))) => {
                let at = bson::DateTime::from_chrono(at);
                doc! { "$or": [
                    { "ingested_at": { "$gt": at } },
                    { "ingested_at": at, "_id": { "$gt": id.as_str() } },
                ] }
            }
        };
        let docs: Vec<EventDoc> = self
            .coll
            .find(filter)
            .sort(doc! { "ingested_at": 1, "_id": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(Event::try_from).collect()
    }

    /// How many events were stored from `from` to `through`, both included: counted from the
    /// `ingested_order` index keys alone, so a pass can tell cheaply whether a write landed among
    /// events it read before.
    ///
    /// # Errors
    /// A database error, or a reply without a count.
    pub async fn count_stored_between(
        &self,
        from: DateTime<Utc>,
        through: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let query = doc! { "ingested_at": {
            "$gte": bson::DateTime::from_chrono(from),
            "$lte": bson::DateTime::from_chrono(through),
        } };
        let reply = self
            .db
            .run_command(doc! { "count": crate::EVENTS, "query": query })
            .await?;
        crate::reply_count(reply.get("n")).ok_or_else(|| {
            StoreError::corrupt(
                crate::EVENTS,
                format!("count replied without a count: {reply}"),
            )
        })
    }

    /// The newest stored event's mark: where evaluation of a rule created now starts.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn newest_mark(&self, now: DateTime<Utc>) -> Result<Option<IngestMark>, StoreError> {
        // SecantusDB reads every match of a find before sorting them, so the newest of the whole
        // collection would read all of it; the newest is almost always among the recent ones.
        for back in [Some(Duration::minutes(10)), Some(Duration::days(1)), None] {
            let filter = back.map_or_else(Document::new, |b| {
                doc! { "ingested_at": { "$gte": bson::DateTime::from_chrono(now - b) } }
            });
            let newest = self
                .coll
                .clone_with_type::<MarkOnly>()
                .find_one(filter)
                .sort(doc! { "ingested_at": -1, "_id": -1 })
                .projection(doc! { "_id": 1, "ingested_at": 1 })
                .await?;
            if let Some(m) = newest {
                let id =
                    EventId::parse(&m.id).map_err(|e| StoreError::corrupt(crate::EVENTS, e))?;
                return Ok(Some(IngestMark {
                    ingested_at: m.ingested_at.to_chrono(),
                    id,
                }));
            }
        }
        Ok(None)
    }

    fn group_query(
        filter: &EventFilter,
        actors: &ActorScope,
        group: &[FieldValue],
    ) -> Option<Document> {
        let mut q = query(filter, actors, None);
        for g in group {
            let (path, value) = g.condition()?;
            q.insert(path, value);
        }
        Some(q)
    }

    /// Up to `limit` events of `filter` (its time range included) whose fields have the `group`
    /// values, oldest first. A group on a field events do not carry matches nothing.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn group_events(
        &self,
        filter: &EventFilter,
        actors: &ActorScope,
        group: &[FieldValue],
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let Some(q) = Self::group_query(filter, actors, group) else {
            return Ok(Vec::new());
        };
        let docs: Vec<EventDoc> = self
            .coll
            .find(q)
            .sort(doc! { "occurred_at": 1, "_id": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(Event::try_from).collect()
    }

    /// The times of up to `limit` events of `filter` with the `group` values: for baselines,
    /// which count events per window and need nothing else of them.
    ///
    /// # Errors
    /// A database error.
    pub async fn group_times(
        &self,
        filter: &EventFilter,
        actors: &ActorScope,
        group: &[FieldValue],
        limit: i64,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let Some(q) = Self::group_query(filter, actors, group) else {
            return Ok(Vec::new());
        };
        let rows: Vec<TimeOnly> = self
            .coll
            .clone_with_type::<TimeOnly>()
            .find(q)
            .projection(doc! { "_id": 0, "occurred_at": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| r.occurred_at.to_chrono())
            .collect())
    }

    /// Whether an event of `filter` with the `group` values was stored before `(at, id)` and at
    /// or after `since`: has this person used this address in the history window?
    ///
    /// # Errors
    /// A database error.
    pub async fn seen_before(
        &self,
        filter: &EventFilter,
        actors: &ActorScope,
        group: &[FieldValue],
        since: DateTime<Utc>,
        at: DateTime<Utc>,
        id: &EventId,
    ) -> Result<bool, StoreError> {
        let windowed = EventFilter {
            from: Some(since),
            to: None,
            ..filter.clone()
        };
        let Some(mut q) = Self::group_query(&windowed, actors, group) else {
            return Ok(false);
        };
        let at = bson::DateTime::from_chrono(at);
        let earlier = doc! { "$or": [
            { "occurred_at": { "$lt": at } },
            { "occurred_at": at, "_id": { "$lt": id.as_str() } },
        ] };
        match q.get_array_mut("$and") {
            Ok(and) => and.push(earlier.into()),
            Err(_) => {
                q.insert("$and", vec![earlier]);
            }
        }
        Ok(self
            .coll
            .clone_with_type::<bson::Document>()
            .find_one(q)
            .projection(doc! { "_id": 1 })
            .await?
            .is_some())
    }

    /// When the newest event of one stream happened, if it has any: for silent-source rules.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn newest_of_stream(
        &self,
        deployment: &domain::DeploymentId,
        product: Product,
        pipeline: Pipeline,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let newest = self
            .coll
            .clone_with_type::<TimeOnly>()
            .find_one(doc! {
                "deployment": deployment.as_str(),
                "product": product.as_str(),
                "pipeline": pipeline.as_str(),
            })
            .sort(doc! { "occurred_at": -1 })
            .projection(doc! { "_id": 0, "occurred_at": 1 })
            .await?;
        Ok(newest.map(|t| t.occurred_at.to_chrono()))
    }
}
