//! Excel number formats: a parser of format codes and a formatter, as the `TEXT` function
//! applies them (and, later, cell display and the results formatter).
//!
//! Supported subset of Excel's format language:
//! - up to four sections `positive;negative;zero;text`. With one section a negative number
//!   gets a leading `-`; with two or more the negative section shows the absolute value. A
//!   number whose displayed digits are all zero shows no `-` (`TEXT(-0.2,"0")` is `0`).
//!   Conditions `[>100]`, `[<=-5]`, `[=0]`, `[<>1]` choose the first two sections (the third is
//!   the rest);
//! - digit placeholders `0` (digit or zero), `#` (digit or nothing), `?` (digit or space);
//!   the decimal point `.`; `,` between integer placeholders groups thousands, each `,` after
//!   the last placeholder divides by 1000 (`#,##0,,"M"`); `%` multiplies by 100;
//!   extra integer digits go in front of the first placeholder; literals between placeholders
//!   stay in place (`00-00-00`);
//! - scientific notation `E+00`, `E-00` (`e` too): the exponent is a multiple of the number
//!   of integer placeholders (`##0.0E+0` is engineering notation);
//! - literals: `"text"`, `\x`, `_x` (a space), `*x` (a fill: no width here, so nothing),
//!   `[$€-407]` (the currency text), and any character that is not a code;
//! - `@` (the text of a text value), `General` (Excel's General display, see [`general`]);
//! - colours `[Red]`, `[Color10]` and locales `[$-409]` are accepted and ignored;
//! - dates and times (a section with any date or time code): `y`/`yy` (two-digit year),
//!   `yyy`/`yyyy` (four digits), `m` `mm` `mmm` `mmmm` `mmmmm` (month: number, padded, `Jan`,
//!   `January`, `J`), `d` `dd` `ddd` `dddd` (day, padded, `Sat`, `Saturday`), `h` `hh`, `m`
//!   `mm` (minutes when right after an hour or right before seconds), `s` `ss`, `.0` `.00`
//!   `.000` after seconds (fractions of a second), `AM/PM` `am/pm` `A/P` `a/p` (12-hour
//!   clock), and elapsed time `[h]` `[mm]` `[ss]`. Times are rounded to the smallest unit
//!   shown (seconds or their fraction), then truncated per field. Dates must lie in
//!   `0..=2958465` (9999-12-31), otherwise the format fails (`TEXT` gives `#VALUE!`); so does
//!   a section that mixes date codes with digit placeholders (`mm###`);
//! - fractions: `# ?/?`, `# ??/??` (mixed: the closest fraction whose denominator has at
//!   most that many digits; a zero fraction becomes spaces), `?/?` (improper), `# ?/8` (a
//!   fixed denominator).
//!
//! Not supported: era and Buddhist years (`e`, `g`, `b`), locale specific month names and
//! separators, and fill widths.
//!
//! Rounding is half away from zero on the decimal representation of the number at 15
//! significant digits, as Excel does (`TEXT(2.675,"0.00")` is `2.68`).

use crate::datetime;

/// A format code that cannot be applied: an invalid code, or a date format for a number that
/// is not a valid date. `TEXT` returns `#VALUE!` for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatError;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Lit(String),
    /// `b'0'`, `b'#'` or `b'?'`.
    Digit(u8),
    Point,
    Comma,
    Percent,
    /// `/`: a fraction bar between placeholders, otherwise a literal.
    Slash,
    Exp {
        upper: bool,
        plus: bool,
    },
    At,
    General,
    Year(usize),
    /// `m`…: a month, or minutes once resolved.
    Month(usize),
    Minute(usize),
    Day(usize),
    Hour(usize),
    Second(usize),
    /// Digits of the fraction of a second (`.000`).
    SubSecond(usize),
    /// `[h]`, `[m]`, `[s]`: b'h', b'm', b's' and the width.
    Elapsed(u8, usize),
    AmPm {
        am: &'static str,
        pm: &'static str,
    },
}

impl Tok {
    fn is_date(&self) -> bool {
        matches!(
            self,
            Tok::Year(_)
                | Tok::Month(_)
                | Tok::Minute(_)
                | Tok::Day(_)
                | Tok::Hour(_)
                | Tok::Second(_)
                | Tok::SubSecond(_)
                | Tok::Elapsed(..)
                | Tok::AmPm { .. }
        )
    }

    fn is_digit(&self) -> bool {
        matches!(self, Tok::Digit(_))
    }
}

#[derive(Clone, Debug, Default)]
struct Section {
    toks: Vec<Tok>,
    cond: Option<(Cmp, f64)>,
    date: bool,
}

/// A parsed number format code.
#[derive(Clone, Debug)]
pub struct NumberFormat {
    sections: Vec<Section>,
}

/// Formats a number with a format code (`format_number(1234.5, "#,##0.00")` is `1,234.50`).
pub fn format_number(value: f64, code: &str) -> Result<String, FormatError> {
    NumberFormat::parse(code)?.format_number(value)
}

/// Formats text with a format code: the text section (the fourth, or a single section with
/// `@`) if there is one, otherwise the text unchanged.
pub fn format_text(text: &str, code: &str) -> Result<String, FormatError> {
    Ok(NumberFormat::parse(code)?.format_text(text))
}

