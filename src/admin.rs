//! `montecell keys …` and `montecell tenants …`: API keys and tenant limits, written straight
//! into the database the settings name (the same `MONTECELL_DATABASE_URL` as the API). A key
//! is printed once, on standard output alone, so `KEY=$(montecell keys create --tenant acme)`
//! works; everything else goes to standard error.
#![allow(clippy::print_stderr)]

use clap::Subcommand;
use montecell_shared::db::Database;
use montecell_shared::resources::{Millis, now_millis, timestamp};
use montecell_shared::settings::Settings;
use montecell_shared::tenants::{self, Limit, LimitChanges, TenantRow};

use crate::output::outln;

/// `montecell keys …`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create an API key for a tenant (created if new). The key is printed once; only its
    /// SHA-256 is stored.
    Create {
        /// The tenant (1–63 of a-z, 0-9, '-').
        #[arg(long)]
        tenant: String,
        /// What the key is for (shown by `keys list`).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List keys (id, tenant, name, created, revoked): never the keys themselves.
    List {
        /// Only this tenant's.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key by its id (the 8 characters after `mc_`) or the whole key. It stops working
    /// within 5 seconds on every API process.
    Revoke {
        /// Key id or key.
        id: String,
    },
}

/// `montecell tenants …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantsCommand {
    /// List tenants and their limits (`default` = the setting's value).
    List,
    /// Set a tenant's limits; `default` goes back to the setting's value.
    Set {
        /// The tenant (created if new).
        tenant: String,
        /// Simulations running at once (tenant_max_running).
        #[arg(long)]
        max_running: Option<String>,
        /// Iterations of one simulation (max_iterations).
        #[arg(long)]
        max_iterations: Option<String>,
        /// Bytes of one upload (max_upload_bytes).
        #[arg(long)]
        max_upload_bytes: Option<String>,
    },
}

async fn connect() -> Result<Database, String> {
    let settings = Settings::load().map_err(|e| e.to_string())?;
    let target = settings.database().map_err(|e| e.to_string())?;
    Database::connect(&target, 2).await.map_err(|e| e.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

fn when(t: Option<Millis>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| timestamp(t).to_rfc3339())
}

/// Runs `montecell keys …`.
pub(crate) fn keys(command: KeysCommand) -> Result<(), String> {
    runtime()?.block_on(async {
        let db = connect().await?;
        match command {
            KeysCommand::Create { tenant, name } => {
                tenants::check_tenant_id(&tenant)?;
                let (key, row) = db.create_key(&tenant, &name, now_millis()).await.map_err(|e| e.to_string())?;
                eprintln!("created key {} for tenant {}; it is shown this once:", row.id, row.tenant_id);
                outln!("{}", key.key);
            }
            KeysCommand::List { tenant } => {
                let rows = db.keys(tenant.as_deref()).await.map_err(|e| e.to_string())?;
                outln!("{:<10} {:<20} {:<24} {:<26} revoked", "id", "tenant", "name", "created");
                for k in rows {
                    outln!(
                        "{:<10} {:<20} {:<24} {:<26} {}",
                        k.id,
                        k.tenant_id,
                        k.name,
                        when(Some(k.created_at)),
                        when(k.revoked_at)
                    );
                }
            }
            KeysCommand::Revoke { id } => {
                let row = db
                    .revoke_key(&id, now_millis())
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no key {id}"))?;
                eprintln!("key {} of tenant {} revoked at {}", row.id, row.tenant_id, when(row.revoked_at));
            }
        }
        db.close().await;
        Ok(())
    })
}

fn limit(arg: Option<&str>, what: &str) -> Result<Limit, String> {
    match arg {
        None => Ok(Limit::Keep),
        Some("default") => Ok(Limit::Default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Limit::Value(n)),
            _ => Err(format!("--{what}: {v:?} is neither a positive whole number nor `default`")),
        },
    }
}

fn show(t: &TenantRow) {
    let v = |x: Option<i64>| x.map_or_else(|| "default".to_owned(), |n| n.to_string());
    outln!("{:<20} {:<12} {:<15} {}", t.id, v(t.max_running), v(t.max_iterations), v(t.max_upload_bytes));
}

/// Runs `montecell tenants …`.
pub(crate) fn tenants(command: TenantsCommand) -> Result<(), String> {
    runtime()?.block_on(async {
        let db = connect().await?;
        outln!("{:<20} {:<12} {:<15} max_upload_bytes", "tenant", "max_running", "max_iterations");
        match command {
            TenantsCommand::List => {
                for t in db.tenants().await.map_err(|e| e.to_string())? {
                    show(&t);
                }
            }
            TenantsCommand::Set { tenant, max_running, max_iterations, max_upload_bytes } => {
                tenants::check_tenant_id(&tenant)?;
                let changes = LimitChanges {
                    max_running: limit(max_running.as_deref(), "max-running")?,
                    max_iterations: limit(max_iterations.as_deref(), "max-iterations")?,
                    max_upload_bytes: limit(max_upload_bytes.as_deref(), "max-upload-bytes")?,
                };
                let now = now_millis();
                db.ensure_tenant(&tenant, now).await.map_err(|e| e.to_string())?;
                let row = db
                    .set_tenant_limits(&tenant, changes, now)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no tenant {tenant}"))?;
                show(&row);
            }
        }
        db.close().await;
        Ok(())
    })
}
