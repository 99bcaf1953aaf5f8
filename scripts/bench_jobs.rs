//! End-to-end throughput of tiny simulations through a running montecell service: upload
//! `examples/npv.xlsx` once, then `CONCURRENCY` clients each submit a simulation and poll it
//! until it is final, `JOBS` times in all. Prints jobs/s and latency percentiles.
//!
//!     cargo run --release --example bench-jobs -- http://127.0.0.1:8080 JOBS CLIENTS ITERATIONS POLL_MS
#![allow(clippy::print_stdout, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).cloned().unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let jobs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(32);
    let iterations: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(100);
    let poll = Duration::from_millis(args.get(5).and_then(|a| a.parse().ok()).unwrap_or(50));
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/npv.xlsx")).expect("examples/npv.xlsx");
    let model: Value = client
        .post(format!("{base}/v1/models?filename=npv.xlsx"))
        .body(bytes)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("model");
    let spec_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/npv.spec.json")).expect("spec");
    let mut spec: Value = serde_json::from_str(&spec_text).expect("spec json");
    spec["model_id"] = model["id"].clone();
    spec["iterations"] = json!(iterations);
    let spec = Arc::new(spec);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, spec, next) = (client.clone(), base.clone(), spec.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < jobs {
                let t = Instant::now();
                let sim: Value = client
                    .post(format!("{base}/v1/simulations"))
                    .json(&*spec)
                    .send()
                    .await
                    .expect("submit")
                    .json()
                    .await
                    .expect("simulation");
                let id = sim["id"].as_str().expect("an id").to_owned();
                loop {
                    tokio::time::sleep(poll).await;
                    let v: Value = client
                        .get(format!("{base}/v1/simulations/{id}"))
                        .send()
                        .await
                        .expect("poll")
                        .json()
                        .await
                        .expect("resource");
                    match v["status"].as_str() {
                        Some("succeeded") => break,
                        Some("failed" | "canceled") => {
                            failed += 1;
                            break;
                        }
                        _ => {}
                    }
                }
                latencies.push(t.elapsed().as_secs_f64());
            }
            (latencies, failed)
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await.expect("client task");
        latencies.extend(l);
        failed += f;
    }
    let wall = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN) * 1e3
    };
    println!(
        "jobs {} ({} failed) of {iterations} iterations, {concurrency} clients polling every {} ms: {:.1} s, {:.0} jobs/s; submit-to-final latency ms p50 {:.0} p90 {:.0} p99 {:.0}",
        latencies.len(),
        failed,
        poll.as_millis(),
        wall,
        latencies.len() as f64 / wall,
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
}
