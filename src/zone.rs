//! The clock a time column was written in, and times shown on it.
//!
//! Times are kept as UTC epoch milliseconds everywhere; a column's [`Zone`] is decided once, when
//! the file is read, from the offsets its values were written with, and is used only to show
//! times. A column written in one offset (`2021-03-19T03:00:00+02:00`, an access log's `-0700`)
//! is shown in that offset, with the offset after the time (`2021-03-19 03:00:00 +02:00`), so
//! that what the user reads matches the file. UTC and times written without a zone are shown as
//! they are, without a label. A column whose values carry different offsets (both sides of a
//! daylight-saving change) is shown in UTC, labelled `UTC`: no one offset would be right for
//! every row.

use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// The clock a time column was written in (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Zone {
    /// No offset written (or epoch numbers, or UTC): shown as they are, without a label.
    #[default]
    Unstated,
    /// Every value written with this offset from UTC, in minutes east (never 0: UTC is
    /// [`Zone::Unstated`]).
    Offset(i16),
    /// Shown in UTC, labelled `UTC`: a column whose values carry different offsets, and live
    /// alerts (a growing log may change its offset; alerts are compared across sources).
    Utc,
}

/// The offsets seen in a run of values, merged as the values are read (in parallel parts, then
/// joined): none seen yet, or the column's [`Zone`] so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ZoneSeen(Option<Zone>);

impl Zone {
    /// The zone of one value written with `offset_minutes` east of UTC (`None` when the value
    /// names no zone; `Some(0)` for `Z`, `UTC` or `+00:00`, which show alike).
    pub fn of_offset(offset_minutes: Option<i32>) -> Zone {
        match offset_minutes.and_then(|m| i16::try_from(m).ok()) {
            None | Some(0) => Zone::Unstated,
            Some(m) => Zone::Offset(m),
        }
    }

    /// The zone of two runs of values together: the same zone, or [`Zone::Utc`] when they
    /// differ.
    pub fn merge(self, other: Zone) -> Zone {
        if self == other {
            self
        } else {
            Zone::Utc
        }
    }

    /// This clock, or UTC (labelled) when it has an offset: what `--utc` shows. Times written
    /// without a zone stay as they are.
    pub fn in_utc(self) -> Zone {
        match self {
            Zone::Unstated => Zone::Unstated,
            Zone::Offset(_) | Zone::Utc => Zone::Utc,
        }
    }

    /// Milliseconds to add to a UTC time to read it on this clock.
    pub fn shift_ms(self) -> i64 {
        match self {
            Zone::Offset(m) => i64::from(m) * 60_000,
            Zone::Unstated | Zone::Utc => 0,
        }
    }

    /// What is written after a time shown on this clock: ` -07:00`, ` UTC` for [`Zone::Utc`],
    /// nothing for [`Zone::Unstated`].
    pub fn suffix(self) -> String {
        match self {
            Zone::Unstated => String::new(),
            Zone::Utc => " UTC".into(),
            Zone::Offset(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.unsigned_abs();
                format!(" {sign}{:02}:{:02}", m / 60, m % 60)
            }
        }
    }

    /// The clock in words, for notes: `UTC-07:00`, `UTC`, or `UTC, or no zone written`.
    pub fn in_words(self) -> String {
        match self {
            Zone::Unstated => "UTC, or no zone written".into(),
            Zone::Utc => "UTC".into(),
            Zone::Offset(_) => format!("UTC{}", self.suffix().trim_start()),
        }
    }

    /// `ms` on this clock, as finely as it needs: `2021-03-28` for a midnight (a date is a date
    /// on its own clock, so it carries no label), else `2021-03-28 14:00:00 -07:00`, with
    /// milliseconds when it has them.
    pub fn format(self, ms: i64) -> String {
        self.format_as(ms, ms)
    }

    /// `ms` on this clock as text that reads back to the same instant (for exports): as
    /// [`Zone::format`], but a midnight keeps its time and label when the clock has one
    /// (`2021-03-01 00:00:00 -07:00`: a date alone would read back as UTC).
    pub fn format_exact(self, ms: i64) -> String {
        match self {
            Zone::Unstated => self.format(ms),
            Zone::Offset(_) | Zone::Utc => {
                // A whole second that is not a midnight stands for a midnight.
                let midnight = ms.saturating_add(self.shift_ms()).rem_euclid(DAY_MS) == 0;
                self.format_as(
                    ms,
                    if midnight {
                        ms.saturating_add(1000)
                    } else {
                        ms
                    },
                )
            }
        }
    }

