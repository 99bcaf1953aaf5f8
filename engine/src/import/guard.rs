//! The first pass over an upload: every zip entry is decompressed once under hard limits
//! (entry count, bytes per entry, bytes in total, compression ratio), XML parts with a
//! `<!DOCTYPE` are refused, and the parts calamine does not expose are kept: the workbook
//! part and its relationships (sheet paths, defined names with their scope) and, per
//! worksheet, the ranges of array formulas.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{ImportError, Limits};

/// Bytes above which the compression ratio is checked.
const RATIO_CHECK_FROM: u64 = 1 << 20;

/// A rectangle of cells: (top, left, bottom, right), zero-based, inclusive.
pub(super) type Bounds = (u32, u32, u32, u32);

/// What the first pass keeps.
#[derive(Debug, Default)]
pub(super) struct Package {
    /// Parts kept whole, by path: `xl/workbook.xml`, `xl/_rels/workbook.xml.rels`.
    pub(super) parts: HashMap<String, Vec<u8>>,
    /// Per worksheet path: array formulas and cell count.
    pub(super) sheets: HashMap<String, SheetScan>,
}

/// What the first pass learns of a worksheet.
#[derive(Debug, Default)]
pub(super) struct SheetScan {
    /// Array formulas: anchor (row, col) → range (top, left, bottom, right), zero-based.
    pub(super) arrays: Vec<((u32, u32), Bounds)>,
    /// Number of `<c>` elements.
    pub(super) cells: u64,
    /// Error cells whose real error is a rich value: (row, col) → `vm` index.
    pub(super) rich_errors: Vec<((u32, u32), u32)>,
}

fn is_xml_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".vml")
}

fn contains_doctype(bytes: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"<!doctype";
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == b'<') {
        let at = i + p;
        if bytes.len() >= at + NEEDLE.len() && bytes[at..at + NEEDLE.len()].eq_ignore_ascii_case(NEEDLE) {
            return true;
        }
        i = at + 1;
    }
    false
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Largest part kept whole in memory (the workbook part and its relationships).
const MAX_KEPT_PART: u64 = 64 << 20;

/// Streams a part looking for `<!DOCTYPE` without keeping it.
fn stream_has_doctype(r: &mut impl Read) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 64 << 10];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(false);
        }
        carry.extend_from_slice(&buf[..n]);
        if contains_doctype(&carry) {
            return Ok(true);
        }
        let keep = carry.len().min(8);
        carry.drain(..carry.len() - keep);
    }
}

/// Decompresses and checks every entry, streaming: memory stays bounded whatever the upload
/// claims or contains.
pub(super) fn inspect(bytes: &[u8], limits: &Limits) -> Result<Package, ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ImportError::NotZip(e.to_string()))?;
    if zip.len() > limits.max_entries {
        return Err(ImportError::TooManyEntries { count: zip.len(), limit: limits.max_entries });
    }
    let mut package = Package::default();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| ImportError::Corrupt(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(|e| ImportError::Corrupt(e.to_string()))?.into_owned();
        if entry.size() > limits.max_part_bytes {
            return Err(ImportError::PartTooLarge { part: name, limit: limits.max_part_bytes });
        }
        let compressed = entry.compressed_size().max(1);
        let lower = name.to_ascii_lowercase();
        // Read at most one byte past what is allowed: the count then tells which limit broke.
        let cap = limits.max_part_bytes.min(limits.max_total_bytes - total);
        let mut reader = Counting { inner: (&mut entry).take(cap + 1), count: 0 };
        let corrupt = |e: &dyn std::fmt::Display| ImportError::Corrupt(format!("{name}: {e}"));
        let mut doctype = false;
        if lower == "xl/workbook.xml"
            || lower == "xl/_rels/workbook.xml.rels"
            || super::rich_values::PARTS.contains(&lower.as_str())
        {
            let mut buf = Vec::new();
            (&mut reader).take(MAX_KEPT_PART).read_to_end(&mut buf).map_err(|e| corrupt(&e))?;
            doctype = contains_doctype(&buf);
            package.parts.insert(lower.clone(), buf);
        } else if lower.starts_with("xl/worksheets/") && lower.ends_with(".xml") && !lower.contains("/_rels/") {
            match scan_sheet(std::io::BufReader::new(&mut reader), limits.max_cells) {
                Ok(scan) => {
                    package.sheets.insert(lower.clone(), scan);
                }
                Err(ScanError::Doctype) => doctype = true,
                Err(ScanError::TooManyCells) => return Err(ImportError::TooManyCells { limit: limits.max_cells }),
                // A read error past the cap is reported as the limit below.
                Err(ScanError::Xml(e)) if reader.count <= cap => return Err(corrupt(&e)),
                Err(ScanError::Xml(_)) => {}
            }
        } else if is_xml_part(&name) {
            doctype = stream_has_doctype(&mut reader).map_err(|e| corrupt(&e))?;
        } else {
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| corrupt(&e))?;
        }
        let size = reader.count;
        if size > limits.max_part_bytes {
            return Err(ImportError::PartTooLarge { part: name, limit: limits.max_part_bytes });
        }
        if size > cap {
            return Err(ImportError::TooLarge { limit: limits.max_total_bytes });
        }
        total += size;
        if doctype {
            return Err(ImportError::Doctype { part: name });
        }
        if size >= RATIO_CHECK_FROM && size / compressed > limits.max_compression_ratio {
            return Err(ImportError::CompressionRatio {
                part: name,
                ratio: size / compressed,
                limit: limits.max_compression_ratio,
            });
        }
    }
    Ok(package)
}

