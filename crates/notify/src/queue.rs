//! Delivery as jobs on the `deliveries` queue. [`Notifier::queue_pending`] turns every alert that
//! was created or escalated into one delivery per destination (its id derived from alert,
//! destination and severity, so queueing twice finds the same delivery), and every incident
//! opening, reopening and resolution into one delivery per destination that takes incident events
//! (its id derived from the timeline entry and the destination), and one job each; the job
//! makes one attempt, records it in the delivery log, and either finishes, asks to be retried no
//! sooner than the backoff or the destination's `Retry-After`, or gives up (a permanent refusal,
//! `410 Gone`, which also disables the destination, or attempts exhausted). A delivery that is
//! already delivered is never sent again, whatever runs twice.
//!
//! A Jira destination keeping one issue per incident: the incident's `incident.opened` delivery
//! creates the issue (kept on the incident); the incident's later alerts, reopenings and
//! resolution become comments on it. An alert whose incident has no issue yet when it is queued
//! is not sent there at all: it is the alert that opened the incident, or one that came before
//! the issue was made, and the issue — built from the incident as it stands when it is sent —
//! already carries it (its alert is the opening one, its counts include the rest). An alert in no
//! incident (not correlated) is an issue of its own, as before.

use crate::message::{incident_notification, notification};
use crate::route::{destinations_for, destinations_for_incident, issue_per_incident};
use crate::NotifyError;
use chrono::{DateTime, Utc};
use delivery::{Destination, DestinationKind, Notification, NotificationKind, Outcome, Sender};
use domain::{RuleId, RuleSpec};
use jobs::{
    EnqueueOptions, Enqueued, HandlerError, JobContext, JobError, JobStore, WorkerSettings,
};
use query::people::PeopleDirectory;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::alerts::Alert;
use store::crypto::KeyRing;
use store::deliveries::{About, Attempt, Delivery, DeliveryStatus};
use store::destinations::StoredDestination;
use store::incidents::{EntryKind, Incident};
use store::Store;

/// The queue delivery jobs live on.
pub const QUEUE: &str = "deliveries";

/// One delivery to attempt: the job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    /// The delivery's id.
    pub delivery: String,
}

/// The id of the delivery of `alert` at `severity` to `destination`: the idempotency key.
pub fn delivery_id(alert: &str, destination: &str, severity: domain::Severity) -> String {
    digest_id(&[alert, destination, severity.as_str()])
}

/// The id of the delivery of the incident timeline entry `entry` to `destination`.
pub fn incident_delivery_id(entry: &str, destination: &str) -> String {
    digest_id(&["incident", entry, destination])
}

/// `msg_` and 24 hex digits of the SHA-256 of `parts`, each ended by a zero byte.
fn digest_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("msg_{}", store::digest::hex(&h.finalize()[..12]))
}

/// Queues and runs deliveries.
#[derive(Debug, Clone)]
pub struct Notifier {
    store: Store,
    jobs: JobStore,
    keys: Arc<KeyRing>,
    sender: Sender,
    people: Option<PeopleDirectory>,
    public_url: String,
}

