//! The facade the dashboard and the binary start from: the settings read from the environment,
//! administrator authentication, and [`AppState`], the one bundle of handles that `serve`, the API
//! tests and the benches build the same way.
//!
//! The work itself lives in the stage crates (`store`, `ingest`, `query`, `export`); this crate
//! only wires them together, so `app` depends on it and on the stage crates, never on MongoDB.
#![deny(missing_docs)]

pub mod auth;
pub mod config;
mod state;

pub use config::{ConfigError, Settings};
pub use state::{notifier, stream_infos, AppState};
