//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong in the job store, the backend or the worker runner.
#[derive(Debug, Error)]
pub enum JobError {
    /// The database rejected or could not complete an operation (after brief retries of
    /// transient failures).
    #[error("job database error: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A payload or result could not be converted to BSON.
    #[error("job payload could not be encoded: {0}")]
    Encode(#[from] bson::ser::Error),
    /// A stored document did not have the expected shape.
    #[error("job document could not be decoded: {0}")]
    Decode(#[from] bson::de::Error),
    /// Another active job already holds this job's active key, so it cannot be made active.
    #[error("another job ({0}) is already active with the same key")]
    KeyActive(String),
    /// No job has this id.
    #[error("no job with id {0}")]
    NotFound(String),
    /// [`crate::JobStore::wait_terminal`] gave up before the job finished.
    #[error("job {0} did not finish in time")]
    Timeout(String),
    /// The worker monitor stopped with an error.
    #[error("job workers stopped: {0}")]
    Workers(String),
}

impl JobError {
    /// True for errors that are worth retrying after a short pause (network trouble, no
    /// server selectable); false for everything that would fail the same way again.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            JobError::Mongo(e) => crate::retry::is_transient(e),
            _ => false,
        }
    }
}
