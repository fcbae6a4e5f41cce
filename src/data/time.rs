//! Time columns: recognising them (by name or by values), deciding their format once for the
//! whole column (day-first versus month-first from all values), and converting to epoch
//! milliseconds (UTC; times without a zone are taken as UTC).

use rayon::prelude::*;

use super::text_column::TextColumn;
use crate::clock::{ClockPoints, LocalClock};
use crate::zone::{Zone, ZoneSeen};

/// How a time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeFormat {
    /// `2021-03-13`, `2021-03-13 08:00:00`, `2021-03-13T08:00:00Z`, `...+02:00`.
    Iso,
    /// `13/3/2022` (day first), optionally with a time of day.
    DayFirst,
    /// `3/13/2022` (month first), optionally with a time of day.
    MonthFirst,
    /// Whole seconds since 1970-01-01 UTC.
    EpochSeconds,
    /// Whole milliseconds since 1970-01-01 UTC.
    EpochMillis,
}

impl std::fmt::Display for TimeFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeFormat::Iso => "ISO dates (YYYY-MM-DD[ HH:MM:SS][zone])",
            TimeFormat::DayFirst => "d/m/Y dates",
            TimeFormat::MonthFirst => "m/d/Y dates",
            TimeFormat::EpochSeconds => "epoch seconds",
            TimeFormat::EpochMillis => "epoch milliseconds",
        })
    }
}

/// Marks a row without a time in columns of epoch milliseconds.
pub const NO_TIME: i64 = i64::MIN;

/// The earliest time an access-log line may have, and `generate` may write: 1970-01-01 UTC
/// (a web request cannot be older; earlier lines are malformed).
pub const MIN_TIME_MS: i64 = 0;

/// The latest time an access-log line may have, and `generate` may write:
/// 9999-12-31T23:59:59.999Z, the last instant with a four-digit year (every time format
/// TrafficLens reads has four-digit years).
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// True for a UTC offset that RFC 3339 allows: hours 00 to 23, minutes 00 to 59 (`+99:99`,
/// `+2400` and `+0060` are not offsets).
pub(crate) fn valid_offset(hours: u32, minutes: u32) -> bool {
    hours <= 23 && minutes <= 59
}

/// Days in a month of the Gregorian calendar (0 for a month that does not exist).
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Names that mark a column as the time column (compared case-insensitively).
const TIME_NAMES: [&str; 14] = [
    "date",
    "time",
    "timestamp",
    "datetime",
    "date_time",
    "ds",
    "dt",
    "ts",
    "day",
    "time_stamp",
    "period",
    "hour",
    "minute",
    "when",
];

/// True when a column name says it holds times.
pub fn is_time_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    TIME_NAMES.contains(&n.as_str())
        || n.ends_with("_date")
        || n.ends_with(" date")
        || n.ends_with("timestamp")
        || n.ends_with("datetime")
}

/// A problem found while converting a time column; rows are 0-based data rows.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeIssue {
    /// A value that is no time at all.
    Bad {
        /// The row.
        row: usize,
        /// Its text.
        value: String,
        /// The column's format.
        format: String,
    },
    /// A value in another format than the column's.
    Mixed {
        /// The row.
        row: usize,
        /// Its text.
        value: String,
        /// Its format.
        found: &'static str,
        /// The column's format.
        expected: &'static str,
    },
    /// Slash dates that are day-first in one row and month-first in another.
    Contradictory {
        /// A row only valid day-first.
        day_first_row: usize,
        /// Its text.
        day_first_value: String,
        /// A row only valid month-first.
        month_first_row: usize,
        /// Its text.
        month_first_value: String,
    },
}

/// A converted time column.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTimes {
    /// Epoch milliseconds per row; [`NO_TIME`] where the cell was empty.
    pub millis: Vec<i64>,
    /// The format decided for the column.
    pub format: TimeFormat,
    /// A note when the decision needed a tie-break (ambiguous day/month order).
    pub warning: Option<String>,
    /// The clock the values were written in.
    pub zone: Zone,
    /// Where the offset the values were written with changed (daylight saving).
    pub clock: LocalClock,
}

