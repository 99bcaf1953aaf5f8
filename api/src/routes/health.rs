//! Liveness, readiness, metrics, the OpenAPI document and its page.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = String)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness of one dependency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// What it is (`Postgres`, `Redis`, `S3 bucket b`…), and the error when unavailable.
    pub detail: String,
}

/// Readiness report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// Database.
    pub database: Check,
    /// Queue.
    pub queue: Check,
    /// Blob store.
    pub blob_store: Check,
}

fn check<E: std::fmt::Display>(what: String, r: Result<(), E>) -> Check {
    match r {
        Ok(()) => Check { status: "ok", detail: what },
        Err(e) => Check { status: "unavailable", detail: format!("{what}: {e}") },
    }
}

/// Readiness: the database, the queue and the blob store are reachable.
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "A dependency is unavailable", body = Readiness),
))]
#[get("/readyz")]
pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    let timeout = std::time::Duration::from_secs(3);
    let timed = |name: &'static str| move |_| format!("{name}: no answer within 3 s");
    let (db, queue, blobs) = futures::join!(
        tokio::time::timeout(timeout, state.db.ping()),
        tokio::time::timeout(timeout, state.queue.ping()),
        tokio::time::timeout(timeout, state.blobs.ping()),
    );
    let db_kind = format!("{:?}", state.db.kind());
    let report = Readiness {
        status: "ready",
        database: check(db_kind, db.map_err(timed("database")).and_then(|r| r.map_err(|e| e.to_string()))),
        queue: check(
            state.queue.describe().to_owned(),
            queue.map_err(timed("queue")).and_then(|r| r.map_err(|e| e.to_string())),
        ),
        blob_store: check(
            state.blobs.describe(),
            blobs.map_err(timed("blob store")).and_then(|r| r.map_err(|e| e.to_string())),
        ),
    };
    let ok = [&report.database, &report.queue, &report.blob_store].iter().all(|c| c.status == "ok");
    let report = Readiness { status: if ok { "ready" } else { "unavailable" }, ..report };
    if ok { HttpResponse::Ok().json(report) } else { HttpResponse::ServiceUnavailable().json(report) }
}

/// Prometheus metrics: requests, latencies, simulations by status, queue depth, job durations,
/// iterations per second.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", body = String)))]
#[get("/metrics")]
pub async fn metrics(state: Data<AppState>) -> HttpResponse {
    if let Ok(counts) = state.db.status_counts().await {
        for s in montecell_shared::resources::Status::ALL {
            let n = counts.iter().find(|(k, _)| *k == s).map(|(_, n)| *n).unwrap_or(0);
            ::metrics::gauge!("montecell_simulations", "status" => s.as_str()).set(n as f64);
            if s == montecell_shared::resources::Status::Queued {
                ::metrics::gauge!("montecell_queue_depth").set(n as f64);
            }
        }
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}

/// The OpenAPI document, generated from the code.
#[get("/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::document())
}

/// A page that lists the API from `/openapi.json` (no external assets).
#[get("/docs")]
pub async fn docs() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(include_str!("../docs.html"))
}
