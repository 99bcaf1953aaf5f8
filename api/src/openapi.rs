//! The OpenAPI document, generated from the handlers' annotations and the resource types.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};

use crate::routes::{cells, health, models, simulations};

#[derive(OpenApi)]
#[openapi(
    info(title = "montecell", description = "Monte Carlo simulation of Excel workbooks. Every error is `application/problem+json` (RFC 9457)."),
    paths(
        models::create, models::show, models::list, cells::cells,
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

/// The document. Every `/v1` operation requires the bearer API key (see `docs/api.md`).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = montecell_shared::VERSION.to_owned();
    doc.components.get_or_insert_with(Default::default).add_security_scheme(
        "api_key",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("mc_…")
                .description(Some("An API key from `montecell keys create`."))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for op in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            op.security = Some(vec![SecurityRequirement::new("api_key", Vec::<String>::new())]);
        }
    }
    doc
}
