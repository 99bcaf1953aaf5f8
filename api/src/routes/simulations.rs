//! `/v1/simulations`: submit (validated, idempotent), poll, list, cancel, raw samples.

use actix_web::web::{self, Bytes, Data, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use montecell_engine::compile::CompileError;
use montecell_engine::simulate::{SimulationError, check};
use montecell_engine::spec::SimulationSpec;
use montecell_shared::db::{KeyUse, SimulationRow};
use montecell_shared::problem::Problem;
use montecell_shared::queue::SimulationJob;
use montecell_shared::resources::{Page, SimulationResource, Status, Webhook, now_millis};
use montecell_shared::samples::{self as sample_blobs, SampleIndex};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::{Tenant, location, model_workbook, page_limit};
use crate::AppState;
use crate::error::ApiError;

/// The body of `POST /v1/simulations`: the simulation spec (`docs/simulation-spec.md`) plus
/// the model and an optional webhook.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SimulationRequest {
    /// The model to simulate.
    model_id: String,
    /// Where to announce completion.
    webhook: Option<Webhook>,
    /// Cells to sample: `{"cell": "Inputs!B3", "name": "units", "distribution": {"type": "triangular", …}}`.
    #[schema(value_type = Vec<Object>)]
    inputs: Vec<()>,
    /// Cells to observe: `{"cell": "Model!B14", "name": "npv", "targets": [0]}`.
    #[schema(value_type = Vec<Object>)]
    outputs: Vec<()>,
    /// Iterations (default 10,000; at most `max_iterations`).
    iterations: Option<u64>,
    /// Seed (default 1).
    seed: Option<u64>,
    /// `lhs` (default) or `mc`.
    sampling: Option<String>,
    /// Rank correlations between inputs.
    #[schema(value_type = Vec<Object>)]
    correlations: Vec<()>,
    /// Extra percentiles, in percent.
    percentiles: Vec<f64>,
    /// Histogram bins (default 50).
    histogram_bins: Option<u32>,
}

/// A validated submission.
struct Submission {
    model_id: String,
    webhook: Option<Webhook>,
    spec: SimulationSpec,
}

/// `scheme://host[:port]/…` with a non-empty host and no spaces.
fn looks_like_url(url: &str) -> Result<(), ()> {
    let rest = url.split_once("://").map(|(_, r)| r).ok_or(())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(char::is_whitespace) { Err(()) } else { Ok(()) }
}

fn parse(body: &[u8]) -> Result<Submission, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    let obj = value.as_object_mut().ok_or_else(|| ApiError::invalid("", "the body must be a JSON object"))?;
    let model_id = match obj.remove("model_id") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        Some(_) => return Err(ApiError::invalid("model_id", "must be a model id (a string)")),
        None => return Err(ApiError::invalid("model_id", "required: the id of an uploaded model")),
    };
    let webhook = match obj.remove("webhook") {
        None | Some(serde_json::Value::Null) => None,
        Some(w) => {
            let w: Webhook = serde_json::from_value(w).map_err(|e| ApiError::invalid("webhook", e.to_string()))?;
            if w.secret.is_some() {
                return Err(ApiError::invalid(
                    "webhook.secret",
                    "the server generates the secret; it is in the answer",
                ));
            }
            if looks_like_url(&w.url).is_err() {
                return Err(ApiError::invalid("webhook.url", "not a valid URL"));
            }
            let lower = w.url.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                return Err(ApiError::invalid("webhook.url", "must be an http(s) URL"));
            }
            Some(w)
        }
    };
    let spec: SimulationSpec = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        ApiError::invalid(field, e.inner().to_string())
    })?;
    Ok(Submission { model_id, webhook, spec })
}

/// Why the engine refuses a spec, as a 422 naming the field.
fn refusal(e: &SimulationError) -> ApiError {
    match e {
        SimulationError::Spec(s) => ApiError::invalid(s.field.clone(), s.message.clone()),
        SimulationError::Compile(CompileError::NoInputs) => ApiError::invalid("inputs", e.to_string()),
        SimulationError::Compile(CompileError::NoOutputs) => ApiError::invalid("outputs", e.to_string()),
        SimulationError::Compile(_) => {
            ApiError::Problem(Problem::new(422, "model-error", "The model cannot be simulated").detail(e.to_string()))
        }
        SimulationError::Sampling(_) => ApiError::invalid("correlations", e.to_string()),
        SimulationError::Run(_) => ApiError::bad_request(e.to_string()),
    }
}

