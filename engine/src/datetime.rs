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
    let m = (m.rem_euclid(12) + 1) as u32;
    let first = serial_from_ymd(y, m, 1) as f64;
    let serial = first + day.trunc() - 1.0;
    (0.0..=MAX_SERIAL).contains(&serial).then_some(serial)
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
    let parts: Vec<&str> =
        t.split(|c: char| c == '/' || c == '-' || c == ' ' || c == ',' || c == '.').filter(|p| !p.is_empty()).collect();
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
