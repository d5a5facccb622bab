//! End-to-end ingestion against the Atlassian simulator and a real MongoDB-wire server: real
//! connectors, the pipeline, identity resolution, the event store, sync state and the job queue,
//! and the rules and deliveries that follow from what was stored.

mod alerting_recovery;
mod harness;
mod queue;
mod reconcile;
mod recovery;
mod webhook;