/// Validates, stores and enqueues. Returns the new resource.
async fn submit(state: &AppState, owner: &Tenant, body: &[u8]) -> Result<SimulationResource, ApiError> {
    let tenant = owner.id.as_str();
    let sub = parse(body)?;
    let model = state
        .db
        .model(tenant, &sub.model_id)
        .await?
        .ok_or_else(|| ApiError::invalid("model_id", format!("no model {}", sub.model_id)))?;
    let wb = model_workbook(state, &model.sha256, &model.blob_key).await?;
    let spec = sub.spec.clone();
    let iterations = web::block(move || check(&wb, &spec))
        .await
        .map_err(|e| ApiError::Problem(Problem::new(500, "internal", "Spec check failed").detail(e.to_string())))?
        .map_err(|e| refusal(&e))?;
    let max = owner.max_iterations(&state.settings);
    if iterations > max {
        return Err(ApiError::invalid(
            "iterations",
            format!("{iterations} is more than this tenant may run in one simulation ({max}, max_iterations)"),
        ));
    }
    let now = now_millis();
    let secret = sub.webhook.as_ref().map(|_| montecell_shared::webhooks::new_secret());
    let row = SimulationRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant.to_owned(),
        model_id: model.id.clone(),
        spec: serde_json::to_string(&sub.spec).map_err(|e| ApiError::bad_request(e.to_string()))?,
        webhook: sub
            .webhook
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        webhook_secret: secret.clone(),
        status: Status::Queued.as_str().to_owned(),
        attempt: 0,
        max_attempts: i64::from(state.settings.max_attempts),
        iterations_done: 0,
        iterations_total: iterations as i64,
        cancel_requested: 0,
        worker: None,
        error: None,
        created_at: now,
        started_at: None,
        heartbeat_at: None,
        finished_at: None,
        updated_at: now,
    };
    state.db.insert_simulation(&row).await?;
    if let Err(e) = state.queue.push(SimulationJob { simulation_id: row.id.clone() }).await {
        // Never leave a queued row that no worker will see.
        let problem =
            Problem::new(503, "queue-unavailable", "Queue unavailable").detail("the job could not be enqueued");
        let _ = state.db.fail(&row.id, &problem, now_millis(), true).await;
        return Err(e.into());
    }
    metrics::counter!("montecell_simulations_submitted_total").increment(1);
    let mut resource = row.resource(None)?;
    // The secret is shown once: in this answer.
    if let Some(w) = resource.webhook.as_mut() {
        w.secret = secret;
    }
    Ok(resource)
}

fn accepted(state: &AppState, req: &HttpRequest, status: u16, body: String, id: Option<&str>) -> HttpResponse {
    let mut r =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK));
    if let Some(id) = id {
        r.insert_header(("Location", location(state, req, &format!("/v1/simulations/{id}"))));
        r.insert_header(("Retry-After", "1"));
    }
    let ct = if status >= 400 { "application/problem+json" } else { "application/json" };
    r.content_type(ct).body(body)
}

/// Submit a simulation. Validated before it is queued: unknown cells and bad parameters are a
/// 422 naming the field. With `Idempotency-Key`, a repeated request (same key, same body) gets
/// the first response; the same key with another body is a 422, and while the first is still
/// being answered a 409.
#[utoipa::path(
    tag = "simulations",
    request_body = SimulationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission safe")),
    responses(
        (status = 202, description = "Queued; poll `Location`", body = SimulationResource),
        (status = 409, description = "The same Idempotency-Key is being answered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid spec (names the field), or the key was used with another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/simulations")]
