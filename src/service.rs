//! The service processes: `montecell` (embedded: API and a worker in one process),
//! `montecell api` and `montecell worker` (the production split). Each connects the database,
//! the blob store and the queue that the settings name, and shuts down gracefully on SIGTERM
//! or Ctrl-C.
#![allow(clippy::print_stderr)]

use std::net::TcpListener;
use std::sync::Arc;

use montecell_api::AppState;
use montecell_shared::blob::BlobStore;
use montecell_shared::db::Database;
use montecell_shared::queue::Queue;
use montecell_shared::settings::Settings;
use montecell_worker::WorkerState;
use tokio::sync::watch;

/// Which parts run in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// API and worker.
    Embedded,
    /// The API only.
    Api,
    /// A worker only.
    Worker,
}

/// Command-line overrides of the settings.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--gpu N`.
    pub gpu: Option<String>,
    /// `--concurrency N`.
    pub concurrency: Option<usize>,
    /// `--bind ADDR`.
    pub bind: Option<String>,
}

/// Runs a service role until a shutdown signal; the error is one line for the user.
pub fn run(role: Role, overrides: &Overrides) -> Result<(), String> {
    let mut settings = Settings::load().map_err(|e| e.to_string())?;
    if let Some(gpu) = &overrides.gpu {
        settings.gpu = gpu.clone();
    }
    if let Some(n) = overrides.concurrency {
        settings.worker_concurrency = n.max(1);
    }
    if let Some(bind) = &overrides.bind {
        settings.bind = bind.clone();
    }
    init_logging(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(start(role, settings))
}

fn init_logging(filter: &str) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .try_init();
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// The `gpu` setting as one worker per entry: `""` one CPU worker, `"N"` one on device N,
/// `"all"` one per device found (one CPU worker when there is none).
fn devices(gpu: &str) -> Vec<String> {
    if gpu.trim() != "all" {
        return vec![gpu.trim().to_owned()];
    }
    let n = montecell_worker::gpu_count();
    if n == 0 {
        tracing::warn!("--gpu all: no CUDA device found; one worker on the CPU engine");
        return vec![String::new()];
    }
    tracing::info!("--gpu all: one worker per device, {n} devices");
    (0..n).map(|i| i.to_string()).collect()
}

async fn start(role: Role, settings: Settings) -> Result<(), String> {
    tracing::info!(settings = %settings.redacted(), "montecell {} starting", montecell_shared::VERSION);
    let db_target = settings.database().map_err(|e| e.to_string())?;
    let db = Database::connect(&db_target, settings.database_max_connections).await.map_err(|e| e.to_string())?;
    let blobs = BlobStore::from_settings(&settings).await.map_err(|e| e.to_string())?;
    blobs.ensure().await.map_err(|e| e.to_string())?;
    let queue = Queue::connect(&settings).await.map_err(|e| e.to_string())?;
    tracing::info!(database = ?db.kind(), queue = queue.describe(), blobs = %blobs.describe(), "connected");

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };

    let api = if role != Role::Worker {
        let listener =
            TcpListener::bind(&settings.bind).map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = Arc::new(AppState::new(db.clone(), blobs.clone(), queue.clone(), settings.clone()));
        if state.auth.anonymous_allowed() {
            tracing::warn!(
                "requests without an API key are served, as tenant \"default\": the API listens on loopback only and require_api_keys is off"
            );
            eprintln!(
                "WARNING: no API key needed on {addr} (loopback, require_api_keys off): requests without one act as tenant \"default\""
            );
        } else {
            tracing::info!("every /v1 request needs an API key (Authorization: Bearer mc_…)");
        }
        let server = montecell_api::serve(state, listener).map_err(|e| e.to_string())?;
        montecell_api::stop_when(&server, stopped());
        tracing::info!(
            "API listening on http://{addr} (OpenAPI: http://{addr}/openapi.json, docs: http://{addr}/docs)"
        );
        if role == Role::Embedded {
            eprintln!(
                "montecell is running on http://{addr} — API and worker in one process, data under {}",
                settings.data_dir.display()
            );
            eprintln!(
                "  try: curl -s --data-binary @examples/npv.xlsx -H 'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' 'http://{addr}/v1/models?filename=npv.xlsx'"
            );
        }
        Some(tokio::spawn(server))
    } else {
        None
    };
    if role == Role::Worker && !settings.metrics_bind.is_empty() {
        let listener = TcpListener::bind(&settings.metrics_bind)
            .map_err(|e| format!("cannot listen on {} (metrics_bind): {e}", settings.metrics_bind))?;
        let server = montecell_api::serve_metrics(listener).map_err(|e| e.to_string())?;
        montecell_api::stop_when(&server, stopped());
        tracing::info!("worker metrics on http://{}/metrics", settings.metrics_bind);
        tokio::spawn(server);
    }
    let mut workers = Vec::new();
    if role != Role::Api {
        for gpu in devices(&settings.gpu) {
            let mut own = settings.clone();
            own.gpu = gpu;
            if !own.worker_name.is_empty() && !own.gpu.is_empty() {
                own.worker_name = format!("{}-gpu{}", settings.worker_name, own.gpu);
            }
            let state = Arc::new(WorkerState::new(db.clone(), blobs.clone(), queue.clone(), own));
            workers.push(tokio::spawn(montecell_worker::run(state, stopped())));
        }
    }
    for w in workers {
        w.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    }
    if let Some(a) = api {
        a.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}
