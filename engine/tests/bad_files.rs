//! Bad uploads give one clear error each, within bounded time and memory, never a panic:
//! not a zip, a truncated file, zip bombs (by size, by ratio, with lying headers), too many
//! entries, too many cells, a `<!DOCTYPE`, and a model with a circular reference. Every file
//! is crafted here.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use montecell_engine::import::{ImportError, Limits, read_bytes};
use montecell_engine::recalc::recalculate;
use montecell_engine::xlsx_writer::{SheetInput, WorkbookInput, write_xlsx};
use zip::write::SimpleFileOptions;

fn small_workbook() -> Vec<u8> {
    let mut s = SheetInput::new("Sheet1");
    s.number(0, 0, 1.0).formula(0, 1, "=A1*2");
    write_xlsx(&WorkbookInput { sheets: vec![s], names: vec![] }).unwrap_or_default()
}

/// A zip with the given (name, content) entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in entries {
        zip.start_file(*name, opts).ok();
        zip.write_all(body).ok();
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// Runs the import and checks it fails quickly with a one-line message.
fn import_error(bytes: &[u8], limits: &Limits) -> ImportError {
    let start = Instant::now();
    let result = read_bytes(bytes, limits);
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    match result {
        Ok(_) => panic!("the file was accepted"),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "not one line: {msg:?}");
            e
        }
    }
}

#[test]
fn a_valid_workbook_is_read() {
    let wb = read_bytes(&small_workbook(), &Limits::default());
    assert!(wb.is_ok_and(|wb| wb.formulas().len() == 1));
}

#[test]
fn not_a_zip() {
    let e = import_error(b"this is a text file named model.xlsx", &Limits::default());
    assert!(matches!(e, ImportError::NotZip(_)), "{e}");
    assert!(e.to_string().starts_with("not an .xlsx file"));
}

#[test]
fn truncated_file() {
    let bytes = small_workbook();
    for cut in [bytes.len() / 2, bytes.len() - 30, 100] {
        let e = import_error(&bytes[..cut], &Limits::default());
        assert!(matches!(e, ImportError::NotZip(_) | ImportError::Corrupt(_)), "{e}");
    }
}

#[test]
fn zip_bomb_by_size() {
    let zeros = vec![b' '; 4 << 20];
    let bytes = zip_of(&[("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", &zeros)]);
    let limits = Limits { max_part_bytes: 1 << 20, ..Limits::default() };
    let e = import_error(&bytes, &limits);
    assert!(matches!(e, ImportError::PartTooLarge { .. }), "{e}");
}

#[test]
fn zip_bomb_by_total_size() {
    let chunk = vec![b' '; 600 << 10];
    let bytes = zip_of(&[("a.xml", &chunk), ("b.xml", &chunk), ("c.xml", &chunk)]);
    let limits = Limits { max_total_bytes: 1 << 20, ..Limits::default() };
    let e = import_error(&bytes, &limits);
    assert!(matches!(e, ImportError::TooLarge { .. }), "{e}");
}

#[test]
fn zip_bomb_by_ratio() {
    // 2 MiB of one byte deflates about 1000:1; the default limit is 200:1.
    let zeros = vec![b'0'; 2 << 20];
    let bytes = zip_of(&[("xl/sharedStrings.xml", &zeros)]);
    let e = import_error(&bytes, &Limits::default());
    assert!(matches!(e, ImportError::CompressionRatio { limit: 200, .. }), "{e}");
}

/// A bomb whose zip headers claim a small size: the stream is cut at the limit anyway.
#[test]
fn zip_bomb_with_lying_headers() {
    let payload = vec![b' '; 4 << 20];
    let mut bytes = zip_of(&[("xl/worksheets/sheet1.xml", &payload)]);
    // Overwrite the uncompressed size in the local header (offset 22) and in the central
    // directory record (offset 24) with 1000.
    let patch = |bytes: &mut Vec<u8>, sig: [u8; 4], offset: usize| {
        if let Some(p) = bytes.windows(4).position(|w| w == sig) {
            bytes[p + offset..p + offset + 4].copy_from_slice(&1000u32.to_le_bytes());
        }
    };
    patch(&mut bytes, [0x50, 0x4b, 0x03, 0x04], 22);
    patch(&mut bytes, [0x50, 0x4b, 0x01, 0x02], 24);
    let limits = Limits { max_part_bytes: 1 << 20, ..Limits::default() };
    let e = import_error(&bytes, &limits);
    assert!(matches!(e, ImportError::PartTooLarge { .. } | ImportError::Corrupt(_)), "{e}");
}

#[test]
fn too_many_entries() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let limits = Limits { max_entries: 10, ..Limits::default() };
    let e = import_error(&zip_of(&entries), &limits);
    assert!(matches!(e, ImportError::TooManyEntries { count: 20, limit: 10 }), "{e}");
}

#[test]
fn too_many_cells() {
    let mut s = SheetInput::new("Sheet1");
    for i in 0..50 {
        s.number(i, 0, f64::from(i));
    }
    let bytes = write_xlsx(&WorkbookInput { sheets: vec![s], names: vec![] }).unwrap_or_default();
    let limits = Limits { max_cells: 10, ..Limits::default() };
    let e = import_error(&bytes, &limits);
    assert!(matches!(e, ImportError::TooManyCells { limit: 10 }), "{e}");
}

#[test]
fn doctype_is_refused() {
    let sheet = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet><sheetData/></worksheet>"#;
    let bytes = zip_of(&[
        ("xl/workbook.xml", b"<workbook><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets></workbook>"),
        ("xl/worksheets/sheet1.xml", sheet),
    ]);
    let e = import_error(&bytes, &Limits::default());
    assert!(matches!(e, ImportError::Doctype { .. }), "{e}");
    // In any XML part, not only worksheets.
    let bytes = zip_of(&[("docProps/core.xml", b"<!doctype x><x/>"), ("xl/workbook.xml", b"<workbook/>")]);
    let e = import_error(&bytes, &Limits::default());
    assert!(matches!(e, ImportError::Doctype { .. }), "{e}");
}

#[test]
fn missing_workbook_part() {
    let e = import_error(&zip_of(&[("hello.txt", b"hi")]), &Limits::default());
    assert!(matches!(e, ImportError::MissingPart(_)), "{e}");
}

#[test]
fn file_too_large() {
    let limits = Limits { max_file_bytes: 100, ..Limits::default() };
    let e = import_error(&small_workbook(), &limits);
    assert!(matches!(e, ImportError::FileTooLarge { .. }), "{e}");
}

#[test]
fn cyclic_model_names_its_cells() {
    let mut s = SheetInput::new("Model");
    s.formula(0, 0, "=B1+1").formula(0, 1, "=C1*2").formula(0, 2, "=A1");
    let bytes = write_xlsx(&WorkbookInput { sheets: vec![s], names: vec![] }).unwrap_or_default();
    let wb = read_bytes(&bytes, &Limits::default());
    let err = wb.ok().and_then(|wb| recalculate(&wb).err()).map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("circular reference: Model!A1 → Model!B1 → Model!C1 → Model!A1"));
}
