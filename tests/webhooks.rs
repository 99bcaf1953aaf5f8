//! Webhooks end to end: a receiver on loopback (allowed by `webhook_allow_private`) gets the
//! signed final resource, a failed attempt (an error status, an answer too late, a connection
//! closed without an answer) is retried on schedule and logged, cancellation announces itself,
//! and without the allow-list the private address is refused.
//!
//! Every attempt the receiver gets is verified twice: with `montecell_shared::webhooks::verify`
//! and with the Python snippet of `docs/webhooks.md`, taken from the document when the test runs
//! and run by `python3` (so the documented code is the tested code), which must also refuse the
//! same message with its body changed. Without `python3` the snippet check is skipped loudly;
//! under `CI` that is a failure.

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backends, TestApp, example_spec};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the receiver got it.
#[derive(Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    /// Every header, names in lower case.
    headers: Vec<(String, String)>,
    /// The body's bytes as sent.
    body: Vec<u8>,
    /// When the whole request had arrived.
    at: Instant,
}

impl Received {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.text();
        f.debug_struct("Received")
            .field("id", &self.id)
            .field("timestamp", &self.timestamp)
            .field("signature", &self.signature)
            .field("body", &format!("{} bytes: {}…", self.body.len(), text.chars().take(60).collect::<String>()))
            .finish()
    }
}

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// This HTTP status.
    Status(u16),
    /// 200 after 1.5 s, past the sender's timeout in these tests.
    TooSlow,
    /// Reads the whole request, then closes the connection without a byte of answer.
    Close,
}

/// A webhook receiver speaking HTTP/1.1 on a raw TCP socket (so that it can also close a
/// connection without answering), answering with `script` in turn, then 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

async fn receiver(script: Vec<Answer>) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::<Received>::new()));
    let script = Arc::new(Mutex::new(script.into_iter().rev().collect::<Vec<Answer>>()));
    let g = got.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (g, script) = (g.clone(), script.clone());
            tokio::spawn(async move {
                let Some(received) = read_request(&mut stream).await else { return };
                g.lock().expect("lock").push(received);
                let answer = script.lock().expect("lock").pop().unwrap_or(Answer::Status(200));
                let code = match answer {
                    Answer::Close => {
                        // Closed with nothing written: the sender sees the connection end.
                        drop(stream);
                        return;
                    }
                    Answer::TooSlow => {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        200
                    }
                    Answer::Status(code) => code,
                };
                let head = format!("HTTP/1.1 {code} Test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Receiver { url, got }
}

/// Reads one HTTP/1.1 request (headers, then `content-length` bytes of body).
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let length: usize = header("content-length").parse().ok()?;
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp").parse().unwrap_or(0),
        signature: header("webhook-signature"),
        body: buf[head_end..head_end + length].to_vec(),
        headers,
        at: Instant::now(),
    })
}

/// The first ```python block of docs/webhooks.md, as written.
fn documented_snippet() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/webhooks.md");
    let doc = std::fs::read_to_string(path).expect("docs/webhooks.md");
    let fence = "```python\n";
    let start = doc.find(fence).expect("docs/webhooks.md has a ```python block") + fence.len();
    let len = doc[start..].find("```").expect("the ```python block ends");
    let snippet = doc[start..start + len].to_owned();
    assert!(snippet.contains("def verify(secret"), "the snippet defines verify(secret, headers, body): {snippet}");
    snippet
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies every received attempt with the documented Python snippet, and checks that the
/// snippet refuses each with one byte of its body changed. Returns how many attempts it
/// verified (0 when `python3` is missing, outside CI).
async fn verify_with_documented_snippet(test: &str, secret: &str, received: &[Received]) -> usize {
    let program = format!(
        "{}\n\nimport json as _json, sys as _sys\n_cases = _json.load(_sys.stdin)\n\
         print(_json.dumps([verify(c['secret'], c['headers'], bytes.fromhex(c['body'])) for c in _cases]))\n",
        documented_snippet()
    );
    let mut cases = Vec::new();
    for r in received {
        let headers: serde_json::Map<String, Value> = r.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let mut tampered = r.body.clone();
        let middle = tampered.len() / 2;
        tampered[middle] ^= 0x01;
        cases.push(json!({"secret": secret, "headers": headers, "body": hex(&r.body)}));
        cases.push(json!({"secret": secret, "headers": headers, "body": hex(&tampered)}));
    }
    let child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(&program)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let msg = format!(
                "SKIPPED: python3 not found — {test} did not verify the signatures with the snippet of docs/webhooks.md"
            );
            assert!(std::env::var_os("CI").is_none(), "{msg} — required in CI");
            // Straight to the process's stderr: libtest does not capture it, so the line shows
            // even when the test passes.
            let _ = writeln!(std::io::stderr(), "\n!!!!! {msg}\n");
            return 0;
        }
        Err(e) => panic!("python3: {e}"),
    };
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(Value::Array(cases).to_string().as_bytes()).await.expect("write to python3");
    drop(stdin);
    let out = child.wait_with_output().await.expect("python3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the documented snippet failed to run: {stderr}\n{program}");
    let verdicts: Vec<bool> = serde_json::from_slice(&out.stdout).expect("a JSON list from the snippet");
    assert_eq!(verdicts.len(), 2 * received.len(), "{verdicts:?}");
    for (i, (r, pair)) in received.iter().zip(verdicts.chunks(2)).enumerate() {
        let what = format!("attempt {} ({}, timestamp {}, signature {})", i + 1, r.id, r.timestamp, r.signature);
        assert!(pair[0], "the documented snippet refused a genuine {what}");
        assert!(!pair[1], "the documented snippet accepted {what} with a changed body");
    }
    eprintln!(
        "{test}: {} attempts verified with the snippet of docs/webhooks.md (and refused with a changed body)",
        received.len()
    );
    received.len()
}

