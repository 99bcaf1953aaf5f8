//! Text functions: joining (`CONCATENATE`, `CONCAT`, `TEXTJOIN`), cutting (`LEFT`, `RIGHT`,
//! `MID`, `TEXTBEFORE`, `TEXTAFTER`), searching (`FIND`, `SEARCH`), replacing (`SUBSTITUTE`,
//! `REPLACE`), case and cleaning (`UPPER`, `LOWER`, `PROPER`, `TRIM`, `CLEAN`), characters
//! (`CHAR`, `CODE`, `UNICHAR`, `UNICODE`), conversions (`TEXT`, `VALUE`, `NUMBERVALUE`,
//! `FIXED`, `DOLLAR`, `T`, `VALUETOTEXT`, `ARRAYTOTEXT`) and `LEN`, `REPT`, `EXACT`.
//!
//! Lengths and positions count UTF-16 code units, as Excel does (an emoji counts 2). The
//! `…B` variants (`LENB`, `MIDB`…) behave as the plain ones, as in Excel with a language that
//! is not double-byte. Results longer than 32,767 characters are `#VALUE!`.

use std::sync::Arc;

use super::format::{self, FormatError};
use super::{FnResult, args};
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{Array, ErrorKind, Value, parse_number};

type Special = Result<Operand, ErrorKind>;

/// The longest text a cell can hold.
const MAX_LEN: usize = 32_767;

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from_utf16(u: &[u16]) -> Value {
    Value::from(String::from_utf16_lossy(u))
}

fn checked(s: String) -> FnResult {
    if s.len() > MAX_LEN && s.encode_utf16().count() > MAX_LEN { Err(ErrorKind::Value) } else { Ok(Value::from(s)) }
}

/// A count argument (`LEFT`'s `num_chars`…): truncated, negative is `#VALUE!`.
fn count_or(a: &[Value], i: usize, default: f64) -> Result<usize, ErrorKind> {
    let n = args::num_or(a, i, default)?.trunc();
    if n < 0.0 { Err(ErrorKind::Value) } else { Ok(n as usize) }
}

/// A 1-based position argument: truncated, below 1 is `#VALUE!`.
fn position(a: &[Value], i: usize, default: f64) -> Result<usize, ErrorKind> {
    let n = args::num_or(a, i, default)?.trunc();
    if n < 1.0 { Err(ErrorKind::Value) } else { Ok(n as usize) }
}

// ── Joining ────────────────────────────────────────────────────────────────────────────────

/// `CONCATENATE(text1, [text2], …)`
pub(super) fn concatenate(a: &[Value]) -> FnResult {
    let mut out = String::new();
    for i in 0..a.len() {
        out.push_str(&args::text(a, i)?);
    }
    checked(out)
}

/// Every value of an argument: the cells of references (blanks included), the elements of
/// arrays, or the value itself.
fn all_values(ev: &mut Evaluator<'_>, arg: &Expr) -> Result<Vec<Value>, ErrorKind> {
    let op = ev.eval_array_context(arg);
    Ok(match op {
        Operand::Ref(area) => ev.area_array(&area).into_values(),
        Operand::Refs(areas) => {
            let mut out = Vec::new();
            for area in areas.iter() {
                out.extend(ev.area_array(area).into_values());
            }
            out
        }
        Operand::Value(Value::Array(arr)) => arr.values().to_vec(),
        Operand::Value(v) => vec![v],
        Operand::Lambda(_) => vec![Value::Error(ErrorKind::Calc)],
    })
}

/// `CONCAT(text1, [text2], …)`: ranges and arrays are joined cell by cell.
pub(super) fn concat(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let mut out = String::new();
    for arg in a {
        for v in all_values(ev, arg)? {
            out.push_str(&v.to_text()?);
        }
        if out.len() > 4 * MAX_LEN {
            return Err(ErrorKind::Value);
        }
    }
    Ok(checked(out)?.into())
}

/// `TEXTJOIN(delimiter, ignore_empty, text1, [text2], …)`: a range or array of delimiters is
/// used in turn.
pub(super) fn textjoin(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let delimiters = all_values(ev, &a[0])?.iter().map(Value::to_text).collect::<Result<Vec<Arc<str>>, ErrorKind>>()?;
    let ignore_empty = args::scalar(ev, a, 1).to_bool()?;
    let mut items: Vec<Arc<str>> = Vec::new();
    for arg in &a[2..] {
        for v in all_values(ev, arg)? {
            let s = v.to_text()?;
            if !(ignore_empty && s.is_empty()) {
                items.push(s);
            }
        }
    }
    let mut out = String::new();
    for (i, s) in items.iter().enumerate() {
        if i > 0 && !delimiters.is_empty() {
            out.push_str(&delimiters[(i - 1) % delimiters.len()]);
        }
        out.push_str(s);
        if out.len() > 4 * MAX_LEN {
            return Err(ErrorKind::Value);
        }
    }
    Ok(checked(out)?.into())
}

