//! Server functions, one module per area. Each checks the session, calls one service and maps the
//! result to a DTO that compiles to wasm.

pub mod alerts;
pub mod auth;
pub mod chart;
pub mod destinations;
pub mod events;
pub mod exports;
#[cfg(feature = "ssr")]
pub(crate) mod graphics;
pub mod imports;
pub mod incidents;
pub mod jobs;
pub mod overview;
pub mod people;
pub mod rules;
pub mod sync;
pub mod teams;
pub mod tokens;
