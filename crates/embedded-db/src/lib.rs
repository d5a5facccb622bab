//! The embedded database: when AtlasLens is given no `MONGODB_URI` it runs its own MongoDB-wire
//! server as a child process — a real `mongod` when one is on the PATH, otherwise `secantusd-rs`
//! (SecantusDB, the MongoDB wire protocol over WiredTiger) — with its files under a directory of
//! ours, on a free loopback port.
//!
//! Three properties matter and are kept here:
//! - **the child never outlives us**: it is spawned from a dedicated guardian thread with
//!   `PR_SET_PDEATHSIG`, so the kernel signals it if our process dies, however it dies;
//! - **clean stops**: [`EmbeddedServer::stop`] sends SIGTERM and waits, so WiredTiger closes its files;
//! - **one server per data directory**: the owner writes a [`discovery`] file, which other commands
//!   (`seed-admin`, `sync`, …) use to reach the running server instead of starting a second one on the
//!   same files; and a server still running on the files after its owner died — it takes a moment
//!   to close them — is found by [`leftover::find`], so a restart waits for it instead of failing;
//! - **the reason a start failed stays readable**: each start writes a fresh log and keeps the
//!   previous ones ([`logfile`]).
#![deny(missing_docs)]

pub mod binary;
pub mod discovery;
mod guardian;
pub mod leftover;
pub mod logfile;
mod process;

pub use binary::{find_server_binary, ServerBinary, ServerKind};
pub use guardian::EmbeddedServer;

use std::path::PathBuf;

/// What can go wrong starting or reaching the embedded server.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// Neither `mongod` nor `secantusd-rs` could be found.
    #[error(
        "no MongoDB-compatible server found: install `mongod`, or SecantusDB with \
         `cargo install secantus-mdb --version 0.5.3-beta.196 --ignore-rust-version --locked` \
         (or run `make run`, which does it), or set MONGODB_URI to an existing server"
    )]
    NoServerBinary,
    /// The storage directory could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    StorageDir {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program path.
        program: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The process exited or never became ready.
    #[error("the embedded database did not start: {reason} (its output is in {log})")]
    NotReady {
        /// What was observed.
        reason: String,
        /// Where the server's output was written.
        log: PathBuf,
    },
    /// An IO error on the discovery file or log.
    #[error("embedded database file error: {0}")]
    Io(#[from] std::io::Error),
}
