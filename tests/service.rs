//! The service end to end over HTTP: upload, submit, poll, results and samples, validation,
//! idempotency, cancellation, pagination, retries, health — on the embedded backends (always)
//! and on Postgres + Redis + S3 (when `TEST_*` URLs are set; required in CI).

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use common::{Backends, TestApp, example_spec};
use serde_json::{Value, json};

fn small_spec(iterations: u64) -> Value {
    let mut spec = example_spec("npv.spec.json");
    spec["iterations"] = json!(iterations);
    spec
}

async fn walkthrough(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 1, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    assert_eq!(model["filename"], "npv.xlsx");
    assert_eq!(model["summary"]["sheets"][0]["name"], "Inputs");
    assert!(model["summary"]["formula_count"].as_u64().unwrap_or(0) > 50, "{model}");
    assert_eq!(model["sha256"].as_str().map(str::len), Some(64));
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(app.get_json(&format!("/v1/models/{model_id}"), 200).await["id"], model["id"]);

    let r = app.submit(&model_id, small_spec(20_000)).await;
    assert_eq!(r.status(), 202);
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(r.headers().get("retry-after").is_some());
    let sim: Value = r.json().await.expect("json");
    let id = sim["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(location, app.url(&format!("/v1/simulations/{id}")));
    assert_eq!(sim["status"], "queued");

    let done = app.wait_final(&id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempt"], 1);
    assert_eq!(done["progress"]["iterations_done"], 20_000);
    let npv = &done["results"]["outputs"][0];
    assert_eq!(npv["name"], "NPV");
    assert_eq!(done["results"]["iterations"], 20_000);
    assert_eq!(npv["errors"]["count"], 0);
    assert!(npv["percentiles"].as_array().is_some_and(|p| p.len() >= 15), "{npv}");
    assert!(npv["mean"].as_f64().is_some_and(f64::is_finite));
    assert_eq!(app.db.result_count(&id).await.expect("count"), 1);
    // Every read filters by tenant: another tenant does not see it (the API answers 404).
    assert!(app.db.simulation("another-tenant", &id).await.expect("query").is_none());
    assert!(app.db.model("another-tenant", &model_id).await.expect("query").is_none());

    // Samples: CSV and binary agree with the statistics.
    let csv = app.client.get(app.url(&format!("/v1/simulations/{id}/samples?output=NPV"))).send().await.expect("csv");
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.expect("text");
    assert_eq!(text.lines().count(), 20_001);
    assert!(text.starts_with("iteration,\"NPV\"\n1,"));
    let bin = app
        .client
        .get(app.url(&format!("/v1/simulations/{id}/samples?output=1&format=binary")))
        .send()
        .await
        .expect("binary");
    assert_eq!(bin.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/octet-stream"));
    let values = montecell_shared::samples::decode(&bin.bytes().await.expect("bytes"));
    assert_eq!(values.len(), 20_000);
    let irr = &done["results"]["outputs"][1];
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let reported = irr["mean"].as_f64().unwrap_or(f64::NAN);
    assert!((mean - reported).abs() <= 1e-9 * reported.abs().max(1.0), "{mean} vs {reported}");

    // Readiness and metrics see the dependencies and the job.
    assert_eq!(app.get_json("/readyz", 200).await["status"], "ready");
    let metrics = app.client.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("montecell_http_requests_total"), "{metrics}");
    assert!(metrics.contains("montecell_simulations{status=\"succeeded\"}"), "{metrics}");
}
on_both_backends!(walkthrough);

async fn validation_and_problems(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    let expect_422 = |field: &'static str| {
        move |r: Value| {
            assert_eq!(r["status"], 422, "{r}");
            assert_eq!(r["errors"][0]["field"], field, "{r}");
        }
    };
    let post = |body: Value| {
        let client = app.client.clone();
        let url = app.url("/v1/simulations");
        async move {
            let r = client.post(url).json(&body).send().await.expect("post");
            assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
            r.json::<Value>().await.expect("json")
        }
    };
    let mut spec = small_spec(100);
    spec["model_id"] = json!(model_id);
    let mut bad = spec.clone();
    bad["inputs"][1]["cell"] = json!("Nowhere!B3");
    expect_422("inputs[1].cell")(post(bad).await);
    let mut bad = spec.clone();
    bad["inputs"][0]["distribution"]["max"] = json!(1.0);
    let r = post(bad).await;
    assert_eq!(r["status"], 422);
    assert!(r["errors"][0]["field"].as_str().is_some_and(|f| f.starts_with("inputs[0]")), "{r}");
    let mut bad = spec.clone();
    bad["iteratons"] = json!(5);
    let r = post(bad).await;
    assert_eq!(r["status"], 422);
    assert!(r["detail"].as_str().is_some_and(|d| d.contains("iteratons")), "{r}");
    let mut bad = spec.clone();
    bad["model_id"] = json!("01a00000-0000-7000-8000-000000000000");
    expect_422("model_id")(post(bad).await);
    let mut bad = spec.clone();
    bad["iterations"] = json!(1_000_000_000u64);
    let r = post(bad).await;
    assert_eq!(r["status"], 422, "{r}");
    let mut bad = spec.clone();
    bad["outputs"] = json!([]);
    bad["inputs"] = json!([]);
    let r = post(bad).await;
    assert_eq!(r["status"], 422, "{r}");

    let r = app.client.post(app.url("/v1/simulations")).body("{not json").send().await.expect("post");
    assert_eq!(r.status(), 400);
    for path in ["/v1/simulations/nope", "/v1/models/nope", "/v1/nothing-here"] {
        let r = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    }
    // Not a workbook.
    let r = app.client.post(app.url("/v1/models?filename=x.xlsx")).body("hello, not a zip").send().await.expect("post");
    assert_eq!(r.status(), 422);
    // No simulation row was written for any refused request.
    let list = app.get_json("/v1/simulations", 200).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}
on_both_backends!(validation_and_problems);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upload_limits_multipart_and_deduplication() {
    let Some(app) = TestApp::spawn_with(Backends::Embedded, 0, "upload", |s| s.max_upload_bytes = 20_000).await else {
        return;
    };
    let bytes = std::fs::read(format!("{}/examples/npv.xlsx", env!("CARGO_MANIFEST_DIR"))).expect("example");
    let boundary = "XmontecellX";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"my model.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .client
        .post(app.url("/v1/models"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("multipart");
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.expect("json");
    assert_eq!(a["filename"], "my model.xlsx");
    let b = app.upload_example("npv.xlsx").await;
    assert_eq!(a["sha256"], b["sha256"]);
    assert_ne!(a["id"], b["id"]);
    let blobs: Vec<_> = std::fs::read_dir(app.dir.path().join("blobs/models")).expect("blob dir").collect();
    assert_eq!(blobs.len(), 1, "the same bytes are stored once");

    let big = vec![0u8; 30_000];
    let r = app.client.post(app.url("/v1/models?filename=big.xlsx")).body(big).send().await.expect("post");
    assert_eq!(r.status(), 413);
    let p: Value = r.json().await.expect("json");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("20000")), "{p}");

    // Pagination over models: newest first, a cursor, no repeats.
    let first = app.get_json("/v1/models?limit=1", 200).await;
    assert_eq!(first["items"][0]["id"], b["id"]);
    let cursor = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let second = app.get_json(&format!("/v1/models?limit=1&cursor={cursor}"), 200).await;
    assert_eq!(second["items"][0]["id"], a["id"]);
    assert!(second.get("next_cursor").is_none(), "{second}");
    app.get_json("/v1/models?limit=0", 422).await;
}

async fn idempotency(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let mut spec = small_spec(100);
    spec["model_id"] = model["id"].clone();
    let body = serde_json::to_vec(&spec).expect("json");
    let send = |key: &str, body: Vec<u8>| {
        app.client
            .post(app.url("/v1/simulations"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body)
            .send()
    };
    let first = send("k-1", body.clone()).await.expect("first");
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    let again = send("k-1", body.clone()).await.expect("again");
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert!(again.headers().get("location").is_some());
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], first["id"]);
    let mut other = spec.clone();
    other["seed"] = json!(7);
    let r = send("k-1", serde_json::to_vec(&other).expect("json")).await.expect("other");
    assert_eq!(r.status(), 422);
    // A request still being answered under the key: 409.
    let hash = {
        use sha2::Digest;
        hex_of(&sha2::Sha256::digest(&body))
    };
    let state = app.db.use_key("default", "k-2", &hash, 0).await.expect("key");
    assert_eq!(state, montecell_shared::db::KeyUse::New);
    assert_eq!(send("k-2", body.clone()).await.expect("in flight").status(), 409);
    // Exactly one simulation exists.
    let list = app.get_json("/v1/simulations", 200).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}
