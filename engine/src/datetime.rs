//! Excel's date system: serial numbers to calendar dates and back, and date/time text.
//!
//! In the 1900 date system serial 1 is 1900-01-01 and serial 60 is the fictitious
//! 1900-02-29 that Excel keeps for compatibility with Lotus 1-2-3; from serial 61 (1900-03-01)
//! on, serials count days from 1899-12-30. Times are fractions of a day.

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1970-01-01 to 1899-12-30, the origin of serials from 61 on.
const EPOCH_1899_12_30: i64 = -25_569;

/// The largest serial Excel accepts: 9999-12-31.
pub const MAX_SERIAL: f64 = 2_958_465.0;

/// Is `y` a leap year in the Gregorian calendar?
pub fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Number of days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap_year(y) => 29,
        _ => 28,
    }
}

/// The serial of a valid calendar date (1900-01-01 or later, including Excel's 1900-02-29).
pub fn serial_from_ymd(y: i64, m: u32, d: u32) -> i64 {
    if y == 1900 && m == 1 {
        return i64::from(d);
    }
    if y == 1900 && m == 2 && d <= 29 {
        return 31 + i64::from(d);
    }
    days_from_civil(y, m, d) - EPOCH_1899_12_30
}

/// The calendar date of a serial's integer part (serial ≥ 0). Serial 0 is Excel's
/// "1900-01-00" and serial 60 its 1900-02-29.
pub fn ymd_from_serial(serial: i64) -> (i64, u32, u32) {
    match serial {
        0 => (1900, 1, 0),
        1..=31 => (1900, 1, serial as u32),
        32..=60 => (1900, 2, (serial - 31) as u32),
        _ => civil_from_days(serial + EPOCH_1899_12_30),
    }
}

/// `DATE(year, month, day)` with Excel's normalisation: years 0–1899 add 1900, months and days
/// outside their range roll over. `None` when the result is before 1900-01-00 or after 9999.
pub fn date_serial(year: f64, month: f64, day: f64) -> Option<f64> {
    let mut y = year.trunc() as i64;
    if !(0..10_000).contains(&y) {
        return None;
    }
    if y < 1900 {
        y += 1900;
    }
    let m = month.trunc() as i64 - 1;
    let y = y + m.div_euclid(12);
    if y > 9999 {
        // Excel rejects a month that rolls past 9999 even when the day rolls back.
        return None;
    }
    let m = (m.rem_euclid(12) + 1) as u32;
    let first = serial_from_ymd(y, m, 1) as f64;
    let serial = first + day.trunc() - 1.0;
    (0.0..=MAX_SERIAL).contains(&serial).then_some(serial)
}

/// The serial of the same day `months` months later (`EDATE`): the day is clamped to the end
/// of the target month. `None` before 1900-01-01 or after 9999-12-31.
pub fn add_months(serial: i64, months: i64) -> Option<i64> {
    let (y, m, d) = ymd_from_serial(serial);
    let total = y * 12 + i64::from(m) - 1 + months;
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    if !(1900..=9999).contains(&y) {
        return None;
    }
    let d = d.min(excel_days_in_month(y, m));
    Some(serial_from_ymd(y, m, d))
}

/// The last day of the month `months` months after the serial's month (`EOMONTH`). `None`
/// outside 1900-01-01..=9999-12-31.
pub fn end_of_month(serial: i64, months: i64) -> Option<i64> {
    let (y, m, _) = ymd_from_serial(serial);
    let total = y * 12 + i64::from(m) - 1 + months;
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    if !(1900..=9999).contains(&y) {
        return None;
    }
    Some(serial_from_ymd(y, m, excel_days_in_month(y, m)))
}

/// Days in a month of Excel's calendar, where February 1900 has 29 days.
fn excel_days_in_month(y: i64, m: u32) -> u32 {
    if y == 1900 && m == 2 { 29 } else { days_in_month(y, m) }
}

/// Is the serial the last day of its month (Excel's 1900-02-29 counts for February 1900)?
pub fn is_month_end(serial: i64) -> bool {
    let (y, m, d) = ymd_from_serial(serial);
    if y == 1900 && m == 2 {
        return d == 29;
    }
    d == days_in_month(y, m)
}

/// The day-count conventions (`basis`) of `YEARFRAC` and the securities functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// 0: US (NASD) 30/360.
    Us30360,
    /// 1: actual/actual.
    ActualActual,
    /// 2: actual/360.
    Actual360,
    /// 3: actual/365.
    Actual365,
    /// 4: European 30/360.
    Euro30360,
}

