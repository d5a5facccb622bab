//! The `alerts` collection and `alert_events` (which events each alert is made of).
//!
//! Recording is idempotent, so evaluating the same events twice — a retry, a crash, a restart —
//! changes nothing: the alert's `_id` is derived by the evaluator from (rule, dedup key, period
//! start), each (alert, event) pair is one `alert_events` document keyed by both, and an alert's
//! count is the number of its pairs, recounted after every write rather than incremented.
//! `notify_pending` is set when an alert is created or its severity rises and cleared once its
//! deliveries are queued, so a crash in between queues them again (deliveries have stable ids, so
//! that sends nothing twice). `correlate_pending` works the same way for incidents: set with
//! `notify_pending`, cleared once the alert stands in its incident.

use super::{StoreError, ALERTS, ALERT_EVENTS};
use bson::{doc, Document};
use chrono::{DateTime, Utc};
use domain::{AlertStatus, EventId, Field, PersonId, RuleId, Severity};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many event ids an alert document keeps; the rest are in `alert_events` and behind its
/// Events query.
pub const FIRST_EVENTS: usize = 20;

/// What the evaluator found: one alert's identity and the events that belong to it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    /// Derived from (rule, dedup key, period start).
    pub id: String,
    /// The rule.
    pub rule_id: RuleId,
    /// Its name when it fired.
    pub rule_name: String,
    /// Its severity when it fired.
    pub severity: Severity,
    /// The rendered dedup key.
    pub dedup_key: String,
    /// The values of the fields it groups by.
    pub group: BTreeMap<Field, String>,
    /// The start of the dedup period.
    pub period_start: DateTime<Utc>,
    /// The events, with when they happened (may be empty for stream-state rules).
    pub events: Vec<(EventId, DateTime<Utc>)>,
    /// When it happened, for rules without events (a silent stream, a failing sync).
    pub seen_at: DateTime<Utc>,
    /// Why it fired, in words and numbers.
    pub why: String,
    /// The Events query string that shows its events.
    pub events_query: String,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Its id.
    pub id: String,
    /// The rule.
    pub rule_id: RuleId,
    /// The rule's name.
    pub rule_name: String,
    /// The highest severity it was recorded with.
    pub severity: Severity,
    /// The rendered dedup key.
    pub dedup_key: String,
    /// The group's values.
    pub group: BTreeMap<Field, String>,
    /// The dedup period's start.
    pub period_start: DateTime<Utc>,
    /// The earliest event.
    pub first_seen: DateTime<Utc>,
    /// The latest event.
    pub last_seen: DateTime<Utc>,
    /// How many events it is made of (1 for stream-state rules).
    pub count: u64,
    /// The first events' ids.
    pub first_events: Vec<EventId>,
    /// Why it fired (the latest evaluation's words).
    pub why: String,
    /// The Events query string of its events.
    pub events_query: String,
    /// Where it stands.
    pub status: AlertStatus,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<(String, DateTime<Utc>)>,
    /// Who closed it, and when.
    pub closed: Option<(String, DateTime<Utc>)>,
    /// The incident it belongs to, once correlated.
    pub incident_id: Option<String>,
    /// The Jira issue a Jira destination opened for it.
    pub jira_issue: Option<String>,
    /// The severity its deliveries were last queued at (`None`: never notified), so a later
    /// notification is known to be an escalation.
    pub notified_severity: Option<Severity>,
    /// When it was first recorded.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AlertDoc {
    #[serde(rename = "_id")]
    id: String,
    rule_id: RuleId,
    rule_name: String,
    severity: Severity,
    severity_rank: i32,
    dedup_key: String,
    group: BTreeMap<String, String>,
    #[serde(default)]
    person: Option<String>,
    period_start: bson::DateTime,
    first_seen: bson::DateTime,
    last_seen: bson::DateTime,
    #[serde(default)]
    count: i64,
    #[serde(default)]
    first_events: Vec<String>,
    why: String,
    events_query: String,
    status: AlertStatus,
    #[serde(default)]
    acknowledged_by: Option<String>,
    #[serde(default)]
    acknowledged_at: Option<bson::DateTime>,
    #[serde(default)]
    closed_by: Option<String>,
    #[serde(default)]
    closed_at: Option<bson::DateTime>,
    #[serde(default)]
    incident_id: Option<String>,
    #[serde(default)]
    notify_pending: bool,
    #[serde(default)]
    jira_issue: Option<String>,
    #[serde(default)]
    notified_severity: Option<Severity>,
    /// Set before events are attached and cleared by the recount after: a record killed in
    /// between is recognised by its retry, which then recounts.
    #[serde(default)]
    recount_pending: bool,
    created_at: bson::DateTime,
}

