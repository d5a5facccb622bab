//! Brief retries of transient database failures.
//!
//! Any error returned from a `Persistence` method moves apalis' `Persisted` state machine to
//! `Dead` and ends the worker, so a momentary network blip must not surface there. Operations
//! are retried a few times with a short pause; only then is the error returned (and the worker
//! restarted by the monitor).

use mongodb::error::{ErrorKind, RETRYABLE_WRITE_ERROR};
use std::future::Future;
use std::time::Duration;

use crate::JobError;

const ATTEMPTS: u32 = 4;
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// True when the error says nothing about the request itself, only about reaching the server.
pub(crate) fn is_transient(e: &mongodb::error::Error) -> bool {
    if e.contains_label(RETRYABLE_WRITE_ERROR) || e.contains_label("TransientTransactionError") {
        return true;
    }
    matches!(
        *e.kind,
        ErrorKind::Io(_)
            | ErrorKind::ServerSelection { .. }
            | ErrorKind::ConnectionPoolCleared { .. }
    )
}

/// Runs `op` until it succeeds, fails with a non-transient error, or has failed `ATTEMPTS`
/// times. Every operation passed here must be safe to repeat.
pub(crate) async fn transient<T, F, Fut>(what: &str, mut op: F) -> Result<T, JobError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, JobError>>,
{
    let mut pause = FIRST_PAUSE;
    let mut tries = 1;
    loop {
        match op().await {
            Err(e) if e.is_transient() && tries < ATTEMPTS => {
                tracing::warn!(job.operation = what, error = %e, tries, "transient job database error, retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            other => return other,
        }
    }
}
