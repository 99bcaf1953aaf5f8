//! The montecell worker: pulls simulation jobs from the queue (apalis on Redis or SQLite) and
//! runs them on the engine.
//!
//! - [`WorkerState`] — what every delivery needs: database, blob store, queue, settings, the
//!   worker's unique name;
//! - [`job`] — one delivery: claim, run with progress and cancellation, write the result;
//! - [`webhooks`] — delivery of the webhook outbox, signed, retried, guarded;
//! - [`run`] — the apalis monitor: concurrency, polling, heartbeats, graceful shutdown.
//!
//! Reliability comes from the database row, not from apalis's own retry layer: every delivery
//! starts with a claim that counts the attempt, a failed attempt enqueues its retry with
//! exponential backoff and jitter, and past `max_attempts` the claim fails the job for good.
//! A worker killed mid-job stops heartbeating; the backend hands its jobs to another worker
//! after `heartbeat_interval_ms × missed_heartbeats`, and the claim takes the running row over.

pub mod job;
pub mod webhooks;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, WorkerBuilder};
use montecell_kernels::gpu::GpuEngine;
use montecell_shared::blob::BlobStore;
use montecell_shared::db::Database;
use montecell_shared::queue::{Queue, SimulationJob};
use montecell_shared::settings::Settings;
use montecell_shared::workbooks::WorkbookCache;

/// The device `setting` names (`""`: none), opened; a missing driver, NVRTC or device is
/// logged once and the worker uses the CPU engine.
fn open_gpu(setting: &str) -> Option<Arc<GpuEngine>> {
    let setting = setting.trim();
    if setting.is_empty() {
        return None;
    }
    let Ok(ordinal) = setting.parse::<usize>() else {
        tracing::warn!(gpu = %setting, "gpu must be a device number; using the CPU engine");
        return None;
    };
    match GpuEngine::open(ordinal) {
        Ok(gpu) => {
            tracing::info!(device = %gpu.device(), "pinned to the GPU");
            metrics::gauge!("montecell_worker_gpu", "device" => gpu.device()).set(1.0);
            Some(Arc::new(gpu))
        }
        Err(e) => {
            tracing::warn!(gpu = ordinal, error = %e, "no usable GPU: this worker uses the CPU engine");
            metrics::gauge!("montecell_worker_gpu", "device" => format!("{ordinal}: unavailable")).set(0.0);
            None
        }
    }
}

/// The number of CUDA devices (0 without a driver): `montecell worker --gpu all` starts one
/// worker per device.
pub fn gpu_count() -> usize {
    montecell_kernels::gpu::device_count()
}

/// A worker that cannot start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The apalis monitor failed.
    #[error("worker: {0}")]
    Monitor(String),
}

/// What every delivery needs.
#[derive(Debug)]
pub struct WorkerState {
    /// The database.
    pub db: Database,
    /// The blob store.
    pub blobs: BlobStore,
    /// The queue (retries are enqueued here).
    pub queue: Queue,
    /// The settings.
    pub settings: Settings,
    /// This process's worker name (unique per start).
    pub name: String,
    /// The GPU this worker is pinned to (`None`: the CPU engine). Results name the engine and
    /// device that ran them.
    pub gpu: Option<Arc<GpuEngine>>,
    /// Parsed workbooks by content hash.
    pub workbooks: WorkbookCache,
    /// Set when a shutdown signal arrives: running jobs are handed back after it.
    shutdown_deadline: Mutex<Option<Instant>>,
}

impl WorkerState {
    /// A worker's state.
    pub fn new(db: Database, blobs: BlobStore, queue: Queue, settings: Settings) -> WorkerState {
        let name = if settings.worker_name.is_empty() { unique_name() } else { settings.worker_name.clone() };
        let gpu = open_gpu(&settings.gpu);
        WorkerState {
            db,
            blobs,
            queue,
            settings,
            name,
            gpu,
            workbooks: WorkbookCache::default(),
            shutdown_deadline: Mutex::new(None),
        }
    }

    /// The delay before retry number `attempt` (1-based): `retry_backoff_ms × 2^(attempt-1)`,
    /// at most `retry_backoff_max_ms`, with ±25% jitter so retries of many jobs spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self.settings.retry_backoff_ms as f64 * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        let capped = base.min(self.settings.retry_backoff_max_ms as f64);
        let jitter = 0.75 + 0.5 * rand::random::<f64>();
        Duration::from_millis((capped * jitter) as u64)
    }

    /// A running row whose heartbeat is older than this belongs to a dead worker: a live
    /// worker writes it every `progress_interval_ms`. Three intervals, or half the backend's
    /// heartbeat interval if that is longer — and shorter than the backend takes to redeliver
    /// a dead worker's job (about one heartbeat interval with apalis-redis), so the redelivery
    /// finds the row stale.
    pub fn stale_heartbeat_ms(&self) -> i64 {
        (3 * self.settings.progress_interval_ms).max(self.settings.heartbeat_interval_ms / 2) as i64
    }

    /// Starts the shutdown clock: running jobs get `shutdown_timeout_ms`, then are handed back.
    pub fn begin_shutdown(&self) {
        if let Ok(mut d) = self.shutdown_deadline.lock()
            && d.is_none()
        {
            *d = Some(Instant::now() + Duration::from_millis(self.settings.shutdown_timeout_ms));
        }
    }

    /// Has the shutdown grace period ended?
    pub fn past_shutdown_deadline(&self) -> bool {
        self.shutdown_deadline.lock().ok().and_then(|d| *d).is_some_and(|d| Instant::now() >= d)
    }
}

