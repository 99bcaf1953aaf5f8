//! Webhooks end to end: a receiver on loopback (allowed by `webhook_allow_private`) gets the
//! signed final resource, a failed attempt is retried and logged, cancellation announces itself,
//! and without the allow-list the private address is refused.

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use common::{Backends, TestApp, example_spec};
use serde_json::{Value, json};

/// What the receiver got: headers of interest and the body.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

/// A webhook receiver answering with `script` in turn (then 200); `TOO_SLOW` answers 200 after
/// 1.5 s, past the sender's timeout in these tests.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

const TOO_SLOW: u16 = 999;

fn receiver(script: Vec<u16>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::<Received>::new()));
    let script = Arc::new(Mutex::new(script.into_iter().rev().collect::<Vec<u16>>()));
    let (g, sc) = (got.clone(), script);
    let server = HttpServer::new(move || {
        let (g, sc) = (g.clone(), sc.clone());
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: String| {
                let (g, sc) = (g.clone(), sc.clone());
                async move {
                    let h = |k: &str| req.headers().get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    g.lock().expect("lock").push(Received {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp").parse().unwrap_or(0),
                        signature: h("webhook-signature"),
                        body,
                    });
                    let mut code = sc.lock().expect("lock").pop().unwrap_or(200);
                    if code == TOO_SLOW {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        code = 200;
                    }
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status")).finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    Receiver { url, got }
}

async fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deliveries(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let log = app.get_json(&format!("/v1/simulations/{id}/webhook-deliveries"), 200).await;
        if done(&log) {
            return log;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "webhook log never got there: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn signed_delivery_with_retry(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn_with(b, 1, name, |s| {
        s.webhook_allow_private = "127.0.0.1/32".into();
        s.webhook_retry_delays_s = "0.2, 0.2, 0.2".into();
        s.webhook_timeout_ms = 500;
    })
    .await
    else {
        return;
    };
    // A 500, then an answer later than the timeout, then 200.
    let hook = receiver(vec![500, TOO_SLOW]);
    let model = app.upload_example("npv.xlsx").await;
    let model_id = model["id"].as_str().unwrap_or_default().to_owned();
    let mut spec = example_spec("npv.spec.json");
    spec["iterations"] = json!(2000);
    spec["webhook"] = json!({"url": hook.url});
    let created: Value = app.submit(&model_id, spec.clone()).await.json().await.expect("json");
    let secret = created["webhook"]["secret"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    // The secret is shown once.
    let later = app.get_json(&format!("/v1/simulations/{id}"), 200).await;
    assert!(later["webhook"].get("secret").is_none(), "{later}");
    assert_eq!(later["webhook"]["url"], json!(hook.url));

    let got = hook.got.clone();
    wait_until("three attempts", Duration::from_secs(60), || got.lock().expect("lock").len() >= 3).await;
    let received = got.lock().expect("lock").clone();
    assert!(received.iter().all(|r| r.id == received[0].id), "a retry is the same message: {received:?}");
    for r in &received {
        assert!(
            montecell_shared::webhooks::verify(&secret, &r.id, r.timestamp, &r.body, &r.signature),
            "signature of {r:?}"
        );
        assert!((r.timestamp - chrono_now()).abs() < 60);
    }
    let body: Value = serde_json::from_str(&received[2].body).expect("body");
    assert_eq!(body["id"], json!(id));
    assert_eq!(body["status"], "succeeded");
    assert!(body["results"]["outputs"][0]["percentiles"].is_array(), "the body is the final resource");
    let log = deliveries(&app, &id, |l| l[0]["state"] == "delivered").await;
    assert_eq!(log[0]["event"], "simulation.succeeded");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["deliveries"][0]["status_code"], 500);
    assert!(log[0]["deliveries"][1]["status_code"].is_null(), "{log}");
    assert!(log[0]["deliveries"][1]["error"].as_str().is_some_and(|e| !e.is_empty()), "the timeout is logged: {log}");
    assert_eq!(log[0]["deliveries"][2]["status_code"], 200);

    // Canceling a queued simulation announces it too (no worker takes it: the cancel comes first).
    let mut big = spec.clone();
    big["iterations"] = json!(5_000_000);
    let first: Value = app.submit(&model_id, big.clone()).await.json().await.expect("json");
    let queued: Value = app.submit(&model_id, big).await.json().await.expect("json");
    let queued_id = queued["id"].as_str().unwrap_or_default().to_owned();
    let r = app.client.post(app.url(&format!("/v1/simulations/{queued_id}/cancel"))).send().await.expect("cancel");
    let after: Value = r.json().await.expect("json");
    if after["status"] == "canceled" {
        let log = deliveries(&app, &queued_id, |l| l[0]["state"] == "delivered").await;
        assert_eq!(log[0]["event"], "simulation.canceled");
    }
    let first_id = first["id"].as_str().unwrap_or_default().to_owned();
    app.client.post(app.url(&format!("/v1/simulations/{first_id}/cancel"))).send().await.expect("cancel");
    app.wait_final(&first_id, Duration::from_secs(60)).await;
    let log = deliveries(&app, &first_id, |l| l[0]["state"] == "delivered").await;
    assert_eq!(log[0]["event"], "simulation.canceled");
}
on_both_backends!(signed_delivery_with_retry);

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn private_targets_are_refused() {
    let Some(app) = TestApp::spawn_with(Backends::Embedded, 1, "private_targets_are_refused", |s| {
        s.webhook_retry_delays_s = "60".into();
    })
    .await
    else {
        return;
    };
    let hook = receiver(vec![]);
    let model = app.upload_example("npv.xlsx").await;
    let mut spec = example_spec("npv.spec.json");
    spec["iterations"] = json!(1000);
    spec["webhook"] = json!({"url": hook.url});
    let created: Value =
        app.submit(model["id"].as_str().unwrap_or_default(), spec.clone()).await.json().await.expect("json");
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let log = deliveries(&app, &id, |l| l[0]["attempts"] == 1).await;
    let error = log[0]["deliveries"][0]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("refused: 127.0.0.1 is loopback"), "{log}");
    assert_eq!(log[0]["state"], "pending", "retried later: {log}");
    assert!(hook.got.lock().expect("lock").is_empty(), "nothing reached the receiver");
    // A secret given by the client, or a URL that is not one, is refused at submission.
    spec["webhook"] = json!({"url": hook.url, "secret": "whsec_mine"});
    let r = app.submit(model["id"].as_str().unwrap_or_default(), spec.clone()).await;
    assert_eq!(r.status(), 422);
    spec["webhook"] = json!({"url": "not a url"});
    let r = app.submit(model["id"].as_str().unwrap_or_default(), spec).await;
    assert_eq!(r.status(), 422);
}
