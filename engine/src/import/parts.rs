//! The workbook part (`xl/workbook.xml`) and its relationships: sheet order, names and
//! paths, defined names with their scope, and the date system. calamine drops the scope of
//! defined names, so they are read here.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The kind of a sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SheetKind {
    Worksheet,
    Other,
}

/// A sheet as the workbook part lists it.
#[derive(Clone, Debug)]
pub(super) struct SheetEntry {
    pub(super) name: String,
    /// The part path, lower-case, e.g. `xl/worksheets/sheet1.xml`.
    pub(super) path: Option<String>,
    pub(super) kind: SheetKind,
}

/// A defined name as written in the workbook part.
#[derive(Clone, Debug)]
pub(super) struct NameEntry {
    pub(super) name: String,
    pub(super) local_sheet: Option<u32>,
    pub(super) text: String,
}

/// What the workbook part says.
#[derive(Clone, Debug, Default)]
pub(super) struct WorkbookInfo {
    pub(super) sheets: Vec<SheetEntry>,
    pub(super) names: Vec<NameEntry>,
    pub(super) date1904: bool,
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == key).map(|a| unescape(a.value.as_ref()))
}

/// Replaces the predefined and numeric XML entities.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        match tail.find(';') {
            Some(j) => {
                out.push_str(&resolve_entity(&tail[..j]));
                rest = &tail[j + 1..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn resolve_entity(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                name.strip_prefix('#').and_then(|d| d.parse().ok())
            };
            code.and_then(char::from_u32).map_or_else(|| format!("&{name};"), String::from)
        }
    }
}

/// Reads `xl/_rels/workbook.xml.rels`: relationship id → (type suffix, part path).
fn relationships(xml: &[u8]) -> Result<HashMap<String, (String, String)>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = HashMap::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    let kind = attr(&e, "Type").unwrap_or_default();
                    let kind = kind.rsplit('/').next().unwrap_or_default().to_owned();
                    let path =
                        if let Some(abs) = target.strip_prefix('/') { abs.to_owned() } else { format!("xl/{target}") };
                    out.insert(id, (kind, path.to_ascii_lowercase()));
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(e.to_string()),
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Reads the workbook part and its relationships.
pub(super) fn workbook_info(workbook: &[u8], rels: Option<&[u8]>) -> Result<WorkbookInfo, String> {
    let rels = match rels {
        Some(r) => relationships(r)?,
        None => HashMap::new(),
    };
    let mut reader = Reader::from_reader(workbook);
    let mut buf = Vec::new();
    let mut info = WorkbookInfo::default();
    let mut current_name: Option<NameEntry> = None;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if current_name.is_none() => match e.local_name().as_ref() {
                "sheet" => {
                    let name = attr(&e, "name").unwrap_or_default();
                    let rel = attr(&e, "id").and_then(|id| rels.get(&id).cloned());
                    let (kind, path) = match rel {
                        Some((k, p)) if k == "worksheet" => (SheetKind::Worksheet, Some(p)),
                        Some((_, p)) => (SheetKind::Other, Some(p)),
                        None => (SheetKind::Other, None),
                    };
                    info.sheets.push(SheetEntry { name, path, kind });
                }
                "workbookPr" => {
                    info.date1904 = matches!(attr(&e, "date1904").as_deref(), Some("1" | "true"));
                }
                "definedName" => {
                    current_name = Some(NameEntry {
                        name: attr(&e, "name").unwrap_or_default(),
                        local_sheet: attr(&e, "localSheetId").and_then(|s| s.parse().ok()),
                        text: String::new(),
                    });
                }
                _ => {}
            },
            Ok(Event::Text(t)) => {
                if let Some(n) = current_name.as_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(n) = current_name.as_mut() {
                    n.text.push_str(&resolve_entity(&r));
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == "definedName" => {
                if let Some(n) = current_name.take() {
                    info.names.push(n);
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(e.to_string()),
            _ => {}
        }
        buf.clear();
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sheets_names_and_scope() {
        let wb = br#"<workbook><workbookPr date1904="1"/><sheets><sheet name="A &amp; B" sheetId="1" r:id="rId1"/><sheet name="Chart" sheetId="2" r:id="rId2"/></sheets>
<definedNames><definedName name="Rate">'A &amp; B'!$A$1</definedName><definedName name="Local" localSheetId="0">0.5</definedName></definedNames></workbook>"#;
        let rels = br#"<Relationships><Relationship Id="rId1" Type="http://x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://x/chartsheet" Target="/xl/chartsheets/sheet1.xml"/></Relationships>"#;
        let info = workbook_info(wb, Some(rels)).unwrap_or_default();
        assert!(info.date1904);
        assert_eq!(info.sheets[0].name, "A & B");
        assert_eq!(info.sheets[0].path.as_deref(), Some("xl/worksheets/sheet1.xml"));
        assert_eq!(info.sheets[1].kind, SheetKind::Other);
        assert_eq!(info.names[0].text, "'A & B'!$A$1");
        assert_eq!(info.names[1].local_sheet, Some(0));
    }
}
