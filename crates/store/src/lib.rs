//! The MongoDB store: one module per collection, each owning its document type, its indexes and
//! its queries. Collection names are constants here so no other code spells them. This crate is
//! the only code that talks to MongoDB: the stage crates (`ingest`, `query`, `export`) call the
//! collection owners here and never hold a collection themselves. Personal fields are sealed
//! ([`crypto`]) before they reach a document.
#![deny(missing_docs)]

pub mod alert_rules;
pub mod alerts;
mod batch;
pub mod crypto;
pub mod db;
pub mod deliveries;
pub mod destinations;
pub mod digest;
pub mod events;
pub mod exports;
pub mod identities;
pub mod imports;
pub mod incidents;
pub mod ingest_tokens;
pub mod login_failures;
pub mod login_refusals;
pub mod login_successes;
pub mod rejects;
pub mod rollups;
pub mod rule_counts;
mod rule_memory;
pub mod rule_values;
pub mod sessions;
pub mod sync_state;
pub mod teams;
pub mod users;
pub mod webhook_secrets;

use bson::{doc, Bson, Document};
use mongodb::Database;

/// `events`: one document per source record.
pub const EVENTS: &str = "events";
/// `users`: administrator accounts.
pub const USERS: &str = "users";
/// `sessions`: signed-in browser sessions.
pub const SESSIONS: &str = "sessions";
/// `login_failures`: failed sign-ins, for throttling.
pub const LOGIN_FAILURES: &str = "login_failures";
/// `login_refusals`: sign-in attempts the throttle refused, counted per key and hour.
pub const LOGIN_REFUSALS: &str = "login_refusals";
/// `login_successes`: where each administrator signed in from lately, for the throttle.
pub const LOGIN_SUCCESSES: &str = "login_successes";
/// `group_membership`: person ↔ team.
pub const GROUP_MEMBERSHIP: &str = "group_membership";
/// `canonical_groups`: the teams.
pub const CANONICAL_GROUPS: &str = "canonical_groups";
/// `source_groups`: groups as each deployment reports them.
pub const SOURCE_GROUPS: &str = "source_groups";
/// `group_map`: source group → team.
pub const GROUP_MAP: &str = "group_map";
/// `identities`: product accounts → persons.
pub const IDENTITIES: &str = "identities";
/// `rejects`: records that could not be normalised.
pub const REJECTS: &str = "rejects";
/// `sync_state`: one row per stream.
pub const SYNC_STATE: &str = "sync_state";
/// `rollups_daily`: counts per day and dimension, for the Overview.
pub const ROLLUPS_DAILY: &str = "rollups_daily";
/// Collection of the daily rollups summed over people (see `rollups`).
pub const ROLLUPS_DAILY_KINDS: &str = "rollups_daily_kinds";
/// `rollups_people`: each person's count over aligned spans of days (see `rollups::spans`).
pub const ROLLUPS_PEOPLE: &str = "rollups_people";
/// `exports`: one document per export, with its manifest once complete.
pub const EXPORTS: &str = "exports";
/// `alert_rules`: detection rules, the built-in pack included.
pub const ALERT_RULES: &str = "alert_rules";
/// `rule_state`: each rule's evaluation watermark.
pub const RULE_STATE: &str = "rule_state";
/// `rule_values`: what each new-value rule remembers of the values it has seen.
pub const RULE_VALUES: &str = "rule_values";
/// `rule_counts`: what each baseline rule remembers of its groups' counts.
pub const RULE_COUNTS: &str = "rule_counts";
/// `alerts`: what the rules found.
pub const ALERTS: &str = "alerts";
/// `alert_events`: which events each alert is made of.
pub const ALERT_EVENTS: &str = "alert_events";
/// `destinations`: where alerts are sent.
pub const DESTINATIONS: &str = "destinations";
/// `deliveries`: one document per notification and destination, with its attempts.
pub const DELIVERIES: &str = "deliveries";
/// `incidents`: alerts correlated into the incidents a team works on.
pub const INCIDENTS: &str = "incidents";
/// `incident_timeline`: every change of every incident, append-only.
pub const INCIDENT_TIMELINE: &str = "incident_timeline";
/// `imports`: one document per file import, with its report.
pub const IMPORTS: &str = "imports";
/// `ingest_tokens`: bearer tokens of the ingest API (hashes only).
pub const INGEST_TOKENS: &str = "ingest_tokens";
/// `ingest_calls`: every call made to the ingest API, with its counts (never its body).
pub const INGEST_CALLS: &str = "ingest_calls";
/// `webhook_secrets`: the sealed `Authorization` value of each deployment's audit-log webhook.
pub const WEBHOOK_SECRETS: &str = "webhook_secrets";
/// `upgrades`: one document per one-time data upgrade that has run to completion.
pub const UPGRADES: &str = "upgrades";

