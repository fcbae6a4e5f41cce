//! A time axis for the plots (x in seconds since 1970, UTC): grid lines on whole minutes,
//! hours, days or weeks of the data's own clock ([`Zone`]), and on the first of its months or
//! years over longer spans, labelled as a date when the lines are a day or more apart (a month,
//! or a year, when they are that far apart).

use egui_plot::{GridInput, GridMark};

use crate::calendar::{month_index, month_start_ms};
use crate::zone::Zone;

/// Steps between grid lines, in seconds, up to a week; longer steps are calendar months.
const STEPS: [f64; 11] = [
    1.0,
    5.0,
    15.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    3.0 * 3600.0,
    6.0 * 3600.0,
    86_400.0,
    7.0 * 86_400.0,
];

/// Steps between grid lines in calendar months, after [`STEPS`]: a month, a quarter, half a year,
/// and 1 to 100 years.
const MONTH_STEPS: [i64; 10] = [1, 3, 6, 12, 24, 60, 120, 240, 600, 1200];

/// A calendar month's mean length in seconds (365.2425 / 12 days): a month step's size.
const MONTH_S: f64 = 2_629_746.0;

/// The size in seconds of grid level `level` (the steps of [`STEPS`], then of [`MONTH_STEPS`]).
fn step_of(level: usize) -> f64 {
    match STEPS.get(level) {
        Some(&s) => s,
        None => MONTH_STEPS[level - STEPS.len()] as f64 * MONTH_S,
    }
}

/// Grid lines on round times of the clock `zone` (its midnights, its whole hours): a main step
/// with about 4 to 10 lines over the view, and the step below it for thin lines.
pub fn grid_in(zone: Zone) -> impl Fn(GridInput) -> Vec<GridMark> {
    let shift = zone.shift_ms() as f64 / 1000.0;
    move |input| grid_shifted(input, shift)
}

/// Grid lines on round times of a clock `shift` seconds ahead of UTC.
fn grid_shifted(input: GridInput, shift: f64) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let span = (hi - lo).max(1e-9);
    let levels = STEPS.len() + MONTH_STEPS.len();
    let main = (0..levels)
        .position(|l| span / step_of(l) <= 10.0 && step_of(l) >= input.base_step_size * 8.0)
        .unwrap_or(levels - 1);
    let mut marks = Vec::new();
    for level in [main.saturating_sub(1), main] {
        let step = step_of(level);
        if span / step > 200.0 {
            continue;
        }
        if let Some(&months) = level
            .checked_sub(STEPS.len())
            .and_then(|l| MONTH_STEPS.get(l))
        {
            // The first of every `months`-th month of the clock (January for years).
            let ms = |seconds: f64| (seconds * 1000.0) as i64;
            let mut index = month_index(ms(lo + shift)).div_euclid(months) * months;
            let last = month_index(ms(hi + shift));
            while index <= last {
                let v = month_start_ms(index) as f64 / 1000.0 - shift;
                if v >= lo && v <= hi {
                    marks.push(GridMark {
                        value: v,
                        step_size: step,
                    });
                }
                index += months;
            }
            continue;
        }
        let mut v = ((lo + shift) / step).floor() * step - shift;
        while v <= hi {
            marks.push(GridMark {
                value: v,
                step_size: step,
            });
            v += step;
        }
    }
    marks
}

/// The label of a grid line on the clock `zone`: the date alone when lines are a day or more
/// apart, the day and time of day when they are a minute or more apart.
pub fn label_in(zone: Zone) -> impl Fn(GridMark, &std::ops::RangeInclusive<f64>) -> String {
    move |mark, _| label_on(mark, zone)
}

