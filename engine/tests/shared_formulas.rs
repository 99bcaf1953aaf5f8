//! Shared formulas whose text sits in a cell that is not the top-left corner of their `ref`
//! range (Excel writes such files): derived cells shift the text by their offset from the
//! cell that carries it.

#![allow(clippy::expect_used)] // test code: a failed step is a failed test

use std::io::{Cursor, Read, Write};

use montecell_engine::import::{Limits, read_bytes};
use montecell_engine::recalc::recalculate;
use montecell_engine::value::Value;
use montecell_engine::xlsx_writer::{SheetInput, WorkbookInput, write_xlsx};
use zip::write::SimpleFileOptions;

/// `D1` holds `B1*10` shared over `C1:D2`; `C2` uses it, one row down and one column left:
/// `A2*10`, i.e. 50 (measuring from `C1` would give `B2*10`, 70).
const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>3</v></c><c r="D1"><f t="shared" ref="C1:D2" si="0">B1*10</f><v>30</v></c></row>
<row r="2"><c r="A2"><v>5</v></c><c r="B2"><v>7</v></c><c r="C2"><f t="shared" si="0"/><v>50</v></c></row>
</sheetData></worksheet>"#;

/// A valid workbook from the writer, with its first sheet replaced by [`SHEET`].
fn workbook_bytes() -> Vec<u8> {
    let base =
        write_xlsx(&WorkbookInput { sheets: vec![SheetInput::new("Sheet1")], names: vec![] }).unwrap_or_default();
    let mut archive = zip::ZipArchive::new(Cursor::new(base)).expect("writer output is a zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").to_string();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).expect("read entry");
        if name == "xl/worksheets/sheet1.xml" {
            body = SHEET.as_bytes().to_vec();
        }
        out.start_file(name, SimpleFileOptions::default()).expect("start");
        out.write_all(&body).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[test]
fn shared_formula_offsets_count_from_the_cell_holding_the_text() {
    let wb = read_bytes(&workbook_bytes(), &Limits::default()).expect("import");
    let r = recalculate(&wb).expect("recalc");
    let value = |addr: &str| r.cells.iter().find(|c| c.address == addr).map(|c| c.value.clone());
    assert_eq!(value("D1"), Some(Value::Number(30.0)));
    assert_eq!(value("C2"), Some(Value::Number(50.0)));
    assert!(r.cells.iter().any(|c| c.address == "C2" && c.formula.contains("A2")));
}
