//! One module per page.

pub mod event;
pub mod events;
pub mod jobs;
pub mod login;
pub mod not_built;
pub mod not_found;
pub mod overview;
pub mod sync;
