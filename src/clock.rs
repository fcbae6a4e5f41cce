//! When the UTC offset a time column was written in changed: daylight saving.
//!
//! Traffic follows its users' clock. A log written in local time across a daylight-saving
//! change (`-0400` in summer, `-0500` in winter) keeps its daily rhythm at the same local hours,
//! so on UTC's clock the rhythm moves by an hour at each change. The seasonal baseline reads a
//! row's phase (its hour of the day and of the week) on the local clock where the offset
//! changed ([`LocalClock::phase_shift`]), so that 09:00 local is 09:00 local on either side.
//!
//! The offsets are kept as the instants at which they changed, not per row: a clock is a
//! function of time, so it survives the rows being sorted, pivoted or filled in. A column
//! written in one offset (or in none) has no changes, and its phases are exactly its buckets'.

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

    /// How many buckets of `interval_ms` a row at `ms` is moved by on the way to its phase:
    /// the change of the offset since `base` (the offset the phases were first counted in), in
    /// whole intervals (an hour's change moves hourly data by one bucket, minute data by 60,
    /// daily data by none). 0 for a constant clock.
    pub fn phase_shift(&self, ms: i64, base: i16, interval_ms: i64) -> i64 {
        match self.offset_at(ms) {
            Some(offset) => shift_buckets(offset, base, interval_ms),
            None => 0,
        }
    }
}

/// The change from offset `base` to `offset` (minutes) in whole buckets of `interval_ms`
/// (towards zero).
pub fn shift_buckets(offset: i16, base: i16, interval_ms: i64) -> i64 {
    let delta_ms = (i64::from(offset) - i64::from(base)) * 60_000;
    if interval_ms <= 0 {
        return 0;
    }
    delta_ms / interval_ms
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
                // Hourly data moves back one bucket after the change; minute data 60; daily none.
                assert_eq!(clock.phase_shift(150 * HOUR, -240, HOUR), -1);
                assert_eq!(clock.phase_shift(150 * HOUR, -240, 60_000), -60);
                assert_eq!(clock.phase_shift(150 * HOUR, -240, 24 * HOUR), 0);
                assert_eq!(clock.phase_shift(50 * HOUR, -240, HOUR), 0);
            }
        }
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
            assert_eq!(clock.phase_shift(10 * HOUR, offset.unwrap_or(0), HOUR), 0);
        }
        // Whatever the first time noted, one offset is one clock.
        assert_eq!(clock_of(&fixed, 1), LocalClock::fixed(Some(330)));
        assert_eq!(clock_of(&none[5..], 2), LocalClock::fixed(None));
        // `Z` and no zone are both UTC: no change between them.
        assert!(clock_of(&[(0, None), (HOUR, Some(0))], 1).is_constant());
    }
}