on_both_backends!(idempotency);

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn cancel(b: Backends, name: &str) {
    let Some(mut app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    // Queued (no worker yet): canceled at once; repeating changes nothing.
    let queued: Value = app.submit(&model_id, small_spec(1000)).await.json().await.expect("json");
    let id = queued["id"].as_str().unwrap_or_default().to_owned();
    for _ in 0..2 {
        let r = app.client.post(app.url(&format!("/v1/simulations/{id}/cancel"))).send().await.expect("cancel");
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.expect("json")["status"], "canceled");
    }
    // Running: stops between batches.
    let long: Value = app.submit(&model_id, small_spec(9_000_000)).await.json().await.expect("json");
    let long_id = long["id"].as_str().unwrap_or_default().to_owned();
    app.add_worker().await;
    app.wait_for(&long_id, Duration::from_secs(60), |v| v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0)
        .await;
    let r = app.client.post(app.url(&format!("/v1/simulations/{long_id}/cancel"))).send().await.expect("cancel");
    assert!(r.status() == 202 || r.status() == 200, "{}", r.status());
    let done = app.wait_final(&long_id, Duration::from_secs(30)).await;
    assert_eq!(done["status"], "canceled", "{done}");
    assert!(done["progress"]["iterations_done"].as_u64().unwrap_or(0) < 9_000_000);
    // The canceled one never ran: the worker skipped it.
    let first = app.get_json(&format!("/v1/simulations/{id}"), 200).await;
    assert_eq!(first["attempt"], 0);
    // Filters.
    let canceled = app.get_json("/v1/simulations?status=canceled", 200).await;
    assert_eq!(canceled["items"].as_array().map(Vec::len), Some(2));
    let none = app.get_json("/v1/simulations?status=succeeded", 200).await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));
    app.get_json("/v1/simulations?status=bogus", 400).await;
    app.stop_workers().await;
}
on_both_backends!(cancel);

