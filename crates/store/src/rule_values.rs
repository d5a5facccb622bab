//! `rule_values`: what a new-value rule remembers of the values it has selected, so that "has this
//! person used this address in the last 30 days?" reads one small document instead of the person's
//! 30 days of events. One document per (rule, group value, value) holds, for each UTC day on which
//! the rule selected an event with that pair, the first and the last time of that day. Remembering
//! goes through `$min` and `$max`, so remembering an event twice (a retried pass) changes nothing.

use crate::batch::Update;
use crate::rule_memory::MemoryCollection;
use crate::{StoreError, RULE_VALUES};
use bson::{doc, Bson, Document};
use chrono::{DateTime, Utc};
use domain::RuleId;
use mongodb::Database;
use std::collections::{BTreeMap, HashMap};

/// A pair's days: day number since the epoch → (first, last) time seen that day.
pub type Days = BTreeMap<i64, (DateTime<Utc>, DateTime<Utc>)>;

/// A (group value, value) pair, as the rule renders them: ("person:ana", "203.0.113.9").
pub type Pair = (String, String);

/// The day number (since 1970-01-01, UTC) of `at`.
pub fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

/// What to change in one pair's memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairChange {
    /// When the pair was selected (any number of times, any order).
    pub seen: Vec<DateTime<Utc>>,
    /// Days it no longer needs (older than the rule's history).
    pub forget_days: Vec<i64>,
}

/// The `rule_values` collection.
#[derive(Debug, Clone)]
pub struct RuleValueStore {
    docs: MemoryCollection,
}

fn pair_id(rule: &RuleId, (group, value): &Pair) -> String {
    MemoryCollection::id(rule, &[group, value])
}

fn corrupt(reason: impl ToString) -> StoreError {
    StoreError::corrupt(RULE_VALUES, reason)
}

fn read_days(doc: &Document) -> Result<Days, StoreError> {
    let mut days = Days::new();
    let Ok(stored) = doc.get_document("days") else {
        return Ok(days);
    };
    for (key, value) in stored {
        let day: i64 = key
            .strip_prefix('d')
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| corrupt(format!("day key {key}")))?;
        let times = value
            .as_document()
            .ok_or_else(|| corrupt("a day is not a document"))?;
        let time = |name: &str| {
            times
                .get_datetime(name)
                .map(|t| t.to_chrono())
                .map_err(corrupt)
        };
        days.insert(day, (time("first")?, time("last")?));
    }
    Ok(days)
}

impl RuleValueStore {
    /// Opens the collection.
    pub fn new(db: &Database) -> Self {
        Self {
            docs: MemoryCollection::new(db, RULE_VALUES),
        }
    }

    /// Creates the index that forgets a rule's memory at once.
    ///
    /// # Errors
    /// When the server refuses the index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.docs.ensure_indexes().await
    }

    /// The remembered days of each of `pairs` that has any.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn days(
        &self,
        rule: &RuleId,
        pairs: &[Pair],
    ) -> Result<HashMap<Pair, Days>, StoreError> {
        let ids = pairs.iter().map(|p| pair_id(rule, p)).collect();
        let mut found = HashMap::new();
        for d in self.docs.by_ids(ids).await? {
            let group = d.get_str("group").map_err(corrupt)?.to_owned();
            let value = d.get_str("value").map_err(corrupt)?.to_owned();
            found.insert((group, value), read_days(&d)?);
        }
        Ok(found)
    }

    /// Remembers when each pair was seen and forgets the days it no longer needs, in a few round
    /// trips for any number of pairs.
    ///
    /// # Errors
    /// A database error.
    pub async fn remember(
        &self,
        rule: &RuleId,
        changes: &HashMap<Pair, PairChange>,
    ) -> Result<(), StoreError> {
        let mut updates = Vec::with_capacity(changes.len());
        for (pair, change) in changes {
            let mut first: BTreeMap<i64, DateTime<Utc>> = BTreeMap::new();
            let mut last: BTreeMap<i64, DateTime<Utc>> = BTreeMap::new();
            for t in &change.seen {
                let day = day_of(*t);
                first
                    .entry(day)
                    .and_modify(|f| *f = (*f).min(*t))
                    .or_insert(*t);
                last.entry(day)
                    .and_modify(|l| *l = (*l).max(*t))
                    .or_insert(*t);
            }
            let at = |t: &DateTime<Utc>| Bson::DateTime(bson::DateTime::from_chrono(*t));
            let mins: Document = first
                .iter()
                .map(|(d, t)| (format!("days.d{d}.first"), at(t)))
                .collect();
            let maxes: Document = last
                .iter()
                .map(|(d, t)| (format!("days.d{d}.last"), at(t)))
                .collect();
            let forget: Document = change
                .forget_days
                .iter()
                .filter(|d| !first.contains_key(d))
                .map(|d| (format!("days.d{d}"), Bson::String(String::new())))
                .collect();
            let mut change_doc = doc! {
                "$setOnInsert": { "rule": rule.as_str(), "group": &pair.0, "value": &pair.1 },
            };
            for (op, fields) in [("$min", mins), ("$max", maxes), ("$unset", forget)] {
                if !fields.is_empty() {
                    change_doc.insert(op, fields);
                }
            }
            updates.push(Update {
                filter: doc! { "_id": pair_id(rule, pair) },
                change: change_doc,
                upsert: true,
            });
        }
        self.docs.write(&updates).await
    }

    /// Forgets everything `rule` remembers (it was deleted, or changed what it selects).
    ///
    /// # Errors
    /// A database error.
    pub async fn forget(&self, rule: &RuleId) -> Result<(), StoreError> {
        self.docs.forget(rule).await
    }
}
