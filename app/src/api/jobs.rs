//! The Jobs page's data and operator actions: list by status and stream, a job's attempts,
//! retry, kill and retry-all-failed.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One job in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    /// The job id.
    pub id: String,
    /// `pending`, `running`, `done`, `failed` or `killed`.
    pub status: String,
    /// Whether a failed job will be tried again by itself.
    pub retrying_at: Option<DateTime<Utc>>,
    /// The stream it syncs.
    pub stream: String,
    /// What queued it.
    pub trigger: String,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long its last attempt took, in milliseconds.
    pub duration_ms: Option<u64>,
    /// The worker that ran it last.
    pub worker: Option<String>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// The window a finished run covered (UTC).
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The Jobs page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobListing {
    /// Matching jobs, newest first.
    pub rows: Vec<JobRow>,
    /// Jobs per status on the queue.
    pub counts: Vec<(String, u64)>,
    /// Every stream, for the filter.
    pub streams: Vec<String>,
}

/// One attempt of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    /// 1-based.
    pub attempt: u32,
    /// How it ended.
    pub status: String,
    /// Which worker ran it.
    pub worker: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Its error.
    pub error: Option<String>,
    /// Its result (counters), pretty-printed.
    pub result: Option<String>,
}

/// A job's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    /// The job.
    pub job: JobRow,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
}

/// Jobs filtered by status and stream.
#[server(endpoint = "jobs/list")]
pub async fn list_jobs(
    status: Option<String>,
    stream: Option<String>,
    queue: Option<String>,
) -> Result<JobListing, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let mut filter = helpers::job_filter(status.as_deref(), stream.as_deref(), 200)?;
    filter.queue = helpers::queue(queue.as_deref())?.to_owned();
    let jobs = state.jobs.list(&filter).await?;
    let counts = state.jobs.counts(&filter.queue).await?;
    Ok(JobListing {
        rows: jobs.iter().map(helpers::job_row).collect(),
        counts: counts
            .into_iter()
            .map(|(s, n)| (s.as_str().to_owned(), n))
            .collect(),
        streams: state
            .deployments
            .runnable()
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// One job with every attempt.
#[server(endpoint = "jobs/get")]
pub async fn get_job(id: String) -> Result<JobView, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let detail = state
        .jobs
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    Ok(JobView {
        job: helpers::job_row(&detail.summary),
        attempts: detail
            .runs
            .iter()
            .map(|r| AttemptView {
                attempt: r.attempt,
                status: r.status.as_str().to_owned(),
                worker: r.worker.clone(),
                started_at: r.started_at,
                finished_at: r.finished_at,
                error: r.error.clone(),
                result: r
                    .result
                    .as_ref()
                    .and_then(|v| serde_json::to_string_pretty(v).ok()),
            })
            .collect(),
    })
}

/// Sends a failed or killed job back to the queue.
#[server(endpoint = "jobs/retry")]
pub async fn retry_job(id: String) -> Result<bool, ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let done = state.jobs.retry(&id).await?;
    tracing::info!(job.id = %id, admin = %user.username, retried = done, "job retry requested");
    Ok(done)
}

/// Stops a job: a queued one never runs, a running one is cancelled.
#[server(endpoint = "jobs/kill")]
pub async fn kill_job(id: String) -> Result<bool, ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let done = state.jobs.kill(&id).await?;
    tracing::info!(job.id = %id, admin = %user.username, killed = done, "job kill requested");
    Ok(done)
}

/// Retries every failed job of the stream filter (all streams when empty); returns how many.
#[server(endpoint = "jobs/retry-failed")]
pub async fn retry_failed(stream: Option<String>) -> Result<u64, ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let filter = helpers::job_filter(Some("failed"), stream.as_deref(), 0)?;
    let n = state.jobs.retry_all(&filter).await?;
    tracing::info!(admin = %user.username, count = n, "bulk retry of failed jobs");
    Ok(n)
}

/// Reading the Jobs page's query and turning jobs into its rows.
#[cfg(feature = "ssr")]
mod helpers {
    use crate::error::ApiError;
    use crate::ssr::bad_request;

    /// The job filter of the Jobs page's query.
    ///
    /// # Errors
    /// [`ApiError::BadRequest`] for an unknown status.
    /// The queue a Jobs view lists: sync runs, rule evaluations or alert deliveries.
    pub(super) fn queue(name: Option<&str>) -> Result<&'static str, ApiError> {
        match name.unwrap_or_default() {
            "" | "sync" => Ok(ingest::queue::QUEUE),
            "rules" => Ok(rules::queue::QUEUE),
            "deliveries" => Ok(notify::QUEUE),
            other => Err(bad_request(format!(
                "`{other}` is not a queue; use sync, rules or deliveries"
            ))),
        }
    }

    pub(super) fn job_filter(
        status: Option<&str>,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<jobs::JobFilter, ApiError> {
        let mut filter = jobs::JobFilter::queue(ingest::queue::QUEUE);
        filter.limit = limit;
        if let Some(s) = status.filter(|s| !s.is_empty()) {
            filter.status = Some(
                jobs::JobStatus::ALL
                    .into_iter()
                    .find(|j| j.as_str() == s)
                    .ok_or_else(|| bad_request(format!("`{s}` is not a job status")))?,
            );
        }
        if let Some(s) = stream.filter(|s| !s.is_empty()) {
            filter.labels.insert("stream".to_owned(), s.to_owned());
        }
        Ok(filter)
    }

    /// A job as the Jobs page lists it.
    pub(super) fn job_row(j: &jobs::JobSummary) -> crate::api::jobs::JobRow {
        crate::api::jobs::JobRow {
            id: j.id.clone(),
            status: j.status.as_str().to_owned(),
            retrying_at: j.next_attempt_at,
            stream: j
                .labels
                .get("stream")
                .or_else(|| j.labels.get("destination"))
                .cloned()
                .unwrap_or_default(),
            trigger: j
                .labels
                .get("trigger")
                .or_else(|| j.labels.get("reason"))
                .cloned()
                .unwrap_or_default(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            created_at: j.created_at,
            finished_at: j.finished_at,
            duration_ms: j.duration.map(|d| d.as_millis() as u64),
            worker: j.worker.clone(),
            last_error: j.last_error.clone(),
            window: j.result.as_ref().and_then(|r| {
                let time = |key: &str| {
                    r.get(key).and_then(|v| {
                        serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok()
                    })
                };
                Some((time("window_from")?, time("window_to")?))
            }),
        }
    }
}
