//! `GET /v1/models/{id}/sheets/{sheet}/cells`: the values and formulas of a range of a model's
//! sheet — on the embedded backends (always) and on Postgres + Redis + S3 (when `TEST_*` URLs
//! are set; required in CI) — and a 10,000-row sheet read in blocks.

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;

use common::{Backends, TestApp};
use montecell_engine::value::Value as CellValue;
use montecell_engine::xlsx_writer::{CellInput, SheetInput, WorkbookInput, write_xlsx};
use serde_json::Value;

fn cell<'a>(answer: &'a Value, a1: &str) -> &'a Value {
    answer["cells"]
        .as_array()
        .and_then(|cells| cells.iter().find(|c| c["cell"] == a1))
        .unwrap_or_else(|| panic!("no {a1} in {answer}"))
}

async fn problem(app: &TestApp, path: &str, status: u16) -> Value {
    let r = app.client.get(app.url(path)).send().await.expect("get");
    assert_eq!(r.status(), status, "GET {path}");
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    r.json().await.expect("json")
}

async fn cells(b: Backends, name: &str) {
    let Some(app) = TestApp::spawn(b, 0, name).await else { return };
    let model = app.upload_example("npv.xlsx").await;
    let id = model["id"].as_str().expect("id").to_owned();

    // A range: the sheet, its used range, the non-empty cells row by row.
    let inputs = app.get_json(&format!("/v1/models/{id}/sheets/Inputs/cells?range=A1:C12"), 200).await;
    assert_eq!(inputs["sheet"], "Inputs");
    assert_eq!(inputs["reference"], "Inputs");
    assert_eq!(inputs["range"], "A1:C12");
    assert_eq!(inputs["dimension"], model["summary"]["sheets"][0]["dimension"]);
    let label = cell(&inputs, "A3");
    assert_eq!(label["type"], "text");
    assert!(label["value"].as_str().is_some_and(|s| !s.is_empty()), "{label}");
    assert_eq!((label["row"].as_u64(), label["col"].as_u64()), (Some(2), Some(0)));
    let units = cell(&inputs, "B3");
    assert_eq!(units["type"], "number");
    assert!(units["value"].as_f64().is_some_and(|v| v > 0.0), "{units}");
    assert!(units.get("formula").is_none(), "a constant has no formula: {units}");
    let positions: Vec<(u64, u64)> = inputs["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| (c["row"].as_u64().unwrap_or(0), c["col"].as_u64().unwrap_or(0)))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted, "row by row");

    // A formula: its text with `=` and the value Excel cached; the sheet name in any case; one cell.
    let npv = app.get_json(&format!("/v1/models/{id}/sheets/model/cells?range=$B$14"), 200).await;
    assert_eq!(npv["sheet"], "Model");
    assert_eq!(npv["range"], "B14");
    assert_eq!(npv["cells"].as_array().map(Vec::len), Some(1));
    let b14 = cell(&npv, "B14");
    assert!(b14["formula"].as_str().is_some_and(|f| f.starts_with('=') && f.len() > 1), "{b14}");
    assert_eq!(b14["type"], "number");

    // No range: the used range from A1, every non-empty cell of the sheet.
    let all = app.get_json(&format!("/v1/models/{id}/sheets/Model/cells"), 200).await;
    let dimension = model["summary"]["sheets"][1]["dimension"].as_str().expect("dimension");
    assert_eq!(all["range"].as_str(), Some(format!("A1:{}", dimension.rsplit(':').next().unwrap_or("")).as_str()));
    assert_eq!(all["cells"].as_array().map(|c| c.len() as u64), model["summary"]["sheets"][1]["cells"].as_u64());

    // Refusals, as problems.
    let p = problem(&app, &format!("/v1/models/{id}/sheets/Nope/cells"), 404).await;
    assert_eq!(p["type"], "/problems/not-found");
    problem(&app, "/v1/models/01900000-0000-7000-8000-000000000000/sheets/Inputs/cells", 404).await;
    let p = problem(&app, &format!("/v1/models/{id}/sheets/Inputs/cells?range=A1:banana"), 422).await;
    assert_eq!(p["errors"][0]["field"], "range");
    let p = problem(&app, &format!("/v1/models/{id}/sheets/Inputs/cells?range=A1:Z20000"), 422).await;
    assert_eq!(p["errors"][0]["field"], "range");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("520000")), "{p}");

    // Another API process (an empty workbook cache) reads the workbook from the blob store.
    let listener = TcpListener::bind("127.0.0.1:0").expect("port");
    let other = format!("http://{}", listener.local_addr().expect("addr"));
    let state =
        montecell_api::AppState::new(app.db.clone(), app.blobs.clone(), app.queue.clone(), app.settings.clone());
    tokio::spawn(montecell_api::serve(Arc::new(state), listener).expect("second server"));
    let again: Value = app
        .client
        .get(format!("{other}/v1/models/{id}/sheets/Inputs/cells?range=A1:C12"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(again, inputs);

    // The endpoint is in the OpenAPI document.
    let doc = app.get_json("/openapi.json", 200).await;
    assert!(doc["paths"]["/v1/models/{id}/sheets/{sheet}/cells"]["get"].is_object(), "not documented");
}

on_both_backends!(cells);

/// A sheet of 10,000 rows is read a block at a time, quickly, with every value in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_rows_in_blocks() {
    let Some(app) = TestApp::spawn(Backends::Embedded, 0, "ten_thousand_rows_in_blocks").await else { return };
    let mut sheet = SheetInput::new("Big Sheet");
    sheet.text(0, 0, "Item").text(0, 1, "Amount").text(0, 2, "Double");
    for i in 1..=10_000u32 {
        sheet.text(i, 0, &format!("item {i}")).number(i, 1, f64::from(i));
        sheet.cells.push((
            i,
            2,
            CellInput::Formula(format!("B{}*2", i + 1), Some(CellValue::Number(f64::from(i) * 2.0))),
        ));
    }
    let bytes = write_xlsx(&WorkbookInput { sheets: vec![sheet], names: Vec::new() }).expect("xlsx");
    let r = app.client.post(app.url("/v1/models?filename=big.xlsx")).body(bytes).send().await.expect("upload");
    assert_eq!(r.status(), 201);
    let model: Value = r.json().await.expect("json");
    let id = model["id"].as_str().expect("id");
    assert_eq!(model["summary"]["sheets"][0]["dimension"], "A1:C10001");

    let start = std::time::Instant::now();
    for block in 0..100u32 {
        let (first, last) = (block * 100 + 1, block * 100 + 100);
        let v = app.get_json(&format!("/v1/models/{id}/sheets/Big%20Sheet/cells?range=A{first}:C{last}"), 200).await;
        assert_eq!(v["reference"], "'Big Sheet'");
        assert_eq!(v["cells"].as_array().map(Vec::len), Some(300), "block {block}");
    }
    let elapsed = start.elapsed();
    assert!(elapsed.as_secs() < 20, "100 blocks of 100 rows took {elapsed:?}");

    let tail = app.get_json(&format!("/v1/models/{id}/sheets/Big%20Sheet/cells?range=A10000:E10050"), 200).await;
    assert_eq!(tail["cells"].as_array().map(Vec::len), Some(6));
    let last = cell(&tail, "C10001");
    assert_eq!(last["formula"], "=B10001*2");
    assert_eq!(last["value"].as_f64(), Some(20_000.0));
    assert_eq!(cell(&tail, "A10001")["value"], "item 10000");
    // Past the used range: nothing, not an error.
    let empty = app.get_json(&format!("/v1/models/{id}/sheets/Big%20Sheet/cells?range=A20000:C20100"), 200).await;
    assert_eq!(empty["cells"].as_array().map(Vec::len), Some(0));
}

