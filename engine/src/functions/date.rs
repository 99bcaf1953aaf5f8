//! Date and time functions. Dates are serial numbers of Excel's 1900 date system (see
//! [`crate::datetime`]): whole days since 1899-12-31 with the fictitious 1900-02-29, and
//! times as fractions of a day.

use super::FnResult;
use super::args;
use crate::datetime::{self, Basis, MAX_SERIAL};
use crate::eval::{Evaluator, Operand, Source};
use crate::parse::Expr;
use crate::value::{ErrorKind, Value};

type Special = Result<Operand, ErrorKind>;

const SECONDS_PER_DAY: f64 = 86_400.0;

fn ok(n: f64) -> FnResult {
    Ok(Value::number(n))
}

/// A serial number argument: `#NUM!` when negative or after 9999-12-31.
fn serial(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    let s = args::num(a, i)?;
    if (0.0..MAX_SERIAL + 1.0).contains(&s) { Ok(s) } else { Err(ErrorKind::Num) }
}

/// An Analysis ToolPak argument (`EDATE`, `YEARFRAC`, `WORKDAY`…): booleans are `#VALUE!`.
fn atp(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    match a.get(i) {
        Some(Value::Bool(_)) | None => Err(ErrorKind::Value),
        Some(v) => v.to_number(),
    }
}

/// A whole-day serial argument of an Analysis ToolPak function.
fn atp_day(a: &[Value], i: usize) -> Result<i64, ErrorKind> {
    let s = atp(a, i)?.trunc();
    if (0.0..=MAX_SERIAL).contains(&s) { Ok(s as i64) } else { Err(ErrorKind::Num) }
}

/// A serial split into its day and its second of the day, the time rounded to the nearest
/// second as Excel does (`DAY(46000.999999)` is the next day).
fn day_and_second(s: f64) -> (i64, i64) {
    let total = (s * SECONDS_PER_DAY).round() as i64;
    (total.div_euclid(86_400), total.rem_euclid(86_400))
}

/// Day of the week, 0 = Monday … 6 = Sunday (serial 0, "1900-01-00", is a Saturday and
/// serial 1 a Sunday, as in Excel).
fn weekday_index(day: i64) -> i64 {
    (day + 5).rem_euclid(7)
}

/// `DATE(year, month, day)`
pub(super) fn date(a: &[Value]) -> FnResult {
    let (y, m, d) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    datetime::date_serial(y, m, d).map(Value::Number).ok_or(ErrorKind::Num)
}

/// `TIME(hour, minute, second)`: components are truncated and roll over; the result is the
/// fraction of a day (`#NUM!` for a negative time).
pub(super) fn time(a: &[Value]) -> FnResult {
    let (h, m, s) = (args::int(a, 0)?, args::int(a, 1)?, args::int(a, 2)?);
    if h > 32_767.0 || m > 32_767.0 || s > 32_767.0 {
        return Err(ErrorKind::Num);
    }
    let total = h * 3600.0 + m * 60.0 + s;
    if total < 0.0 {
        return Err(ErrorKind::Num);
    }
    let days = total / SECONDS_PER_DAY;
    ok(days - days.floor())
}

/// `DATEVALUE(date_text)`
pub(super) fn datevalue(a: &[Value]) -> FnResult {
    match a.first() {
        Some(Value::Text(t)) => {
            let s = datetime::parse_datetime_text(t).ok_or(ErrorKind::Value)?;
            ok(s.floor())
        }
        Some(Value::Error(e)) => Err(*e),
        _ => Err(ErrorKind::Value),
    }
}

/// `TIMEVALUE(time_text)`
pub(super) fn timevalue(a: &[Value]) -> FnResult {
    match a.first() {
        Some(Value::Text(t)) => {
            let s = datetime::parse_datetime_text(t).ok_or(ErrorKind::Value)?;
            ok(s - s.floor())
        }
        Some(Value::Error(e)) => Err(*e),
        _ => Err(ErrorKind::Value),
    }
}

fn ymd(a: &[Value]) -> Result<(i64, u32, u32), ErrorKind> {
    let (day, _) = day_and_second(serial(a, 0)?);
    Ok(datetime::ymd_from_serial(day))
}

/// `YEAR(serial_number)`
pub(super) fn year(a: &[Value]) -> FnResult {
    ok(ymd(a)?.0 as f64)
}

/// `MONTH(serial_number)`
pub(super) fn month(a: &[Value]) -> FnResult {
    ok(f64::from(ymd(a)?.1))
}

