//! The flagged rows' red markers: one per flagged row, on its top feature, sized by its score in
//! four classes. Built once per detection and view (not per frame) from the detection's flagged
//! rows (no pass over all rows); above [`DECIMATE_ABOVE`] markers in time order, per pixel
//! column of the visible range and feature only the lowest and the highest marker are kept.

use std::sync::Arc;

use egui_plot::PlotPoint;
use rayon::prelude::*;

use crate::detect::Detection;

/// Above this many flagged rows (in time order), markers are decimated to the visible range.
pub const DECIMATE_ABOVE: usize = 10_000;

/// Without time order, at most this many markers are drawn (the first flagged rows).
const UNDECIMATED_CAP: usize = 200_000;

/// The radii of the four size classes, smallest score first.
const RADII: [f32; 4] = [3.0, 5.0, 7.0, 9.0];

/// What the markers are drawn from.
pub struct MarkerInput<'a> {
    /// The detection whose flagged rows are marked.
    pub detection: &'a Arc<Detection>,
    /// Per row, its top feature as a column of `columns` (`None`: not plotted).
    pub top_column: &'a (dyn Fn(usize) -> Option<usize> + Sync),
    /// The x of each row.
    pub xs: &'a [f64],
    /// The table's columns.
    pub columns: &'a [Vec<f64>],
    /// A column's value as plotted (scaled to its range when asked).
    pub to_plot: &'a (dyn Fn(usize, f64) -> f64 + Sync),
    /// Rows are in time order (markers can be decimated per pixel column).
    pub sorted: bool,
    /// The visible x range and its width in pixels.
    pub view: (f64, f64, usize),
}

/// Markers for one detection and view, in size classes.
#[derive(Debug)]
pub struct Markers {
    /// The detection they were built for (held, so it is the same one while kept).
    detection: Arc<Detection>,
    /// What else they depend on: table generation, visible range (bits), width, scaling.
    key: (u64, u64, u64, usize, bool),
    /// Per size class, its radius and points.
    pub classes: Vec<(f32, Vec<PlotPoint>)>,
}

impl Markers {
    /// Whether these markers were built for `detection` with `key`.
    pub fn holds(&self, detection: &Arc<Detection>, key: (u64, u64, u64, usize, bool)) -> bool {
        Arc::ptr_eq(&self.detection, detection) && self.key == key
    }

    /// Builds the markers of `input` (keyed by `key`, see [`Markers::holds`]).
    pub fn build(input: &MarkerInput<'_>, key: (u64, u64, u64, usize, bool)) -> Markers {
        let d = input.detection;
        let min = d.threshold;
        let max = d.max_score().unwrap_or(f64::MIN);
        let class = |r: usize| {
            let t = ((d.scores[r] - min) / (max - min).max(1e-12)).clamp(0.0, 0.999);
            (t * 4.0) as usize
        };
        let rows = d.flagged_in_row_order();
        let mut classes: Vec<(f32, Vec<PlotPoint>)> =
            RADII.iter().map(|&r| (r, Vec::new())).collect();
        let mut push = |r: usize, f: usize| {
            let y = input.columns.get(f).and_then(|c| c.get(r)).copied();
            if let (Some(y), Some(&x)) = (y, input.xs.get(r)) {
                classes[class(r)]
                    .1
                    .push(PlotPoint::new(x, (input.to_plot)(f, y)));
            }
        };
        if rows.len() <= DECIMATE_ABOVE || !input.sorted {
            for &r in rows.iter().take(UNDECIMATED_CAP) {
                if let Some(f) = (input.top_column)(r) {
                    push(r, f);
                }
            }
        } else {
            for (r, f) in decimate(input, rows) {
                push(r, f);
            }
        }
        Markers {
            detection: Arc::clone(d),
            key,
            classes,
        }
    }
}

/// Flagged rows gathered per part of the markers' decimation (in parallel).
const DECIMATE_PART: usize = 32_768;

/// A pixel column's lowest and highest flagged row of one feature, with their plotted values.
type Cell = Option<((usize, f64), (usize, f64))>;

/// Two cells of the same column and feature, `a` from rows before `b`'s: `b`'s low (high) only
/// when strictly lower (higher), so that of equal values the first row stays.
fn merge(a: Cell, b: Cell) -> Cell {
    match (a, b) {
        (None, c) | (c, None) => c,
        (Some((al, ah)), Some((bl, bh))) => Some((
            if bl.1 < al.1 { bl } else { al },
            if bh.1 > ah.1 { bh } else { ah },
        )),
    }
}

