//! The job queue: apalis on Redis (production) or on a SQLite file of its own (embedded).
//!
//! A job carries only the simulation's id: the database row is the truth about the job (its
//! status, attempts and progress), the queue only says "run this one". apalis delivers at
//! least once; the row's transitions make a second delivery harmless.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use serde::{Deserialize, Serialize};

use crate::settings::{QueueTarget, Settings};

/// The message on the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationJob {
    /// The simulation to run.
    pub simulation_id: String,
}

/// A queue error.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis failed.
    #[error("queue (Redis): {0}")]
    Redis(#[from] redis::RedisError),
    /// The SQLite queue failed.
    #[error("queue (SQLite): {0}")]
    Sqlite(#[from] apalis_sqlite::SqlxError),
    /// Its migrations failed.
    #[error("queue (SQLite) migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A push was refused.
    #[error("queue: could not enqueue: {0}")]
    Push(String),
    /// A folder for the SQLite file could not be made.
    #[error("queue: {0}")]
    Io(#[from] std::io::Error),
}

/// The queue, for pushing and for building workers.
#[derive(Clone, Debug)]
pub enum Queue {
    /// Redis.
    Redis {
        /// The storage (cheap to clone: a connection manager).
        storage: RedisStorage<SimulationJob>,
        /// A connection for `PING`.
        conn: ConnectionManager,
    },
    /// SQLite.
    Sqlite {
        /// The storage.
        storage: SqliteStorage<SimulationJob>,
        /// Its pool.
        pool: SqlitePool,
    },
}

impl Queue {
    /// Connects to the queue the settings name.
    pub async fn connect(settings: &Settings) -> Result<Queue, QueueError> {
        let heartbeat = Duration::from_millis(settings.heartbeat_interval_ms);
        match settings.queue().map_err(|e| QueueError::Push(e.to_string()))? {
            QueueTarget::Redis(url) => {
                let conn = apalis_redis::connect(url.as_str()).await?;
                let config = apalis_redis::Config::default()
                    .queue(&settings.queue_name)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(settings.missed_heartbeats)
                    // One job at a time per fetch: a worker does not hoard jobs others could run.
                    .batch_size(settings.worker_concurrency.max(1))
                    .persist_results(false)
                    .emit_events(false);
                let storage = RedisStorage::new(conn.clone()).with_config(config);
                Ok(Queue::Redis { storage, conn })
            }
            QueueTarget::Sqlite(path) => {
                let pool = sqlite_pool(&path).await?;
                SqliteStorage::<()>::migrations().run(&pool).await?;
                let config = apalis_sqlite::Config::default()
                    .queue(&settings.queue_name)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(settings.missed_heartbeats)
                    .batch_size(settings.worker_concurrency.max(1))
                    .persist_results(false);
                let storage = SqliteStorage::new(&pool).with_config(config);
                Ok(Queue::Sqlite { storage, pool })
            }
        }
    }

    /// Enqueues a run of a simulation.
    pub async fn push(&self, job: SimulationJob) -> Result<(), QueueError> {
        match self {
            Queue::Redis { storage, .. } => {
                storage.clone().push(job).await.map_err(|e| QueueError::Push(e.to_string()))
            }
            Queue::Sqlite { storage, .. } => {
                storage.clone().push(job).await.map_err(|e| QueueError::Push(e.to_string()))
            }
        }
    }

    /// Enqueues a run of a simulation to start after `delay` (a retry's backoff).
    pub async fn push_after(&self, job: SimulationJob, delay: Duration) -> Result<(), QueueError> {
        if delay.is_zero() {
            return self.push(job).await;
        }
        let task = TaskBuilder::new(job).run_after(delay).build();
        match self {
            Queue::Redis { storage, .. } => {
                storage.clone().push_task(task).await.map_err(|e| QueueError::Push(e.to_string()))
            }
            Queue::Sqlite { storage, .. } => {
                storage.clone().push_task(task).await.map_err(|e| QueueError::Push(e.to_string()))
            }
        }
    }

    /// Reachable?
    pub async fn ping(&self) -> Result<(), QueueError> {
        match self {
            Queue::Redis { conn, .. } => {
                let _: String = redis::cmd("PING").query_async(&mut conn.clone()).await?;
                Ok(())
            }
            Queue::Sqlite { pool, .. } => {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(())
            }
        }
    }

    /// What kind of queue, for logs.
    pub fn describe(&self) -> &'static str {
        match self {
            Queue::Redis { .. } => "Redis",
            Queue::Sqlite { .. } => "SQLite",
        }
    }
}

/// A pool on the queue's own SQLite file, with WAL, a busy timeout and `synchronous = NORMAL`
/// on every connection (apalis's `setup()` sets them on one connection only).
async fn sqlite_pool(path: &Path) -> Result<SqlitePool, QueueError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    Ok(SqlitePoolOptions::new().max_connections(8).connect_with(options).await?)
}
