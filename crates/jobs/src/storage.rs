//! [`MongoStorage`]: the apalis backend.
//!
//! It is apalis' `Persisted` state machine over [`crate::persistence`], plus the trait impls
//! apalis needs (`Backend`, `BackendConfig` with `Kind = Durable`, `WireFormatBackend`, `Sink`)
//! and the cheap read-only ones (`FetchById`, `ListTasks`, `ListWorkers`).

use apalis_core::backend::finalize::Durable;
use apalis_core::backend::persistence::{Persisted, TaskPersistLayer};
use apalis_core::backend::{
    Backend, BackendConfig, FetchById, Filter, ListTasks, ListWorkers, RunningWorker,
    WireFormatBackend,
};
use apalis_core::task::task_id::TaskId;
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use bson::{doc, Bson, Document};
use futures::{Sink, TryStreamExt};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::model::{JobDoc, JobStatus};
use crate::persistence::MongoPersistence;
use crate::worker::CancelRegistry;
use crate::{BsonCodec, JobError, JobStore};

/// How a [`MongoStorage`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// The queue this backend claims from (and pushes to when a task names none).
    pub queue: String,
    /// How often a worker renews its leases and looks for orphaned jobs.
    pub heartbeat: Duration,
    /// How long a claim holds without a heartbeat; a job whose lease ran out is recovered.
    /// Keep it several heartbeats long.
    pub lease: Duration,
    /// The delay before the second attempt; each later one doubles it.
    pub backoff_base: Duration,
    /// The longest delay between attempts.
    pub backoff_max: Duration,
    /// Attempts for tasks pushed through apalis without `max_attempts`.
    pub default_max_attempts: u32,
}

impl StorageConfig {
    /// Production defaults for `queue`: heartbeat 10 s, lease 60 s, backoff 5 s doubling up to
    /// 15 min, 3 attempts.
    pub fn new(queue: impl Into<String>) -> Self {
        StorageConfig {
            queue: queue.into(),
            heartbeat: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
            default_max_attempts: 3,
        }
    }
}

/// The apalis backend over MongoDB for jobs with arguments `Args`.
///
/// Give each worker its own instance (a clone is fine: clones never share claim state). A
/// clone used only as a sink (`TaskSink::push`) never registers as a worker.
#[derive(Debug)]
pub struct MongoStorage<Args> {
    persisted: Persisted<MongoPersistence>,
    codec: BsonCodec,
    // `fn() -> Args` keeps the storage Send + Sync + Unpin whatever `Args` is.
    _args: PhantomData<fn() -> Args>,
}

impl<Args> Clone for MongoStorage<Args> {
    fn clone(&self) -> Self {
        MongoStorage {
            persisted: self.persisted.clone(),
            codec: self.codec,
            _args: PhantomData,
        }
    }
}

impl<Args> MongoStorage<Args> {
    /// A backend over `db`'s jobs collection. Call [`JobStore::setup`] once at start-up.
    pub fn new(db: &mongodb::Database, config: StorageConfig) -> Self {
        Self::with_cancellations(db, config, CancelRegistry::new())
    }

    /// Like [`MongoStorage::new`], signalling operator kill requests for running jobs to
    /// `cancels` at each heartbeat (see [`crate::JobContext`]).
    pub fn with_cancellations(
        db: &mongodb::Database,
        config: StorageConfig,
        cancels: CancelRegistry,
    ) -> Self {
        let p = MongoPersistence::new(JobStore::new(db), config, cancels);
        MongoStorage {
            persisted: Persisted::new(p),
            codec: BsonCodec,
            _args: PhantomData,
        }
    }

    /// The configuration.
    pub fn storage_config(&self) -> &StorageConfig {
        &self.persisted.config
    }

    /// The operator view of the same collections.
    pub fn store(&self) -> JobStore {
        self.persisted.store.clone()
    }

    /// Where kill requests for this backend's running jobs are signalled.
    pub fn cancellations(&self) -> CancelRegistry {
        self.persisted.cancels.clone()
    }

    /// Puts back jobs of this queue whose worker stopped heartbeating; returns how many.
    /// Workers do this at every heartbeat; this is for a janitor or a test.
    ///
    /// # Errors
    /// On a database error.
    pub async fn recover_orphans(&self) -> Result<u64, JobError> {
        self.persisted.recover_orphans().await
    }
}

impl<Args> Backend for MongoStorage<Args> {
    type Task = Task<Bson>;
    type Error = JobError;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), JobError>> {
        let every = self.persisted.config.heartbeat;
        self.persisted.poll_ready(cx, worker, every)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Task<Bson>, JobError>>> {
        self.persisted.poll_next(cx, worker)
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), JobError>> {
        self.persisted.poll_close(cx, worker)
    }
}