/// `DAY(serial_number)`
pub(super) fn day(a: &[Value]) -> FnResult {
    ok(f64::from(ymd(a)?.2))
}

/// `HOUR(serial_number)`
pub(super) fn hour(a: &[Value]) -> FnResult {
    ok((day_and_second(serial(a, 0)?).1 / 3600) as f64)
}

/// `MINUTE(serial_number)`
pub(super) fn minute(a: &[Value]) -> FnResult {
    ok((day_and_second(serial(a, 0)?).1 / 60 % 60) as f64)
}

/// `SECOND(serial_number)`
pub(super) fn second(a: &[Value]) -> FnResult {
    ok((day_and_second(serial(a, 0)?).1 % 60) as f64)
}

/// `DAYS(end_date, start_date)`
pub(super) fn days(a: &[Value]) -> FnResult {
    let (end, start) = (serial(a, 0)?.trunc(), serial(a, 1)?.trunc());
    ok(end - start)
}

/// `DAYS360(start_date, end_date, [method])`
pub(super) fn days360(a: &[Value]) -> FnResult {
    let (start, _) = day_and_second(serial(a, 0)?);
    let (end, _) = day_and_second(serial(a, 1)?);
    let european = args::boolean_or(a, 2, false)?;
    ok(datetime::days360(start, end, european) as f64)
}

/// `EDATE(start_date, months)`
pub(super) fn edate(a: &[Value]) -> FnResult {
    let start = atp_day(a, 0)?;
    let months = atp(a, 1)?.trunc();
    let s = datetime::add_months(start, months as i64).ok_or(ErrorKind::Num)?;
    ok(s as f64)
}

/// `EOMONTH(start_date, months)`
pub(super) fn eomonth(a: &[Value]) -> FnResult {
    let start = atp_day(a, 0)?;
    let months = atp(a, 1)?.trunc();
    let s = datetime::end_of_month(start, months as i64).ok_or(ErrorKind::Num)?;
    ok(s as f64)
}

/// `WEEKDAY(serial_number, [return_type])`
pub(super) fn weekday(a: &[Value]) -> FnResult {
    let (day, _) = day_and_second(serial(a, 0)?);
    let kind = match a.get(1) {
        None | Some(Value::Blank) => 1.0,
        Some(_) => args::int(a, 1)?,
    };
    let monday0 = weekday_index(day);
    let n = match kind as i64 {
        1 => (monday0 + 1) % 7 + 1,
        2 => monday0 + 1,
        3 => monday0,
        k @ 11..=17 => (monday0 - (k - 11)).rem_euclid(7) + 1,
        _ => return Err(ErrorKind::Num),
    };
    ok(n as f64)
}

/// The ISO 8601 week number of a day.
fn iso_week(day: i64) -> i64 {
    // The Thursday of the day's week decides the year the week belongs to.
    let thursday = day - weekday_index(day) + 3;
    let (y, _, _) = datetime::ymd_from_serial(thursday.max(1));
    let jan1 = datetime::serial_from_ymd(y, 1, 1);
    (thursday - jan1) / 7 + 1
}

/// `WEEKNUM(serial_number, [return_type])`
pub(super) fn weeknum(a: &[Value]) -> FnResult {
    let (day, _) = day_and_second(serial(a, 0)?);
    let kind = match a.get(1) {
        None | Some(Value::Blank) => 1,
        Some(_) => args::int(a, 1)? as i64,
    };
    // The weekday (0 = Monday) on which weeks start.
    let first = match kind {
        1 | 17 => 6,
        2 | 11 => 0,
        12..=16 => kind - 11,
        21 => return ok(iso_week(day) as f64),
        _ => return Err(ErrorKind::Num),
    };
    let (y, _, _) = datetime::ymd_from_serial(day);
    let jan1 = datetime::serial_from_ymd(y, 1, 1);
    let offset = (weekday_index(jan1) - first).rem_euclid(7);
    ok(((day - jan1 + offset) / 7 + 1) as f64)
}

/// `ISOWEEKNUM(date)`
pub(super) fn isoweeknum(a: &[Value]) -> FnResult {
    let (day, _) = day_and_second(serial(a, 0)?);
    ok(iso_week(day) as f64)
}

/// `YEARFRAC(start_date, end_date, [basis])`
pub(super) fn yearfrac(a: &[Value]) -> FnResult {
    let (start, end) = (atp_day(a, 0)?, atp_day(a, 1)?);
    let code = match a.get(2) {
        None | Some(Value::Blank) => 0.0,
        Some(_) => atp(a, 2)?.trunc(),
    };
    let basis = Basis::from_number(code).ok_or(ErrorKind::Num)?;
    ok(datetime::yearfrac(start, end, basis))
}

