//! Pieces shared by several pages.

pub mod charts;
pub mod export_links;
pub mod filter_form;
pub mod layout;
pub mod refresh;
pub mod time;
