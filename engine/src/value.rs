//! Cell values as Excel sees them: numbers, text, booleans, blanks, errors and arrays.
//!
//! Excel's implicit conversions live here too, so that every function converts the same way:
//! [`Value::to_number`] (text `"1,234.5"`, `"12%"`, `"$3"`, dates and times become numbers),
//! [`Value::to_text`] (numbers in the General format), [`Value::to_bool`], and
//! [`compare`], Excel's ordering of mixed types with its 15-significant-digit equality
//! (`=0.1+0.2=0.3` is TRUE).

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// Excel's error values. They travel through formulas as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ErrorKind {
    /// `#NULL!`: an intersection of ranges that do not intersect.
    Null,
    /// `#DIV/0!`: division by zero.
    Div0,
    /// `#VALUE!`: an argument of the wrong type.
    Value,
    /// `#REF!`: a reference that does not exist.
    Ref,
    /// `#NAME?`: an unknown function or name.
    Name,
    /// `#NUM!`: a number out of the domain of a function.
    Num,
    /// `#N/A`: a value that is not available (failed lookups, `NA()`).
    NA,
    /// `#GETTING_DATA`
    GettingData,
    /// `#SPILL!`: a dynamic array that cannot spill.
    Spill,
    /// `#CALC!`: a calculation the engine cannot do (empty arrays, nested arrays).
    Calc,
}

