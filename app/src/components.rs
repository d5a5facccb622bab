//! Pieces shared by several pages.

pub mod layout;
pub mod refresh;
pub mod time;
