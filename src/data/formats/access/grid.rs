//! The time buckets of a traffic view, shared by access logs and connection logs: the bulk of
//! the record times decides the range ([`super::span::bulk_span`]), the bucket width is given or
//! chosen from that range ([`Bucket::auto`]), buckets start at a multiple of their width, and
//! empty buckets are kept.

use std::path::Path;

use super::span::{bulk_span, TimeSpan};
use super::traffic::MAX_BUCKETS;
use super::Bucket;
use crate::data::{LoadError, TimeAxis, TimeFormat};
use crate::zone::Zone;

/// The buckets a traffic view counts into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// The range of the bulk of the times; times outside it are in no bucket.
    pub span: TimeSpan,
    /// The bucket width.
    pub bucket: Bucket,
    /// Start of the first bucket, epoch ms.
    pub t0: i64,
    /// Bucket width in ms.
    pub width: i64,
    /// Number of buckets.
    pub n: usize,
    /// The clock the times were written in: buckets start on it, and are shown on it.
    pub zone: Zone,
}

impl Grid {
    /// The buckets for `times` (epoch ms) of the file at `path`, written on the clock `zone`:
    /// `bucket` wide, or chosen from the span, starting at a multiple of their width on that
    /// clock (an hour's or a day's buckets start on the log's own hours and midnights). Errors:
    /// no times, or more than [`MAX_BUCKETS`] buckets.
    pub fn new(
        times: &[i64],
        bucket: Option<Bucket>,
        path: &Path,
        zone: Zone,
    ) -> Result<Grid, LoadError> {
        let span = bulk_span(times).ok_or(LoadError::Empty {
            path: path.to_path_buf(),
        })?;
        let bucket = bucket.unwrap_or_else(|| Bucket::auto(span.last - span.first));
        let width = bucket.seconds * 1000;
        let shift = zone.shift_ms();
        let t0 = (span.first + shift).div_euclid(width) * width - shift;
        let n = usize::try_from((span.last - t0) / width + 1).unwrap_or(usize::MAX);
        if n > MAX_BUCKETS {
            return Err(LoadError::TooManyBuckets {
                path: path.to_path_buf(),
                bucket: bucket.to_string(),
                count: n as u64,
            });
        }
        Ok(Grid {
            span,
            bucket,
            t0,
            width,
            n,
            zone,
        })
    }

    /// The bucket of time `t`; `None` outside the span.
    pub fn of(&self, t: i64) -> Option<usize> {
        if !self.span.contains(t) {
            return None;
        }
        Some(((t - self.t0) / self.width) as usize)
    }

    /// The time axis: one bucket start per bucket, on `clock` (where the log's offset changed;
    /// see [`crate::clock`]).
    pub fn axis(&self, clock: crate::clock::LocalClock) -> TimeAxis {
        TimeAxis {
            clock,
            name: "time".into(),
            millis: (0..self.n as i64)
                .map(|b| self.t0 + b * self.width)
                .collect(),
            format: TimeFormat::Iso,
            zone: self.zone,
        }
    }

    /// The notes for the user: `records` (such as "requests") left out of the view, and where
    /// the buckets start.
    pub fn notes(&self, records: &str) -> Vec<String> {
        let mut notes: Vec<String> = self
            .span
            .note_of("traffic view", records, self.zone)
            .into_iter()
            .collect();
        // The clock is named once: by the time's label, or after a time without one (UTC, or
        // a date alone).
        let from = self.zone.format(self.t0);
        let clock = match self.zone {
            _ if from.ends_with(&self.zone.suffix()) && !self.zone.suffix().is_empty() => {
                String::new()
            }
            Zone::Offset(_) => format!(" ({})", self.zone.in_words()),
            Zone::Unstated | Zone::Utc => " (UTC)".to_string(),
        };
        notes.push(format!("{} buckets from {from}{clock}", self.bucket));
        // The log seldom starts and ends on a bucket's edges: its first and last buckets hold
        // part of their time only, so their counts are low, and a detector may flag them.
        let first_held = (self.t0 + self.width).saturating_sub(self.span.first);
        let last_start = self.t0 + (self.n as i64 - 1) * self.width;
        let last_held = self.span.last.saturating_sub(last_start) + 1000;
        let partial = |held: i64| self.n > 1 && held * 10 < self.width * 9;
        for (which, held) in [("first", first_held), ("last", last_held)] {
            if partial(held) {
                notes.push(format!(
                    "the {which}{PARTIAL_BUCKET}{} of its {} of log: its counts are partial, \
                     and may be flagged as low",
                    held_in_words(held),
                    self.bucket
                ));
            }
        }
        notes
    }
}

/// What the note on a first or last bucket that holds part of its time says after `first` or
/// `last` (`detect` finds the note by it, among the view's notes).
pub const PARTIAL_BUCKET: &str = " bucket holds only ";

/// A span of log time in words, rounded: `40 s`, `12 min`, `5.5 h`.
fn held_in_words(ms: i64) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{s} s")
    } else if s < 3_600 {
        format!("{} min", s / 60)
    } else {
        let hours = format!("{:.1}", s as f64 / 3_600.0);
        format!("{} h", hours.trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_their_width_and_keep_empty_ones() {
        // 00:01:30, 00:02:10 and 00:16:00 of 2026-01-01 in 5-minute buckets.
        let day = 1_767_225_600_000;
        let times = [day + 90_000, day + 130_000, day + 960_000];
        let g = Grid::new(
            &times,
            Some(Bucket { seconds: 300 }),
            Path::new("x"),
            Zone::Unstated,
        )
        .expect("grid");
        assert_eq!((g.t0, g.n), (day, 4));
        assert_eq!(
            times.map(|t| g.of(t)),
            [Some(0), Some(0), Some(3)],
            "00:15-00:20 is the fourth bucket"
        );
        assert_eq!(g.axis(Default::default()).millis[3], day + 900_000);
        // The log starts 1.5 min into its first bucket and ends 1 min into its last.
        let notes = g.notes("requests");
        assert!(
            notes.contains(&"the first bucket holds only 3 min of its 5m of log: its counts are partial, and may be flagged as low".to_string()),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("the last bucket holds only 1 min of its 5m")),
            "{notes:?}"
        );
        // A log on its buckets' edges has no such note.
        let whole = Grid::new(
            &[day, day + 599_000],
            Some(Bucket { seconds: 300 }),
            Path::new("x"),
            Zone::Unstated,
        )
        .expect("grid");
        assert!(
            !whole
                .notes("requests")
                .iter()
                .any(|n| n.contains("partial")),
            "{:?}",
            whole.notes("requests")
        );
        assert!(matches!(
            Grid::new(&[], None, Path::new("x"), Zone::Unstated),
            Err(LoadError::Empty { .. })
        ));
    }
}
