//! One delivery of a simulation job: claim the row, run the engine, write the result — each
//! step one transition of `docs/jobs.md`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use montecell_engine::compile::boxing::{self, Lane};
use montecell_engine::import::{self, Limits};
use montecell_engine::run::RunOptions;
use montecell_engine::simulate::{SimulationError, simulate};
use montecell_engine::spec::SimulationSpec;
use montecell_kernels::GpuError;
use montecell_kernels::gpu::GpuRunOptions;
use montecell_shared::blob::BlobError;
use montecell_shared::db::{Claim, DbError, ResultRow, SimulationRow};
use montecell_shared::problem::Problem;
use montecell_shared::queue::SimulationJob;
use montecell_shared::resources::now_millis;
use montecell_shared::samples::{self, SampleBlob, SampleIndex};

use crate::WorkerState;

/// How a delivery ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Results written (by this delivery or an earlier one).
    Succeeded,
    /// Failed for good: the error is deterministic or every attempt is used.
    Failed,
    /// Failed; another attempt is queued after a backoff.
    Retrying,
    /// Canceled on request.
    Canceled,
    /// Given back to the queue because the worker is shutting down.
    HandedBack,
    /// Nothing to do (final already, or unknown id).
    Skipped,
    /// Its tenant runs as many simulations as it may: enqueued again for later.
    Throttled,
}

/// A delivery that could not record what happened: apalis redelivers it.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The queue (a retry could not be enqueued).
    #[error(transparent)]
    Queue(#[from] montecell_shared::queue::QueueError),
}

/// Why an attempt stopped.
enum Stop {
    /// The spec, the workbook or the model is at fault: retrying cannot help.
    Permanent(Problem),
    /// Something outside (database, blob store, a panic): another attempt may succeed.
    Transient(Problem),
    /// Cancellation was asked.
    Canceled,
    /// The worker is shutting down.
    Shutdown,
}

impl From<BlobError> for Stop {
    fn from(e: BlobError) -> Stop {
        Stop::Transient(Problem::new(503, "blob-store-unavailable", "Blob store unavailable").detail(e.to_string()))
    }
}

impl From<DbError> for Stop {
    fn from(e: DbError) -> Stop {
        Stop::Transient(Problem::new(503, "storage-unavailable", "Storage unavailable").detail(e.to_string()))
    }
}

/// Handles one delivery and counts its outcome.
pub async fn handle(state: &Arc<WorkerState>, job: &SimulationJob) -> Result<Outcome, JobError> {
    let outcome = deliver(state, job).await?;
    let label = match outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::Failed => "failed",
        Outcome::Retrying => "retrying",
        Outcome::Canceled => "canceled",
        Outcome::HandedBack => "handed_back",
        Outcome::Skipped => "skipped",
        Outcome::Throttled => "throttled",
    };
    metrics::counter!("montecell_jobs_finished_total", "status" => label).increment(1);
    Ok(outcome)
}

async fn deliver(state: &Arc<WorkerState>, job: &SimulationJob) -> Result<Outcome, JobError> {
    let id = job.simulation_id.as_str();
    let now = now_millis();
    let max_running = i64::try_from(state.settings.tenant_max_running).unwrap_or(i64::MAX);
    let row = match state.db.claim(id, &state.name, now, now - state.stale_heartbeat_ms(), max_running).await? {
        Claim::Run(row) => row,
        Claim::Busy => {
            tracing::info!(simulation = id, "a live worker runs it; duplicate delivery ignored");
            return Ok(Outcome::Skipped);
        }
        Claim::Final(status) => {
            tracing::info!(simulation = id, status = status.as_str(), "already final; delivery ignored");
            return Ok(Outcome::Skipped);
        }
        Claim::Missing => {
            tracing::warn!(simulation = id, "no such simulation; delivery ignored");
            return Ok(Outcome::Skipped);
        }
        Claim::Canceled => return Ok(Outcome::Canceled),
        Claim::Exhausted => {
            tracing::warn!(simulation = id, "every attempt used; failed");
            return Ok(Outcome::Failed);
        }
        Claim::Throttled => {
            // Not an attempt: the row is untouched, and the job is offered again shortly.
            let delay = state.backoff(1);
            tracing::debug!(
                simulation = id,
                retry_in_ms = delay.as_millis() as u64,
                "tenant at its running cap; later"
            );
            state.queue.push_after(job.clone(), delay).await?;
            return Ok(Outcome::Throttled);
        }
    };
    tracing::info!(simulation = id, attempt = row.attempt, worker = %state.name, "running");
    let started = Instant::now();
    Ok(match attempt(state, &row).await {
        Ok(iterations) => {
            let secs = started.elapsed().as_secs_f64();
            metrics::histogram!("montecell_job_duration_seconds").record(secs);
            if secs > 0.0 {
                metrics::gauge!("montecell_worker_iterations_per_second", "worker" => state.name.clone())
                    .set(iterations as f64 / secs);
            }
            Outcome::Succeeded
        }
        Err(Stop::Canceled) => {
            state.db.finish_canceled(id, now_millis()).await?;
            Outcome::Canceled
        }
        Err(Stop::Shutdown) => {
            // Give the attempt back, then enqueue a fresh delivery: another worker (or this one
            // after a restart) takes it. If this process dies in between, the backend's orphan
            // recovery redelivers the old message, and the sweep re-enqueues the queued row.
            state.db.hand_back(id, row.attempt, now_millis()).await?;
            state.queue.push_after(job.clone(), Duration::ZERO).await?;
            Outcome::HandedBack
        }
        Err(Stop::Permanent(problem)) => {
            tracing::warn!(simulation = id, error = ?problem.detail, "failed");
            state.db.fail(id, &problem, now_millis(), true).await?;
            Outcome::Failed
        }
        Err(Stop::Transient(problem)) => {
            if row.attempt >= row.max_attempts {
                tracing::warn!(simulation = id, error = ?problem.detail, "failed on its last attempt");
                state.db.fail(id, &problem, now_millis(), true).await?;
                Outcome::Failed
            } else {
                let delay = state.backoff(row.attempt as u32);
                tracing::warn!(simulation = id, error = ?problem.detail, retry_in_ms = delay.as_millis() as u64, "attempt failed; retrying");
                // Enqueue first, then move the row: a crash in between leaves a running row whose
                // heartbeat goes stale, which the new delivery (or the sweep) takes over — never a
                // queued row with no message.
                state.queue.push_after(job.clone(), delay).await?;
                state.db.fail(id, &problem, now_millis(), false).await?;
                Outcome::Retrying
            }
        }
    })
}