/// The web app that reads cells this way: `/` and its assets, embedded in the binary, with
/// content types and revalidation; unknown paths stay problems.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_is_served() {
    let Some(app) = TestApp::spawn(Backends::Embedded, 0, "the_web_app_is_served").await else { return };
    let header = |r: &reqwest::Response, h: &str| r.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let index = app.client.get(app.url("/")).send().await.expect("index");
    assert_eq!(index.status(), 200);
    assert_eq!(header(&index, "content-type").as_deref(), Some("text/html; charset=utf-8"));
    assert_eq!(header(&index, "cache-control").as_deref(), Some("no-cache"));
    assert!(header(&index, "content-security-policy").is_some_and(|c| c.contains("default-src 'self'")));
    let etag = header(&index, "etag").expect("etag");
    let html = index.text().await.expect("html");
    assert!(html.contains(r#"<script type="module" src="/assets/app.js">"#), "{html}");
    let again = app.client.get(app.url("/")).header("If-None-Match", &etag).send().await.expect("again");
    assert_eq!(again.status(), 304);
    for (asset, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("grid.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let r = app.client.get(app.url(&format!("/assets/{asset}"))).send().await.expect("asset");
        assert_eq!(r.status(), 200, "{asset}");
        assert_eq!(header(&r, "content-type").as_deref(), Some(kind), "{asset}");
    }
    problem(&app, "/assets/missing.js", 404).await;
    problem(&app, "/v1/nothing-here", 404).await;
}
