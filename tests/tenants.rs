//! Tenants and API keys over HTTP: every `/v1` endpoint needs a key when keys are required;
//! every endpoint answers 404 for another tenant's ids (the matrix is read from the OpenAPI
//! document, so a new endpoint is in it by construction); per-key rate limits; per-tenant
//! quotas and the cap on running simulations — on the embedded backends and on
//! Postgres + Redis + S3.

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::time::{Duration, Instant};

use common::{Backends, TestApp, example_spec};
use montecell_shared::resources::now_millis;
use montecell_shared::tenants::{Limit, LimitChanges};
use reqwest::Method;
use serde_json::{Value, json};

const KEEP: LimitChanges =
    LimitChanges { max_running: Limit::Keep, max_iterations: Limit::Keep, max_upload_bytes: Limit::Keep };

async fn key(app: &TestApp, tenant: &str) -> String {
    app.db.create_key(tenant, "test", now_millis()).await.expect("key").0.key
}

async fn call(app: &TestApp, method: Method, path: &str, key: Option<&str>, body: Option<&Value>) -> reqwest::Response {
    let mut r = app.client.request(method, app.url(path));
    if let Some(k) = key {
        r = r.bearer_auth(k);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    r.send().await.expect("request")
}

async fn upload(app: &TestApp, key: &str) -> reqwest::Response {
    let bytes = std::fs::read(format!("{}/examples/npv.xlsx", env!("CARGO_MANIFEST_DIR"))).expect("example");
    app.client.post(app.url("/v1/models?filename=npv.xlsx")).bearer_auth(key).body(bytes).send().await.expect("upload")
}

fn spec(model: &str, iterations: u64) -> Value {
    let mut s = example_spec("npv.spec.json");
    s["model_id"] = json!(model);
    s["iterations"] = json!(iterations);
    s
}

async fn json_of(r: reqwest::Response, status: u16, what: &str) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert_eq!(got, status, "{what}: {text}");
    serde_json::from_str(&text).expect("json")
}

async fn wait_final(app: &TestApp, key: &str, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let v =
            json_of(call(app, Method::GET, &format!("/v1/simulations/{id}"), Some(key), None).await, 200, "poll").await;
        if matches!(v["status"].as_str(), Some("succeeded" | "failed" | "canceled")) {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{id} not final: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every operation of the OpenAPI document under /v1, with its path parameters filled in.
async fn operations(app: &TestApp, model: &str, sim: &str) -> Vec<(Method, String)> {
    let doc = json_of(call(app, Method::GET, "/openapi.json", None, None).await, 200, "openapi").await;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/v1/") {
            continue;
        }
        let id = if path.starts_with("/v1/models/") { model } else { sim };
        let concrete = path.replace("{id}", id).replace("{sheet}", "Inputs");
        assert!(!concrete.contains('{'), "a path parameter the test does not know: {path}");
        for method in item.as_object().expect("operations").keys() {
            let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
            ops.push((m, concrete.clone()));
        }
    }
    assert!(ops.len() >= 10, "{ops:?}");
    ops
}

async fn keys_and_cross_tenant_matrix(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn_with(b, 1, name, |s| s.require_api_keys = true).await else { return };
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;

    // acme's model and finished simulation.
    let model = json_of(upload(&app, &acme).await, 201, "upload").await;
    let model_id = model["id"].as_str().expect("id").to_owned();
    let sim = json_of(
        call(&app, Method::POST, "/v1/simulations", Some(&acme), Some(&spec(&model_id, 2000))).await,
        202,
        "submit",
    )
    .await;
    let sim_id = sim["id"].as_str().expect("id").to_owned();
    assert_eq!(wait_final(&app, &acme, &sim_id).await["status"], "succeeded");

    let ops = operations(&app, &model_id, &sim_id).await;
    for (method, path) in &ops {
        // No key, a malformed key, a well-formed key that does not exist: 401 problem+json with
        // a Bearer challenge, whatever the endpoint.
        let forged = {
            let mut k = globex.clone().into_bytes();
            k[5] = if k[5] == b'a' { b'b' } else { b'a' };
            String::from_utf8(k).expect("ascii")
        };
        for (what, k) in [("no key", None), ("malformed", Some("mc_nope")), ("mistyped", Some(forged.as_str()))] {
            let r = call(&app, method.clone(), path, k, None).await;
            assert_eq!(r.status(), 401, "{method} {path} with {what}");
            assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"montecell\"");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
        // Another tenant's ids: 404, as for ids that do not exist. (POST /v1/simulations takes
        // its model id in the body: below.)
        if path.contains(&model_id) || path.contains(&sim_id) {
            let r = call(&app, method.clone(), path, Some(&globex), None).await;
            assert_eq!(r.status(), 404, "{method} {path} as another tenant");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
    }
    // The owner reaches every one of them (not 401/404).
    for (method, path) in ops.iter().filter(|(_, p)| p.contains(&model_id) || p.contains(&sim_id)) {
        let r = call(&app, method.clone(), path, Some(&acme), None).await;
        assert!(![401, 404].contains(&r.status().as_u16()), "{method} {path} as the owner: {}", r.status());
    }
    // A submission naming another tenant's model is refused like one naming no model.
    let theirs = json_of(
        call(&app, Method::POST, "/v1/simulations", Some(&globex), Some(&spec(&model_id, 100))).await,
        422,
        "submit with another tenant's model",
    )
    .await;
    let unknown = json_of(
        call(
            &app,
            Method::POST,
            "/v1/simulations",
            Some(&globex),
            Some(&spec("0190b000-0000-7000-8000-000000000000", 100)),
        )
        .await,
        422,
        "submit with an unknown model",
    )
    .await;
    assert_eq!(theirs["errors"][0]["field"], unknown["errors"][0]["field"]);
    // Lists hold the caller's own resources only.
    for list in ["/v1/models", "/v1/simulations"] {
        let mine = json_of(call(&app, Method::GET, list, Some(&acme), None).await, 200, list).await;
        let theirs = json_of(call(&app, Method::GET, list, Some(&globex), None).await, 200, list).await;
        assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
        assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0), "{theirs}");
    }
    // Health, metrics and the API document need no key.
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        assert_eq!(call(&app, Method::GET, path, None, None).await.status(), 200, "{path}");
    }
    // A revoked key is refused (this one was never used, so no process has it cached).
    let doomed = key(&app, "acme").await;
    app.db.revoke_key(&doomed, now_millis()).await.expect("revoke").expect("the key");
    assert_eq!(call(&app, Method::GET, "/v1/models", Some(&doomed), None).await.status(), 401);
    // The stored row holds the hash, never the key.
    let rows = app.db.keys(Some("acme")).await.expect("keys");
    assert!(rows.iter().all(|r| r.hash.len() == 64 && !acme.contains(&r.hash)));
}
on_both_backends!(keys_and_cross_tenant_matrix);

