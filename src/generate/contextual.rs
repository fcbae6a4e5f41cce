//! When the generator's contextual anomalies happen: each is a value that is normal at another
//! time of day or week, so it has to be placed at the time where it is wrong. A night surge
//! covers the quietest hours of its region, a midday drop the busiest, a lost day a weekday from
//! midnight to midnight. The values themselves are set in [`super::table`].

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Why a file cannot hold contextual anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("contextual anomalies need hourly or finer rows that divide an hour (such as --step 1h, 30m or 5m); the step is {0} s")]
pub struct ContextualStepError(pub i64);

/// Checks that rows `step_seconds` apart can place contextual anomalies at their hours: the step
/// is at most an hour and divides it.
pub fn check_step(step_seconds: i64) -> Result<(), ContextualStepError> {
    if (1..=3600).contains(&step_seconds) && 3600 % step_seconds == 0 {
        Ok(())
    } else {
        Err(ContextualStepError(step_seconds))
    }
}

/// The first row at or after the next time, after `row`, that is `hour` (0 to 23, UTC) o'clock;
/// with `weekday_only`, the next such time on a Monday to Friday. Rows are `step` seconds apart
/// from `start`.
pub fn next_row_at(row: u64, start: i64, step: i64, hour: u32, weekday_only: bool) -> u64 {
    let now = start + step * row as i64;
    let midnight = now - now.rem_euclid(DAY);
    let mut at = midnight + i64::from(hour) * 3600;
    while at <= now || (weekday_only && !is_weekday(at)) {
        at += DAY;
    }
    // The first row at or after `at`: ceil((at - start) / step).
    ((at - start) + step - 1).div_euclid(step) as u64
}

/// Monday to Friday, for a time in seconds since 1970 (UTC); 1970-01-01 was a Thursday.
fn is_weekday(t: i64) -> bool {
    (t.div_euclid(DAY) + 3).rem_euclid(7) < 5
}

/// The hour (0 to 23) at which a window of `hours` hours centred on `centre` (a fractional hour
/// of the day, such as 15.4) starts.
pub fn window_start(centre: f64, hours: u64) -> u32 {
    let start = (centre - hours as f64 / 2.0).round() as i64;
    start.rem_euclid(24) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN_1_2021: i64 = 1_609_459_200; // a Friday

    #[test]
    fn steps_that_divide_an_hour_are_accepted() {
        assert!(check_step(3600).is_ok());
        assert!(check_step(300).is_ok());
        assert!(check_step(7200).is_err());
        assert!(check_step(86_400).is_err());
        assert!(check_step(420).is_err()); // 7 minutes do not divide an hour
        assert!(check_step(0).is_err());
    }

    #[test]
    fn next_row_at_an_hour() {
        // Hourly from Friday 00:00: 03:00 is row 3; after row 3, the next 03:00 is row 27.
        assert_eq!(next_row_at(0, JAN_1_2021, 3600, 3, false), 3);
        assert_eq!(next_row_at(3, JAN_1_2021, 3600, 3, false), 27);
        // Every 5 minutes: 03:00 is row 36.
        assert_eq!(next_row_at(0, JAN_1_2021, 300, 3, false), 36);
        // A start at 00:30 with hourly rows: the first row at or after 03:00 is 03:30, row 3.
        assert_eq!(next_row_at(0, JAN_1_2021 + 1800, 3600, 3, false), 3);
    }

    #[test]
    fn next_weekday_midnight_skips_the_weekend() {
        // From Friday 01:00 the next midnight is Saturday; Monday 00:00 is 71 hours later.
        assert_eq!(next_row_at(1, JAN_1_2021, 3600, 0, true), 72);
        assert!(is_weekday(JAN_1_2021));
        assert!(!is_weekday(JAN_1_2021 + DAY));
    }

    #[test]
    fn windows_are_centred() {
        assert_eq!(window_start(15.4, 3), 14);
        assert_eq!(window_start(1.0, 4), 23);
    }
}
