//! The `incidents` collection and `incident_timeline`, its append-only record of every change.
//!
//! Entries are only ever inserted. A change of an incident and the entry that records it are
//! written together: the change is a conditional update (on the incident's revision) that also
//! pushes the entry into the incident's `outbox`, and the entry is then copied into the timeline
//! and taken off the outbox. A process killed in between leaves the entry in the outbox, where
//! readers see it and the next write copies it; its id is derived from the incident and the
//! revision, so copying twice stores it once. Entries made by correlation (an alert attached, the
//! incident opened or reopened) have ids derived from what they record, so repeating the
//! correlation of an alert never records it twice.

use super::{StoreError, INCIDENTS, INCIDENT_TIMELINE};
use bson::{doc, Bson, Document};
use chrono::{DateTime, Utc};
use domain::incident::{severity_rank, RulePart};
use domain::{Classification, IncidentState, PersonId, Severity};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

/// Who correlation's entries are by.
pub const SYSTEM_ACTOR: &str = "AtlasLens";

/// What a timeline entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Correlation opened the incident.
    Opened,
    /// An alert joined it.
    AlertAttached,
    /// Someone acknowledged it.
    Acknowledged,
    /// Someone assigned it.
    Assigned,
    /// A note.
    Note,
    /// Resolved, with a classification and a note.
    Resolved,
    /// Closed for good.
    Closed,
    /// A new alert reopened it after it was resolved.
    Reopened,
    /// Linked to a Jira issue.
    IssueLinked,
}

impl EntryKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Opened => "opened",
            EntryKind::AlertAttached => "alert_attached",
            EntryKind::Acknowledged => "acknowledged",
            EntryKind::Assigned => "assigned",
            EntryKind::Note => "note",
            EntryKind::Resolved => "resolved",
            EntryKind::Closed => "closed",
            EntryKind::Reopened => "reopened",
            EntryKind::IssueLinked => "issue_linked",
        }
    }

    /// Whether destinations hear of it (opened, reopened, resolved).
    pub const fn notifies(self) -> bool {
        matches!(
            self,
            EntryKind::Opened | EntryKind::Reopened | EntryKind::Resolved
        )
    }
}

/// One timeline entry: who did what, when. Stored as it is, in `incident_timeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id (derived; see the module's notes).
    #[serde(rename = "_id")]
    pub id: String,
    /// The incident.
    pub incident_id: String,
    /// When.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
    /// Who: an administrator's name, or [`SYSTEM_ACTOR`].
    pub by: String,
    /// What.
    pub kind: EntryKind,
    /// The state before, when it changed.
    #[serde(default)]
    pub from_state: Option<IncidentState>,
    /// The state after, when it changed.
    #[serde(default)]
    pub to_state: Option<IncidentState>,
    /// The alert attached, or the alert that opened or reopened it.
    #[serde(default)]
    pub alert_id: Option<String>,
    /// The alert's rule name, for an attached alert.
    #[serde(default)]
    pub rule_name: Option<String>,
    /// A note's or resolution's Markdown.
    #[serde(default)]
    pub text: Option<String>,
    /// The classification, for a resolution.
    #[serde(default)]
    pub classification: Option<Classification>,
    /// Who it was assigned to.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The Jira issue linked.
    #[serde(default)]
    pub issue: Option<String>,
    /// The closed incident this one follows, for an opening.
    #[serde(default)]
    pub follows: Option<String>,
    /// Whether destinations are yet to hear of it (set for openings, reopenings and
    /// resolutions, cleared once their deliveries are queued).
    #[serde(default)]
    pub notify_pending: bool,
}