impl NumberFormat {
    /// Parses a format code.
    pub fn parse(code: &str) -> Result<NumberFormat, FormatError> {
        let sections = split_sections(code)?.iter().map(|s| parse_section(s)).collect::<Result<Vec<_>, _>>()?;
        Ok(NumberFormat { sections })
    }

    /// Does the format show numbers as dates or times (its first section has date codes)?
    pub fn is_date(&self) -> bool {
        self.sections.first().is_some_and(|s| s.date)
    }

    /// Formats a number.
    pub fn format_number(&self, value: f64) -> Result<String, FormatError> {
        if !value.is_finite() {
            return Err(FormatError);
        }
        let (index, signed) = self.choose(value);
        let Some(sec) = self.sections.get(index) else { return Ok(general(value)) };
        if sec.toks.is_empty() {
            return Ok(String::new());
        }
        if sec.date {
            let v = if signed { value } else { value.abs() };
            return format_date(sec, v);
        }
        Ok(format_numeric(sec, value.abs(), signed && value < 0.0))
    }

    /// Formats a text value.
    pub fn format_text(&self, text: &str) -> String {
        let sec = match self.sections.as_slice() {
            [_, _, _, t] => t,
            [s] if s.toks.contains(&Tok::At) => s,
            _ => return text.to_owned(),
        };
        let mut out = String::new();
        for t in &sec.toks {
            match t {
                Tok::Lit(s) => out.push_str(s),
                Tok::At => out.push_str(text),
                _ => {}
            }
        }
        out
    }

    /// The section for a number, and whether a negative number shows its `-`.
    fn choose(&self, v: f64) -> (usize, bool) {
        let numeric = self.sections.len().min(3);
        let conditional = self.sections.iter().take(2).any(|s| s.cond.is_some());
        if !conditional {
            return match numeric {
                0 | 1 => (0, true),
                2 => (usize::from(v < 0.0), v >= 0.0),
                _ if v < 0.0 => (1, false),
                _ if v == 0.0 => (2, true),
                _ => (0, true),
            };
        }
        let matches = |i: usize| self.sections.get(i).and_then(|s| s.cond).is_none_or(|(op, x)| op.holds(v, x));
        if matches(0) {
            (0, true)
        } else if numeric >= 2 && matches(1) {
            (1, true)
        } else if numeric >= 3 {
            (2, true)
        } else {
            // No section applies: Excel shows `####`; the General format is more useful.
            (usize::MAX, true)
        }
    }
}

/// Splits a code at the `;` that are not quoted, escaped or bracketed.
fn split_sections(code: &str) -> Result<Vec<String>, FormatError> {
    let mut sections = Vec::new();
    let mut cur = String::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            ';' => sections.push(std::mem::take(&mut cur)),
            '"' => {
                cur.push(c);
                for d in chars.by_ref() {
                    cur.push(d);
                    if d == '"' {
                        break;
                    }
                }
            }
            '[' => {
                cur.push(c);
                for d in chars.by_ref() {
                    cur.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                cur.push(c);
                if let Some(d) = chars.next() {
                    cur.push(d);
                }
            }
            _ => cur.push(c),
        }
    }
    sections.push(cur);
    if sections.len() > 4 {
        return Err(FormatError);
    }
    Ok(sections)
}

fn push_lit(toks: &mut Vec<Tok>, s: &str) {
    if let Some(Tok::Lit(prev)) = toks.last_mut() {
        prev.push_str(s);
    } else {
        toks.push(Tok::Lit(s.to_owned()));
    }
}

fn starts_with_ci(chars: &[char], i: usize, word: &str) -> bool {
    let n = word.chars().count();
    chars.len() >= i + n && chars[i..i + n].iter().zip(word.chars()).all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

fn parse_section(s: &str) -> Result<Section, FormatError> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut cond = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '"' => {
                let start = i;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                let lit: String = chars[start..i].iter().collect();
                push_lit(&mut toks, &lit);
                i += 1;
            }
            '\\' => {
                if let Some(&d) = chars.get(i) {
                    push_lit(&mut toks, d.encode_utf8(&mut [0; 4]));
                }
                i += 1;
            }
            '_' => {
                push_lit(&mut toks, " ");
                i += 1;
            }
            '*' => i += 1,
            '[' => {
                let start = i;
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                let content: String = chars[start..i].iter().collect();
                i += 1;
                parse_bracket(&content, &mut toks, &mut cond)?;
            }
            '0' | '#' | '?' => toks.push(Tok::Digit(c as u8)),
            '.' => toks.push(Tok::Point),
            ',' => toks.push(Tok::Comma),
            '%' => toks.push(Tok::Percent),
            '/' => toks.push(Tok::Slash),
            '@' => toks.push(Tok::At),
            'E' | 'e' if matches!(chars.get(i), Some('+' | '-')) => {
                toks.push(Tok::Exp { upper: c == 'E', plus: chars[i] == '+' });
                i += 1;
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => {
                let mut n = 1;
                while chars.get(i).is_some_and(|d| d.eq_ignore_ascii_case(&c)) {
                    n += 1;
                    i += 1;
                }
                toks.push(match c.to_ascii_lowercase() {
                    'y' => Tok::Year(n),
                    'm' => Tok::Month(n),
                    'd' => Tok::Day(n),
                    'h' => Tok::Hour(n),
                    _ => Tok::Second(n),
                });
            }
            'a' | 'A' if starts_with_ci(&chars, i - 1, "am/pm") => {
                let (am, pm) = if c == 'A' { ("AM", "PM") } else { ("am", "pm") };
                toks.push(Tok::AmPm { am, pm });
                i += 4;
            }
            'a' | 'A' if starts_with_ci(&chars, i - 1, "a/p") => {
                let (am, pm) = if c == 'A' { ("A", "P") } else { ("a", "p") };
                toks.push(Tok::AmPm { am, pm });
                i += 2;
            }
            'g' | 'G' if starts_with_ci(&chars, i - 1, "general") => {
                toks.push(Tok::General);
                i += 6;
            }
            _ => push_lit(&mut toks, c.encode_utf8(&mut [0; 4])),
        }
    }
    let date = toks.iter().any(Tok::is_date);
    if date {
        toks = resolve_date_tokens(toks)?;
    }
    Ok(Section { toks, cond, date })
}

