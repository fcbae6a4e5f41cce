//! A value beyond the range of a feature's recent values (a new high or a new low), as a tail
//! probability: the second part of [`super::calibrate::ScoreReference::History`].
//!
//! The robust z compares a value with the baseline; a series that climbs slowly to twice its
//! highest level never has a large z (the baseline follows it), yet a value above every one of
//! the last weeks is what an operator would call unusual. Numenta's detector for the Numenta
//! Anomaly Benchmark adds the same test to its anomaly likelihood (a "spatial anomaly": a value
//! beyond the minimum and maximum seen so far, widened by 5% of the range;
//! `nab/detectors/numenta/numenta_detector.py` in numenta/NAB). Here it is a probability, so
//! that it combines with the |z| history's:
//!
//! - among `n + 1` values in random order, the newest is the highest with chance `1 / (n + 1)`;
//!   so a value above the last `n` learnt ones (at most [`HISTORY`]) has `p = 1 / (n + 1)`;
//! - and further beyond is rarer: `p` falls tenfold for each [`RANGE_PER_DECADE`] of the range
//!   `max - min` beyond it.
//!
//! `-log10 p = log10(n + 1) + excess / RANGE_PER_DECADE`, where `excess` is how far beyond, in
//! ranges; 0 for a value inside the range, before [`MIN_SEPARATE`] values, or while every value
//! was the same (a flat series is judged by its resolution instead, see [`super::state`]).
//!
//! **The mean of the last [`MEAN_ROWS`] values** gets the same test against the means before
//! it, with `n / MEAN_ROWS` in place of `n` (overlapping means are not independent: `n` values
//! hold about `n / MEAN_ROWS` separate windows). A shift that stays within the noise of single
//! values (a travel time that doubles for an hour, a day of tweets at twice their usual level)
//! takes the short mean where it has not been, as a single noisy value seldom does. **The mean
//! of the last [`MEAN_ROWS`] departures from the expected value** (`y - expected`, the baseline's
//! value before the row was learnt) gets the same test again: a sustained departure from what is
//! normal for those hours (a holiday's day-long drop, which the raw mean does not show where
//! nights are lower still).
//!
//! Each range is kept over a rolling window by two monotone queues (each value is pushed and
//! popped at most once: O(1) amortised per row).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::calibrate::HISTORY;

/// How far beyond the range, as a share of it, makes a new high or low ten times less likely:
/// 1/30. Measured on the Numenta Anomaly Benchmark with NAB's scorer (`scripts/nab.sh seasonal
/// --score-reference history`; standard / low FP / low FN): 1/10: 57.4 / 54.7 / 63.2; 1/30:
/// 60.9 / 59.0 / 63.3; 1/300: 61.9 / 56.9 / 65.1; without this test: 48.2 / 39.3 / 55.4. 1/30
/// has the fewest false alarms, within a point of the best standard score.
pub const RANGE_PER_DECADE: f64 = 1.0 / 30.0;

/// The fewest separate values a range must hold before leaving it counts: 50 (50 values; 50
/// means of 16 rows, 800 rows, for the short mean). The range of a few values is narrow (that of
/// `n` normal values grows like `sqrt(2 ln n)` standard deviations), so early values leave it by
/// a wide margin often. On the shared daily reference table (526 rows) the history reference
/// flagged 45 rows with no such minimum (14 of the 40 injected spikes, 31 ordinary rows, most in
/// its first three months) and 14 with it (8 spikes, 6 others); before the records it flagged 2
/// (both spikes). On the Numenta Anomaly Benchmark, before the mean departure was added: 68.1 /
/// 64.4 / 71.3 without, 68.4 / 64.8 / 71.4 with it (its first 15% is not scored); a minimum of
/// 64 or 100 scored 66.8 and 66.3. With the mean departure: 69.5 / 65.4 / 72.9.
pub const MIN_SEPARATE: usize = 50;

/// Values in the short mean whose range is also watched: 16. Measured on the Numenta Anomaly
/// Benchmark in a Python trial of this module (standard / low FP / low FN, with the value's own
/// range): no mean 60.9 / 59.0 / 63.3; 8 rows 64.3 / 59.2 / 68.4; 12: 67.5 / 62.9 / 71.2; 16:
/// 68.1 / 64.4 / 71.3; 20: 67.7 / 64.2 / 71.3; 24: 66.8 / 63.1 / 70.2; 32: 65.7 / 61.4 / 69.6.
/// Two means at once (16 and 64 or 128 rows) scored lower than 16 alone.
pub const MEAN_ROWS: usize = 16;