impl Entry {
    /// An entry of `kind` by `by` at `at`, with nothing else said yet; its id is set when it
    /// is written.
    pub fn new(incident: &str, kind: EntryKind, by: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: String::new(),
            incident_id: incident.to_owned(),
            at,
            by: by.to_owned(),
            kind,
            from_state: None,
            to_state: None,
            alert_id: None,
            rule_name: None,
            text: None,
            classification: None,
            assignee: None,
            issue: None,
            follows: None,
            notify_pending: kind.notifies(),
        }
    }
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Its id.
    pub id: String,
    /// The correlation key alerts join it by (`person:…`, `ip:…`, `rule:…`).
    pub key: String,
    /// Where it stands.
    pub state: IncidentState,
    /// The highest severity of its alerts.
    pub severity: Severity,
    /// Each rule's part, in the order its first alert joined.
    pub parts: Vec<RulePart>,
    /// How many alerts.
    pub alerts: u64,
    /// How many events its alerts are made of.
    pub events: u64,
    /// The people its alerts name.
    pub people: Vec<String>,
    /// The addresses its alerts name.
    pub ips: Vec<String>,
    /// The earliest event of its alerts.
    pub first_seen: DateTime<Utc>,
    /// The latest event of its alerts: the lookback counts from it.
    pub last_seen: DateTime<Utc>,
    /// When correlation opened it.
    pub created_at: DateTime<Utc>,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<(String, DateTime<Utc>)>,
    /// Who is investigating it.
    pub assignee: Option<String>,
    /// Who resolved it, when, as what, and why.
    pub resolution: Option<Resolution>,
    /// Who closed it, and when.
    pub closed: Option<(String, DateTime<Utc>)>,
    /// The Jira issue it is tracked in.
    pub jira_issue: Option<String>,
    /// The closed incident with the same key that this one follows.
    pub follows: Option<String>,
    /// Counts every change; a change is made only to the revision it was decided on.
    pub revision: i64,
    /// Entries written with a change but not yet copied into the timeline.
    pub outbox: Vec<Entry>,
}

/// How an incident was resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// As what.
    pub classification: Classification,
    /// The note.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IncidentDoc {
    #[serde(rename = "_id")]
    id: String,
    key: String,
    state: IncidentState,
    state_rank: i32,
    severity: Severity,
    severity_rank: i32,
    #[serde(default)]
    parts: Vec<RulePart>,
    #[serde(default)]
    alerts: i64,
    #[serde(default)]
    events: i64,
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    ips: Vec<String>,
    first_seen: bson::DateTime,
    last_seen: bson::DateTime,
    created_at: bson::DateTime,
    #[serde(default)]
    acknowledged_by: Option<String>,
    #[serde(default)]
    acknowledged_at: Option<bson::DateTime>,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    resolved_by: Option<String>,
    #[serde(default)]
    resolved_at: Option<bson::DateTime>,
    #[serde(default)]
    classification: Option<Classification>,
    #[serde(default)]
    resolution_note: Option<String>,
    #[serde(default)]
    closed_by: Option<String>,
    #[serde(default)]
    closed_at: Option<bson::DateTime>,
    #[serde(default)]
    jira_issue: Option<String>,
    #[serde(default)]
    follows: Option<String>,
    revision: i64,
    #[serde(default)]
    outbox: Vec<Entry>,
}

fn state_rank(s: IncidentState) -> i32 {
    IncidentState::ALL
        .iter()
        .position(|x| *x == s)
        .map_or(9, |p| p as i32)
}

impl From<IncidentDoc> for Incident {
    fn from(d: IncidentDoc) -> Self {
        let who = |by: Option<String>, at: Option<bson::DateTime>| match (by, at) {
            (Some(by), Some(at)) => Some((by, at.to_chrono())),
            _ => None,
        };
        let resolution = match (
            d.resolved_by,
            d.resolved_at,
            d.classification,
            d.resolution_note,
        ) {
            (Some(by), Some(at), Some(classification), Some(note)) => Some(Resolution {
                by,
                at: at.to_chrono(),
                classification,
                note,
            }),
            _ => None,
        };
        Incident {
            id: d.id,
            key: d.key,
            state: d.state,
            severity: d.severity,
            parts: d.parts,
            alerts: d.alerts.max(0) as u64,
            events: d.events.max(0) as u64,
            people: d.people,
            ips: d.ips,
            first_seen: d.first_seen.to_chrono(),
            last_seen: d.last_seen.to_chrono(),
            created_at: d.created_at.to_chrono(),
            acknowledged: who(d.acknowledged_by, d.acknowledged_at),
            assignee: d.assignee,
            resolution,
            closed: who(d.closed_by, d.closed_at),
            jira_issue: d.jira_issue,
            follows: d.follows,
            revision: d.revision,
            outbox: d.outbox,
        }
    }
}

