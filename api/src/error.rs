//! The API's one error type, answered as RFC 9457 `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use montecell_shared::blob::BlobError;
use montecell_shared::db::DbError;
use montecell_shared::problem::Problem;
use montecell_shared::queue::QueueError;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A problem to answer as it is (validation, not found, conflict…).
    #[error("{}", .0.detail.as_deref().unwrap_or(&.0.title))]
    Problem(Problem),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// No valid API key (401, with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(String),
    /// The key's rate is spent (429, with `Retry-After`).
    #[error("rate limit: retry after {retry_after_s} s")]
    RateLimited {
        /// Seconds until a request will be accepted.
        retry_after_s: u64,
    },
}

impl ApiError {
    /// 404 for an id the tenant does not own (or that does not exist: the same answer).
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::Problem(Problem::new(404, "not-found", "Not found").detail(format!("no {what} {id}")))
    }

    /// 422 naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let (field, message) = (field.into(), message.into());
        ApiError::Problem(
            Problem::new(422, "validation", "Invalid request")
                .detail(format!("{field}: {message}"))
                .field(field, message),
        )
    }

    /// 400 for a request that cannot be read at all.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::Problem(Problem::new(400, "bad-request", "Bad request").detail(detail))
    }

    /// The problem this error is answered with. Server-side failures are logged with their
    /// cause and answered without internals.
    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Problem(p) => p.clone(),
            ApiError::Db(e) => {
                tracing::error!(error = %e, "database error");
                Problem::new(503, "storage-unavailable", "Storage unavailable")
                    .detail("the database is unavailable; retry later")
            }
            ApiError::Blob(e) => {
                tracing::error!(error = %e, "blob store error");
                Problem::new(503, "blob-store-unavailable", "Blob store unavailable")
                    .detail("the blob store is unavailable; retry later")
            }
            ApiError::Queue(e) => {
                tracing::error!(error = %e, "queue error");
                Problem::new(503, "queue-unavailable", "Queue unavailable")
                    .detail("the job queue is unavailable; retry later")
            }
            ApiError::Unauthorized(detail) => Problem::new(401, "unauthorized", "Unauthorized").detail(detail.clone()),
            ApiError::RateLimited { retry_after_s } => Problem::new(429, "rate-limited", "Too many requests")
                .detail(format!("this API key's request rate is spent; retry after {retry_after_s} s")),
        }
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> ApiError {
        ApiError::Problem(p)
    }
}

/// A problem as an HTTP response.
pub fn problem_response(p: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = HttpResponse::build(status);
    r.content_type("application/problem+json");
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        r.insert_header(("Retry-After", "5"));
    }
    r.body(serde_json::to_string(p).unwrap_or_default())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Problem(p) => StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = problem_response(&self.problem());
        let headers = res.headers_mut();
        match self {
            ApiError::Unauthorized(_) => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"montecell\""));
            }
            ApiError::RateLimited { retry_after_s } => {
                headers.insert(RETRY_AFTER, HeaderValue::from(*retry_after_s));
            }
            _ => {}
        }
        res
    }
}
