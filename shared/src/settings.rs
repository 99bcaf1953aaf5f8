//! The typed settings of every montecell process.
//!
//! Three layers, later ones winning: the defaults in `config/default.toml` (compiled into the
//! binary), an optional TOML file named by `MONTECELL_CONFIG`, and environment variables
//! `MONTECELL_<KEY>` (`MONTECELL_DATABASE_URL`, `MONTECELL_BIND`…). `docs/configuration.md`
//! documents every key. Secrets (`s3_secret_access_key`, passwords inside URLs) never appear in
//! `Debug` output or logs: see [`Settings::redacted`].

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};

/// The defaults, as shipped.
pub const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Settings that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(String);

/// Every setting of the API and the workers.
#[derive(Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Settings {
    pub bind: String,
    pub http_workers: usize,
    pub public_url: String,
    pub max_upload_bytes: u64,
    pub max_request_json_bytes: usize,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_max_connections: u32,
    pub queue_url: String,
    pub queue_name: String,
    pub blob_dir: String,
    pub s3_bucket: String,
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    pub s3_path_style: bool,
    pub worker_concurrency: usize,
    pub engine_threads: usize,
    pub max_attempts: u32,
    pub retry_backoff_ms: u64,
    pub retry_backoff_max_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub missed_heartbeats: usize,
    pub poll_interval_ms: u64,
    pub progress_interval_ms: u64,
    pub shutdown_timeout_ms: u64,
    pub requeue_after_ms: u64,
    pub worker_name: String,
    pub gpu: String,
    pub metrics_bind: String,
    pub webhook_allow_private: String,
    pub webhook_timeout_ms: u64,
    pub webhook_retry_delays_s: String,
    pub max_iterations: u64,
    pub page_size_max: u32,
    pub require_api_keys: bool,
    pub tenant_max_running: u64,
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: u32,
    pub log: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Where the settings say data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A Postgres URL.
    Postgres(String),
    /// A SQLite file.
    Sqlite(PathBuf),
}

/// Where jobs are queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueTarget {
    /// A Redis URL.
    Redis(String),
    /// A SQLite file (its own file: apalis keeps its own migrations table).
    Sqlite(PathBuf),
}

/// Where blobs are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobTarget {
    /// A local folder.
    Local(PathBuf),
    /// An S3 bucket.
    S3,
}

impl Settings {
    /// The shipped defaults, with no file and no environment.
    pub fn defaults() -> Result<Settings, SettingsError> {
        Figment::from(Toml::string(DEFAULTS)).extract().map_err(|e| SettingsError(e.to_string()))
    }

    /// Defaults, then `MONTECELL_CONFIG`'s file, then `MONTECELL_*` variables.
    pub fn load() -> Result<Settings, SettingsError> {
        Self::load_from(std::env::vars())
    }