/// A new incident, as correlation opens it for its first alert.
#[derive(Debug, Clone)]
pub struct Opening {
    /// Its id (derived from the key and the first alert, so a retry opens the same one).
    pub id: String,
    /// The correlation key.
    pub key: String,
    /// The first alert.
    pub alert_id: String,
    /// Its severity.
    pub severity: Severity,
    /// Its first and last event.
    pub first_seen: DateTime<Utc>,
    /// See `first_seen`.
    pub last_seen: DateTime<Utc>,
    /// The closed incident with the same key it follows.
    pub follows: Option<String>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// What an incident's alerts add up to, recomputed from them after each attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The highest severity.
    pub severity: Severity,
    /// Each rule's part.
    pub parts: Vec<RulePart>,
    /// Alerts.
    pub alerts: u64,
    /// Events.
    pub events: u64,
    /// People named.
    pub people: Vec<String>,
    /// Addresses named.
    pub ips: Vec<String>,
    /// The earliest event.
    pub first_seen: DateTime<Utc>,
    /// The latest event.
    pub last_seen: DateTime<Utc>,
}

/// The fields a change sets, decided by the caller from the incident as read.
#[derive(Debug, Clone)]
pub struct Change {
    /// The state after.
    pub state: IncidentState,
    /// Fields to set besides the state (`acknowledged_by`, `assignee`, …).
    pub set: Document,
    /// The entry recording it (its id is assigned here).
    pub entry: Entry,
}

/// Which incidents a page lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    /// Only these states (all when empty).
    pub states: Vec<IncidentState>,
    /// Only these severities.
    pub severities: Vec<Severity>,
    /// Only those assigned to this administrator.
    pub assignee: Option<String>,
    /// Only those naming one of these people.
    pub people: Option<Vec<PersonId>>,
    /// Opened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Opened before.
    pub to: Option<DateTime<Utc>>,
}

/// Mean times over the incidents of a range.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResponseTimes {
    /// Mean seconds from opening to acknowledgement, over those acknowledged.
    pub acknowledge_seconds: Option<f64>,
    /// How many were acknowledged.
    pub acknowledged: u64,
    /// Mean seconds from opening to resolution, over those resolved.
    pub resolve_seconds: Option<f64>,
    /// How many were resolved.
    pub resolved: u64,
}

/// The `incidents` and `incident_timeline` collections.
#[derive(Debug, Clone)]
pub struct IncidentStore {
    incidents: Collection<IncidentDoc>,
    timeline: Collection<Entry>,
}

fn entry_doc(entry: &Entry) -> Result<Bson, StoreError> {
    bson::to_bson(entry).map_err(|e| StoreError::corrupt(INCIDENT_TIMELINE, e))
}

/// The match of incidents in `states`, by their rank: the leading key of the triage index, so
/// the list, its counts per state and the Overview's count read that index, not the collection.
fn ranks_of(states: &[IncidentState]) -> Document {
    let ranks: Vec<i32> = states.iter().map(|s| state_rank(*s)).collect();
    doc! { "state_rank": { "$in": ranks } }
}

fn active_states() -> Vec<&'static str> {
    IncidentState::ACTIVE.iter().map(|s| s.as_str()).collect()
}

