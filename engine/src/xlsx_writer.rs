//! A minimal `.xlsx` writer: sheets of numbers, text, booleans and formulas (with optional
//! cached values), defined names. Used to generate the bundled examples, the benchmark
//! workbooks and the crafted files of the tests — not a general-purpose writer.

use std::fmt::Write as _;
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use crate::address::{format_a1, quote_sheet_name};
use crate::value::Value;

/// A cell to write.
#[derive(Clone, Debug, PartialEq)]
pub enum CellInput {
    /// A constant.
    Value(Value),
    /// A formula (without `=`) and, optionally, the value to cache for it.
    Formula(String, Option<Value>),
}

/// A sheet to write.
#[derive(Clone, Debug, Default)]
pub struct SheetInput {
    /// The name.
    pub name: String,
    /// Cells: zero-based (row, col) and content.
    pub cells: Vec<(u32, u32, CellInput)>,
}

impl SheetInput {
    /// An empty sheet.
    pub fn new(name: &str) -> SheetInput {
        SheetInput { name: name.to_owned(), cells: Vec::new() }
    }

    /// Adds a number.
    pub fn number(&mut self, row: u32, col: u32, n: f64) -> &mut Self {
        self.cells.push((row, col, CellInput::Value(Value::Number(n))));
        self
    }

    /// Adds text.
    pub fn text(&mut self, row: u32, col: u32, s: &str) -> &mut Self {
        self.cells.push((row, col, CellInput::Value(Value::from(s))));
        self
    }

    /// Adds a formula (without a cached value).
    pub fn formula(&mut self, row: u32, col: u32, f: &str) -> &mut Self {
        self.cells.push((row, col, CellInput::Formula(f.trim_start_matches('=').to_owned(), None)));
        self
    }
}

/// A workbook to write.
#[derive(Clone, Debug, Default)]
pub struct WorkbookInput {
    /// The sheets.
    pub sheets: Vec<SheetInput>,
    /// Workbook-scope defined names: (name, formula such as `Model!$B$2`).
    pub names: Vec<(String, String)>,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn value_xml(out: &mut String, r: &str, v: &Value, formula: Option<&str>) {
    let f = formula.map(|f| format!("<f>{}</f>", escape(f))).unwrap_or_default();
    let _ = match v {
        Value::Number(n) => write!(out, r#"<c r="{r}">{f}<v>{n}</v></c>"#),
        Value::Text(s) if formula.is_some() => write!(out, r#"<c r="{r}" t="str">{f}<v>{}</v></c>"#, escape(s)),
        Value::Text(s) => write!(out, r#"<c r="{r}" t="inlineStr"><is><t>{}</t></is></c>"#, escape(s)),
        Value::Bool(b) => write!(out, r#"<c r="{r}" t="b">{f}<v>{}</v></c>"#, u8::from(*b)),
        Value::Error(e) => write!(out, r#"<c r="{r}" t="e">{f}<v>{}</v></c>"#, escape(e.as_str())),
        Value::Blank | Value::Array(_) => write!(out, r#"<c r="{r}">{f}</c>"#),
    };
}

fn sheet_xml(sheet: &SheetInput) -> String {
    let mut cells = sheet.cells.clone();
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let mut current_row = None;
    for (row, col, input) in &cells {
        if current_row != Some(*row) {
            if current_row.is_some() {
                out.push_str("</row>");
            }
            let _ = write!(out, r#"<row r="{}">"#, row + 1);
            current_row = Some(*row);
        }
        let r = format_a1(*row, *col);
        match input {
            CellInput::Value(v) => value_xml(&mut out, &r, v, None),
            CellInput::Formula(f, cached) => value_xml(&mut out, &r, cached.as_ref().unwrap_or(&Value::Blank), Some(f)),
        }
    }
    if current_row.is_some() {
        out.push_str("</row>");
    }
    out.push_str("</sheetData></worksheet>");
    out
}

/// The smallest style sheet readers accept (one font, fill, border and cell format).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// Writes the workbook as `.xlsx` bytes.
pub fn write_xlsx(wb: &WorkbookInput) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: &str, body: &str| -> std::io::Result<()> {
        zip.start_file(name, opts).map_err(std::io::Error::other)?;
        zip.write_all(body.as_bytes())
    };
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    for i in 1..=wb.sheets.len() {
        let _ = write!(
            types,
            r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
    }
    types.push_str("</Types>");
    put("[Content_Types].xml", &types)?;
    put(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    )?;
    let mut workbook = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, s) in wb.sheets.iter().enumerate() {
        let n = i + 1;
        let _ = write!(workbook, r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#, escape(&s.name));
        let _ = write!(
            rels,
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
    }
    let _ = write!(
        rels,
        r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#,
        wb.sheets.len() + 1
    );
    workbook.push_str("</sheets>");
    if !wb.names.is_empty() {
        workbook.push_str("<definedNames>");
        for (name, text) in &wb.names {
            let _ = write!(workbook, r#"<definedName name="{}">{}</definedName>"#, escape(name), escape(text));
        }
        workbook.push_str("</definedNames>");
    }
    workbook.push_str(r#"<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>"#);
    rels.push_str("</Relationships>");
    put("xl/workbook.xml", &workbook)?;
    put("xl/_rels/workbook.xml.rels", &rels)?;
    put("xl/styles.xml", STYLES)?;
    for (i, s) in wb.sheets.iter().enumerate() {
        put(&format!("xl/worksheets/sheet{}.xml", i + 1), &sheet_xml(s))?;
    }
    let cursor = zip.finish().map_err(std::io::Error::other)?;
    Ok(cursor.into_inner())
}

/// `Sheet!$B$7`-style absolute reference text, for names and generated formulas.
pub fn absolute_ref(sheet: &str, row: u32, col: u32) -> String {
    format!("{}!${}${}", quote_sheet_name(sheet), crate::address::column_letters(col), row + 1)
}