impl Basis {
    /// The basis for Excel's code 0–4 (already truncated).
    pub fn from_number(code: f64) -> Option<Basis> {
        Some(match code {
            0.0 => Basis::Us30360,
            1.0 => Basis::ActualActual,
            2.0 => Basis::Actual360,
            3.0 => Basis::Actual365,
            4.0 => Basis::Euro30360,
            _ => return None,
        })
    }

    /// Days from `start` to `end` under the convention: 30/360 counts for bases 0 and 4
    /// (basis 0 with the NASD end-of-February rules of `YEARFRAC`), actual days otherwise.
    pub fn days(self, start: i64, end: i64) -> i64 {
        match self {
            Basis::Us30360 => days360_nasd(start, end),
            Basis::Euro30360 => days360(start, end, true),
            _ => end - start,
        }
    }
}

/// `DAYS360(start, end, method)`: the US method (FALSE) makes a start on the last day of a
/// month the 30th and an end on the 31st the 30th when the start is the 30th or 31st (else
/// the 1st of the next month); the European method (TRUE) makes every 31st the 30th.
pub fn days360(start: i64, end: i64, european: bool) -> i64 {
    let (y1, m1, d1) = ymd_from_serial(start);
    let (y2, m2, d2) = ymd_from_serial(end);
    let (mut d1, mut d2) = (i64::from(d1), i64::from(d2));
    if european {
        d1 = d1.min(30);
        d2 = d2.min(30);
    } else {
        if is_month_end(start) {
            d1 = 30;
        }
        if d2 == 31 && d1 >= 30 {
            d2 = 30;
        }
    }
    (y2 - y1) * 360 + (i64::from(m2) - i64::from(m1)) * 30 + d2 - d1
}

/// 30/360 with the NASD rules that `YEARFRAC` basis 0 and the coupon functions use: a 31st
/// becomes the 30th (the end only when the start is the 30th or 31st), and a start on the last
/// day of February becomes the 30th (so does the end, when both are).
pub fn days360_nasd(start: i64, end: i64) -> i64 {
    let (y1, m1, day1) = ymd_from_serial(start);
    let (y2, m2, day2) = ymd_from_serial(end);
    let (mut d1, mut d2) = (i64::from(day1), i64::from(day2));
    let feb_end = |s: i64, m: u32| m == 2 && is_month_end(s);
    if d1 == 31 && d2 == 31 {
        d1 = 30;
        d2 = 30;
    } else if d1 == 31 {
        d1 = 30;
    } else if d1 == 30 && d2 == 31 {
        d2 = 30;
    } else if feb_end(start, m1) && feb_end(end, m2) {
        d1 = 30;
        d2 = 30;
    } else if feb_end(start, m1) {
        d1 = 30;
    }
    (y2 - y1) * 360 + (i64::from(m2) - i64::from(m1)) * 30 + d2 - d1
}