fn rank(s: Severity) -> i32 {
    match s {
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
    }
}

impl TryFrom<AlertDoc> for Alert {
    type Error = StoreError;
    fn try_from(d: AlertDoc) -> Result<Self, StoreError> {
        let corrupt = |e: String| StoreError::corrupt(ALERTS, e);
        let group = d
            .group
            .into_iter()
            .map(|(k, v)| Ok((k.parse::<Field>().map_err(|e| corrupt(e.to_string()))?, v)))
            .collect::<Result<_, StoreError>>()?;
        let who = |by: Option<String>, at: Option<bson::DateTime>| match (by, at) {
            (Some(by), Some(at)) => Some((by, at.to_chrono())),
            _ => None,
        };
        Ok(Alert {
            id: d.id,
            rule_id: d.rule_id,
            rule_name: d.rule_name,
            severity: d.severity,
            dedup_key: d.dedup_key,
            group,
            period_start: d.period_start.to_chrono(),
            first_seen: d.first_seen.to_chrono(),
            last_seen: d.last_seen.to_chrono(),
            count: d.count.max(0) as u64,
            first_events: d
                .first_events
                .iter()
                .map(|e| EventId::parse(e).map_err(|e| corrupt(e.to_string())))
                .collect::<Result<_, _>>()?,
            why: d.why,
            events_query: d.events_query,
            status: d.status,
            acknowledged: who(d.acknowledged_by, d.acknowledged_at),
            closed: who(d.closed_by, d.closed_at),
            incident_id: d.incident_id,
            jira_issue: d.jira_issue,
            notified_severity: d.notified_severity,
            created_at: d.created_at.to_chrono(),
        })
    }
}

/// What recording did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// A new alert (else later matches joined an open one).
    pub created: bool,
    /// The events attached for the first time.
    pub attached: u64,
    /// The alert as it now stands.
    pub alert: Alert,
}

/// Which alerts a page lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// Only these statuses (all when empty).
    pub statuses: Vec<AlertStatus>,
    /// Only these severities.
    pub severities: Vec<Severity>,
    /// Only this rule's.
    pub rule: Option<RuleId>,
    /// Only those whose group is one of these people.
    pub people: Option<Vec<PersonId>>,
    /// Last seen at or after.
    pub from: Option<DateTime<Utc>>,
    /// Last seen before.
    pub to: Option<DateTime<Utc>>,
}

/// The `alerts` and `alert_events` collections.
#[derive(Debug, Clone)]
pub struct AlertStore {
    alerts: Collection<AlertDoc>,
    events: Collection<Document>,
}

#[derive(Deserialize)]
struct PairDoc {
    event_id: String,
}

