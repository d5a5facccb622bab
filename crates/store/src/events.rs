//! The `events` collection: idempotent bulk ingestion, the Events page query and the oldest-first
//! read behind exports.
//!
//! Ingestion is insert-if-absent by natural `_id` (`<deployment>:<product>:<source id>`): source
//! records are immutable, so writing the same record again must leave the stored document exactly
//! as it was. An unordered `insert_many` whose duplicate-key rejections are counted, not raised,
//! gives that — the `$setOnInsert` upsert semantics — at raw-insert speed.
//!
//! Listing is keyset-paginated over `(occurred_at, _id)` descending, so page N costs the same as
//! page 1. A TTL index on `occurred_at` is the only way an event is ever removed.

mod classification;
mod oldest_first;
mod planning;
mod vocabulary_gaps;
mod windows;

pub use classification::ReclassificationPlan;
pub use planning::{find_plan, page_windows, query, FindPlan};
pub use vocabulary_gaps::UnmappedAction;
pub use windows::{FieldValue, IngestMark};

use super::{StoreError, EVENTS};
use bson::{doc, Bson, Document};
use chrono::Utc;
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

/// The keyset order with no other filter: `{occurred_at: -1, _id: -1}`.
const NEWEST_FIRST: &str = "newest_first";

/// One index per filterable field, `(field, occurred_at -1, _id -1)`, by stored field.
pub const FILTER_INDEXES: [(&str, &str); 7] = [
    ("product", "product_newest"),
    ("pipeline", "pipeline_newest"),
    ("category", "category_newest"),
    ("severity", "severity_newest"),
    ("operation", "operation_newest"),
    ("actor_id", "actor_newest"),
    ("ip_key", "ip_newest"),
];

/// Filter indexes of earlier versions, `(field, occurred_at)` without `_id`, so the keyset sort
/// was never read off them; dropped at start-up.
const RETIRED_INDEXES: [&str; 5] = [
    "product_time",
    "category_severity_time",
    "operation_time",
    "actor_time",
    "ip_time",
];

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
    /// Documents stored before events carried a country read back without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    /// What free text is matched against: see [`search_text`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    search: Option<String>,
    raw: Bson,
}

/// What free text is matched against (the operation and the object's name, lower-cased). Free
/// text is matched case-sensitively against this one field with the text lower-cased: SecantusDB
/// compiles a case-insensitive pattern again for every document, which is about thirty times
/// slower, and one field is tested instead of two. Defined in `domain`, where the rules'
/// in-memory matching uses it too.
pub use domain::filter::search_text;

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
            country: e.country.clone(),
            search: Some(search_text(
                e.operation.as_str(),
                e.object_ref.as_ref().and_then(|o| o.name.as_deref()),
            )),
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
            country: d.country,
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

/// One group of [`EventStore::hourly_groups`]: the events of one kind and person in one UTC hour.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HourGroup {
    /// What the events share.
    #[serde(rename = "_id")]
    pub(crate) key: HourGroupKey,
    /// How many there are (an integer of whichever width the server chose).
    pub(crate) count: Bson,
}

/// The key of an [`HourGroup`].
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HourGroupKey {
    pub(crate) deployment: DeploymentId,
    pub(crate) product: Product,
    pub(crate) pipeline: Pipeline,
    pub(crate) category: Category,
    pub(crate) severity: Severity,
    pub(crate) operation: Operation,
    /// The acting person; absent or null for events without one.
    #[serde(default)]
    pub(crate) person: Option<PersonId>,
    /// The UTC hour, 0 to 23.
    pub(crate) hour: Bson,
}

/// The `events` collection.
#[derive(Debug, Clone)]
pub struct EventStore {
    db: mongodb::Database,
    coll: Collection<EventDoc>,
}

