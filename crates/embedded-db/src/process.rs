//! What `/proc` tells about other processes: whether one is alive, its command line and working
//! directory, and which processes exist. Linux only, like the rest of this crate.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// Whether `pid` is a running process (a zombie has exited: it holds no files and serves nothing).
pub(crate) fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            // The state is the first field after the parenthesised command name; Z is a zombie.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

/// The arguments `pid` was started with, program first.
pub(crate) fn command_line(pid: u32) -> Option<Vec<OsString>> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<OsString> = bytes
        .split(|&b| b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| OsString::from_vec(arg.to_vec()))
        .collect();
    (!args.is_empty()).then_some(args)
}

/// The working directory of `pid`, against which its relative paths resolve.
pub(crate) fn working_dir(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/cwd")).ok()
}

/// The ids of every process there is.
pub(crate) fn all() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_lists_its_own_command_line() {
        let me = std::process::id();
        assert!(alive(me));
        assert!(all().any(|pid| pid == me));
        let args = command_line(me).unwrap();
        assert_eq!(
            PathBuf::from(&args[0]).file_name(),
            std::env::current_exe().unwrap().file_name()
        );
        assert_eq!(working_dir(me), std::env::current_dir().ok());
    }

    #[test]
    fn a_reaped_process_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!alive(pid));
        assert!(command_line(pid).is_none());
    }
}