/// A job whose model blob has vanished fails on every attempt: retried with backoff up to
/// `max_attempts`, then `failed` with the reason, and never run again.
async fn retries_end_in_failed(b: Backends, name: &str) {
    let Some(mut app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("cost-risk.xlsx").await;
    let sim: Value = app
        .submit(model["id"].as_str().unwrap_or_default(), example_spec("cost-risk.spec.json"))
        .await
        .json()
        .await
        .expect("json");
    let id = sim["id"].as_str().unwrap_or_default().to_owned();
    // Take the workbook away from under the queued job.
    let key = format!("models/{}.xlsx", model["sha256"].as_str().unwrap_or_default());
    match &app.blobs {
        montecell_shared::blob::BlobStore::Local(dir) => std::fs::remove_file(dir.join(&key)).expect("remove blob"),
        montecell_shared::blob::BlobStore::S3 { client, bucket } => {
            client.delete_object().bucket(bucket).key(&key).send().await.expect("delete blob");
        }
    }
    app.add_worker().await;
    let done = app.wait_final(&id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["attempt"], 3, "{done}");
    assert_eq!(done["error"]["type"], "/problems/blob-store-unavailable", "{done}");
    assert_eq!(app.db.result_count(&id).await.expect("count"), 0);
    // Redelivery of a failed job changes nothing.
    app.queue.push(montecell_shared::queue::SimulationJob { simulation_id: id.clone() }).await.expect("push");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = app.get_json(&format!("/v1/simulations/{id}"), 200).await;
    assert_eq!(after["attempt"], 3);
    assert_eq!(after["status"], "failed");
    app.stop_workers().await;
}
on_both_backends!(retries_end_in_failed);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn openapi_and_docs() {
    let Some(app) = TestApp::spawn(Backends::Embedded, 0, "openapi").await else { return };
    let doc = app.get_json("/openapi.json", 200).await;
    for path in [
        "/v1/models",
        "/v1/models/{id}",
        "/v1/simulations",
        "/v1/simulations/{id}",
        "/v1/simulations/{id}/cancel",
        "/v1/simulations/{id}/samples",
        "/readyz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"].get("Problem").is_some());
    let page = app.client.get(app.url("/docs")).send().await.expect("docs").text().await.expect("text");
    assert!(page.contains("/openapi.json"));
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("healthz").status(), 200);
}

/// Lost queue messages (Redis flushed, a crash between two writes) are found by the workers'
/// sweep and enqueued again; duplicate messages of a running job are ignored.
async fn lost_and_duplicate_messages(b: Backends, name: &str) {
    let Some(mut app) = TestApp::spawn_with(b, 0, name, |s| s.requeue_after_ms = 1500).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    let lost: Value = app.submit(&model_id, small_spec(1000)).await.json().await.expect("json");
    let lost_id = lost["id"].as_str().unwrap_or_default().to_owned();
    // The message disappears from the queue before any worker sees it.
    match &app.queue {
        montecell_shared::queue::Queue::Redis { conn, .. } => {
            let mut conn = conn.clone();
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", app.settings.queue_name))
                .query_async(&mut conn)
                .await
                .expect("keys");
            assert!(!keys.is_empty(), "the queue has keys");
            let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.expect("del");
        }
        montecell_shared::queue::Queue::Sqlite { pool, .. } => {
            let gone = sqlx::query("DELETE FROM Jobs").execute(pool).await.expect("delete").rows_affected();
            assert_eq!(gone, 1);
        }
    }
    app.add_worker().await;
    let done = app.wait_final(&lost_id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempt"], 1);

    // A duplicate message while the job runs: ignored, the run goes on, one attempt.
    let long: Value = app.submit(&model_id, small_spec(3_000_000)).await.json().await.expect("json");
    let long_id = long["id"].as_str().unwrap_or_default().to_owned();
    app.wait_for(&long_id, Duration::from_secs(60), |v| v["progress"]["iterations_done"].as_u64().unwrap_or(0) > 0)
        .await;
    app.add_worker().await;
    for _ in 0..3 {
        app.queue.push(montecell_shared::queue::SimulationJob { simulation_id: long_id.clone() }).await.expect("push");
    }
    let done = app.wait_final(&long_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempt"], 1, "duplicates did not start runs: {done}");
    assert_eq!(app.db.result_count(&long_id).await.expect("count"), 1);
    app.stop_workers().await;
}
on_both_backends!(lost_and_duplicate_messages);
