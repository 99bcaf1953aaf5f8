//! `spawn_app` for the service tests: an API on a free port and workers, against either the
//! embedded backends (SQLite files and a blob folder in a temporary directory: no service
//! needed) or the production ones (a fresh Postgres database, a Redis queue name and an S3
//! bucket of the test's own, from `TEST_DATABASE_URL`, `TEST_REDIS_URL` and `TEST_S3_*`).
//!
//! Without those variables a production test says loudly that it was skipped — unless `CI`
//! is set, where it fails: `.ci/run` must provide every service.
#![allow(dead_code, clippy::print_stderr, clippy::expect_used, unreachable_pub)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub mod proxy;

use montecell_api::AppState;
use montecell_shared::blob::BlobStore;
use montecell_shared::db::Database;
use montecell_shared::queue::Queue;
use montecell_shared::settings::Settings;
use montecell_worker::WorkerState;
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Defines `mod $body { embedded, services }`: two tests running `$body(backends, name)` on
/// the embedded backends and on Postgres + Redis + S3.
#[macro_export]
macro_rules! on_both_backends {
    ($body:ident) => {
        mod $body {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn embedded() {
                super::$body(Backends::Embedded, concat!(stringify!($body), "::embedded")).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn services() {
                super::$body(Backends::Services, concat!(stringify!($body), "::services")).await;
            }
        }
    };
}

/// Which backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backends {
    /// SQLite + local folder.
    Embedded,
    /// Postgres + Redis + S3.
    Services,
}

/// The production services, from the environment.
#[derive(Clone, Debug)]
pub struct ServiceUrls {
    pub postgres: String,
    pub redis: String,
    pub s3_endpoint: String,
    pub s3_key: String,
    pub s3_secret: String,
}

/// The services, or `None` after a loud skip message (a failure under `CI`).
pub fn services(test: &str) -> Option<ServiceUrls> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let urls = (|| {
        Some(ServiceUrls {
            postgres: get("TEST_DATABASE_URL")?,
            redis: get("TEST_REDIS_URL")?,
            s3_endpoint: get("TEST_S3_ENDPOINT")?,
            s3_key: get("TEST_S3_ACCESS_KEY").unwrap_or_else(|| "montecell".into()),
            s3_secret: get("TEST_S3_SECRET_KEY").unwrap_or_else(|| "montecell-secret".into()),
        })
    })();
    if urls.is_none() {
        let msg = format!(
            "SKIPPED {test}: TEST_DATABASE_URL, TEST_REDIS_URL and TEST_S3_ENDPOINT must all be set to run it against Postgres, Redis and S3 (.ci/run sets them)"
        );
        assert!(std::env::var_os("CI").is_none(), "{msg} — required in CI");
        eprintln!("\n!!!!! {msg}\n");
    }
    urls
}

/// A running API (and workers) for one test.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Database,
    pub settings: Settings,
    pub dir: tempfile::TempDir,
    stop: watch::Sender<bool>,
    workers: Vec<(String, JoinHandle<()>)>,
    pub queue: Queue,
    pub blobs: BlobStore,
}

/// Settings for a test: fast heartbeats, polling and retries.
pub async fn settings_for(backends: Backends, dir: &std::path::Path, test: &str) -> Option<Settings> {
    let mut s = Settings::load_from(Vec::<(String, String)>::new()).expect("defaults");
    s.data_dir = dir.to_owned();
    s.heartbeat_interval_ms = 1000;
    s.missed_heartbeats = 2;
    s.poll_interval_ms = 50;
    s.progress_interval_ms = 100;
    s.retry_backoff_ms = 100;
    s.retry_backoff_max_ms = 500;
    s.shutdown_timeout_ms = 2000;
    s.engine_threads = 2;
    s.log = "warn".into();
    let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    s.queue_name = format!("mc-test-{tag}");
    if backends == Backends::Services {
        let urls = services(test)?;
        s.database_url = fresh_database(&urls.postgres, &tag).await;
        s.queue_url = urls.redis;
        s.s3_endpoint = urls.s3_endpoint;
        s.s3_bucket = format!("mc-test-{tag}");
        s.s3_access_key_id = urls.s3_key;
        s.s3_secret_access_key = urls.s3_secret;
    }
    Some(s)
}