fn parse_bracket(content: &str, toks: &mut Vec<Tok>, cond: &mut Option<(Cmp, f64)>) -> Result<(), FormatError> {
    if let Some(cur) = content.strip_prefix('$') {
        let symbol = cur.split('-').next().unwrap_or("");
        push_lit(toks, symbol);
        return Ok(());
    }
    let lower = content.to_ascii_lowercase();
    if let Some(first) = lower.bytes().next()
        && matches!(first, b'h' | b'm' | b's')
        && lower.bytes().all(|b| b == first)
    {
        toks.push(Tok::Elapsed(first, lower.len()));
        return Ok(());
    }
    let ops: [(&str, Cmp); 6] =
        [("<=", Cmp::Le), (">=", Cmp::Ge), ("<>", Cmp::Ne), ("<", Cmp::Lt), (">", Cmp::Gt), ("=", Cmp::Eq)];
    for (text, op) in ops {
        if let Some(rest) = content.strip_prefix(text) {
            let x: f64 = rest.trim().parse().map_err(|_| FormatError)?;
            *cond = Some((op, x));
            return Ok(());
        }
    }
    // Colours (`[Red]`, `[Color10]`) and anything else: no output.
    Ok(())
}

/// The nearest date/time token before (`dir < 0`) or after `i`.
fn nearest_date_token(toks: &[Tok], i: usize, before: bool) -> Option<&Tok> {
    if before { toks[..i].iter().rev().find(|t| t.is_date()) } else { toks[i + 1..].iter().find(|t| t.is_date()) }
}

fn resolve_date_tokens(mut toks: Vec<Tok>) -> Result<Vec<Tok>, FormatError> {
    // Minutes: `m` right after hours or right before seconds.
    for i in 0..toks.len() {
        if let Tok::Month(n) = toks[i]
            && n <= 2
        {
            let after_hour = matches!(nearest_date_token(&toks, i, true), Some(Tok::Hour(_) | Tok::Elapsed(b'h', _)));
            let before_second =
                matches!(nearest_date_token(&toks, i, false), Some(Tok::Second(_) | Tok::Elapsed(b's', _)));
            if after_hour || before_second {
                toks[i] = Tok::Minute(n);
            }
        }
    }
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t {
            Tok::Point => {
                let after_seconds =
                    matches!(nearest_date_token(&toks, i, true), Some(Tok::Second(_) | Tok::Elapsed(b's', _)));
                let zeros = toks[i + 1..].iter().take_while(|t| **t == Tok::Digit(b'0')).count();
                if after_seconds && zeros > 0 {
                    out.push(Tok::SubSecond(zeros));
                    i += 1 + zeros;
                    continue;
                }
                push_lit(&mut out, ".");
            }
            Tok::Digit(_) | Tok::Exp { .. } => return Err(FormatError),
            Tok::Comma => push_lit(&mut out, ","),
            Tok::Percent => push_lit(&mut out, "%"),
            Tok::Slash => push_lit(&mut out, "/"),
            Tok::Lit(s) => push_lit(&mut out, s),
            Tok::General => {}
            other => out.push(other.clone()),
        }
        i += 1;
    }
    Ok(out)
}

// ── Decimal representation ─────────────────────────────────────────────────────────────────

/// A non-negative decimal number: `0.d₁d₂d₃… × 10^point`, with ASCII digits, no leading or
/// trailing zeros (no digits at all for zero).
#[derive(Clone, Debug, PartialEq)]
struct Dec {
    digits: Vec<u8>,
    point: i32,
}

