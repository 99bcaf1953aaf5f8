//! The database: models, simulations (the job state machine of `docs/jobs.md`), results and
//! idempotency keys, on Postgres (production) or a SQLite file (embedded).
//!
//! One set of SQL serves both: sqlx's `Any` driver with `$n` placeholders (SQLite reads them
//! too), text identifiers, integer milliseconds and JSON as text. Every state transition is one
//! `UPDATE … WHERE status = …` (or one transaction where a result is written with it), so two
//! workers holding the same job can never both move it, and a result is written at most once
//! (`results` is keyed by the simulation).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, FromRow};

use crate::problem::Problem;
use crate::resources::{Millis, ModelResource, ModelSummary, Progress, SimulationResource, Status, Webhook, timestamp};
use crate::settings::DatabaseTarget;

/// A database error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The driver failed (connection, query).
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored JSON document did not read back.
    #[error("database: stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    /// A folder for the SQLite file could not be made.
    #[error("database: {0}")]
    Io(#[from] std::io::Error),
    /// A row is not what the schema promises.
    #[error("database: {0}")]
    Corrupt(String),
}

/// Which server the pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Postgres.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// The database.
#[derive(Clone, Debug)]
pub struct Database {
    pub(crate) pool: AnyPool,
    kind: Kind,
}

/// The tenant of every resource until API keys exist (the tenants issue).
pub const DEFAULT_TENANT: &str = "default";

/// A stored model.
#[derive(Clone, Debug, FromRow)]
pub struct ModelRow {
    /// Id.
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// Uploaded name.
    pub filename: String,
    /// Bytes.
    pub size_bytes: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Blob store key.
    pub blob_key: String,
    /// [`ModelSummary`] as JSON.
    pub summary: String,
    /// Upload time.
    pub created_at: Millis,
}

impl ModelRow {
    /// As the API shows it.
    pub fn resource(&self) -> Result<ModelResource, DbError> {
        Ok(ModelResource {
            id: self.id.clone(),
            filename: self.filename.clone(),
            size_bytes: self.size_bytes,
            sha256: self.sha256.clone(),
            created_at: timestamp(self.created_at),
            summary: serde_json::from_str::<ModelSummary>(&self.summary)?,
        })
    }
}

/// A stored simulation.
#[derive(Clone, Debug, FromRow)]
pub struct SimulationRow {
    /// Id.
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// Its model.
    pub model_id: String,
    /// The spec as JSON.
    pub spec: String,
    /// The webhook as JSON.
    pub webhook: Option<String>,
    /// The webhook's signing secret.
    pub webhook_secret: Option<String>,
    /// [`Status`] as text.
    pub status: String,
    /// Runs started.
    pub attempt: i64,
    /// Runs allowed.
    pub max_attempts: i64,
    /// Progress of the current run.
    pub iterations_done: i64,
    /// Iterations asked.
    pub iterations_total: i64,
    /// 1 when cancellation was asked.
    pub cancel_requested: i64,
    /// Worker of the latest run.
    pub worker: Option<String>,
    /// [`Problem`] as JSON.
    pub error: Option<String>,
    /// Times.
    pub created_at: Millis,
    /// First run start.
    pub started_at: Option<Millis>,
    /// Last sign of life of the running worker.
    pub heartbeat_at: Option<Millis>,
    /// Final transition.
    pub finished_at: Option<Millis>,
    /// Last write.
    pub updated_at: Millis,
}

impl SimulationRow {
    /// The status.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Failed)
    }

    /// As the API shows it, with the results when given.
    pub fn resource(&self, results: Option<Box<serde_json::value::RawValue>>) -> Result<SimulationResource, DbError> {
        let total = self.iterations_total.max(0) as u64;
        let done = self.iterations_done.max(0) as u64;
        Ok(SimulationResource {
            id: self.id.clone(),
            model_id: self.model_id.clone(),
            status: self.status(),
            progress: Progress {
                iterations_done: done,
                iterations_total: total,
                fraction: if total == 0 { 0.0 } else { done as f64 / total as f64 },
            },
            attempt: self.attempt as u32,
            max_attempts: self.max_attempts as u32,
            cancel_requested: self.cancel_requested != 0,
            spec: serde_json::from_str(&self.spec)?,
            webhook: self.webhook.as_deref().map(serde_json::from_str::<Webhook>).transpose()?,
            created_at: timestamp(self.created_at),
            started_at: self.started_at.map(timestamp),
            finished_at: self.finished_at.map(timestamp),
            updated_at: timestamp(self.updated_at),
            worker: self.worker.clone(),
            error: self.error.as_deref().map(serde_json::from_str::<Problem>).transpose()?,
            results,
        })
    }
}

