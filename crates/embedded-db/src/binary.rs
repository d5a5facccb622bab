//! Which server program to run: a real `mongod` is preferred when the PATH has one; otherwise
//! `secantusd-rs` from the PATH or from cargo's install directory.

use crate::EmbeddedError;
use std::path::{Path, PathBuf};

/// The kind of MongoDB-wire server, which decides its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// MongoDB's own server.
    Mongod,
    /// SecantusDB's Rust server.
    Secantus,
}

/// A server program found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBinary {
    /// Which server it is.
    pub kind: ServerKind,
    /// Its path.
    pub path: PathBuf,
}

/// Finds the server to run: `mongod` on the PATH, else `secantusd-rs` on the PATH or in
/// `$CARGO_HOME/bin` (where `cargo install` put it).
///
/// # Errors
/// [`EmbeddedError::NoServerBinary`] when neither exists.
pub fn find_server_binary() -> Result<ServerBinary, EmbeddedError> {
    if let Some(path) = on_path("mongod") {
        return Ok(ServerBinary {
            kind: ServerKind::Mongod,
            path,
        });
    }
    if let Some(path) = on_path("secantusd-rs").or_else(in_cargo_bin) {
        return Ok(ServerBinary {
            kind: ServerKind::Secantus,
            path,
        });
    }
    Err(EmbeddedError::NoServerBinary)
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn in_cargo_bin() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let candidate = home.join("bin").join("secantusd-rs");
    is_executable(&candidate).then_some(candidate)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
