//! Notifications: which destinations an alert or an incident event goes to ([`route`]), the words
//! and links a notification carries ([`message`]), and delivery as jobs on the `deliveries` queue
//! ([`queue`]): one job per (alert or incident event, destination), at least once, the same idempotency key on every
//! attempt, backoff with jitter that honours `Retry-After`, `410 Gone` disabling the destination,
//! and every attempt in the delivery log. "Send test" and "resend" go through the same job.
#![deny(missing_docs)]

pub mod configure;
pub mod message;
pub mod queue;
pub mod route;

pub use queue::{Notifier, QUEUE};

/// Why a notification could not be queued or a destination used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No destination has the id.
    #[error("there is no destination `{0}`")]
    UnknownDestination(String),
    /// No delivery has the id.
    #[error("there is no delivery `{0}`")]
    UnknownDelivery(String),
    /// The stored destination cannot be used.
    #[error(transparent)]
    Destination(#[from] delivery::DestinationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The queue failed.
    #[error(transparent)]
    Jobs(#[from] jobs::JobError),
}
