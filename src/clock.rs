//! When the UTC offset a time column was written in changed: daylight saving.
//!
//! Traffic follows its users' clock. A log written in local time across a daylight-saving
//! change (`-0400` in summer, `-0500` in winter) keeps its daily rhythm at the same local hours,
//! so on UTC's clock the rhythm moves by an hour at each change. The seasonal baseline reads a
//! row's phase (its hour of the day and of the week) on the local clock where the offset
//! changed ([`OffsetFollower`]: changes months apart, not offsets that flip from row to row),
//! so that 09:00 local is 09:00 local on either side.
//!
//! The offsets are kept as the instants at which they changed, not per row: a clock is a
//! function of time, so it survives the rows being sorted, pivoted or filled in. A column
//! written in one offset (or in none) has no changes, and its phases are exactly its buckets'.

use serde::{Deserialize, Serialize};

/// The offsets a column's times were written at, by time: each entry `(ms, minutes)` holds from
/// `ms` (epoch milliseconds) until the next; one entry when the offset never changed (a value
/// with no zone counts as UTC), none when no offset was noted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalClock {
    changes: Vec<(i64, i16)>,
}

impl LocalClock {
    /// A clock from the offsets of values at some instants (in any order; see
    /// [`ClockPoints`]): sorted by time, each offset kept where it differs from the one before.
    fn from_points(mut points: Vec<(i64, i16)>) -> LocalClock {
        points.sort_by_key(|&(ms, _)| ms);
        let mut changes: Vec<(i64, i16)> = Vec::new();
        for (ms, offset) in points {
            if changes.last().is_none_or(|&(_, last)| last != offset) {
                changes.push((ms, offset));
            }
        }
        // The first offset holds from the beginning of time (the same clock whichever reader,
        // whatever rows, noted it).
        if let Some(first) = changes.first_mut() {
            first.0 = i64::MIN;
        }
        LocalClock { changes }
    }

    /// A clock that was at `offset_minutes` east of UTC all along (`None`: no zone written,
    /// taken as UTC).
    pub fn fixed(offset_minutes: Option<i16>) -> LocalClock {
        LocalClock {
            changes: vec![(i64::MIN, offset_minutes.unwrap_or(0))],
        }
    }

    /// The offset never changed (or no value was noted).
    pub fn is_constant(&self) -> bool {
        self.changes.len() < 2
    }

    /// How many times the offset changed.
    pub fn changes(&self) -> usize {
        self.changes.len().saturating_sub(1)
    }

    /// The offset (minutes east of UTC) at `ms`: the one in force then, the first one before the
    /// first change; `None` when no value was noted (times with no offset, such as epoch
    /// numbers or Parquet).
    pub fn offset_at(&self, ms: i64) -> Option<i16> {
        let (&(_, first), _) = self.changes.split_first()?;
        let after = self.changes.partition_point(|&(at, _)| at <= ms);
        Some(match after {
            0 => first,
            i => self.changes[i - 1].1,
        })
    }
}

/// The least time an offset must have held for a change from it to be followed as daylight
/// saving: a week. Daylight-saving changes are months apart; offsets that change sooner are
/// something else (rows of several time zones in one column, times written in two ways), and no
/// one local clock fits them.
pub const MIN_RUN_MS: i64 = 7 * 86_400_000;

/// `minutes` in whole buckets of `interval_ms` (towards zero; none for a change smaller than the
/// interval).
pub fn minutes_in_buckets(minutes: i32, interval_ms: i64) -> i64 {
    if interval_ms <= 0 {
        return 0;
    }
    i64::from(minutes) * 60_000 / interval_ms
}

/// Which offset changes of a stream of rows are followed, decided row by row from the rows
/// before (so that a table scored at once and the same rows fed one by one agree): the first
/// change (the rows may start just before one), and every later change made at least
/// [`MIN_RUN_MS`] after the one before. Once a change comes sooner, the offsets are taken to be
/// erratic and no change is followed from then on: the phases stay on the clock they were on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetFollower {
    /// The offset the last row was written at (minutes east), and the time it was first
    /// written at.
    written: Option<(i16, i64)>,
    /// The changes followed, summed (minutes): how far the phase clock moved from the first
    /// row's.
    moved: i32,
    /// Changes followed.
    followed: u32,
    /// Changes seen, followed or not.
    changes: u32,
    /// A change came sooner than [`MIN_RUN_MS`] after the one before: none is followed now.
    erratic: bool,
    /// The smallest change followed, in minutes.
    smallest: Option<u16>,
}

impl OffsetFollower {
    /// Notes a row at `t_ms` written at `offset` minutes east of UTC; returns how far (minutes)
    /// its phase clock is from the first row's.
    pub fn follow(&mut self, t_ms: i64, offset: i16) -> i32 {
        match self.written {
            None => self.written = Some((offset, t_ms)),
            Some((was, since)) if was != offset => {
                self.changes += 1;
                let soon = t_ms.saturating_sub(since) < MIN_RUN_MS;
                if soon && self.changes > 1 {
                    self.erratic = true;
                }
                if !self.erratic {
                    let change = i32::from(offset) - i32::from(was);
                    self.moved += change;
                    self.followed += 1;
                    let size = u16::try_from(change.unsigned_abs()).unwrap_or(u16::MAX);
                    self.smallest = Some(self.smallest.map_or(size, |s| s.min(size)));
                }
                self.written = Some((offset, t_ms));
            }
            Some(_) => {}
        }
        self.moved
    }

    /// How far (minutes) the phase clock is from the first row's.
    pub fn moved(&self) -> i32 {
        self.moved
    }

    /// Changes followed.
    pub fn followed(&self) -> u32 {
        self.followed
    }