impl ErrorKind {
    /// Every error, in the order of [`ErrorKind::type_code`].
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Null,
        ErrorKind::Div0,
        ErrorKind::Value,
        ErrorKind::Ref,
        ErrorKind::Name,
        ErrorKind::Num,
        ErrorKind::NA,
        ErrorKind::GettingData,
        ErrorKind::Spill,
        ErrorKind::Calc,
    ];

    /// The literal Excel shows, e.g. `#DIV/0!`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Null => "#NULL!",
            ErrorKind::Div0 => "#DIV/0!",
            ErrorKind::Value => "#VALUE!",
            ErrorKind::Ref => "#REF!",
            ErrorKind::Name => "#NAME?",
            ErrorKind::Num => "#NUM!",
            ErrorKind::NA => "#N/A",
            ErrorKind::GettingData => "#GETTING_DATA",
            ErrorKind::Spill => "#SPILL!",
            ErrorKind::Calc => "#CALC!",
        }
    }

    /// Parses an error literal (case-insensitive), e.g. `#n/a`.
    pub fn parse(text: &str) -> Option<ErrorKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(text))
            .or_else(|| text.eq_ignore_ascii_case("#DATA!").then_some(ErrorKind::GettingData))
    }

    /// The number `ERROR.TYPE` returns.
    pub fn type_code(self) -> u8 {
        match self {
            ErrorKind::Null => 1,
            ErrorKind::Div0 => 2,
            ErrorKind::Value => 3,
            ErrorKind::Ref => 4,
            ErrorKind::Name => 5,
            ErrorKind::Num => 6,
            ErrorKind::NA => 7,
            ErrorKind::GettingData => 8,
            ErrorKind::Spill => 9,
            ErrorKind::Calc => 14,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rectangular array of values, row-major (array constants, ranges read as arrays, and the
/// results of array formulas).
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    rows: usize,
    cols: usize,
    values: Vec<Value>,
}

impl Array {
    /// An array from row-major values. `values.len()` must be `rows * cols` (both ≥ 1).
    pub fn new(rows: usize, cols: usize, values: Vec<Value>) -> Array {
        debug_assert_eq!(rows * cols, values.len());
        debug_assert!(rows > 0 && cols > 0);
        Array { rows, cols, values }
    }

    /// A `rows × cols` array holding `value` everywhere.
    pub fn filled(rows: usize, cols: usize, value: Value) -> Array {
        Array::new(rows, cols, vec![value; rows * cols])
    }

    /// An array from rows of equal length; `None` if they are ragged or empty.
    pub fn from_rows(rows: Vec<Vec<Value>>) -> Option<Array> {
        let cols = rows.first()?.len();
        if cols == 0 || rows.iter().any(|r| r.len() != cols) {
            return None;
        }
        let n = rows.len();
        Some(Array::new(n, cols, rows.into_iter().flatten().collect()))
    }

    /// A single column.
    pub fn column(values: Vec<Value>) -> Option<Array> {
        (!values.is_empty()).then(|| Array::new(values.len(), 1, values))
    }

    /// A single row.
    pub fn row(values: Vec<Value>) -> Option<Array> {
        (!values.is_empty()).then(|| Array::new(1, values.len(), values))
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The element at `(row, col)`, zero-based.
    pub fn get(&self, row: usize, col: usize) -> Option<&Value> {
        if row < self.rows && col < self.cols { self.values.get(row * self.cols + col) } else { None }
    }

    /// Excel's broadcasting read: a single row or column (or a 1×1 array) repeats along the
    /// other dimension; outside the array the element is `#N/A`.
    pub fn get_broadcast(&self, row: usize, col: usize) -> Value {
        let r = if self.rows == 1 { 0 } else { row };
        let c = if self.cols == 1 { 0 } else { col };
        self.get(r, c).cloned().unwrap_or(Value::Error(ErrorKind::NA))
    }

    /// All elements, row-major.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Consumes the array into its row-major elements.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// Elements with their `(row, col)`.
    pub fn iter_indexed(&self) -> impl Iterator<Item = (usize, usize, &Value)> {
        let cols = self.cols;
        self.values.iter().enumerate().map(move |(i, v)| (i / cols, i % cols, v))
    }

    /// Applies `f` to every element.
    pub fn map(&self, mut f: impl FnMut(&Value) -> Value) -> Array {
        Array::new(self.rows, self.cols, self.values.iter().map(&mut f).collect())
    }

    /// The transpose.
    pub fn transpose(&self) -> Array {
        let mut out = Vec::with_capacity(self.values.len());
        for c in 0..self.cols {
            for r in 0..self.rows {
                out.push(self.values[r * self.cols + c].clone());
            }
        }
        Array::new(self.cols, self.rows, out)
    }
}

/// A value: what a cell holds, what an expression evaluates to.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    /// An empty cell (or an omitted argument).
    #[default]
    Blank,
    /// A number (dates and times are numbers too).
    Number(f64),
    /// Text.
    Text(Arc<str>),
    /// TRUE or FALSE.
    Bool(bool),
    /// An error value.
    Error(ErrorKind),
    /// An array (only in array contexts; a cell never holds one).
    Array(Arc<Array>),
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<ErrorKind> for Value {
    fn from(e: ErrorKind) -> Value {
        Value::Error(e)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(Arc::from(s))
    }
}

impl From<Result<f64, ErrorKind>> for Value {
    fn from(r: Result<f64, ErrorKind>) -> Value {
        match r {
            Ok(n) => Value::number(n),
            Err(e) => Value::Error(e),
        }
    }
}

impl From<Array> for Value {
    fn from(a: Array) -> Value {
        Value::Array(Arc::new(a))
    }
}

impl Value {
    /// A number, or `#NUM!` when it is not finite (Excel has no infinities or NaN). `-0` is `0`.
    pub fn number(n: f64) -> Value {
        if n.is_finite() { Value::Number(if n == 0.0 { 0.0 } else { n }) } else { Value::Error(ErrorKind::Num) }
    }

    /// Text value.
    pub fn text(s: impl Into<Arc<str>>) -> Value {
        Value::Text(s.into())
    }

    /// Is this an error value?
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    /// The error, if this is one.
    pub fn error(&self) -> Option<ErrorKind> {
        match self {
            Value::Error(e) => Some(*e),
            _ => None,
        }
    }

    /// The number, if this is one (no conversion).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// Excel's conversion to a number for arithmetic: blank is 0, TRUE is 1, numeric text is
    /// parsed (`"1,000"`, `"5%"`, `"$3"`, `"2020-01-31"`, `"12:30"`), other text is `#VALUE!`.
    /// Arrays convert through their top-left element.
    pub fn to_number(&self) -> Result<f64, ErrorKind> {
        match self {
            Value::Number(n) => Ok(*n),
            Value::Blank => Ok(0.0),
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            Value::Text(s) => parse_number(s).ok_or(ErrorKind::Value),
            Value::Error(e) => Err(*e),
            Value::Array(a) => a.get(0, 0).map_or(Err(ErrorKind::Value), Value::to_number),
        }
    }

    /// Excel's conversion to text: numbers in the General format, `TRUE`/`FALSE`, blank is "".
    pub fn to_text(&self) -> Result<Arc<str>, ErrorKind> {
        match self {
            Value::Text(s) => Ok(s.clone()),
            Value::Number(n) => Ok(Arc::from(format_general(*n))),
            Value::Bool(true) => Ok(Arc::from("TRUE")),
            Value::Bool(false) => Ok(Arc::from("FALSE")),
            Value::Blank => Ok(Arc::from("")),
            Value::Error(e) => Err(*e),
            Value::Array(a) => a.get(0, 0).map_or(Err(ErrorKind::Value), Value::to_text),
        }
    }

    /// Excel's conversion to a boolean: numbers are TRUE unless 0, text `"TRUE"`/`"FALSE"`
    /// (any case), blank is FALSE, other text is `#VALUE!`.
    pub fn to_bool(&self) -> Result<bool, ErrorKind> {
        match self {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) => Ok(*n != 0.0),
            Value::Blank => Ok(false),
            Value::Text(s) => {
                if s.eq_ignore_ascii_case("TRUE") {
                    Ok(true)
                } else if s.eq_ignore_ascii_case("FALSE") {
                    Ok(false)
                } else {
                    Err(ErrorKind::Value)
                }
            }
            Value::Error(e) => Err(*e),
            Value::Array(a) => a.get(0, 0).map_or(Err(ErrorKind::Value), Value::to_bool),
        }
    }

    /// The name of the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Blank => "blank",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::Bool(_) => "boolean",
            Value::Error(_) => "error",
            Value::Array(_) => "array",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Blank => Ok(()),
            Value::Number(n) => f.write_str(&format_general(*n)),
            Value::Text(s) => f.write_str(s),
            Value::Bool(true) => f.write_str("TRUE"),
            Value::Bool(false) => f.write_str("FALSE"),
            Value::Error(e) => f.write_str(e.as_str()),
            Value::Array(a) => write!(f, "{{array {}x{}}}", a.rows(), a.cols()),
        }
    }
}