/// `DATEDIF(start_date, end_date, unit)`
pub(super) fn datedif(a: &[Value]) -> FnResult {
    let (start, end) = (serial(a, 0)?.trunc() as i64, serial(a, 1)?.trunc() as i64);
    let unit = args::text(a, 2)?.to_ascii_uppercase();
    if start > end {
        return Err(ErrorKind::Num);
    }
    let (y1, m1, d1) = datetime::ymd_from_serial(start);
    let (y2, m2, d2) = datetime::ymd_from_serial(end);
    let months = (y2 - y1) * 12 + i64::from(m2) - i64::from(m1) - i64::from(d2 < d1);
    let n = match unit.as_str() {
        "Y" => months.div_euclid(12),
        "M" => months,
        "D" => end - start,
        "YM" => months.rem_euclid(12),
        "MD" => {
            if d2 >= d1 {
                i64::from(d2) - i64::from(d1)
            } else {
                let (py, pm) = if m2 == 1 { (y2 - 1, 12) } else { (y2, m2 - 1) };
                i64::from(datetime::days_in_month(py, pm)) - i64::from(d1) + i64::from(d2)
            }
        }
        "YD" => {
            let same_day = |y: i64| datetime::date_serial(y as f64, f64::from(m1), f64::from(d1));
            let mut anniversary = same_day(y2).ok_or(ErrorKind::Num)? as i64;
            if anniversary > end {
                anniversary = same_day(y2 - 1).ok_or(ErrorKind::Num)? as i64;
            }
            end - anniversary
        }
        _ => return Err(ErrorKind::Num),
    };
    ok(n as f64)
}

/// The current date and time (UTC: the engine has no time zone).
fn now_serial() -> f64 {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    // 1970-01-01 is serial 25569.
    25_569.0 + secs / SECONDS_PER_DAY
}

/// `NOW()` (volatile)
pub(super) fn now(_: &[Value]) -> FnResult {
    ok(now_serial())
}

/// `TODAY()` (volatile)
pub(super) fn today(_: &[Value]) -> FnResult {
    ok(now_serial().floor())
}

// ── Working days ───────────────────────────────────────────────────────────────────────────

/// Which days of the week (0 = Monday) are weekend days.
type Weekend = [bool; 7];

const SAT_SUN: Weekend = [false, false, false, false, false, true, true];

/// The `weekend` argument of `NETWORKDAYS.INTL`/`WORKDAY.INTL`: a code 1–7 (two days) or
/// 11–17 (one day), or seven characters `0`/`1` from Monday to Sunday.
fn weekend_arg(v: &Value) -> Result<Weekend, ErrorKind> {
    match v {
        Value::Blank => Ok(SAT_SUN),
        Value::Error(e) => Err(*e),
        Value::Text(t) => {
            let bytes = t.as_bytes();
            if bytes.len() != 7 || !bytes.iter().all(|b| *b == b'0' || *b == b'1') {
                return Err(ErrorKind::Value);
            }
            let mut w = [false; 7];
            for (slot, b) in w.iter_mut().zip(bytes) {
                *slot = *b == b'1';
            }
            Ok(w)
        }
        v => {
            let code = v.to_number()?.trunc() as i64;
            let mut w = [false; 7];
            match code {
                // 1: Saturday and Sunday, 2: Sunday and Monday, … 7: Friday and Saturday.
                1..=7 => {
                    w[((code + 4) % 7) as usize] = true;
                    w[((code + 5) % 7) as usize] = true;
                }
                // 11: Sunday only, 12: Monday only, … 17: Saturday only.
                11..=17 => w[((code - 5) % 7) as usize] = true,
                _ => return Err(ErrorKind::Num),
            }
            Ok(w)
        }
    }
}

