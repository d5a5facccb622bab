//! Reclassifying stored events when the classification policy changes (a new entry in the
//! operation vocabulary, a severity raised): the derived fields `operation`, `severity` and
//! `search` are brought in line with the current policy; `raw`, the evidence, is never touched.
//!
//! It runs in two steps so that a start-up killed half-way loses nothing: [`EventStore::
//! plan_reclassification`] only reads, and says which events change and on which days; the caller
//! records those days before [`EventStore::apply_reclassification`] rewrites anything, and
//! rebuilds their rollups after — the next start-up finds the recorded days even when the events
//! were already rewritten.

use super::{search_text, EventStore};
use crate::StoreError;
use bson::{doc, Bson, Document};
use chrono::NaiveDate;
use domain::{Operation, Pipeline, Product, Severity};
use futures::TryStreamExt;
use std::collections::BTreeSet;

/// What a reclassification will change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReclassificationPlan {
    /// Audit events the vocabulary maps to another operation now: (id, operation, object name).
    renamed: Vec<(Bson, Operation, Option<String>)>,
    /// Operations some of whose events carry another severity than the policy's now.
    reseverity: Vec<Operation>,
    /// The UTC days of every event that changes, whose rollups go stale.
    pub days: BTreeSet<NaiveDate>,
}

impl ReclassificationPlan {
    /// Whether nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.renamed.is_empty() && self.reseverity.is_empty()
    }
}

fn day_of(d: &Document) -> Option<NaiveDate> {
    d.get_datetime("occurred_at")
        .ok()
        .map(|t| t.to_chrono().date_naive())
}

impl EventStore {
    /// Finds, without writing, the audit events of products with an audit pipeline whose raw
    /// payload `remap` now maps to another operation than the stored one (a name the vocabulary
    /// learnt, or a rule made stricter), and the events whose severity is not the one
    /// `severity_of` gives their operation.
    ///
    /// # Errors
    /// A database error.
    pub async fn plan_reclassification(
        &self,
        severity_of: fn(Operation) -> Severity,
        remap: &dyn Fn(Product, &serde_json::Value) -> Option<Operation>,
    ) -> Result<ReclassificationPlan, StoreError> {
        let raw = self.coll.clone_with_type::<Document>();
        let mut plan = ReclassificationPlan::default();
        let mut found = raw
            .find(doc! { "pipeline": Pipeline::Audit.as_str() })
            .projection(doc! {
                "product": 1, "operation": 1, "occurred_at": 1, "raw": 1, "object_ref.name": 1,
            })
            .await?;
        while let Some(d) = found.try_next().await? {
            let Some(product) = d.get_str("product").ok().and_then(|p| p.parse().ok()) else {
                continue;
            };
            let payload = d
                .get("raw")
                .cloned()
                .unwrap_or(Bson::Null)
                .into_relaxed_extjson();
            let Some(op) = remap(product, &payload)
                .filter(|op| Some(op.as_str()) != d.get_str("operation").ok())
            else {
                continue;
            };
            let name = d
                .get_document("object_ref")
                .ok()
                .and_then(|o| o.get_str("name").ok())
                .map(str::to_owned);
            plan.days.extend(day_of(&d));
            plan.renamed
                .push((d.get("_id").cloned().unwrap_or(Bson::Null), op, name));
        }
        for op in Operation::ALL {
            let stale = doc! {
                "operation": op.as_str(),
                "severity": { "$ne": severity_of(*op).as_str() },
            };
            let mut days = raw
                .find(stale)
                .projection(doc! { "occurred_at": 1 })
                .await?;
            let mut any = false;
            while let Some(d) = days.try_next().await? {
                any = true;
                plan.days.extend(day_of(&d));
            }
            if any {
                plan.reseverity.push(*op);
            }
        }
        Ok(plan)
    }

    /// Writes what `plan` found, under the same `severity_of` it was planned with; returns how
    /// many events changed. Safe to repeat: every write sets the value the policy gives.
    ///
    /// # Errors
    /// A database error.
    pub async fn apply_reclassification(
        &self,
        plan: &ReclassificationPlan,
        severity_of: fn(Operation) -> Severity,
    ) -> Result<u64, StoreError> {
        let raw = self.coll.clone_with_type::<Document>();
        let mut changed = 0;
        for (id, op, name) in &plan.renamed {
            let result = raw
                .update_one(
                    doc! { "_id": id.clone() },
                    doc! { "$set": {
                        "operation": op.as_str(),
                        "severity": severity_of(*op).as_str(),
                        "search": search_text(op.as_str(), name.as_deref()),
                    } },
                )
                .await?;
            changed += result.modified_count;
        }
        for op in &plan.reseverity {
            let severity = severity_of(*op).as_str();
            let result = raw
                .update_many(
                    doc! { "operation": op.as_str(), "severity": { "$ne": severity } },
                    doc! { "$set": { "severity": severity } },
                )
                .await?;
            changed += result.modified_count;
        }
        Ok(changed)
    }
}