    /// Changes seen, followed or not.
    pub fn changes(&self) -> u32 {
        self.changes
    }

    /// The offsets changed too often to be daylight saving; later changes were not followed.
    pub fn erratic(&self) -> bool {
        self.erratic
    }

    /// The smallest change followed, in minutes.
    pub fn smallest(&self) -> Option<u16> {
        self.smallest
    }
}

/// The offsets of a run of values as they are read (in file order, in parallel parts, then
/// joined), kept only where they change: the first and last value's, and both sides of every
/// change, so that a clock can be built whatever the order of the rows.
#[derive(Debug, Clone, Default)]
pub struct ClockPoints {
    points: Vec<(i64, i16)>,
    last: Option<(i64, i16)>,
}

impl ClockPoints {
    /// Notes a value at `ms` written with `offset_minutes` east of UTC (`None`: no zone
    /// written, taken as UTC, as its time is).
    #[inline]
    pub fn note(&mut self, ms: i64, offset_minutes: Option<i32>) {
        let offset = offset_minutes
            .and_then(|m| i16::try_from(m).ok())
            .unwrap_or(0);
        match self.last {
            None => self.points.push((ms, offset)),
            Some(last) if last.1 != offset => {
                self.points.push(last);
                self.points.push((ms, offset));
            }
            Some(_) => {}
        }
        self.last = Some((ms, offset));
    }

    /// The points of two runs of values together.
    pub fn merge(mut self, other: ClockPoints) -> ClockPoints {
        self.points.extend(self.last);
        self.points.extend(other.points);
        self.last = other.last;
        self
    }

    /// The clock these values were written on.
    pub fn finish(mut self) -> LocalClock {
        self.points.extend(self.last);
        LocalClock::from_points(self.points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn clock_of(rows: &[(i64, Option<i32>)], parts: usize) -> LocalClock {
        let size = rows.len().div_ceil(parts).max(1);
        rows.chunks(size)
            .map(|chunk| {
                let mut points = ClockPoints::default();
                for &(ms, offset) in chunk {
                    points.note(ms, offset);
                }
                points
            })
            .fold(ClockPoints::default(), ClockPoints::merge)
            .finish()
    }

    #[test]
    fn a_daylight_saving_change_is_found_in_any_row_order_and_any_parts() {
        // Hourly rows, -04:00 until hour 100, -05:00 from then on.
        let rows: Vec<(i64, Option<i32>)> = (0..200)
            .map(|h| (h * HOUR, Some(if h < 100 { -240 } else { -300 })))
            .collect();
        let mut reversed = rows.clone();
        reversed.reverse();
        for rows in [&rows, &reversed] {
            for parts in [1, 2, 3, 7] {
                let clock = clock_of(rows, parts);
                assert_eq!(clock.changes(), 1, "{parts} parts");
                assert_eq!(clock.offset_at(-5 * HOUR), Some(-240));
                assert_eq!(clock.offset_at(99 * HOUR), Some(-240));
                assert_eq!(clock.offset_at(100 * HOUR), Some(-300));
                assert_eq!(clock.offset_at(10_000 * HOUR), Some(-300));
            }
        }
    }

    #[test]
    fn changes_months_apart_are_followed_and_flips_are_not() {
        const DAY: i64 = 24 * HOUR;
        // Daylight saving: -04:00, then -05:00 after 60 days, then -04:00 again after 200.
        let mut f = OffsetFollower::default();
        assert_eq!(f.follow(0, -240), 0);
        assert_eq!(f.follow(60 * DAY, -300), -60);
        assert_eq!(f.follow(100 * DAY, -300), -60);
        assert_eq!(f.follow(200 * DAY, -240), 0);
        assert_eq!((f.followed(), f.changes(), f.erratic()), (2, 2, false));
        assert_eq!(f.smallest(), Some(60));
        // An hour's change moves hourly data by one bucket, minute data by 60, daily none.
        assert_eq!(minutes_in_buckets(-60, HOUR), -1);
        assert_eq!(minutes_in_buckets(-60, 60_000), -60);
        assert_eq!(minutes_in_buckets(-60, DAY), 0);
        // The first change is followed however soon (the rows may start just before it).
        let mut f = OffsetFollower::default();
        f.follow(0, 0);
        assert_eq!(f.follow(HOUR, -240), -240);
        // Offsets that flip from row to row (several zones, or `Z` and local times mixed):
        // after the first change nothing more is followed, the phases stay where they are.
        for h in 2..100 {
            assert_eq!(f.follow(h * HOUR, if h % 2 == 0 { 0 } else { -240 }), -240);
        }
        assert!(f.erratic());
        assert_eq!(f.followed(), 1);
        assert_eq!(f.follow(400 * DAY, -300), -240, "erratic for good");
    }

    #[test]
    fn one_offset_or_none_is_a_constant_clock() {
        let fixed: Vec<(i64, Option<i32>)> = (0..50).map(|h| (h * HOUR, Some(330))).collect();
        let none: Vec<(i64, Option<i32>)> = (0..50).map(|h| (h * HOUR, None)).collect();
        for (rows, offset) in [(&fixed, Some(330)), (&none, Some(0)), (&Vec::new(), None)] {
            let clock = clock_of(rows, 3);
            assert!(clock.is_constant());
            assert_eq!(clock.changes(), 0);
            assert_eq!(clock.offset_at(0), offset);
        }
        // Whatever the first time noted, one offset is one clock.
        assert_eq!(clock_of(&fixed, 1), LocalClock::fixed(Some(330)));
        assert_eq!(clock_of(&none[5..], 2), LocalClock::fixed(None));
        // `Z` and no zone are both UTC: no change between them.
        assert!(clock_of(&[(0, None), (HOUR, Some(0))], 1).is_constant());
    }
}