/// A stored result.
#[derive(Clone, Debug, FromRow)]
pub struct ResultRow {
    /// Its simulation.
    pub simulation_id: String,
    /// The engine's result, JSON.
    pub result: String,
    /// The sample blobs, JSON ([`crate::samples::SampleIndex`]).
    pub samples: String,
    /// The attempt that wrote it.
    pub attempt: i64,
    /// When.
    pub created_at: Millis,
}

/// What a worker may do with a job it received.
#[derive(Debug)]
pub enum Claim {
    /// Run it: the row as claimed (its `attempt` is this run's).
    Run(Box<SimulationRow>),
    /// A live worker runs it (a duplicate delivery): nothing to do.
    Busy,
    /// Already final (a redelivery): nothing to do.
    Final(Status),
    /// Cancellation was asked before it ran: now canceled.
    Canceled,
    /// Every attempt is used: now failed.
    Exhausted,
    /// The tenant already runs as many simulations as it may: offer it again later.
    Throttled,
    /// No such simulation.
    Missing,
}

/// The first sight of an `Idempotency-Key`.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyUse {
    /// New: this request owns the key until [`Database::finish_key`].
    New,
    /// Seen with the same body and answered: replay the answer.
    Replay {
        /// The status.
        status: u16,
        /// The body.
        body: String,
    },
    /// Seen with a different body.
    Mismatch,
    /// Seen with the same body, still being answered.
    InFlight,
}

/// The columns of [`SimulationRow`], for `concat!` into queries.
macro_rules! simulation_columns {
    () => {
        "id, tenant_id, model_id, spec, webhook, webhook_secret, status, attempt, max_attempts, iterations_done, iterations_total, cancel_requested, worker, error, created_at, started_at, heartbeat_at, finished_at, updated_at"
    };
}