    /// A span of time on this clock, both ends written alike: with the time of day (and
    /// milliseconds) when either end needs it (`2021-03-01 00:00:00 to 2021-03-01 04:59:00`).
    pub fn format_span(self, start: i64, end: i64) -> String {
        let shift = self.shift_ms();
        let needs = |unit: i64| {
            (start + shift).rem_euclid(unit) != 0 || (end + shift).rem_euclid(unit) != 0
        };
        // A time standing for the finer of the two ends: a millisecond, a second or a midnight
        // (on this clock).
        let like = if needs(1000) {
            1 - shift
        } else if needs(DAY_MS) {
            1000 - shift
        } else {
            -shift
        };
        format!(
            "{} to {}",
            self.format_as(start, like),
            self.format_as(end, like)
        )
    }

    /// `ms` written as finely as `like` needs: the date alone when `like` is a midnight on this
    /// clock, seconds when it is a whole second, else milliseconds.
    fn format_as(self, ms: i64, like: i64) -> String {
        let shift = self.shift_ms();
        let Some(dt) = chrono::DateTime::from_timestamp_millis(ms.saturating_add(shift)) else {
            return ms.to_string();
        };
        let naive = dt.naive_utc();
        let like = like.saturating_add(shift);
        if like.rem_euclid(DAY_MS) == 0 {
            return naive.format("%Y-%m-%d").to_string();
        }
        let text = if like.rem_euclid(1000) == 0 {
            naive.format("%Y-%m-%d %H:%M:%S")
        } else {
            naive.format("%Y-%m-%d %H:%M:%S%.3f")
        };
        format!("{text}{}", self.suffix())
    }

    /// `ms` on this clock with `chrono`'s `pattern` (such as `%a %-d %b %Y %H:%M`), the label
    /// after it unless `dated` (a date alone carries no label).
    pub fn format_with(self, ms: i64, pattern: &str, dated: bool) -> String {
        match chrono::DateTime::from_timestamp_millis(ms.saturating_add(self.shift_ms())) {
            Some(dt) if dated => dt.format(pattern).to_string(),
            Some(dt) => format!("{}{}", dt.format(pattern), self.suffix()),
            None => format!("{ms} ms"),
        }
    }
}

impl ZoneSeen {
    /// Notes one more value written with `offset_minutes` (`None`: no zone written).
    #[inline]
    pub fn note(&mut self, offset_minutes: Option<i32>) {
        let zone = Zone::of_offset(offset_minutes);
        self.0 = Some(self.0.map_or(zone, |z| z.merge(zone)));
    }