impl EventStore {
    /// Opens the collection.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            db: db.clone(),
            coll: db.collection(EVENTS),
        }
    }

    /// Creates the listing and filter indexes and the retention TTL index, and drops the filter
    /// indexes they replaced. A changed retention replaces the TTL index.
    ///
    /// Every filter index is `(field, occurred_at -1, _id -1)`: an equality on its field leaves the
    /// keyset order `{occurred_at: -1, _id: -1}` to be read straight off the index, so a page
    /// examines about as many documents as it shows however rare the value is, and the planner
    /// never has to weigh a blocking sort of every match against walking `newest_first` and
    /// filtering (which, for a value nobody used, walks the whole time range). See
    /// [`FILTER_INDEXES`] and the README's "Indexes" section.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self, retention_days: u32) -> Result<(), StoreError> {
        let keyed = crate::named_index;
        let mut models = vec![
            keyed(doc! { "occurred_at": -1, "_id": -1 }, NEWEST_FIRST),
            // The rollup rebuild reads one stream's day.
            keyed(
                doc! { "deployment": 1, "product": 1, "pipeline": 1, "occurred_at": -1 },
                "source_time",
            ),
            // Rule evaluation reads what was stored since its watermark.
            keyed(doc! { "ingested_at": 1, "_id": 1 }, "ingested_order"),
        ];
        for (field, name) in FILTER_INDEXES {
            models.push(keyed(doc! { field: 1, "occurred_at": -1, "_id": -1 }, name));
        }
        self.coll.create_indexes(models).await?;
        for name in RETIRED_INDEXES {
            if let Err(e) = self.coll.drop_index(name).await {
                // 27 IndexNotFound: never created here, or already dropped.
                let absent = matches!(e.kind.as_ref(), mongodb::error::ErrorKind::Command(c) if c.code == 27);
                if !absent {
                    return Err(e.into());
                }
            }
        }
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
        let fresh = self.insert_each(events).await?;
        let inserted = fresh.iter().filter(|f| **f).count() as u64;
        Ok(InsertOutcome {
            inserted,
            duplicates: fresh.len() as u64 - inserted,
        })
    }

    /// Like [`EventStore::insert_new`], saying for each event whether it was new (`true`) or
    /// already stored (`false`): what the ingest API answers per record.
    ///
    /// # Errors
    /// Any write error other than a duplicate key.
    pub async fn insert_each(&self, events: &[Event]) -> Result<Vec<bool>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let docs: Vec<EventDoc> = events.iter().map(EventDoc::from).collect();
        let mut fresh = vec![true; docs.len()];
        match self.coll.insert_many(docs).ordered(false).await {
            Ok(_) => {}
            Err(e) => {
                let indexes = duplicate_indexes(&e).ok_or(e)?;
                for i in indexes {
                    if let Some(f) = fresh.get_mut(i) {
                        *f = false;
                    }
                }
            }
        }
        Ok(fresh)
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
        let mut docs: Vec<EventDoc> = Vec::new();
        for window in page_windows(filter, cursor, Utc::now()) {
            let plan = find_plan(&window, actors, cursor, size);
            let wanted = plan.limit - docs.len() as i64;
            let found: Vec<EventDoc> = self
                .coll
                .find(plan.filter)
                .sort(plan.sort)
                .limit(wanted)
                .await?
                .try_collect()
                .await?;
            docs.extend(found);
            if docs.len() as i64 > limit {
                break;
            }
        }
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

    /// How many events match `filter` (with the team already resolved to `actors`), counted in
    /// the database: for totals the daily rollups cannot give (an address or free text, hours at
    /// the edges of a range). Served by the same indexes as [`Self::page`].
    ///
    /// This sends the `count` command with [`query`] rather than `count_documents` (an
    /// aggregation). A filter on one field, with or without a time range, is counted from index
    /// keys alone (`COUNT_SCAN`); with no filter at all mongod answers `count` from the
    /// collection's size, where the aggregation would read every event; and SecantusDB's
    /// `explain` plans only the command as a count, so `tests/explain.rs` can prove the above.
    ///
    /// # Errors
    /// A database error, or a reply without a count.
    pub async fn count_matching(
        &self,
        filter: &EventFilter,
        actors: &ActorScope,
    ) -> Result<u64, StoreError> {
        let reply = self
            .db
            .run_command(doc! { "count": EVENTS, "query": query(filter, actors, None) })
            .await?;
        super::reply_count(reply.get("n")).ok_or_else(|| {
            StoreError::corrupt(EVENTS, format!("count replied without a count: {reply}"))
        })
    }

    /// Gives events stored by earlier versions their free-text field; returns how many.
    ///
    /// # Errors
    /// A database error.
    pub async fn upgrade(&self) -> Result<u64, StoreError> {
        let raw = self.coll.clone_with_type::<Document>();
        let mut done = 0;
        loop {
            let batch: Vec<Document> = raw
                .find(doc! { "search": { "$exists": false } })
                .projection(doc! { "operation": 1, "object_ref.name": 1 })
                .limit(1_000)
                .await?
                .try_collect()
                .await?;
            if batch.is_empty() {
                break;
            }
            for d in &batch {
                let name = d
                    .get_document("object_ref")
                    .ok()
                    .and_then(|o| o.get_str("name").ok());
                let text = search_text(d.get_str("operation").unwrap_or_default(), name);
                raw.update_one(
                    doc! { "_id": d.get("_id").cloned().unwrap_or(Bson::Null) },
                    doc! { "$set": { "search": text } },
                )
                .await?;
            }
            done += batch.len() as u64;
        }
        if done > 0 {
            tracing::info!(events = done, "gave older events their free-text field");
        }
        Ok(done)
    }

    /// The events matching `matcher` (a day of one rollup slice) counted per deployment, product,
    /// pipeline, category, severity, operation, person and UTC hour: what a day's rollup rows are
    /// rebuilt from. Each group is `{_id: {deployment, product, …, person, hour}, count}`.
    ///
    /// # Errors
    /// A database error.
    pub(crate) async fn hourly_groups(
        &self,
        matcher: Document,
    ) -> Result<mongodb::Cursor<HourGroup>, StoreError> {
        let pipeline = [
            doc! { "$match": matcher },
            doc! { "$group": {
                "_id": {
                    "deployment": "$deployment", "product": "$product", "pipeline": "$pipeline",
                    "category": "$category", "severity": "$severity", "operation": "$operation",
                    "person": "$actor_id", "hour": { "$hour": "$occurred_at" },
                },
                "count": { "$sum": 1 },
            } },
        ];
        Ok(self
            .db
            .collection::<Document>(EVENTS)
            .aggregate(pipeline)
            .with_type::<HourGroup>()
            .await?)
    }

    /// How many events are stored.
    ///
    /// # Errors
    /// A database error.
    pub async fn estimated_count(&self) -> Result<u64, StoreError> {
        Ok(self.coll.estimated_document_count().await?)
    }
}

/// How many writes of a failed unordered `insert_many` were duplicate keys, when nothing else
/// failed (then the batch did what idempotent ingestion wants).
pub(crate) fn duplicate_count(error: &mongodb::error::Error) -> Option<u64> {
    duplicate_indexes(error).map(|i| i.len() as u64)
}

/// The positions, in an unordered bulk insert, of the documents refused as duplicates, when
/// duplicates are all that went wrong.
fn duplicate_indexes(error: &mongodb::error::Error) -> Option<Vec<usize>> {
    match error.kind.as_ref() {
        mongodb::error::ErrorKind::InsertMany(e) if e.write_concern_error.is_none() => {
            let errors = e.write_errors.as_ref()?;
            errors
                .iter()
                .all(|w| w.code == 11000)
                .then(|| errors.iter().map(|w| w.index).collect())
        }
        _ => None,
    }
}