impl Database {
    /// Connects (creating a SQLite file and its folder when missing) and applies migrations.
    pub async fn connect(target: &DatabaseTarget, max_connections: u32) -> Result<Database, DbError> {
        sqlx::any::install_default_drivers();
        let (url, kind) = match target {
            DatabaseTarget::Postgres(url) => (url.clone(), Kind::Postgres),
            DatabaseTarget::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                (sqlite_url(path), Kind::Sqlite)
            }
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == Kind::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Database { pool, kind };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        match self.kind {
            Kind::Postgres => sqlx::migrate!("../migrations/postgres").run(&self.pool).await?,
            Kind::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&self.pool).await?,
        }
        Ok(())
    }

    /// Which server.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reachable?
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // Models.

    /// Stores a model.
    pub async fn insert_model(&self, m: &ModelRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO models (id, tenant_id, filename, size_bytes, sha256, blob_key, summary, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&m.id)
        .bind(&m.tenant_id)
        .bind(&m.filename)
        .bind(m.size_bytes)
        .bind(&m.sha256)
        .bind(&m.blob_key)
        .bind(&m.summary)
        .bind(m.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A tenant's model.
    pub async fn model(&self, tenant: &str, id: &str) -> Result<Option<ModelRow>, DbError> {
        Ok(sqlx::query_as::<_, ModelRow>(
            "SELECT id, tenant_id, filename, size_bytes, sha256, blob_key, summary, created_at FROM models WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A tenant's models, newest first, older than the cursor.
    pub async fn models(&self, tenant: &str, before: Option<&str>, limit: u32) -> Result<Vec<ModelRow>, DbError> {
        Ok(sqlx::query_as::<_, ModelRow>(
            "SELECT id, tenant_id, filename, size_bytes, sha256, blob_key, summary, created_at FROM models WHERE tenant_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(tenant)
        .bind(before.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    // Simulations.

    /// Stores a new simulation (status `queued`).
    pub async fn insert_simulation(&self, s: &SimulationRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO simulations (id, tenant_id, model_id, spec, webhook, status, attempt, max_attempts, iterations_done, iterations_total, cancel_requested, created_at, updated_at, webhook_secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&s.id)
        .bind(&s.tenant_id)
        .bind(&s.model_id)
        .bind(&s.spec)
        .bind(&s.webhook)
        .bind(&s.status)
        .bind(s.attempt)
        .bind(s.max_attempts)
        .bind(s.iterations_done)
        .bind(s.iterations_total)
        .bind(s.cancel_requested)
        .bind(s.created_at)
        .bind(s.updated_at)
        .bind(&s.webhook_secret)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A tenant's simulation.
    pub async fn simulation(&self, tenant: &str, id: &str) -> Result<Option<SimulationRow>, DbError> {
        Ok(sqlx::query_as::<_, SimulationRow>(concat!(
            "SELECT ",
            simulation_columns!(),
            " FROM simulations WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A simulation by id alone (workers: the job names it).
    pub async fn simulation_any_tenant(&self, id: &str) -> Result<Option<SimulationRow>, DbError> {
        Ok(sqlx::query_as::<_, SimulationRow>(concat!(
            "SELECT ",
            simulation_columns!(),
            " FROM simulations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A tenant's simulations, newest first, older than the cursor, optionally of one status
    /// and one model.
    pub async fn simulations(
        &self,
        tenant: &str,
        status: Option<Status>,
        model: Option<&str>,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SimulationRow>, DbError> {
        Ok(sqlx::query_as::<_, SimulationRow>(
            concat!("SELECT ", simulation_columns!(), " FROM simulations WHERE tenant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR model_id = $3) AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5"),
        )
        .bind(tenant)
        .bind(status.map(Status::as_str).unwrap_or(""))
        .bind(model.unwrap_or(""))
        .bind(before.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The result of a simulation.
    pub async fn result(&self, id: &str) -> Result<Option<ResultRow>, DbError> {
        Ok(sqlx::query_as::<_, ResultRow>(
            "SELECT simulation_id, result, samples, attempt, created_at FROM results WHERE simulation_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Number of result rows of a simulation (tests: exactly one).
    pub async fn result_count(&self, id: &str) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM results WHERE simulation_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Simulations per status (all tenants), for metrics and `queue depth`.
    pub async fn status_counts(&self) -> Result<Vec<(Status, i64)>, DbError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM simulations GROUP BY status").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().filter_map(|(s, n)| Status::parse(&s).map(|s| (s, n))).collect())
    }

    /// Asks to cancel: a queued simulation becomes `canceled` at once (with its webhook message
    /// in the same transaction); a running one is flagged (its worker stops between batches); a
    /// final one is left alone. Returns the row after.
    pub async fn request_cancel(&self, tenant: &str, id: &str, now: Millis) -> Result<Option<SimulationRow>, DbError> {
        let mut tx = self.pool.begin().await?;
        let canceled = sqlx::query(
            "UPDATE simulations SET status = 'canceled', finished_at = $3, cancel_requested = 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        )
        .bind(tenant)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if canceled {
            outbox(&mut tx, id, now).await?;
        } else {
            sqlx::query(
                "UPDATE simulations SET cancel_requested = 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'running'",
            )
            .bind(tenant)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.simulation(tenant, id).await
    }

    // The worker's transitions.

    /// queued|running → running, attempt + 1: the start of a run. A running row is taken over
    /// only when its heartbeat is older than `stale_before` (its worker died and the backend
    /// redelivered the job); a duplicate delivery of a job that a live worker runs is `Busy`.
    /// A tenant runs at most its `max_running` (else `default_max_running`) simulations at
    /// once: past that the claim is `Throttled` and nothing changes.
    pub async fn claim(
        &self,
        id: &str,
        worker: &str,
        now: Millis,
        stale_before: Millis,
        default_max_running: i64,
    ) -> Result<Claim, DbError> {
        // The tenant's row is locked first (a row lock in Postgres, the write lock in SQLite), so
        // claims of one tenant's jobs are serialised and its running count cannot pass its cap.
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE tenants SET updated_at = updated_at WHERE id = (SELECT tenant_id FROM simulations WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let claimed = sqlx::query_as::<_, SimulationRow>(
            concat!("UPDATE simulations SET status = 'running', attempt = attempt + 1, worker = $2, started_at = COALESCE(started_at, $3), heartbeat_at = $3, updated_at = $3, iterations_done = 0 WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $4))) AND cancel_requested = 0 AND attempt < max_attempts AND (SELECT COUNT(*) FROM simulations r WHERE r.tenant_id = simulations.tenant_id AND r.status = 'running' AND r.id <> simulations.id) < COALESCE((SELECT t.max_running FROM tenants t WHERE t.id = simulations.tenant_id), $5) RETURNING ", simulation_columns!()),
        )
        .bind(id)
        .bind(worker)
        .bind(now)
        .bind(stale_before)
        .bind(default_max_running)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(row) = claimed {
            return Ok(Claim::Run(Box::new(row)));
        }
        let Some(row) = self.simulation_any_tenant(id).await? else { return Ok(Claim::Missing) };
        let status = row.status();
        if status.is_final() {
            return Ok(Claim::Final(status));
        }
        if status == Status::Running && row.heartbeat_at.is_some_and(|h| h >= stale_before) {
            return Ok(Claim::Busy);
        }
        if row.cancel_requested != 0 {
            let moved = self.finish_canceled(id, now).await?;
            return Ok(if moved { Claim::Canceled } else { Claim::Final(self.final_status(id).await?) });
        }
        if row.attempt < row.max_attempts {
            // Claimable but for the cap: the tenant runs as many simulations as it may.
            return Ok(Claim::Throttled);
        }
        let previous = row.error.as_deref().and_then(|e| serde_json::from_str::<Problem>(e).ok());
        let mut problem = Problem::new(500, "attempts-exhausted", "Every attempt failed").detail(format!(
            "the simulation was started {} times (max_attempts) without finishing{}",
            row.max_attempts,
            previous
                .as_ref()
                .and_then(|p| p.detail.as_deref())
                .map(|d| format!("; last error: {d}"))
                .unwrap_or_default()
        ));
        if let Some(p) = previous {
            problem.errors = p.errors;
        }
        let moved = self.fail(id, &problem, now, true).await?;
        Ok(if moved { Claim::Exhausted } else { Claim::Final(self.final_status(id).await?) })
    }

    async fn final_status(&self, id: &str) -> Result<Status, DbError> {
        Ok(self.simulation_any_tenant(id).await?.map(|r| r.status()).unwrap_or(Status::Failed))
    }

    /// Simulations whose queue message may be lost: queued and untouched since `before`, or
    /// running with a heartbeat older than `before`. Their `updated_at` is set to `now`, so each
    /// is returned at most once per period. At most `limit`.
    pub async fn stale(&self, before: Millis, now: Millis, limit: u32) -> Result<Vec<String>, DbError> {
        // The outer condition is checked again on each row, so two sweeps never both take one.
        let ids: Vec<(String,)> = sqlx::query_as(
            "UPDATE simulations SET updated_at = $2 WHERE id IN (SELECT id FROM simulations WHERE (status = 'queued' AND updated_at < $1) OR (status = 'running' AND heartbeat_at < $1) ORDER BY id LIMIT $3) AND ((status = 'queued' AND updated_at < $1) OR (status = 'running' AND heartbeat_at < $1)) RETURNING id",
        )
        .bind(before)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// Progress of a running attempt, which is also its heartbeat. Returns whether cancellation
    /// was asked (or the attempt no longer owns the row: stop too).
    pub async fn progress(&self, id: &str, attempt: i64, done: u64, now: Millis) -> Result<bool, DbError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE simulations SET iterations_done = $3, heartbeat_at = $4, updated_at = $4 WHERE id = $1 AND attempt = $2 AND status = 'running' RETURNING cancel_requested",
        )
        .bind(id)
        .bind(attempt)
        .bind(done as i64)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_none_or(|(c,)| c != 0))
    }

    /// running → succeeded, with its result, in one transaction. The result is written once:
    /// a second writer (a redelivered job) changes nothing. Returns whether this call moved it.
    pub async fn succeed(&self, result: &ResultRow, iterations: i64, now: Millis) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO results (simulation_id, result, samples, attempt, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (simulation_id) DO NOTHING",
        )
        .bind(&result.simulation_id)
        .bind(&result.result)
        .bind(&result.samples)
        .bind(result.attempt)
        .bind(result.created_at)
        .execute(&mut *tx)
        .await?;
        let moved = sqlx::query(
            "UPDATE simulations SET status = 'succeeded', iterations_done = $2, error = NULL, finished_at = $3, heartbeat_at = $3, updated_at = $3 WHERE id = $1 AND status = 'running'",
        )
        .bind(&result.simulation_id)
        .bind(iterations)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            outbox(&mut tx, &result.simulation_id, now).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// running → failed (`last`) or running → queued (a retry will come), with the error.
    pub async fn fail(&self, id: &str, error: &Problem, now: Millis, last: bool) -> Result<bool, DbError> {
        let error = serde_json::to_string(error)?;
        let sql = if last {
            "UPDATE simulations SET status = 'failed', error = $2, finished_at = $3, updated_at = $3 WHERE id = $1 AND status IN ('queued', 'running')"
        } else {
            "UPDATE simulations SET status = 'queued', error = $2, updated_at = $3 WHERE id = $1 AND status = 'running'"
        };
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(sql).bind(id).bind(error).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
        if moved && last {
            outbox(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// queued|running → canceled.
    pub async fn finish_canceled(&self, id: &str, now: Millis) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE simulations SET status = 'canceled', finished_at = $2, updated_at = $2 WHERE id = $1 AND status IN ('queued', 'running')",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            outbox(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// running → queued, the attempt given back (graceful shutdown: it did not fail).
    pub async fn hand_back(&self, id: &str, attempt: i64, now: Millis) -> Result<bool, DbError> {
        Ok(sqlx::query(
            "UPDATE simulations SET status = 'queued', attempt = attempt - 1, iterations_done = 0, updated_at = $3 WHERE id = $1 AND attempt = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(attempt)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    // Idempotency keys.

    /// Registers the first use of a key, or says how it was used before.
    pub async fn use_key(&self, tenant: &str, key: &str, hash: &str, now: Millis) -> Result<KeyUse, DbError> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, created_at) VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT (tenant_id, key) DO NOTHING",
        )
        .bind(tenant)
        .bind(key)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            return Ok(KeyUse::New);
        }
        let row: Option<(String, String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => KeyUse::InFlight,
            Some((h, _, _, _)) if h != hash => KeyUse::Mismatch,
            Some((_, state, Some(status), Some(body))) if state == "done" => {
                KeyUse::Replay { status: status as u16, body }
            }
            Some(_) => KeyUse::InFlight,
        })
    }

    /// Stores the answer given under a key.
    pub async fn finish_key(&self, tenant: &str, key: &str, status: u16, body: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4 WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a key whose request failed on the server's side (the client may retry).
    pub async fn release_key(&self, tenant: &str, key: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND state = 'pending'")
            .bind(tenant)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A webhook message waiting for delivery (or delivered, or given up).
#[derive(Clone, Debug, FromRow)]
pub struct WebhookMessage {
    /// `msg_…`: the `webhook-id`.
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// Its simulation.
    pub simulation_id: String,
    /// `simulation.succeeded`, `simulation.failed`, `simulation.canceled`.
    pub event: String,
    /// Where to.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// The body: the simulation resource at its final transition.
    pub payload: String,
    /// `pending`, `delivered`, `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: Millis,
    /// Claimed by a dispatcher until then.
    pub locked_until: Millis,
    /// Written with the final transition.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// One delivery attempt.
#[derive(Clone, Debug, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    /// The message.
    pub message_id: String,
    /// 1, 2, …
    pub attempt: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed without an answer (refused address, timeout, connection error).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// When (Unix milliseconds).
    pub created_at: Millis,
}

/// In a final transition's transaction: the webhook message of the simulation, when it has a
/// webhook. The body is the simulation resource as it now is (with its results).
async fn outbox(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str, now: Millis) -> Result<(), DbError> {
    let row = sqlx::query_as::<_, SimulationRow>(concat!(
        "SELECT ",
        simulation_columns!(),
        " FROM simulations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let (Some(webhook), Some(secret)) = (row.webhook.as_deref(), row.webhook_secret.as_deref()) else { return Ok(()) };
    let url = serde_json::from_str::<Webhook>(webhook)?.url;
    let event = match row.status() {
        Status::Succeeded => "simulation.succeeded",
        Status::Failed => "simulation.failed",
        Status::Canceled => "simulation.canceled",
        _ => return Ok(()),
    };
    let results: Option<(String,)> = sqlx::query_as("SELECT result FROM results WHERE simulation_id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let results = results.map(|(r,)| serde_json::value::RawValue::from_string(r)).transpose()?;
    let payload = serde_json::to_string(&row.resource(results)?)?;
    sqlx::query(
        "INSERT INTO webhook_messages (id, tenant_id, simulation_id, event, url, secret, payload, state, attempts, next_attempt_at, locked_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, 0, $8, $8)",
    )
    .bind(format!("msg_{}", uuid::Uuid::now_v7().simple()))
    .bind(&row.tenant_id)
    .bind(id)
    .bind(event)
    .bind(url)
    .bind(secret)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

macro_rules! message_columns {
    () => {
        "id, tenant_id, simulation_id, event, url, secret, payload, state, attempts, next_attempt_at, locked_until, created_at, updated_at"
    };
}

impl Database {
    /// Claims up to `limit` due messages for `lock_ms` (another dispatcher skips them).
    pub async fn due_webhooks(&self, now: Millis, lock_ms: i64, limit: u32) -> Result<Vec<WebhookMessage>, DbError> {
        // The outer condition is checked again on each row, so two dispatchers never both take one.
        Ok(sqlx::query_as::<_, WebhookMessage>(concat!(
            "UPDATE webhook_messages SET locked_until = $2 WHERE id IN (SELECT id FROM webhook_messages WHERE state = 'pending' AND next_attempt_at <= $1 AND locked_until < $1 ORDER BY next_attempt_at LIMIT $3) AND state = 'pending' AND locked_until < $1 RETURNING ",
            message_columns!()
        ))
        .bind(now)
        .bind(now + lock_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records an attempt and the message's next state: `delivered`, `failed`, or `pending`
    /// again at `next_attempt_at`.
    pub async fn record_delivery(
        &self,
        d: &WebhookDelivery,
        state: &str,
        next_attempt_at: Millis,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_deliveries (message_id, attempt, status_code, error, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id, attempt) DO NOTHING",
        )
        .bind(&d.message_id)
        .bind(d.attempt)
        .bind(d.status_code)
        .bind(&d.error)
        .bind(d.duration_ms)
        .bind(d.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_messages SET state = $2, attempts = $3, next_attempt_at = $4, locked_until = 0, updated_at = $5 WHERE id = $1",
        )
        .bind(&d.message_id)
        .bind(state)
        .bind(d.attempt)
        .bind(next_attempt_at)
        .bind(d.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's webhook messages of a simulation, with their delivery attempts.
    pub async fn webhook_log(
        &self,
        tenant: &str,
        simulation: &str,
    ) -> Result<Vec<(WebhookMessage, Vec<WebhookDelivery>)>, DbError> {
        let messages = sqlx::query_as::<_, WebhookMessage>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM webhook_messages WHERE tenant_id = $1 AND simulation_id = $2 ORDER BY id"
        ))
        .bind(tenant)
        .bind(simulation)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for m in messages {
            let deliveries = sqlx::query_as::<_, WebhookDelivery>(
                "SELECT message_id, attempt, status_code, error, duration_ms, created_at FROM webhook_deliveries WHERE message_id = $1 ORDER BY attempt",
            )
            .bind(&m.id)
            .fetch_all(&self.pool)
            .await?;
            out.push((m, deliveries));
        }
        Ok(out)
    }
}

/// `sqlite://` URL of a file, created when missing.
fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}
