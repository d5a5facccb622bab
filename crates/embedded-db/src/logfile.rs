//! The server's log: one file per start, the previous ones kept.
//!
//! The server writes its standard output and error straight to the file (not through a pipe to
//! us), so what it says while it shuts down after its owner was killed is kept too. At each start
//! the log is rotated first — `db.log` becomes `db.log.1`, `db.log.1` becomes `db.log.2`, and so
//! on, the oldest beyond [`KEPT`] removed — so the output of a start that failed is still there to
//! read after the restart that follows it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How many earlier logs are kept besides the current one.
pub const KEPT: usize = 3;

/// The path of the `n`th earlier log (`db.log.1` is the previous start's).
pub fn earlier(log_path: &Path, n: usize) -> PathBuf {
    let mut name = log_path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Moves the current log and the earlier ones one place back, keeping `kept` earlier logs.
///
/// # Errors
/// IO errors other than a missing file.
pub(crate) fn rotate(log_path: &Path, kept: usize) -> std::io::Result<()> {
    if kept == 0 {
        return ignore_missing(std::fs::remove_file(log_path));
    }
    ignore_missing(std::fs::remove_file(earlier(log_path, kept)))?;
    for n in (1..kept).rev() {
        ignore_missing(std::fs::rename(
            earlier(log_path, n),
            earlier(log_path, n + 1),
        ))?;
    }
    ignore_missing(std::fs::rename(log_path, earlier(log_path, 1)))
}

fn ignore_missing(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Opens the log for the server to append to.
pub(crate) fn open(log_path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(log_path)
}

/// Reads the lines the server adds to its log after a given offset, as they come.
pub(crate) struct Tail {
    file: File,
    partial: Vec<u8>,
    last: Option<String>,
}

impl Tail {
    /// Follows `log_path` from `offset` on.
    pub(crate) fn new(log_path: &Path, offset: u64) -> std::io::Result<Self> {
        let mut file = File::open(log_path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            file,
            partial: Vec::new(),
            last: None,
        })
    }

    /// The complete lines written since the previous call.
    pub(crate) fn new_lines(&mut self) -> Vec<String> {
        let mut chunk = Vec::new();
        if self.file.read_to_end(&mut chunk).is_err() {
            return Vec::new();
        }
        self.partial.extend_from_slice(&chunk);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        let lines: Vec<String> = String::from_utf8_lossy(&complete)
            .lines()
            .map(str::to_owned)
            .collect();
        if let Some(last) = lines.iter().rev().find(|l| !l.trim().is_empty()) {
            self.last = Some(last.trim().to_owned());
        }
        lines
    }

    /// The last non-blank line read so far, including an unfinished one (what a server that
    /// exited said last).
    pub(crate) fn last_line(&mut self) -> Option<String> {
        self.new_lines();
        let unfinished = String::from_utf8_lossy(&self.partial).trim().to_owned();
        if unfinished.is_empty() {
            self.last.clone()
        } else {
            Some(unfinished)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read(path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    #[test]
    fn each_start_moves_the_logs_back_and_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("db.log");
        for start in 1..=5 {
            rotate(&log, 3).unwrap();
            std::fs::write(&log, format!("start {start}")).unwrap();
        }
        assert_eq!(read(&log).as_deref(), Some("start 5"));
        assert_eq!(read(&earlier(&log, 1)).as_deref(), Some("start 4"));
        assert_eq!(read(&earlier(&log, 2)).as_deref(), Some("start 3"));
        assert_eq!(read(&earlier(&log, 3)).as_deref(), Some("start 2"));
        assert!(!earlier(&log, 4).exists(), "start 1 was dropped");
    }

    #[test]
    fn the_first_start_has_nothing_to_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("db.log");
        rotate(&log, 3).unwrap();
        assert!(!log.exists() && !earlier(&log, 1).exists());
    }

    #[test]
    fn the_tail_gives_complete_lines_as_they_are_written_and_remembers_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.log");
        std::fs::write(&path, "from an earlier start\n").unwrap();
        let mut writer = open(&path).unwrap();
        let mut tail = Tail::new(&path, writer.metadata().unwrap().len()).unwrap();
        write!(writer, "one\ntw").unwrap();
        assert_eq!(tail.new_lines(), vec!["one"]);
        write!(writer, "o\n\n").unwrap();
        assert_eq!(tail.new_lines(), vec!["two", ""]);
        write!(writer, "Error: the files are locked").unwrap();
        assert!(tail.new_lines().is_empty());
        assert_eq!(
            tail.last_line().as_deref(),
            Some("Error: the files are locked")
        );
    }
}