/// Creates `mc_test_<tag>` on the server of `url` and returns its URL.
async fn fresh_database(url: &str, tag: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect to TEST_DATABASE_URL");
    let name = format!("mc_test_{tag}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create the test database");
    let (base, _) = url.rsplit_once('/').expect("a database URL ends in /<database>");
    format!("{base}/{name}")
}

impl TestApp {
    /// An API on a free port and `workers` in-process workers; `None` when skipped.
    pub async fn spawn(backends: Backends, workers: usize, test: &str) -> Option<TestApp> {
        Self::spawn_with(backends, workers, test, |_| {}).await
    }

    /// As [`TestApp::spawn`], with changed settings.
    pub async fn spawn_with(
        backends: Backends,
        workers: usize,
        test: &str,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = settings_for(backends, dir.path(), test).await?;
        tweak(&mut settings);
        let db = Database::connect(&settings.database().expect("db"), 8).await.expect("database");
        let blobs = BlobStore::from_settings(&settings).await.expect("blobs");
        blobs.ensure().await.expect("bucket");
        let queue = Queue::connect(&settings).await.expect("queue");
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let mut api_settings = settings.clone();
        api_settings.http_workers = 2;
        let state = Arc::new(AppState::new(db.clone(), blobs.clone(), queue.clone(), api_settings));
        let server = montecell_api::serve(state, listener).expect("server");
        tokio::spawn(server);
        let (stop, _) = watch::channel(false);
        let mut app = TestApp {
            base,
            client: reqwest::Client::new(),
            db,
            settings,
            dir,
            stop,
            workers: Vec::new(),
            queue,
            blobs,
        };
        for _ in 0..workers {
            app.add_worker().await;
        }
        Some(app)
    }

    /// Starts one more in-process worker; returns its name.
    pub async fn add_worker(&mut self) -> String {
        let state = Arc::new(WorkerState::new(
            self.db.clone(),
            self.blobs.clone(),
            Queue::connect(&self.settings).await.expect("queue"),
            self.settings.clone(),
        ));
        let name = state.name.clone();
        let mut rx = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let _ = montecell_worker::run(state, async move {
                let _ = rx.wait_for(|s| *s).await;
            })
            .await;
        });
        self.workers.push((name.clone(), handle));
        name
    }

    /// Stops the workers (graceful shutdown) and waits for them.
    pub async fn stop_workers(&mut self) {
        let _ = self.stop.send(true);
        for (_, h) in self.workers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(30), h).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Uploads a file of `examples/` (raw body); returns the model.
    pub async fn upload_example(&self, name: &str) -> Value {
        let bytes = std::fs::read(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).expect("example");
        let r = self
            .client
            .post(self.url(&format!("/v1/models?filename={name}")))
            .body(bytes)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 201, "upload of {name}");
        r.json().await.expect("json")
    }

    /// Submits `spec` (an example's spec, changed by the test) for `model`.
    pub async fn submit(&self, model: &str, mut spec: Value) -> reqwest::Response {
        spec["model_id"] = Value::String(model.to_owned());
        self.client.post(self.url("/v1/simulations")).json(&spec).send().await.expect("submit")
    }

    /// GET a path as JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let r = self.client.get(self.url(path)).send().await.expect("get");
        assert_eq!(r.status(), status, "GET {path}");
        r.json().await.expect("json")
    }

    /// Polls a simulation until `done(resource)` or the timeout.
    pub async fn wait_for(&self, id: &str, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let v = self.get_json(&format!("/v1/simulations/{id}"), 200).await;
            if done(&v) {
                return v;
            }
            assert!(start.elapsed() < timeout, "simulation {id} did not get there in {timeout:?}: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls until the simulation is final.
    pub async fn wait_final(&self, id: &str, timeout: Duration) -> Value {
        self.wait_for(id, timeout, |v| matches!(v["status"].as_str(), Some("succeeded" | "failed" | "canceled"))).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// An example's spec as JSON.
pub fn example_spec(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).expect("spec");
    serde_json::from_str(&text).expect("spec json")
}