/// Rounds to 15 significant digits, the precision Excel shows and compares with.
pub fn round_significant(n: f64, digits: usize) -> f64 {
    if !n.is_finite() || n == 0.0 {
        return n;
    }
    format!("{:.*e}", digits.saturating_sub(1), n).parse::<f64>().unwrap_or(n)
}

/// A number as Excel's General format writes it when converting to text (`&`, `CONCATENATE`,
/// `TEXT(x,"General")`): at most 15 significant digits, no trailing zeros, scientific notation
/// (`1.5E+20`, `1E-11`) outside the range Excel writes in full.
pub fn format_general(n: f64) -> String {
    if n == 0.0 {
        return "0".to_owned();
    }
    let sci = format!("{:.14e}", n);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if negative { "-" } else { "" };
    if !(-10..=14).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() { first.to_owned() } else { format!("{first}.{rest}") };
        let esign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}E{esign}{:02}", exponent.abs());
    }
    let n_digits = digits.len() as i32;
    if exponent >= 0 {
        let int_len = exponent + 1;
        if n_digits <= int_len {
            format!("{sign}{digits}{}", "0".repeat((int_len - n_digits) as usize))
        } else {
            let (int_part, frac) = digits.split_at(int_len as usize);
            format!("{sign}{int_part}.{frac}")
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize))
    }
}

/// Parses text the way Excel converts it to a number: optional sign, thousands separators,
/// decimal point, exponent, a trailing `%`, a currency sign (`$3`, `€3`, `3€`), parentheses
/// for negatives, surrounding spaces, and dates/times without surrounding spaces
/// (`2020-01-31`, `1/31/2020`, `31-Jan-2020`, `12:30`, `1:30 PM`).
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(n) = parse_plain_number(t) {
        return Some(n);
    }
    // Excel reads " 10 " as 10 but refuses " 2024-01-10 ": dates and times only without
    // surrounding spaces.
    if t.len() != text.len() {
        return None;
    }
    crate::datetime::parse_datetime_text(t)
}

fn parse_plain_number(t: &str) -> Option<f64> {
    let (negative_paren, t) = match t.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, t),
    };
    let (sign, t) = match t.as_bytes().first()? {
        b'-' => (-1.0, t[1..].trim_start()),
        b'+' => (1.0, t[1..].trim_start()),
        _ => (1.0, t),
    };
    // A currency sign before the number (`$3`, `€3`) or the euro sign after it (`3€`).
    let t = t.strip_prefix(['$', '€']).map_or(t, str::trim_start);
    let t = t.strip_suffix('€').map_or(t, str::trim_end);
    let (t, percent) = match t.strip_suffix('%') {
        Some(s) => (s.trim_end(), true),
        None => (t, false),
    };
    if t.is_empty() {
        return None;
    }
    // Thousands separators are allowed in the integer part, in groups of three.
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let int_clean: String = if int_part.contains(',') {
        let groups: Vec<&str> = int_part.split(',').collect();
        let ok =
            groups.first().is_some_and(|g| !g.is_empty() && g.len() <= 3) && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return None;
        }
        groups.concat()
    } else {
        int_part.to_owned()
    };
    if !int_clean.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()))
        || (int_clean.is_empty() && frac_part.is_none_or(str::is_empty))
    {
        return None;
    }
    let mut s = int_clean;
    if let Some(f) = frac_part {
        s.push('.');
        s.push_str(f);
    }
    let mut exponent: i32 = 0;
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        exponent = e.parse().ok()?;
    }
    // A percentage shifts the exponent, so that "23.123%" reads as 0.23123 exactly.
    if percent {
        exponent -= 2;
    }
    if exponent != 0 {
        s.push('e');
        s.push_str(&exponent.to_string());
    }
    let mut n: f64 = s.parse().ok()?;
    n *= sign;
    if negative_paren {
        n = -n;
    }
    n.is_finite().then_some(n)
}

