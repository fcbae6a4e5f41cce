//! Which seasonal periods a series gets, from its sampling interval and its history length.
//!
//! Web traffic has a daily and a weekly rhythm, so the candidate periods are a day and a week
//! counted in buckets of the interval: hourly data has 24 and 168, daily data 7 (a daily period
//! of one bucket is no seasonality), 5-minute data 288 and 2016. An interval that does not
//! divide a day (or a week) evenly gets no period for it, and an interval of a week or more gets
//! none at all, but calendar months and quarters (see [`super::grid`]) get a year (12, 4). A
//! period is kept only when the history holds at least two of its cycles (after the shorter
//! periods have settled): with less, no phase has been seen twice, so nothing seasonal can be
//! told from noise.

/// A day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A week in milliseconds.
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// The candidate periods (in buckets, ascending) for an interval: a day and a week where the
/// interval divides them into at least two buckets; a year of 12 for calendar months.
pub fn candidate_periods(interval_ms: i64) -> Vec<usize> {
    if interval_ms <= 0 {
        return Vec::new();
    }
    if let Some(months) = super::grid::calendar_months(interval_ms) {
        // A year of calendar months or quarters (none for years).
        let year = 12 / months;
        return if year >= 2 {
            vec![year as usize]
        } else {
            Vec::new()
        };
    }
    [DAY_MS, WEEK_MS]
        .into_iter()
        .filter(|span| span % interval_ms == 0 && span / interval_ms >= 2)
        .map(|span| (span / interval_ms) as usize)
        .collect()
}

/// The periods (in buckets, ascending) for a series of `history` buckets whose seasonal terms
/// keep `cycles` cycles: the candidates that can come into use. A period is used once it has two
/// cycles of values, and a longer one starts learning only when the shorter ones kept hold their
/// full `cycles` (see [`super::baseline`]): hourly data needs 48 hours for the daily term, and
/// 8 days plus two weeks (528 hours, with 8 cycles) for the weekly one.
pub fn choose_periods(interval_ms: i64, history: u64, cycles: usize) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for p in candidate_periods(interval_ms) {
        let settle: u64 = kept.iter().map(|&q| (cycles * q) as u64).max().unwrap_or(0);
        if history >= settle + 2 * p as u64 {
            kept.push(p);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    #[test]
    fn periods_follow_the_interval_and_the_history() {
        let year = 366 * 24;
        assert_eq!(choose_periods(60 * MINUTE, year, 8), vec![24, 168]);
        assert_eq!(choose_periods(DAY_MS, 526, 8), vec![7]);
        assert_eq!(choose_periods(5 * MINUTE, 100_000, 8), vec![288, 2016]);
        assert_eq!(choose_periods(MINUTE, 100_000, 8), vec![1440, 10080]);
        // Hourly, three weeks: two days fit; the weekly term would need 8 days to settle the
        // daily one and then two weeks (528 hours).
        assert_eq!(choose_periods(60 * MINUTE, 504, 8), vec![24]);
        assert_eq!(choose_periods(60 * MINUTE, 528, 8), vec![24, 168]);
        assert_eq!(choose_periods(60 * MINUTE, 408, 3), vec![24, 168]);
        // Shorter than two cycles of anything: none.
        assert_eq!(choose_periods(60 * MINUTE, 47, 8), Vec::<usize>::new());
        assert_eq!(choose_periods(DAY_MS, 13, 8), Vec::<usize>::new());
        // Exactly two cycles is enough.
        assert_eq!(choose_periods(DAY_MS, 14, 8), vec![7]);
        // Weekly data, or an interval that does not divide a day: none.
        assert!(choose_periods(WEEK_MS, 1000, 8).is_empty());
        assert_eq!(choose_periods(7 * MINUTE, 100_000, 8), vec![1440]);
        assert!(choose_periods(11 * MINUTE, 100_000, 8).is_empty());
        assert!(candidate_periods(0).is_empty());
        // Calendar months: a year, once two years are in.
        let month = crate::detect::seasonal::grid::MONTH_MS;
        assert_eq!(choose_periods(month, 120, 8), vec![12]);
        assert!(choose_periods(month, 23, 8).is_empty());
        assert_eq!(choose_periods(3 * month, 40, 8), vec![4]);
        assert!(choose_periods(12 * month, 40, 8).is_empty());
    }
}
