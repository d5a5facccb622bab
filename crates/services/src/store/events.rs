//! The `events` collection: idempotent bulk ingestion and the Events page query.
//!
//! Ingestion is insert-if-absent by natural `_id` (`<deployment>:<product>:<source id>`): source
//! records are immutable, so writing the same record again must leave the stored document exactly
//! as it was. An unordered `insert_many` whose duplicate-key rejections are counted, not raised,
//! gives that — the `$setOnInsert` upsert semantics — at raw-insert speed.
//!
//! Listing is keyset-paginated over `(occurred_at, _id)` descending, so page N costs the same as
//! page 1. A TTL index on `occurred_at` is the only way an event is ever removed.

use super::{StoreError, EVENTS};
use bson::{doc, Bson, Document};
use domain::{
    Category, DeploymentId, Event, EventFilter, EventId, IpKey, ObjectRef, Operation, PageCursor,
    PageSize, PersonId, Pipeline, Product, Severity,
};
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Name of the TTL index, so a changed retention can replace it.
const TTL_INDEX: &str = "occurred_at_ttl";

/// The stored shape of an [`Event`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventDoc {
    #[serde(rename = "_id")]
    id: String,
    occurred_at: bson::DateTime,
    ingested_at: bson::DateTime,
    deployment: String,
    product: Product,
    pipeline: Pipeline,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor_raw: Option<String>,
    operation: Operation,
    category: Category,
    severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    object_ref: Option<ObjectRefDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_ip: Option<String>,
    /// Sortable form of `source_ip`, so CIDR filters are index range scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip_key: Option<String>,
    raw: Bson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ObjectRefDoc {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    container: Option<String>,
}

impl From<&Event> for EventDoc {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.to_string(),
            occurred_at: bson::DateTime::from_chrono(e.occurred_at),
            ingested_at: bson::DateTime::from_chrono(e.ingested_at),
            deployment: e.deployment.to_string(),
            product: e.product,
            pipeline: e.pipeline,
            actor_id: e.actor_id.as_ref().map(ToString::to_string),
            actor_raw: e.actor_raw.clone(),
            operation: e.operation,
            category: e.category,
            severity: e.severity,
            object_type: e.object_type.clone(),
            object_ref: e.object_ref.as_ref().map(|o| ObjectRefDoc {
                id: o.id.clone(),
                name: o.name.clone(),
                container: o.container.clone(),
            }),
            source_ip: e.source_ip.map(|ip| ip.to_string()),
            ip_key: e.source_ip.map(|ip| IpKey::of(ip).as_str().to_owned()),
            // A JSON value always has a BSON form; `Null` only if serde_json itself fails.
            raw: bson::to_bson(&e.raw).unwrap_or(Bson::Null),
        }
    }
}

impl TryFrom<EventDoc> for Event {
    type Error = StoreError;
    fn try_from(d: EventDoc) -> Result<Self, Self::Error> {
        let corrupt = |reason: String| StoreError::Corrupt {
            collection: EVENTS,
            reason,
        };
        Ok(Event {
            id: EventId::parse(&d.id).map_err(|e| corrupt(e.to_string()))?,
            occurred_at: d.occurred_at.to_chrono(),
            ingested_at: d.ingested_at.to_chrono(),
            deployment: DeploymentId::parse(&d.deployment).map_err(|e| corrupt(e.to_string()))?,
            product: d.product,
            pipeline: d.pipeline,
            actor_id: d
                .actor_id
                .map(|p| PersonId::parse(&p))
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            actor_raw: d.actor_raw,
            operation: d.operation,
            category: d.category,
            severity: d.severity,
            object_type: d.object_type,
            object_ref: d.object_ref.map(|o| ObjectRef {
                id: o.id,
                name: o.name,
                container: o.container,
            }),
            source_ip: d
                .source_ip
                .map(|ip| ip.parse())
                .transpose()
                .map_err(|_| corrupt("source_ip is not an IP address".into()))?,
            raw: d.raw.into_relaxed_extjson(),
        })
    }
}

/// What one bulk write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Records stored for the first time.
    pub inserted: u64,
    /// Records that were already stored (left unchanged).
    pub duplicates: u64,
}

/// One page of the Events list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    /// The events of this page.
    pub events: Vec<Event>,
    /// Where the next (older) page starts, if there is one.
    pub next: Option<PageCursor>,
}

/// Who may have acted, after team membership has been resolved to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorScope {
    /// Anyone.
    Anyone,
    /// Only these people (an empty list matches nothing).
    People(Vec<PersonId>),
}

/// The `events` collection.
#[derive(Debug, Clone)]
pub struct EventStore {
    coll: Collection<EventDoc>,
}

