//! Regular expressions: `REGEXTEST`, `REGEXEXTRACT`, `REGEXREPLACE`, and the regular-expression
//! match mode of `XLOOKUP`/`XMATCH`.
//!
//! Patterns are compiled by the `regex` crate, whose matching time is linear in the text: a
//! hostile pattern in an uploaded workbook cannot hang a worker (Excel uses PCRE2; look-around
//! and back-references, which need backtracking, are not supported and give `#VALUE!`).
//! Compiled patterns are cached per thread, since a pattern is usually repeated down a column.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use super::{FnResult, args};
use crate::value::{Array, ErrorKind, Value};

/// Patterns kept compiled per thread.
const CACHE_SIZE: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<(String, bool), Arc<Regex>>> = RefCell::new(HashMap::new());
}

/// Compiles a pattern (case-insensitively when asked), through the cache. `#VALUE!` when the
/// pattern is invalid.
pub(super) fn compile(pattern: &str, ignore_case: bool) -> Result<Arc<Regex>, ErrorKind> {
    let key = (pattern.to_owned(), ignore_case);
    if let Some(re) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(re);
    }
    let re = Arc::new(
        RegexBuilder::new(pattern)
            .case_insensitive(ignore_case)
            .size_limit(1 << 20)
            .build()
            .map_err(|_| ErrorKind::Value)?,
    );
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

/// The `case_sensitivity` argument: 0 (default) sensitive, 1 insensitive.
fn ignore_case(a: &[Value], i: usize) -> Result<bool, ErrorKind> {
    match args::num_or(a, i, 0.0)?.trunc() {
        0.0 => Ok(false),
        1.0 => Ok(true),
        _ => Err(ErrorKind::Value),
    }
}

/// `REGEXTEST(text, pattern, [case_sensitivity])`
pub(super) fn regextest(a: &[Value]) -> FnResult {
    let re = compile(&args::text(a, 1)?, ignore_case(a, 2)?)?;
    Ok(Value::Bool(re.is_match(&args::text(a, 0)?)))
}

/// `REGEXEXTRACT(text, pattern, [return_mode], [case_sensitivity])`: mode 0 the first match,
/// 1 every match (a row), 2 the capture groups of the first match (a row). No match is `#N/A`.
pub(super) fn regexextract(a: &[Value]) -> FnResult {
    let text = args::text(a, 0)?;
    let re = compile(&args::text(a, 1)?, ignore_case(a, 3)?)?;
    match args::num_or(a, 2, 0.0)?.trunc() {
        0.0 => re.find(&text).map(|m| Value::from(m.as_str())).ok_or(ErrorKind::NA),
        1.0 => {
            let all: Vec<Value> = re.find_iter(&text).map(|m| Value::from(m.as_str())).collect();
            Array::row(all).map(Value::from).ok_or(ErrorKind::NA)
        }
        2.0 => {
            let caps = re.captures(&text).ok_or(ErrorKind::NA)?;
            let groups: Vec<Value> =
                caps.iter().skip(1).map(|g| g.map_or(Value::from(""), |m| Value::from(m.as_str()))).collect();
            Array::row(groups).map(Value::from).ok_or(ErrorKind::NA)
        }
        _ => Err(ErrorKind::Value),
    }
}

/// `REGEXREPLACE(text, pattern, replacement, [occurrence], [case_sensitivity])`: occurrence 0
/// (default) replaces every match, n the n-th, −n the n-th from the end. The replacement may
/// refer to groups as `$1` or `${name}`.
pub(super) fn regexreplace(a: &[Value]) -> FnResult {
    let text = args::text(a, 0)?;
    let re = compile(&args::text(a, 1)?, ignore_case(a, 4)?)?;
    let replacement = args::text(a, 2)?;
    let occurrence = args::num_or(a, 3, 0.0)?.trunc();
    if occurrence == 0.0 {
        return Ok(Value::from(re.replace_all(&text, replacement.as_ref()).into_owned()));
    }
    let matches: Vec<regex::Captures<'_>> = re.captures_iter(&text).collect();
    let index = if occurrence > 0.0 {
        occurrence as usize - 1
    } else {
        match matches.len().checked_sub((-occurrence) as usize) {
            Some(i) => i,
            None => return Ok(Value::from(text.as_ref())),
        }
    };
    let Some(caps) = matches.get(index) else { return Ok(Value::from(text.as_ref())) };
    let Some(whole) = caps.get(0) else { return Ok(Value::from(text.as_ref())) };
    let mut expanded = String::new();
    caps.expand(&replacement, &mut expanded);
    Ok(Value::from(format!("{}{expanded}{}", &text[..whole.start()], &text[whole.end()..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    #[test]
    fn test_extract_replace() {
        assert_eq!(regextest(&[t("Where"), t("[A-Z]her")]), Ok(Value::Bool(true)));
        assert_eq!(regextest(&[t("where"), t("[A-Z]her")]), Ok(Value::Bool(false)));
        assert_eq!(regextest(&[t("where"), t("[A-Z]her"), Value::Number(1.0)]), Ok(Value::Bool(true)));
        assert_eq!(regexextract(&[t("Lonely Planet"), t("[A-Z][a-z]+")]), Ok(t("Lonely")));
        assert_eq!(
            regexextract(&[t("Lonely Planet"), t("[A-Z][a-z]+"), Value::Number(1.0)]),
            Ok(Value::from(Array::new(1, 2, vec![t("Lonely"), t("Planet")])))
        );
        assert_eq!(regexextract(&[t("abc"), t("[0-9]+")]), Err(ErrorKind::NA));
        assert_eq!(
            regexreplace(&[t("JamesBond"), t("([A-Z][a-z]+)([A-Z][a-z]+)"), t("$2, $1 $2")]),
            Ok(t("Bond, James Bond"))
        );
        assert_eq!(regexreplace(&[t("a1b2c3"), t("[0-9]"), t("#"), Value::Number(-1.0)]), Ok(t("a1b2c#")));
        assert_eq!(regextest(&[t("x"), t("(")]), Err(ErrorKind::Value));
    }
}