/// Both verifications of every attempt (see the module's documentation).
async fn verify_all(test: &str, secret: &str, received: &[Received]) {
    for r in received {
        assert!(
            montecell_shared::webhooks::verify(secret, &r.id, r.timestamp, &r.text(), &r.signature),
            "signature of {r:?}"
        );
        assert!((r.timestamp - chrono_now()).abs() < 60);
    }
    verify_with_documented_snippet(test, secret, received).await;
}

/// Seconds between consecutive arrivals.
fn gaps(received: &[Received]) -> Vec<f64> {
    received.windows(2).map(|w| w[1].at.duration_since(w[0].at).as_secs_f64()).collect()
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
    let hook = receiver(vec![Answer::Status(500), Answer::TooSlow]).await;
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
    verify_all(name, &secret, &received).await;
    // Retried on schedule: 0.2 s (±10%) after the end of the attempt before (the 500 at once,
    // the timeout 0.5 s after the request started, a little before it arrived here).
    let g = gaps(&received);
    eprintln!("{name}: {} attempts (500, timeout, 200), {:.3} s and {:.3} s apart", received.len(), g[0], g[1]);
    assert!(g[0] >= 0.18 && g[0] < 2.0, "{g:?}");
    assert!(g[1] >= 0.45 + 0.18 && g[1] < 2.5, "{g:?}");
    let body: Value = serde_json::from_slice(&received[2].body).expect("body");
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

/// A receiver that reads the request and closes the connection without answering, twice:
/// each is a failed attempt logged with the connection error, retried on schedule, and the
/// third attempt's 200 delivers the message; every attempt is the same message, signed.
async fn closed_connection_is_retried(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn_with(b, 1, name, |s| {
        s.webhook_allow_private = "127.0.0.1/32".into();
        s.webhook_retry_delays_s = "0.3, 0.6, 30".into();
        s.webhook_timeout_ms = 5000;
    })
    .await
    else {
        return;
    };
    let hook = receiver(vec![Answer::Close, Answer::Close]).await;
    let model = app.upload_example("npv.xlsx").await;
    let mut spec = example_spec("npv.spec.json");
    spec["iterations"] = json!(2000);
    spec["webhook"] = json!({"url": hook.url});
    let created: Value = app.submit(model["id"].as_str().unwrap_or_default(), spec).await.json().await.expect("json");
    let secret = created["webhook"]["secret"].as_str().unwrap_or_default().to_owned();
    let id = created["id"].as_str().unwrap_or_default().to_owned();

    let got = hook.got.clone();
    wait_until("three attempts", Duration::from_secs(60), || got.lock().expect("lock").len() >= 3).await;
    let log = deliveries(&app, &id, |l| l[0]["state"] == "delivered").await;
    let received = got.lock().expect("lock").clone();
    assert_eq!(received.len(), 3, "delivered at the third attempt, not sent again: {received:?}");
    assert!(received.iter().all(|r| r.id == received[0].id && r.id.starts_with("msg_")), "{received:?}");
    verify_all(name, &secret, &received).await;
    let body: Value = serde_json::from_slice(&received[2].body).expect("body");
    assert_eq!(body["id"], json!(id));
    assert_eq!(body["status"], "succeeded");

    assert_eq!(log[0]["id"], json!(received[0].id), "{log}");
    assert_eq!(log[0]["attempts"], 3, "{log}");
    let attempts = log[0]["deliveries"].as_array().expect("deliveries");
    assert_eq!(attempts.len(), 3, "{log}");
    for a in &attempts[..2] {
        assert!(a["status_code"].is_null(), "no answer, no status: {log}");
        let error = a["error"].as_str().unwrap_or_default();
        assert!(error.contains("connection closed before message completed"), "the error says what happened: {log}");
    }
    assert_eq!(attempts[2]["status_code"], 200, "{log}");
    assert!(attempts[2]["error"].is_null(), "{log}");

    // On schedule: the first retry 0.3 s (±10%) after the first closed connection, the second
    // 0.6 s (±10%) after the second.
    let g = gaps(&received);
    eprintln!(
        "{name}: 3 attempts (closed, closed, 200), {:.3} s and {:.3} s apart (retry delays 0.3 s and 0.6 s, ±10%); error: {}",
        g[0],
        g[1],
        attempts[0]["error"].as_str().unwrap_or_default()
    );
    assert!(g[0] >= 0.27 && g[0] < 0.33 + 1.5, "{g:?}");
    assert!(g[1] >= 0.54 && g[1] < 0.66 + 1.5, "{g:?}");
}
on_both_backends!(closed_connection_is_retried);

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
    let hook = receiver(vec![]).await;
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