// ── Cutting ────────────────────────────────────────────────────────────────────────────────

/// `LEFT(text, [num_chars])`
pub(super) fn left(a: &[Value]) -> FnResult {
    let s = utf16(&args::text(a, 0)?);
    let n = count_or(a, 1, 1.0)?.min(s.len());
    Ok(from_utf16(&s[..n]))
}

/// `RIGHT(text, [num_chars])`
pub(super) fn right(a: &[Value]) -> FnResult {
    let s = utf16(&args::text(a, 0)?);
    let n = count_or(a, 1, 1.0)?.min(s.len());
    Ok(from_utf16(&s[s.len() - n..]))
}

/// `MID(text, start_num, num_chars)`
pub(super) fn mid(a: &[Value]) -> FnResult {
    let s = utf16(&args::text(a, 0)?);
    let start = position(a, 1, 1.0)?;
    let n = count_or(a, 2, 0.0)?;
    let from = (start - 1).min(s.len());
    let to = from.saturating_add(n).min(s.len());
    Ok(from_utf16(&s[from..to]))
}

/// `LEN(text)`
pub(super) fn len(a: &[Value]) -> FnResult {
    Ok(Value::Number(args::text(a, 0)?.encode_utf16().count() as f64))
}

/// Where the `instance`-th delimiter lies: `(start, end)` in UTF-16 units.
fn find_delimiter(text: &[u16], delim: &[u16], instance: i64, match_end: bool) -> Option<(usize, usize)> {
    let wanted = instance.unsigned_abs() as usize;
    let mut found = Vec::new();
    if delim.is_empty() {
        found.push(if instance > 0 { (0, 0) } else { (text.len(), text.len()) });
    } else if instance > 0 {
        let mut i = 0;
        while i + delim.len() <= text.len() && found.len() < wanted {
            if text[i..i + delim.len()] == *delim {
                found.push((i, i + delim.len()));
                i += delim.len();
            } else {
                i += 1;
            }
        }
        if match_end {
            found.push((text.len(), text.len()));
        }
    } else {
        let mut end = text.len();
        while end >= delim.len() && found.len() < wanted {
            if text[end - delim.len()..end] == *delim {
                found.push((end - delim.len(), end));
                end -= delim.len();
            } else {
                end -= 1;
            }
        }
        if match_end {
            found.push((0, 0));
        }
    }
    found.get(wanted - 1).copied()
}

fn text_around(a: &[Value], after: bool) -> FnResult {
    let text = args::text(a, 0)?;
    let delim = args::text(a, 1)?;
    let explicit_instance = !matches!(a.get(2), None | Some(Value::Blank));
    let instance = if explicit_instance { args::num(a, 2)?.floor() } else { 1.0 };
    let insensitive = match a.get(3) {
        None | Some(Value::Blank) => false,
        Some(Value::Error(e)) => return Err(*e),
        Some(v) => v.to_number().map(|n| n != 0.0).unwrap_or(false),
    };
    let match_end = match a.get(4) {
        None | Some(Value::Blank) => false,
        Some(v) => match v.to_number()? {
            0.0 => false,
            1.0 => true,
            _ => return Err(ErrorKind::Value),
        },
    };
    let (t, d) =
        if insensitive { (utf16(&fold_case(&text)), utf16(&fold_case(&delim))) } else { (utf16(&text), utf16(&delim)) };
    if instance == 0.0 || (explicit_instance && (instance.abs() > t.len() as f64 || d.len() > t.len())) {
        return Err(ErrorKind::Value);
    }
    match find_delimiter(&t, &d, instance as i64, match_end) {
        Some((start, end)) => {
            let original = utf16(&text);
            Ok(if after { from_utf16(&original[end..]) } else { from_utf16(&original[..start]) })
        }
        None => match a.get(5) {
            None => Err(ErrorKind::NA),
            Some(Value::Blank) => Ok(Value::from("")),
            Some(v) => Ok(v.clone()),
        },
    }
}

/// `TEXTBEFORE(text, delimiter, [instance_num], [match_mode], [match_end], [if_not_found])`
pub(super) fn textbefore(a: &[Value]) -> FnResult {
    text_around(a, false)
}

/// `TEXTAFTER(text, delimiter, [instance_num], [match_mode], [match_end], [if_not_found])`
pub(super) fn textafter(a: &[Value]) -> FnResult {
    text_around(a, true)
}