pub async fn create(
    state: Data<AppState>,
    tenant: Tenant,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = req.headers().get("idempotency-key").map(|v| v.to_str().map(str::to_owned));
    let key = match key {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 255 => Some(k),
        Some(_) => return Err(ApiError::invalid("Idempotency-Key", "must be 1–255 visible ASCII characters")),
    };
    let Some(key) = key else {
        let sim = submit(&state, &tenant, &body).await?;
        let json = serde_json::to_string(&sim).unwrap_or_default();
        return Ok(accepted(&state, &req, 202, json, Some(&sim.id)));
    };
    let hash = hex::encode(Sha256::digest(&body));
    match state.db.use_key(&tenant.id, &key, &hash, now_millis()).await? {
        KeyUse::New => {}
        KeyUse::Replay { status, body } => {
            let id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned));
            let id = if status < 300 { id } else { None };
            let mut r = accepted(&state, &req, status, body, id.as_deref());
            r.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
                actix_web::http::header::HeaderValue::from_static("true"),
            );
            return Ok(r);
        }
        KeyUse::Mismatch => {
            return Err(ApiError::Problem(
                Problem::new(422, "idempotency-key-reused", "Idempotency-Key reused")
                    .detail("this Idempotency-Key was used with a different request body"),
            ));
        }
        KeyUse::InFlight => {
            return Err(ApiError::Problem(
                Problem::new(409, "idempotency-key-in-flight", "Request in progress")
                    .detail("a request with this Idempotency-Key is still being processed; retry shortly"),
            ));
        }
    }
    match submit(&state, &tenant, &body).await {
        Ok(sim) => {
            let json = serde_json::to_string(&sim).unwrap_or_default();
            state.db.finish_key(&tenant.id, &key, 202, &json).await?;
            Ok(accepted(&state, &req, 202, json, Some(&sim.id)))
        }
        Err(e) => {
            let problem = e.problem();
            if problem.status < 500 {
                // The same request will be refused the same way: remember the answer.
                state
                    .db
                    .finish_key(&tenant.id, &key, problem.status, &serde_json::to_string(&problem).unwrap_or_default())
                    .await?;
            } else {
                state.db.release_key(&tenant.id, &key).await?;
            }
            Err(ApiError::Problem(problem))
        }
    }
}

async fn resource(state: &AppState, row: &SimulationRow) -> Result<SimulationResource, ApiError> {
    let results = if row.status() == Status::Succeeded {
        match state.db.result(&row.id).await? {
            Some(r) => {
                Some(serde_json::value::RawValue::from_string(r.result).map_err(montecell_shared::db::DbError::from)?)
            }
            None => None,
        }
    } else {
        None
    };
    Ok(row.resource(results)?)
}

fn with_retry_after(resource: &SimulationResource, mut r: actix_web::HttpResponseBuilder) -> HttpResponse {
    if !resource.status.is_final() {
        r.insert_header(("Retry-After", "1"));
    }
    r.json(resource)
}

/// A simulation: status, progress, attempt, timestamps, error, and results once succeeded.
/// `Retry-After` is set while it is not finished.
#[utoipa::path(
    tag = "simulations",
    params(("id" = String, Path, description = "Simulation id")),
    responses(
        (status = 200, body = SimulationResource),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/simulations/{id}")]
pub async fn show(state: Data<AppState>, tenant: Tenant, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if let Some(body) = state.finished.get(&tenant.id, &id) {
        return Ok(HttpResponse::Ok().content_type("application/json").body(body));
    }
    let row = state.db.simulation(&tenant.id, &id).await?.ok_or_else(|| ApiError::not_found("simulation", &id))?;
    let res = resource(&state, &row).await?;
    if res.status.is_final() {
        // A final simulation never changes again: keep its answer.
        let body = Bytes::from(serde_json::to_vec(&res).map_err(montecell_shared::db::DbError::from)?);
        state.finished.insert(&tenant.id, &id, body.clone());
        return Ok(HttpResponse::Ok().content_type("application/json").body(body));
    }
    Ok(with_retry_after(&res, HttpResponse::Ok()))
}

/// Filters and page of `GET /v1/simulations`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimulationListQuery {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this model's.
    pub model_id: Option<String>,
    /// Items per page (default 20, at most `page_size_max`).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The tenant's simulations, newest first (without results: get one for those).
#[utoipa::path(tag = "simulations", params(SimulationListQuery), responses((status = 200, body = Page<SimulationResource>)))]
#[get("/v1/simulations")]
pub async fn list(
    state: Data<AppState>,
    tenant: Tenant,
    q: Query<SimulationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = page_limit(&state, q.limit)?;
    let rows =
        state.db.simulations(&tenant.id, q.status, q.model_id.as_deref(), q.cursor.as_deref(), limit + 1).await?;
    let next = (rows.len() > limit as usize).then(|| rows[limit as usize - 1].id.clone());
    let items = rows.iter().take(limit as usize).map(|r| r.resource(None)).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: next }))
}

/// Cancel: a queued simulation is canceled at once; a running one stops between batches (202
/// while it stops); a finished one is left as it is (200). Repeating it changes nothing.
#[utoipa::path(
    tag = "simulations",
    params(("id" = String, Path, description = "Simulation id")),
    responses(
        (status = 200, description = "Final (canceled now or before, or finished)", body = SimulationResource),
        (status = 202, description = "Running; it will stop between batches", body = SimulationResource),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/simulations/{id}/cancel")]
pub async fn cancel(state: Data<AppState>, tenant: Tenant, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let row = state
        .db
        .request_cancel(&tenant.id, &id, now_millis())
        .await?
        .ok_or_else(|| ApiError::not_found("simulation", &id))?;
    let res = resource(&state, &row).await?;
    let builder = if res.status.is_final() { HttpResponse::Ok() } else { HttpResponse::Accepted() };
    Ok(with_retry_after(&res, builder))
}

/// Query of the samples endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplesQuery {
    /// The output: its name, or its position (0-based). Default: the first.
    pub output: Option<String>,
    /// `csv` (default) or `binary` (little-endian f64 per iteration, NaN where the output was
    /// an error). `Accept: application/octet-stream` also selects binary.
    pub format: Option<String>,
}