/// The holidays argument: whole-day serials, sorted and deduplicated. Errors propagate,
/// text in cells is `#VALUE!`, blanks are skipped.
fn holidays(ev: &mut Evaluator<'_>, arg: Option<&Expr>) -> Result<Vec<i64>, ErrorKind> {
    let Some(arg) = arg else { return Ok(Vec::new()) };
    if matches!(arg, Expr::Missing) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    ev.visit_values(std::slice::from_ref(arg), &mut |src, v| {
        match (src, v) {
            (_, Value::Number(n)) => {
                if !(0.0..=MAX_SERIAL).contains(&n) {
                    return Err(ErrorKind::Num);
                }
                out.push(n.trunc() as i64);
            }
            (_, Value::Error(e)) => return Err(e),
            (_, Value::Blank) => {}
            // Dates typed as text (`{"2006/1/2"}`) convert; text in cells does not.
            (Source::Direct | Source::Array, v @ Value::Text(_)) => out.push(v.to_number()?.trunc() as i64),
            _ => return Err(ErrorKind::Value),
        }
        Ok(())
    })?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A whole-day date argument of the working-day functions (`#NUM!` outside the calendar,
/// booleans `#VALUE!`).
fn day_arg(ev: &mut Evaluator<'_>, a: &[Expr], i: usize) -> Result<i64, ErrorKind> {
    let v = args::scalar(ev, a, i);
    atp_day(std::slice::from_ref(&v), 0)
}

fn is_workday(day: i64, weekend: &Weekend, holidays: &[i64]) -> bool {
    !weekend[weekday_index(day) as usize] && holidays.binary_search(&day).is_err()
}

/// Working days from `start` to `end` inclusive (negative when `end` is earlier).
fn networkdays_count(start: i64, end: i64, weekend: &Weekend, holidays: &[i64]) -> i64 {
    let (lo, hi, sign) = if start <= end { (start, end, 1) } else { (end, start, -1) };
    let per_week = weekend.iter().filter(|w| !**w).count() as i64;
    let span = hi - lo + 1;
    let mut count = span / 7 * per_week;
    for d in lo + span / 7 * 7..=hi {
        count += i64::from(!weekend[weekday_index(d) as usize]);
    }
    let lo_idx = holidays.partition_point(|&h| h < lo);
    let hi_idx = holidays.partition_point(|&h| h <= hi);
    count -= holidays[lo_idx..hi_idx].iter().filter(|&&h| !weekend[weekday_index(h) as usize]).count() as i64;
    sign * count
}

/// The weekend and holidays arguments of `NETWORKDAYS`/`WORKDAY` (from the third argument)
/// and of their `.INTL` forms (weekend third, holidays fourth).
fn weekend_and_holidays(ev: &mut Evaluator<'_>, a: &[Expr], intl: bool) -> Result<(Weekend, Vec<i64>), ErrorKind> {
    let (weekend, hol_arg) = if intl {
        let w = match a.get(2) {
            None | Some(Expr::Missing) => SAT_SUN,
            Some(_) => weekend_arg(&args::scalar(ev, a, 2))?,
        };
        (w, a.get(3))
    } else {
        (SAT_SUN, a.get(2))
    };
    Ok((weekend, holidays(ev, hol_arg)?))
}

fn networkdays_impl(ev: &mut Evaluator<'_>, a: &[Expr], intl: bool) -> Special {
    let start = day_arg(ev, a, 0)?;
    let end = day_arg(ev, a, 1)?;
    let (weekend, hol) = weekend_and_holidays(ev, a, intl)?;
    Ok((networkdays_count(start, end, &weekend, &hol) as f64).into())
}

/// `NETWORKDAYS(start_date, end_date, [holidays])`
pub(super) fn networkdays(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    networkdays_impl(ev, a, false)
}

/// `NETWORKDAYS.INTL(start_date, end_date, [weekend], [holidays])`
pub(super) fn networkdays_intl(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    networkdays_impl(ev, a, true)
}

/// The working day `days` working days after (or before) `start`.
fn workday_from(start: i64, days: i64, weekend: &Weekend, holidays: &[i64]) -> Result<i64, ErrorKind> {
    if weekend.iter().all(|w| *w) {
        return Err(ErrorKind::Value);
    }
    let step = if days >= 0 { 1 } else { -1 };
    let per_week = weekend.iter().filter(|w| !**w).count() as i64;
    let mut left = days.abs();
    let mut d = start;
    while left > 0 {
        // Jump whole weeks when no holiday lies in them.
        if left > per_week {
            let next = d + 7 * step;
            let (lo, hi) = if step > 0 { (d + 1, next) } else { (next, d - 1) };
            let i = holidays.partition_point(|&h| h < lo);
            if holidays.get(i).is_none_or(|&h| h > hi) {
                d = next;
                left -= per_week;
                if !(0..=MAX_SERIAL as i64).contains(&d) {
                    return Err(ErrorKind::Num);
                }
                continue;
            }
        }
        d += step;
        if !(0..=MAX_SERIAL as i64).contains(&d) {
            return Err(ErrorKind::Num);
        }
        if is_workday(d, weekend, holidays) {
            left -= 1;
        }
    }
    Ok(d)
}

fn workday_impl(ev: &mut Evaluator<'_>, a: &[Expr], intl: bool) -> Special {
    let start = day_arg(ev, a, 0)?;
    let days = match args::scalar(ev, a, 1) {
        Value::Bool(_) => return Err(ErrorKind::Value),
        v => v.to_number()?.trunc(),
    };
    let (weekend, hol) = weekend_and_holidays(ev, a, intl)?;
    if days.abs() > MAX_SERIAL {
        return Err(ErrorKind::Num);
    }
    Ok((workday_from(start, days as i64, &weekend, &hol)? as f64).into())
}

/// `WORKDAY(start_date, days, [holidays])`
pub(super) fn workday(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    workday_impl(ev, a, false)
}

/// `WORKDAY.INTL(start_date, days, [weekend], [holidays])`
pub(super) fn workday_intl(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    workday_impl(ev, a, true)
}

#[cfg(test)]
mod tests {
    use crate::value::{ErrorKind, Value};

    fn eval(formula: &str) -> Value {
        crate::testing::eval_formula(formula, &[])
    }

    #[track_caller]
    fn assert_num(formula: &str, expected: f64) {
        match eval(formula) {
            Value::Number(n) => assert!((n - expected).abs() < 1e-9, "{formula} = {n}, expected {expected}"),
            other => panic!("{formula} gave {other:?}, expected {expected}"),
        }
    }

    #[track_caller]
    fn assert_error(formula: &str, e: ErrorKind) {
        assert_eq!(eval(formula), Value::Error(e), "{formula}");
    }

    #[test]
    fn dates_and_times() {
        assert_num("=DATE(1976,1,60)", 27_819.0);
        assert_num("=DATE(2022,13,1)", 44_927.0);
        assert_error("=DATE(9999,13,-1)", ErrorKind::Num);
        assert_error("=DATE(0,0,1)", ErrorKind::Num);
        assert_num("=TIME(16,48,10)", 0.700_115_740_740_740_7);
        assert_num("=TIME(23,59,60)", 0.0);
        assert_num("=TIME(12,-2,10)", 0.498_726_851_851_851_84);
        assert_error("=TIME(0,0,-1)", ErrorKind::Num);
        assert_num("=DATEVALUE(\"8/22/2011\")", 40_777.0);
        assert_num("=DATEVALUE(\"22-MAY-2011\")", 40_685.0);
        assert_num("=DATEVALUE(\"29-Feb-1900\")", 60.0);
        assert_num("=DATEVALUE(\"2024-02-29 06:00\")", 45_351.0);
        assert_error("=DATEVALUE(40777)", ErrorKind::Value);
        assert_num("=TIMEVALUE(\"2:24 AM\")", 0.1);
        assert_num("=TIMEVALUE(\"24:00\")", 0.0);
    }

    #[test]
    fn parts_of_serials() {
        assert_num("=YEAR(32111)", 1987.0);
        assert_num("=MONTH(32111)", 11.0);
        assert_num("=DAY(32111)", 30.0);
        assert_num("=DAY(60)", 29.0);
        assert_num("=MONTH(61)", 3.0);
        assert_error("=DAY(-1)", ErrorKind::Num);
        assert_error("=DAY(\"qwerty\")", ErrorKind::Value);
        // Times are rounded to the second: 0.99998842… is 23:59:59.
        assert_num("=HOUR(0.99998842592592596)", 23.0);
        assert_num("=SECOND(0.99998842592592596)", 59.0);
        assert_num("=MINUTE(TIME(13,-20,-30))", 39.0);
        assert_num("=HOUR(0.75)", 18.0);
    }

    #[test]
    fn day_counts() {
        assert_num("=DAYS(DATE(2025,1,10),DATE(2025,1,1))", 9.0);
        assert_num("=DAYS(46000.999999,45992.000001)", 8.0);
        assert_error("=DAYS(-5,-10)", ErrorKind::Num);
        assert_num("=DAYS360(DATE(2011,1,30),DATE(2011,12,31))", 330.0);
        assert_num("=DAYS360(DATE(2025,1,1),DATE(2025,1,31))", 30.0);
        assert_num("=DAYS360(DATE(2025,1,1),DATE(2025,1,31),TRUE)", 29.0);
        assert_num("=DAYS360(DATE(2024,2,29),DATE(2025,2,28))", 358.0);
        assert_num("=DAYS360(45992.000001,46000.999999)", 9.0);
        assert_num("=YEARFRAC(39508,39691,1)", 0.5);
        assert_num("=YEARFRAC(34824,46179,1)", 31.088_295_687_885_01);
        assert_num("=YEARFRAC(46179,46084,0)", 0.258_333_333_333_333_36);
        assert_num("=YEARFRAC(44921,44561,2)", 1.0);
        assert_error("=YEARFRAC(1,2,5)", ErrorKind::Num);
    }

    #[test]
    fn months() {
        assert_num("=EDATE(DATE(2011,1,15),-1)", 40_527.0);
        assert_num("=EDATE(DATE(2011,1,31),1)", 40_602.0);
        assert_num("=EDATE(32112,-235.5)", 24_959.0);
        assert_error("=EDATE(61,-7)", ErrorKind::Num);
        assert_num("=EOMONTH(DATE(2011,1,1),1)", 40_602.0);
        assert_num("=EOMONTH(DATE(2011,1,1),-3)", 40_482.0);
        assert_num("=EOMONTH(44987,-4.7)", 44_895.0);
        assert_error("=EOMONTH(44987,TRUE)", ErrorKind::Value);
    }

    #[test]
    fn weeks() {
        assert_num("=WEEKDAY(DATE(2008,2,14))", 5.0);
        assert_num("=WEEKDAY(DATE(2008,2,14),2)", 4.0);
        assert_num("=WEEKDAY(DATE(2008,2,14),3)", 3.0);
        assert_num("=WEEKDAY(DATE(2008,2,14),11)", 4.0);
        assert_num("=WEEKDAY(DATE(2008,2,14),17)", 5.0);
        assert_num("=WEEKDAY(1)", 1.0);
        assert_num("=WEEKDAY(60)", 4.0);
        assert_error("=WEEKDAY(1,4)", ErrorKind::Num);
        assert_num("=WEEKNUM(DATE(2012,3,9))", 10.0);
        assert_num("=WEEKNUM(DATE(2012,3,9),2)", 11.0);
        assert_num("=WEEKNUM(DATE(2021,1,1),21)", 53.0);
        assert_num("=ISOWEEKNUM(DATE(2012,3,9))", 10.0);
        assert_num("=ISOWEEKNUM(DATE(2021,1,4))", 1.0);
        assert_num("=ISOWEEKNUM(DATE(2020,12,31))", 53.0);
    }

    #[test]
    fn working_days() {
        assert_num("=NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1))", 110.0);
        assert_num("=NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1),{41235,41247,41295})", 107.0);
        assert_num("=NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,1,31))", 22.0);
        assert_num("=NETWORKDAYS.INTL(DATE(2006,2,28),DATE(2006,1,31))", -21.0);
        assert_num("=NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,2,1),7,{\"2006/1/2\",\"2006/1/16\"})", 22.0);
        assert_num("=NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,2,1),\"0010001\",{\"2006/1/2\",\"2006/1/16\"})", 20.0);
        assert_error("=NETWORKDAYS.INTL(1,100,\"000001\")", ErrorKind::Value);
        assert_num("=WORKDAY(DATE(2008,10,1),151)", 39_933.0);
        assert_num("=WORKDAY(DATE(2008,10,1),151,{39778,39786,39834})", 39_938.0);
        assert_num("=WORKDAY(DATE(2008,10,1),-5)", 39_715.0);
        assert_num("=WORKDAY.INTL(DATE(2012,1,1),90,11)", 41_013.0);
        assert_num("=WORKDAY.INTL(DATE(2012,1,1),30,17)", 40_944.0);
        assert_error("=WORKDAY.INTL(DATE(2012,1,1),30,0)", ErrorKind::Num);
        assert_error("=WORKDAY.INTL(DATE(2012,1,1),30,\"1111111\")", ErrorKind::Value);
    }

    #[test]
    fn datedif() {
        assert_num("=DATEDIF(DATE(2001,1,1),DATE(2003,1,1),\"Y\")", 2.0);
        assert_num("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"D\")", 440.0);
        assert_num("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"YD\")", 75.0);
        assert_num("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"MD\")", 14.0);
        assert_num("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"ym\")", 2.0);
        assert_num("=DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"M\")", 14.0);
        assert_error("=DATEDIF(DATE(2003,1,1),DATE(2001,1,1),\"Y\")", ErrorKind::Num);
        assert_error("=DATEDIF(1,2,\"W\")", ErrorKind::Num);
    }
}
