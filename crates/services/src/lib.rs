//! AtlasLens server-side services: the settings read from the environment, field encryption, the
//! MongoDB store (one module per collection) and administrator authentication.
//!
//! Everything here is server-only; the dashboard reaches it through thin `#[server]` functions in
//! the `app` crate, and the binary wires it up at start-up.
#![deny(missing_docs)]

pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod search;
pub mod store;

pub use config::{ConfigError, Settings};
