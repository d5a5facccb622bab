//! The AtlasLens dashboard: Leptos components and pages, rendered on the server and hydrated in the
//! browser, and the typed `#[server]` functions they call.
//!
//! Built twice: with `ssr` into the server binary (server functions run, services are linked) and
//! with `hydrate` into the wasm bundle (server functions become HTTP calls).

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use app::{shell, App};
