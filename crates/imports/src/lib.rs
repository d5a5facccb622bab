//! The other ways records come in besides polling: files of audit exports ([`Importer`]), the
//! ingest API's generic events and Atlassian's pushed audit-log events ([`push`], their rollups
//! recomputed after the answer by [`RollupsLater`]).
//!
//! A file goes through three layers, as a batch pipeline has them:
//! 1. **file** ([`input`]): size, compression, encoding and emptiness are checked over the whole
//!    file (taking its SHA-256) before anything is stored; a file that fails is rejected whole,
//!    with the reason. The same bytes imported before into the same deployment are recognised by
//!    the digest and not read again.
//! 2. **records** ([`records`], [`xml`], [`source`], [`csv_map`]): each record goes through the same
//!    `pipeline::normalize` the connectors use, and becomes an event (new, or found already
//!    stored by its id) or a reject in `rejects` with the file, line or record number and reason.
//! 3. **rollups**: the days that gained events (or the days asked for) are recomputed from the
//!    stored events — deterministic, so a re-run writes the same rows.
//!
//! Events are append-only: a corrected file adds what is new and reports what was already there.
#![deny(missing_docs)]

pub mod csv_map;
pub mod input;
mod later;
pub mod push;
pub mod records;
mod run;
pub mod source;
pub mod xml;

pub use input::{FileRejection, Limits};
pub use later::RollupsLater;
pub use records::Format;
pub use run::{ImportRequest, Importer, Phase};
pub use source::SourceKind;
