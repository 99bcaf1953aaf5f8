//! Hostile uploads, crafted here: each is refused with a 4xx problem+json, quickly, and stores
//! nothing — zip bombs (a binary part and a shared-strings part above the 200:1 ratio), too many
//! entries, a `<!DOCTYPE`, corrupt and truncated zips, an empty zip, and content that is not a
//! workbook under an `.xlsx` name. (The absolute caps — 512 MiB per part, 1 GiB in all, 10 M
//! cells — are checked with lowered limits by `engine/tests/bad_files.rs`: reaching them over
//! HTTP needs hundreds of MB.)

#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use common::{Backends, TestApp};
use montecell_engine::xlsx_writer::{SheetInput, WorkbookInput, write_xlsx};
use serde_json::Value;
use zip::write::SimpleFileOptions;

/// A valid workbook from the engine's writer, rewritten entry by entry through `edit` (which
/// may change a body), with `extra` entries appended.
fn crafted(edit: impl Fn(&str, &mut Vec<u8>), extra: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut sheet = SheetInput::new("Model");
    sheet.number(0, 0, 1.0).formula(0, 1, "A1*2");
    let base = write_xlsx(&WorkbookInput { sheets: vec![sheet], names: vec![] }).expect("writer");
    let mut archive = zip::ZipArchive::new(Cursor::new(base)).expect("writer output is a zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflate = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("name").to_string();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).expect("read");
        edit(&name, &mut body);
        out.start_file(name, deflate).expect("start");
        out.write_all(&body).expect("write");
    }
    for (name, body) in extra {
        out.start_file(name.clone(), deflate).expect("start");
        out.write_all(body).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

async fn upload(app: &TestApp, what: &str, bytes: Vec<u8>) -> (u16, Value, Duration) {
    let start = Instant::now();
    let r = app.client.post(app.url("/v1/models?filename=crafted.xlsx")).body(bytes).send().await.expect("upload");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let took = start.elapsed();
    eprintln!("{what}: {status} in {:.0} ms: {}", took.as_secs_f64() * 1e3, body["detail"]);
    if status >= 400 {
        assert_eq!(ct, "application/problem+json", "{what}");
    }
    (status, body, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_uploads_are_refused_quickly() {
    let Some(app) =
        TestApp::spawn_with(Backends::Embedded, 0, "hostile_uploads", |s| s.max_upload_bytes = 100 << 20).await
    else {
        return;
    };
    // The control: the unmodified workbook is accepted.
    let (status, body, _) = upload(&app, "control", crafted(|_, _| {}, &[])).await;
    assert_eq!(status, 201, "{body}");

    let cases: Vec<(&str, Vec<u8>)> = vec![
        // 64 MiB of one byte compresses about 1000:1 (the guard allows 200:1 above 1 MiB).
        ("zip bomb by ratio", crafted(|_, _| {}, &[("xl/media/bomb.bin".into(), vec![b'0'; 64 << 20])])),
        // One 48 MiB shared string.
        (
            "oversized shared strings",
            crafted(
                |_, _| {},
                &[("xl/sharedStrings.xml".into(), {
                    let mut s = b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1\"><si><t>".to_vec();
                    s.extend(std::iter::repeat_n(b'x', 48 << 20));
                    s.extend_from_slice(b"</t></si></sst>");
                    s
                })],
            ),
        ),
        (
            "too many entries",
            crafted(|_, _| {}, &(0..10_050).map(|i| (format!("xl/junk/{i}.txt"), b"x".to_vec())).collect::<Vec<_>>()),
        ),
        (
            "DOCTYPE",
            crafted(
                |name, body| {
                    if name == "xl/workbook.xml" {
                        let text = String::from_utf8_lossy(body).replacen(
                            "?>",
                            "?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>",
                            1,
                        );
                        *body = text.into_bytes();
                    }
                },
                &[],
            ),
        ),
        ("truncated zip", {
            let good = crafted(|_, _| {}, &[]);
            good[..good.len() / 2].to_vec()
        }),
        ("corrupt zip", {
            let mut bad = crafted(|_, _| {}, &[]);
            let mid = bad.len() / 3;
            for b in &mut bad[mid..mid + 64] {
                *b ^= 0x5a;
            }
            bad
        }),
        ("a PNG named .xlsx", {
            let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            png.extend(std::iter::repeat_n(0u8, 4096));
            png
        }),
        ("an empty zip", zip::ZipWriter::new(Cursor::new(Vec::new())).finish().expect("finish").into_inner()),
    ];
    for (what, bytes) in cases {
        let (status, body, took) = upload(&app, what, bytes).await;
        assert!((400..500).contains(&status), "{what}: {status} {body}");
        assert!(took < Duration::from_secs(20), "{what} took {took:?}");
    }
    // Only the control was stored.
    let models = app.get_json("/v1/models", 200).await;
    assert_eq!(models["items"].as_array().map(Vec::len), Some(1), "{models}");
}