/// One attempt: load, simulate (progress written and cancellation read every
/// `progress_interval_ms`), store samples, write the result. Returns the iterations run.
async fn attempt(state: &Arc<WorkerState>, row: &SimulationRow) -> Result<u64, Stop> {
    let spec: SimulationSpec = serde_json::from_str(&row.spec).map_err(|e| {
        Stop::Permanent(Problem::new(422, "invalid-spec", "Invalid simulation spec").detail(e.to_string()))
    })?;
    let model = state.db.model(&row.tenant_id, &row.model_id).await?.ok_or_else(|| {
        Stop::Permanent(Problem::new(404, "not-found", "Model not found").detail(row.model_id.clone()))
    })?;
    let wb = match state.workbooks.get(&model.sha256) {
        Some(wb) => wb,
        None => {
            let bytes = state.blobs.get(&model.blob_key).await?;
            let wb = tokio::task::spawn_blocking(move || import::read_bytes(&bytes, &Limits::default()))
                .await
                .map_err(|e| {
                    Stop::Transient(
                        Problem::new(500, "engine-crashed", "The import stopped unexpectedly").detail(e.to_string()),
                    )
                })?
                .map_err(|e| {
                    Stop::Permanent(
                        Problem::new(422, "invalid-workbook", "The workbook cannot be read").detail(e.to_string()),
                    )
                })?;
            let wb = Arc::new(wb);
            state.workbooks.insert(&model.sha256, wb.clone());
            wb
        }
    };

    let done = Arc::new(AtomicU64::new(0));
    let cancel = Arc::new(AtomicBool::new(false));
    let shutdown = Arc::new(AtomicBool::new(false));
    let threads = state.settings.engine_threads;
    let engine = {
        let (done, cancel, gpu) = (done.clone(), cancel.clone(), state.gpu.clone());
        let id = row.id.clone();
        tokio::task::spawn_blocking(move || {
            let progress = |n: u64, _total: u64| {
                done.fetch_max(n, Ordering::Relaxed);
            };
            if let Some(gpu) = gpu {
                let options = GpuRunOptions { progress: Some(&progress), cancel: Some(&cancel), chunk: 0 };
                match gpu.simulate(&wb, &spec, &options) {
                    Ok(sim) => return Ok(sim),
                    Err(GpuError::Unsupported(why)) => {
                        tracing::info!(simulation = %id, reason = %why, "the model runs on the CPU engine");
                    }
                    Err(GpuError::Canceled { .. }) => return Err(Problem::new(499, "canceled", "Canceled")),
                    Err(GpuError::Simulation(e)) => return Err(engine_problem(e)),
                    // A device failure fails this attempt only: the retry may get a healthy device.
                    Err(e) => {
                        return Err(Problem::new(503, "gpu-failed", "The GPU run failed").detail(e.to_string()));
                    }
                }
            }
            let options = RunOptions {
                threads,
                batch: 0,
                progress: Some(&progress),
                cancel: Some(&cancel),
                ..RunOptions::default()
            };
            simulate(&wb, &spec, &options).map_err(engine_problem)
        })
    };

    // Progress, heartbeat and cancellation, every interval, until the engine returns (then the
    // watcher is stopped at once: a short job does not wait for the next tick).
    let watcher = {
        let (state, done, cancel, shutdown) = (state.clone(), done.clone(), cancel.clone(), shutdown.clone());
        let (id, attempt) = (row.id.clone(), row.attempt);
        let interval = Duration::from_millis(state.settings.progress_interval_ms.max(10));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                match state.db.progress(&id, attempt, done.load(Ordering::Relaxed), now_millis()).await {
                    Ok(true) => cancel.store(true, Ordering::Relaxed),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(simulation = %id, error = %e, "progress write failed"),
                }
                if state.past_shutdown_deadline() {
                    shutdown.store(true, Ordering::Relaxed);
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        })
    };
    // Dropped with this future too (the queue's worker stopped under it): the watcher stops
    // heartbeating, so the row goes stale and another delivery takes it over, and the engine
    // stops at its next batch.
    let mut stop = StopOnDrop { watcher, cancel: cancel.clone(), engine_running: true };
    let result = engine.await;
    stop.engine_running = false;
    drop(stop);
    let shutdown = shutdown.load(Ordering::Relaxed);
    let simulation = match result {
        Ok(Ok(sim)) => sim,
        Ok(Err(p)) if p.slug() == "canceled" => return Err(if shutdown { Stop::Shutdown } else { Stop::Canceled }),
        Ok(Err(p)) if p.slug() == "gpu-failed" => return Err(Stop::Transient(p)),
        Ok(Err(p)) => return Err(Stop::Permanent(p)),
        Err(join) => {
            return Err(Stop::Transient(
                Problem::new(500, "engine-crashed", "The engine stopped unexpectedly").detail(join.to_string()),
            ));
        }
    };

    // Samples first (keys per simulation: a second writer writes the same bytes), then the
    // result and the transition in one transaction.
    let mut index = SampleIndex::default();
    for (k, (out, lanes)) in simulation.result.outputs.iter().zip(&simulation.samples.outputs).enumerate() {
        let values: Vec<f64> = lanes
            .iter()
            .map(|&x| match boxing::unbox(x) {
                Lane::Number(n) => n,
                _ => f64::NAN,
            })
            .collect();
        let key = samples::key(&row.id, k);
        state.blobs.put_bytes(&key, samples::encode(&values)).await?;
        index.outputs.push(SampleBlob {
            name: out.name.clone(),
            cell: out.cell.clone(),
            key,
            count: values.len() as u64,
        });
    }
    let result = simulation.result;
    let iterations = result.iterations;
    let row_out = ResultRow {
        simulation_id: row.id.clone(),
        result: to_json(&result)?,
        samples: to_json(&index)?,
        attempt: row.attempt,
        created_at: now_millis(),
    };
    let moved = write_result(&row_out, iterations as i64, state).await?;
    if !moved {
        tracing::info!(simulation = %row.id, "another delivery finished it first; its result stands");
    }
    Ok(iterations)
}