/// The label of one grid line on the clock `zone`.
fn label_on(mark: GridMark, zone: Zone) -> String {
    let s = zone.format((mark.value * 1000.0).round() as i64);
    if mark.step_size >= 12.0 * MONTH_S {
        // 2024-01-01 00:00:00 -> 2024
        s.get(..4).unwrap_or(&s).to_string()
    } else if mark.step_size >= MONTH_S {
        // 2024-03-01 00:00:00 -> 2024-03
        s.get(..7).unwrap_or(&s).to_string()
    } else if mark.step_size >= 86_400.0 {
        s.get(..10).unwrap_or(&s).to_string()
    } else if mark.step_size >= 60.0 {
        // 2024-02-01 13:05:00 -> 02-01 13:05
        match (s.get(5..10), s.get(11..16)) {
            (Some(d), Some(t)) => format!("{d} {t}"),
            _ => s,
        }
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_lines_fall_on_the_round_times_of_the_data_clock() {
        // Two days from 2021-03-01 00:00 UTC, daily lines.
        let t0 = 18_687.0 * 86_400.0;
        let input = || GridInput {
            bounds: (t0, t0 + 5.0 * 86_400.0),
            base_step_size: 3600.0,
        };
        let utc = grid_in(Zone::Unstated)(input());
        let west = grid_in(Zone::Offset(-420))(input());
        let daily = |marks: &[GridMark]| -> Vec<f64> {
            marks
                .iter()
                .filter(|m| m.step_size == 86_400.0)
                .map(|m| m.value)
                .collect()
        };
        // UTC midnights, and -07:00 midnights (07:00 UTC).
        assert!(daily(&utc).iter().all(|v| v.rem_euclid(86_400.0) == 0.0));
        assert!(!daily(&west).is_empty());
        assert!(daily(&west)
            .iter()
            .all(|v| (v - 7.0 * 3600.0).rem_euclid(86_400.0) == 0.0));
        // Labelled on that clock: a local midnight is a date.
        let mark = GridMark {
            value: t0 + 7.0 * 3600.0,
            step_size: 86_400.0,
        };
        assert_eq!(
            label_in(Zone::Offset(-420))(mark, &(0.0..=1.0)),
            "2021-03-01"
        );
        let hourly = GridMark {
            value: t0 + 10.0 * 3600.0,
            step_size: 3600.0,
        };
        assert_eq!(
            label_in(Zone::Offset(-420))(hourly, &(0.0..=1.0)),
            "03-01 03:00"
        );
        assert_eq!(
            label_in(Zone::Unstated)(hourly, &(0.0..=1.0)),
            "03-01 10:00"
        );
    }

    #[test]
    fn long_spans_have_lines_on_the_first_of_months_and_years() {
        let day = 86_400.0;
        let label = |m: &GridMark, zone| label_in(zone)(*m, &(0.0..=1.0));
        // Ten years from mid-2014: a line on every 1 January (labelled with the year), and thinner
        // ones every half year, at +02:00 on that clock's midnight.
        let from = 16_250.0 * day; // 2014-06-29
        let input = || GridInput {
            bounds: (from, from + 3650.0 * day),
            base_step_size: 10.0 * day,
        };
        for zone in [Zone::Unstated, Zone::Offset(120)] {
            let marks = grid_in(zone)(input());
            assert!(!marks.is_empty());
            for m in &marks {
                let text = zone.format((m.value * 1000.0).round() as i64);
                let firsts: &[&str] = if m.step_size >= 12.0 * MONTH_S {
                    &["-01-01"]
                } else {
                    &["-01-01", "-07-01"]
                };
                // The date, with the time of day where the clock shows one: midnight.
                assert!(firsts.iter().any(|f| text[4..].starts_with(f)), "{text}");
                assert!(text.get(11..16).is_none_or(|t| t == "00:00"), "{text}");
            }
            let labels: Vec<String> = marks
                .iter()
                .filter(|m| m.step_size >= 12.0 * MONTH_S)
                .map(|m| label(m, zone))
                .collect();
            let years: Vec<String> = (2015..=2024).map(|y| y.to_string()).collect();
            assert_eq!(labels, years);
        }
        // A year from 2021-02-10: lines on the first of each quarter (and of each month between).
        let from = 18_668.0 * day;
        let marks = grid_in(Zone::Unstated)(GridInput {
            bounds: (from, from + 365.0 * day),
            base_step_size: day,
        });
        let main: Vec<String> = marks
            .iter()
            .filter(|m| m.step_size == 3.0 * MONTH_S)
            .map(|m| label(m, Zone::Unstated))
            .collect();
        assert_eq!(main, ["2021-04", "2021-07", "2021-10", "2022-01"]);
        assert_eq!(marks.iter().filter(|m| m.step_size == MONTH_S).count(), 12);
    }
}