/// Raw samples of one output of a succeeded simulation, one per iteration.
#[utoipa::path(
    tag = "simulations",
    params(("id" = String, Path, description = "Simulation id"), SamplesQuery),
    responses(
        (status = 200, description = "CSV (`iteration,<name>`) or binary", content_type = "text/csv"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not succeeded (yet)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/simulations/{id}/samples")]
pub async fn samples(
    state: Data<AppState>,
    tenant: Tenant,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query<SamplesQuery>,
) -> Result<HttpResponse, ApiError> {
    let row = state.db.simulation(&tenant.id, &id).await?.ok_or_else(|| ApiError::not_found("simulation", &id))?;
    if row.status() != Status::Succeeded {
        return Err(ApiError::Problem(
            Problem::new(409, "not-finished", "No samples").detail(format!("the simulation is {}", row.status)),
        ));
    }
    let result = state.db.result(&row.id).await?.ok_or_else(|| ApiError::not_found("result of simulation", &id))?;
    let index: SampleIndex = serde_json::from_str(&result.samples).map_err(montecell_shared::db::DbError::from)?;
    let blob = match q.output.as_deref() {
        None => index.outputs.first(),
        Some(o) => index
            .outputs
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(o) || b.cell.eq_ignore_ascii_case(o))
            .or_else(|| o.parse::<usize>().ok().and_then(|k| index.outputs.get(k))),
    }
    .ok_or_else(|| {
        let names: Vec<&str> = index.outputs.iter().map(|b| b.name.as_str()).collect();
        ApiError::invalid(
            "output",
            format!("no output {:?} (outputs: {})", q.output.as_deref().unwrap_or(""), names.join(", ")),
        )
    })?;
    let bytes = state.blobs.get(&blob.key).await?;
    let accept = req.headers().get("accept").and_then(|v| v.to_str().ok()).unwrap_or("");
    let binary = match q.format.as_deref() {
        Some("binary") => true,
        Some("csv") | None if q.format.is_some() || !accept.contains("application/octet-stream") => false,
        None => true,
        Some(other) => return Err(ApiError::invalid("format", format!("'{other}': use csv or binary"))),
    };
    if binary {
        return Ok(HttpResponse::Ok()
            .content_type("application/octet-stream")
            .insert_header(("X-Montecell-Samples", blob.count.to_string()))
            .body(bytes));
    }
    let values = sample_blobs::decode(&bytes);
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(sample_blobs::csv(&blob.name, &values)))
}

/// A webhook message of a simulation and its delivery attempts.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct WebhookLogEntry {
    /// `msg_…`: the `webhook-id` header.
    pub id: String,
    /// `simulation.succeeded`, `simulation.failed` or `simulation.canceled`.
    pub event: String,
    /// Where it goes.
    pub url: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (while pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Every attempt: status code or error, duration.
    pub deliveries: Vec<montecell_shared::db::WebhookDelivery>,
}

/// The webhook messages of a simulation and every delivery attempt.
#[utoipa::path(
    tag = "simulations",
    params(("id" = String, Path, description = "Simulation id")),
    responses(
        (status = 200, body = Vec<WebhookLogEntry>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/simulations/{id}/webhook-deliveries")]
pub async fn webhook_deliveries(
    state: Data<AppState>,
    tenant: Tenant,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.db.simulation(&tenant.id, &id).await?.ok_or_else(|| ApiError::not_found("simulation", &id))?;
    let log = state.db.webhook_log(&tenant.id, &id).await?;
    let entries: Vec<WebhookLogEntry> = log
        .into_iter()
        .map(|(m, deliveries)| WebhookLogEntry {
            next_attempt_at: (m.state == "pending").then(|| montecell_shared::resources::timestamp(m.next_attempt_at)),
            id: m.id,
            event: m.event,
            url: m.url,
            state: m.state,
            attempts: m.attempts,
            deliveries,
        })
        .collect();
    Ok(HttpResponse::Ok().json(entries))
}