/// Splits `text` at any of `delims` (the longest when several match at one place).
fn split_any(text: &[u16], folded: &[u16], delims: &[Vec<u16>]) -> Vec<Vec<u16>> {
    if delims.is_empty() {
        return vec![text.to_vec()];
    }
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < text.len() {
        let hit = delims.iter().filter(|d| folded[i..].starts_with(d)).map(Vec::len).max();
        match hit {
            Some(n) => {
                pieces.push(text[start..i].to_vec());
                i += n;
                start = i;
            }
            None => i += 1,
        }
    }
    pieces.push(text[start..].to_vec());
    pieces
}

/// `TEXTSPLIT(text, col_delimiter, [row_delimiter], [ignore_empty], [match_mode], [pad_with])`:
/// an array; short rows are padded with `pad_with` (`#N/A` by default).
pub(super) fn textsplit(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let text = args::scalar(ev, a, 0).to_text()?;
    let insensitive = args::scalar(ev, a, 4).to_number()? != 0.0;
    let fold = |s: &str| if insensitive { utf16(&fold_case(s)) } else { utf16(s) };
    let mut delimiters = |i: usize| -> Result<Vec<Vec<u16>>, ErrorKind> {
        match a.get(i) {
            None | Some(Expr::Missing) => Ok(Vec::new()),
            Some(e) => {
                let mut out = Vec::new();
                for v in all_values(ev, e)? {
                    let d = v.to_text()?;
                    if !d.is_empty() {
                        out.push(fold(&d));
                    }
                }
                Ok(out)
            }
        }
    };
    let col_delims = delimiters(1)?;
    let row_delims = delimiters(2)?;
    if col_delims.is_empty() && row_delims.is_empty() {
        return Err(ErrorKind::Value);
    }
    let ignore_empty = args::scalar(ev, a, 3).to_bool()?;
    let pad = if a.len() > 5 { args::scalar(ev, a, 5) } else { Value::Error(ErrorKind::NA) };
    let original = utf16(&text);
    let folded = fold(&text);
    let mut rows: Vec<Vec<Vec<u16>>> = Vec::new();
    let row_texts = split_any(&original, &folded, &row_delims);
    let row_folded = split_any(&folded, &folded, &row_delims);
    for (row, row_f) in row_texts.iter().zip(&row_folded) {
        let mut cells = split_any(row, row_f, &col_delims);
        if ignore_empty {
            cells.retain(|c| !c.is_empty());
            if cells.is_empty() {
                continue;
            }
        }
        rows.push(cells);
    }
    if rows.is_empty() {
        rows.push(vec![Vec::new()]);
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(1);
    let mut values = Vec::with_capacity(rows.len() * width);
    for row in &rows {
        for j in 0..width {
            values.push(row.get(j).map_or_else(|| pad.clone(), |c| from_utf16(c)));
        }
    }
    Ok(Value::from(Array::new(rows.len(), width, values)).into())
}

// ── Searching and replacing ────────────────────────────────────────────────────────────────

/// Lower case, character by character, keeping the length (characters whose lower case is
/// longer stay as they are).
fn fold_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) if x.len_utf16() == c.len_utf16() => x,
                _ => c,
            }
        })
        .collect()
}

/// `FIND(find_text, within_text, [start_num])`: case-sensitive, no wildcards.
pub(super) fn find(a: &[Value]) -> FnResult {
    let needle = utf16(&args::text(a, 0)?);
    let hay = utf16(&args::text(a, 1)?);
    let start = position(a, 2, 1.0)?;
    if start > hay.len() {
        return Err(ErrorKind::Value);
    }
    (start - 1..=hay.len().saturating_sub(needle.len()))
        .find(|&i| hay[i..].starts_with(&needle))
        .map(|i| Value::Number((i + 1) as f64))
        .ok_or(ErrorKind::Value)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Pat {
    Unit(u16),
    One,
    Any,
}

/// A `SEARCH` pattern: `?` one character, `*` any run, `~` escapes the next character (a
/// final `~` matches nothing).
fn pattern(s: &[u16]) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            0x7E => {
                if let Some(&c) = s.get(i + 1) {
                    out.push(Pat::Unit(c));
                }
                i += 2;
                continue;
            }
            0x3F => out.push(Pat::One),
            0x2A => {
                if out.last() != Some(&Pat::Any) {
                    out.push(Pat::Any);
                }
            }
            c => out.push(Pat::Unit(c)),
        }
        i += 1;
    }
    out
}