/// Stops the progress watcher and asks the engine to stop, when dropped.
struct StopOnDrop {
    watcher: tokio::task::JoinHandle<()>,
    cancel: Arc<AtomicBool>,
    engine_running: bool,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.watcher.abort();
        if self.engine_running {
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// The problem of an engine error: a canceled run, or the spec or model at fault.
fn engine_problem(e: SimulationError) -> Problem {
    match e {
        SimulationError::Run(_) => Problem::new(499, "canceled", "Canceled"),
        SimulationError::Spec(s) => Problem::new(422, "invalid-spec", "Invalid simulation spec")
            .detail(s.to_string())
            .field(s.field.clone(), s.message.clone()),
        other => Problem::new(422, "model-error", "The model cannot be simulated").detail(other.to_string()),
    }
}

/// How long the result write is retried while the database is unreachable, before the attempt
/// counts as failed (and the whole simulation runs again on the next attempt).
const RESULT_WRITE_PATIENCE: Duration = Duration::from_secs(60);

/// The result and the `succeeded` transition (one transaction: all or nothing), retried with
/// backoff while the database is unreachable: a short outage costs a wait, not a rerun.
async fn write_result(row: &ResultRow, iterations: i64, state: &WorkerState) -> Result<bool, Stop> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        match state.db.succeed(row, iterations, now_millis()).await {
            Ok(moved) => return Ok(moved),
            Err(e) if start.elapsed() + pause < RESULT_WRITE_PATIENCE => {
                tracing::warn!(simulation = %row.simulation_id, error = %e, retry_in_ms = pause.as_millis() as u64, "result write failed; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Stop> {
    serde_json::to_string(v)
        .map_err(|e| Stop::Permanent(Problem::new(500, "internal", "Result not serialisable").detail(e.to_string())))
}