/// The shape of one text value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// Year first.
    Iso(Parts),
    /// `a/b/Y` with the first two fields not yet assigned to day and month.
    Slash { a: u32, b: u32, parts: Parts },
}

/// Date and time parts; for `Slash` the month and day fields are unused.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Parts {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
    offset_minutes: i32,
    /// A zone was written (`Z`, `UTC` or an offset).
    zoned: bool,
}

impl Parts {
    /// The offset the value was written with (`None` when it names no zone).
    fn offset(&self) -> Option<i32> {
        self.zoned.then_some(self.offset_minutes)
    }
}

impl Shape {
    fn family(&self) -> &'static str {
        match self {
            Shape::Iso(_) => "an ISO date (YYYY-MM-DD)",
            Shape::Slash { .. } => "a d/m/Y or m/d/Y date",
        }
    }
}

/// Parses a run of ASCII digits (at most `max` of them); returns the value and the rest.
fn digits(s: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let n = s
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n < min {
        return None;
    }
    let v = s[..n]
        .iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
    Some((v, &s[n..]))
}

/// Parses an optional time of day and zone after a date: `[T| ]HH:MM[:SS[.fff]][Z|±HH[:]MM]`.
fn time_of_day(mut s: &[u8], parts: &mut Parts) -> Option<()> {
    if s.is_empty() {
        return Some(());
    }
    if s[0] != b'T' && s[0] != b' ' {
        return None;
    }
    s = s[1..].trim_ascii_start();
    let (h, rest) = digits(s, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (m, mut rest) = digits(rest, 2, 2)?;
    parts.hour = h;
    parts.minute = m;
    if let Some(r) = rest.strip_prefix(b":") {
        let (sec, r) = digits(r, 2, 2)?;
        parts.second = sec;
        rest = r;
        if let Some(r) = rest.strip_prefix(b".").or_else(|| rest.strip_prefix(b",")) {
            let n = r.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let frac = &r[..n.min(3)];
            let mut ms = frac
                .iter()
                .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
            for _ in frac.len()..3 {
                ms *= 10;
            }
            parts.milli = ms;
            rest = &r[n..];
        }
    }
    let rest = rest.trim_ascii();
    if rest.is_empty() {
        return Some(());
    }
    if rest == b"Z" || rest.eq_ignore_ascii_case(b"UTC") {
        parts.zoned = true;
        return Some(());
    }
    let sign = match rest[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, r) = digits(&rest[1..], 2, 2)?;
    let r = r.strip_prefix(b":").unwrap_or(r);
    let (om, r) = if r.is_empty() {
        (0, r)
    } else {
        digits(r, 2, 2)?
    };
    if !r.is_empty() || !valid_offset(oh, om) {
        return None;
    }
    parts.offset_minutes = sign * (oh as i32 * 60 + om as i32);
    parts.zoned = true;
    Some(())
}

/// Recognises the shape of one value.
fn shape(text: &str) -> Option<Shape> {
    let s = text.trim().as_bytes();
    if s.len() >= 8 && s[..4].iter().all(u8::is_ascii_digit) && matches!(s[4], b'-' | b'/') {
        let sep = s[4];
        let (year, rest) = digits(s, 4, 4)?;
        let rest = rest.strip_prefix(&[sep])?;
        let (month, rest) = digits(rest, 1, 2)?;
        let rest = rest.strip_prefix(&[sep])?;
        let (day, rest) = digits(rest, 1, 2)?;
        let mut parts = Parts {
            year: year as i32,
            month,
            day,
            ..Parts::default()
        };
        time_of_day(rest, &mut parts)?;
        return Some(Shape::Iso(parts));
    }
    let (a, rest) = digits(s, 1, 2)?;
    let sep = *rest.first()?;
    if !matches!(sep, b'/' | b'-' | b'.') {
        return None;
    }
    let (b, rest) = digits(&rest[1..], 1, 2)?;
    let rest = rest.strip_prefix(&[sep])?;
    let (year, rest) = digits(rest, 4, 4)?;
    let mut parts = Parts {
        year: year as i32,
        ..Parts::default()
    };
    time_of_day(rest, &mut parts)?;
    Some(Shape::Slash { a, b, parts })
}

/// Epoch milliseconds of validated parts, or `None` for an impossible date or time.
fn to_millis(p: &Parts) -> Option<i64> {
    let days_in_month = days_in_month(p.year, p.month);
    if p.day == 0 || p.day > days_in_month || p.hour > 23 || p.minute > 59 || p.second > 59 {
        return None;
    }
    let days = days_from_civil(p.year, p.month, p.day);
    let secs = days * 86_400 + i64::from(p.hour * 3600 + p.minute * 60 + p.second);
    Some(secs * 1000 + i64::from(p.milli) - i64::from(p.offset_minutes) * 60_000)
}

/// The common fixed-width forms `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS` (or with `T`), read
/// byte by byte; other forms return `None` and take the general path.
#[inline]
fn parse_iso_fixed(b: &[u8]) -> Option<i64> {
    let d = |i: usize| -> Option<u32> {
        let c = b[i].wrapping_sub(b'0');
        (c < 10).then_some(u32::from(c))
    };
    if b.len() != 10 && b.len() != 19 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?;
    let mut p = Parts {
        year: year as i32,
        month: d(5)? * 10 + d(6)?,
        day: d(8)? * 10 + d(9)?,
        ..Parts::default()
    };
    if b.len() == 19 {
        if !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        p.hour = d(11)? * 10 + d(12)?;
        p.minute = d(14)? * 10 + d(15)?;
        p.second = d(17)? * 10 + d(18)?;
    }
    to_millis(&p)
}

/// Gregorian leap years.
fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days from 1970-01-01 to a Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch milliseconds of an ISO date or date-time (`None` for anything else).
pub fn parse_iso(text: &str) -> Option<i64> {
    parse_iso_zoned(text).map(|(ms, _)| ms)
}

/// Epoch milliseconds of an ISO date or date-time and the offset from UTC it was written with,
/// in minutes east (`None` when it names no zone; `Some(0)` for `Z`).
pub fn parse_iso_zoned(text: &str) -> Option<(i64, Option<i32>)> {
    if let Some(ms) = parse_iso_fixed(text.as_bytes()) {
        return Some((ms, None));
    }
    match shape(text)? {
        Shape::Iso(p) => Some((to_millis(&p)?, p.offset())),
        Shape::Slash { .. } => None,
    }
}

/// Epoch milliseconds of one time cell written in `format` (the format a table's time column
/// was read in): what a followed table's new rows are read with. `None` for a cell that is not
/// a time in that format.
pub fn parse_value(text: &str, format: TimeFormat) -> Option<i64> {
    match format {
        TimeFormat::Iso => parse_iso(text),
        TimeFormat::DayFirst | TimeFormat::MonthFirst => match shape(text)? {
            sh @ Shape::Slash { .. } => shape_millis(&sh, format),
            Shape::Iso(_) => None,
        },
        TimeFormat::EpochSeconds | TimeFormat::EpochMillis => {
            let v: f64 = text.trim().parse().ok()?;
            if !v.is_finite() || v.fract() != 0.0 {
                return None;
            }
            let ms = if format == TimeFormat::EpochSeconds {
                v * 1000.0
            } else {
                v
            };
            // Within the range the column's values were accepted in (see `parse_epoch_column`).
            (EPOCH_SECONDS.contains(&(ms / 1000.0))).then_some(ms as i64)
        }
    }
}

/// [`parse_value`] with the offset the value was written with, in minutes east of UTC (`None`
/// when it names no zone, and for epoch numbers).
pub fn parse_value_zoned(text: &str, format: TimeFormat) -> Option<(i64, Option<i32>)> {
    match format {
        TimeFormat::Iso => parse_iso_zoned(text),
        TimeFormat::DayFirst | TimeFormat::MonthFirst => match shape(text)? {
            sh @ Shape::Slash { parts, .. } => Some((shape_millis(&sh, format)?, parts.offset())),
            Shape::Iso(_) => None,
        },
        TimeFormat::EpochSeconds | TimeFormat::EpochMillis => {
            parse_value(text, format).map(|ms| (ms, None))
        }
    }
}

/// True when a text value looks like a date or date-time in a supported format.
pub fn looks_like_time(text: &str) -> bool {
    match shape(text) {
        Some(Shape::Iso(p)) => to_millis(&p).is_some(),
        Some(Shape::Slash { a, b, parts }) => {
            let (d, m) = if a > 12 { (a, b) } else { (b, a) };
            to_millis(&Parts {
                day: d,
                month: m,
                ..parts
            })
            .is_some()
        }
        None => false,
    }
}

/// Rows where a scan of the column found something (the first such row of each kind).
#[derive(Debug, Clone, Copy, Default)]
struct Evidence {
    /// First value that is no time at all.
    bad: Option<usize>,
    /// First value in another family than the column's.
    mixed: Option<usize>,
    /// First slash date whose first field is above 12.
    day_first: Option<usize>,
    /// First slash date whose second field is above 12.
    month_first: Option<usize>,
    /// The offsets the values were written with.
    zone: ZoneSeen,
}

impl Evidence {
    fn merge(self, o: Evidence) -> Evidence {
        let min = |a: Option<usize>, b: Option<usize>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, None) => x,
            (None, y) => y,
        };
        Evidence {
            bad: min(self.bad, o.bad),
            mixed: min(self.mixed, o.mixed),
            day_first: min(self.day_first, o.day_first),
            month_first: min(self.month_first, o.month_first),
            zone: self.zone.merge(o.zone),
        }
    }
}

