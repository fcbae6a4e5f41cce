//! A time axis for the plots (x in seconds since 1970, UTC): grid lines on whole minutes,
//! hours, days or weeks, labelled as a date when the lines are a day or more apart.

use egui_plot::{GridInput, GridMark};

use crate::data::format_millis;

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

/// Grid lines on round times: a main step with about 4 to 10 lines over the view, and the step
/// below it for thin lines.
pub fn grid(input: GridInput) -> Vec<GridMark> {
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
        let mut v = (lo / step).floor() * step;
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

/// The label of a grid line: the date alone when lines are a day or more apart.
pub fn label(mark: GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    let s = format_millis((mark.value * 1000.0) as i64);
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
