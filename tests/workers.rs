//! Workers as separate processes, the way production runs them: killed with SIGKILL mid-job,
//! stopped with SIGTERM mid-job, and two at once on one queue. On the embedded backends
//! (always) and on Postgres + Redis + S3 (when `TEST_*` URLs are set; required in CI).

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backends, TestApp, example_spec};
use montecell_shared::settings::Settings;
use serde_json::{Value, json};

/// A worker process, killed when dropped: a failing test leaves no worker behind.
struct Worker(Child);

impl std::ops::Deref for Worker {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Worker {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `montecell worker` with the test's settings, as `MONTECELL_*` variables.
fn spawn_worker(settings: &Settings) -> Worker {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_montecell"));
    cmd.arg("worker").stdout(Stdio::null()).stderr(Stdio::inherit());
    for (k, _) in std::env::vars() {
        if k.starts_with("MONTECELL_") {
            cmd.env_remove(k);
        }
    }
    let value = serde_json::to_value(settings).expect("settings as JSON");
    for (k, v) in value.as_object().into_iter().flatten() {
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        cmd.env(format!("MONTECELL_{}", k.to_ascii_uppercase()), text);
    }
    Worker(cmd.spawn().expect("start montecell worker"))
}

fn spec(iterations: u64) -> Value {
    let mut spec = example_spec("npv.spec.json");
    spec["iterations"] = json!(iterations);
    spec
}

/// SIGKILL a worker in the middle of a long simulation: another worker picks the job up after
/// the heartbeat timeout and finishes it, with exactly one result row.
async fn sigkill_mid_job(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let sim: Value =
        app.submit(model["id"].as_str().unwrap_or_default(), spec(3_000_000)).await.json().await.expect("json");
    let id = sim["id"].as_str().unwrap_or_default().to_owned();

    let mut first = spawn_worker(&app.settings);
    let running = app
        .wait_for(&id, Duration::from_secs(60), |v| {
            v["status"] == "running" && v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0
        })
        .await;
    let victim = running["worker"].as_str().unwrap_or_default().to_owned();
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let killed = Instant::now();

    let mut second = spawn_worker(&app.settings);
    let retaken = app.wait_for(&id, Duration::from_secs(60), |v| v["attempt"].as_u64().unwrap_or(0) >= 2).await;
    let recovery = killed.elapsed();
    assert_ne!(retaken["worker"].as_str().unwrap_or_default(), victim, "another worker took it over");
    let done = app.wait_final(&id, Duration::from_secs(120)).await;
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempt"], 2, "{done}");
    assert_eq!(done["results"]["iterations"], 3_000_000);
    assert_eq!(app.db.result_count(&id).await.expect("count"), 1, "exactly one result row");
    eprintln!(
        "{name}: job retaken {:.2} s after SIGKILL (heartbeat {} ms × {} missed)",
        recovery.as_secs_f64(),
        app.settings.heartbeat_interval_ms,
        app.settings.missed_heartbeats
    );
}
on_both_backends!(sigkill_mid_job);

/// SIGTERM a worker in the middle of a long simulation: it stops taking jobs, gives the
/// running one `shutdown_timeout_ms`, then hands it back (the attempt is not counted) and
/// exits; the next worker runs it.
async fn sigterm_hands_back(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn_with(b, 0, name, |s| s.shutdown_timeout_ms = 300).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let sim: Value =
        app.submit(model["id"].as_str().unwrap_or_default(), spec(4_000_000)).await.json().await.expect("json");
    let id = sim["id"].as_str().unwrap_or_default().to_owned();
    let mut first = spawn_worker(&app.settings);
    app.wait_for(&id, Duration::from_secs(60), |v| v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0).await;
    let term = Command::new("kill").arg("-TERM").arg(first.id().to_string()).status().expect("kill -TERM");
    assert!(term.success());
    let exit = tokio::task::spawn_blocking(move || first.wait()).await.expect("join").expect("wait");
    assert!(exit.success(), "a worker exits cleanly on SIGTERM: {exit:?}");
    let handed = app.get_json(&format!("/v1/simulations/{id}"), 200).await;
    assert_eq!(handed["status"], "queued", "{handed}");
    assert_eq!(handed["attempt"], 0, "a handed-back run does not count as an attempt: {handed}");

    let mut second = spawn_worker(&app.settings);
    let done = app.wait_final(&id, Duration::from_secs(120)).await;
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempt"], 1, "{done}");
    assert_eq!(app.db.result_count(&id).await.expect("count"), 1);
}
on_both_backends!(sigterm_hands_back);

/// Two worker processes on one queue: the jobs spread over both, and each finishes exactly
/// once.
async fn two_workers_share_the_queue(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    // The first worker also serves its metrics.
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut with_metrics = app.settings.clone();
    with_metrics.metrics_bind = format!("127.0.0.1:{metrics_port}");
    let mut workers = vec![spawn_worker(&with_metrics), spawn_worker(&app.settings)];
    let mut ids = Vec::new();
    for seed in 0..16 {
        let mut s = spec(200_000);
        s["seed"] = json!(seed);
        let v: Value = app.submit(&model_id, s).await.json().await.expect("json");
        ids.push(v["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut by_worker = std::collections::BTreeMap::<String, usize>::new();
    for id in &ids {
        let done = app.wait_final(id, Duration::from_secs(120)).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["attempt"], 1, "{done}");
        assert_eq!(app.db.result_count(id).await.expect("count"), 1);
        *by_worker.entry(done["worker"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    let metrics = app
        .client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .expect("worker metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("montecell_jobs_finished_total{status=\"succeeded\"}"), "{metrics}");
    assert!(metrics.contains("montecell_job_duration_seconds"), "{metrics}");
    for w in &mut workers {
        let _ = w.kill();
        let _ = w.wait();
    }
    eprintln!("{name}: jobs per worker {by_worker:?}");
    assert_eq!(by_worker.len(), 2, "both workers ran jobs: {by_worker:?}");
}
on_both_backends!(two_workers_share_the_queue);

/// A worker SIGKILLed mid-job twenty times in a row: each round submits a job, kills the worker
/// running it, starts a fresh one and measures the time until the job runs again. Every job
/// ends `succeeded` with exactly one result: 0 lost, 0 duplicated.
async fn twenty_kills_in_a_row(b: Backends, name: &str) {
    const KILLS: usize = 20;
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    let mut worker = spawn_worker(&app.settings);
    let mut ids = Vec::new();
    let mut recoveries = Vec::new();
    for k in 0..KILLS {
        let mut s = spec(1_000_000);
        s["seed"] = json!(k);
        let v: Value = app.submit(&model_id, s).await.json().await.expect("json");
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        app.wait_for(&id, Duration::from_secs(120), |v| {
            v["status"] == "running" && v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0
        })
        .await;
        worker.kill().expect("SIGKILL");
        let _ = worker.wait();
        let killed = Instant::now();
        worker = spawn_worker(&app.settings);
        app.wait_for(&id, Duration::from_secs(120), |v| v["attempt"].as_u64().unwrap_or(0) >= 2).await;
        recoveries.push(killed.elapsed().as_secs_f64());
        eprintln!("{name}: kill {} of {KILLS}: job retaken after {:.2} s", k + 1, recoveries[k]);
        ids.push(id);
    }
    for id in &ids {
        let done = app.wait_final(id, Duration::from_secs(120)).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["attempt"], 2, "{done}");
        assert_eq!(done["results"]["iterations"], 1_000_000);
        assert_eq!(app.db.result_count(id).await.expect("count"), 1, "exactly one result for {id}");
    }
    recoveries.sort_by(f64::total_cmp);
    eprintln!(
        "{name}: {KILLS} kills, {KILLS} jobs succeeded, 0 lost, 0 duplicated; recovery median {:.2} s, max {:.2} s",
        recoveries[KILLS / 2],
        recoveries[KILLS - 1]
    );
}
on_both_backends!(twenty_kills_in_a_row);

/// A job that takes its worker down every time (here: SIGKILL whenever it runs) ends `failed`
/// after `max_attempts` runs, with the attempts-exhausted problem, and is never delivered again.
async fn crash_every_time(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let sim: Value =
        app.submit(model["id"].as_str().unwrap_or_default(), spec(9_000_000)).await.json().await.expect("json");
    let id = sim["id"].as_str().unwrap_or_default().to_owned();
    let max = u64::from(app.settings.max_attempts);
    for attempt in 1..=max {
        let mut worker = spawn_worker(&app.settings);
        app.wait_for(&id, Duration::from_secs(120), |v| {
            v["status"] == "running" && v["attempt"].as_u64() == Some(attempt)
        })
        .await;
        worker.kill().expect("SIGKILL");
        let _ = worker.wait();
    }
    let mut worker = spawn_worker(&app.settings);
    let done = app.wait_final(&id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["attempt"], max, "{done}");
    assert_eq!(done["error"]["type"], "/problems/attempts-exhausted", "{done}");
    // No further delivery runs it: it stays failed, with the same attempt count.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = app.get_json(&format!("/v1/simulations/{id}"), 200).await;
    assert_eq!(later["status"], "failed");
    assert_eq!(later["attempt"], max);
    assert_eq!(app.db.result_count(&id).await.expect("count"), 0);
    let _ = worker.kill();
    let _ = worker.wait();
}
on_both_backends!(crash_every_time);