/// Per pixel column of the visible range and feature, the flagged rows with the lowest and the
/// highest plotted value (one when they are the same row), with their feature, in x order.
fn decimate(input: &MarkerInput<'_>, rows: &[usize]) -> Vec<(usize, usize)> {
    let (lo, hi, width) = input.view;
    let width = width.max(1);
    let features = input.columns.len();
    let span = (hi - lo).max(f64::MIN_POSITIVE) / width as f64;
    // Per (column, feature): the rows with the lowest and highest plotted value, with those
    // values. Parts of the rows in x order are gathered in parallel, then merged in order: a
    // later part's row replaces an earlier one only when strictly lower (higher), as one pass
    // in order would keep the first of equal values.
    let value = |r: usize, f: usize| {
        input.columns[f]
            .get(r)
            .map_or(f64::NAN, |&v| (input.to_plot)(f, v))
    };
    let first = rows.partition_point(|&r| input.xs.get(r).is_some_and(|&x| x < lo));
    let end = first + rows[first..].partition_point(|&r| input.xs.get(r).is_none_or(|&x| x <= hi));
    let gather = |part: &[usize]| {
        let mut cells: Vec<Cell> = vec![None; width * features];
        for &r in part {
            let Some(&x) = input.xs.get(r) else { continue };
            let Some(f) = (input.top_column)(r).filter(|&f| f < features) else {
                continue;
            };
            let column = (((x - lo) / span).floor().max(0.0) as usize).min(width - 1);
            let v = value(r, f);
            let cell = &mut cells[column * features + f];
            *cell = merge(*cell, Some(((r, v), (r, v))));
        }
        cells
    };
    let cells = rows[first..end]
        .par_chunks(DECIMATE_PART)
        .map(gather)
        .reduce_with(|a, b| a.into_iter().zip(b).map(|(a, b)| merge(a, b)).collect())
        .unwrap_or_default();
    let mut kept = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if let Some(((low, _), (high, _))) = *cell {
            let f = i % features;
            kept.push((low.min(high), f));
            if low != high {
                kept.push((low.max(high), f));
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Contamination, DetectorConfig, TrainingScores};

    /// A detection of `n` rows flagging the share `c` (row `r` scores `-(r % 97)`).
    fn detection(n: usize, c: f64) -> Arc<Detection> {
        let scores: Vec<f64> = (0..n).map(|r| -((r % 97) as f64)).collect();
        let t = TrainingScores::new(scores, -0.5, Contamination::Auto);
        let config = DetectorConfig {
            contamination: Contamination::Fraction(c),
            ..DetectorConfig::default()
        };
        Arc::new(Detection::new(&t, &[], &config).expect("detection"))
    }

    #[test]
    fn decimation_in_parts_keeps_the_first_of_equal_values_as_one_pass_does() {
        // Three parts' worth of flagged rows in one pixel column: all equal but two.
        let n = 3 * DECIMATE_PART + 10;
        let xs: Vec<f64> = (0..n).map(|r| r as f64).collect();
        let mut column = vec![1.0; n];
        column[2 * DECIMATE_PART + 5] = 0.5; // the lowest, in the third part
        column[DECIMATE_PART + 7] = 2.0; // the highest, in the second part
        column[2 * DECIMATE_PART + 9] = 2.0; // as high, later: not kept
        let columns = vec![column];
        let d = detection(n, 0.5);
        let rows: Vec<usize> = (0..n).collect();
        let top = |_: usize| Some(0);
        let plain = |_: usize, y: f64| y;
        let input = MarkerInput {
            detection: &d,
            top_column: &top,
            xs: &xs,
            columns: &columns,
            to_plot: &plain,
            sorted: true,
            view: (0.0, n as f64, 1),
        };
        assert_eq!(
            decimate(&input, &rows),
            [(DECIMATE_PART + 7, 0), (2 * DECIMATE_PART + 5, 0)]
        );
        // All equal: the first row only.
        let columns = vec![vec![1.0; n]];
        let input = MarkerInput {
            columns: &columns,
            ..input
        };
        assert_eq!(decimate(&input, &rows), [(0, 0)]);
    }

    #[test]
    fn few_markers_are_all_drawn_many_are_bounded_per_pixel_column() {
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|r| r as f64).collect();
        let columns = vec![xs.iter().map(|x| (x / 50.0).sin()).collect::<Vec<_>>(); 2];
        let top = |r: usize| Some(r % 2);
        let plain = |_: usize, y: f64| y;
        for (c, decimated) in [(0.01, false), (0.3, true)] {
            let d = detection(n, c);
            let input = MarkerInput {
                detection: &d,
                top_column: &top,
                xs: &xs,
                columns: &columns,
                to_plot: &plain,
                sorted: true,
                view: (0.0, (n - 1) as f64, 500),
            };
            let m = Markers::build(&input, (0, 0, 0, 500, false));
            let drawn: usize = m.classes.iter().map(|(_, p)| p.len()).sum();
            let flagged = d.flagged_in_row_order().len();
            assert_eq!(flagged > DECIMATE_ABOVE, decimated);
            if decimated {
                assert!(drawn <= 2 * 500 * 2, "{drawn}");
                assert!(drawn > 500, "{drawn}");
            } else {
                assert_eq!(drawn, flagged);
            }
            // Every marker is a flagged row's point on its top feature.
            for (_, pts) in &m.classes {
                for p in pts {
                    let r = p.x as usize;
                    assert!(d.flags[r]);
                    assert_eq!(p.y, columns[r % 2][r]);
                }
            }
            assert!(m.holds(&d, (0, 0, 0, 500, false)));
            assert!(!m.holds(&detection(n, c), (0, 0, 0, 500, false)));
        }
    }
}
