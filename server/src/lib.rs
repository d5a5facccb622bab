//! The `atlaslens` binary's library half: configuration of the web server, its routes and
//! middleware, the database connection (embedded or external) and the operator commands. Kept as
//! a library so integration tests start the real application.

pub mod background;
pub mod cli;
pub mod database;
pub mod demo;
pub mod middleware;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
