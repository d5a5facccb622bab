//! Ingestion: everything that brings Atlassian records into the store. [`Syncer`] runs one
//! stream's sync, [`queue`] runs syncs as jobs on the schedule, [`IngestSink`] writes what a connector
//! hands over, [`identity`] resolves accounts to people, [`directory`] refreshes people and teams,
//! and [`status`] says where each stream stands.
#![deny(missing_docs)]

pub mod directory;
mod error;
pub mod identity;
pub mod queue;
mod sink;
pub mod status;
mod sync;

pub use error::SyncError;
pub use sink::IngestSink;
pub use sync::{RunReport, Syncer};
