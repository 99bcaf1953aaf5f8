//! Error values that Excel stores as "rich values": `#SPILL!`, `#CALC!` and the other newer
//! errors are written as `<c t="e" vm="N"><v>#VALUE!</v></c>`, where `vm` points through
//! `xl/metadata.xml` to a rich value in `xl/richData/rdrichvalue.xml` whose structure
//! (`rdrichvaluestructure.xml`, type `_error`) holds the real `errorType`.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::value::ErrorKind;

/// The parts that describe rich values, by path.
pub(super) const PARTS: [&str; 3] =
    ["xl/metadata.xml", "xl/richdata/rdrichvalue.xml", "xl/richdata/rdrichvaluestructure.xml"];

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == key).map(|a| a.value.as_ref().to_owned())
}

/// `errorType` of a rich error value → the error (the code is `ERROR.TYPE` minus one).
fn error_of_type(code: i64) -> Option<ErrorKind> {
    Some(match code {
        0 => ErrorKind::Null,
        1 => ErrorKind::Div0,
        2 => ErrorKind::Value,
        3 => ErrorKind::Ref,
        4 => ErrorKind::Name,
        5 => ErrorKind::Num,
        6 => ErrorKind::NA,
        7 => ErrorKind::GettingData,
        8 => ErrorKind::Spill,
        13 => ErrorKind::Calc,
        _ => return None,
    })
}

/// Maps a cell's `vm` attribute (1-based) to the error it stands for. Missing or unreadable
/// parts give an empty map: the cells then keep the `#VALUE!` written in them.
pub(super) fn value_metadata_errors(parts: &HashMap<String, Vec<u8>>) -> HashMap<u32, ErrorKind> {
    let (Some(metadata), Some(values), Some(structures)) =
        (parts.get(PARTS[0]), parts.get(PARTS[1]), parts.get(PARTS[2]))
    else {
        return HashMap::new();
    };
    // Structures: for each, the position of the `errorType` key if its type is `_error`.
    let mut error_key: Vec<Option<usize>> = Vec::new();
    let mut reader = Reader::from_reader(structures.as_slice());
    let mut buf = Vec::new();
    let mut key_index = 0;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "s" => {
                error_key.push(None);
                key_index = 0;
                if attr(&e, "t").as_deref() != Some("_error") {
                    key_index = usize::MAX;
                }
            }
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "k" && key_index != usize::MAX => {
                if attr(&e, "n").as_deref() == Some("errorType")
                    && let Some(last) = error_key.last_mut()
                {
                    *last = Some(key_index);
                }
                key_index += 1;
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    // Rich values: the error of each, if it is an error.
    let mut value_errors: Vec<Option<ErrorKind>> = Vec::new();
    let mut reader = Reader::from_reader(values.as_slice());
    let (mut structure, mut field, mut in_v) = (None::<usize>, 0usize, false);
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "rv" => {
                structure = attr(&e, "s").and_then(|s| s.parse().ok());
                field = 0;
                value_errors.push(None);
            }
            Ok(Event::Start(e)) if e.local_name().as_ref() == "v" => in_v = true,
            Ok(Event::Text(t)) if in_v => {
                let wanted = structure.and_then(|s| error_key.get(s).copied().flatten());
                if wanted == Some(field)
                    && let Some(last) = value_errors.last_mut()
                {
                    *last = t.xml10_content().trim().parse().ok().and_then(error_of_type);
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == "v" => {
                in_v = false;
                field += 1;
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    // Metadata: the XLRICHVALUE future-metadata blocks (each names a rich value), then the
    // value-metadata blocks (each names a future-metadata block); `vm` indexes the latter.
    let mut rich_blocks: Vec<Option<usize>> = Vec::new();
    let mut value_blocks: Vec<Option<usize>> = Vec::new();
    let mut reader = Reader::from_reader(metadata.as_slice());
    let (mut in_future, mut in_values) = (false, false);
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "futureMetadata" => in_future = attr(&e, "name").as_deref() == Some("XLRICHVALUE"),
                "valueMetadata" => in_values = true,
                "bk" if in_future => rich_blocks.push(None),
                "bk" if in_values => value_blocks.push(None),
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "rvb" if in_future => {
                    if let Some(last) = rich_blocks.last_mut() {
                        *last = attr(&e, "i").and_then(|i| i.parse().ok());
                    }
                }
                "rc" if in_values => {
                    if let Some(last) = value_blocks.last_mut() {
                        *last = attr(&e, "v").and_then(|v| v.parse().ok());
                    }
                }
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "futureMetadata" => in_future = false,
                "valueMetadata" => in_values = false,
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    value_blocks
        .iter()
        .enumerate()
        .filter_map(|(i, block)| {
            let rich = rich_blocks.get((*block)?).copied().flatten()?;
            let error = value_errors.get(rich).copied().flatten()?;
            Some((i as u32 + 1, error))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_value_metadata_to_errors() {
        let metadata = r#"<metadata><metadataTypes count="1"><metadataType name="XLRICHVALUE"/></metadataTypes><futureMetadata name="XLRICHVALUE" count="2"><bk><extLst><ext><xlrd:rvb i="0"/></ext></extLst></bk><bk><extLst><ext><xlrd:rvb i="1"/></ext></extLst></bk></futureMetadata><valueMetadata count="2"><bk><rc t="1" v="0"/></bk><bk><rc t="1" v="1"/></bk></valueMetadata></metadata>"#;
        let values = r#"<rvData count="2"><rv s="0"><v>13</v><v>0</v></rv><rv s="0"><v>8</v><v>0</v></rv></rvData>"#;
        let structures = r#"<rvStructures count="1"><s t="_error"><k n="errorType" t="i"/><k n="subType" t="i"/></s></rvStructures>"#;
        let parts: HashMap<String, Vec<u8>> = [metadata, values, structures]
            .iter()
            .zip(PARTS)
            .map(|(body, path)| (path.to_owned(), body.as_bytes().to_vec()))
            .collect();
        let map = value_metadata_errors(&parts);
        assert_eq!(map.get(&1), Some(&ErrorKind::Calc));
        assert_eq!(map.get(&2), Some(&ErrorKind::Spill));
        assert!(value_metadata_errors(&HashMap::new()).is_empty());
    }
}
