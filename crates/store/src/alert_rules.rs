//! The `alert_rules` collection (one document per detection rule, the built-in pack included) and
//! `rule_state` (each rule's evaluation watermark and when it last fired).
//!
//! Built-in rules are inserted once, if absent: an administrator's tuning (thresholds, exclusions,
//! switching one off) is never overwritten by a restart, and they cannot be deleted. A rule's
//! `revision` grows with every change, so alerts and previews can say which version fired.

use super::{StoreError, ALERT_RULES, RULE_STATE};
use crate::events::IngestMark;
use bson::doc;
use chrono::{DateTime, Utc};
use domain::{EventId, RuleId, RuleSpec};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

/// A stored rule.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    /// Its id.
    pub id: RuleId,
    /// Shipped with AtlasLens (tunable, not deletable).
    pub builtin: bool,
    /// What it says.
    pub spec: RuleSpec,
    /// Grows with every change.
    pub revision: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who last changed it (`atlaslens` for the built-in pack).
    pub updated_by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RuleDoc {
    #[serde(rename = "_id")]
    id: RuleId,
    builtin: bool,
    spec: RuleSpec,
    revision: i64,
    created_at: bson::DateTime,
    updated_at: bson::DateTime,
    updated_by: String,
}

impl From<RuleDoc> for StoredRule {
    fn from(d: RuleDoc) -> Self {
        Self {
            id: d.id,
            builtin: d.builtin,
            spec: d.spec,
            revision: d.revision,
            created_at: d.created_at.to_chrono(),
            updated_at: d.updated_at.to_chrono(),
            updated_by: d.updated_by,
        }
    }
}

/// A rule's evaluation state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleState {
    /// The last event it has evaluated, in storing order.
    pub watermark: Option<IngestMark>,
    /// The newest event stored when it was created: it never evaluates that one or older ones.
    pub start: Option<IngestMark>,
    /// When it last ran.
    pub evaluated_at: Option<DateTime<Utc>>,
    /// When it last recorded an alert.
    pub last_fired_at: Option<DateTime<Utc>>,
    /// What its memory (`rule_values`, `rule_counts`) was built for, once it has one.
    pub memory: Option<MemoryMark>,
}

/// What a rule's memory was built for: the rule as it selected and counted then (a fingerprint
/// of its filter, kind and exclusions), and the storing time before which events were counted
/// from history rather than by passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryMark {
    /// The rule's fingerprint when its memory was built.
    pub fingerprint: String,
    /// Events stored before this were counted when the memory was built; later ones by passes.
    pub boundary: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    watermark_at: Option<bson::DateTime>,
    #[serde(default)]
    watermark_id: Option<String>,
    #[serde(default)]
    start_at: Option<bson::DateTime>,
    #[serde(default)]
    start_id: Option<String>,
    #[serde(default)]
    evaluated_at: Option<bson::DateTime>,
    #[serde(default)]
    last_fired_at: Option<bson::DateTime>,
    #[serde(default)]
    memory_fingerprint: Option<String>,
    #[serde(default)]
    memory_boundary: Option<bson::DateTime>,
}

/// Why a rule could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum RuleChangeError {
    /// No rule has the id.
    #[error("there is no rule `{0}`")]
    NotFound(RuleId),
    /// A built-in rule cannot be deleted (switch it off instead).
    #[error("`{0}` is a built-in rule: it can be tuned or switched off, not deleted")]
    BuiltIn(RuleId),
    /// A rule with the id exists already.
    #[error("a rule `{0}` exists already")]
    Exists(RuleId),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<mongodb::error::Error> for RuleChangeError {
    fn from(e: mongodb::error::Error) -> Self {
        RuleChangeError::Store(e.into())
    }
}

fn to_doc<T: Serialize>(v: &T) -> Result<bson::Bson, StoreError> {
    bson::to_bson(v).map_err(|e| StoreError::corrupt(ALERT_RULES, e))
}

