//! Adding a destination: validated at the edge (http(s) only, and — outside the demo — no
//! loopback, private or link-local address: the SSRF guard), its secret sealed by the store.

use crate::NotifyError;
use chrono::{DateTime, Utc};
use delivery::{Destination, UrlPolicy};
use domain::Severity;
use store::crypto::KeyRing;
use store::destinations::NewDestination;
use store::Store;

/// What a new destination is.
#[derive(Debug)]
pub struct DestinationForm {
    /// Its id (a slug).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where and how.
    pub destination: Destination,
    /// Alerts at or above this severity come here by default.
    pub default_min_severity: Option<Severity>,
    /// Whether incidents opened, reopened and resolved are sent here too.
    pub incident_events: bool,
}

/// Why a destination was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The id is taken.
    #[error("a destination `{0}` exists already; choose another name")]
    Exists(String),
    /// The id is not a slug.
    #[error("a destination id is 1 to 64 of a-z, 0-9 and -")]
    BadId,
    /// The destination's settings are refused.
    #[error(transparent)]
    Invalid(#[from] delivery::DestinationError),
    /// Storing failed.
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// Validates and stores a destination.
///
/// # Errors
/// See [`AddError`].
pub async fn add(
    store: &Store,
    keys: &KeyRing,
    form: DestinationForm,
    policy: UrlPolicy,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AddError> {
    let id_ok = !form.id.is_empty()
        && form.id.len() <= 64
        && form
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(AddError::BadId);
    }
    form.destination.validate(policy).await?;
    let new = NewDestination {
        id: form.id.clone(),
        name: form.name,
        kind: form.destination.kind().as_str().to_owned(),
        settings: form.destination.public_settings(),
        secret: form.destination.secret().cloned(),
        default_min_severity: form.default_min_severity,
        incident_events: form.incident_events,
        created_by: by.to_owned(),
    };
    let created = store
        .destinations
        .create(&new, keys, now)
        .await
        .map_err(NotifyError::from)?;
    if created {
        Ok(())
    } else {
        Err(AddError::Exists(form.id))
    }
}
