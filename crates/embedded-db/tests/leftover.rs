//! Against the real server program (`mongod` or `secantusd-rs`, as AtlasLens would pick): a
//! server on a storage directory is found by its command line, a second server on the same files
//! fails saying which process holds them, and each start keeps the previous start's log.

use embedded_db::{find_server_binary, leftover, logfile, EmbeddedError, EmbeddedServer};
use std::path::Path;

async fn start(storage: &Path, log: &Path) -> Result<EmbeddedServer, EmbeddedError> {
    let binary =
        find_server_binary().unwrap_or_else(|e| panic!("these tests need a database server: {e}"));
    EmbeddedServer::start(&binary, storage, log, Some(128)).await
}

#[tokio::test]
async fn a_running_server_is_found_by_its_directory_without_a_discovery_file() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("db");
    let server = start(&storage, &dir.path().join("db.log")).await.unwrap();
    assert_eq!(leftover::find(&storage, None), Some(server.pid()));
    // However the directory is named.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&storage, &link).unwrap();
    assert_eq!(leftover::find(&link, None), Some(server.pid()));
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    assert_eq!(leftover::find(&other, Some(server.pid())), None);

    let pid = server.pid();
    server.stop().await;
    assert_eq!(leftover::find(&storage, Some(pid)), None);
}

#[tokio::test]
async fn a_second_server_on_the_same_files_fails_naming_the_process_that_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("db");
    let log = dir.path().join("db.log");
    let first = start(&storage, &log).await.unwrap();

    let err = start(&storage, &log).await.unwrap_err();
    let EmbeddedError::NotReady { reason, log: named } = &err else {
        panic!("not a failed start: {err}");
    };
    assert!(reason.contains("before listening"), "{reason}");
    assert!(reason.contains("its last output:"), "{reason}");
    assert!(
        reason.contains(&format!("process {} still runs a server on", first.pid())),
        "{reason}"
    );
    assert_eq!(named, &log);

    // The failed start wrote a log of its own; the first server's is the previous one.
    let failed = std::fs::read_to_string(&log).unwrap();
    let previous = std::fs::read_to_string(logfile::earlier(&log, 1)).unwrap();
    assert!(!failed.to_lowercase().contains("listening on"), "{failed}");
    assert!(
        previous.to_lowercase().contains("listening on"),
        "{previous}"
    );
    first.stop().await;
}