impl EventStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            coll: db.collection(EVENTS),
        }
    }

    /// Creates the listing and filter indexes and the retention TTL index. A changed retention
    /// replaces the TTL index.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self, retention_days: u32) -> Result<(), StoreError> {
        let keyed = |keys: Document, name: &str| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).build())
                .build()
        };
        self.coll
            .create_indexes([
                keyed(doc! { "occurred_at": -1, "_id": -1 }, "newest_first"),
                keyed(doc! { "product": 1, "occurred_at": -1 }, "product_time"),
                keyed(
                    doc! { "category": 1, "severity": 1, "occurred_at": -1 },
                    "category_severity_time",
                ),
                keyed(doc! { "operation": 1, "occurred_at": -1 }, "operation_time"),
                keyed(doc! { "actor_id": 1, "occurred_at": -1 }, "actor_time"),
                keyed(doc! { "ip_key": 1, "occurred_at": -1 }, "ip_time"),
                keyed(
                    doc! { "deployment": 1, "product": 1, "pipeline": 1, "occurred_at": -1 },
                    "source_time",
                ),
            ])
            .await?;
        let ttl = IndexModel::builder()
            .keys(doc! { "occurred_at": 1 })
            .options(
                IndexOptions::builder()
                    .name(TTL_INDEX.to_owned())
                    .expire_after(Duration::from_secs(u64::from(retention_days) * 86_400))
                    .build(),
            )
            .build();
        if let Err(e) = self.coll.create_index(ttl.clone()).await {
            // 85 IndexOptionsConflict / 86 IndexKeySpecsConflict: the retention changed.
            let conflict = matches!(e.kind.as_ref(), mongodb::error::ErrorKind::Command(c) if c.code == 85 || c.code == 86);
            if !conflict {
                return Err(e.into());
            }
            tracing::info!(
                retention.days = retention_days,
                "retention changed; replacing the events TTL index"
            );
            self.coll.drop_index(TTL_INDEX).await?;
            self.coll.create_index(ttl).await?;
        }
        Ok(())
    }

    /// Stores records not stored yet and leaves the others untouched.
    ///
    /// # Errors
    /// Any write error other than a duplicate key.
    pub async fn insert_new(&self, events: &[Event]) -> Result<InsertOutcome, StoreError> {
        if events.is_empty() {
            return Ok(InsertOutcome::default());
        }
        let docs: Vec<EventDoc> = events.iter().map(EventDoc::from).collect();
        let total = docs.len() as u64;
        match self.coll.insert_many(docs).ordered(false).await {
            Ok(result) => Ok(InsertOutcome {
                inserted: result.inserted_ids.len() as u64,
                duplicates: 0,
            }),
            Err(e) => {
                let duplicates = duplicate_count(&e).ok_or(e)?;
                Ok(InsertOutcome {
                    inserted: total - duplicates,
                    duplicates,
                })
            }
        }
    }

    /// One event by id.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn get(&self, id: &EventId) -> Result<Option<Event>, StoreError> {
        self.coll
            .find_one(doc! { "_id": id.as_str() })
            .await?
            .map(Event::try_from)
            .transpose()
    }

    /// A page of events matching `filter` (with the team already resolved to `actors`), newest
    /// first, starting after `cursor`.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn page(
        &self,
        filter: &EventFilter,
        actors: &ActorScope,
        cursor: Option<&PageCursor>,
        size: PageSize,
    ) -> Result<EventPage, StoreError> {
        let limit = i64::from(size.get());
        let docs: Vec<EventDoc> = self
            .coll
            .find(query(filter, actors, cursor))
            .sort(doc! { "occurred_at": -1, "_id": -1 })
            .limit(limit + 1)
            .await?
            .try_collect()
            .await?;
        let mut events = docs
            .into_iter()
            .map(Event::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if events.len() as i64 > limit {
            events.truncate(limit as usize);
            events.last().map(|e| PageCursor {
                occurred_at: e.occurred_at,
                id: e.id.clone(),
            })
        } else {
            None
        };
        Ok(EventPage { events, next })
    }

    /// How many events are stored.
    ///
    /// # Errors
    /// A database error.
    pub async fn estimated_count(&self) -> Result<u64, StoreError> {
        Ok(self.coll.estimated_document_count().await?)
    }
}

/// Duplicates in a failed unordered insert, or `None` if anything else went wrong.
fn duplicate_count(error: &mongodb::error::Error) -> Option<u64> {
    match error.kind.as_ref() {
        mongodb::error::ErrorKind::InsertMany(e) if e.write_concern_error.is_none() => {
            let errors = e.write_errors.as_ref()?;
            errors
                .iter()
                .all(|w| w.code == 11000)
                .then_some(errors.len() as u64)
        }
        _ => None,
    }
}

fn any_of<T: ToString>(values: &[T]) -> Option<Bson> {
    match values {
        [] => None,
        [one] => Some(Bson::String(one.to_string())),
        many => Some(doc! { "$in": many.iter().map(|v| v.to_string()).collect::<Vec<_>>() }.into()),
    }
}

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

/// The MongoDB filter for an [`EventFilter`], an actor scope and a page cursor.
pub(crate) fn query(
    filter: &EventFilter,
    actors: &ActorScope,
    cursor: Option<&PageCursor>,
) -> Document {
    let mut q = Document::new();
    let mut and: Vec<Document> = Vec::new();
    let mut time = Document::new();
    if let Some(from) = filter.from {
        time.insert("$gte", bson::DateTime::from_chrono(from));
    }
    if let Some(to) = filter.to {
        time.insert("$lt", bson::DateTime::from_chrono(to));
    }
    if !time.is_empty() {
        q.insert("occurred_at", time);
    }
    for (field, values) in [
        ("product", any_of(&filter.products)),
        ("pipeline", any_of(&filter.pipelines)),
        ("category", any_of(&filter.categories)),
        ("severity", any_of(&filter.severities)),
        ("operation", any_of(&filter.operations)),
    ] {
        if let Some(v) = values {
            q.insert(field, v);
        }
    }
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
    match people.as_deref() {
        None => {}
        Some([one]) => {
            q.insert("actor_id", one);
        }
        Some(many) => {
            q.insert("actor_id", doc! { "$in": many });
        }
    }
    if let Some(ip) = &filter.ip {
        let (lo, hi) = ip.key_range();
        q.insert("ip_key", doc! { "$gte": lo.as_str(), "$lte": hi.as_str() });
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = bson::Regex {
            pattern: literal_regex(text),
            options: "i".to_owned(),
        };
        and.push(
            doc! { "$or": [ { "operation": pattern.clone() }, { "object_ref.name": pattern } ] },
        );
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
