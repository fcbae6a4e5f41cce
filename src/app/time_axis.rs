//! A time axis for the plots (x in seconds since 1970, UTC): grid lines on whole minutes,
//! hours, days or weeks of the data's own clock ([`Zone`]), labelled as a date when the lines are
//! a day or more apart.

use egui_plot::{GridInput, GridMark};

use crate::zone::Zone;

/// Steps between grid lines, in seconds.
const STEPS: [f64; 13] = [
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
    30.0 * 86_400.0,
    365.0 * 86_400.0,
];

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
    let main = STEPS
        .iter()
        .position(|&s| span / s <= 10.0 && s >= input.base_step_size * 8.0)
        .unwrap_or(STEPS.len() - 1);
    let mut marks = Vec::new();
    for level in [main.saturating_sub(1), main] {
        let step = STEPS[level];
        if span / step > 200.0 {
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
    if mark.step_size >= 86_400.0 {
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
}
