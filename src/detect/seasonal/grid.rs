//! The time grid: timestamps (epoch milliseconds) bucketed to the sampling interval.
//!
//! A row's bucket is `floor(t / interval)`, counted from the Unix epoch, so that the phase of a
//! bucket within a day or a week (`bucket mod period`) is the same whichever row came first, in
//! a batch and in a restarted live monitor alike. Irregular timestamps fall into the bucket that
//! holds them. A bucket with no row is **missing**: it is not a zero. The state skips it (no
//! seasonal slot, level or residual learns anything from it) and the next row reports how many
//! buckets were missing before it. A row in a bucket already seen (a second row in the same
//! interval, or a row out of time order) is scored against the baseline of its bucket's phase
//! but not learnt from, so one busy interval cannot count twice.
//!
//! **Calendar months.** Months are 28 to 31 days long, so monthly rows (the first of each month,
//! or each month's end) on a grid of a fixed 31 days drift: some months share a bucket (one of
//! them is then not learnt) and others leave one empty. A series whose median step is a month's
//! length is bucketed by calendar month instead ([`MONTH_MS`]): a row's bucket is the number of
//! months from January 1970 to its month (in UTC), and its seasonal period is a year of 12.
//! Quarterly and yearly rows are bucketed by calendar quarter and year alike (a quarter's period
//! is a year of 4; a year has none).

use serde::{Deserialize, Serialize};

pub use crate::calendar::{month_index, month_start_ms};

/// The interval of a grid of calendar months: the mean Gregorian month (365.2425 / 12 days), in
/// milliseconds, standing for "one calendar month" wherever an interval is a number (the
/// grid itself counts months by the calendar, not by this length).
pub const MONTH_MS: i64 = 2_629_746_000;

/// The interval of a grid of calendar quarters (three calendar months).
pub const QUARTER_MS: i64 = 3 * MONTH_MS;

/// The interval of a grid of calendar years (twelve calendar months).
pub const YEAR_MS: i64 = 12 * MONTH_MS;

/// The calendar grids: their interval, how many months a bucket holds, and the shortest and
/// longest median step read as one (27 to 32 days for a month, February to the longest months
/// with a day's slack for times of day; 88 to 94 for a quarter; 364 to 367 for a year).
const CALENDAR: [(i64, i64, i64, i64); 3] = [
    (MONTH_MS, 1, 27, 32),
    (QUARTER_MS, 3, 88, 94),
    (YEAR_MS, 12, 364, 367),
];

/// How many calendar months a bucket of `interval_ms` holds, for the calendar grids.
pub fn calendar_months(interval_ms: i64) -> Option<i64> {
    CALENDAR.iter().find(|c| c.0 == interval_ms).map(|c| c.1)
}

/// Where a row falls on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The row's bucket: `floor(t / interval)`.
    pub bucket: i64,
    /// Buckets with no row between the previous new bucket and this one (0 for consecutive).
    pub missing_before: u64,
    /// The bucket was seen before (same interval or out of time order): score only, do not learn.
    pub repeat: bool,
}

/// The grid of one stream of rows: its interval and the latest bucket seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The sampling interval in milliseconds (at least 1).
    interval_ms: i64,
    /// The latest bucket seen, if any.
    last: Option<i64>,
}

impl Grid {
    /// A grid of `interval_ms` milliseconds (values below 1 are taken as 1).
    pub fn new(interval_ms: i64) -> Self {
        Grid {
            interval_ms: interval_ms.max(1),
            last: None,
        }
    }

    /// The sampling interval in milliseconds.
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// The bucket holding `t_ms` (on a calendar grid, its month, quarter or year).
    pub fn bucket_of(&self, t_ms: i64) -> i64 {
        match calendar_months(self.interval_ms) {
            Some(months) => month_index(t_ms).div_euclid(months),
            None => t_ms.div_euclid(self.interval_ms),
        }
    }

    /// The start of the bucket after the latest one seen.
    pub fn next_time_ms(&self) -> Option<i64> {
        let next = self.last?.saturating_add(1);
        Some(match calendar_months(self.interval_ms) {
            Some(months) => month_start_ms(next.saturating_mul(months)),
            None => next.saturating_mul(self.interval_ms),
        })
    }

    /// Places the row at `t_ms` and moves the grid on when its bucket is new.
    pub fn place(&mut self, t_ms: i64) -> Placement {
        let bucket = self.bucket_of(t_ms);
        match self.last {
            Some(last) if bucket <= last => Placement {
                bucket,
                missing_before: 0,
                repeat: true,
            },
            last => {
                self.last = Some(bucket);
                Placement {
                    bucket,
                    missing_before: last.map_or(0, |l| {
                        u64::try_from(i128::from(bucket) - i128::from(l) - 1).unwrap_or(u64::MAX)
                    }),
                    repeat: false,
                }
            }
        }
    }
}

/// Round intervals (milliseconds) an irregular median step is snapped to: 1 s to a week.
const ROUND_INTERVALS: [i64; 22] = [
    1_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_200_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    14_400_000,
    21_600_000,
    28_800_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
];