/// Does the pattern match a prefix of `text`?
fn matches_prefix(pat: &[Pat], text: &[u16]) -> bool {
    match pat.split_first() {
        None => true,
        Some((Pat::Any, rest)) => rest.is_empty() || (0..=text.len()).any(|i| matches_prefix(rest, &text[i..])),
        Some((Pat::One, rest)) => !text.is_empty() && matches_prefix(rest, &text[1..]),
        Some((Pat::Unit(c), rest)) => text.first() == Some(c) && matches_prefix(rest, &text[1..]),
    }
}

/// `SEARCH(find_text, within_text, [start_num])`: case-insensitive, with wildcards.
pub(super) fn search(a: &[Value]) -> FnResult {
    let needle = utf16(&fold_case(&args::text(a, 0)?));
    let hay = utf16(&fold_case(&args::text(a, 1)?));
    let start = position(a, 2, 1.0)?;
    if start > hay.len() {
        return Err(ErrorKind::Value);
    }
    let pat = pattern(&needle);
    (start - 1..=hay.len())
        .find(|&i| matches_prefix(&pat, &hay[i..]))
        .map(|i| Value::Number((i + 1) as f64))
        .ok_or(ErrorKind::Value)
}

/// `SUBSTITUTE(text, old_text, new_text, [instance_num])`
pub(super) fn substitute(a: &[Value]) -> FnResult {
    let text = args::text(a, 0)?;
    let old = args::text(a, 1)?;
    let new = args::text(a, 2)?;
    let instance = match a.get(3) {
        None => None,
        Some(_) => Some(position(a, 3, 1.0)?),
    };
    if old.is_empty() {
        return Ok(Value::Text(text));
    }
    let out = match instance {
        None => text.replace(&*old, &new),
        Some(n) => match text.match_indices(&*old).nth(n - 1) {
            Some((i, _)) => format!("{}{}{}", &text[..i], new, &text[i + old.len()..]),
            None => return Ok(Value::Text(text)),
        },
    };
    checked(out)
}

/// `REPLACE(old_text, start_num, num_chars, new_text)`
pub(super) fn replace(a: &[Value]) -> FnResult {
    let s = utf16(&args::text(a, 0)?);
    let start = position(a, 1, 1.0)?;
    let n = count_or(a, 2, 0.0)?;
    let new = args::text(a, 3)?;
    let from = (start - 1).min(s.len());
    let to = from.saturating_add(n).min(s.len());
    let mut out = String::from_utf16_lossy(&s[..from]);
    out.push_str(&new);
    out.push_str(&String::from_utf16_lossy(&s[to..]));
    checked(out)
}

/// `REPT(text, number_times)`
pub(super) fn rept(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    let n = args::num(a, 1)?.trunc();
    if n < 0.0 || s.encode_utf16().count() as f64 * n > MAX_LEN as f64 {
        return Err(ErrorKind::Value);
    }
    Ok(Value::from(s.repeat(n as usize)))
}

/// `EXACT(text1, text2)`: case-sensitive comparison of the texts.
pub(super) fn exact(a: &[Value]) -> FnResult {
    let x = args::text(a, 0)?;
    let y = args::text(a, 1)?;
    Ok(Value::Bool(x == y))
}

// ── Case and cleaning ──────────────────────────────────────────────────────────────────────