/// The minimum and maximum of a feature's last [`HISTORY`] learnt values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecentRange {
    /// Values learnt so far (the index the next one gets).
    learnt: u64,
    /// Candidates for the maximum, `(index, value)`: values strictly decreasing from the front.
    highs: VecDeque<(u64, f64)>,
    /// Candidates for the minimum: values strictly increasing from the front.
    lows: VecDeque<(u64, f64)>,
}

/// Where a value stands against the recent range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beyond {
    /// `-log10 p` (see the module's doc); 0 inside the range.
    pub surprise: f64,
    /// Above every recent value (`Some(true)`), below every one (`Some(false)`), or neither.
    pub high: Option<bool>,
}

impl Beyond {
    /// Inside the range (or no range yet): no surprise, no record.
    pub const INSIDE: Beyond = Beyond {
        surprise: 0.0,
        high: None,
    };
}

/// Which range a value left: its own, its short mean's or its short mean departure's, above or
/// below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// Above every recent value.
    High,
    /// Below every recent value.
    Low,
    /// The mean of the last [`MEAN_ROWS`] values above every earlier such mean.
    MeanHigh,
    /// The mean of the last [`MEAN_ROWS`] values below every earlier such mean.
    MeanLow,
    /// The mean departure from the expected value over the last [`MEAN_ROWS`] values higher than
    /// every earlier such mean.
    DepartureHigh,
    /// The same, lower than every earlier one.
    DepartureLow,
}

impl Record {
    /// The record in words, as the explanation appends it.
    pub fn in_words(self) -> String {
        match self {
            Record::High => "above every recent value".to_string(),
            Record::Low => "below every recent value".to_string(),
            Record::MeanHigh => {
                format!("its last {MEAN_ROWS} values' mean above every earlier one")
            }
            Record::MeanLow => format!("its last {MEAN_ROWS} values' mean below every earlier one"),
            Record::DepartureHigh => format!(
                "its last {MEAN_ROWS} values' mean departure from expected higher than every \
                 earlier one"
            ),
            Record::DepartureLow => format!(
                "its last {MEAN_ROWS} values' mean departure from expected lower than every \
                 earlier one"
            ),
        }
    }
}

/// The mean of a feature's last [`MEAN_ROWS`] numbers (its values, or their departures from the
/// expected value) and the range of the earlier such means.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShortMean {
    /// The last `MEAN_ROWS - 1` numbers learnt, oldest first.
    tail: VecDeque<f64>,
    /// The range of the last [`HISTORY`] means.
    means: RecentRange,
}

impl ShortMean {
    /// The mean of the last `MEAN_ROWS - 1` numbers and `x` (`None` before there are enough, or
    /// for a number that is not finite). Summed in one order, so it is the same bits every time.
    fn mean_with(&self, x: f64) -> Option<f64> {
        if self.tail.len() + 1 < MEAN_ROWS || !x.is_finite() {
            return None;
        }
        Some((self.tail.iter().sum::<f64>() + x) / MEAN_ROWS as f64)
    }

    /// Where the mean ending at `x` stands against the earlier means.
    pub fn beyond(&self, x: f64) -> Beyond {
        self.mean_with(x)
            .map_or(Beyond::INSIDE, |m| self.means.beyond(m, MEAN_ROWS))
    }

    /// Learns one number (one that is not finite is not learnt).
    pub fn learn(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        if let Some(m) = self.mean_with(x) {
            self.means.learn(m);
        }
        self.tail.push_back(x);
        if self.tail.len() >= MEAN_ROWS {
            self.tail.pop_front();
        }
    }
}

/// A feature's records: the range of its recent values, and its short means of the values and
/// of their departures from the expected value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Records {
    /// The range of the last [`HISTORY`] values.
    values: RecentRange,
    /// The short mean of the values.
    mean: ShortMean,
    /// The short mean of the departures `y - expected`.
    departure: ShortMean,
}

impl Records {
    /// `-log10 p` of `y` (expected `expected`) against the recent values, of the short mean
    /// ending at `y` against the earlier means, and of the short mean departure against the
    /// earlier ones: the largest of the three, and the record behind it (the first of the three
    /// on ties).
    pub fn surprise(&self, y: f64, expected: f64) -> (f64, Option<Record>) {
        let candidates = [
            (self.values.beyond(y, 1), Record::High, Record::Low),
            (self.mean.beyond(y), Record::MeanHigh, Record::MeanLow),
            (
                self.departure.beyond(y - expected),
                Record::DepartureHigh,
                Record::DepartureLow,
            ),
        ];
        let mut best = (0.0, None);
        for (beyond, high, low) in candidates {
            if let Some(up) = beyond.high {
                if beyond.surprise > best.0 {
                    best = (beyond.surprise, Some(if up { high } else { low }));
                }
            }
        }
        best
    }