    /// The offsets of two runs of values together.
    pub fn merge(self, other: ZoneSeen) -> ZoneSeen {
        ZoneSeen(match (self.0, other.0) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, None) => a,
            (None, b) => b,
        })
    }

    /// The column's zone ([`Zone::Unstated`] when no value was seen).
    pub fn zone(self) -> Zone {
        self.0.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 18_687 * DAY_MS; // 2021-03-01 00:00 UTC

    #[test]
    fn a_time_is_shown_on_its_own_clock_with_the_offset_after_it() {
        let west = Zone::of_offset(Some(-7 * 60));
        assert_eq!(west, Zone::Offset(-420));
        // 2021-03-01 10:00 UTC is 03:00 at -07:00.
        assert_eq!(
            west.format(T0 + 10 * 3_600_000),
            "2021-03-01 03:00:00 -07:00"
        );
        // 02:00 UTC is the evening before at -07:00.
        assert_eq!(
            west.format(T0 + 2 * 3_600_000),
            "2021-02-28 19:00:00 -07:00"
        );
        let india = Zone::of_offset(Some(5 * 60 + 30));
        assert_eq!(india.format(T0 + 1), "2021-03-01 05:30:00.001 +05:30");
        // A local midnight is a date, with no label; a UTC midnight is not a local one.
        assert_eq!(west.format(T0 + 7 * 3_600_000), "2021-03-01");
        // An export keeps the time and the offset of a local midnight, so it reads back.
        assert_eq!(
            west.format_exact(T0 + 7 * 3_600_000),
            "2021-03-01 00:00:00 -07:00"
        );
        assert_eq!(
            crate::data::time::parse_iso(&west.format_exact(T0 + 7 * 3_600_000)),
            Some(T0 + 7 * 3_600_000)
        );
        assert_eq!(Zone::Unstated.format_exact(T0), "2021-03-01");
        assert_eq!(
            Zone::Utc.format_exact(T0 + 5),
            "2021-03-01 00:00:00.005 UTC"
        );
        assert_eq!(
            crate::data::time::parse_iso(&Zone::Utc.format_exact(T0 + 5)),
            Some(T0 + 5)
        );
        assert_eq!(west.format(T0), "2021-02-28 17:00:00 -07:00");
        assert_eq!(
            west.format_with(T0 + 10 * 3_600_000, "%a %-d %b %Y %H:%M", false),
            "Mon 1 Mar 2021 03:00 -07:00"
        );
        assert_eq!(
            west.format_with(T0 + 7 * 3_600_000, "%a %-d %b %Y", true),
            "Mon 1 Mar 2021"
        );
    }

    #[test]
    fn utc_and_no_zone_are_shown_as_they_are_and_mixed_offsets_in_labelled_utc() {
        assert_eq!(Zone::of_offset(None), Zone::Unstated);
        assert_eq!(Zone::of_offset(Some(0)), Zone::Unstated);
        assert_eq!(
            Zone::Unstated.format(T0 + 299 * 60_000),
            "2021-03-01 04:59:00"
        );
        assert_eq!(Zone::Unstated.format(T0), "2021-03-01");
        assert_eq!(Zone::Utc.format(T0 + 60_000), "2021-03-01 00:01:00 UTC");
        assert_eq!(Zone::Offset(-420).in_words(), "UTC-07:00");
        assert_eq!(Zone::Offset(345).suffix(), " +05:45");
        // An offset that does not fit is no offset (the readers accept at most 23:59).
        assert_eq!(Zone::of_offset(Some(i32::MAX)), Zone::Unstated);
    }

    #[test]
    fn a_span_writes_both_ends_alike_on_its_clock() {
        let z = Zone::Unstated;
        assert_eq!(
            z.format_span(T0, T0 + 299 * 60_000),
            "2021-03-01 00:00:00 to 2021-03-01 04:59:00"
        );
        assert_eq!(
            z.format_span(T0, T0 + 30 * DAY_MS),
            "2021-03-01 to 2021-03-31"
        );
        assert_eq!(
            z.format_span(T0 + 5, T0 + DAY_MS),
            "2021-03-01 00:00:00.005 to 2021-03-02 00:00:00.000"
        );
        // Local midnights at -07:00 are dates; UTC midnights there are not.
        let west = Zone::Offset(-420);
        let local_midnight = T0 + 7 * 3_600_000;
        assert_eq!(
            west.format_span(local_midnight, local_midnight + DAY_MS),
            "2021-03-01 to 2021-03-02"
        );
        assert_eq!(
            west.format_span(T0, T0 + DAY_MS),
            "2021-02-28 17:00:00 -07:00 to 2021-03-01 17:00:00 -07:00"
        );
    }

    #[test]
    fn the_offsets_of_a_column_make_one_zone_whatever_the_order_of_its_parts() {
        let mut a = ZoneSeen::default();
        assert_eq!(a.zone(), Zone::Unstated);
        a.note(Some(-420));
        a.note(Some(-420));
        assert_eq!(a.zone(), Zone::Offset(-420));
        let mut b = ZoneSeen::default();
        b.note(Some(-480));
        assert_eq!(a.merge(b).zone(), Zone::Utc);
        assert_eq!(b.merge(a).zone(), Zone::Utc);
        assert_eq!(a.merge(ZoneSeen::default()).zone(), Zone::Offset(-420));
        assert_eq!(ZoneSeen::default().merge(a).zone(), Zone::Offset(-420));
        // `Z` and no zone show alike, so together they are one zone; with an offset, not.
        let mut c = ZoneSeen::default();
        c.note(None);
        c.note(Some(0));
        assert_eq!(c.zone(), Zone::Unstated);
        c.note(Some(60));
        assert_eq!(c.zone(), Zone::Utc);
    }
}