/// Maps each character through `f`, keeping those whose mapping is not a single character
/// (`ß` stays `ß` in upper case, as in Excel).
fn map_chars<I: Iterator<Item = char>>(s: &str, f: impl Fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let mut it = f(c);
            match (it.next(), it.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// `UPPER(text)`
pub(super) fn upper(a: &[Value]) -> FnResult {
    Ok(Value::from(map_chars(&args::text(a, 0)?, char::to_uppercase)))
}

/// `LOWER(text)`
pub(super) fn lower(a: &[Value]) -> FnResult {
    Ok(Value::from(map_chars(&args::text(a, 0)?, char::to_lowercase)))
}

/// `PROPER(text)`: a letter after a non-letter is upper case, other letters lower case.
pub(super) fn proper(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if c.is_alphabetic() {
            let one = c.encode_utf8(&mut buf);
            out.push_str(&if prev_letter {
                map_chars(one, char::to_lowercase)
            } else {
                map_chars(one, char::to_uppercase)
            });
            prev_letter = true;
        } else {
            out.push(c);
            prev_letter = false;
        }
    }
    Ok(Value::from(out))
}

/// `TRIM(text)`: removes leading and trailing spaces, and reduces inner runs to one space.
pub(super) fn trim(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    Ok(Value::from(s.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")))
}

/// `CLEAN(text)`: removes the control characters 0–31.
pub(super) fn clean(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    Ok(Value::from(s.chars().filter(|&c| u32::from(c) >= 32).collect::<String>()))
}

// ── Characters ─────────────────────────────────────────────────────────────────────────────

/// Windows-1252 characters 0x80–0x9F (the five undefined ones map to C1 controls).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{02C6}',
    '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}',
    '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}',
    '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// `CHAR(number)`: the Windows-1252 character of a code 1–255.
pub(super) fn char_(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?.trunc();
    if !(1.0..=255.0).contains(&n) {
        return Err(ErrorKind::Value);
    }
    let n = n as u32;
    let c = if (0x80..0xA0).contains(&n) {
        CP1252_HIGH[(n - 0x80) as usize]
    } else {
        char::from_u32(n).ok_or(ErrorKind::Value)?
    };
    Ok(Value::from(c.to_string()))
}

/// `CODE(text)`: the Windows-1252 code of the first character (63, `?`, when it has none).
pub(super) fn code(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    let c = s.chars().next().ok_or(ErrorKind::Value)?;
    let n = u32::from(c);
    let code = if n < 0x80 || (0xA0..=0xFF).contains(&n) {
        n
    } else {
        CP1252_HIGH.iter().position(|&x| x == c).map_or(63, |i| 0x80 + i as u32)
    };
    Ok(Value::Number(f64::from(code)))
}

/// `UNICHAR(number)`
pub(super) fn unichar(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?.trunc();
    if !(1.0..=1_114_111.0).contains(&n) {
        return Err(ErrorKind::Value);
    }
    let c = char::from_u32(n as u32).ok_or(ErrorKind::NA)?;
    Ok(Value::from(c.to_string()))
}

/// `UNICODE(text)`: the code point of the first character.
pub(super) fn unicode(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    let c = s.chars().next().ok_or(ErrorKind::Value)?;
    Ok(Value::Number(f64::from(u32::from(c))))
}

// ── Conversions ────────────────────────────────────────────────────────────────────────────

fn format_error(_: FormatError) -> ErrorKind {
    ErrorKind::Value
}

/// `TEXT(value, format_text)`: numbers (and text that reads as a number) with a number
/// format (see [`format`]); other text goes through the format's text section.
pub(super) fn text(a: &[Value]) -> FnResult {
    let value = a.first().cloned().unwrap_or(Value::Blank);
    if let Value::Error(e) = value {
        return Err(e);
    }
    let code = args::text(a, 1)?;
    let out = match value {
        Value::Number(n) => format::format_number(n, &code),
        Value::Blank => format::format_number(0.0, &code),
        Value::Bool(b) => Ok(if b { "TRUE" } else { "FALSE" }.to_owned()),
        Value::Text(s) => match parse_number(&s) {
            Some(n) => format::format_number(n, &code),
            None => format::format_text(&s, &code),
        },
        Value::Error(e) => return Err(e),
        Value::Array(_) => return Err(ErrorKind::Value),
    };
    Ok(Value::from(out.map_err(format_error)?))
}

/// `VALUE(text)`
pub(super) fn value(a: &[Value]) -> FnResult {
    match a.first() {
        Some(Value::Number(n)) => Ok(Value::Number(*n)),
        None | Some(Value::Blank) => Ok(Value::Number(0.0)),
        Some(Value::Error(e)) => Err(*e),
        Some(Value::Text(s)) => parse_number(s).map(Value::Number).ok_or(ErrorKind::Value),
        Some(_) => Err(ErrorKind::Value),
    }
}

/// A separator argument of `NUMBERVALUE`: its first character.
fn separator(a: &[Value], i: usize, default: char) -> Result<char, ErrorKind> {
    match a.get(i) {
        None => Ok(default),
        Some(_) => args::text(a, i)?.chars().next().ok_or(ErrorKind::Value),
    }
}

/// `NUMBERVALUE(text, [decimal_separator], [group_separator])`: spaces are ignored, trailing
/// `%` signs divide by 100 each.
pub(super) fn numbervalue(a: &[Value]) -> FnResult {
    let s = args::text(a, 0)?;
    let dec = separator(a, 1, '.')?;
    let group = separator(a, 2, ',')?;
    if dec == group {
        return Err(ErrorKind::Value);
    }
    let mut t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(Value::Number(0.0));
    }
    let mut percent = 0;
    while let Some(rest) = t.strip_suffix('%') {
        t = rest.to_owned();
        percent += 1;
    }
    let dec_pos = t.find(dec);
    if t.matches(dec).count() > 1 || dec_pos.is_some_and(|p| t[p..].contains(group)) {
        return Err(ErrorKind::Value);
    }
    let plain: String = t.chars().filter(|&c| c != group).map(|c| if c == dec { '.' } else { c }).collect();
    let valid = !plain.is_empty()
        && plain.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-' | 'e' | 'E'))
        && plain.chars().any(|c| c.is_ascii_digit());
    let n: f64 = if valid { plain.parse().map_err(|_| ErrorKind::Value)? } else { return Err(ErrorKind::Value) };
    Ok(Value::number(n / 100f64.powi(percent)))
}

/// Rounds and formats for `FIXED` and `DOLLAR`.
fn fixed_format(n: f64, decimals: f64, positive: &str, negative: Option<&str>) -> FnResult {
    if decimals > 127.0 {
        return Err(ErrorKind::Value);
    }
    let d = decimals.trunc().max(-400.0) as i32;
    let rounded = format::round_decimal(n, d);
    let frac = if d > 0 { format!(".{}", "0".repeat(d as usize)) } else { String::new() };
    let mut code = positive.replace('F', &frac);
    if let Some(neg) = negative {
        code.push(';');
        code.push_str(&neg.replace('F', &frac));
    }
    Ok(Value::from(format::format_number(rounded, &code).map_err(format_error)?))
}

/// `FIXED(number, [decimals], [no_commas])`
pub(super) fn fixed(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let decimals = args::num_or(a, 1, 2.0)?;
    let no_commas = args::boolean_or(a, 2, false)?;
    fixed_format(n, decimals, if no_commas { "0F" } else { "#,##0F" }, None)
}

/// `DOLLAR(number, [decimals])`: `$1,234.57`, negatives in parentheses.
pub(super) fn dollar(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let decimals = args::num_or(a, 1, 2.0)?;
    fixed_format(n, decimals, "$#,##0F", Some("($#,##0F)"))
}

/// `T(value)`: the text, or "" for anything else.
pub(super) fn t(a: &[Value]) -> FnResult {
    match a.first() {
        Some(Value::Text(s)) => Ok(Value::Text(s.clone())),
        Some(Value::Error(e)) => Err(*e),
        _ => Ok(Value::from("")),
    }
}

/// A value as `VALUETOTEXT`/`ARRAYTOTEXT` write it; `strict` quotes text.
fn value_text(v: &Value, strict: bool) -> String {
    match v {
        Value::Text(s) if strict => format!("\"{}\"", s.replace('"', "\"\"")),
        Value::Error(e) => e.as_str().to_owned(),
        v => v.to_text().map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn strict_flag(v: Option<&Value>) -> Result<bool, ErrorKind> {
    match v {
        None | Some(Value::Blank) => Ok(false),
        Some(v) => match v.to_number()?.trunc() {
            0.0 => Ok(false),
            1.0 => Ok(true),
            _ => Err(ErrorKind::Value),
        },
    }
}

/// `VALUETOTEXT(value, [format])`: 0 concise, 1 strict (text in quotes).
pub(super) fn valuetotext(a: &[Value]) -> FnResult {
    let strict = strict_flag(a.get(1))?;
    Ok(Value::from(value_text(a.first().unwrap_or(&Value::Blank), strict)))
}

/// `ARRAYTOTEXT(array, [format])`: concise `a, b, c`, or strict `{"a",1;TRUE,2}`.
pub(super) fn arraytotext(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = ev.array(&a[0])?;
    let strict = match a.get(1) {
        None => false,
        Some(_) => strict_flag(Some(&args::scalar(ev, a, 1)))?,
    };
    let out = if strict {
        let rows: Vec<String> = (0..arr.rows())
            .map(|r| {
                (0..arr.cols())
                    .map(|c| arr.get(r, c).map_or(String::new(), |v| value_text(v, true)))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        format!("{{{}}}", rows.join(";"))
    } else {
        arr.values().iter().map(|v| value_text(v, false)).collect::<Vec<_>>().join(", ")
    };
    Ok(checked(out)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::eval_formula as eval;

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    fn n(x: f64) -> Value {
        Value::Number(x)
    }

    #[test]
    fn cutting_counts_utf16_units() {
        assert_eq!(len(&[s("園田 直子  ")]), Ok(n(7.0)));
        assert_eq!(len(&[s("😀a")]), Ok(n(3.0)));
        assert_eq!(left(&[s("A wonderful")]), Ok(s("A")));
        assert_eq!(left(&[s("abc"), n(-1.0)]), Err(ErrorKind::Value));
        assert_eq!(right(&[s("abc"), n(100.0)]), Ok(s("abc")));
        assert_eq!(mid(&[s("A Wonderful World"), n(1.3), n(7.3)]), Ok(s("A Wonde")));
        assert_eq!(mid(&[s("abc"), n(0.0), n(1.0)]), Err(ErrorKind::Value));
        assert_eq!(mid(&[s("abc"), n(5.0), n(1.0)]), Ok(s("")));
        assert_eq!(replace(&[s("abcdef"), n(2.0), n(3.0), s("X")]), Ok(s("aXef")));
    }

    #[test]
    fn find_and_search() {
        assert_eq!(find(&[s("Ana"), s("Banana")]), Err(ErrorKind::Value));
        assert_eq!(find(&[s("ana"), s("Banana")]), Ok(n(2.0)));
        assert_eq!(find(&[s("ana"), s("ana"), n(2.0)]), Err(ErrorKind::Value));
        assert_eq!(find(&[s("~"), s("Hi ~Bang!")]), Ok(n(4.0)));
        assert_eq!(search(&[s("ns??i"), s("Einstein")]), Ok(n(3.0)));
        assert_eq!(search(&[s("ns?i"), s("Einstein")]), Err(ErrorKind::Value));
        assert_eq!(search(&[s("*~?"), s("Late?")]), Ok(n(1.0)));
        assert_eq!(search(&[s("~?"), s("Late?")]), Ok(n(5.0)));
        assert_eq!(search(&[s("~"), s("Hello")]), Ok(n(1.0)));
        assert_eq!(search(&[s("~~*"), s("Ho*la")]), Err(ErrorKind::Value));
        assert_eq!(search(&[s("h"), s("Hello")]), Ok(n(1.0)));
    }

    #[test]
    fn substitute_and_rept() {
        let t = s("My old, very old fears");
        assert_eq!(substitute(&[t.clone(), s("old"), s("new")]), Ok(s("My new, very new fears")));
        assert_eq!(substitute(&[t.clone(), s("old"), s("new"), n(2.0)]), Ok(s("My old, very new fears")));
        assert_eq!(substitute(&[t.clone(), s("old"), s("new"), n(0.0)]), Err(ErrorKind::Value));
        assert_eq!(substitute(&[t.clone(), s(""), s("new")]), Ok(t));
        assert_eq!(rept(&[s("ab"), n(2.9)]), Ok(s("abab")));
        assert_eq!(rept(&[s("Hwllo"), n(123456789.0)]), Err(ErrorKind::Value));
    }

    #[test]
    fn case_and_cleaning() {
        assert_eq!(proper(&[s("1 gentelman 3 links it's")]), Ok(s("1 Gentelman 3 Links It'S")));
        assert_eq!(trim(&[s("  a   b  ")]), Ok(s("a b")));
        assert_eq!(clean(&[s("a\u{7}b\nc")]), Ok(s("abc")));
        assert_eq!(upper(&[s("straße")]), Ok(s("STRAßE")));
        assert_eq!(exact(&[n(1.0 / 3.0), n(0.333333333333333)]), Ok(Value::Bool(true)));
        assert_eq!(exact(&[s("Hwy"), s("HWY")]), Ok(Value::Bool(false)));
    }

    #[test]
    fn characters() {
        assert_eq!(char_(&[n(65.0)]), Ok(s("A")));
        assert_eq!(char_(&[n(128.0)]), Ok(s("€")));
        assert_eq!(char_(&[n(256.0)]), Err(ErrorKind::Value));
        assert_eq!(code(&[s("€")]), Ok(n(128.0)));
        assert_eq!(code(&[s("中")]), Ok(n(63.0)));
        assert_eq!(unicode(&[n(160.0)]), Ok(n(49.0)));
        assert_eq!(unicode(&[s("")]), Err(ErrorKind::Value));
        assert_eq!(unichar(&[n(0xD800 as f64)]), Err(ErrorKind::NA));
    }

    #[test]
    fn conversions() {
        assert_eq!(text(&[n(1234.567), s("$#,##0.00")]), Ok(s("$1,234.57")));
        assert_eq!(text(&[s("12"), s("0.00")]), Ok(s("12.00")));
        assert_eq!(text(&[s("abc"), s("0.00")]), Ok(s("abc")));
        assert_eq!(text(&[n(41181.0), s("mm###")]), Err(ErrorKind::Value));
        assert_eq!(value(&[s("23.123%")]), Ok(n(0.23123)));
        assert_eq!(value(&[s("12€")]), Ok(n(12.0)));
        assert_eq!(value(&[s("")]), Err(ErrorKind::Value));
        assert_eq!(value(&[Value::Bool(true)]), Err(ErrorKind::Value));
        assert_eq!(numbervalue(&[s("2.500,27"), s(","), s(".")]), Ok(n(2500.27)));
        assert_eq!(numbervalue(&[s(" 3 000 ")]), Ok(n(3000.0)));
        assert_eq!(numbervalue(&[s("1.2.3")]), Err(ErrorKind::Value));
        assert_eq!(numbervalue(&[s("9%%")]), Ok(n(0.0009)));
        assert_eq!(fixed(&[n(1234.567), n(1.0)]), Ok(s("1,234.6")));
        assert_eq!(fixed(&[n(-1234.567), n(-1.0), Value::Bool(true)]), Ok(s("-1230")));
        assert_eq!(dollar(&[n(-1234.567), n(-2.0)]), Ok(s("($1,200)")));
        assert_eq!(dollar(&[n(0.125)]), Ok(s("$0.13")));
        assert_eq!(valuetotext(&[s("a\"b"), n(1.0)]), Ok(s("\"a\"\"b\"")));
        assert_eq!(valuetotext(&[Value::Error(ErrorKind::Div0)]), Ok(s("#DIV/0!")));
        assert_eq!(t(&[n(1.0)]), Ok(s("")));
    }

    #[test]
    fn joining_reads_ranges() {
        let cells = [("B1", "Monday"), ("D1", "Wednesday"), ("B2", "x"), ("C2", "y")];
        assert_eq!(eval("=TEXTJOIN(\",\",TRUE,B1:E1)", &cells), s("Monday,Wednesday"));
        assert_eq!(eval("=TEXTJOIN(\",\",FALSE,B1:E1)", &cells), s("Monday,,Wednesday,"));
        assert_eq!(eval("=TEXTJOIN(B2:C2,TRUE,1,2,3,4)", &cells), s("1x2y3x4"));
        assert_eq!(eval("=TEXTJOIN(\",\",TRUE,B1,1/0)", &cells), Value::Error(ErrorKind::Div0));
        assert_eq!(eval("=CONCAT(B1:D1,\"!\",{1,2})", &cells), s("MondayWednesday!12"));
        assert_eq!(eval("=CONCATENATE(B1,\" \",TRUE)", &cells), s("Monday TRUE"));
        assert_eq!(eval("=ARRAYTOTEXT({1,\"a\";TRUE,#N/A},1)", &[]), s("{1,\"a\";TRUE,#N/A}"));
        assert_eq!(eval("=ARRAYTOTEXT({1,\"a\";TRUE,#N/A})", &[]), s("1, a, TRUE, #N/A"));
    }

    #[test]
    fn textsplit_pads_ragged_rows() {
        let split = |f: &str| match eval(f, &[]) {
            Value::Array(a) => a.values().iter().map(|v| v.to_string()).collect::<Vec<_>>().join("|"),
            other => other.to_string(),
        };
        assert_eq!(split("=INDEX(TEXTSPLIT(\"1,2;3\",\",\",\";\"),2,2)"), "#N/A");
        assert_eq!(split("=INDEX(TEXTSPLIT(\"1,2;3\",\",\",\";\",,,\"-\"),2,2)"), "-");
        assert_eq!(split("=INDEX(TEXTSPLIT(\"1,,2\",\",\",,TRUE),1,2)"), "2");
        assert_eq!(split("=INDEX(TEXTSPLIT(\"aXbxc\",\"x\",,,1),1,3)"), "c");
        assert_eq!(split("=TEXTSPLIT(\"abc\",\"\")"), "#VALUE!");
    }

    #[test]
    fn text_before_and_after() {
        let t = s("123 the 456 the 891");
        assert_eq!(textafter(&[t.clone(), s("the")]), Ok(s(" 456 the 891")));
        assert_eq!(textafter(&[t.clone(), s("the"), n(-1.0)]), Ok(s(" 891")));
        assert_eq!(textbefore(&[t.clone(), s("the"), n(-1.6)]), Ok(s("123 ")));
        assert_eq!(textafter(&[t.clone(), s("THE")]), Err(ErrorKind::NA));
        assert_eq!(textafter(&[t.clone(), s("THE"), n(2.0), n(1.0)]), Ok(s(" 891")));
        assert_eq!(textafter(&[t.clone(), s("x"), n(1.0), n(1.0), n(1.0)]), Ok(s("")));
        assert_eq!(textbefore(&[t.clone(), s("x"), n(-1.0), n(1.0), n(1.0)]), Ok(s("")));
        assert_eq!(textafter(&[t.clone(), s("x"), n(1.0), n(1.0), n(2.0)]), Err(ErrorKind::Value));
        assert_eq!(textafter(&[t, s("the"), n(0.0)]), Err(ErrorKind::Value));
        assert_eq!(textafter(&[s("del"), s("deli")]), Err(ErrorKind::NA));
        assert_eq!(textafter(&[s("del"), s("deli"), n(1.0)]), Err(ErrorKind::Value));
    }
}
