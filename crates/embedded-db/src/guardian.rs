//! The guardian thread that owns the server process.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not only the process. A
//! tokio worker or a test thread can exit while the server is still wanted, so the child is forked
//! from a thread of its own that lives exactly as long as the [`EmbeddedServer`] handle: when the
//! handle is stopped or dropped the thread stops the child and ends; when the process dies, the
//! kernel sends the child SIGTERM.

use crate::binary::{ServerBinary, ServerKind};
use crate::{leftover, logfile, EmbeddedError};
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long the server may take to start listening and answer `ping`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping server gets after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// A running embedded server. Stop it with [`EmbeddedServer::stop`]; dropping it stops it too.
#[derive(Debug)]
pub struct EmbeddedServer {
    uri: String,
    pid: u32,
    stop_tx: Option<mpsc::Sender<()>>,
    guardian: Option<JoinHandle<()>>,
}

impl EmbeddedServer {
    /// Starts `binary` on a free loopback port with its files in `storage_dir` and its output
    /// written to `log_path` (the log of the previous start moved to `<log_path>.1`, see
    /// [`logfile`]), and returns once it accepts connections (both servers open their port only
    /// when ready to serve).
    ///
    /// `cache_mb` caps the storage engine's cache (useful for tests).
    ///
    /// # Errors
    /// When the directory cannot be made, the program cannot start, or it exits or stays silent
    /// for a minute.
    pub async fn start(
        binary: &ServerBinary,
        storage_dir: &Path,
        log_path: &Path,
        cache_mb: Option<u32>,
    ) -> Result<Self, EmbeddedError> {
        std::fs::create_dir_all(storage_dir).map_err(|source| EmbeddedError::StorageDir {
            path: storage_dir.to_owned(),
            source,
        })?;
        logfile::rotate(log_path, logfile::KEPT)?;
        let log = logfile::open(log_path)?;
        let tail = logfile::Tail::new(log_path, log.metadata()?.len())?;
        let not_ready = |reason: String| EmbeddedError::NotReady {
            reason,
            log: log_path.to_owned(),
        };

        let fixed_port = match binary.kind {
            ServerKind::Mongod => Some(free_port()?),
            ServerKind::Secantus => None,
        };
        let command = server_command(binary, storage_dir, fixed_port, cache_mb, log)?;
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = mpsc::channel();
        let launch = Launch {
            command,
            program: binary.path.clone(),
            storage_dir: storage_dir.to_owned(),
            fixed_port,
            tail,
            log_path: log_path.to_owned(),
        };
        let guardian = std::thread::Builder::new()
            .name("embedded-db-guardian".into())
            .spawn(move || guard(launch, ready_tx, stop_rx))?;

        let mut server = Self {
            uri: String::new(),
            pid: 0,
            stop_tx: Some(stop_tx),
            guardian: Some(guardian),
        };
        let (pid, port) = match tokio::time::timeout(START_TIMEOUT, ready_rx).await {
            Ok(Ok(Ok(ready))) => ready,
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(_)) => return Err(not_ready("the guardian thread ended unexpectedly".into())),
            Err(_) => {
                return Err(not_ready(
                    "it did not report a listening port within 60 s".into(),
                ))
            }
        };
        server.pid = pid;
        server.uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");

        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(not_ready(format!(
                    "nothing accepted connections on port {port}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tracing::info!(db.uri = %server.uri, db.pid = pid, db.program = %binary.path.display(), "embedded database ready");
        Ok(server)
    }

    /// The connection string (loopback, `directConnection=true`).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Stops the server cleanly (SIGTERM, then SIGKILL after 20 s) and waits for it to exit.
    pub async fn stop(mut self) {
        let guardian = self.signal_stop();
        if let Some(handle) = guardian {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }

    fn signal_stop(&mut self) -> Option<JoinHandle<()>> {
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
        self.guardian.take()
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        if let Some(handle) = self.signal_stop() {
            let _ = handle.join();
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn server_command(
    binary: &ServerBinary,
    storage_dir: &Path,
    port: Option<u16>,
    cache_mb: Option<u32>,
    log: File,
) -> std::io::Result<Command> {
    let mut cmd = Command::new(&binary.path);
    match binary.kind {
        ServerKind::Mongod => {
            cmd.arg("--dbpath").arg(storage_dir);
            cmd.args(["--bind_ip", "127.0.0.1", "--port"]);
            cmd.arg(port.unwrap_or(27017).to_string());
            if let Some(mb) = cache_mb {
                cmd.arg("--wiredTigerCacheSizeGB")
                    .arg(format!("{:.2}", f64::from(mb.max(256)) / 1024.0));
            }
        }
        ServerKind::Secantus => {
            cmd.args(["--host", "127.0.0.1", "--port", "0", "--storage-path"]);
            cmd.arg(storage_dir);
            if let Some(mb) = cache_mb {
                cmd.arg("--cache-size").arg(format!("{mb}M"));
            }
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    die_with_parent_thread(&mut cmd);
    Ok(cmd)
}

/// Asks the kernel to SIGTERM the child when the thread that forked it ends.
#[allow(unsafe_code)]
fn die_with_parent_thread(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only calls prctl(2) and
    // getppid(2), both async-signal-safe; it touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may already have died between fork and prctl.
            if libc::getppid() == 1 {
                return Err(std::io::Error::other(
                    "parent exited before the server started",
                ));
            }
            Ok(())
        });
    }
}

type Ready = Result<(u32, u16), EmbeddedError>;

/// What the guardian thread needs to start the server and tell how its start went.
struct Launch {
    command: Command,
    program: PathBuf,
    storage_dir: PathBuf,
    fixed_port: Option<u16>,
    tail: logfile::Tail,
    log_path: PathBuf,
}

/// The guardian thread's body: start the child, report its port, wait for the stop signal (or
/// for the handle to be dropped), then stop the child.
fn guard(launch: Launch, ready_tx: oneshot::Sender<Ready>, stop_rx: mpsc::Receiver<()>) {
    let Launch {
        mut command,
        program,
        storage_dir,
        fixed_port,
        mut tail,
        log_path,
    } = launch;
    let spawned = command.spawn();
    // Our copy of the log's handle is in the command; from now on only the child writes to it.
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(source) => {
            let _ = ready_tx.send(Err(EmbeddedError::Spawn { program, source }));
            return;
        }
    };

    let started = Instant::now();
    let port = loop {
        // mongod is told its port; SecantusDB picks one and says which.
        if let Some(port) = fixed_port {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break Ok(port);
            }
        } else if let Some(port) = tail.new_lines().iter().find_map(|l| listening_port(l)) {
            break Ok(port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(exited_early(status, &mut tail, &storage_dir));
        }
        if started.elapsed() > START_TIMEOUT {
            break Err("it did not start listening within 60 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    match port {
        Ok(port) => {
            let _ = ready_tx.send(Ok((child.id(), port)));
        }
        Err(reason) => {
            let _ = ready_tx.send(Err(EmbeddedError::NotReady {
                reason,
                log: log_path,
            }));
            terminate(&mut child);
            return;
        }
    }
    // Blocks until stop() is called or the handle is dropped (the sender disconnects).
    let _ = stop_rx.recv();
    terminate(&mut child);
}

/// Why a server exited before listening, in its own last words, naming the process that holds
/// its files when another server still runs on them.
fn exited_early(
    status: std::process::ExitStatus,
    tail: &mut logfile::Tail,
    storage_dir: &Path,
) -> String {
    let mut reason = format!("it exited with {status} before listening");
    if let Some(last) = tail.last_line() {
        reason.push_str(&format!(" (its last output: {last})"));
    }
    // Our child has exited and been reaped, so a process found now is another one.
    if let Some(pid) = leftover::find(storage_dir, None) {
        reason.push_str(&format!(
            "; process {pid} still runs a server on {}",
            storage_dir.display()
        ));
    }
    reason
}

/// The port from SecantusDB's `… listening on 127.0.0.1:<port>` line.
fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    let addr = rest.split_whitespace().next()?;
    addr.rsplit_once(':')?.1.parse().ok()
}

fn terminate(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    send_signal(child.id(), libc::SIGTERM);
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::warn!(
        db.pid = child.id(),
        "embedded database ignored SIGTERM for 20 s; killing it"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[allow(unsafe_code)]
fn send_signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped) and a valid signal.
    unsafe {
        libc::kill(pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::listening_port;

    #[test]
    fn the_listening_line_gives_the_port() {
        assert_eq!(
            listening_port("secantusd-rs listening on 127.0.0.1:40123"),
            Some(40123)
        );
        assert_eq!(listening_port("INFO something else"), None);
    }
}