fn attempt(outcome: &Outcome, started: Instant, now: DateTime<Utc>, detail: String) -> Attempt {
    Attempt {
        at: now,
        outcome: outcome.label().to_owned(),
        status_code: outcome.status(),
        detail,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

impl Notifier {
    /// A notifier over `store` and `jobs`, sending with `sender`, opening secrets with `keys`,
    /// naming people through `people`, linking to `public_url`.
    pub fn new(
        store: Store,
        jobs: JobStore,
        keys: Arc<KeyRing>,
        sender: Sender,
        people: Option<PeopleDirectory>,
        public_url: String,
    ) -> Self {
        Self {
            store,
            jobs,
            keys,
            sender,
            people,
            public_url,
        }
    }

    /// Queues the deliveries of every alert created or escalated since it was last notified, and
    /// of every incident opening, reopening and resolution not yet told; returns how many
    /// deliveries were queued.
    ///
    /// # Errors
    /// A database error (the alerts and entries stay pending, so the next call queues them).
    pub async fn queue_pending(&self, now: DateTime<Utc>) -> Result<u64, NotifyError> {
        const PAGE: i64 = 500;
        let pending = self.store.alerts.pending_notifications(PAGE).await?;
        let entries = self.store.incidents.pending_notifications(PAGE).await?;
        if pending.is_empty() && entries.is_empty() {
            return Ok(0);
        }
        let destinations = self.store.destinations.all().await?;
        let rules: BTreeMap<RuleId, RuleSpec> = self
            .store
            .rules
            .all()
            .await?
            .into_iter()
            .map(|r| (r.id, r.spec))
            .collect();
        let alerts = self
            .queue_alerts(pending, &destinations, &rules, now)
            .await?;
        let incidents = self
            .queue_incidents(entries, &destinations, &rules, now)
            .await?;
        Ok(alerts + incidents)
    }

    /// Queues the deliveries of the pending alerts, `pending` being the first page.
    async fn queue_alerts(
        &self,
        mut pending: Vec<Alert>,
        destinations: &[StoredDestination],
        rules: &BTreeMap<RuleId, RuleSpec>,
        now: DateTime<Utc>,
    ) -> Result<u64, NotifyError> {
        const PAGE: i64 = 500;
        let mut issues: BTreeMap<String, bool> = BTreeMap::new();
        let mut queued = 0;
        if pending.is_empty() {
            return Ok(0);
        }
        loop {
            let page = pending.len() as i64;
            let mut held_back = false;
            for alert in pending {
                let kind = if alert.notified_severity.is_some() {
                    NotificationKind::AlertEscalated
                } else {
                    NotificationKind::AlertOpened
                };
                let mut complete = true;
                for d in destinations_for(&alert, rules.get(&alert.rule_id), destinations, now) {
                    if let (true, Some(incident)) = (issue_per_incident(d), &alert.incident_id) {
                        if !self.has_issue(incident, &mut issues).await? {
                            continue;
                        }
                    }
                    let id = delivery_id(&alert.id, &d.id, alert.severity);
                    let about = About {
                        alert: Some(&alert.id),
                        incident: alert.incident_id.as_deref(),
                    };
                    if self.create_and_queue(&id, about, &d.id, kind, now).await? {
                        queued += 1;
                    } else {
                        complete = false;
                    }
                }
                if complete {
                    self.store
                        .alerts
                        .notified(&alert.id, alert.severity)
                        .await?;
                } else {
                    held_back = true;
                }
            }
            // An alert held back stays pending for the next pass; paging on would meet it again.
            if page < PAGE || held_back {
                return Ok(queued);
            }
            pending = self.store.alerts.pending_notifications(PAGE).await?;
            if pending.is_empty() {
                return Ok(queued);
            }
        }
    }

    /// Whether `incident` has a Jira issue, asked once per pass.
    async fn has_issue(
        &self,
        incident: &str,
        known: &mut BTreeMap<String, bool>,
    ) -> Result<bool, NotifyError> {
        if let Some(has) = known.get(incident) {
            return Ok(*has);
        }
        let has = self
            .store
            .incidents
            .get(incident)
            .await?
            .is_some_and(|i| i.jira_issue.is_some());
        known.insert(incident.to_owned(), has);
        Ok(has)
    }

    /// Queues the deliveries of the pending incident timeline entries, `entries` being the first
    /// page; an entry is marked told once all of its deliveries are queued.
    async fn queue_incidents(
        &self,
        mut entries: Vec<store::incidents::Entry>,
        destinations: &[StoredDestination],
        rules: &BTreeMap<RuleId, RuleSpec>,
        now: DateTime<Utc>,
    ) -> Result<u64, NotifyError> {
        const PAGE: i64 = 500;
        let mut queued = 0;
        while !entries.is_empty() {
            let page = entries.len() as i64;
            let mut held_back = false;
            for entry in entries {
                let incident = self.store.incidents.get(&entry.incident_id).await?;
                let (Some(kind), Some(incident)) = (incident_kind(entry.kind), incident) else {
                    self.store.incidents.notified(&entry.id).await?;
                    continue;
                };
                let alerts = self.store.alerts.of_incident(&incident.id).await?;
                let alert = entry.alert_id.clone().or_else(|| latest(&alerts));
                let mut specs: Vec<Option<&RuleSpec>> = Vec::new();
                let mut seen = Vec::new();
                for a in &alerts {
                    if !seen.contains(&&a.rule_id) {
                        seen.push(&a.rule_id);
                        specs.push(rules.get(&a.rule_id));
                    }
                }
                let mut complete = true;
                for d in destinations_for_incident(incident.severity, &specs, destinations, now) {
                    let id = incident_delivery_id(&entry.id, &d.id);
                    let about = About {
                        alert: alert.as_deref(),
                        incident: Some(&incident.id),
                    };
                    if self.create_and_queue(&id, about, &d.id, kind, now).await? {
                        queued += 1;
                    } else {
                        complete = false;
                    }
                }
                if complete {
                    self.store.incidents.notified(&entry.id).await?;
                } else {
                    held_back = true;
                }
            }
            if page < PAGE || held_back {
                break;
            }
            entries = self.store.incidents.pending_notifications(PAGE).await?;
        }
        Ok(queued)
    }

    /// Records a delivery (once, whatever runs twice) and queues its job; `false` as for
    /// [`Self::queued`].
    async fn create_and_queue(
        &self,
        id: &str,
        about: About<'_>,
        destination: &str,
        kind: NotificationKind,
        now: DateTime<Utc>,
    ) -> Result<bool, NotifyError> {
        self.store
            .deliveries
            .create(id, about, destination, kind.as_str(), now)
            .await?;
        self.queued(id, destination).await
    }

    /// Queues a delivery's job; `false` when its active key is held by a job that does not
    /// exist (a process killed between taking the key and inserting the job: the lock is taken
    /// over once it is stale, so the alert is left pending and queued again by a later pass).
    async fn queued(&self, delivery: &str, destination: &str) -> Result<bool, NotifyError> {
        Ok(match self.enqueue(delivery, destination).await? {
            Enqueued::Created(_) => true,
            Enqueued::AlreadyActive(holder) => {
                let exists = self.jobs.get(&holder).await?.is_some();
                if !exists {
                    tracing::warn!(delivery.id = delivery, job.id = %holder, "a delivery's queue key is held by a job that was never stored; queued again once the lock is stale");
                }
                exists
            }
        })
    }

    async fn enqueue(&self, delivery: &str, destination: &str) -> Result<Enqueued, JobError> {
        self.jobs
            .enqueue(
                QUEUE,
                &DeliveryJob {
                    delivery: delivery.to_owned(),
                },
                EnqueueOptions {
                    active_key: Some(format!("delivery:{delivery}")),
                    max_attempts: delivery::MAX_ATTEMPTS,
                    labels: BTreeMap::from([("destination".to_owned(), destination.to_owned())]),
                    run_at: None,
                },
            )
            .await
    }

    /// Queues a test message to a destination; returns the delivery's id.
    ///
    /// # Errors
    /// An unknown destination, or a database error.
    pub async fn send_test(
        &self,
        destination: &str,
        now: DateTime<Utc>,
    ) -> Result<String, NotifyError> {
        if self.store.destinations.get(destination).await?.is_none() {
            return Err(NotifyError::UnknownDestination(destination.to_owned()));
        }
        let id = Notification::new_id();
        self.store
            .deliveries
            .create(
                &id,
                About::default(),
                destination,
                NotificationKind::Test.as_str(),
                now,
            )
            .await?;
        self.enqueue(&id, destination).await?;
        Ok(id)
    }

    /// Sends a delivery again ("resend"), with the same idempotency key.
    ///
    /// # Errors
    /// An unknown delivery, or a database error.
    pub async fn resend(&self, delivery: &str) -> Result<(), NotifyError> {
        let d = self
            .store
            .deliveries
            .get(delivery)
            .await?
            .ok_or_else(|| NotifyError::UnknownDelivery(delivery.to_owned()))?;
        self.store.deliveries.reopen(delivery).await?;
        self.enqueue(delivery, &d.destination_id).await?;
        Ok(())
    }

    /// Makes one attempt of a delivery (the job's handler).
    async fn attempt(
        &self,
        job: DeliveryJob,
        ctx: JobContext,
    ) -> Result<serde_json::Value, HandlerError> {
        let fatal = |e: &dyn std::fmt::Display| HandlerError::Fatal(e.to_string());
        let retry = |e: &dyn std::fmt::Display| HandlerError::Retryable(e.to_string());
        let Some(d) = self
            .store
            .deliveries
            .get(&job.delivery)
            .await
            .map_err(|e| retry(&e))?
        else {
            return Err(HandlerError::Fatal(format!(
                "delivery {} no longer exists",
                job.delivery
            )));
        };
        if matches!(d.status, DeliveryStatus::Delivered | DeliveryStatus::Gone) {
            return Ok(
                serde_json::json!({ "status": d.status.as_str(), "skipped": "already settled" }),
            );
        }
        let now = Utc::now();
        let Some(stored) = self
            .store
            .destinations
            .get(&d.destination_id)
            .await
            .map_err(|e| retry(&e))?
        else {
            let reason = "the destination was deleted".to_owned();
            self.record(
                &d.id,
                &Outcome::Failed {
                    status: None,
                    reason: reason.clone(),
                },
                Instant::now(),
                now,
                reason.clone(),
                DeliveryStatus::Failed,
            )
            .await?;
            return Err(HandlerError::Fatal(reason));
        };
        if !stored.enabled {
            let reason = format!(
                "the destination is disabled ({})",
                stored.disabled_reason.as_deref().unwrap_or("switched off")
            );
            self.record(
                &d.id,
                &Outcome::Failed {
                    status: None,
                    reason: reason.clone(),
                },
                Instant::now(),
                now,
                reason.clone(),
                DeliveryStatus::Failed,
            )
            .await?;
            return Err(HandlerError::Fatal(reason));
        }
        let kind: DestinationKind = stored.kind.parse().map_err(|e| fatal(&e))?;
        let secret = stored.secret(&self.keys).map_err(|e| fatal(&e))?;
        let destination =
            Destination::from_parts(kind, &stored.settings, secret).map_err(|e| fatal(&e))?;
        let (message, comment_on) = self.message(&d, issue_per_incident(&stored), now).await?;
        let started = Instant::now();
        let outcome = match &comment_on {
            Some(key) => self.sender.comment(&destination, key, &message, now).await,
            None => self.sender.send(&destination, &message, now).await,
        };
        tracing::info!(
            delivery.id = %d.id,
            destination.id = %stored.id,
            destination.kind = %stored.kind,
            delivery.outcome = outcome.label(),
            delivery.status = outcome.status().unwrap_or(0),
            attempt = ctx.attempt,
            duration_ms = started.elapsed().as_millis() as u64,
            "delivery attempted"
        );
        match &outcome {
            Outcome::Delivered {
                remote_ref, detail, ..
            } => {
                self.record(
                    &d.id,
                    &outcome,
                    started,
                    now,
                    detail.clone(),
                    DeliveryStatus::Delivered,
                )
                .await?;
                if let (Some(key), Some(alert)) = (remote_ref, &d.alert_id) {
                    self.store
                        .alerts
                        .link_issue(alert, key)
                        .await
                        .map_err(|e| retry(&e))?;
                }
                if let (Some(key), Some(incident)) = (remote_ref, &d.incident_id) {
                    self.store
                        .incidents
                        .set_issue(incident, key)
                        .await
                        .map_err(|e| retry(&e))?;
                }
                Ok(serde_json::json!({ "status": "delivered", "remote_ref": remote_ref }))
            }
            Outcome::Retry {
                retry_after,
                reason,
                ..
            } => {
                let last = ctx.attempt >= delivery::MAX_ATTEMPTS;
                let status = if last {
                    DeliveryStatus::Failed
                } else {
                    DeliveryStatus::Pending
                };
                self.record(&d.id, &outcome, started, now, reason.clone(), status)
                    .await?;
                if last {
                    return Err(HandlerError::Fatal(format!(
                        "gave up after {} attempts: {reason}",
                        ctx.attempt
                    )));
                }
                let wait = delivery::backoff(ctx.attempt, *retry_after, &mut rand::thread_rng());
                Err(HandlerError::RetryAfter {
                    reason: reason.clone(),
                    after: wait,
                })
            }
            Outcome::Gone { status } => {
                let reason = format!("answered {status} Gone at {}; disabled", now.to_rfc3339());
                self.record(
                    &d.id,
                    &outcome,
                    started,
                    now,
                    reason.clone(),
                    DeliveryStatus::Gone,
                )
                .await?;
                self.store
                    .destinations
                    .set_enabled(&stored.id, false, Some(&reason))
                    .await
                    .map_err(|e| retry(&e))?;
                Err(HandlerError::Fatal(reason))
            }
            Outcome::Failed { reason, .. } => {
                self.record(
                    &d.id,
                    &outcome,
                    started,
                    now,
                    reason.clone(),
                    DeliveryStatus::Failed,
                )
                .await?;
                Err(HandlerError::Fatal(reason.clone()))
            }
        }
    }

    /// The notification a delivery sends, rebuilt from the stored alert (and incident), and the
    /// Jira issue to comment on instead of creating one, for a destination keeping one issue per
    /// incident (`per_incident`) when the incident has one.
    async fn message(
        &self,
        d: &Delivery,
        per_incident: bool,
        now: DateTime<Utc>,
    ) -> Result<(Notification, Option<String>), HandlerError> {
        let retry = |e: &dyn std::fmt::Display| HandlerError::Retryable(e.to_string());
        let Some(alert_id) = &d.alert_id else {
            if let Some(incident) = &d.incident_id {
                return Err(HandlerError::Fatal(format!(
                    "the delivery about incident {incident} names no alert"
                )));
            }
            let test = Notification {
                id: d.id.clone(),
                ..Notification::test(now, &self.public_url)
            };
            return Ok((test, None));
        };
        let Some(alert) = self
            .store
            .alerts
            .get(alert_id)
            .await
            .map_err(|e| retry(&e))?
        else {
            return Err(HandlerError::Fatal(format!(
                "alert {alert_id} no longer exists"
            )));
        };
        let people = match &self.people {
            Some(p) => p.snapshot().await.ok(),
            None => None,
        };
        let incident_id = d.incident_id.as_ref().or(alert.incident_id.as_ref());
        let incident: Option<Incident> = match incident_id {
            Some(id) if d.incident_id.is_some() || per_incident => {
                self.store.incidents.get(id).await.map_err(|e| retry(&e))?
            }
            _ => None,
        };
        let comment_on = incident
            .as_ref()
            .filter(|_| per_incident)
            .and_then(|i| i.jira_issue.clone());
        let kind = NotificationKind::parse(&d.event);
        let message = match (&d.incident_id, kind) {
            (Some(id), Some(kind)) if kind.is_incident() => {
                let Some(incident) = &incident else {
                    return Err(HandlerError::Fatal(format!(
                        "incident {id} no longer exists"
                    )));
                };
                incident_notification(
                    incident,
                    &alert,
                    kind,
                    &d.id,
                    people.as_deref(),
                    &self.public_url,
                    now,
                )
            }
            _ => notification(
                &alert,
                kind.filter(|k| *k == NotificationKind::AlertEscalated)
                    .unwrap_or(NotificationKind::AlertOpened),
                &d.id,
                people.as_deref(),
                &self.public_url,
                now,
            ),
        };
        Ok((message, comment_on))
    }

    async fn record(
        &self,
        id: &str,
        outcome: &Outcome,
        started: Instant,
        now: DateTime<Utc>,
        detail: String,
        status: DeliveryStatus,
    ) -> Result<(), HandlerError> {
        let a = attempt(outcome, started, now, detail);
        self.store
            .deliveries
            .attempted(
                id,
                &a,
                status,
                match outcome {
                    Outcome::Delivered { remote_ref, .. } => remote_ref.as_deref(),
                    _ => None,
                },
            )
            .await
            .map_err(|e| HandlerError::Retryable(e.to_string()))
    }
}

/// The notification an incident timeline entry of `kind` makes, if any.
fn incident_kind(kind: EntryKind) -> Option<NotificationKind> {
    match kind {
        EntryKind::Opened => Some(NotificationKind::IncidentOpened),
        EntryKind::Reopened => Some(NotificationKind::IncidentReopened),
        EntryKind::Resolved => Some(NotificationKind::IncidentResolved),
        _ => None,
    }
}

/// The id of the latest of `alerts` (by last event, then creation).
fn latest(alerts: &[Alert]) -> Option<String> {
    alerts
        .iter()
        .max_by_key(|a| (a.last_seen, a.created_at))
        .map(|a| a.id.clone())
}

/// Worker settings: a few deliveries at once, picked up within half a second, no in-process
/// retries (every attempt is logged and backed off); a delivery of a killed process is taken over
/// once `lease` lapses.
pub fn worker_settings(name_prefix: &str, lease: Duration) -> WorkerSettings {
    WorkerSettings {
        name_prefix: name_prefix.to_owned(),
        concurrency: 4,
        lease,
        heartbeat: (lease / 4).max(Duration::from_millis(250)),
        poll_interval: Duration::from_millis(500),
        backoff_base: Duration::from_secs(5),
        backoff_max: Duration::from_secs(24 * 3600),
        fast_retries: 0,
        ..WorkerSettings::new(QUEUE)
    }
}

/// Runs delivery workers until `shutdown` completes.
///
/// # Errors
/// When the job backend cannot start.
pub async fn run_workers(
    notifier: Notifier,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), JobError> {
    let db = notifier.store.db.clone();
    let notifier = Arc::new(notifier);
    jobs::run_workers(
        db,
        settings,
        move |job: DeliveryJob, ctx: JobContext| {
            let notifier = notifier.clone();
            async move { notifier.attempt(job, ctx).await }
        },
        shutdown,
    )
    .await
}
