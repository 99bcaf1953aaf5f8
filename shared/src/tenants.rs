//! Tenants and their API keys.
//!
//! A key reads `mc_` + 8 characters of id + 32 of secret + 6 of checksum, all base62
//! (`mc_3kT9vQ2a…`, 49 characters). The checksum (CRC-32 of everything before it) lets a
//! mistyped or truncated key be refused without a database query, and lets secret scanners
//! recognise real keys. The id is the public part: keys are found, listed and revoked by it.
//! Only the key's SHA-256 is stored, and it is compared in constant time.

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use subtle::ConstantTimeEq;

use crate::db::{Database, DbError};
use crate::resources::Millis;

/// What every key starts with.
pub const KEY_PREFIX: &str = "mc_";
const ID_LEN: usize = 8;
const SECRET_LEN: usize = 32;
const CHECK_LEN: usize = 6;
/// The length of a key.
pub const KEY_LEN: usize = KEY_PREFIX.len() + ID_LEN + SECRET_LEN + CHECK_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A key that cannot be one of ours.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Wrong prefix, length or alphabet.
    #[error("not a montecell API key (they read mc_ followed by 46 letters and digits)")]
    Malformed,
    /// The checksum does not match: mistyped or truncated.
    #[error("the API key's checksum does not match (mistyped or truncated?)")]
    Checksum,
}

/// A new key: shown once, then only its hash is kept.
#[derive(Debug)]
pub struct NewKey {
    /// The whole key, for the user.
    pub key: String,
    /// Its public id.
    pub id: String,
    /// Hex SHA-256 of the whole key.
    pub hash: String,
}

fn base62(rng: &mut impl Rng, n: usize) -> String {
    (0..n).map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())])).collect()
}

fn checksum(body: &str) -> String {
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [b'0'; CHECK_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A fresh key from the operating system's random source.
pub fn generate() -> NewKey {
    let mut rng = rand::rng();
    let id = base62(&mut rng, ID_LEN);
    let body = format!("{KEY_PREFIX}{id}{}", base62(&mut rng, SECRET_LEN));
    let key = format!("{body}{}", checksum(&body));
    let hash = hash(&key);
    NewKey { key, id, hash }
}

/// The id of a well-formed key.
pub fn parse(key: &str) -> Result<&str, KeyError> {
    let rest = key.strip_prefix(KEY_PREFIX).ok_or(KeyError::Malformed)?;
    if key.len() != KEY_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(KeyError::Malformed);
    }
    let (body, check) = key.split_at(KEY_LEN - CHECK_LEN);
    if checksum(body) != check {
        return Err(KeyError::Checksum);
    }
    Ok(&rest[..ID_LEN])
}

/// Hex SHA-256 of a key: what is stored.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Whether two stored hashes are equal, in time that does not depend on where they differ.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A tenant's name: 1–63 of `a-z 0-9 -`, starting with a letter or digit.
pub fn check_tenant_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if ok { Ok(()) } else { Err(format!("{id:?}: a tenant is 1 to 63 of a-z, 0-9 and '-', not starting with '-'")) }
}

/// A tenant and its limits (`None`: the setting's value).
#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct TenantRow {
    /// Name.
    pub id: String,
    /// Simulations running at once.
    pub max_running: Option<i64>,
    /// Iterations of one simulation.
    pub max_iterations: Option<i64>,
    /// Bytes of one upload.
    pub max_upload_bytes: Option<i64>,
    /// Created.
    pub created_at: Millis,
    /// Last changed.
    pub updated_at: Millis,
}

/// One limit of a tenant, as set from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Leave it as it is.
    Keep,
    /// Back to the setting's value.
    Default,
    /// This value.
    Value(i64),
}

/// Changes to a tenant's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitChanges {
    /// Simulations running at once.
    pub max_running: Limit,
    /// Iterations of one simulation.
    pub max_iterations: Limit,
    /// Bytes of one upload.
    pub max_upload_bytes: Limit,
}

/// A stored key (its hash, never the key).
#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Public id.
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// What it is for, as given at creation.
    pub name: String,
    /// Hex SHA-256 of the key.
    pub hash: String,
    /// Created.
    pub created_at: Millis,
    /// Revoked, if it is.
    pub revoked_at: Option<Millis>,
}

