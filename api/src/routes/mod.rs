//! The routes, one module per resource, and what they share: the tenant of a request, page
//! parameters, `Location` URLs.

// actix's route macros turn each handler into a unit struct of the same name, which the
// `unreachable_pub` lint misreads; utoipa's path macro writes qualified paths.
#[allow(unreachable_pub)]
pub mod health;
#[allow(unreachable_pub)]
pub mod models;
#[allow(unreachable_pub, unused_qualifications)]
pub mod simulations;

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use montecell_shared::db::DEFAULT_TENANT;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::ApiError;

/// The tenant a request acts for. Every query filters by it; another tenant's ids are 404.
/// Until API keys exist (the tenants issue) every request is the default tenant's.
#[derive(Clone, Debug)]
pub struct Tenant(pub String);

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = Ready<Result<Tenant, ApiError>>;

    fn from_request(_req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(Tenant(DEFAULT_TENANT.to_owned())))
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
