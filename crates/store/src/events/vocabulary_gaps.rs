//! Which source actions fell outside the operation vocabulary: the `audit_other` events of a
//! period, counted by product and the action name the source gave, so a gap in the vocabulary
//! is seen rather than guessed (`docs/normalisation.md`).

use super::EventStore;
use crate::{StoreError, EVENTS};
use bson::{doc, Document};
use chrono::{DateTime, Utc};
use domain::{Operation, Product};
use futures::TryStreamExt;
use std::collections::BTreeMap;

/// One source action that became `audit_other`, with how often and how recently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedAction {
    /// The product whose audit log wrote it.
    pub product: Product,
    /// The action as the source named it: an organization action key or a product audit summary.
    pub action: String,
    /// Events with this action in the period.
    pub events: u64,
    /// The newest of them.
    pub last_seen: DateTime<Utc>,
}

/// The name a raw audit record gives its action: the organization event's `attributes.action`,
/// else the Jira or Confluence audit record's `summary`.
fn action_name(raw: Option<&Document>) -> String {
    let org = raw
        .and_then(|r| r.get_document("attributes").ok())
        .and_then(|a| a.get_str("action").ok());
    org.or_else(|| raw.and_then(|r| r.get_str("summary").ok()))
        .map_or_else(|| "(unnamed)".to_owned(), str::to_owned)
}

impl EventStore {
    /// The source actions of the `audit_other` events that occurred at or after `since`, most
    /// frequent first (then by product and name). Reads those events through the operation's
    /// index, only the fields that name the action.
    ///
    /// # Errors
    /// A database error, or a stored event without a readable product or time.
    pub async fn unmapped_actions(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<UnmappedAction>, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            collection: EVENTS,
            reason,
        };
        let mut found = self
            .coll
            .clone_with_type::<Document>()
            .find(doc! {
                "operation": Operation::AuditOther.as_str(),
                "occurred_at": { "$gte": bson::DateTime::from_chrono(since) },
            })
            .projection(doc! {
                "product": 1, "occurred_at": 1, "raw.attributes.action": 1, "raw.summary": 1,
            })
            .await?;
        let mut counts: BTreeMap<(Product, String), (u64, DateTime<Utc>)> = BTreeMap::new();
        while let Some(d) = found.try_next().await? {
            let product: Product = d
                .get_str("product")
                .map_err(|e| corrupt(e.to_string()))?
                .parse()
                .map_err(|e: domain::UnknownValue| corrupt(e.to_string()))?;
            let at = d
                .get_datetime("occurred_at")
                .map_err(|e| corrupt(e.to_string()))?
                .to_chrono();
            let action = action_name(d.get_document("raw").ok());
            let entry = counts.entry((product, action)).or_insert((0, at));
            entry.0 += 1;
            entry.1 = entry.1.max(at);
        }
        let mut out: Vec<UnmappedAction> = counts
            .into_iter()
            .map(|((product, action), (events, last_seen))| UnmappedAction {
                product,
                action,
                events,
                last_seen,
            })
            .collect();
        out.sort_by_key(|a| std::cmp::Reverse(a.events));
        Ok(out)
    }
}
