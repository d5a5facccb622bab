//! The AtlasLens domain: the unified event every source is normalised into, the closed vocabularies
//! it is classified with, the identifiers that make ingestion idempotent, the filter the dashboard
//! searches with and its URL form (the Events query language, [`query`]), the streams a sync reads,
//! what an export and its manifest are, which times a record can carry and how counts align to
//! hours and days, why a sign-in was refused, what a detection rule says ([`rule`]) and how its alerts become incidents ([`incident`]).
//!
//! This crate is shared by the server and the browser (it compiles to wasm32), so it holds no IO,
//! no database types and no clock: values are validated where they are built and cannot be invalid
//! afterwards.
#![deny(missing_docs)]

pub mod event;
pub mod export;
pub mod filter;
pub mod ids;
pub mod incident;
pub mod ip;
pub mod query;
pub mod rule;
pub mod sign_in;
pub mod stream;
pub mod time;
pub mod url;
pub mod vocabulary;

pub use event::{Event, ObjectRef};
pub use filter::{EventFilter, PageCursor, PageSize};
pub use ids::{DeploymentId, EventId, IdError, PersonId, SourceId, TeamId};
pub use incident::{Classification, CorrelateBy, Correlation, IncidentState, Move, MoveError};
pub use ip::{IpFilter, IpKey};
pub use rule::{AlertStatus, Dedup, Exclusions, Field, RuleError, RuleId, RuleKind, RuleSpec};
pub use sign_in::{ClientNetwork, SignInRefusal, ThrottleReason};
pub use stream::{StreamKey, StreamKind};
pub use vocabulary::{Category, Operation, Pipeline, Product, Severity, UnknownValue};