/// Marks a value whose date does not exist (such as 30 February) during conversion.
const INVALID: i64 = i64::MIN + 1;

/// Converts a text column, deciding the format from all of its values (both passes run in
/// parallel).
///
/// `strict` reports the first bad value; otherwise any bad value returns `Ok(None)` (the
/// column is then not a time column).
pub fn parse_text_column(col: &TextColumn, strict: bool) -> Result<Option<ParsedTimes>, TimeIssue> {
    let n = col.len();
    let Some(first) = (0..n).find_map(|r| col.value(r).filter(|t| !t.trim().is_empty())) else {
        return Ok(None);
    };
    let Some(family) = shape(first) else {
        if !strict {
            return Ok(None);
        }
        let row = (0..n).find(|&r| col.value(r).is_some()).unwrap_or(0);
        return Err(TimeIssue::Bad {
            row,
            value: first.to_string(),
            format: "a date".into(),
        });
    };
    let same_family = |sh: &Shape| {
        matches!(
            (&family, sh),
            (Shape::Iso(_), Shape::Iso(_)) | (Shape::Slash { .. }, Shape::Slash { .. })
        )
    };
    let evidence = (0..n)
        .into_par_iter()
        .fold(Evidence::default, |mut ev, row| {
            let Some(text) = col.value(row).filter(|t| !t.trim().is_empty()) else {
                return ev;
            };
            match shape(text) {
                None => {
                    ev.bad.get_or_insert(row);
                }
                Some(sh) if !same_family(&sh) => {
                    ev.mixed.get_or_insert(row);
                }
                Some(Shape::Slash { a, b, parts }) => {
                    ev.zone.note(parts.offset());
                    if a > 12 {
                        ev.day_first.get_or_insert(row);
                    }
                    if b > 12 {
                        ev.month_first.get_or_insert(row);
                    }
                }
                Some(Shape::Iso(parts)) => ev.zone.note(parts.offset()),
            }
            ev
        })
        .reduce(Evidence::default, Evidence::merge);
    let first_problem = match (evidence.bad, evidence.mixed) {
        (Some(b), Some(m)) => Some((b < m, b.min(m))),
        (Some(b), None) => Some((true, b)),
        (None, Some(m)) => Some((false, m)),
        (None, None) => None,
    };
    if let Some((is_bad, row)) = first_problem {
        if !strict {
            return Ok(None);
        }
        let value = col.get(row).to_string();
        return Err(if is_bad {
            TimeIssue::Bad {
                row,
                value,
                format: family.family().to_string(),
            }
        } else {
            let found = shape(&value).map_or("another format", |s| s.family());
            TimeIssue::Mixed {
                row,
                value,
                found,
                expected: family.family(),
            }
        });
    }
    let (format, warning) = match family {
        Shape::Iso(_) => (TimeFormat::Iso, None),
        Shape::Slash { .. } => match (evidence.day_first, evidence.month_first) {
            (Some(dr), Some(mr)) => {
                if !strict {
                    return Ok(None);
                }
                return Err(TimeIssue::Contradictory {
                    day_first_row: dr,
                    day_first_value: col.get(dr).to_string(),
                    month_first_row: mr,
                    month_first_value: col.get(mr).to_string(),
                });
            }
            (Some(_), None) => (TimeFormat::DayFirst, None),
            (None, Some(_)) => (TimeFormat::MonthFirst, None),
            (None, None) => decide_ambiguous(col),
        },
    };
    let millis: Vec<i64> = (0..n)
        .into_par_iter()
        .map(
            |row| match col.value(row).filter(|t| !t.trim().is_empty()) {
                None => NO_TIME,
                Some(text) => shape(text)
                    .and_then(|sh| shape_millis(&sh, format))
                    .unwrap_or(INVALID),
            },
        )
        .collect();
    if let Some(row) = millis.par_iter().position_first(|m| *m == INVALID) {
        if !strict {
            return Ok(None);
        }
        return Err(TimeIssue::Bad {
            row,
            value: col.get(row).to_string(),
            format: format!("{format}, and a date that exists"),
        });
    }
    let zone = evidence.zone.zone();
    let clock = clock_of(col, &millis, zone);
    Ok(Some(ParsedTimes {
        millis,
        format,
        warning,
        zone,
        clock,
    }))
}