fn attr(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == key).map(|a| a.value.as_ref().to_owned())
}

enum ScanError {
    Doctype,
    TooManyCells,
    Xml(String),
}

/// Streams a worksheet part for its array formulas and its cell count.
fn scan_sheet(xml: impl std::io::BufRead, max_cells: u64) -> Result<SheetScan, ScanError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut scan = SheetScan::default();
    let mut cell: Option<(u32, u32)> = None;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "c" => {
                    scan.cells += 1;
                    if scan.cells > max_cells {
                        return Err(ScanError::TooManyCells);
                    }
                    cell = attr(&e, "r").and_then(|r| crate::address::parse_a1(&r));
                    if attr(&e, "t").as_deref() == Some("e")
                        && let (Some(at), Some(vm)) = (cell, attr(&e, "vm").and_then(|v| v.parse().ok()))
                    {
                        scan.rich_errors.push((at, vm));
                    }
                }
                "f" if attr(&e, "t").as_deref() == Some("array") => {
                    if let (Some(anchor), Some(range)) = (cell, attr(&e, "ref").and_then(|r| parse_range(&r))) {
                        scan.arrays.push((anchor, range));
                    }
                }
                _ => {}
            },
            Ok(Event::DocType(_)) => return Err(ScanError::Doctype),
            Ok(Event::Eof) => break,
            Err(e) => return Err(ScanError::Xml(e.to_string())),
            _ => {}
        }
        buf.clear();
    }
    Ok(scan)
}

/// `A1:C3` or `B7` → (top, left, bottom, right).
pub(super) fn parse_range(r: &str) -> Option<Bounds> {
    let (a, b) = r.split_once(':').unwrap_or((r, r));
    let (r1, c1) = crate::address::parse_a1(a)?;
    let (r2, c2) = crate::address::parse_a1(b)?;
    Some((r1.min(r2), c1.min(c2), r1.max(r2), c1.max(c2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_doctype_in_any_case() {
        assert!(contains_doctype(b"<?xml?><!DocType x [<!ENTITY a 'b'>]><a/>"));
        assert!(!contains_doctype(b"<?xml?><a>doctype</a>"));
    }

    #[test]
    fn sheet_doctype_is_refused() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>"#;
        assert!(matches!(scan_sheet(&xml[..], 100), Err(ScanError::Doctype)));
    }

    #[test]
    fn scans_array_formulas() {
        let xml = br#"<worksheet><sheetData><row r="1"><c r="B1"><f t="array" ref="B1:B3">A1:A3*2</f><v>2</v></c><c r="C1"><f>1</f></c></row></sheetData></worksheet>"#;
        let scan = scan_sheet(&xml[..], 100).ok().unwrap_or_default();
        assert_eq!(scan.arrays, vec![((0, 1), (0, 1, 2, 1))]);
        assert_eq!(scan.cells, 2);
    }
}
