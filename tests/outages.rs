//! Redis and Postgres unavailable for a while, through a TCP proxy the test takes down and
//! brings back (`common::proxy`): the API answers 503 problem+json for what needs the missing
//! service, workers reconnect, no job is lost and nothing is half-written. Postgres + Redis + S3
//! only (the embedded backends are files in the process); required in CI.

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::time::{Duration, Instant};

use common::proxy::{Proxy, host_port, through};
use common::{Backends, TestApp, example_spec};
use serde_json::{Value, json};

fn spec(iterations: u64) -> Value {
    let mut s = example_spec("npv.spec.json");
    s["iterations"] = json!(iterations);
    s
}

async fn submit(app: &TestApp, model: &str, iterations: u64) -> (u16, Value) {
    let r = app.submit(model, spec(iterations)).await;
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_outage() {
    let Some(urls) = common::services("redis_outage") else { return };
    let proxy = Proxy::start(host_port(&urls.redis)).await;
    let Some(app) =
        TestApp::spawn_with(Backends::Services, 1, "redis_outage", |s| s.queue_url = through(&s.queue_url, proxy.addr))
            .await
    else {
        return;
    };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().expect("id").to_owned();
    let (status, running) = submit(&app, &model_id, 4_000_000).await;
    assert_eq!(status, 202);
    let running_id = running["id"].as_str().expect("id").to_owned();
    app.wait_for(&running_id, Duration::from_secs(60), |v| v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0)
        .await;

    proxy.down();
    let outage = Instant::now();
    // A submission needs the queue: 503 problem+json, answered promptly, and its row is not
    // left queued without a message.
    let started = Instant::now();
    let r = app.submit(&model_id, spec(1000)).await;
    let answered = started.elapsed();
    assert_eq!(r.status(), 503, "{:?}", r.text().await);
    assert!(answered < Duration::from_secs(15), "answered after {answered:?}");
    let r = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), 503);
    // Reads need only the database: they go on.
    app.get_json(&format!("/v1/simulations/{running_id}"), 200).await;
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(outage.elapsed())).await;
    proxy.up();

    // The job that ran through the outage finishes once; the worker takes new jobs again.
    let done_running = app.wait_final(&running_id, Duration::from_secs(120)).await;
    assert_eq!(done_running["status"], "succeeded", "{done_running}");
    assert_eq!(app.db.result_count(&running_id).await.expect("count"), 1);
    let (status, after) = submit(&app, &model_id, 100_000).await;
    assert_eq!(status, 202, "{after}");
    let after_id = after["id"].as_str().expect("id").to_owned();
    let done = app.wait_final(&after_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "succeeded", "after the outage: {done}");
    // Nothing is stranded: every simulation is final.
    let all = app.get_json("/v1/simulations?limit=100", 200).await;
    for s in all["items"].as_array().expect("items") {
        assert!(matches!(s["status"].as_str(), Some("succeeded" | "failed")), "{s}");
    }
    eprintln!(
        "redis_outage: 503 answered in {answered:?}; the job running through the outage finished on attempt {}, and new jobs ran after Redis came back",
        done_running["attempt"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage_mid_job() {
    let Some(urls) = common::services("postgres_outage_mid_job") else { return };
    let proxy = Proxy::start(host_port(&urls.postgres)).await;
    let Some(app) = TestApp::spawn_with(Backends::Services, 1, "postgres_outage_mid_job", |s| {
        s.database_url = through(&s.database_url, proxy.addr);
    })
    .await
    else {
        return;
    };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().expect("id").to_owned();
    let (status, sim) = submit(&app, &model_id, 1_500_000).await;
    assert_eq!(status, 202);
    let id = sim["id"].as_str().expect("id").to_owned();
    app.wait_for(&id, Duration::from_secs(60), |v| v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0).await;

    // Down for longer than the rest of the run: the engine finishes while the database is
    // away, and the result write has to wait for it.
    proxy.down();
    let r = app.client.get(app.url(&format!("/v1/simulations/{id}"))).send().await.expect("get");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    tokio::time::sleep(Duration::from_secs(6)).await;
    proxy.up();

    let done = app.wait_final(&id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempt"], 1, "the result write waited for the database; the run was not repeated: {done}");
    assert_eq!(done["results"]["iterations"], 1_500_000);
    assert_eq!(app.db.result_count(&id).await.expect("count"), 1);
}