/// The one-time data upgrades [`Store::upgrade`] runs, by the name recorded in [`UPGRADES`].
const EVENTS_SEARCH_FIELD: &str = "events.search";
const ROLLUPS_HOURS_AND_KINDS: &str = "rollups.hours_and_kinds";
/// Named after the policy it applies (`docs/normalisation.md`); a later policy change adds a
/// new name, so stored events are reclassified once per change.
const EVENTS_CLASSIFICATION: &str = "events.classification.2026-12-02.detections";
/// Sign-in names no administrator has, which earlier versions kept as typed in `login_failures`
/// and `login_refusals`, forgotten.
const LOGIN_UNKNOWN_NAMES: &str = "login.unknown_names";

/// Database failures, classified for callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The driver or server failed.
    #[error("database error: {0}")]
    Database(#[from] mongodb::error::Error),
    /// A stored document does not have the shape we write.
    #[error("a stored {collection} document is invalid: {reason}")]
    Corrupt {
        /// The collection.
        collection: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The server refused a write.
    #[error("the database refused a write to {collection}: {reason}")]
    Refused {
        /// The collection.
        collection: &'static str,
        /// The server's reason.
        reason: String,
    },
}

/// The match of a time field against `[from, to)` (open bounds when `None`); nothing when both
/// are open. Alerts, incidents and rollups bound their times the same way.
pub(crate) fn within(
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Document> {
    let mut range = Document::new();
    if let Some(from) = from {
        range.insert("$gte", bson::DateTime::from_chrono(from));
    }
    if let Some(to) = to {
        range.insert("$lt", bson::DateTime::from_chrono(to));
    }
    (!range.is_empty()).then_some(range)
}

/// An index with the given keys and name: every collection names its indexes, so a changed
/// definition is created beside the old one rather than failing on a name clash.
pub(crate) fn named_index(keys: Document, name: &str) -> mongodb::IndexModel {
    mongodb::IndexModel::builder()
        .keys(keys)
        .options(
            mongodb::options::IndexOptions::builder()
                .name(name.to_owned())
                .build(),
        )
        .build()
}

/// The match of a field against `values`: the value itself for one, `$in` for several, nothing for
/// none. Events and rollups filter their vocabulary fields the same way.
pub(crate) fn any_of<T: ToString>(values: &[T]) -> Option<Bson> {
    match values {
        [] => None,
        [one] => Some(Bson::String(one.to_string())),
        many => Some(doc! { "$in": many.iter().map(|v| v.to_string()).collect::<Vec<_>>() }.into()),
    }
}

impl StoreError {
    /// A stored `collection` document that does not have the shape we write, and why.
    pub fn corrupt(collection: &'static str, reason: impl ToString) -> Self {
        StoreError::Corrupt {
            collection,
            reason: reason.to_string(),
        }
    }
}

/// Every collection's store over one database.
#[derive(Debug, Clone)]
pub struct Store {
    /// The database itself (health checks).
    pub db: Database,
    /// Events.
    pub events: events::EventStore,
    /// Administrator accounts.
    pub users: users::UserStore,
    /// Failed sign-ins.
    pub login_failures: login_failures::LoginFailureStore,
    /// Refused sign-ins.
    pub login_refusals: login_refusals::LoginRefusalStore,
    /// Where administrators signed in from.
    pub login_successes: login_successes::LoginSuccessStore,
    /// Sessions (tower-sessions store).
    pub sessions: sessions::MongoSessionStore,
    /// Teams and membership.
    pub teams: teams::TeamStore,
    /// Product accounts.
    pub identities: identities::IdentityStore,
    /// Quarantined records.
    pub rejects: rejects::RejectStore,
    /// Per-stream sync state.
    pub sync_state: sync_state::SyncStateStore,
    /// Daily rollups.
    pub rollups: rollups::RollupStore,
    /// Exports and their manifests.
    pub exports: exports::ExportStore,
    /// Detection rules and their watermarks.
    pub rules: alert_rules::RuleStore,
    /// What new-value rules remember.
    pub rule_values: rule_values::RuleValueStore,
    /// What baseline rules remember.
    pub rule_counts: rule_counts::RuleCountStore,
    /// Alerts.
    pub alerts: alerts::AlertStore,
    /// Alert destinations.
    pub destinations: destinations::DestinationStore,
    /// The delivery log.
    pub deliveries: deliveries::DeliveryStore,
    /// Incidents and their timelines.
    pub incidents: incidents::IncidentStore,
    /// File imports and their reports.
    pub imports: imports::ImportStore,
    /// Ingest API tokens and their calls.
    pub ingest_tokens: ingest_tokens::TokenStore,
    /// Audit-log webhook secrets.
    pub webhook_secrets: webhook_secrets::WebhookSecretStore,
}

impl Store {
    /// Opens every collection of `db`.
    pub fn new(db: Database) -> Self {
        Self {
            events: events::EventStore::new(&db),
            users: users::UserStore::new(&db),
            login_failures: login_failures::LoginFailureStore::new(&db),
            login_refusals: login_refusals::LoginRefusalStore::new(&db),
            login_successes: login_successes::LoginSuccessStore::new(&db),
            sessions: sessions::MongoSessionStore::new(&db),
            teams: teams::TeamStore::new(&db),
            identities: identities::IdentityStore::new(&db),
            rejects: rejects::RejectStore::new(&db),
            sync_state: sync_state::SyncStateStore::new(&db),
            rollups: rollups::RollupStore::new(&db),
            exports: exports::ExportStore::new(&db),
            rules: alert_rules::RuleStore::new(&db),
            rule_values: rule_values::RuleValueStore::new(&db),
            rule_counts: rule_counts::RuleCountStore::new(&db),
            alerts: alerts::AlertStore::new(&db),
            destinations: destinations::DestinationStore::new(&db),
            deliveries: deliveries::DeliveryStore::new(&db),
            incidents: incidents::IncidentStore::new(&db),
            imports: imports::ImportStore::new(&db),
            ingest_tokens: ingest_tokens::TokenStore::new(&db),
            webhook_secrets: webhook_secrets::WebhookSecretStore::new(&db),
            db,
        }
    }

    /// Creates every index, idempotently; run at start-up. `retention_days` sets the events TTL.
    ///
    /// # Errors
    /// When the server refuses an index.
    pub async fn ensure_indexes(&self, retention_days: u32) -> Result<(), StoreError> {
        self.events.ensure_indexes(retention_days).await?;
        self.users.ensure_indexes().await?;
        self.login_failures.ensure_indexes().await?;
        self.login_refusals.ensure_indexes().await?;
        self.login_successes.ensure_indexes().await?;
        self.sessions.ensure_indexes().await?;
        self.teams.ensure_indexes().await?;
        self.identities.ensure_indexes().await?;
        self.rejects.ensure_indexes().await?;
        self.rollups.ensure_indexes().await?;
        self.exports.ensure_indexes().await?;
        self.rule_values.ensure_indexes().await?;
        self.rule_counts.ensure_indexes().await?;
        self.alerts.ensure_indexes().await?;
        self.deliveries.ensure_indexes().await?;
        self.incidents.ensure_indexes().await?;
        self.imports.ensure_indexes().await?;
        self.ingest_tokens.ensure_indexes().await?;
        Ok(())
    }

    /// Brings data written by earlier versions up to date; run at start-up. Each upgrade runs
    /// until it completes once and is then recorded in [`UPGRADES`], because finding what needs
    /// upgrading scans millions of events and rollup rows, which every later start-up would
    /// otherwise pay for nothing: this version never writes the old shapes.
    ///
    /// # Errors
    /// A database error; the upgrade that failed runs again at the next start-up.
    pub async fn upgrade(&self) -> Result<(), StoreError> {
        if !self.upgraded(EVENTS_SEARCH_FIELD).await? {
            let changed = self.events.upgrade().await?;
            self.record_upgrade(EVENTS_SEARCH_FIELD, changed).await?;
        }
        if !self.upgraded(ROLLUPS_HOURS_AND_KINDS).await? {
            let changed = self.rollups.upgrade().await?;
            self.record_upgrade(ROLLUPS_HOURS_AND_KINDS, changed)
                .await?;
        }
        if !self.upgraded(EVENTS_CLASSIFICATION).await? {
            self.reclassify_events().await?;
        }
        if !self.upgraded(LOGIN_UNKNOWN_NAMES).await? {
            let admins = self.users.usernames().await?;
            let changed = self.login_failures.forget_names_other_than(&admins).await?
                + self.login_refusals.forget_names_other_than(&admins).await?;
            self.record_upgrade(LOGIN_UNKNOWN_NAMES, changed).await?;
        }
        Ok(())
    }

    /// Reclassifies stored events under the current policy and rebuilds the rollups of the days
    /// concerned. The days are recorded in [`UPGRADES`] before any event is rewritten, so a
    /// start-up killed half-way rebuilds them at the next one, whose plan no longer sees the
    /// events it already rewrote. Two processes starting at once do the same idempotent work.
    async fn reclassify_events(&self) -> Result<(), StoreError> {
        let upgrades = self.db.collection::<Document>(UPGRADES);
        let plan = self
            .events
            .plan_reclassification(pipeline::classify::severity, &pipeline::audit_operation_of)
            .await?;
        let mut days = plan.days.clone();
        if let Some(pending) = upgrades
            .find_one(doc! { "_id": EVENTS_CLASSIFICATION })
            .await?
            .and_then(|d| d.get_array("pending_days").ok().cloned())
        {
            days.extend(
                pending
                    .iter()
                    .filter_map(|d| d.as_str()?.parse::<chrono::NaiveDate>().ok()),
            );
        }
        if !plan.is_empty() {
            let pending: Vec<String> = days.iter().map(ToString::to_string).collect();
            upgrades
                .update_one(
                    doc! { "_id": EVENTS_CLASSIFICATION },
                    doc! { "$set": { "pending_days": pending } },
                )
                .upsert(true)
                .await?;
        }
        let changed = self
            .events
            .apply_reclassification(&plan, pipeline::classify::severity)
            .await?;
        if !days.is_empty() {
            let days: Vec<_> = days.into_iter().collect();
            self.rollups
                .rebuild(&days, &rollups::RollupScope::default())
                .await?;
            tracing::info!(
                events = changed,
                days = days.len(),
                "reclassified stored events under the current severity policy and rebuilt their days' rollups"
            );
        }
        self.record_upgrade(EVENTS_CLASSIFICATION, changed).await
    }

    /// Whether the upgrade `name` has completed (a document with `done_at`; one with only
    /// `pending_days` is an upgrade that was interrupted).
    async fn upgraded(&self, name: &str) -> Result<bool, StoreError> {
        let done = self.db.collection::<Document>(UPGRADES);
        Ok(done
            .find_one(doc! { "_id": name, "done_at": { "$exists": true } })
            .await?
            .is_some())
    }

    async fn record_upgrade(&self, name: &str, changed: u64) -> Result<(), StoreError> {
        let done = self.db.collection::<Document>(UPGRADES);
        let changed = i64::try_from(changed).unwrap_or(i64::MAX);
        done.update_one(
            doc! { "_id": name },
            doc! {
                "$set": { "done_at": bson::DateTime::now(), "changed": changed },
                "$unset": { "pending_days": "" },
            },
        )
        .upsert(true)
        .await?;
        Ok(())
    }
}

/// Whether a driver error is a duplicate-key violation (E11000); the workspace's one reading of
/// it lives with the job queue's store.
pub(crate) use jobs::{is_duplicate_key, reply_count};
