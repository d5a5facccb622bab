//! The discovery file: the process that starts the embedded server records where it listens in
//! `<data dir>/embedded-db.json`, so other AtlasLens commands on the same data directory connect to
//! it instead of starting a second server on files the first one holds locked.

use crate::process;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const FILE_NAME: &str = "embedded-db.json";

/// What the owner of a running embedded server publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// Connection string of the server.
    pub uri: String,
    /// The server's process id.
    pub server_pid: u32,
    /// The AtlasLens process that started it and will stop it.
    pub owner_pid: u32,
}

/// Where the discovery file of a data directory lives.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Publishes `discovery` atomically (write to a temporary file, then rename), readable only by us.
///
/// # Errors
/// IO errors writing the file.
pub fn publish(data_dir: &Path, discovery: &Discovery) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = data_dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(discovery).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(tmp, file_path(data_dir))
}

/// Reads the discovery file, whether or not the processes it names still live.
pub fn read(data_dir: &Path) -> Option<Discovery> {
    let bytes = std::fs::read(file_path(data_dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Reads the discovery file if both the owner and the server are still alive; a stale file (left
/// by a process that was killed) is ignored.
pub fn read_live(data_dir: &Path) -> Option<Discovery> {
    read(data_dir).filter(Discovery::is_live)
}

impl Discovery {
    /// Whether both the owner and the server are still running.
    pub fn is_live(&self) -> bool {
        process::alive(self.owner_pid) && process::alive(self.server_pid)
    }

    /// Whether the process that started the server is still running.
    pub fn owner_alive(&self) -> bool {
        process::alive(self.owner_pid)
    }
}

/// Removes the discovery file if this process published it.
pub fn withdraw(data_dir: &Path) {
    let path = file_path(data_dir);
    let ours = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Discovery>(&b).ok())
        .is_some_and(|d| d.owner_pid == std::process::id());
    if ours {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_file_is_read_back_while_its_processes_live() {
        let dir = tempfile::tempdir().unwrap();
        let me = std::process::id();
        let d = Discovery {
            uri: "mongodb://127.0.0.1:1/".into(),
            server_pid: me,
            owner_pid: me,
        };
        publish(dir.path(), &d).unwrap();
        assert_eq!(read_live(dir.path()), Some(d));
        withdraw(dir.path());
        assert!(!file_path(dir.path()).exists());
    }

    #[test]
    fn a_file_left_by_a_dead_owner_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = Discovery {
            uri: "mongodb://x/".into(),
            server_pid: std::process::id(),
            owner_pid: u32::MAX - 1,
        };
        publish(dir.path(), &d).unwrap();
        assert_eq!(read_live(dir.path()), None);
        assert_eq!(read(dir.path()), Some(d), "though it can still be read");
    }
}
