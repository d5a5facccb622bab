//! End-to-end ingestion against the Atlassian simulator and a real MongoDB-wire server: real
//! connectors, the pipeline, identity resolution, the event store, sync state and the job queue.

mod harness;
mod queue;
mod reconcile;
mod recovery;