/// `YEARFRAC(start, end, basis)` for whole-day serials (the order does not matter).
pub fn yearfrac(start: i64, end: i64, basis: Basis) -> f64 {
    let (start, end) = if start <= end { (start, end) } else { (end, start) };
    match basis {
        Basis::Us30360 => days360_nasd(start, end) as f64 / 360.0,
        Basis::Euro30360 => days360(start, end, true) as f64 / 360.0,
        Basis::Actual360 => (end - start) as f64 / 360.0,
        Basis::Actual365 => (end - start) as f64 / 365.0,
        Basis::ActualActual => {
            let (y1, m1, d1) = ymd_from_serial(start);
            let (y2, m2, d2) = ymd_from_serial(end);
            let days = (end - start) as f64;
            let within_a_year = y1 == y2 || (y2 == y1 + 1 && (m1 > m2 || (m1 == m2 && d1 >= d2)));
            if within_a_year {
                let spans_feb29 = (y1..=y2).any(|y| {
                    is_leap_year(y) && {
                        let feb29 = serial_from_ymd(y, 2, 29);
                        start <= feb29 && feb29 <= end
                    }
                });
                let year = if (y1 == y2 && is_leap_year(y1)) || spans_feb29 { 366.0 } else { 365.0 };
                days / year
            } else {
                let years = (y2 - y1 + 1) as f64;
                let total = serial_from_ymd(y2 + 1, 1, 1) - serial_from_ymd(y1, 1, 1);
                days / (total as f64 / years)
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_from_name(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(&lower)).map(|i| i as u32 + 1)
}

fn valid_date(y: i64, m: u32, d: u32) -> Option<f64> {
    if !(1..=12).contains(&m) || d == 0 || !(1900..=9999).contains(&y) {
        return None;
    }
    if y == 1900 && m == 2 && d == 29 {
        return Some(60.0);
    }
    (d <= days_in_month(y, m)).then(|| serial_from_ymd(y, m, d) as f64)
}

fn two_digit_year(y: i64, len: usize) -> i64 {
    if len <= 2 { if y < 30 { 2000 + y } else { 1900 + y } } else { y }
}

/// Parses a date written as Excel (en-US) accepts it; returns its serial.
pub fn parse_date_text(t: &str) -> Option<f64> {
    let t = t.trim();
    let parts: Vec<&str> = t.split(['/', '-', ' ', ',', '.']).filter(|p| !p.is_empty()).collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let num = |s: &str| -> Option<i64> {
        (s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    match parts.as_slice() {
        // 2020-01-31, 2020/1/31
        [y, m, d] if y.len() == 4 && num(y).is_some() => {
            let m = num(m).map(|m| m as u32).or_else(|| month_from_name(m))?;
            valid_date(num(y)?, m, num(d)? as u32)
        }
        // 1/31/2020, 1-31-20
        [m, d, y] if num(m).is_some() && num(d).is_some() && num(y).is_some() => {
            valid_date(two_digit_year(num(y)?, y.len()), num(m)? as u32, num(d)? as u32)
        }
        // 31-Jan-2020, 31 January 2020
        [d, m, y] if num(d).is_some() && month_from_name(m).is_some() => {
            valid_date(two_digit_year(num(y)?, y.len()), month_from_name(m)?, num(d)? as u32)
        }
        // January 31, 2020
        [m, d, y] if month_from_name(m).is_some() => {
            valid_date(two_digit_year(num(y)?, y.len()), month_from_name(m)?, num(d)? as u32)
        }
        // Jan-2020 (first of the month)
        [m, y] if month_from_name(m).is_some() && num(y).is_some() && y.len() == 4 => {
            valid_date(num(y)?, month_from_name(m)?, 1)
        }
        _ => None,
    }
}

/// Parses a time of day (`12:30`, `12:30:45.5`, `1:30 PM`, `1 PM`); returns the fraction of a
/// day (may exceed 1 for hours ≥ 24 written as `25:00`).
pub fn parse_time_text(t: &str) -> Option<f64> {
    let t = t.trim();
    let lower = t.to_ascii_lowercase();
    let (body, ampm) = if let Some(b) = lower.strip_suffix("am") {
        (b.trim_end(), Some(false))
    } else if let Some(b) = lower.strip_suffix("pm") {
        (b.trim_end(), Some(true))
    } else if let Some(b) = lower.strip_suffix(" a") {
        (b.trim_end(), Some(false))
    } else if let Some(b) = lower.strip_suffix(" p") {
        (b.trim_end(), Some(true))
    } else {
        (lower.as_str(), None)
    };
    let fields: Vec<&str> = body.split(':').collect();
    if fields.len() > 3 || (fields.len() == 1 && ampm.is_none()) {
        return None;
    }
    let int = |s: &str| -> Option<f64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let mut h = int(fields[0])?;
    let m = match fields.get(1) {
        Some(s) => int(s)?,
        None => 0.0,
    };
    let s = match fields.get(2) {
        Some(s) => {
            let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if !ok {
                return None;
            }
            s.parse::<f64>().ok()?
        }
        None => 0.0,
    };
    if m >= 60.0 || s >= 60.0 {
        return None;
    }
    if let Some(pm) = ampm {
        if !(0.0..=12.0).contains(&h) {
            return None;
        }
        if h == 12.0 {
            h = 0.0;
        }
        if pm {
            h += 12.0;
        }
    }
    Some((h * 3600.0 + m * 60.0 + s) / 86_400.0)
}

/// Parses a date, a time, or a date followed by a time; returns the serial.
pub fn parse_datetime_text(t: &str) -> Option<f64> {
    let t = t.trim();
    if !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(d) = parse_date_text(t) {
        return Some(d);
    }
    if let Some(time) = parse_time_text(t) {
        return Some(time);
    }
    // Date and time separated by a space: try every split point.
    for (i, _) in t.match_indices(' ') {
        if let (Some(d), Some(time)) = (parse_date_text(&t[..i]), parse_time_text(&t[i + 1..])) {
            return Some(d + time);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_match_excel() {
        assert_eq!(serial_from_ymd(1900, 1, 1), 1);
        assert_eq!(serial_from_ymd(1900, 2, 28), 59);
        assert_eq!(serial_from_ymd(1900, 3, 1), 61);
        assert_eq!(serial_from_ymd(2020, 1, 31), 43_861);
        assert_eq!(ymd_from_serial(60), (1900, 2, 29));
        assert_eq!(ymd_from_serial(61), (1900, 3, 1));
        assert_eq!(ymd_from_serial(43_861), (2020, 1, 31));
        assert_eq!(ymd_from_serial(2_958_465), (9999, 12, 31));
    }

    #[test]
    fn date_normalises_like_excel() {
        assert_eq!(date_serial(2020.0, 13.0, 1.0), Some(44_197.0)); // 2021-01-01
        assert_eq!(date_serial(2020.0, 1.0, 0.0), Some(43_830.0)); // 2019-12-31
        assert_eq!(date_serial(100.0, 1.0, 1.0), Some(serial_from_ymd(2000, 1, 1) as f64));
        assert_eq!(date_serial(10_000.0, 1.0, 1.0), None);
    }

    #[test]
    fn month_arithmetic() {
        let s = |y, m, d| serial_from_ymd(y, m, d);
        assert_eq!(add_months(s(2011, 1, 31), 1), Some(s(2011, 2, 28)));
        assert_eq!(add_months(s(2011, 1, 15), -1), Some(s(2010, 12, 15)));
        assert_eq!(add_months(s(1900, 1, 31), 1), Some(60));
        assert_eq!(add_months(61, -7), None);
        assert_eq!(end_of_month(s(2023, 3, 2), -4), Some(s(2022, 11, 30)));
        assert_eq!(end_of_month(15, 1), Some(60));
        assert!(is_month_end(60) && !is_month_end(59));
        assert!(is_month_end(s(2024, 2, 29)) && !is_month_end(s(2024, 2, 28)));
    }

    #[test]
    fn day_count_conventions() {
        let s = |y, m, d| serial_from_ymd(y, m, d);
        // DAYS360, US method: a start on the last day of February is the 30th.
        assert_eq!(days360(s(2024, 2, 29), s(2025, 2, 28), false), 358);
        assert_eq!(days360(s(2025, 1, 1), s(2025, 1, 31), false), 30);
        assert_eq!(days360(s(2025, 1, 1), s(2025, 1, 31), true), 29);
        assert_eq!(days360(s(2025, 6, 30), s(2025, 7, 31), false), 30);
        // NASD (YEARFRAC basis 0): both ends on the last day of February are the 30th.
        assert_eq!(days360_nasd(s(2023, 2, 28), s(2023, 6, 15)), 105);
        assert_eq!(days360_nasd(s(2024, 2, 28), s(2024, 6, 15)), 107);
        assert_eq!(days360_nasd(s(2023, 1, 15), s(2023, 3, 31)), 76);
        assert_eq!(days360_nasd(s(2023, 2, 28), s(2024, 2, 29)), 360);
        assert_eq!(yearfrac(39508, 39691, Basis::ActualActual), 0.5);
        assert_eq!(yearfrac(39142, 39325, Basis::ActualActual), 183.0 / 365.0);
        assert_eq!(yearfrac(s(2023, 11, 15), s(2024, 3, 15), Basis::ActualActual), 121.0 / 366.0);
        assert_eq!(yearfrac(39177, 39301, Basis::Actual365), 124.0 / 365.0);
        assert_eq!(yearfrac(46179, 46084, Basis::Us30360), 93.0 / 360.0);
        assert_eq!(Basis::from_number(5.0), None);
    }

    #[test]
    fn parses_dates_and_times() {
        assert_eq!(parse_datetime_text("2020-01-31"), Some(43_861.0));
        assert_eq!(parse_datetime_text("1/31/2020"), Some(43_861.0));
        assert_eq!(parse_datetime_text("31-Jan-2020"), Some(43_861.0));
        assert_eq!(parse_datetime_text("January 31, 2020"), Some(43_861.0));
        assert_eq!(parse_datetime_text("12:00"), Some(0.5));
        assert_eq!(parse_datetime_text("6:00 PM"), Some(0.75));
        assert_eq!(parse_datetime_text("2020-01-31 12:00"), Some(43_861.5));
        assert_eq!(parse_datetime_text("hello"), None);
        assert_eq!(parse_datetime_text("2/30/2020"), None);
    }
}