/// The clock of a text column whose times are `millis` and whose offsets made `zone`: one
/// offset throughout unless they differed ([`Zone::Utc`]), and then, in a third pass over the
/// values, the instants where they changed.
fn clock_of(col: &TextColumn, millis: &[i64], zone: Zone) -> LocalClock {
    match zone {
        Zone::Unstated => LocalClock::fixed(None),
        Zone::Offset(m) => LocalClock::fixed(Some(m)),
        Zone::Utc => (0..col.len())
            .into_par_iter()
            .fold(ClockPoints::default, |mut points, row| {
                let ms = millis[row];
                if ms != NO_TIME {
                    let offset = col.value(row).and_then(shape).and_then(|sh| match sh {
                        Shape::Iso(parts) | Shape::Slash { parts, .. } => parts.offset(),
                    });
                    points.note(ms, offset);
                }
                points
            })
            .reduce(ClockPoints::default, ClockPoints::merge)
            .finish(),
    }
}

/// Epoch milliseconds of a shape read in `format` (`None` for a date that does not exist).
fn shape_millis(sh: &Shape, format: TimeFormat) -> Option<i64> {
    match sh {
        Shape::Iso(p) => to_millis(p),
        Shape::Slash { a, b, parts } => {
            let (day, month) = if format == TimeFormat::MonthFirst {
                (*b, *a)
            } else {
                (*a, *b)
            };
            to_millis(&Parts {
                day,
                month,
                ..*parts
            })
        }
    }
}

