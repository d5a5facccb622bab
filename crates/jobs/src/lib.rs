//! A durable job queue for AtlasLens: an [apalis] 1.0 backend that keeps its jobs in MongoDB,
//! plus the operator API the Jobs page uses.
//!
//! The crate is generic over job payloads and knows nothing about Atlassian. Three parts:
//! - [`MongoStorage`]: the apalis backend (`Backend`, `BackendConfig` with `Kind = Durable`,
//!   `WireFormatBackend`, `Sink`, `FetchById`, `ListTasks`, `ListWorkers`), built on apalis'
//!   own `Persisted` state machine, so apalis workers, middleware and retry layers run on it
//!   unchanged.
//! - [`JobStore`]: the operator side — enqueue, list, counts, details with every run, retry,
//!   kill, bulk retry, live workers.
//! - [`run_workers`]: the recommended apalis wiring (Monitor, layer order, restarts) behind one
//!   call, so the server does not need to know apalis layering details.
//!
//! Design in one paragraph: a job is one MongoDB document. A job may be claimed exactly when its
//! `available_at` field is present and due; the claim is a single `findOneAndUpdate` that removes
//! that field, so two workers can never claim the same job (no transactions needed). A claim
//! takes a lease (`lease_until`) that the owning worker's heartbeat keeps pushing forward; a job
//! whose lease ran out belonged to a dead worker and any worker puts it back. Retries are done by
//! the store with exponential backoff, every attempt is appended to the job's `runs`, and a
//! lock document per active key (see `keys`) guarantees at most one active job per key.
#![deny(missing_docs)]

mod codec;
mod error;
mod keys;
mod model;
mod persistence;
mod replies;
mod retry;
mod storage;
mod store;
mod worker;

pub use codec::{BsonCodec, BsonCodecError};
pub use error::JobError;
pub use keys::JOB_KEYS;
pub use model::{
    EnqueueOptions, Enqueued, JobDetail, JobFilter, JobRun, JobStatus, JobSummary, WorkerInfo,
};
pub use replies::{is_duplicate_key, reply_count};
pub use storage::{MongoStorage, StorageConfig};
pub use store::{JobStore, JOBS, WORKERS};
pub use worker::{run_workers, CancelRegistry, HandlerError, JobContext, WorkerSettings};
