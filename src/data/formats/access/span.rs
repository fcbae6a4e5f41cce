//! The time range a log's views cover: the span of the bulk of its requests, so that one request
//! with an outlying time (a clock set to 2099, a forged line from year 1) never decides the
//! bucket range. "Far" is measured from the quartiles of the request times, which a few outliers
//! cannot move.

use rayon::prelude::*;

use crate::zone::Zone;

/// Requests further than this many interquartile ranges beyond the quartiles of the request
/// times are left out of the views' time range (unless within [`FENCE_MIN_MS`]).
pub const FENCE_IQRS: i64 = 10;

/// Requests within this distance of the quartiles (366 days) are always kept, however little
/// time the middle half of the requests spans (an hour-long burst among a month of traffic).
pub const FENCE_MIN_MS: i64 = 366 * 86_400_000;

/// Request times sampled (evenly through the log) to estimate the quartiles.
const SAMPLE: usize = 100_000;

/// The time range of the bulk of a log's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    /// The earliest request time in the range (epoch ms).
    pub first: i64,
    /// The latest request time in the range (epoch ms).
    pub last: i64,
    /// Requests left out because their times are far outside the rest.
    pub outside: usize,
    /// The earliest and latest of the requests left out.
    pub outside_range: Option<(i64, i64)>,
}

impl TimeSpan {
    /// True when the request time `t` is in the range.
    pub fn contains(&self, t: i64) -> bool {
        (self.first..=self.last).contains(&t)
    }

    /// A note for the user when requests were left out (`None` when none were), its times on
    /// the clock `zone`.
    pub fn note(&self, view: &str, zone: Zone) -> Option<String> {
        self.note_of(view, "requests", zone)
    }

    /// A note for the user when `records` (such as "connections") were left out.
    pub fn note_of(&self, view: &str, records: &str, zone: Zone) -> Option<String> {
        let (lo, hi) = self.outside_range?;
        let when = if lo == hi {
            format!("at {}", zone.format(lo))
        } else {
            format!("from {} to {}", zone.format(lo), zone.format(hi))
        };
        Some(format!(
            "{} {records} with times far outside the rest of the log ({when}) are left out of the \
             {view}, which covers {} to {}",
            self.outside,
            zone.format(self.first),
            zone.format(self.last)
        ))
    }
}

/// The span of the bulk of `times`: every time within the fences (the quartiles widened by
/// [`FENCE_IQRS`] interquartile ranges, at least [`FENCE_MIN_MS`]). `None` without times.
pub fn bulk_span(times: &[i64]) -> Option<TimeSpan> {
    if times.is_empty() {
        return None;
    }
    let stride = (times.len() / SAMPLE).max(1);
    let mut sample: Vec<i64> = times.iter().step_by(stride).copied().collect();
    sample.sort_unstable();
    // Quartiles by rank, symmetric: with four or fewer times they are the extremes, so nothing
    // is left out of a log too small to tell an outlier.
    let k = (sample.len() - 1) / 4;
    let (q1, q3) = (sample[k], sample[sample.len() - 1 - k]);
    let margin = FENCE_IQRS
        .saturating_mul(q3.saturating_sub(q1))
        .max(FENCE_MIN_MS);
    let (lo, hi) = (q1.saturating_sub(margin), q3.saturating_add(margin));
    let (inside, outside) = times
        .par_iter()
        .with_min_len(1 << 16)
        .fold(
            || (Extent::default(), Extent::default()),
            |(mut inside, mut outside), &t| {
                if (lo..=hi).contains(&t) {
                    inside.add(t);
                } else {
                    outside.add(t);
                }
                (inside, outside)
            },
        )
        .reduce(
            || (Extent::default(), Extent::default()),
            |a, b| (a.0.merge(b.0), a.1.merge(b.1)),
        );
    // The quartiles are request times inside the fences, so `inside` is never empty.
    let (first, last) = inside.range?;
    Some(TimeSpan {
        first,
        last,
        outside: outside.count,
        outside_range: outside.range,
    })
}

/// The count and range of some times.
#[derive(Debug, Clone, Copy, Default)]
struct Extent {
    count: usize,
    range: Option<(i64, i64)>,
}

impl Extent {
    fn add(&mut self, t: i64) {
        self.count += 1;
        self.range = Some(self.range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
    }

    fn merge(self, o: Extent) -> Extent {
        Extent {
            count: self.count + o.count,
            range: match (self.range, o.range) {
                (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
                (x, None) => x,
                (None, y) => y,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn one_outlying_time_does_not_decide_the_range() {
        let start = 1_700_000_000_000;
        let mut times: Vec<i64> = (0..1000).map(|i| start + i * 60_000).collect();
        times.push(0); // 1970
        times.push(start + 80 * 365 * DAY);
        let span = bulk_span(&times).expect("span");
        assert_eq!((span.first, span.last), (start, start + 999 * 60_000));
        assert_eq!(span.outside, 2);
        assert_eq!(span.outside_range, Some((0, start + 80 * 365 * DAY)));
        assert!(span
            .note("traffic view", Zone::Unstated)
            .is_some_and(|n| n.contains("2 requests")));
    }

    #[test]
    fn a_short_burst_does_not_cut_off_the_rest_of_the_month() {
        let start = 1_700_000_000_000;
        // 99% of the requests in one hour, the rest spread over 30 days.
        let mut times: Vec<i64> = (0..9900).map(|i| start + i * 300).collect();
        times.extend((0..100).map(|i| start + i * (30 * DAY / 100)));
        let span = bulk_span(&times).expect("span");
        assert_eq!(span.outside, 0);
        assert_eq!(span.last, start + 99 * (30 * DAY / 100));
        assert_eq!(span.note("traffic view", Zone::Unstated), None);
    }

    #[test]
    fn tiny_logs_keep_every_time() {
        let span = bulk_span(&[5, 0, 10 * 365 * DAY]).expect("span");
        assert_eq!(
            (span.first, span.last, span.outside),
            (0, 10 * 365 * DAY, 0)
        );
        assert_eq!(bulk_span(&[]), None);
    }
}
