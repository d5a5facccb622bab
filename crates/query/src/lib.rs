//! What the AtlasLens dashboard reads, as typed results: the Overview's figures from the rollups,
//! event search and counts, the people directory and rankings, the person and team pages, and links from an event back to its
//! object in the product.
//!
//! Every read goes through the store's collection owners; nothing here talks to MongoDB or writes.
#![deny(missing_docs)]

pub mod analytics;
pub mod people;
pub mod person_page;
pub mod range;
pub mod rankings;
pub mod search;
pub mod source_links;
pub mod team_page;
