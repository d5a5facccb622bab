//! Integration tests of the real application: the axum router with its middleware, Leptos pages
//! and server functions, against a real MongoDB-wire server started by `testkit`.

mod analytics;
mod auth;
mod embedded;
mod events;
mod exports;
mod health;
mod helpers;
mod incidents;
mod ingest;
mod leptos_config;
mod protection;