impl Dec {
    /// `|v|` at 15 significant digits.
    fn new(v: f64) -> Dec {
        let v = v.abs();
        if v == 0.0 || !v.is_finite() {
            return Dec { digits: Vec::new(), point: 0 };
        }
        let s = format!("{v:.14e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        Dec { digits, point: exp + 1 }.normalised()
    }

    fn normalised(mut self) -> Dec {
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
        let lead = self.digits.iter().take_while(|&&d| d == b'0').count();
        self.digits.drain(..lead);
        self.point -= lead as i32;
        if self.digits.is_empty() {
            self.point = 0;
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Multiplied by `10^by`.
    fn shift(&self, by: i32) -> Dec {
        if self.is_zero() {
            return self.clone();
        }
        Dec { digits: self.digits.clone(), point: self.point + by }
    }

    /// Rounded half away from zero to `decimals` places (negative: tens, hundreds…).
    fn round(&self, decimals: i32) -> Dec {
        let keep = self.point + decimals;
        if keep >= self.digits.len() as i32 {
            return self.clone();
        }
        if keep < 0 {
            return Dec { digits: Vec::new(), point: 0 };
        }
        let keep = keep as usize;
        let mut kept = self.digits[..keep].to_vec();
        let mut point = self.point;
        if self.digits[keep] >= b'5' {
            let mut carried = true;
            for d in kept.iter_mut().rev() {
                if *d == b'9' {
                    *d = b'0';
                } else {
                    *d += 1;
                    carried = false;
                    break;
                }
            }
            if carried {
                kept.insert(0, b'1');
                point += 1;
            }
        }
        Dec { digits: kept, point }.normalised()
    }

    fn digit_at(&self, index: i32) -> u8 {
        if index >= 0 { self.digits.get(index as usize).copied().unwrap_or(b'0') } else { b'0' }
    }

    /// The digits of the integer part (empty for numbers below 1).
    fn int_digits(&self) -> Vec<u8> {
        (0..self.point.max(0)).map(|i| self.digit_at(i)).collect()
    }

    /// The first `n` digits of the fractional part.
    fn frac_digits(&self, n: usize) -> Vec<u8> {
        (0..n as i32).map(|j| self.digit_at(self.point + j)).collect()
    }

    /// Plain decimal notation without trailing zeros (`0.0025`, `120`).
    fn plain(&self) -> String {
        let int = self.int_digits();
        let mut s = if int.is_empty() { "0".to_owned() } else { String::from_utf8_lossy(&int).into_owned() };
        let frac_len = self.digits.len() as i32 - self.point;
        if frac_len > 0 {
            s.push('.');
            s.push_str(&String::from_utf8_lossy(&self.frac_digits(frac_len as usize)));
        }
        s
    }
}

/// Rounds half away from zero to `decimals` places on the number's 15-digit decimal
/// representation (`round_decimal(2.675, 2)` is 2.68; negative `decimals` round to tens…).
pub fn round_decimal(value: f64, decimals: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let r = Dec::new(value).round(decimals);
    let magnitude: f64 = r.plain().parse().unwrap_or(0.0);
    if value < 0.0 { -magnitude } else { magnitude }
}

/// A number in Excel's General format as a cell of standard width shows it (and
/// `TEXT(x,"General")`): at most 11 characters besides the sign, in plain or scientific
/// notation, whichever shows more significant digits (plain when equal): `0.333333333`,
/// `12345.6789`, `1.23457E+11`, `2.5E-09`, `0.00000001`.
pub fn general(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_owned();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let d = Dec::new(value);
    let e = d.point - 1;
    let plain = if e <= 10 {
        let decimals = if e >= 0 { (9 - e).max(0) } else { 9 };
        let r = d.round(decimals);
        (!r.is_zero() && r.point <= 11).then(|| (r.digits.len(), r.plain()))
    } else {
        None
    };
    let decimals = if e.abs() >= 99 { 4 } else { 5 };
    let mut x = e;
    let mut m = d.shift(-x).round(decimals);
    if m.point > 1 {
        x += 1;
        m = d.shift(-x).round(decimals);
    }
    match plain {
        Some((sig, s)) if sig >= m.digits.len() => format!("{sign}{s}"),
        _ => format!("{sign}{}", scientific(&m, x)),
    }
}

/// `d.ddddE+xx` for a mantissa with one integer digit.
fn scientific(m: &Dec, x: i32) -> String {
    let mut s = String::new();
    s.push(m.digit_at(0) as char);
    if m.digits.len() > 1 {
        s.push('.');
        s.push_str(&String::from_utf8_lossy(&m.digits[1..]));
    }
    let sign = if x < 0 { '-' } else { '+' };
    format!("{s}E{sign}{:02}", x.abs())
}

// ── Numbers ────────────────────────────────────────────────────────────────────────────────

/// The text of each integer placeholder (left to right) for the integer digits `digits`.
fn integer_pieces(placeholders: &[u8], digits: &[u8], grouping: bool) -> Vec<String> {
    let p = placeholders.len();
    let n = digits.len();
    let comma_after = |pos: usize| grouping && pos > 0 && pos.is_multiple_of(3);
    let mut pieces = Vec::with_capacity(p);
    for (k, &ph) in placeholders.iter().enumerate() {
        let pos = p - 1 - k;
        let mut s = String::new();
        if k == 0 && n > p {
            for extra in (p..n).rev() {
                s.push(digits[n - 1 - extra] as char);
                if comma_after(extra) {
                    s.push(',');
                }
            }
        }
        if pos < n {
            s.push(digits[n - 1 - pos] as char);
            if comma_after(pos) {
                s.push(',');
            }
        } else {
            match ph {
                b'0' => {
                    s.push('0');
                    if comma_after(pos) {
                        s.push(',');
                    }
                }
                b'?' => {
                    s.push(' ');
                    if comma_after(pos) {
                        s.push(' ');
                    }
                }
                _ => {}
            }
        }
        pieces.push(s);
    }
    pieces
}

/// The text of each fraction placeholder: trailing zeros under `#` vanish, under `?` become
/// spaces.
fn fraction_pieces(placeholders: &[u8], digits: &[u8]) -> Vec<String> {
    let mut last = placeholders.len();
    while last > 0 && digits[last - 1] == b'0' && placeholders[last - 1] != b'0' {
        last -= 1;
    }
    placeholders
        .iter()
        .enumerate()
        .map(|(j, &ph)| {
            if j < last {
                (digits[j] as char).to_string()
            } else if ph == b'?' {
                " ".to_owned()
            } else {
                String::new()
            }
        })
        .collect()
}

/// Formats `v ≥ 0` with a numeric section; `negative` asks for a `-` in front when the shown
/// digits are not all zero.
fn format_numeric(sec: &Section, v: f64, negative: bool) -> String {
    let toks = &sec.toks;
    if let Some(out) = format_fraction(toks, v, negative) {
        return out;
    }
    let exp_idx = toks.iter().position(|t| matches!(t, Tok::Exp { .. }));
    let mant_end = exp_idx.unwrap_or(toks.len());
    let point_idx = toks[..mant_end].iter().position(|t| *t == Tok::Point);
    let int_end = point_idx.unwrap_or(mant_end);
    let placeholders = |range: &[Tok]| -> Vec<u8> {
        range
            .iter()
            .filter_map(|t| match t {
                Tok::Digit(d) => Some(*d),
                _ => None,
            })
            .collect()
    };
    let int_ph = placeholders(&toks[..int_end]);
    let frac_ph = placeholders(&toks[int_end..mant_end]);
    let exp_ph = placeholders(&toks[mant_end..]);

    // Commas: grouping between integer placeholders, scaling after the last placeholder.
    let mut silent_comma = vec![false; toks.len()];
    let mut grouping = false;
    let mut scale = 0;
    let mut i = 0;
    while i < mant_end {
        if toks[i] != Tok::Comma {
            i += 1;
            continue;
        }
        let run_end = (i..mant_end).find(|&j| toks[j] != Tok::Comma).unwrap_or(mant_end);
        let region_end = if i < int_end { int_end } else { mant_end };
        let digit_before = toks[..i].iter().any(Tok::is_digit);
        let digit_after = toks[run_end..region_end].iter().any(Tok::is_digit);
        if digit_before && digit_after && i < int_end {
            grouping = true;
            silent_comma[i..run_end].fill(true);
        } else if digit_before && !digit_after {
            scale += (run_end - i) as i32;
            silent_comma[i..run_end].fill(true);
        }
        i = run_end;
    }
    let percent = toks.iter().filter(|t| **t == Tok::Percent).count() as i32;
    let d = Dec::new(v).shift(2 * percent - 3 * scale);

    let frac_n = frac_ph.len() as i32;
    let (mantissa, exponent) = match exp_idx {
        None => (d.round(frac_n), 0),
        Some(_) => {
            let step = int_ph.len().max(1) as i32;
            if d.is_zero() {
                (d.clone(), 0)
            } else {
                let e = d.point - 1;
                let mut x = if int_ph.is_empty() { e + 1 } else { e.div_euclid(step) * step };
                let mut m = d.shift(-x).round(frac_n);
                let max_int = if int_ph.is_empty() { 0 } else { step };
                if m.point > max_int {
                    x += if int_ph.is_empty() { 1 } else { step };
                    m = d.shift(-x).round(frac_n);
                }
                (m, x)
            }
        }
    };
    let int_digits = mantissa.int_digits();
    let frac_digits = mantissa.frac_digits(frac_ph.len());
    let int_pieces = integer_pieces(&int_ph, &int_digits, grouping);
    let frac_pieces = fraction_pieces(&frac_ph, &frac_digits);

    let has_number = !int_ph.is_empty() || !frac_ph.is_empty();
    let mut shown_nonzero = if has_number { !mantissa.is_zero() } else { v != 0.0 };
    let mut out = String::new();
    let (mut k, mut j) = (0, 0);
    for (idx, t) in toks.iter().enumerate() {
        match t {
            Tok::Lit(s) => out.push_str(s),
            Tok::Digit(_) if idx < int_end => {
                out.push_str(int_pieces.get(k).map_or("", String::as_str));
                k += 1;
            }
            Tok::Digit(_) if idx < mant_end => {
                out.push_str(frac_pieces.get(j).map_or("", String::as_str));
                j += 1;
            }
            Tok::Digit(_) => {}
            Tok::Point => {
                if Some(idx) == point_idx && int_ph.is_empty() {
                    out.push_str(&String::from_utf8_lossy(&int_digits));
                }
                out.push('.');
            }
            Tok::Comma if !silent_comma[idx] => out.push(','),
            Tok::Percent => out.push('%'),
            Tok::Slash => out.push('/'),
            Tok::Exp { upper, plus } => {
                out.push(if *upper { 'E' } else { 'e' });
                if exponent < 0 {
                    out.push('-');
                } else if *plus {
                    out.push('+');
                }
                let width = exp_ph.iter().filter(|&&p| p == b'0').count();
                out.push_str(&format!("{:0width$}", exponent.unsigned_abs()));
            }
            Tok::At | Tok::General => {
                let g = general(v);
                shown_nonzero |= g != "0";
                out.push_str(&g);
            }
            _ => {}
        }
    }
    if negative && shown_nonzero {
        out.insert(0, '-');
    }
    out
}

/// The closest fraction to `x ≥ 0` with a denominator up to `max_den` (continued fractions).
fn best_fraction(x: f64, max_den: u64) -> (u64, u64) {
    if x >= 1e15 {
        return (x.round() as u64, 1);
    }
    let (mut p0, mut q0, mut p1, mut q1) = (0u64, 1u64, 1u64, 0u64);
    let mut r = x;
    for _ in 0..64 {
        let a = r.floor();
        if a > 1e15 {
            break;
        }
        let a = a as u64;
        let q2 = a.saturating_mul(q1).saturating_add(q0);
        if q2 > max_den {
            let k = (max_den - q0) / q1.max(1);
            let (ps, qs) = (k.saturating_mul(p1).saturating_add(p0), k.saturating_mul(q1).saturating_add(q0));
            let err = |p: u64, q: u64| (x - p as f64 / q as f64).abs();
            return if qs > 0 && err(ps, qs) < err(p1, q1) { (ps, qs) } else { (p1, q1) };
        }
        (p0, q0, p1, q1) = (p1, q1, a.saturating_mul(p1).saturating_add(p0), q2);
        let frac = r - r.floor();
        if frac < 1e-10 {
            break;
        }
        r = 1.0 / frac;
    }
    (p1, q1.max(1))
}

/// Fractions: `# ?/?`, `# ??/??`, `?/?` (improper), `# ?/8` (a fixed denominator). `None`
/// when the section is not a fraction format.
fn format_fraction(toks: &[Tok], v: f64, negative: bool) -> Option<String> {
    let slash = toks.iter().position(|t| *t == Tok::Slash)?;
    if slash == 0 || !toks[slash - 1].is_digit() || toks.iter().any(|t| matches!(t, Tok::Point | Tok::Exp { .. })) {
        return None;
    }
    let num_start = toks[..slash].iter().rposition(|t| !t.is_digit()).map_or(0, |i| i + 1);
    let den_end = toks[slash + 1..].iter().position(|t| !t.is_digit()).map_or(toks.len(), |i| slash + 1 + i);
    let den_ph: Vec<u8> = toks[slash + 1..den_end]
        .iter()
        .filter_map(|t| match t {
            Tok::Digit(d) => Some(*d),
            _ => None,
        })
        .collect();
    // A fixed denominator is written as digits right after the bar.
    let (fixed_den, den_lit_rest) = match (den_ph.is_empty(), toks.get(slash + 1)) {
        (true, Some(Tok::Lit(l))) => {
            let digits: String = l.chars().take_while(char::is_ascii_digit).collect();
            let den: u64 = digits.parse().ok().filter(|&d| d > 0)?;
            (Some(den), Some(l[digits.len()..].to_owned()))
        }
        (true, _) => return None,
        (false, _) => (None, None),
    };
    let mixed = toks[..num_start].iter().any(Tok::is_digit);
    let d = Dec::new(v);
    let v = d.plain().parse::<f64>().unwrap_or(v);
    let (mut whole, frac) = if mixed { (v.floor(), v - v.floor()) } else { (0.0, v) };
    let (mut num, den) = match fixed_den {
        Some(den) => ((frac * den as f64).round() as u64, den),
        None => best_fraction(frac, 10u64.pow(den_ph.len().min(9) as u32) - 1),
    };
    if mixed && num >= den {
        whole += (num / den) as f64;
        num %= den;
    }
    let blank_fraction = mixed && num == 0;
    let int_ph: Vec<u8> = toks[..num_start]
        .iter()
        .filter_map(|t| match t {
            Tok::Digit(d) => Some(*d),
            _ => None,
        })
        .collect();
    let whole_digits: Vec<u8> = if whole >= 1.0 {
        Dec::new(whole).int_digits()
    } else if blank_fraction {
        vec![b'0']
    } else {
        Vec::new()
    };
    let int_pieces = integer_pieces(&int_ph, &whole_digits, false);
    let num_ph: Vec<u8> = toks[num_start..slash]
        .iter()
        .filter_map(|t| match t {
            Tok::Digit(d) => Some(*d),
            _ => None,
        })
        .collect();
    let num_digits = num.to_string().into_bytes();
    let num_pieces = integer_pieces(&num_ph, &num_digits, false);
    let den_text = den.to_string();
    let mut out = String::new();
    let mut k = 0;
    for (idx, t) in toks.iter().enumerate() {
        match t {
            Tok::Digit(_) if idx < num_start => {
                out.push_str(int_pieces.get(k).map_or("", String::as_str));
                k += 1;
            }
            Tok::Digit(_) if idx < slash => {
                let piece = num_pieces.get(idx - num_start).map_or("", String::as_str);
                if blank_fraction {
                    out.push_str(&" ".repeat(piece.chars().count()));
                } else {
                    out.push_str(piece);
                }
            }
            Tok::Slash if idx == slash => out.push(if blank_fraction { ' ' } else { '/' }),
            Tok::Digit(_) if idx < den_end => {
                // Denominator digits are left-aligned: the first placeholder takes them all.
                let j = idx - slash - 1;
                let piece = if j == 0 {
                    den_text.clone()
                } else if j < den_text.len() {
                    String::new()
                } else {
                    match den_ph[j] {
                        b'?' => " ".to_owned(),
                        b'0' => "0".to_owned(),
                        _ => String::new(),
                    }
                };
                out.push_str(&if blank_fraction { " ".repeat(piece.len()) } else { piece });
            }
            Tok::Lit(_) if idx == slash + 1 && fixed_den.is_some() => {
                out.push_str(&if blank_fraction { " ".repeat(den_text.len()) } else { den_text.clone() });
                out.push_str(den_lit_rest.as_deref().unwrap_or(""));
            }
            Tok::Lit(l) => out.push_str(l),
            Tok::Slash => out.push('/'),
            Tok::Percent => out.push('%'),
            Tok::Comma => out.push(','),
            Tok::At | Tok::General => out.push_str(&general(v)),
            _ => {}
        }
    }
    if negative && (whole != 0.0 || num != 0) {
        out.insert(0, '-');
    }
    Some(out)
}

// ── Dates and times ────────────────────────────────────────────────────────────────────────

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

fn format_date(sec: &Section, v: f64) -> Result<String, FormatError> {
    if !(0.0..datetime::MAX_SERIAL + 1.0).contains(&v) {
        return Err(FormatError);
    }
    let sub = sec
        .toks
        .iter()
        .filter_map(|t| match t {
            Tok::SubSecond(n) => Some(*n),
            _ => None,
        })
        .max()
        .unwrap_or(0)
        .min(3);
    let per_second = 10_i64.pow(sub as u32);
    let per_day = 86_400 * per_second;
    let units = (v * per_day as f64).round() as i64;
    let days = units / per_day;
    if days > datetime::MAX_SERIAL as i64 {
        return Err(FormatError);
    }
    let in_day = units % per_day;
    let seconds = in_day / per_second;
    let fraction = in_day % per_second;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let (year, month, day) = datetime::ymd_from_serial(days);
    let weekday = ((days + 6) % 7) as usize;
    let month_name = MONTHS[(month as usize).saturating_sub(1).min(11)];
    let twelve = sec.toks.iter().any(|t| matches!(t, Tok::AmPm { .. }));
    let pad = |n: i64, width: usize| format!("{n:0width$}");
    let mut out = String::new();
    for t in &sec.toks {
        match t {
            Tok::Lit(s) => out.push_str(s),
            Tok::Year(n) if *n <= 2 => out.push_str(&pad(year % 100, 2)),
            Tok::Year(_) => out.push_str(&pad(year, 4)),
            Tok::Month(1) => out.push_str(&month.to_string()),
            Tok::Month(2) => out.push_str(&pad(i64::from(month), 2)),
            Tok::Month(3) => out.push_str(prefix(month_name, 3)),
            Tok::Month(4) => out.push_str(month_name),
            Tok::Month(_) => out.push_str(prefix(month_name, 1)),
            Tok::Day(n) if *n <= 2 => out.push_str(&pad(i64::from(day), *n)),
            Tok::Day(3) => out.push_str(prefix(WEEKDAYS[weekday], 3)),
            Tok::Day(_) => out.push_str(WEEKDAYS[weekday]),
            Tok::Hour(n) => {
                let h = if twelve { (hour + 11) % 12 + 1 } else { hour };
                out.push_str(&pad(h, (*n).min(2)));
            }
            Tok::Minute(n) => out.push_str(&pad(minute, (*n).min(2))),
            Tok::Second(n) => out.push_str(&pad(second, (*n).min(2))),
            Tok::SubSecond(n) => {
                out.push('.');
                let digits = pad(fraction, sub);
                out.push_str(&digits[..(*n).min(digits.len())]);
                out.push_str(&"0".repeat(n.saturating_sub(digits.len())));
            }
            Tok::Elapsed(unit, n) => {
                let total = units / per_second;
                let value = match unit {
                    b'h' => total / 3600,
                    b'm' => total / 60,
                    _ => total,
                };
                out.push_str(&pad(value, *n));
            }
            Tok::AmPm { am, pm } => out.push_str(if hour < 12 { am } else { pm }),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64, code: &str) -> String {
        format_number(v, code).unwrap_or_else(|_| "#VALUE!".to_owned())
    }

    #[test]
    fn general_display_has_eleven_characters() {
        assert_eq!(general(1.0 / 3.0), "0.333333333");
        assert_eq!(general(-1.0 / 3.0), "-0.333333333");
        assert_eq!(general(12345.6789), "12345.6789");
        assert_eq!(general(123456789012.0), "1.23457E+11");
        assert_eq!(general(25000000000.0), "25000000000");
        assert_eq!(general(250000000000.0), "2.5E+11");
        assert_eq!(general(1e16), "1E+16");
        assert_eq!(general(1.2e-16), "1.2E-16");
        assert_eq!(general(-2.5e-9), "-2.5E-09");
        assert_eq!(general(-1e-8), "-0.00000001");
        assert_eq!(general(0.0001234567891), "0.000123457");
        assert_eq!(general(0.0000123456789), "1.23457E-05");
        assert_eq!(general(99999999999.6), "1E+11");
    }

    #[test]
    fn digit_placeholders() {
        assert_eq!(f(12.0, "0.00"), "12.00");
        assert_eq!(f(12345.6789, "#,##0"), "12,346");
        assert_eq!(f(-12345.6789, "#,##0_);(#,##0)"), "(12,346)");
        assert_eq!(f(12.0, "$#,##0_);($#,##0)"), "$12 ");
        assert_eq!(f(12345.6789, "00-00-00-00"), "00-01-23-46");
        assert_eq!(f(123456789012.0, "00-00-00-00"), "123456-78-90-12");
        assert_eq!(f(-12.0, "00-00-00-00"), "-00-00-00-12");
        assert_eq!(f(0.0, "#.#"), ".");
        assert_eq!(f(-1.0 / 3.0, "#.#"), "-.3");
        assert_eq!(f(12.0, "[Red]#.#"), "12.");
        assert_eq!(f(12345.6789, "#,#.00 \"Millions!\""), "12,345.68 Millions!");
        assert_eq!(f(123456789012.0, "#,##,, \"Millions\""), "123,457 Millions");
        assert_eq!(f(12345.6789, "0.00%"), "1234567.89%");
        assert_eq!(f(1.23456e19, "#,##0"), "12,345,600,000,000,000,000");
        assert_eq!(f(2.675, "0.00"), "2.68");
        assert_eq!(f(1.5, "0.0??"), "1.5  ");
        assert_eq!(f(12.0, "0000"), "0012");
        assert_eq!(f(1234.5, "0,000.0"), "1,234.5");
    }

    #[test]
    fn sign_disappears_when_shown_digits_are_zero() {
        assert_eq!(f(-1.0 / 3.0, "0"), "0");
        assert_eq!(f(-1.0 / 3.0, "0.00"), "-0.33");
        assert_eq!(f(-2.7e-18, "0.00%"), "0.00%");
        assert_eq!(f(-1.0 / 3.0, "#,##0_);(#,##0)"), "(0)");
    }

    #[test]
    fn scientific() {
        assert_eq!(f(12.0, "0.00E+0"), "1.20E+1");
        assert_eq!(f(1.0 / 3.0, "0.00E+0"), "3.33E-1");
        assert_eq!(f(0.0, "0.00E+0"), "0.00E+0");
        assert_eq!(f(-2.5e-9, "0.00E+0"), "-2.50E-9");
        assert_eq!(f(9.999, "0.00E+00"), "1.00E+01");
        assert_eq!(f(12345.0, "##0.0E+0"), "12.3E+3");
        assert_eq!(f(12345.0, "0.0e-00"), "1.2e04");
    }

    #[test]
    fn sections_and_conditions() {
        assert_eq!(f(0.0, "0;-0;\"zero\""), "zero");
        assert_eq!(f(-3.0, "0;\"neg \"0"), "neg 3");
        assert_eq!(f(150.0, "[>100]\"big\";\"small\""), "big");
        assert_eq!(f(50.0, "[>100]\"big\";\"small\""), "small");
        assert_eq!(format_text("abc", "0;0;0;\"<\"@\">\"").as_deref(), Ok("<abc>"));
        assert_eq!(format_text("abc", "0.00").as_deref(), Ok("abc"));
        assert_eq!(f(12.0, "@"), "12");
        assert_eq!(f(5.0, ""), "");
        assert!(format_number(1.0, "0;0;0;@;0").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(f(41181.0, "m/d/y"), "9/29/12");
        assert_eq!(f(41181.0, "dd/mm--yy"), "29/09--12");
        assert_eq!(f(41181.0, "ddd--/--mmm--/++yyy"), "Sat--/--Sep--/++2012");
        assert_eq!(f(41181.0, "dddd/mmmm/yyyyy"), "Saturday/September/2012");
        assert_eq!(f(41181.0, "ddddd/mmmmm/yyyyy"), "Saturday/S/2012");
        assert_eq!(f(100.0, "dddd d mmmm yyyy"), "Monday 9 April 1900");
        assert_eq!(f(2958465.0, "yyyy-mm-dd"), "9999-12-31");
        assert_eq!(f(2958466.0, "yyyy-mm-dd"), "#VALUE!");
        assert_eq!(f(-1.0, "yyyy"), "#VALUE!");
        assert_eq!(f(41181.0, "mm###"), "#VALUE!");
    }

    #[test]
    fn times() {
        assert_eq!(f(1234.567, "YYYY-MM-DD HH:MM:SS"), "1903-05-18 13:36:29");
        assert_eq!(f(0.75, "h:mm AM/PM"), "6:00 PM");
        assert_eq!(f(0.0, "h:mm a/p"), "12:00 a");
        assert_eq!(f(1.5 + 1.0 / 86400.0, "[h]:mm:ss"), "36:00:01");
        assert_eq!(f(0.5 + 1.2345 / 86400.0, "hh:mm:ss.00"), "12:00:01.23");
        assert_eq!(f((61.0 + 59.6) / 86400.0, "h:mm"), "0:02");
        assert_eq!(f((61.0 + 59.4) / 86400.0, "mm:ss"), "02:00");
    }

    #[test]
    fn fractions() {
        assert_eq!(f(1.5, "# ?/?"), "1 1/2");
        assert_eq!(f(0.5, "# ?/?"), " 1/2");
        assert_eq!(f(1.0, "# ?/?"), "1    ");
        assert_eq!(f(-2.25, "# ?/?"), "-2 1/4");
        assert_eq!(f(0.333, "# ??/??"), "  1/3 ");
        assert_eq!(f(2.3456, "# ???/???"), "2 216/625");
        assert_eq!(f(1.75, "?/?"), "7/4");
        assert_eq!(f(0.3, "# ?/8"), " 2/8");
        assert_eq!(f(41181.0, "d/m"), "29/9");
    }

    #[test]
    fn rounding_helper() {
        assert_eq!(round_decimal(2.675, 2), 2.68);
        assert_eq!(round_decimal(-2.5, 0), -3.0);
        assert_eq!(round_decimal(1234.5, -2), 1200.0);
        assert_eq!(round_decimal(0.4, -1), 0.0);
    }
}
