//! One module per page.

pub mod events;
pub mod login;
pub mod not_built;
pub mod not_found;