    /// Learns one value and its expected value (a value that is not finite is not learnt).
    pub fn learn(&mut self, y: f64, expected: f64) {
        if !y.is_finite() {
            return;
        }
        self.values.learn(y);
        self.mean.learn(y);
        self.departure.learn(y - expected);
    }
}

impl RecentRange {
    /// Values in the window (at most [`HISTORY`]).
    pub fn len(&self) -> usize {
        usize::try_from(self.learnt)
            .unwrap_or(usize::MAX)
            .min(HISTORY)
    }

    /// Nothing learnt yet.
    pub fn is_empty(&self) -> bool {
        self.learnt == 0
    }

    /// The lowest and highest recent value (`None` before any).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        Some((self.lows.front()?.1, self.highs.front()?.1))
    }

    /// How surprising `y` is against the recent range (see the module's doc), for values that
    /// each span `span` rows (1 for single values, [`MEAN_ROWS`] for short means); nothing before
    /// [`MIN_SEPARATE`] separate values.
    pub fn beyond(&self, y: f64, span: usize) -> Beyond {
        let inside = Beyond::INSIDE;
        let n = self.len();
        let Some((lo, hi)) = self.bounds() else {
            return inside;
        };
        let width = hi - lo;
        if n / span.max(1) < MIN_SEPARATE || !y.is_finite() || !(width > 0.0 && width.is_finite()) {
            return inside;
        }
        let (excess, high) = if y > hi {
            ((y - hi) / width, true)
        } else if y < lo {
            ((lo - y) / width, false)
        } else {
            return inside;
        };
        Beyond {
            surprise: (n as f64 / span.max(1) as f64 + 1.0).log10()
                + (excess / RANGE_PER_DECADE).min(1e300),
            high: Some(high),
        }
    }

    /// Learns one value (a value that is not finite is not learnt).
    pub fn learn(&mut self, y: f64) {
        if !y.is_finite() {
            return;
        }
        let index = self.learnt;
        self.learnt += 1;
        while self.highs.back().is_some_and(|&(_, v)| v <= y) {
            self.highs.pop_back();
        }
        self.highs.push_back((index, y));
        while self.lows.back().is_some_and(|&(_, v)| v >= y) {
            self.lows.pop_back();
        }
        self.lows.push_back((index, y));
        // The oldest index still in the window.
        let first = self.learnt.saturating_sub(HISTORY as u64);
        while self.highs.front().is_some_and(|&(i, _)| i < first) {
            self.highs.pop_front();
        }
        while self.lows.front().is_some_and(|&(i, _)| i < first) {
            self.lows.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_that_of_the_last_values_learnt() {
        let mut r = RecentRange::default();
        let mut all = Vec::new();
        let mut x = 11u64;
        for i in 0..3 * HISTORY {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // A slow drift plus noise, so the extremes move in and out of the window.
            let v = ((x >> 40) as f64 / 1e6) + (i as f64 / 500.0).sin() * 30.0;
            r.learn(v);
            all.push(v);
            if i % 997 == 0 || i + 1 == 3 * HISTORY {
                let w = &all[all.len().saturating_sub(HISTORY)..];
                let lo = w.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert_eq!(r.bounds(), Some((lo, hi)), "after {} values", i + 1);
            }
        }
        assert_eq!(r.len(), HISTORY);
        assert!(r.highs.len() < HISTORY && r.lows.len() < HISTORY);
        r.learn(f64::NAN);
        assert_eq!(r.len(), HISTORY);
    }

    #[test]
    fn a_new_high_or_low_is_one_in_n_plus_one_and_rarer_further_out() {
        let mut r = RecentRange::default();
        for v in 0..MIN_SEPARATE - 1 {
            r.learn(v as f64);
        }
        assert_eq!(r.beyond(1e9, 1).surprise, 0.0, "too few values");
        let last = (MIN_SEPARATE - 1) as f64;
        r.learn(last);
        // 0..=49: range 49, 50 values.
        let just = r.beyond(last + 1e-9, 1);
        let n1 = (MIN_SEPARATE as f64 + 1.0).log10();
        assert!((just.surprise - n1).abs() < 1e-6, "{just:?}");
        assert_eq!(just.high, Some(true));
        // A tenth of the range beyond: 3 decades more.
        let further = r.beyond(last * 1.1, 1);
        assert!((further.surprise - (n1 + 3.0)).abs() < 1e-9);
        let low = r.beyond(-last * 0.1, 1);
        assert_eq!(low.high, Some(false));
        assert!((low.surprise - further.surprise).abs() < 1e-9);
        // Inside, or at the edge: nothing.
        assert_eq!(r.beyond(last, 1).surprise, 0.0);
        assert_eq!(r.beyond(4.5, 1).high, None);
        assert_eq!(r.beyond(f64::NAN, 1).surprise, 0.0);
        // Values spanning 16 rows each: 50 values are 3 separate ones, too few.
        assert_eq!(r.beyond(1e9, MEAN_ROWS).surprise, 0.0);
    }

    #[test]
    fn a_flat_series_has_no_range_to_leave() {
        let mut r = RecentRange::default();
        for _ in 0..50 {
            r.learn(7.0);
        }
        assert_eq!(r.beyond(8.0, 1).surprise, 0.0);
        assert_eq!(r.beyond(1e300, 1).surprise, 0.0);
    }

    #[test]
    fn a_run_inside_the_range_sets_a_record_of_the_short_mean() {
        let mut r = Records::default();
        let mut x = 3u64;
        let mut noise = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        // No baseline here: the expected value is the value itself (no departure).
        for _ in 0..2_000 {
            let y = noise();
            r.learn(y, y);
        }
        // Values between 0.9 and 1, each inside the range [0, 1) of the 2,000 before.
        let mut seen = Vec::new();
        for i in 0..MEAN_ROWS {
            let y = 0.9 + 0.1 * noise();
            seen.push(r.surprise(y, y));
            r.learn(y, y);
            assert_ne!(seen[i].1, Some(Record::High), "value {i}");
        }
        // The mean leaves the range of the earlier means (about 0.5 +- 3 x 0.072) part-way
        // through the run; each mean after it is a little higher again (the run's own means are
        // learnt), so the first break is the surprising one: far rarer than one in the ~126
        // separate means before it.
        let first = seen
            .iter()
            .position(|s| s.1 == Some(Record::MeanHigh))
            .expect("a mean record");
        assert!(first < MEAN_ROWS - 1, "{first}");
        assert!(seen[first..].iter().all(|s| s.1 == Some(Record::MeanHigh)));
        let best = seen.iter().map(|s| s.0).fold(0.0, f64::max);
        assert!(best > (2_000.0f64 / 16.0 + 1.0).log10() + 1.0, "{best}");
        assert_eq!(
            Record::MeanHigh.in_words(),
            "its last 16 values' mean above every earlier one"
        );
        // Not before enough values for a mean.
        let fresh = Records::default();
        assert_eq!(fresh.surprise(5.0, 5.0), (0.0, None));
    }

    #[test]
    fn a_sustained_departure_from_the_expected_value_is_a_record() {
        // A daily rhythm the baseline knows (expected = the rhythm), small noise around it; then
        // 16 hours 2 below expected: every value and the raw 16-hour mean stay inside their
        // ranges (the rhythm spans 40 to 60), but the mean departure (-2) is beyond the earlier
        // ones (about 0 +- 0.15).
        let rhythm = |t: usize| 50.0 + 10.0 * (t as f64 / 24.0 * std::f64::consts::TAU).sin();
        let mut x = 9u64;
        let mut noise = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut r = Records::default();
        // The run covers hours 22 to 13, around the daily peak (hour 6), so that its values and
        // raw means, 2 lower, stay inside what the peaks and troughs before reached.
        let start = 2_014;
        for t in 0..start {
            r.learn(rhythm(t) + noise(), rhythm(t));
        }
        let mut seen = Vec::new();
        for t in start..start + MEAN_ROWS {
            let y = rhythm(t) - 2.0 + noise();
            seen.push(r.surprise(y, rhythm(t)));
            r.learn(y, rhythm(t));
        }
        assert!(seen
            .iter()
            .all(|s| !matches!(s.1, Some(Record::High | Record::Low | Record::MeanLow))));
        // From the second row on, each mean departure is lower than every earlier one; the first
        // breaks are the most surprising (the run's own means are learnt as it goes).
        assert!(
            seen[1..].iter().all(|s| s.1 == Some(Record::DepartureLow)),
            "{seen:?}"
        );
        let best = seen.iter().map(|s| s.0).fold(0.0, f64::max);
        assert!(best > (2_000.0f64 / 16.0 + 1.0).log10() + 3.0, "{seen:?}");
        assert!(Record::DepartureLow
            .in_words()
            .starts_with("its last 16 values' mean departure from expected lower"));
    }
}