/// Are two numbers equal the way Excel's `=` sees them (15 significant digits)?
pub fn numbers_equal(a: f64, b: f64) -> bool {
    a == b || round_significant(a, 15) == round_significant(b, 15)
}

/// Compares two numbers with Excel's 15-digit tolerance.
pub fn compare_numbers(a: f64, b: f64) -> Ordering {
    if numbers_equal(a, b) { Ordering::Equal } else { a.partial_cmp(&b).unwrap_or(Ordering::Equal) }
}

/// Case-insensitive text comparison, as Excel's comparison operators do.
pub fn compare_text(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        let (x, y) = (a.as_bytes(), b.as_bytes());
        for (p, q) in x.iter().zip(y) {
            match p.to_ascii_lowercase().cmp(&q.to_ascii_lowercase()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        return x.len().cmp(&y.len());
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// Excel's ordering of two scalar values for the comparison operators: numbers < text <
/// booleans; a blank is 0, "" or FALSE depending on the other side. Errors must be handled
/// by the caller (they propagate).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) | Value::Blank => 0,
            Value::Text(_) => 1,
            Value::Bool(_) => 2,
            Value::Error(_) | Value::Array(_) => 3,
        }
    }
    match (a, b) {
        (Value::Blank, Value::Blank) => Ordering::Equal,
        (Value::Number(x), Value::Number(y)) => compare_numbers(*x, *y),
        (Value::Number(x), Value::Blank) => compare_numbers(*x, 0.0),
        (Value::Blank, Value::Number(y)) => compare_numbers(0.0, *y),
        (Value::Text(x), Value::Text(y)) => compare_text(x, y),
        (Value::Text(x), Value::Blank) => compare_text(x, ""),
        (Value::Blank, Value::Text(y)) => compare_text("", y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Bool(x), Value::Blank) => x.cmp(&false),
        (Value::Blank, Value::Bool(y)) => false.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_format_matches_excel() {
        assert_eq!(format_general(0.1 + 0.2), "0.3");
        assert_eq!(format_general(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_general(-2.5), "-2.5");
        assert_eq!(format_general(100.0), "100");
        assert_eq!(format_general(123456789012345.0), "123456789012345");
        assert_eq!(format_general(1e20), "1E+20");
        assert_eq!(format_general(1.5e-11), "1.5E-11");
        assert_eq!(format_general(0.0001), "0.0001");
    }

    #[test]
    fn text_to_number() {
        assert_eq!(parse_number(" 1,234.5 "), Some(1234.5));
        assert_eq!(parse_number("5%"), Some(0.05));
        assert_eq!(parse_number("$3"), Some(3.0));
        assert_eq!(parse_number(" €100 "), Some(100.0));
        assert_eq!(parse_number("100€"), Some(100.0));
        assert_eq!(parse_number("2024-01-10"), Some(45_301.0));
        assert_eq!(parse_number(" 2024-01-10 "), None);
        assert_eq!(parse_number("(4)"), Some(-4.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("1,23"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn excel_equality_is_fifteen_digits() {
        assert!(numbers_equal(0.1 + 0.2, 0.3));
        assert!(!numbers_equal(1.0, 1.0 + 1e-12));
        assert_eq!(compare(&Value::from("a"), &Value::from("A")), Ordering::Equal);
        assert_eq!(compare(&Value::Number(1e9), &Value::from("a")), Ordering::Less);
        assert_eq!(compare(&Value::from("z"), &Value::Bool(false)), Ordering::Less);
        assert_eq!(compare(&Value::Blank, &Value::Number(0.0)), Ordering::Equal);
    }

    #[test]
    fn errors_round_trip() {
        for e in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(e.as_str()), Some(e));
        }
        assert_eq!(ErrorKind::parse("#n/a"), Some(ErrorKind::NA));
    }
}
