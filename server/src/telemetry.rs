//! Structured logs with `tracing`. `ATLASLENS_LOG` (or `RUST_LOG`) sets the filter;
//! `ATLASLENS_LOG_FORMAT=json` switches to one JSON object per line for log shippers.

use std::io::IsTerminal;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber; logs go to stderr.
pub fn init() {
    let filter = std::env::var("ATLASLENS_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info,tower_sessions=warn,mongodb=warn,apalis_core=error".to_owned());
    let builder = fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if std::env::var("ATLASLENS_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
