//! The montecell HTTP API (actix-web). Read top-down:
//!
//! - [`AppState`] — what handlers share: database, blob store, queue, settings, a cache of
//!   parsed workbooks, the metrics handle;
//! - [`auth`] — API keys, the tenant of a request, rate limits;
//! - [`routes`] — `/v1/models`, `/v1/simulations`, health, readiness, metrics, OpenAPI;
//! - [`upload`] — streaming an upload to disk under the size limit;
//! - [`error`] — the one error type, answered as `application/problem+json`;
//! - [`openapi`] — the document generated from the handlers;
//! - [`serve`] — the server on a listener.

pub mod auth;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod upload;
pub mod webapp;

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::web::Bytes;
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, HttpServer};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use montecell_shared::blob::BlobStore;
use montecell_shared::db::Database;
use montecell_shared::problem::Problem;
use montecell_shared::queue::Queue;
use montecell_shared::settings::Settings;
use montecell_shared::workbooks::WorkbookCache;

use crate::error::problem_response;

/// The answers of `GET /v1/simulations/{id}` for final simulations, which never change again:
/// polling a finished simulation costs no database query. Bounded by total bytes; the oldest
/// entries go first.
#[derive(Debug, Default)]
pub struct FinishedCache {
    inner: Mutex<FinishedEntries>,
}

#[derive(Debug, Default)]
struct FinishedEntries {
    map: HashMap<(String, String), Bytes>,
    order: VecDeque<(String, String)>,
    bytes: usize,
}

/// Bytes of answers kept.
const FINISHED_CACHE_BYTES: usize = 64 << 20;

impl FinishedCache {
    /// The cached answer for a tenant's simulation.
    pub fn get(&self, tenant: &str, id: &str) -> Option<Bytes> {
        let inner = self.inner.lock().ok()?;
        inner.map.get(&(tenant.to_owned(), id.to_owned())).cloned()
    }

    /// Keeps an answer.
    pub fn insert(&self, tenant: &str, id: &str, body: Bytes) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let key = (tenant.to_owned(), id.to_owned());
        if body.len() > FINISHED_CACHE_BYTES / 16 || inner.map.contains_key(&key) {
            return;
        }
        inner.bytes += body.len();
        inner.map.insert(key.clone(), body);
        inner.order.push_back(key);
        while inner.bytes > FINISHED_CACHE_BYTES {
            let Some(old) = inner.order.pop_front() else { break };
            if let Some(b) = inner.map.remove(&old) {
                inner.bytes -= b.len();
            }
        }
    }
}

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// The blob store.
    pub blobs: BlobStore,
    /// The queue.
    pub queue: Queue,
    /// The settings.
    pub settings: Settings,
    /// Parsed workbooks.
    pub workbooks: WorkbookCache,
    /// Answers for final simulations.
    pub finished: FinishedCache,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// API keys, tenants and rate limits.
    pub auth: auth::Auth,
}

impl AppState {
    /// The state of an API process.
    pub fn new(db: Database, blobs: BlobStore, queue: Queue, settings: Settings) -> AppState {
        AppState {
            auth: auth::Auth::new(&settings),
            db,
            blobs,
            queue,
            settings,
            workbooks: WorkbookCache::default(),
            finished: FinishedCache::default(),
            metrics: metrics_handle(),
        }
    }
}

/// The process's Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    300.0,
                ])
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => {
                    let upkeep = handle.clone();
                    std::thread::spawn(move || {
                        loop {
                            std::thread::sleep(Duration::from_secs(5));
                            upkeep.run_upkeep();
                        }
                    });
                    handle
                }
                // Another recorder is installed (a test harness): render an empty one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Counts requests and records their latency, by route pattern (not raw path: ids would make
/// unbounded label values).
async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let res = next.call(req).await?;
    let status = res.status().as_u16().to_string();
    metrics::counter!("montecell_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("montecell_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    Ok(res)
}

fn extractor_error(status: u16, detail: String) -> actix_web::Error {
    let p = if status == 413 {
        Problem::new(413, "payload-too-large", "Request too large").detail(detail)
    } else {
        Problem::new(status, "bad-request", "Bad request").detail(detail)
    };
    actix_web::error::InternalError::from_response(p.title.clone(), problem_response(&p)).into()
}

/// The routes and their configuration.
pub fn configure(state: Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let json_limit = state.settings.max_request_json_bytes;
        cfg.app_data(state)
            .app_data(web::PayloadConfig::new(json_limit))
            .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(400, e.to_string())))
            .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(400, e.to_string())))
            .service(routes::models::create)
            .service(routes::models::list)
            .service(routes::models::show)
            .service(routes::cells::cells)
            .service(routes::simulations::create)
            .service(routes::simulations::list)
            .service(routes::simulations::show)
            .service(routes::simulations::cancel)
            .service(routes::simulations::samples)
            .service(routes::simulations::webhook_deliveries)
            .service(routes::health::healthz)
            .service(routes::health::readyz)
            .service(routes::health::metrics)
            .service(routes::health::openapi)
            .service(routes::health::docs)
            .service(webapp::index)
            .service(webapp::asset)
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                let p = Problem::new(404, "not-found", "Not found").detail(format!(
                    "no route {} {}",
                    req.method(),
                    req.path()
                ));
                Ok::<HttpResponse, actix_web::Error>(problem_response(&p))
            }));
    }
}

/// Stops a server gracefully (in-flight requests finish) when `signal` completes.
pub fn stop_when(server: &Server, signal: impl Future<Output = ()> + Send + 'static) {
    let handle = server.handle();
    tokio::spawn(async move {
        signal.await;
        handle.stop(true).await;
    });
}

/// `/metrics` and `/healthz` alone, for a worker process.
pub fn serve_metrics(listener: TcpListener) -> std::io::Result<Server> {
    let handle = metrics_handle();
    let server = HttpServer::new(move || {
        let handle = handle.clone();
        App::new()
            .route(
                "/metrics",
                web::get().to(move || {
                    let body = handle.render();
                    async move { HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body) }
                }),
            )
            .service(routes::health::healthz)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

/// The API on a bound listener.
pub fn serve(state: Arc<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let workers = match state.settings.http_workers {
        0 => std::thread::available_parallelism().map(usize::from).unwrap_or(2),
        n => n,
    };
    let data = Data::from(state);
    let server = HttpServer::new(move || App::new().wrap(from_fn(measure)).configure(configure(data.clone())))
        .workers(workers)
        .disable_signals()
        .listen(listener)?
        .run();
    Ok(server)
}
