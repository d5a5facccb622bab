//! One module per page.

pub mod alerts;
pub mod destinations;
pub mod event;
pub mod events;
pub mod exports;
pub mod imports;
pub mod incidents;
pub mod jobs;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod people;
pub mod rules;
pub mod sync;
pub mod teams;
pub mod tokens;
