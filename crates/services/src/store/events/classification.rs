//! Reclassifying stored events when the classification policy changes (a new entry in the
//! operation vocabulary, a severity raised): the derived fields `operation`, `severity` and
//! `search` are brought in line with the current policy; `raw`, the evidence, is never touched.
//! The caller rebuilds the rollups of the days returned.

use super::{search_text, EventStore};
use crate::store::StoreError;
use bson::{doc, Bson, Document};
use chrono::NaiveDate;
use domain::{Operation, Pipeline, Product, Severity};
use futures::TryStreamExt;
use std::collections::BTreeSet;

/// What a reclassification changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reclassified {
    /// Events whose operation or severity changed.
    pub events: u64,
    /// The UTC days they occurred on, whose rollups are now stale.
    pub days: BTreeSet<NaiveDate>,
}

fn day_of(d: &Document) -> Option<NaiveDate> {
    d.get_datetime("occurred_at")
        .ok()
        .map(|t| t.to_chrono().date_naive())
}

impl EventStore {
    /// Gives each `audit_other` audit event the operation `remap` reads from its raw payload now
    /// (when it names one), and every event the severity `severity_of` gives its operation.
    ///
    /// # Errors
    /// A database error.
    pub async fn reclassify(
        &self,
        severity_of: fn(Operation) -> Severity,
        remap: &dyn Fn(Product, &serde_json::Value) -> Option<Operation>,
    ) -> Result<Reclassified, StoreError> {
        let raw = self.coll.clone_with_type::<Document>();
        let mut out = Reclassified::default();

        // Audit actions the vocabulary has learnt to name since they were stored.
        let mut found = raw
            .find(doc! {
                "operation": Operation::AuditOther.as_str(),
                "pipeline": Pipeline::Audit.as_str(),
            })
            .projection(doc! { "product": 1, "occurred_at": 1, "raw": 1, "object_ref.name": 1 })
            .await?;
        let mut renamed = Vec::new();
        while let Some(d) = found.try_next().await? {
            let Some(product) = d.get_str("product").ok().and_then(|p| p.parse().ok()) else {
                continue;
            };
            let payload = d
                .get("raw")
                .cloned()
                .unwrap_or(Bson::Null)
                .into_relaxed_extjson();
            let Some(op) = remap(product, &payload).filter(|op| *op != Operation::AuditOther)
            else {
                continue;
            };
            let name = d
                .get_document("object_ref")
                .ok()
                .and_then(|o| o.get_str("name").ok())
                .map(str::to_owned);
            renamed.push((d.get("_id").cloned(), op, name, day_of(&d)));
        }
        for (id, op, name, day) in renamed {
            raw.update_one(
                doc! { "_id": id.unwrap_or(Bson::Null) },
                doc! { "$set": {
                    "operation": op.as_str(),
                    "severity": severity_of(op).as_str(),
                    "search": search_text(op.as_str(), name.as_deref()),
                } },
            )
            .await?;
            out.events += 1;
            out.days.extend(day);
        }

        // Severities the policy now sets differently, one operation at a time (its index).
        for op in Operation::ALL {
            let severity = severity_of(*op).as_str();
            let stale = doc! { "operation": op.as_str(), "severity": { "$ne": severity } };
            let days: Vec<Document> = raw
                .find(stale.clone())
                .projection(doc! { "occurred_at": 1 })
                .await?
                .try_collect()
                .await?;
            if days.is_empty() {
                continue;
            }
            out.days.extend(days.iter().filter_map(day_of));
            let result = raw
                .update_many(stale, doc! { "$set": { "severity": severity } })
                .await?;
            out.events += result.modified_count;
        }
        Ok(out)
    }
}