impl IncidentStore {
    /// Opens the collections.
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            incidents: db.collection(INCIDENTS),
            timeline: db.collection(INCIDENT_TIMELINE),
        }
    }

    /// Creates the indexes: by key and state for correlation (so closed incidents cost nothing
    /// to a new alert), by state for the list, and the timeline by incident and time.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = crate::named_index;
        self.incidents
            .create_indexes([
                idx(
                    doc! { "key": 1, "state": 1, "last_seen": -1 },
                    "key_state_latest",
                ),
                idx(
                    doc! { "state_rank": 1, "severity_rank": -1, "last_seen": -1 },
                    "triage_order",
                ),
                idx(doc! { "created_at": -1 }, "newest"),
                idx(doc! { "people": 1 }, "people"),
            ])
            .await?;
        self.timeline
            .create_indexes([
                idx(doc! { "incident_id": 1, "at": 1 }, "incident_time"),
                idx(doc! { "notify_pending": 1 }, "notify_pending"),
            ])
            .await?;
        Ok(())
    }

    /// One incident.
    ///
    /// # Errors
    /// A database error.
    pub async fn get(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        Ok(self
            .incidents
            .find_one(doc! { "_id": id })
            .await?
            .map(Incident::from))
    }

    /// The latest active incident with `key` whose latest event is at or after `since`.
    ///
    /// # Errors
    /// A database error.
    pub async fn active_for(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<Incident>, StoreError> {
        Ok(self
            .incidents
            .find_one(doc! {
                "key": key,
                "state": { "$in": active_states() },
                "last_seen": { "$gte": bson::DateTime::from_chrono(since) },
            })
            .sort(doc! { "last_seen": -1 })
            .await?
            .map(Incident::from))
    }

    /// The latest resolved incident with `key` resolved at or after `since`.
    ///
    /// # Errors
    /// A database error.
    pub async fn resolved_for(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<Incident>, StoreError> {
        Ok(self
            .incidents
            .find_one(doc! {
                "key": key,
                "state": IncidentState::Resolved.as_str(),
                "resolved_at": { "$gte": bson::DateTime::from_chrono(since) },
            })
            .sort(doc! { "last_seen": -1 })
            .await?
            .map(Incident::from))
    }

    /// The id of the latest incident with `key` in `state`.
    ///
    /// # Errors
    /// A database error.
    pub async fn latest_in_state(
        &self,
        key: &str,
        state: IncidentState,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .incidents
            .find_one(doc! { "key": key, "state": state.as_str() })
            .sort(doc! { "last_seen": -1 })
            .await?
            .map(|d| d.id))
    }

    /// Opens an incident, or finds the one a killed earlier attempt opened (same id); returns it.
    ///
    /// # Errors
    /// A database error.
    pub async fn open(&self, o: &Opening) -> Result<Incident, StoreError> {
        let opened = Entry {
            id: format!("{}|opened", o.id),
            to_state: Some(IncidentState::Triggered),
            alert_id: Some(o.alert_id.clone()),
            follows: o.follows.clone(),
            ..Entry::new(&o.id, EntryKind::Opened, SYSTEM_ACTOR, o.at)
        };
        let rank = i32::from(severity_rank(o.severity));
        self.incidents
            .clone_with_type::<Document>()
            .update_one(
                doc! { "_id": &o.id },
                doc! { "$setOnInsert": {
                    "key": &o.key,
                    "state": IncidentState::Triggered.as_str(),
                    "state_rank": state_rank(IncidentState::Triggered),
                    "severity": o.severity.as_str(),
                    "severity_rank": rank,
                    "parts": [],
                    "alerts": 0_i64,
                    "events": 0_i64,
                    "people": [],
                    "ips": [],
                    "first_seen": bson::DateTime::from_chrono(o.first_seen),
                    "last_seen": bson::DateTime::from_chrono(o.last_seen),
                    "created_at": bson::DateTime::from_chrono(o.at),
                    "follows": o.follows.as_deref(),
                    "revision": 1_i64,
                    "outbox": [entry_doc(&opened)?],
                } },
            )
            .upsert(true)
            .await?;
        self.flush(&o.id).await?;
        self.get(&o.id).await?.ok_or_else(|| {
            StoreError::corrupt(INCIDENTS, "an incident vanished while it was opened")
        })
    }

    /// Records that `alert` joined `incident`, once however often it is called.
    ///
    /// # Errors
    /// A database error.
    pub async fn record_attached(
        &self,
        incident: &str,
        alert: &str,
        rule_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let entry = Entry {
            id: format!("{incident}|alert|{alert}"),
            alert_id: Some(alert.to_owned()),
            rule_name: Some(rule_name.to_owned()),
            ..Entry::new(incident, EntryKind::AlertAttached, SYSTEM_ACTOR, at)
        };
        self.insert_entries(vec![entry]).await
    }

    /// Writes what the incident's alerts add up to, unless it is closed (a closed incident
    /// stands as it was closed).
    ///
    /// # Errors
    /// A database error.
    pub async fn summarise(&self, id: &str, s: &Summary) -> Result<(), StoreError> {
        let parts = bson::to_bson(&s.parts).map_err(|e| StoreError::corrupt(INCIDENTS, e))?;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.incidents
            .update_one(
                doc! { "_id": id, "state": { "$ne": IncidentState::Closed.as_str() } },
                doc! { "$set": {
                    "severity": s.severity.as_str(),
                    "severity_rank": i32::from(severity_rank(s.severity)),
                    "parts": parts,
                    "alerts": count(s.alerts),
                    "events": count(s.events),
                    "people": &s.people,
                    "ips": &s.ips,
                    "first_seen": bson::DateTime::from_chrono(s.first_seen),
                    "last_seen": bson::DateTime::from_chrono(s.last_seen),
                } },
            )
            .await?;
        Ok(())
    }

    /// Applies `change` to the incident as it stood at `revision`; `false` when it has changed
    /// since (the caller reads it again and decides again).
    ///
    /// # Errors
    /// A database error.
    pub async fn apply(
        &self,
        id: &str,
        revision: i64,
        mut change: Change,
    ) -> Result<bool, StoreError> {
        change.entry.id = format!("{id}|r{:06}", revision + 1);
        change.entry.incident_id = id.to_owned();
        let mut set = change.set;
        set.insert("state", change.state.as_str());
        set.insert("state_rank", state_rank(change.state));
        let update = doc! {
            "$set": set,
            "$inc": { "revision": 1_i64 },
            "$push": { "outbox": entry_doc(&change.entry)? },
        };
        let r = self
            .incidents
            .update_one(doc! { "_id": id, "revision": revision }, update)
            .await?;
        if r.matched_count == 0 {
            return Ok(false);
        }
        self.flush(id).await?;
        Ok(true)
    }

    /// Reopens a resolved incident for `alert` (back to triggered: nobody has looked at the new
    /// alert); `false` when it is no longer resolved. Its resolution stays in the timeline.
    ///
    /// # Errors
    /// A database error.
    pub async fn reopen(
        &self,
        id: &str,
        alert: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let entry = Entry {
            id: format!("{id}|reopened|{alert}"),
            from_state: Some(IncidentState::Resolved),
            to_state: Some(IncidentState::Triggered),
            alert_id: Some(alert.to_owned()),
            ..Entry::new(id, EntryKind::Reopened, SYSTEM_ACTOR, at)
        };
        let r = self
            .incidents
            .update_one(
                doc! { "_id": id, "state": IncidentState::Resolved.as_str() },
                doc! {
                    "$set": {
                        "state": IncidentState::Triggered.as_str(),
                        "state_rank": state_rank(IncidentState::Triggered),
                    },
                    "$unset": {
                        "resolved_by": "", "resolved_at": "", "classification": "",
                        "resolution_note": "",
                    },
                    "$inc": { "revision": 1_i64 },
                    "$push": { "outbox": entry_doc(&entry)? },
                },
            )
            .await?;
        self.flush(id).await?;
        Ok(r.modified_count > 0)
    }

    /// Copies the entries in an incident's outbox into the timeline and takes them off.
    ///
    /// # Errors
    /// A database error.
    pub async fn flush(&self, id: &str) -> Result<(), StoreError> {
        let Some(d) = self.incidents.find_one(doc! { "_id": id }).await? else {
            return Ok(());
        };
        if d.outbox.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = d.outbox.iter().map(|e| e.id.clone()).collect();
        self.insert_entries(d.outbox).await?;
        self.incidents
            .update_one(
                doc! { "_id": id },
                doc! { "$pull": { "outbox": { "_id": { "$in": ids } } } },
            )
            .await?;
        Ok(())
    }

    async fn insert_entries(&self, entries: Vec<Entry>) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        match self.timeline.insert_many(entries).ordered(false).await {
            Ok(_) => Ok(()),
            Err(e) => crate::events::duplicate_count(&e)
                .map(|_| ())
                .ok_or(e.into()),
        }
    }

    /// The incident's timeline, oldest first, including entries not yet copied from its outbox.
    ///
    /// # Errors
    /// A database error.
    pub async fn timeline(&self, incident: &Incident) -> Result<Vec<Entry>, StoreError> {
        let mut entries: Vec<Entry> = self
            .timeline
            .find(doc! { "incident_id": &incident.id })
            .sort(doc! { "incident_id": 1, "at": 1 })
            .await?
            .try_collect()
            .await?;
        for e in &incident.outbox {
            if !entries.iter().any(|x| x.id == e.id) {
                entries.push(e.clone());
            }
        }
        // At the same instant an opening or reopening comes before the alert that caused it.
        let opens = |e: &Entry| !matches!(e.kind, EntryKind::Opened | EntryKind::Reopened);
        entries.sort_by(|a, b| (a.at, opens(a), &a.id).cmp(&(b.at, opens(b), &b.id)));
        Ok(entries)
    }

    /// Up to `limit` incidents matching `filter`: triggered and open first, then by severity,
    /// then latest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn list(
        &self,
        filter: &IncidentFilter,
        limit: i64,
    ) -> Result<Vec<Incident>, StoreError> {
        let docs: Vec<IncidentDoc> = self
            .incidents
            .find(list_query(filter))
            .sort(doc! { "state_rank": 1, "severity_rank": -1, "last_seen": -1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(docs.into_iter().map(Incident::from).collect())
    }

    /// How many incidents match `filter` (its states ignored), per state.
    ///
    /// # Errors
    /// A database error.
    pub async fn count_by_state(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<(IncidentState, u64)>, StoreError> {
        let mut out = Vec::new();
        for state in IncidentState::ALL {
            let f = IncidentFilter {
                states: vec![state],
                ..filter.clone()
            };
            out.push((state, self.incidents.count_documents(list_query(&f)).await?));
        }
        Ok(out)
    }

    /// How many incidents are not resolved or closed.
    ///
    /// # Errors
    /// A database error.
    pub async fn count_active(&self) -> Result<u64, StoreError> {
        Ok(self
            .incidents
            .count_documents(ranks_of(&IncidentState::ACTIVE))
            .await?)
    }

    /// Mean times to acknowledge and to resolve over the incidents matching `filter`.
    ///
    /// # Errors
    /// A database error.
    pub async fn response_times(
        &self,
        filter: &IncidentFilter,
    ) -> Result<ResponseTimes, StoreError> {
        #[derive(Deserialize)]
        struct Times {
            created_at: bson::DateTime,
            #[serde(default)]
            acknowledged_at: Option<bson::DateTime>,
            #[serde(default)]
            resolved_at: Option<bson::DateTime>,
        }
        let mut cursor = self
            .incidents
            .clone_with_type::<Times>()
            .find(list_query(filter))
            .projection(doc! { "created_at": 1, "acknowledged_at": 1, "resolved_at": 1 })
            .await?;
        let (mut ack, mut ack_n, mut res, mut res_n) = (0.0, 0_u64, 0.0, 0_u64);
        while let Some(t) = cursor.try_next().await? {
            let since = |at: bson::DateTime| {
                (at.timestamp_millis() - t.created_at.timestamp_millis()).max(0) as f64 / 1000.0
            };
            if let Some(a) = t.acknowledged_at {
                ack += since(a);
                ack_n += 1;
            }
            if let Some(r) = t.resolved_at {
                res += since(r);
                res_n += 1;
            }
        }
        let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64);
        Ok(ResponseTimes {
            acknowledge_seconds: mean(ack, ack_n),
            acknowledged: ack_n,
            resolve_seconds: mean(res, res_n),
            resolved: res_n,
        })
    }

    /// Timeline entries destinations have not been told of yet (openings, reopenings,
    /// resolutions), oldest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn pending_notifications(&self, limit: i64) -> Result<Vec<Entry>, StoreError> {
        Ok(self
            .timeline
            .find(doc! { "notify_pending": true })
            .sort(doc! { "at": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Records that an entry's deliveries are queued.
    ///
    /// # Errors
    /// A database error.
    pub async fn notified(&self, entry: &str) -> Result<(), StoreError> {
        self.timeline
            .update_one(
                doc! { "_id": entry },
                doc! { "$set": { "notify_pending": false } },
            )
            .await?;
        Ok(())
    }

    /// Keeps the Jira issue a destination opened for an incident (a person may also link one,
    /// which is a recorded change instead).
    ///
    /// # Errors
    /// A database error.
    pub async fn set_issue(&self, id: &str, key: &str) -> Result<(), StoreError> {
        self.incidents
            .update_one(
                doc! { "_id": id, "jira_issue": Bson::Null },
                doc! { "$set": { "jira_issue": key } },
            )
            .await?;
        Ok(())
    }
}

fn list_query(f: &IncidentFilter) -> Document {
    let mut q = Document::new();
    if let Some(people) = &f.people {
        let ids: Vec<String> = people.iter().map(ToString::to_string).collect();
        q.insert("people", doc! { "$in": ids });
    }
    if !f.states.is_empty() {
        q.extend(ranks_of(&f.states));
    }
    if let Some(v) = crate::any_of(&f.severities) {
        q.insert("severity", v);
    }
    if let Some(a) = &f.assignee {
        q.insert("assignee", a);
    }
    if let Some(range) = crate::within(f.from, f.to) {
        q.insert("created_at", range);
    }
    q
}
