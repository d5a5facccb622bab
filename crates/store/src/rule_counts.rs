//! `rule_counts`: what a baseline rule remembers of each group's counts per window, so that "41
//! exports today, usual 3" reads one document per group instead of the group's 30 days of events.
//! One document per (rule, group value) holds, for each window by its start, the count settled so
//! far and the counts of the last storing slices, which a later pass may still recount in full
//! (events of an insert in flight when the earlier pass read). Every number is set, never
//! incremented, so a pass repeated after a crash writes the same numbers again.

use crate::batch::Update;
use crate::rule_memory::MemoryCollection;
use crate::{StoreError, RULE_COUNTS};
use bson::{doc, Bson, Document};
use domain::RuleId;
use mongodb::Database;
use std::collections::{BTreeMap, HashMap};

/// One window's count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowCount {
    /// Events of storing slices no pass will read again.
    pub settled: u64,
    /// Storing slice (its start, milliseconds since the epoch) → events stored in it.
    pub recent: BTreeMap<i64, u64>,
}

impl WindowCount {
    /// The window's count.
    pub fn total(&self) -> u64 {
        self.settled + self.recent.values().sum::<u64>()
    }
}

/// A group's windows: window start (milliseconds since the epoch) → its count.
pub type Windows = BTreeMap<i64, WindowCount>;

/// What to change in one group's memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupChange {
    /// Windows to write as they are here.
    pub set: Windows,
    /// Windows no longer needed (older than the rule's history).
    pub forget: Vec<i64>,
}

/// The `rule_counts` collection.
#[derive(Debug, Clone)]
pub struct RuleCountStore {
    docs: MemoryCollection,
}

fn group_id(rule: &RuleId, group: &str) -> String {
    MemoryCollection::id(rule, &[group])
}

fn corrupt(reason: impl ToString) -> StoreError {
    StoreError::corrupt(RULE_COUNTS, reason)
}

fn number(b: &Bson) -> Result<u64, StoreError> {
    match b {
        Bson::Int64(n) => u64::try_from(*n).map_err(corrupt),
        Bson::Int32(n) => u64::try_from(*n).map_err(corrupt),
        other => Err(corrupt(format!("a count is {other}"))),
    }
}

fn key_number(key: &str, prefix: char) -> Result<i64, StoreError> {
    key.strip_prefix(prefix)
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| corrupt(format!("key {key}")))
}

fn read_windows(doc: &Document) -> Result<Windows, StoreError> {
    let mut windows = Windows::new();
    let Ok(stored) = doc.get_document("windows") else {
        return Ok(windows);
    };
    for (key, value) in stored {
        let w = value
            .as_document()
            .ok_or_else(|| corrupt("a window is not a document"))?;
        let mut count = WindowCount {
            settled: number(w.get("settled").unwrap_or(&Bson::Int64(0)))?,
            recent: BTreeMap::new(),
        };
        if let Ok(recent) = w.get_document("recent") {
            for (slice, n) in recent {
                count.recent.insert(key_number(slice, 'm')?, number(n)?);
            }
        }
        windows.insert(key_number(key, 'w')?, count);
    }
    Ok(windows)
}

fn write_window(count: &WindowCount) -> Document {
    let as_i64 = |n: u64| Bson::Int64(i64::try_from(n).unwrap_or(i64::MAX));
    let recent: Document = count
        .recent
        .iter()
        .map(|(m, n)| (format!("m{m}"), as_i64(*n)))
        .collect();
    doc! { "settled": as_i64(count.settled), "recent": recent }
}

impl RuleCountStore {
    /// Opens the collection.
    pub fn new(db: &Database) -> Self {
        Self {
            docs: MemoryCollection::new(db, RULE_COUNTS),
        }
    }

    /// Creates the index that forgets a rule's memory at once.
    ///
    /// # Errors
    /// When the server refuses the index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.docs.ensure_indexes().await
    }

    /// The remembered windows of each of `groups` that has any.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn windows(
        &self,
        rule: &RuleId,
        groups: &[String],
    ) -> Result<HashMap<String, Windows>, StoreError> {
        let ids = groups.iter().map(|g| group_id(rule, g)).collect();
        let mut found = HashMap::new();
        for d in self.docs.by_ids(ids).await? {
            let group = d.get_str("group").map_err(corrupt)?.to_owned();
            found.insert(group, read_windows(&d)?);
        }
        Ok(found)
    }

    /// Writes each group's changed windows and forgets the old ones, in a few round trips for any
    /// number of groups.
    ///
    /// # Errors
    /// A database error.
    pub async fn save(
        &self,
        rule: &RuleId,
        changes: &HashMap<String, GroupChange>,
    ) -> Result<(), StoreError> {
        let mut updates = Vec::with_capacity(changes.len());
        for (group, change) in changes {
            let set: Document = change
                .set
                .iter()
                .map(|(w, c)| (format!("windows.w{w}"), Bson::Document(write_window(c))))
                .collect();
            let forget: Document = change
                .forget
                .iter()
                .filter(|w| !change.set.contains_key(w))
                .map(|w| (format!("windows.w{w}"), Bson::String(String::new())))
                .collect();
            let mut update = doc! {
                "$setOnInsert": { "rule": rule.as_str(), "group": group },
            };
            if !set.is_empty() {
                update.insert("$set", set);
            }
            if !forget.is_empty() {
                update.insert("$unset", forget);
            }
            updates.push(Update {
                filter: doc! { "_id": group_id(rule, group) },
                change: update,
                upsert: true,
            });
        }
        self.docs.write(&updates).await
    }

    /// Forgets everything `rule` remembers (it was deleted, or changed what it counts).
    ///
    /// # Errors
    /// A database error.
    pub async fn forget(&self, rule: &RuleId) -> Result<(), StoreError> {
        self.docs.forget(rule).await
    }
}