async fn rate_limit(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn_with(b, 0, name, |s| {
        s.require_api_keys = true;
        s.rate_limit_per_second = 0.5;
        s.rate_limit_burst = 3;
    })
    .await
    else {
        return;
    };
    let one = key(&app, "acme").await;
    let other = key(&app, "acme").await;
    for i in 0..3 {
        assert_eq!(call(&app, Method::GET, "/v1/models", Some(&one), None).await.status(), 200, "request {i}");
    }
    let r = call(&app, Method::GET, "/v1/models", Some(&one), None).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let p = json_of(r, 429, "limited").await;
    assert_eq!(p["status"], 429);
    // Limits are per key: another key of the same tenant is not affected.
    assert_eq!(call(&app, Method::GET, "/v1/models", Some(&other), None).await.status(), 200);
    // The bucket refills at the configured rate.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(call(&app, Method::GET, "/v1/models", Some(&one), None).await.status(), 200);
}
on_both_backends!(rate_limit);

async fn quotas(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn_with(b, 0, name, |s| s.require_api_keys = true).await else { return };
    let small = key(&app, "small").await;
    let big = key(&app, "big").await;
    let model = json_of(upload(&app, &small).await, 201, "upload").await;
    let model_id = model["id"].as_str().expect("id").to_owned();
    let limits = LimitChanges { max_iterations: Limit::Value(1000), max_upload_bytes: Limit::Value(4096), ..KEEP };
    app.db.set_tenant_limits("small", limits, now_millis()).await.expect("limits").expect("tenant");
    // The API reads a tenant's limits again after at most 5 s.
    tokio::time::sleep(Duration::from_millis(5200)).await;

    let p = json_of(
        call(&app, Method::POST, "/v1/simulations", Some(&small), Some(&spec(&model_id, 2000))).await,
        422,
        "too many iterations",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "iterations", "{p}");
    json_of(
        call(&app, Method::POST, "/v1/simulations", Some(&small), Some(&spec(&model_id, 1000))).await,
        202,
        "at the quota",
    )
    .await;
    let p = json_of(upload(&app, &small).await, 413, "upload over the tenant's limit").await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("4096")), "{p}");
    // Another tenant keeps the server's limits.
    json_of(upload(&app, &big).await, 201, "upload by another tenant").await;
}
on_both_backends!(quotas);

async fn running_cap(b: Backends, name: &str) {
    let Some(mut app) = TestApp::spawn_with(b, 0, name, |s| s.require_api_keys = true).await else { return };
    let capped = key(&app, "capped").await;
    let limits = LimitChanges { max_running: Limit::Value(1), ..KEEP };
    app.db.set_tenant_limits("capped", limits, now_millis()).await.expect("limits").expect("tenant");
    let model = json_of(upload(&app, &capped).await, 201, "upload").await;
    let model_id = model["id"].as_str().expect("id").to_owned();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let s = json_of(
            call(&app, Method::POST, "/v1/simulations", Some(&capped), Some(&spec(&model_id, 200_000))).await,
            202,
            "submit",
        )
        .await;
        ids.push(s["id"].as_str().expect("id").to_owned());
    }
    // Three workers could run all three at once; the cap lets one run at a time.
    for _ in 0..3 {
        app.add_worker().await;
    }
    let start = Instant::now();
    let mut most = 0;
    loop {
        let mut running = 0;
        let mut finished = 0;
        for id in &ids {
            let row = app.db.simulation("capped", id).await.expect("row").expect("exists");
            match row.status().as_str() {
                "running" => running += 1,
                "succeeded" => finished += 1,
                other => assert_eq!(other, "queued", "{id}"),
            }
        }
        most = most.max(running);
        assert!(running <= 1, "{running} of the tenant's simulations run at once; its cap is 1");
        if finished == ids.len() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(180), "not finished");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(most, 1);
    for id in &ids {
        let done = wait_final(&app, &capped, id).await;
        assert_eq!(done["attempt"], 1, "waiting for the cap does not use attempts: {done}");
    }
}
on_both_backends!(running_cap);
