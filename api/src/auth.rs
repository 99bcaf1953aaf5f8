//! Who a request acts for. `Authorization: Bearer mc_…` names an API key, and the key its
//! tenant; without a key a request is refused (401), except on an API that listens on
//! loopback alone with `require_api_keys` off, where it acts for the tenant `default`.
//!
//! Keys and tenants are read from the database and kept for [`CACHE_TTL`], so a revoked key or
//! a changed limit takes effect within that time on every API process. Each key has a token
//! bucket (`rate_limit_per_second`, `rate_limit_burst`), per API process: past it, 429 with
//! `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use montecell_shared::db::{DEFAULT_TENANT, Database};
use montecell_shared::resources::now_millis;
use montecell_shared::settings::Settings;
use montecell_shared::tenants::{self, TenantRow};

use crate::error::ApiError;

/// How long a key's or a tenant's row is trusted before it is read again.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// Entries kept per cache; past it the cache starts over.
const CACHE_ENTRIES: usize = 10_000;

/// The tenant a request acts for, with its limits.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The tenant.
    pub tenant: TenantRow,
    /// The key's public id; `None` for an anonymous (loopback) request.
    pub key_id: Option<String>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Authentication state of an API process.
#[derive(Debug)]
pub struct Auth {
    anonymous: bool,
    rate: f64,
    burst: f64,
    keys: Mutex<HashMap<String, (Instant, Option<Caller>)>>,
    tenants: Mutex<HashMap<String, (Instant, TenantRow)>>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Auth {
    /// From the settings.
    pub fn new(settings: &Settings) -> Auth {
        Auth {
            anonymous: settings.anonymous_allowed(),
            rate: settings.rate_limit_per_second,
            burst: f64::from(settings.rate_limit_burst.max(1)),
            keys: Mutex::default(),
            tenants: Mutex::default(),
            buckets: Mutex::default(),
        }
    }

    /// Whether requests without a key are served.
    pub fn anonymous_allowed(&self) -> bool {
        self.anonymous
    }

    /// The caller of a request: 401 without a valid key (unless anonymous requests are
    /// allowed), 429 past the key's rate.
    pub async fn caller(&self, db: &Database, req: &HttpRequest) -> Result<Caller, ApiError> {
        let Some(header) = req.headers().get(AUTHORIZATION) else {
            if self.anonymous {
                return Ok(Caller { tenant: self.tenant(db, DEFAULT_TENANT).await?, key_id: None });
            }
            return Err(ApiError::Unauthorized(
                "this server requires an API key: send `Authorization: Bearer mc_…` (create one with `montecell keys create`)"
                    .into(),
            ));
        };
        let presented = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| ApiError::Unauthorized("the Authorization header must read `Bearer mc_…`".into()))?;
        tenants::parse(presented).map_err(|e| ApiError::Unauthorized(e.to_string()))?;
        let caller = self
            .key(db, presented)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("this API key is not valid (unknown or revoked)".into()))?;
        if let Some(id) = &caller.key_id {
            self.take_token(id)?;
        }
        Ok(caller)
    }

    async fn key(&self, db: &Database, presented: &str) -> Result<Option<Caller>, ApiError> {
        let hash = tenants::hash(presented);
        if let Some(hit) = fresh(&self.keys, &hash) {
            return Ok(hit);
        }
        let caller = match db.authenticate(presented).await? {
            Some(key) => Some(Caller { tenant: self.tenant(db, &key.tenant_id).await?, key_id: Some(key.id) }),
            None => None,
        };
        keep(&self.keys, hash, caller.clone());
        Ok(caller)
    }

    async fn tenant(&self, db: &Database, id: &str) -> Result<TenantRow, ApiError> {
        if let Some(row) = fresh(&self.tenants, id) {
            return Ok(row);
        }
        let row = match db.tenant(id).await? {
            Some(row) => row,
            None => db.ensure_tenant(id, now_millis()).await?,
        };
        keep(&self.tenants, id.to_owned(), row.clone());
        Ok(row)
    }

    fn take_token(&self, key_id: &str) -> Result<(), ApiError> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let now = Instant::now();
        if buckets.len() >= CACHE_ENTRIES && !buckets.contains_key(key_id) {
            buckets.clear();
        }
        let b = buckets.entry(key_id.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - b.tokens) / self.rate).ceil().max(1.0) as u64;
        Err(ApiError::RateLimited { retry_after_s: wait })
    }
}

fn fresh<T: Clone>(cache: &Mutex<HashMap<String, (Instant, T)>>, key: &str) -> Option<T> {
    let cache = cache.lock().ok()?;
    cache.get(key).filter(|(at, _)| at.elapsed() < CACHE_TTL).map(|(_, v)| v.clone())
}

fn keep<T>(cache: &Mutex<HashMap<String, (Instant, T)>>, key: String, value: T) {
    let Ok(mut cache) = cache.lock() else { return };
    if cache.len() >= CACHE_ENTRIES {
        cache.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
    }
    cache.insert(key, (Instant::now(), value));
}
