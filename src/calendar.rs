//! Calendar arithmetic on epoch milliseconds: which calendar month (in UTC) a time is in, and
//! when a month starts. Written out (Howard Hinnant's `civil_from_days` and `days_from_civil`,
//! the algorithms chrono's dates follow) so that every millisecond time has a month, without the
//! `Option`s of a date library's range: the seasonal grid and the plots' time axis use it.

/// The calendar month (in UTC) holding `t_ms`, as months from January 1970 (negative before).
pub fn month_index(t_ms: i64) -> i64 {
    // Howard Hinnant's `civil_from_days` (chrono-compatible days-to-date algorithm), in i64 so
    // that every millisecond time has a month.
    let days = t_ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year - 1970) * 12 + (month - 1)
}

/// The first millisecond (UTC) of calendar month `index` (see [`month_index`]), saturating at
/// the ends of the time line.
pub fn month_start_ms(index: i64) -> i64 {
    let year = 1970i64.saturating_add(index.div_euclid(12));
    let month = index.rem_euclid(12) + 1;
    // Hinnant's `days_from_civil`.
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era.saturating_mul(146_097).saturating_add(doe - 719_468);
    days.saturating_mul(86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_counted_as_the_calendar_has_them() {
        // Every month from 1600 to 2400 against chrono: its first millisecond, the one before
        // it, and its index.
        let mut index = (1600 - 1970) * 12;
        for year in 1600..2400 {
            for month in 1..=12u32 {
                let start = chrono::NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc().timestamp_millis())
                    .expect("a date");
                assert_eq!(month_start_ms(index), start, "{year}-{month}");
                assert_eq!(month_index(start), index, "{year}-{month}");
                assert_eq!(month_index(start - 1), index - 1, "{year}-{month}");
                index += 1;
            }
        }
        // The ends of the time line neither overflow nor panic.
        let _ = (month_index(i64::MIN), month_index(i64::MAX));
        let _ = (month_start_ms(i64::MIN), month_start_ms(i64::MAX));
    }
}
