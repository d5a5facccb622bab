//! Finding a server that still runs on a storage directory, such as the embedded database of an
//! AtlasLens process that was just killed.
//!
//! When its owner dies the kernel sends the server SIGTERM (see the guardian), but closing
//! WiredTiger's files takes it a moment, and until it has exited it holds them locked: a server
//! started on the same directory in that moment exits at once ("exit status: 1 before
//! listening"). That is exactly when a service manager restarts a crashed AtlasLens. So before
//! starting, the caller asks [`find`] whether a server still runs on the directory and waits for it
//! to exit.
//!
//! Waiting, rather than taking over a server that still answers: it was started by a process that
//! is gone, so it is no child of ours — it would outlive us if we died, and we could not see it
//! exit — and it has already been told to stop, so it would go away in the middle of our start-up.
//!
//! A process id in the discovery file may since have been given to an unrelated process, and the
//! owner may have been killed before it published the file at all; so a server is recognised by
//! its command line naming the directory (by device and inode, so a relative or symlinked path
//! matches too), and `/proc` is searched when the discovery file names none.

use crate::process;
use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The command-line flags that name the storage directory of the servers we start (see
/// `guardian::server_command`): SecantusDB's and mongod's.
const STORAGE_FLAGS: [&str; 2] = ["--storage-path", "--dbpath"];

/// The id of a live process serving `storage_dir`, if there is one: `hint` (the server the
/// discovery file names) when its command line names the directory, else the first process in
/// `/proc` whose command line does.
pub fn find(storage_dir: &Path, hint: Option<u32>) -> Option<u32> {
    let target = std::fs::metadata(storage_dir).ok()?;
    let serves_it = |pid: u32| {
        process::alive(pid)
            && storage_of(pid)
                .and_then(|path| std::fs::metadata(path).ok())
                .is_some_and(|m| m.dev() == target.dev() && m.ino() == target.ino())
    };
    if let Some(pid) = hint.filter(|&pid| serves_it(pid)) {
        return Some(pid);
    }
    process::all().find(|&pid| serves_it(pid))
}

/// The storage directory named on `pid`'s command line, resolved against its working directory.
fn storage_of(pid: u32) -> Option<PathBuf> {
    let args = process::command_line(pid)?;
    let path = storage_argument(&args)?;
    if path.is_absolute() {
        Some(path)
    } else {
        Some(process::working_dir(pid)?.join(path))
    }
}

/// The value of the first storage flag, as `--flag VALUE` or `--flag=VALUE`.
fn storage_argument(args: &[impl AsRef<OsStr>]) -> Option<PathBuf> {
    let mut args = args.iter().map(AsRef::as_ref).skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        for flag in STORAGE_FLAGS {
            if text == flag {
                return args.next().map(PathBuf::from);
            }
            if let Some(value) = text
                .strip_prefix(flag)
                .and_then(|rest| rest.strip_prefix('='))
            {
                return Some(PathBuf::from(value));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_storage_directory_is_read_from_either_servers_command_line() {
        let secantus = [
            "secantusd-rs",
            "--host",
            "127.0.0.1",
            "--storage-path",
            "data/db",
        ];
        assert_eq!(storage_argument(&secantus), Some(PathBuf::from("data/db")));
        let mongod = ["mongod", "--dbpath=/srv/db", "--port", "1"];
        assert_eq!(storage_argument(&mongod), Some(PathBuf::from("/srv/db")));
        assert_eq!(
            storage_argument(&["--dbpath", "x"]),
            None,
            "not the program"
        );
        assert_eq!(storage_argument(&["sleep", "30"]), None);
    }

    #[test]
    fn nothing_serves_a_directory_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find(&dir.path().join("db"), Some(std::process::id())), None);
    }

    #[test]
    fn a_reused_process_id_in_the_hint_is_not_taken_for_the_server() {
        // This test process is alive but serves no directory, like a recycled pid.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find(dir.path(), Some(std::process::id())), None);
    }
}
