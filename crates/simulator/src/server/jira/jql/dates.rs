//! Date values in JQL: the literal formats, periods relative to now, and the date functions with
//! their increments, read at a given instant (the simulator's clock) in UTC, the API user's zone.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveDateTime, Utc};

/// A literal `"yyyy-MM-dd HH:mm"`, `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd"` or `"yyyy/MM/dd"` (the
/// date-only forms at midnight), epoch ms.
pub(super) fn literal(s: &str) -> Option<i64> {
    let s = s.trim();
    ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|t| t.and_utc().timestamp_millis())
}

/// `-30d`, `"4w 2d"`, `+2h`, `-15m`: a signed sum of weeks, days, hours and minutes, in ms.
pub(super) fn period(s: &str) -> Option<i64> {
    let s = s.trim();
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut total = 0i64;
    let mut digits = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' if digits.is_empty() => {}
            'w' | 'd' | 'h' | 'm' if !digits.is_empty() => {
                let n: i64 = digits.parse().ok()?;
                let unit = match c {
                    'w' => 7 * 86_400_000,
                    'd' => 86_400_000,
                    'h' => 3_600_000,
                    _ => 60_000,
                };
                total = total.checked_add(n.checked_mul(unit)?)?;
                digits.clear();
                any = true;
            }
            _ => return None,
        }
    }
    (any && digits.is_empty()).then_some(sign * total)
}

#[derive(Clone, Copy)]
enum Unit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
}

/// Moves `t` by `n` units (calendar months and years, fixed-length the rest).
fn shift(t: DateTime<Utc>, n: i64, unit: Unit) -> Option<DateTime<Utc>> {
    let months = |m: i64| {
        let k = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m < 0 {
            t.checked_sub_months(k)
        } else {
            t.checked_add_months(k)
        }
    };
    match unit {
        Unit::Years => months(n.checked_mul(12)?),
        Unit::Months => months(n),
        Unit::Weeks => t.checked_add_signed(Duration::try_weeks(n)?),
        Unit::Days => t.checked_add_signed(Duration::try_days(n)?),
        Unit::Hours => t.checked_add_signed(Duration::try_hours(n)?),
        Unit::Minutes => t.checked_add_signed(Duration::try_minutes(n)?),
    }
}

/// A function increment: `-1`, `"+2d"`, `-1M` (the unit defaults to the function's own).
fn increment(arg: Option<&String>, default: Unit) -> Option<(i64, Unit)> {
    let Some(arg) = arg else {
        return Some((0, default));
    };
    let a = arg.trim();
    let (num, unit) = match a.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&a[..i], Some(c)),
        _ => (a, None),
    };
    let n: i64 = num.trim_start_matches('+').parse().ok()?;
    let unit = match unit {
        None => default,
        Some('y') => Unit::Years,
        Some('M') => Unit::Months,
        Some('w') => Unit::Weeks,
        Some('d') => Unit::Days,
        Some('h') => Unit::Hours,
        Some('m') => Unit::Minutes,
        Some(_) => return None,
    };
    Some((n, unit))
}

/// `now()` and the start/end-of-period functions, at `now_ms`, in UTC; weeks start on Sunday
/// (the API user's locale is `en_US`). An `endOf…` is the last millisecond of its period.
pub(super) fn function(name: &str, args: &[String], now_ms: i64) -> Option<(i64, i64)> {
    let now = crate::format::utc(now_ms);
    let lower = name.to_lowercase();
    if lower == "now" {
        return args.is_empty().then_some((now_ms, 1));
    }
    let (end, period) = if let Some(p) = lower.strip_prefix("startof") {
        (false, p)
    } else {
        (true, lower.strip_prefix("endof")?)
    };
    let midnight = now.date_naive().and_hms_opt(0, 0, 0)?.and_utc();
    let (start, unit) = match period {
        "day" => (midnight, Unit::Days),
        "week" => (
            midnight
                .checked_sub_days(Days::new(u64::from(now.weekday().num_days_from_sunday())))?,
            Unit::Weeks,
        ),
        "month" => (midnight.with_day(1)?, Unit::Months),
        "year" => (midnight.with_day(1)?.with_month(1)?, Unit::Years),
        _ => return None,
    };
    if args.len() > 1 {
        return None;
    }
    let (n, by) = increment(args.first(), unit)?;
    let moved = shift(start, n, by)?;
    let t = if end {
        shift(moved, 1, unit)?.timestamp_millis() - 1
    } else {
        moved.timestamp_millis()
    };
    Some((t, 1))
}
