//! The routes, one module per resource, and what they share: the tenant of a request, page
//! parameters, `Location` URLs.

// actix's route macros turn each handler into a unit struct of the same name, which the
// `unreachable_pub` lint misreads; utoipa's path macro writes qualified paths.
#[allow(unreachable_pub, unused_qualifications)]
pub mod cells;
#[allow(unreachable_pub)]
pub mod health;
#[allow(unreachable_pub)]
pub mod models;
#[allow(unreachable_pub, unused_qualifications)]
pub mod simulations;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::web::{self, Data};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use montecell_engine::Workbook;
use montecell_shared::problem::Problem;
use montecell_shared::settings::Settings;
use montecell_shared::tenants::TenantRow;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::ApiError;

/// The tenant a request acts for (see [`crate::auth`]): every query filters by it, and another
/// tenant's ids are 404. A handler that takes it is authenticated and rate limited.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// The tenant's name.
    pub id: String,
    /// Its row, with its own limits.
    pub row: TenantRow,
}

impl Tenant {
    /// Iterations one simulation may have.
    pub fn max_iterations(&self, settings: &Settings) -> u64 {
        limit(self.row.max_iterations, settings.max_iterations)
    }

    /// Bytes one upload may have.
    pub fn max_upload_bytes(&self, settings: &Settings) -> u64 {
        limit(self.row.max_upload_bytes, settings.max_upload_bytes)
    }
}

fn limit(own: Option<i64>, setting: u64) -> u64 {
    own.map_or(setting, |v| u64::try_from(v).unwrap_or(0))
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Tenant, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<Data<AppState>>()
                .ok_or_else(|| ApiError::bad_request("the application state is missing"))?;
            let caller = state.auth.caller(&state.db, &req).await?;
            Ok(Tenant { id: caller.tenant.id.clone(), row: caller.tenant })
        })
    }
}

/// Page parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per page (default 20, at most `page_size_max`).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The page size asked, checked.
pub fn page_limit(state: &AppState, limit: Option<u32>) -> Result<u32, ApiError> {
    let max = state.settings.page_size_max.max(1);
    match limit {
        None => Ok(20.min(max)),
        Some(n) if n >= 1 && n <= max => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", format!("must be between 1 and {max}"))),
    }
}

/// An absolute URL for `path`: `public_url` when set, else from the request's host.
pub fn location(state: &AppState, req: &HttpRequest, path: &str) -> String {
    let base = state.settings.public_url.trim_end_matches('/');
    if !base.is_empty() {
        return format!("{base}{path}");
    }
    let info = req.connection_info();
    format!("{}://{}{path}", info.scheme(), info.host())
}

/// The workbook of a model: from the cache, or read from the blob store and parsed (what a
/// submission checks and the cells endpoint shows).
pub(crate) async fn model_workbook(state: &AppState, sha256: &str, blob_key: &str) -> Result<Arc<Workbook>, ApiError> {
    if let Some(wb) = state.workbooks.get(sha256) {
        return Ok(wb);
    }
    let bytes = state.blobs.get(blob_key).await?;
    let wb =
        web::block(move || montecell_engine::import::read_bytes(&bytes, &montecell_engine::import::Limits::default()))
            .await
            .map_err(|e| {
                ApiError::Problem(Problem::new(500, "internal", "Workbook read failed").detail(e.to_string()))
            })?
            .map_err(|e| {
                ApiError::Problem(
                    Problem::new(422, "invalid-workbook", "The model's workbook cannot be read").detail(e.to_string()),
                )
            })?;
    let wb = Arc::new(wb);
    state.workbooks.insert(sha256, wb.clone());
    Ok(wb)
}