    /// As [`Settings::load`], from the given environment (tests pass their own).
    pub fn load_from(vars: impl IntoIterator<Item = (String, String)>) -> Result<Settings, SettingsError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some((_, file)) = vars.iter().find(|(k, _)| k == "MONTECELL_CONFIG") {
            let path = PathBuf::from(file);
            if !path.exists() {
                return Err(SettingsError(format!("MONTECELL_CONFIG names {file}, which does not exist")));
            }
            figment = figment.merge(Toml::file(path));
        }
        let defaults = serde_json::to_value(Self::defaults()?).map_err(|e| SettingsError(e.to_string()))?;
        let known: Vec<String> = defaults.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        let mut env_pairs = Vec::new();
        for (k, v) in &vars {
            let Some(key) = k.strip_prefix("MONTECELL_") else { continue };
            let key = key.to_ascii_lowercase();
            // Variables of montecell that are not settings.
            if key == "config" || key == "corpus" || key == "nvrtc_lib" {
                continue;
            }
            if !known.contains(&key) {
                return Err(SettingsError(format!(
                    "unknown variable {k} (known: {})",
                    known
                        .iter()
                        .map(|k| format!("MONTECELL_{}", k.to_ascii_uppercase()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            env_pairs.push((key, v.clone()));
        }
        for (k, v) in env_pairs {
            // A string setting takes the text as it is ("12345" stays a string); others parse.
            let text = defaults.get(&k).is_some_and(serde_json::Value::is_string);
            figment = figment.merge(Toml::string(&format!("{k} = {}", toml_value(&v, text))));
        }
        let settings: Settings = figment.extract().map_err(|e| SettingsError(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    /// The keys of the settings, as in the defaults file.
    pub fn keys() -> Result<Vec<String>, SettingsError> {
        let value = serde_json::to_value(Self::defaults()?).map_err(|e| SettingsError(e.to_string()))?;
        Ok(value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default())
    }

    fn check(&self) -> Result<(), SettingsError> {
        if self.max_attempts == 0 {
            return Err(SettingsError("max_attempts must be at least 1".into()));
        }
        if self.worker_concurrency == 0 {
            return Err(SettingsError("worker_concurrency must be at least 1".into()));
        }
        if self.missed_heartbeats == 0 || self.heartbeat_interval_ms == 0 {
            return Err(SettingsError("heartbeat_interval_ms and missed_heartbeats must be positive".into()));
        }
        if self.queue_name.is_empty() {
            return Err(SettingsError("queue_name must not be empty".into()));
        }
        if self.tenant_max_running == 0 {
            return Err(SettingsError("tenant_max_running must be at least 1".into()));
        }
        if !(self.rate_limit_per_second.is_finite() && self.rate_limit_per_second >= 0.0) {
            return Err(SettingsError("rate_limit_per_second must be a number ≥ 0 (0 = no limit)".into()));
        }
        if !self.s3_bucket.is_empty() && (self.s3_access_key_id.is_empty() || self.s3_secret_access_key.is_empty()) {
            return Err(SettingsError(
                "s3_bucket is set: s3_access_key_id and s3_secret_access_key are required".into(),
            ));
        }
        Ok(())
    }

    /// The database the settings name.
    pub fn database(&self) -> Result<DatabaseTarget, SettingsError> {
        let url = self.database_url.trim();
        if url.is_empty() {
            return Ok(DatabaseTarget::Sqlite(self.data_dir.join("montecell.sqlite")));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseTarget::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(DatabaseTarget::Sqlite(PathBuf::from(path)));
        }
        Err(SettingsError(format!("database_url must be postgres://… or sqlite://…, not {}", redact_url(url))))
    }

    /// The queue the settings name.
    pub fn queue(&self) -> Result<QueueTarget, SettingsError> {
        let url = self.queue_url.trim();
        if url.is_empty() {
            return Ok(QueueTarget::Sqlite(self.data_dir.join("queue.sqlite")));
        }
        if url.starts_with("redis://") || url.starts_with("rediss://") {
            return Ok(QueueTarget::Redis(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(QueueTarget::Sqlite(PathBuf::from(path)));
        }
        Err(SettingsError(format!("queue_url must be redis://… or sqlite://…, not {}", redact_url(url))))
    }

    /// The blob store the settings name.
    pub fn blobs(&self) -> BlobTarget {
        if !self.s3_bucket.is_empty() {
            return BlobTarget::S3;
        }
        if self.blob_dir.is_empty() {
            BlobTarget::Local(self.data_dir.join("blobs"))
        } else {
            BlobTarget::Local(PathBuf::from(&self.blob_dir))
        }
    }

    /// Whether a request without an API key is served (as the tenant `default`): only when
    /// keys are not required and the API listens on a loopback address alone.
    pub fn anonymous_allowed(&self) -> bool {
        !self.require_api_keys && bind_is_loopback(&self.bind)
    }

    /// The settings as one line for logs, secrets replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut copy = self.clone();
        copy.database_url = redact_url(&copy.database_url);
        copy.queue_url = redact_url(&copy.queue_url);
        if !copy.s3_secret_access_key.is_empty() {
            copy.s3_secret_access_key = "***".into();
        }
        serde_json::to_string(&copy).unwrap_or_default()
    }
}

/// A TOML literal for an environment value: for a non-text setting, numbers and booleans as
/// themselves; everything else as a string.
fn toml_value(v: &str, text: bool) -> String {
    if !text && (v.parse::<i64>().is_ok() || v.parse::<f64>().is_ok_and(f64::is_finite) || v == "true" || v == "false")
    {
        v.to_owned()
    } else {
        // A JSON string literal is a valid TOML basic string (the same escapes, \uXXXX for
        // control characters).
        serde_json::to_string(v).unwrap_or_default()
    }
}

/// Whether `host:port` can be reached from this machine only.
fn bind_is_loopback(bind: &str) -> bool {
    if let Ok(addr) = bind.parse::<std::net::SocketAddr>() {
        return addr.ip().is_loopback();
    }
    bind.rsplit_once(':').is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
}

/// A URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_are_embedded_mode() {
        let s = Settings::load_from(vars(&[])).expect("defaults load");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.database().expect("db"), DatabaseTarget::Sqlite(PathBuf::from("data/montecell.sqlite")));
        assert_eq!(s.queue().expect("queue"), QueueTarget::Sqlite(PathBuf::from("data/queue.sqlite")));
        assert_eq!(s.blobs(), BlobTarget::Local(PathBuf::from("data/blobs")));
    }

    #[test]
    fn environment_overrides_with_types() {
        let s = Settings::load_from(vars(&[
            ("MONTECELL_DATABASE_URL", "postgres://u:pw@localhost/db"),
            ("MONTECELL_MAX_ATTEMPTS", "7"),
            ("MONTECELL_S3_PATH_STYLE", "false"),
            ("MONTECELL_QUEUE_NAME", "12345"),
            ("MONTECELL_PUBLIC_URL", "a\"b\\c\td"),
            ("OTHER", "x"),
        ]))
        .expect("loads");
        assert_eq!(s.max_attempts, 7);
        assert_eq!(s.queue_name, "12345");
        assert_eq!(s.public_url, "a\"b\\c\td");
        assert!(!s.s3_path_style);
        assert_eq!(s.database().expect("db"), DatabaseTarget::Postgres("postgres://u:pw@localhost/db".into()));
        assert!(!format!("{s:?}").contains("pw"), "the password is redacted");
        assert!(s.redacted().contains("postgres://u:***@localhost/db"));
    }

    #[test]
    fn unknown_variables_and_bad_values_are_errors() {
        let e = Settings::load_from(vars(&[("MONTECELL_DATABSE_URL", "x")])).expect_err("typo");
        assert!(e.to_string().contains("MONTECELL_DATABSE_URL"), "{e}");
        let e = Settings::load_from(vars(&[("MONTECELL_MAX_ATTEMPTS", "many")])).expect_err("not a number");
        assert!(e.to_string().contains("max_attempts"), "{e}");
        let e = Settings::load_from(vars(&[("MONTECELL_MAX_ATTEMPTS", "0")])).expect_err("zero");
        assert!(e.to_string().contains("max_attempts"), "{e}");
    }

    #[test]
    fn keys_are_required_off_loopback() {
        let on = |pairs: &[(&str, &str)]| Settings::load_from(vars(pairs)).expect("loads").anonymous_allowed();
        assert!(on(&[]), "the embedded default on 127.0.0.1 serves requests without keys");
        assert!(on(&[("MONTECELL_BIND", "[::1]:9000")]));
        assert!(on(&[("MONTECELL_BIND", "localhost:9000")]));
        assert!(!on(&[("MONTECELL_BIND", "0.0.0.0:8080")]));
        assert!(!on(&[("MONTECELL_BIND", "10.1.2.3:8080")]));
        assert!(!on(&[("MONTECELL_REQUIRE_API_KEYS", "true")]));
    }

    #[test]
    fn secret_key_is_redacted() {
        let s = Settings::load_from(vars(&[
            ("MONTECELL_S3_BUCKET", "b"),
            ("MONTECELL_S3_ACCESS_KEY_ID", "id"),
            ("MONTECELL_S3_SECRET_ACCESS_KEY", "topsecret"),
        ]))
        .expect("loads");
        assert!(!format!("{s:?}").contains("topsecret"));
        assert_eq!(s.blobs(), BlobTarget::S3);
    }
}

#[cfg(test)]
mod documentation {
    use super::Settings;

    /// Every setting has a row in docs/configuration.md, and every documented variable exists.
    #[test]
    fn every_setting_is_documented() {
        let doc = include_str!("../../docs/configuration.md");
        let keys = Settings::keys().expect("keys");
        for key in &keys {
            let var = format!("`MONTECELL_{}`", key.to_ascii_uppercase());
            assert!(doc.contains(&var), "{var} is not documented in docs/configuration.md");
        }
        for word in doc.split('`').filter(|w| {
            w.starts_with("MONTECELL_") && w[10..].chars().all(|c| c.is_ascii_uppercase() || c == '_') && w.len() > 10
        }) {
            let key = word.trim_start_matches("MONTECELL_").to_ascii_lowercase();
            let other = key.contains('<') || key == "config" || key == "corpus" || key == "nvrtc_lib" || key == "key";
            assert!(other || keys.contains(&key), "docs/configuration.md documents {word}, which is not a setting");
        }
    }
}