/// The sampling interval of a series of timestamps (epoch milliseconds): the median of the
/// positive differences between consecutive timestamps, so that a few gaps, duplicates or rows
/// out of order do not change it, snapped to the nearest round interval (1 s, 5 s, ..., 1 min,
/// 5 min, ..., 1 h, ..., 1 day, 1 week) within 10% of it, so that rows stamped a little late or
/// early (an hourly job at 14:01, 15:03) still give the hour; a median step of a month's, a
/// quarter's or a year's length is one calendar month, quarter or year ([`MONTH_MS`],
/// [`QUARTER_MS`], [`YEAR_MS`]). `None` with fewer than two distinct timestamps.
pub fn detect_interval(times_ms: &[i64]) -> Option<i64> {
    let mut steps: Vec<i64> = times_ms
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .filter(|&d| d > 0)
        .collect();
    if steps.is_empty() {
        return None;
    }
    let mid = steps.len() / 2;
    let (_, median, _) = steps.select_nth_unstable(mid);
    let median = *median;
    let day = 86_400_000;
    if let Some(c) = CALENDAR
        .iter()
        .find(|c| (c.2 * day..=c.3 * day).contains(&median))
    {
        return Some(c.0);
    }
    let round = ROUND_INTERVALS
        .iter()
        .copied()
        .find(|&r| (median - r).abs() * 10 <= r);
    Some(round.unwrap_or(median))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn interval_is_the_median_step_despite_gaps_and_duplicates() {
        let mut t: Vec<i64> = (0..100).map(|i| i * HOUR).collect();
        t.drain(40..45); // a gap of 6 hours
        t.insert(10, t[10]); // a duplicate
        t.swap(20, 21); // out of order
        assert_eq!(detect_interval(&t), Some(HOUR));
        assert_eq!(detect_interval(&[5, 5, 5]), None);
        // Stamped a minute or two late: still the hour; an odd step is kept as it is.
        let late: Vec<i64> = (0..50).map(|i| i * (HOUR + 60_000)).collect();
        assert_eq!(detect_interval(&late), Some(HOUR));
        assert_eq!(detect_interval(&[0, 2_345_678, 4_691_356]), Some(2_345_678));
        assert_eq!(detect_interval(&[]), None);
    }

    #[test]
    fn missing_buckets_are_counted_and_repeats_are_not_learnt() {
        let mut g = Grid::new(HOUR);
        assert_eq!(
            g.place(10 * HOUR + 5),
            Placement {
                bucket: 10,
                missing_before: 0,
                repeat: false
            }
        );
        // Irregular: 11:59 is in bucket 11.
        assert_eq!(g.place(12 * HOUR - 60_000).bucket, 11);
        // Three hours missing (12, 13, 14).
        let p = g.place(15 * HOUR);
        assert_eq!((p.bucket, p.missing_before, p.repeat), (15, 3, false));
        // Same hour again, then an earlier hour: scored, not learnt.
        assert!(g.place(15 * HOUR + 1).repeat);
        let back = g.place(13 * HOUR);
        assert!(back.repeat && back.bucket == 13);
        // Before the epoch, buckets round down.
        assert_eq!(Grid::new(HOUR).bucket_of(-1), -1);
        // Extreme times neither overflow nor panic.
        let mut wide = Grid::new(1);
        wide.place(i64::MIN);
        assert_eq!(wide.place(i64::MAX).missing_before, u64::MAX - 1);
    }

    #[test]
    fn calendar_grids_have_one_bucket_per_month_quarter_and_year() {
        // Monthly rows: first of the month, or month ends, give the month.
        let day = 86_400_000;
        let firsts: Vec<i64> = (0..36).map(month_start_ms).collect();
        assert_eq!(detect_interval(&firsts), Some(MONTH_MS));
        let ends: Vec<i64> = (1..37).map(|m| month_start_ms(m) - day).collect();
        assert_eq!(detect_interval(&ends), Some(MONTH_MS));
        // On the month grid each month is one bucket, none repeated and none missing (on a
        // grid of 31 days, months drift: some share a bucket, some leave one empty).
        let mut g = Grid::new(MONTH_MS);
        for (i, &t) in ends.iter().enumerate() {
            let p = g.place(t + 3_600_000);
            assert_eq!((p.bucket, p.missing_before, p.repeat), (i as i64, 0, false));
        }
        assert_eq!(g.next_time_ms(), Some(month_start_ms(36)));
        let mut fixed = Grid::new(31 * day);
        let drifted = (0..120)
            .map(|m| fixed.place(month_start_ms(m)))
            .filter(|p| p.repeat || p.missing_before > 0)
            .count();
        assert!(drifted > 0);
        // Weekly data stays weekly.
        let weeks: Vec<i64> = (0..20).map(|w| w * 7 * day).collect();
        assert_eq!(detect_interval(&weeks), Some(7 * day));
        // Quarters and years: each one bucket, across leap years, and the next one's start.
        let quarters: Vec<i64> = (0..40).map(|q| month_start_ms(3 * q) + day).collect();
        assert_eq!(detect_interval(&quarters), Some(QUARTER_MS));
        let years: Vec<i64> = (0..40).map(|y| month_start_ms(12 * y) - day).collect();
        assert_eq!(detect_interval(&years), Some(YEAR_MS));
        for (interval, times) in [(QUARTER_MS, &quarters), (YEAR_MS, &years)] {
            let mut g = Grid::new(interval);
            let first = g.place(times[0]).bucket;
            for (i, &t) in times.iter().enumerate().skip(1) {
                let p = g.place(t);
                assert_eq!(
                    (p.bucket - first, p.missing_before, p.repeat),
                    (i as i64, 0, false)
                );
            }
        }
        let mut g = Grid::new(QUARTER_MS);
        g.place(month_start_ms(5)); // June 1970: the second quarter
        assert_eq!(g.next_time_ms(), Some(month_start_ms(6)));
    }
}
