//! Incidents: what a security team works on until it is understood and closed. New and escalated
//! alerts are correlated into incidents by a key the rule chooses ([`correlate`]); people move an
//! incident through its lifecycle, each move checked against the rules in `domain::incident` and
//! recorded in its append-only timeline ([`triage`]); notes are Markdown shown without any raw
//! HTML ([`markdown`]); and an incident is exported as it stands, as JSON or a printable page,
//! with a SHA-256 manifest ([`evidence`]).
#![deny(missing_docs)]

pub mod correlate;
pub mod evidence;
pub mod markdown;
pub mod triage;

pub use correlate::{correlate_pending, CorrelationReport};
pub use triage::{apply_move, IncidentError};