/// With every first and second field at most 12, picks the order under which the dates run
/// forward in time; day-first (the reference data's order) when both or neither do.
fn decide_ambiguous(col: &TextColumn) -> (TimeFormat, Option<String>) {
    let monotonic = |format: TimeFormat| {
        let mut last = i64::MIN;
        for text in col.iter().flatten() {
            match shape(text).and_then(|sh| shape_millis(&sh, format)) {
                Some(v) if v >= last => last = v,
                Some(_) => return false,
                None => {}
            }
        }
        true
    };
    match (monotonic(TimeFormat::DayFirst), monotonic(TimeFormat::MonthFirst)) {
        (false, true) => (
            TimeFormat::MonthFirst,
            Some("no date has a field above 12; read as m/d/Y because the dates then run forward in time".into()),
        ),
        (true, false) => (
            TimeFormat::DayFirst,
            Some("no date has a field above 12; read as d/m/Y because the dates then run forward in time".into()),
        ),
        _ => (
            TimeFormat::DayFirst,
            Some("no date has a field above 12, so day and month order cannot be told apart; read as d/m/Y".into()),
        ),
    }
}

/// Seconds from 2000-01-01 to 2100-01-01, the range accepted as epoch seconds by value.
const EPOCH_SECONDS: std::ops::Range<f64> = 946_684_800.0..4_102_444_800.0;