impl AlertStore {
    /// Opens the collections.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            alerts: db.collection(ALERTS),
            events: db.collection(ALERT_EVENTS),
        }
    }

    /// Creates the listing indexes.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = crate::named_index;
        self.alerts
            .create_indexes([
                idx(doc! { "last_seen": -1, "_id": -1 }, "newest"),
                idx(doc! { "status": 1, "last_seen": -1 }, "status_newest"),
                idx(doc! { "rule_id": 1, "last_seen": -1 }, "rule_newest"),
                idx(doc! { "person": 1, "last_seen": -1 }, "person_newest"),
                idx(doc! { "notify_pending": 1 }, "notify_pending"),
                idx(
                    doc! { "correlate_pending": 1, "first_seen": 1 },
                    "correlate_pending",
                ),
                idx(doc! { "incident_id": 1, "first_seen": 1 }, "incident_first"),
            ])
            .await?;
        self.events
            .create_indexes([idx(doc! { "alert_id": 1, "occurred_at": 1 }, "alert_time")])
            .await?;
        Ok(())
    }

    /// Records what the evaluator found, idempotently (see the module's notes).
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn record(
        &self,
        r: &AlertRecord,
        now: DateTime<Utc>,
    ) -> Result<Recorded, StoreError> {
        let first = r.events.iter().map(|(_, t)| *t).min().unwrap_or(r.seen_at);
        let last = r.events.iter().map(|(_, t)| *t).max().unwrap_or(r.seen_at);
        if let Some(alert) = self.as_recorded(r, first, last).await? {
            return Ok(Recorded {
                created: false,
                attached: 0,
                alert,
            });
        }
        let group: Document = r
            .group
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), bson::Bson::String(v.clone())))
            .collect();
        let at = bson::DateTime::from_chrono(now);
        let upsert = self
            .alerts
            .update_one(
                doc! { "_id": &r.id },
                doc! {
                    "$setOnInsert": {
                        "rule_id": r.rule_id.as_str(),
                        "dedup_key": &r.dedup_key,
                        "group": group,
                        "person": r.group.get(&Field::Person),
                        "period_start": bson::DateTime::from_chrono(r.period_start),
                        "status": AlertStatus::Open.as_str(),
                        "created_at": at,
                        "severity": r.severity.as_str(),
                        "severity_rank": rank(r.severity),
                        "notify_pending": true,
                        "correlate_pending": true,
                        "count": 0_i64,
                    },
                    "$min": { "first_seen": bson::DateTime::from_chrono(first) },
                    "$max": { "last_seen": bson::DateTime::from_chrono(last) },
                    "$set": {
                        "rule_name": &r.rule_name,
                        "why": &r.why,
                        "events_query": &r.events_query,
                        "recount_pending": true,
                    },
                },
            )
            .upsert(true)
            .await?;
        let created = upsert.upserted_id.is_some();
        let attached = self.attach(&r.id, &r.events).await?;
        let counted = if created && attached == r.events.len() as u64 {
            // Every pair is this record's: the count is known without reading them back.
            let first: Vec<&str> = r
                .events
                .iter()
                .take(FIRST_EVENTS)
                .map(|(id, _)| id.as_str())
                .collect();
            self.set_count(&r.id, attached, first).await?
        } else {
            // A higher severity than recorded: raise it and notify again.
            self.alerts
                .update_one(
                    doc! { "_id": &r.id, "severity_rank": { "$lt": rank(r.severity) } },
                    doc! { "$set": {
                        "severity": r.severity.as_str(),
                        "severity_rank": rank(r.severity),
                        "notify_pending": true,
                        "correlate_pending": true,
                    } },
                )
                .await?;
            // Always, not only when something was attached: a process killed between attaching
            // and counting leaves a stale count that only a recount on the retry repairs.
            self.recount(&r.id).await?
        };
        let alert = counted
            .ok_or_else(|| StoreError::corrupt(ALERTS, "an alert vanished while recorded"))
            .and_then(Alert::try_from)?;
        Ok(Recorded {
            created,
            attached,
            alert,
        })
    }

    /// The alert, when it already stands as `r` would leave it: every event attached, the same
    /// words, severity and range, no recount pending. A pass reading events again (its overlap,
    /// a retry) then costs two reads instead of a write of each part.
    async fn as_recorded(
        &self,
        r: &AlertRecord,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    ) -> Result<Option<Alert>, StoreError> {
        let Some(d) = self.alerts.find_one(doc! { "_id": &r.id }).await? else {
            return Ok(None);
        };
        let same = !d.recount_pending
            && d.severity_rank >= rank(r.severity)
            && d.rule_name == r.rule_name
            && d.why == r.why
            && d.events_query == r.events_query
            && d.first_seen.to_chrono() <= first
            && d.last_seen.to_chrono() >= last;
        if !same {
            return Ok(None);
        }
        if !r.events.is_empty() {
            let pairs: Vec<String> = r
                .events
                .iter()
                .map(|(id, _)| format!("{}|{id}", r.id))
                .collect();
            let present = self
                .events
                .count_documents(doc! { "_id": { "$in": &pairs } })
                .await?;
            if present < pairs.len() as u64 {
                return Ok(None);
            }
        }
        Alert::try_from(d).map(Some)
    }

    /// Inserts the (alert, event) pairs not stored yet; returns how many were new.
    async fn attach(
        &self,
        alert: &str,
        events: &[(EventId, DateTime<Utc>)],
    ) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let docs: Vec<Document> = events
            .iter()
            .map(|(id, at)| {
                doc! {
                    "_id": format!("{alert}|{id}"),
                    "alert_id": alert,
                    "event_id": id.as_str(),
                    "occurred_at": bson::DateTime::from_chrono(*at),
                }
            })
            .collect();
        let total = docs.len() as u64;
        match self.events.insert_many(docs).ordered(false).await {
            Ok(r) => Ok(r.inserted_ids.len() as u64),
            Err(e) => {
                let dupes = crate::events::duplicate_count(&e).ok_or(e)?;
                Ok(total - dupes)
            }
        }
    }

    /// Sets an alert's count and first event ids from its pairs; returns the alert.
    async fn recount(&self, alert: &str) -> Result<Option<AlertDoc>, StoreError> {
        let count = self
            .events
            .count_documents(doc! { "alert_id": alert })
            .await?;
        let first: Vec<PairDoc> = self
            .events
            .clone_with_type::<PairDoc>()
            .find(doc! { "alert_id": alert })
            .sort(doc! { "alert_id": 1, "occurred_at": 1 })
            .limit(FIRST_EVENTS as i64)
            .await?
            .try_collect()
            .await?;
        let ids: Vec<&str> = first.iter().map(|p| p.event_id.as_str()).collect();
        self.set_count(alert, count, ids).await
    }

    /// Writes an alert's count and first event ids, clearing a pending recount; returns the alert.
    async fn set_count(
        &self,
        alert: &str,
        count: u64,
        first: Vec<&str>,
    ) -> Result<Option<AlertDoc>, StoreError> {
        // Alerts of stream-state rules have no events and count one occurrence.
        let count = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
        Ok(self
            .alerts
            .find_one_and_update(
                doc! { "_id": alert },
                doc! {
                    "$set": { "count": count, "first_events": first },
                    "$unset": { "recount_pending": "" },
                },
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .await?)
    }

    /// One alert.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn get(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        self.alerts
            .find_one(doc! { "_id": id })
            .await?
            .map(Alert::try_from)
            .transpose()
    }

    /// The ids of up to `limit` of an alert's events, oldest first.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn event_ids(&self, id: &str, limit: i64) -> Result<Vec<EventId>, StoreError> {
        let pairs: Vec<PairDoc> = self
            .events
            .clone_with_type::<PairDoc>()
            .find(doc! { "alert_id": id })
            .sort(doc! { "alert_id": 1, "occurred_at": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        pairs
            .into_iter()
            .map(|p| EventId::parse(&p.event_id).map_err(|e| StoreError::corrupt(ALERT_EVENTS, e)))
            .collect()
    }

    /// Up to `limit` alerts matching `filter`, last seen first.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn list(&self, filter: &AlertFilter, limit: i64) -> Result<Vec<Alert>, StoreError> {
        let docs: Vec<AlertDoc> = self
            .alerts
            .find(list_query(filter))
            .sort(doc! { "last_seen": -1, "_id": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(Alert::try_from).collect()
    }

    /// How many alerts match `filter`, per status.
    ///
    /// # Errors
    /// A database error.
    pub async fn count_by_status(
        &self,
        filter: &AlertFilter,
    ) -> Result<BTreeMap<AlertStatus, u64>, StoreError> {
        let mut out = BTreeMap::new();
        for status in AlertStatus::ALL {
            let f = AlertFilter {
                statuses: vec![status],
                ..filter.clone()
            };
            out.insert(status, self.alerts.count_documents(list_query(&f)).await?);
        }
        Ok(out)
    }

    /// How many alerts `rule` recorded whose first event is at or after `since`.
    ///
    /// # Errors
    /// A database error.
    pub async fn count_for_rule(
        &self,
        rule: &RuleId,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(self
            .alerts
            .count_documents(doc! {
                "rule_id": rule.as_str(),
                "last_seen": { "$gte": bson::DateTime::from_chrono(since) },
            })
            .await?)
    }

    /// Acknowledges the open alerts among `ids`; returns how many changed.
    ///
    /// # Errors
    /// A database error.
    pub async fn acknowledge(
        &self,
        ids: &[String],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let r = self
            .alerts
            .update_many(
                doc! { "_id": { "$in": ids }, "status": AlertStatus::Open.as_str() },
                doc! { "$set": {
                    "status": AlertStatus::Acknowledged.as_str(),
                    "acknowledged_by": by,
                    "acknowledged_at": bson::DateTime::from_chrono(now),
                } },
            )
            .await?;
        Ok(r.modified_count)
    }

    /// Closes the alerts among `ids` that are not closed; returns how many changed.
    ///
    /// # Errors
    /// A database error.
    pub async fn close(
        &self,
        ids: &[String],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let r = self
            .alerts
            .update_many(
                doc! { "_id": { "$in": ids }, "status": { "$ne": AlertStatus::Closed.as_str() } },
                doc! { "$set": {
                    "status": AlertStatus::Closed.as_str(),
                    "closed_by": by,
                    "closed_at": bson::DateTime::from_chrono(now),
                } },
            )
            .await?;
        Ok(r.modified_count)
    }

    /// Alerts whose deliveries have not been queued since they were created or escalated.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn pending_notifications(&self, limit: i64) -> Result<Vec<Alert>, StoreError> {
        let docs: Vec<AlertDoc> = self
            .alerts
            .find(doc! { "notify_pending": true })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(Alert::try_from).collect()
    }

    /// Keeps the Jira issue a destination opened for an alert.
    ///
    /// # Errors
    /// A database error.
    pub async fn link_issue(&self, id: &str, key: &str) -> Result<(), StoreError> {
        self.alerts
            .update_one(doc! { "_id": id }, doc! { "$set": { "jira_issue": key } })
            .await?;
        Ok(())
    }

    /// Records that an alert's deliveries at `severity` are queued.
    ///
    /// # Errors
    /// A database error.
    pub async fn notified(&self, id: &str, severity: Severity) -> Result<(), StoreError> {
        // Only if the severity has not risen again meanwhile.
        self.alerts
            .update_one(
                doc! { "_id": id, "severity_rank": { "$lte": rank(severity) } },
                doc! { "$set": {
                    "notify_pending": false,
                    "notified_severity": bson::to_bson(&severity).map_err(|e| StoreError::corrupt(ALERTS, e.to_string()))?,
                } },
            )
            .await?;
        Ok(())
    }

    /// Up to `limit` alerts that are new or escalated since they were last correlated, in
    /// the order their events happened.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn pending_correlation(&self, limit: i64) -> Result<Vec<Alert>, StoreError> {
        let docs: Vec<AlertDoc> = self
            .alerts
            .find(doc! { "correlate_pending": true })
            .sort(doc! { "correlate_pending": 1, "first_seen": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(Alert::try_from).collect()
    }

    /// Puts an alert in `incident` unless it is in one already; returns the incident it is in.
    ///
    /// # Errors
    /// A database error, or an alert that does not exist.
    pub async fn join_incident(&self, id: &str, incident: &str) -> Result<String, StoreError> {
        self.alerts
            .update_one(
                doc! { "_id": id, "incident_id": bson::Bson::Null },
                doc! { "$set": { "incident_id": incident } },
            )
            .await?;
        self.get(id)
            .await?
            .and_then(|a| a.incident_id)
            .ok_or_else(|| {
                StoreError::corrupt(ALERTS, format!("alert {id} vanished while correlated"))
            })
    }

    /// Records that an alert stands in its incident as it is now (unless it escalated again
    /// meanwhile).
    ///
    /// # Errors
    /// A database error.
    pub async fn correlated(&self, id: &str, severity: Severity) -> Result<(), StoreError> {
        self.alerts
            .update_one(
                doc! { "_id": id, "severity_rank": { "$lte": rank(severity) } },
                doc! { "$unset": { "correlate_pending": "" } },
            )
            .await?;
        Ok(())
    }

    /// Every alert of an incident, in the order their events happened.
    ///
    /// # Errors
    /// A database error or a corrupt document.
    pub async fn of_incident(&self, incident: &str) -> Result<Vec<Alert>, StoreError> {
        let docs: Vec<AlertDoc> = self
            .alerts
            .find(doc! { "incident_id": incident })
            .sort(doc! { "incident_id": 1, "first_seen": 1 })
            .await?
            .try_collect()
            .await?;
        docs.into_iter().map(Alert::try_from).collect()
    }

    /// Acknowledges the open alerts of an incident; returns how many changed.
    ///
    /// # Errors
    /// A database error.
    pub async fn acknowledge_incident(
        &self,
        incident: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let r = self
            .alerts
            .update_many(
                doc! { "incident_id": incident, "status": AlertStatus::Open.as_str() },
                doc! { "$set": {
                    "status": AlertStatus::Acknowledged.as_str(),
                    "acknowledged_by": by,
                    "acknowledged_at": bson::DateTime::from_chrono(now),
                } },
            )
            .await?;
        Ok(r.modified_count)
    }
}

fn list_query(f: &AlertFilter) -> Document {
    let mut q = Document::new();
    if let Some(people) = &f.people {
        let ids: Vec<String> = people.iter().map(ToString::to_string).collect();
        q.insert("person", doc! { "$in": ids });
    }
    if let Some(v) = crate::any_of(&f.statuses) {
        q.insert("status", v);
    }
    if let Some(v) = crate::any_of(&f.severities) {
        q.insert("severity", v);
    }
    if let Some(rule) = &f.rule {
        q.insert("rule_id", rule.as_str());
    }
    if let Some(range) = crate::within(f.from, f.to) {
        q.insert("last_seen", range);
    }
    q
}