impl Database {
    /// The tenant, created (with default limits) if it does not exist.
    pub async fn ensure_tenant(&self, id: &str, now: Millis) -> Result<TenantRow, DbError> {
        sqlx::query("INSERT INTO tenants (id, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        self.tenant(id).await?.ok_or_else(|| DbError::Corrupt(format!("tenant {id} vanished after its insert")))
    }

    /// A tenant.
    pub async fn tenant(&self, id: &str) -> Result<Option<TenantRow>, DbError> {
        Ok(sqlx::query_as::<_, TenantRow>(
            "SELECT id, max_running, max_iterations, max_upload_bytes, created_at, updated_at FROM tenants WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every tenant, by name.
    pub async fn tenants(&self) -> Result<Vec<TenantRow>, DbError> {
        Ok(sqlx::query_as::<_, TenantRow>(
            "SELECT id, max_running, max_iterations, max_upload_bytes, created_at, updated_at FROM tenants ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Changes a tenant's limits; `None` if there is no such tenant.
    pub async fn set_tenant_limits(
        &self,
        id: &str,
        changes: LimitChanges,
        now: Millis,
    ) -> Result<Option<TenantRow>, DbError> {
        let Some(mut row) = self.tenant(id).await? else { return Ok(None) };
        let apply = |slot: &mut Option<i64>, change: Limit| match change {
            Limit::Keep => {}
            Limit::Default => *slot = None,
            Limit::Value(v) => *slot = Some(v),
        };
        apply(&mut row.max_running, changes.max_running);
        apply(&mut row.max_iterations, changes.max_iterations);
        apply(&mut row.max_upload_bytes, changes.max_upload_bytes);
        sqlx::query(
            "UPDATE tenants SET max_running = $2, max_iterations = $3, max_upload_bytes = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(row.max_running)
        .bind(row.max_iterations)
        .bind(row.max_upload_bytes)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.tenant(id).await
    }

    /// Creates a key for a tenant (created if need be); the key is in the answer, and nowhere else.
    pub async fn create_key(&self, tenant: &str, name: &str, now: Millis) -> Result<(NewKey, ApiKeyRow), DbError> {
        self.ensure_tenant(tenant, now).await?;
        let key = generate();
        let row = ApiKeyRow {
            id: key.id.clone(),
            tenant_id: tenant.to_owned(),
            name: name.to_owned(),
            hash: key.hash.clone(),
            created_at: now,
            revoked_at: None,
        };
        sqlx::query("INSERT INTO api_keys (id, tenant_id, name, hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.id)
            .bind(&row.tenant_id)
            .bind(&row.name)
            .bind(&row.hash)
            .bind(row.created_at)
            .execute(&self.pool)
            .await?;
        Ok((key, row))
    }

    /// Keys, of one tenant or all, oldest first.
    pub async fn keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKeyRow>, DbError> {
        Ok(sqlx::query_as::<_, ApiKeyRow>(
            "SELECT id, tenant_id, name, hash, created_at, revoked_at FROM api_keys WHERE ($1 = '' OR tenant_id = $1) ORDER BY created_at, id",
        )
        .bind(tenant.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes a key by its id (or the whole key); `None` if there is no such key. Revoking
    /// twice keeps the first time.
    pub async fn revoke_key(&self, id: &str, now: Millis) -> Result<Option<ApiKeyRow>, DbError> {
        let id = parse(id).unwrap_or(id);
        sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        self.key(id).await
    }

    async fn key(&self, id: &str) -> Result<Option<ApiKeyRow>, DbError> {
        Ok(sqlx::query_as::<_, ApiKeyRow>(
            "SELECT id, tenant_id, name, hash, created_at, revoked_at FROM api_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The live key a presented key is, if any: well-formed, stored (hash compared in constant
    /// time) and not revoked.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<ApiKeyRow>, DbError> {
        let Ok(id) = parse(presented) else { return Ok(None) };
        let Some(row) = self.key(id).await? else { return Ok(None) };
        Ok((hashes_equal(&row.hash, &hash(presented)) && row.revoked_at.is_none()).then_some(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a.key, b.key);
        assert_eq!(a.key.len(), KEY_LEN);
        assert_eq!(parse(&a.key), Ok(a.id.as_str()));
        assert_eq!(a.hash, hash(&a.key));
        assert!(hashes_equal(&a.hash, &hash(&a.key)));
        assert!(!hashes_equal(&a.hash, &b.hash));
    }

    #[test]
    fn mistyped_and_foreign_keys_are_refused() {
        let k = generate().key;
        // One character changed in the secret: the checksum catches it.
        let mut bytes = k.clone().into_bytes();
        bytes[20] = if bytes[20] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).expect("ascii");
        assert_eq!(parse(&typo), Err(KeyError::Checksum));
        assert_eq!(parse(&k[..KEY_LEN - 1]), Err(KeyError::Malformed));
        assert_eq!(parse(&format!("sk_{}", &k[3..])), Err(KeyError::Malformed));
        assert_eq!(parse(&k.replace(&k[10..11], "!")), Err(KeyError::Malformed));
        assert_eq!(parse(""), Err(KeyError::Malformed));
    }

    #[test]
    fn tenant_names() {
        assert!(check_tenant_id("acme-2").is_ok());
        for bad in ["", "-x", "Acme", "a b", "a_b", &"x".repeat(64)] {
            assert!(check_tenant_id(bad).is_err(), "{bad}");
        }
    }
}
