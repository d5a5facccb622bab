//! Moving an incident through its lifecycle. Each move is checked against the incident as it
//! stands (`domain::incident::Move::apply`), written only to the revision it was checked on, and
//! recorded in the timeline with who made it. A move that is not allowed is refused with why,
//! never ignored.

use chrono::{DateTime, Utc};
use domain::{IncidentState, Move, MoveError};
use store::incidents::{Change, Entry, EntryKind, Incident};
use store::{Store, StoreError};

/// Why a move was not made.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// No incident has the id.
    #[error("there is no incident `{0}`")]
    NotFound(String),
    /// The move is not allowed from where the incident stands (HTTP 409).
    #[error(transparent)]
    Refused(#[from] MoveError),
    /// Someone else changed it at the same moment, more than once (HTTP 409).
    #[error("the incident was changed by someone else meanwhile; reload it and try again")]
    Changed,
    /// The assignee is not an administrator.
    #[error("`{0}` is not an AtlasLens administrator; choose one from the list")]
    UnknownUser(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes `m` on incident `id` as `by` at `now`; returns the incident as it now stands.
/// Acknowledging (or assigning an incident nobody acknowledged) acknowledges its open alerts.
///
/// # Errors
/// See [`IncidentError`].
pub async fn apply_move(
    store: &Store,
    id: &str,
    m: &Move,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Incident, IncidentError> {
    if let Move::Assign(to) = m {
        if !to.trim().is_empty() && store.users.find(to.trim()).await?.is_none() {
            return Err(IncidentError::UnknownUser(to.trim().to_owned()));
        }
    }
    // A concurrent change makes the conditional write miss; decide again on what it left.
    for _ in 0..3 {
        let incident = store
            .incidents
            .get(id)
            .await?
            .ok_or_else(|| IncidentError::NotFound(id.to_owned()))?;
        let to = m.apply(incident.state)?;
        let acknowledges =
            incident.acknowledged.is_none() && matches!(m, Move::Acknowledge | Move::Assign(_));
        let change = change_for(&incident, m, to, by, now);
        if store.incidents.apply(id, incident.revision, change).await? {
            if acknowledges {
                store.alerts.acknowledge_incident(id, by, now).await?;
            }
            tracing::info!(incident.id = id, admin = by, action = m.name(), to = %to, "incident changed");
            return store
                .incidents
                .get(id)
                .await?
                .ok_or_else(|| IncidentError::NotFound(id.to_owned()));
        }
    }
    Err(IncidentError::Changed)
}

fn change_for(
    incident: &Incident,
    m: &Move,
    to: IncidentState,
    by: &str,
    now: DateTime<Utc>,
) -> Change {
    let at = bson::DateTime::from_chrono(now);
    let from = incident.state;
    let entry = |kind| Entry {
        from_state: (to != from).then_some(from),
        to_state: (to != from).then_some(to),
        ..Entry::new(&incident.id, kind, by, now)
    };
    let acknowledged = || {
        if incident.acknowledged.is_none() {
            bson::doc! { "acknowledged_by": by, "acknowledged_at": at }
        } else {
            bson::Document::new()
        }
    };
    let (set, entry) = match m {
        Move::Acknowledge => (acknowledged(), entry(EntryKind::Acknowledged)),
        Move::Assign(who) => {
            let mut set = acknowledged();
            set.insert("assignee", who.trim());
            (
                set,
                Entry {
                    assignee: Some(who.trim().to_owned()),
                    ..entry(EntryKind::Assigned)
                },
            )
        }
        Move::Resolve(classification, note) => (
            bson::doc! {
                "resolved_by": by,
                "resolved_at": at,
                "classification": classification.as_str(),
                "resolution_note": note.trim(),
            },
            Entry {
                classification: Some(*classification),
                text: Some(note.trim().to_owned()),
                ..entry(EntryKind::Resolved)
            },
        ),
        Move::Close => (
            bson::doc! { "closed_by": by, "closed_at": at },
            entry(EntryKind::Closed),
        ),
        Move::Note(text) => (
            bson::Document::new(),
            Entry {
                text: Some(text.trim().to_owned()),
                ..entry(EntryKind::Note)
            },
        ),
        Move::LinkIssue(key) => (
            bson::doc! { "jira_issue": key.trim() },
            Entry {
                issue: Some(key.trim().to_owned()),
                ..entry(EntryKind::IssueLinked)
            },
        ),
    };
    Change {
        state: to,
        set,
        entry,
    }
}