impl<Args> BackendConfig for MongoStorage<Args> {
    type Args = Args;
    type Id = String;
    type Kind = Durable;
    type Config = StorageConfig;
    type Layer = TaskPersistLayer<BsonCodec, Bson>;

    fn config(&self) -> &StorageConfig {
        &self.persisted.config
    }

    fn middleware(&mut self, _worker: &mut WorkerContext) -> Self::Layer {
        // Batch size 1: with a larger batch, buffered tasks block heartbeats and acks.
        self.persisted
            .layer(self.codec, 1)
            .lock_tasks(true)
            // The acknowledgement: without it nothing records an attempt's end.
            .persist_results(true)
    }
}

impl<Args> WireFormatBackend for MongoStorage<Args> {
    type Codec = BsonCodec;
    type Compact = Bson;

    fn codec(&self) -> &BsonCodec {
        &self.codec
    }
}

impl<Args> Sink<Task<Bson>> for MongoStorage<Args> {
    type Error = JobError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), JobError>> {
        Pin::new(&mut self.get_mut().persisted).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Task<Bson>) -> Result<(), JobError> {
        Pin::new(&mut self.get_mut().persisted).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), JobError>> {
        Pin::new(&mut self.get_mut().persisted).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), JobError>> {
        Pin::new(&mut self.get_mut().persisted).poll_close(cx)
    }
}

impl<Args> FetchById for MongoStorage<Args> {
    async fn fetch_by_id(&mut self, task_id: &TaskId) -> Result<Option<Task<Bson>>, JobError> {
        let id = task_id.to_string();
        Ok(self.persisted.store.get_doc(&id).await?.map(plain_task))
    }
}

impl<Args> ListTasks for MongoStorage<Args> {
    async fn list_tasks(&self, filter: &Filter) -> Result<Vec<Task<Bson>>, JobError> {
        let page = filter.page.max(1);
        let size = filter.page_size.unwrap_or(10).clamp(1, 1000);
        let mut q = doc! { "queue": &self.persisted.config.queue };
        if let Some(status) = &filter.status {
            q.insert("status", status.to_string());
        }
        let docs: Vec<Document> = self
            .persisted
            .store
            .jobs
            .find(q)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .skip(u64::from((page - 1) * size))
            .limit(i64::from(size))
            .await?
            .try_collect()
            .await?;
        docs.into_iter()
            .map(|d| Ok(plain_task(bson::from_document::<JobDoc>(d)?)))
            .collect()
    }
}

impl<Args> ListWorkers for MongoStorage<Args> {
    async fn list_workers(&self) -> Result<Vec<RunningWorker>, JobError> {
        let queue = self.persisted.config.queue.clone();
        let workers = self.persisted.store.workers(&queue).await?;
        Ok(workers
            .into_iter()
            .filter(|w| w.alive)
            .map(running_worker)
            .collect())
    }

    async fn list_all_workers(&self) -> Result<Vec<RunningWorker>, JobError> {
        let queue = self.persisted.config.queue.clone();
        let workers = self.persisted.store.workers(&queue).await?;
        Ok(workers.into_iter().map(running_worker).collect())
    }
}

fn running_worker(w: crate::WorkerInfo) -> RunningWorker {
    let secs = |d: chrono::DateTime<chrono::Utc>| u64::try_from(d.timestamp()).unwrap_or(0);
    RunningWorker {
        id: w.name,
        queue: w.queue,
        backend: "MongoStorage".to_owned(),
        started_at: secs(w.started_at),
        last_heartbeat: secs(w.last_seen),
        layers: String::new(),
    }
}

/// A stored job as an apalis task, for the read-only traits.
fn plain_task(job: JobDoc) -> Task<Bson> {
    use apalis_core::backend::queue::Queue;
    use apalis_core::task::builder::TaskBuilder;
    use apalis_core::task::status::Status;
    let status = match JobStatus::from_stored(&job.status) {
        JobStatus::Pending => Status::Pending,
        JobStatus::Running => Status::Running,
        JobStatus::Done => Status::Done,
        JobStatus::Failed => Status::Failed,
        JobStatus::Killed => Status::Killed,
    };
    let secs = |d: bson::DateTime| u64::try_from(d.timestamp_millis() / 1000).ok();
    TaskBuilder::new(job.args)
        .task_id(TaskId::from_string(job.id))
        .queue(Queue::from(job.queue))
        .status(status)
        .attempt(usize::try_from(job.attempts).unwrap_or(0))
        .max_attempts(usize::try_from(job.max_attempts).unwrap_or(1))
        .lock_by(job.lock_by)
        .lock_at(job.lock_at.and_then(secs))
        .done_at(job.finished_at.and_then(secs))
        .build()
}