/// The `alert_rules` and `rule_state` collections.
#[derive(Debug, Clone)]
pub struct RuleStore {
    rules: Collection<RuleDoc>,
    state: Collection<StateDoc>,
}

impl RuleStore {
    /// Opens the collections.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            rules: db.collection(ALERT_RULES),
            state: db.collection(RULE_STATE),
        }
    }

    /// Inserts each built-in rule that is not stored yet; returns how many were added. A rule
    /// already stored is left as it is, tuning included.
    ///
    /// # Errors
    /// A database error.
    pub async fn install_builtin(
        &self,
        pack: &[(RuleId, RuleSpec)],
        newest: Option<&IngestMark>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut added = 0;
        let at = bson::DateTime::from_chrono(now);
        for (id, spec) in pack {
            let r = self
                .rules
                .clone_with_type::<bson::Document>()
                .update_one(
                    doc! { "_id": id.as_str() },
                    doc! { "$setOnInsert": {
                        "builtin": true,
                        "spec": to_doc(spec)?,
                        "revision": 1_i64,
                        "created_at": at,
                        "updated_at": at,
                        "updated_by": "atlaslens",
                    } },
                )
                .upsert(true)
                .await?;
            if r.upserted_id.is_some() {
                // Started now, so a rule installed on an empty store evaluates the first sync
                // whichever runs first, the sync or the first pass.
                self.start(id, newest, now).await?;
                added += 1;
            }
        }
        Ok(added)
    }

    /// Every rule, built-in first, then by name.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn all(&self) -> Result<Vec<StoredRule>, StoreError> {
        let docs: Vec<RuleDoc> = self.rules.find(doc! {}).await?.try_collect().await?;
        let mut rules: Vec<StoredRule> = docs.into_iter().map(StoredRule::from).collect();
        rules.sort_by(|a, b| {
            b.builtin
                .cmp(&a.builtin)
                .then_with(|| a.spec.name.cmp(&b.spec.name))
        });
        Ok(rules)
    }

    /// One rule.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn get(&self, id: &RuleId) -> Result<Option<StoredRule>, StoreError> {
        Ok(self
            .rules
            .find_one(doc! { "_id": id.as_str() })
            .await?
            .map(StoredRule::from))
    }

    /// Stores a new rule.
    ///
    /// # Errors
    /// [`RuleChangeError::Exists`] when the id is taken, or a database error.
    pub async fn create(
        &self,
        id: &RuleId,
        spec: &RuleSpec,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RuleChangeError> {
        let at = bson::DateTime::from_chrono(now);
        let doc = RuleDoc {
            id: id.clone(),
            builtin: false,
            spec: spec.clone(),
            revision: 1,
            created_at: at,
            updated_at: at,
            updated_by: by.to_owned(),
        };
        match self.rules.insert_one(doc).await {
            Ok(_) => Ok(()),
            Err(e) if jobs::is_duplicate_key(&e) => Err(RuleChangeError::Exists(id.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a rule's spec (a built-in one stays built-in).
    ///
    /// # Errors
    /// [`RuleChangeError::NotFound`], or a database error.
    pub async fn update(
        &self,
        id: &RuleId,
        spec: &RuleSpec,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RuleChangeError> {
        let r = self
            .rules
            .update_one(
                doc! { "_id": id.as_str() },
                doc! {
                    "$set": {
                        "spec": to_doc(spec)?,
                        "updated_at": bson::DateTime::from_chrono(now),
                        "updated_by": by,
                    },
                    "$inc": { "revision": 1_i64 },
                },
            )
            .await?;
        if r.matched_count == 0 {
            return Err(RuleChangeError::NotFound(id.clone()));
        }
        Ok(())
    }

    /// Deletes a rule that is not built in, with its state.
    ///
    /// # Errors
    /// [`RuleChangeError::BuiltIn`], [`RuleChangeError::NotFound`], or a database error.
    pub async fn delete(&self, id: &RuleId) -> Result<(), RuleChangeError> {
        match self.get(id).await? {
            None => return Err(RuleChangeError::NotFound(id.clone())),
            Some(r) if r.builtin => return Err(RuleChangeError::BuiltIn(id.clone())),
            Some(_) => {}
        }
        self.rules
            .delete_one(doc! { "_id": id.as_str(), "builtin": false })
            .await?;
        self.state.delete_one(doc! { "_id": id.as_str() }).await?;
        Ok(())
    }

    /// Every rule's evaluation state, by rule id.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn states(
        &self,
    ) -> Result<std::collections::BTreeMap<String, RuleState>, StoreError> {
        let docs: Vec<StateDoc> = self.state.find(doc! {}).await?.try_collect().await?;
        docs.into_iter()
            .map(|d| {
                let mark = |at: Option<bson::DateTime>, id: Option<String>| match (at, id) {
                    (Some(at), Some(id)) => Ok(Some(IngestMark {
                        ingested_at: at.to_chrono(),
                        id: EventId::parse(&id).map_err(|e| StoreError::corrupt(RULE_STATE, e))?,
                    })),
                    _ => Ok::<_, StoreError>(None),
                };
                let watermark = mark(d.watermark_at, d.watermark_id)?;
                let start = mark(d.start_at, d.start_id)?;
                Ok((
                    d.id,
                    RuleState {
                        watermark,
                        start,
                        evaluated_at: d.evaluated_at.map(bson::DateTime::to_chrono),
                        last_fired_at: d.last_fired_at.map(bson::DateTime::to_chrono),
                        memory: match (d.memory_fingerprint, d.memory_boundary) {
                            (Some(fingerprint), Some(boundary)) => Some(MemoryMark {
                                fingerprint,
                                boundary: boundary.to_chrono(),
                            }),
                            _ => None,
                        },
                    },
                ))
            })
            .collect()
    }

    /// Records where a rule seen for the first time starts: after `newest`, the newest event
    /// stored now (from the first event, on an empty store).
    ///
    /// # Errors
    /// A database error.
    pub async fn start(
        &self,
        rule: &RuleId,
        newest: Option<&IngestMark>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut set = doc! { "evaluated_at": bson::DateTime::from_chrono(now) };
        if let Some(w) = newest {
            for (at, id) in [("watermark_at", "watermark_id"), ("start_at", "start_id")] {
                set.insert(at, bson::DateTime::from_chrono(w.ingested_at));
                set.insert(id, w.id.as_str());
            }
        }
        self.state
            .clone_with_type::<bson::Document>()
            .update_one(doc! { "_id": rule.as_str() }, doc! { "$set": set })
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Records that `rule`'s memory has been built as `mark` says.
    ///
    /// # Errors
    /// A database error.
    pub async fn remembering(&self, rule: &RuleId, mark: &MemoryMark) -> Result<(), StoreError> {
        self.state
            .clone_with_type::<bson::Document>()
            .update_one(
                doc! { "_id": rule.as_str() },
                doc! { "$set": {
                    "memory_fingerprint": &mark.fingerprint,
                    "memory_boundary": bson::DateTime::from_chrono(mark.boundary),
                } },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Records that `rule` has evaluated every event up to `watermark` at `now` (the pass only
    /// moves it forward), and fired if `fired`.
    ///
    /// # Errors
    /// A database error.
    pub async fn evaluated(
        &self,
        rule: &RuleId,
        watermark: Option<&IngestMark>,
        fired: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = bson::DateTime::from_chrono(now);
        let mut set = doc! { "evaluated_at": at };
        if let Some(w) = watermark {
            set.insert("watermark_at", bson::DateTime::from_chrono(w.ingested_at));
            set.insert("watermark_id", w.id.as_str());
        }
        if fired {
            set.insert("last_fired_at", at);
        }
        self.state
            .clone_with_type::<bson::Document>()
            .update_one(doc! { "_id": rule.as_str() }, doc! { "$set": set })
            .upsert(true)
            .await?;
        Ok(())
    }
}