/// Recognises a numeric column of epoch seconds or milliseconds. With `named` (the column's
/// name says it is a time) any whole numbers in range qualify; otherwise the values must also
/// never decrease.
pub fn parse_epoch_column(values: &[f64], named: bool) -> Option<ParsedTimes> {
    // Every numeric column is asked whether it is a time column: a value with a fraction says
    // no at once, before the present values are copied (usually at the first row).
    if values.iter().any(|v| !v.is_nan() && v.fract() != 0.0) {
        return None;
    }
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.len() < 2 && !named {
        return None;
    }
    if present.is_empty() || present.iter().any(|v| v.fract() != 0.0) {
        return None;
    }
    let in_range = |scale: f64| present.iter().all(|v| EPOCH_SECONDS.contains(&(v / scale)));
    let format = if in_range(1.0) {
        TimeFormat::EpochSeconds
    } else if in_range(1000.0) {
        TimeFormat::EpochMillis
    } else {
        return None;
    };
    if !named && present.windows(2).any(|w| w[1] < w[0]) {
        return None;
    }
    let scale = if format == TimeFormat::EpochSeconds {
        1000
    } else {
        1
    };
    let millis = values
        .iter()
        .map(|v| {
            if v.is_nan() {
                NO_TIME
            } else {
                *v as i64 * scale
            }
        })
        .collect();
    Some(ParsedTimes {
        millis,
        format,
        warning: None,
        zone: Zone::Unstated,
        clock: LocalClock::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> i64 {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|x| x.and_hms_opt(hh, mm, ss))
            .map(|x| x.and_utc().timestamp_millis())
            .unwrap_or_default()
    }

    fn parse(v: &[&str]) -> Result<Option<ParsedTimes>, TimeIssue> {
        let col: TextColumn = v.iter().map(|s| Some(*s)).collect();
        parse_text_column(&col, true)
    }

    #[test]
    fn day_first_is_decided_from_the_whole_column() {
        let p = parse(&["1/2/2021", "2/2/2021", "13/2/2021"])
            .unwrap()
            .unwrap();
        assert_eq!(p.format, TimeFormat::DayFirst);
        assert_eq!(p.millis[0], ms(2021, 2, 1, 0, 0, 0));
        let p = parse(&["1/2/2021", "1/13/2021"]).unwrap().unwrap();
        assert_eq!(p.format, TimeFormat::MonthFirst);
        assert_eq!(p.millis[0], ms(2021, 1, 2, 0, 0, 0));
    }

    #[test]
    fn iso_with_and_without_zone() {
        let p = parse(&[
            "2021-01-01T10:00:00Z",
            "2021-01-01 12:30:00+02:00",
            "2021-01-02",
            "2021-01-02T01:02:03.5",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(p.format, TimeFormat::Iso);
        assert_eq!(p.millis[0], ms(2021, 1, 1, 10, 0, 0));
        assert_eq!(p.millis[1], ms(2021, 1, 1, 10, 30, 0));
        assert_eq!(p.millis[2], ms(2021, 1, 2, 0, 0, 0));
        assert_eq!(p.millis[3], ms(2021, 1, 2, 1, 2, 3) + 500);
    }

    #[test]
    fn mixed_and_contradictory_columns_are_errors() {
        assert!(matches!(
            parse(&["2021-01-01", "2/1/2021"]),
            Err(TimeIssue::Mixed { row: 1, .. })
        ));
        assert!(matches!(
            parse(&["13/1/2021", "1/13/2021"]),
            Err(TimeIssue::Contradictory { .. })
        ));
        assert!(matches!(
            parse(&["2021-01-01", "soon"]),
            Err(TimeIssue::Bad { row: 1, .. })
        ));
        assert!(matches!(parse(&["2021-02-30"]), Err(TimeIssue::Bad { .. })));
        let col: TextColumn = ["x", "y"].iter().map(|s| Some(*s)).collect();
        assert_eq!(parse_text_column(&col, false), Ok(None));
    }

    #[test]
    fn ambiguous_order_follows_time_direction() {
        let p = parse(&["1/2/2021", "2/1/2021"]).unwrap().unwrap();
        assert_eq!(p.format, TimeFormat::MonthFirst);
        assert!(p.warning.is_some());
    }

    #[test]
    fn epoch_columns() {
        let s = parse_epoch_column(&[1_600_000_000.0, 1_600_000_060.0], false).unwrap();
        assert_eq!(s.format, TimeFormat::EpochSeconds);
        assert_eq!(s.millis[1], 1_600_000_060_000);
        let m = parse_epoch_column(&[1_600_000_000_000.0, 1_600_000_060_000.0], false).unwrap();
        assert_eq!(m.format, TimeFormat::EpochMillis);
        assert!(parse_epoch_column(&[5.0, 6.0], true).is_none());
        assert!(parse_epoch_column(&[1_600_000_060.0, 1_600_000_000.0], false).is_none());
    }

    #[test]
    fn civil_days_match_chrono() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2021, 3, 13),
            (1969, 12, 31),
            (2400, 12, 31),
            (1600, 3, 1),
        ] {
            let p = Parts {
                year: y,
                month: m,
                day: d,
                hour: 13,
                minute: 5,
                second: 59,
                milli: 250,
                offset_minutes: 0,
                zoned: false,
            };
            assert_eq!(
                to_millis(&p),
                Some(ms(y, m, d, 13, 5, 59) + 250),
                "{y}-{m}-{d}"
            );
        }
        assert_eq!(parse_iso("2021-02-29"), None);
        assert_eq!(
            parse_iso("2020-02-29T00:00:00Z"),
            Some(ms(2020, 2, 29, 0, 0, 0))
        );
        assert_eq!(parse_iso("2021-01-01 24:00:00"), None);
        assert_eq!(parse_iso("1/2/2021"), None);
        assert_eq!(
            parse_iso("2021-03-13 08:09:10"),
            Some(ms(2021, 3, 13, 8, 9, 10))
        );
        assert_eq!(
            parse_iso("2021-03-13T08:09:10"),
            Some(ms(2021, 3, 13, 8, 9, 10))
        );
        assert_eq!(parse_iso("2021-3-13"), Some(ms(2021, 3, 13, 0, 0, 0)));
        assert_eq!(parse_iso("2021-03-1x"), None);
        assert_eq!(parse_iso("2021-13-01"), None);
    }

    #[test]
    fn offsets_beyond_rfc_3339_are_refused() {
        for bad in [
            "2021-03-13T08:00:00+99:99",
            "2021-03-13T08:00:00+2400",
            "2021-03-13T08:00:00+0060",
            "2021-03-13 08:00:00-24:00",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
            assert!(!looks_like_time(bad), "{bad}");
        }
        assert_eq!(
            parse_iso("2021-03-13T08:00:00+23:59"),
            Some(ms(2021, 3, 12, 8, 1, 0))
        );
        assert_eq!(
            parse_iso("2021-03-13T08:00:00-0530"),
            Some(ms(2021, 3, 13, 13, 30, 0))
        );
        assert!(matches!(
            parse(&["2021-03-13T08:00:00+01:00", "2021-03-14T08:00:00+01:60"]),
            Err(TimeIssue::Bad { row: 1, .. })
        ));
    }

    #[test]
    fn the_time_range_ends_with_four_digit_years() {
        assert_eq!(MIN_TIME_MS, ms(1970, 1, 1, 0, 0, 0));
        assert_eq!(MAX_TIME_MS, ms(9999, 12, 31, 23, 59, 59) + 999);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2024, 13), 0);
    }

    #[test]
    fn time_names() {
        for n in ["Date", "TIMESTAMP", "ds", "order_date", "event datetime"] {
            assert!(is_time_name(n), "{n}");
        }
        assert!(!is_time_name("response_time_ms"));
        assert!(!is_time_name("Region 1"));
    }
}
