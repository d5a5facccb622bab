//! AtlasLens server-side services: the settings read from the environment, field encryption, the
//! MongoDB store (one module per collection), administrator authentication, the configured
//! deployments, identity resolution and incremental sync.
//!
//! Everything here is server-only; the dashboard reaches it through thin `#[server]` functions in
//! the `app` crate, and the binary wires it up at start-up.
#![deny(missing_docs)]

pub mod analytics;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod deployments;
pub mod export;
pub mod identity;
pub mod people;
pub mod search;
pub mod source_links;
pub mod store;
pub mod sync;

pub use config::{ConfigError, Settings};
