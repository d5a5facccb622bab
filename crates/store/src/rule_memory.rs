//! What the two collections of the rules' memory (`rule_values`, `rule_counts`) share: documents
//! keyed by a digest of the rule and its group, read many at a time by id, written through
//! [`update_each`], and forgotten all at once per rule.

use crate::batch::{update_each, Update};
use crate::StoreError;
use bson::{doc, Document};
use domain::RuleId;
use futures::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};

/// Ids read per query.
const IDS_PER_READ: usize = 1_000;

/// One collection of the rules' memory.
#[derive(Debug, Clone)]
pub(crate) struct MemoryCollection {
    db: Database,
    coll: Collection<Document>,
    name: &'static str,
}

impl MemoryCollection {
    pub(crate) fn new(db: &Database, name: &'static str) -> Self {
        Self {
            db: db.clone(),
            coll: db.collection(name),
            name,
        }
    }

    /// The id of `rule`'s document for `parts`.
    pub(crate) fn id(rule: &RuleId, parts: &[&str]) -> String {
        let mut all: Vec<&[u8]> = vec![rule.as_str().as_bytes()];
        all.extend(parts.iter().map(|p| p.as_bytes()));
        crate::digest::short_id(&all)
    }

    /// Creates the index that forgets a rule's memory at once.
    pub(crate) async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "rule": 1 })
                    .options(IndexOptions::builder().name("rule".to_owned()).build())
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// The documents with these ids that exist, a thousand ids per query.
    pub(crate) async fn by_ids(&self, ids: Vec<String>) -> Result<Vec<Document>, StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_READ) {
            let docs: Vec<Document> = self
                .coll
                .find(doc! { "_id": { "$in": chunk } })
                .await?
                .try_collect()
                .await?;
            found.extend(docs);
        }
        Ok(found)
    }

    /// Applies `updates` (see [`update_each`]).
    pub(crate) async fn write(&self, updates: &[Update]) -> Result<(), StoreError> {
        update_each(&self.db, self.name, updates).await
    }

    /// Deletes everything `rule` remembers here.
    pub(crate) async fn forget(&self, rule: &RuleId) -> Result<(), StoreError> {
        self.coll
            .delete_many(doc! { "rule": rule.as_str() })
            .await?;
        Ok(())
    }
}
