//! Test support shared by every crate's integration tests: a real MongoDB-wire server — the one
//! named by `TEST_MONGODB_URI`, else a `secantusd-rs` (or `mongod`) this crate starts once per test
//! binary in a temporary directory — a fresh, uniquely named database for each test, and the
//! [`event`] every fixture builds on.
//!
//! There is no fallback to a fake: when no server can be reached or started the test fails with
//! a message saying how to install one.
#![deny(missing_docs)]

pub mod receivers;

use chrono::{DateTime, Utc};
use domain::{
    Category, DeploymentId, Event, EventId, Operation, Pipeline, Product, Severity, SourceId,
};
use embedded_db::{find_server_binary, EmbeddedServer};
use mongodb::{Client, Database};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

struct SharedServer {
    uri: String,
    // Kept alive for the whole test binary; the guardian thread stops the server at exit.
    _server: Option<EmbeddedServer>,
    _dir: Option<tempfile::TempDir>,
}

static SERVER: OnceLock<SharedServer> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The URI of this test binary's database server, starting it on first use.
///
/// # Panics
/// When no server is configured and none can be started; the message says what to install.
pub fn server_uri() -> &'static str {
    &SERVER.get_or_init(start_shared_server).uri
}

fn start_shared_server() -> SharedServer {
    if let Ok(uri) = std::env::var("TEST_MONGODB_URI") {
        return SharedServer {
            uri,
            _server: None,
            _dir: None,
        };
    }
    let binary = find_server_binary()
        .unwrap_or_else(|e| panic!("integration tests need a database server: {e}"));
    let dir = test_dir();
    let storage = dir.path().join("db");
    let log = dir.path().join("db.log");
    // The server must outlive every test's own runtime, so it is started on a runtime of its own.
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(EmbeddedServer::start(&binary, &storage, &log, Some(256)))
    })
    .join()
    .expect("the test database starter panicked")
    .unwrap_or_else(|e| panic!("could not start the test database: {e}"));
    SharedServer {
        uri: server.uri().to_owned(),
        _server: Some(server),
        _dir: Some(dir),
    }
}

/// A temporary directory for this process's server under `$TMPDIR/atlaslens-tests`. Statics are
/// never dropped, so directories of test processes that have exited are removed here instead.
fn test_dir() -> tempfile::TempDir {
    let base = std::env::temp_dir().join("atlaslens-tests");
    std::fs::create_dir_all(&base).expect("the test database base directory");
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let owner = name
                .strip_prefix("pid-")
                .and_then(|rest| rest.split('-').next());
            if let Some(pid) = owner {
                if !std::path::Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("pid-{}-", std::process::id()))
        .tempdir_in(base)
        .expect("a temporary directory for the test database")
}

/// The event retention tests give the store: tests store events at fixed dates, so a retention
/// counted from the real today would let the TTL monitor delete them once those dates are old
/// enough. About 55 years, under MongoDB's largest `expireAfterSeconds`.
pub const RETAIN_FIXED_DATES_DAYS: u32 = 20_000;

/// A fresh database on the shared server, with a name no other test uses.
pub async fn fresh_database() -> Database {
    let client = client().await;
    let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
    client.database(&format!("test_{}_{}", std::process::id(), n))
}

/// A new client of the shared server.
///
/// # Panics
/// When the server URI is invalid.
pub async fn client() -> Client {
    Client::with_uri_str(server_uri())
        .await
        .expect("a client for the test database")
}

/// An event for a test to store: `deployment`'s `product` record `source` at `at`, a high-severity
/// security permission change on the audit pipeline by nobody in particular, ingested at the same
/// instant, with `{"id": source}` as its raw payload. Tests set the fields they are about with
/// struct update syntax (`Event { actor_id, ..testkit::event(…) }`).
///
/// # Panics
/// When `deployment` or `source` is not a valid id (a mistake in the test).
pub fn event(deployment: &str, product: Product, source: &str, at: DateTime<Utc>) -> Event {
    let deployment = DeploymentId::parse(deployment).expect("a valid deployment id");
    Event {
        id: EventId::new(
            &deployment,
            product,
            &SourceId::parse(source).expect("a valid source id"),
        ),
        occurred_at: at,
        ingested_at: at,
        deployment,
        product,
        pipeline: Pipeline::Audit,
        actor_id: None,
        actor_raw: None,
        operation: Operation::PermissionChanged,
        category: Category::Security,
        severity: Severity::High,
        object_type: None,
        object_ref: None,
        source_ip: None,
        country: None,
        raw: serde_json::json!({ "id": source }),
    }
}

/// A rule for a test to store: `name`, a high-severity match rule on `filter`, one alert per person
/// an hour, correlated by default. Tests set what they are about with struct update syntax.
pub fn match_rule(name: &str, filter: &str) -> domain::RuleSpec {
    domain::RuleSpec {
        name: name.into(),
        description: String::new(),
        severity: Severity::High,
        filter: filter.into(),
        kind: domain::RuleKind::Match,
        dedup: domain::Dedup {
            key: "{person}".into(),
            period_minutes: 60,
        },
        exclusions: domain::Exclusions::default(),
        destinations: Vec::new(),
        enabled: true,
        snoozed_until: None,
        correlation: domain::Correlation::default(),
    }
}