/// `<host>-<pid>-<random>`: apalis-redis needs a name no other live process uses, or a dead
/// worker's jobs are never recovered.
pub fn unique_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let host = if host.is_empty() { "worker".to_owned() } else { host };
    format!("{host}-{}-{:06x}", std::process::id(), rand::random::<u32>() & 0xff_ffff)
}

async fn deliver(job: SimulationJob, state: Data<Arc<WorkerState>>) -> Result<(), BoxDynError> {
    match job::handle(&state, &job).await {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(simulation = %job.simulation_id, error = %e, "delivery could not record its outcome; it will be redelivered");
            Err(e.into())
        }
    }
}

/// Runs the worker until `signal` completes, then shuts down gracefully: no new jobs, running
/// ones get `shutdown_timeout_ms` to finish and are then handed back to the queue.
pub async fn run(
    state: Arc<WorkerState>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
    let settings = &state.settings;
    let poll = Duration::from_millis(settings.poll_interval_ms.max(10));
    let concurrency = settings.worker_concurrency.max(1);
    tracing::info!(
        worker = %state.name,
        queue = state.queue.describe(),
        concurrency,
        engine = if state.gpu.is_some() { "cuda" } else { "cpu" },
        "worker started"
    );
    let grace = Duration::from_millis(settings.shutdown_timeout_ms) + Duration::from_secs(10);
    // A worker whose backend fails (Redis went away) is restarted after a pause, under a new
    // apalis name: the old name stops heartbeating, so the backend hands the job it held to a
    // live worker (whose claim takes the stale row over).
    let monitor = Monitor::new().shutdown_timeout(grace).should_restart(|ctx, error| {
        tracing::warn!(worker = %ctx.name(), restarts = ctx.restarts(), error = %error, "the queue failed; restarting the worker in 1 s");
        std::thread::sleep(Duration::from_secs(1));
        true
    });
    let name = state.name.clone();
    // The two backends are different types with the same builder calls.
    macro_rules! register {
        ($storage:expr) => {{
            let (state, storage) = (state.clone(), $storage);
            monitor.register(move |restarts| {
                let name = if restarts == 0 { name.clone() } else { format!("{name}-r{restarts}") };
                WorkerBuilder::new(name)
                    .backend(storage.clone().poll_with_interval(poll))
                    .data(state.clone())
                    .concurrency(concurrency)
                    .build(deliver)
            })
        }};
    }
    let monitor = match state.queue.clone() {
        Queue::Redis { storage, .. } => register!(storage),
        Queue::Sqlite { storage, .. } => register!(storage),
    };
    let sweeper = tokio::spawn(sweep(state.clone()));
    let webhooks = tokio::spawn(webhooks::dispatch(state.clone()));
    let on_signal = {
        let state = state.clone();
        async move {
            signal.await;
            tracing::info!(worker = %state.name, "shutting down: no new jobs; running ones are finished or handed back");
            state.begin_shutdown();
            Ok(())
        }
    };
    let result = monitor.run_with_signal(on_signal).await.map_err(|e| WorkerError::Monitor(e.to_string()));
    sweeper.abort();
    webhooks.abort();
    result
}

/// Every `requeue_after_ms / 4`, re-enqueues the simulations whose message may have been lost
/// (queued but untouched for `requeue_after_ms`, or running with a heartbeat that old): a
/// Redis that lost its data, a crash between two writes. A duplicate message is harmless: the
/// claim skips a job that is final or run by a live worker.
async fn sweep(state: Arc<WorkerState>) {
    let after = state.settings.requeue_after_ms.max(1000);
    let period = Duration::from_millis(after / 4);
    loop {
        tokio::time::sleep(period).await;
        let now = montecell_shared::resources::now_millis();
        match state.db.stale(now - after as i64, now, 100).await {
            Ok(ids) => {
                for id in ids {
                    tracing::warn!(simulation = %id, "no progress for {after} ms: enqueued again");
                    if let Err(e) = state.queue.push(SimulationJob { simulation_id: id.clone() }).await {
                        tracing::warn!(simulation = %id, error = %e, "could not enqueue it again");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "sweep for lost jobs failed"),
        }
    }
}
