//! The OpenAPI document, generated from the handlers' annotations and the resource types.

use utoipa::OpenApi;

use crate::routes::{health, models, simulations};

#[derive(OpenApi)]
#[openapi(
    info(title = "montecell", description = "Monte Carlo simulation of Excel workbooks. Every error is `application/problem+json` (RFC 9457)."),
    paths(
        models::create, models::show, models::list,
        simulations::create, simulations::show, simulations::list, simulations::cancel, simulations::samples, simulations::webhook_deliveries,
        health::healthz, health::readyz, health::metrics,
    ),
    tags(
        (name = "models", description = "Uploaded workbooks"),
        (name = "simulations", description = "Submit, poll, cancel; results and raw samples"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = montecell_shared::VERSION.to_owned();
    doc
}
