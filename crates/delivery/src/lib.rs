//! Alert delivery: one [`Notification`] to one [`Destination`] — a Slack incoming webhook, a Jira
//! Cloud issue, a Standard Webhooks endpoint or a syslog collector — and an [`Outcome`] that says
//! what happened, so the caller knows whether to record, retry, disable or give up.
//!
//! The crate knows nothing of MongoDB, rules or jobs: the lead persists destinations (split into
//! [`Destination::public_settings`] and [`Destination::secret`]) and deliveries, and runs each
//! attempt as a job, waiting [`backoff()`] between attempts up to [`MAX_ATTEMPTS`].
//!
//! One module per job:
//!
//! - [`notification`] — what is delivered;
//! - [`destination`] — where, with each kind's settings, storage split, masking and validation;
//! - [`guard`] — which addresses may be reached (SSRF), at the edge and at connection time;
//! - [`slack`], [`jira`], [`webhook`], [`syslog`] — each destination's format (and for webhooks
//!   the signing and its verification);
//! - [`mod@send`] — the HTTP client and one attempt; [`outcome`] — its classification;
//! - [`mod@backoff`] — when to try again.
#![deny(missing_docs)]

pub mod backoff;
pub mod destination;
pub mod guard;
pub mod jira;
pub mod notification;
pub mod outcome;
pub mod send;
pub mod slack;
pub mod syslog;
pub mod webhook;

pub use backoff::{backoff, MAX_ATTEMPTS};
pub use destination::{Destination, DestinationError, DestinationKind};
pub use guard::{GuardError, UrlPolicy};
pub use notification::{AlertSummary, IncidentSummary, Notification, NotificationKind};
pub use outcome::Outcome;
pub use send::{http_client, http_client_with, send, ClientOptions, Sender, MAX_RESPONSE_BYTES};
pub use syslog::SyslogFormat;
pub use webhook::{generate_webhook_secret, verify_signature, SecretError, SignatureError};
