//! The plots: every feature over time with the flagged points as red markers (sized by score), and
//! the anomaly score over time with the threshold. Large series are decimated per pixel column.

use egui::{Color32, Ui};
use egui_plot::{HLine, Legend, Line, Plot, PlotPoints, Points};

use super::decimate::min_max;
use super::state::AppState;
use crate::data::format_millis;

/// Above this many rows, series are decimated to the visible range.
const DECIMATE_ABOVE: usize = 100_000;

/// The x value of each row: seconds since 1970 when there is a time column, else the row.
pub fn x_values(state: &AppState) -> Vec<f64> {
    match &state.dataset {
        Some(ds) => match &ds.time {
            Some(t) => t.millis.iter().map(|&ms| ms as f64 / 1000.0).collect(),
            None => (0..ds.n_rows()).map(|r| r as f64).collect(),
        },
        None => Vec::new(),
    }
}

/// Draws both plots.
pub fn ui(ui: &mut Ui, state: &mut AppState, xs: &[f64]) {
    let Some(ds) = state.dataset.clone() else {
        ui.centered_and_justified(|ui| {
            ui.label("Open a file, drop one here, or load the sample data.")
        });
        return;
    };
    let has_time = ds.time.is_some();
    let format_x = move |x: f64| {
        if has_time {
            format_millis((x * 1000.0) as i64)
        } else {
            format!("row {x:.0}")
        }
    };
    // Axis marks: dates only when the visible span is longer than a few days.
    let axis_x = move |mark: egui_plot::GridMark, range: &std::ops::RangeInclusive<f64>| {
        if has_time && range.end() - range.start() > 3.0 * 86_400.0 {
            let s = format_millis((mark.value * 1000.0) as i64);
            s.get(..10).unwrap_or(&s).to_string()
        } else {
            format_x(mark.value)
        }
    };
    let link = egui::Id::unique("trafficlens_plots");
    let width_px = ui.available_width().max(100.0) as usize;
    let center = state.center_on.take();
    let scores = state.scores.clone();
    let sorted = xs.windows(2).all(|w| w[0] <= w[1]);
    let row_at = |x: f64| -> Option<usize> {
        if xs.is_empty() {
            return None;
        }
        if sorted {
            let i = xs.partition_point(|&v| v < x).min(xs.len() - 1);
            let prev = i.saturating_sub(1);
            Some(if (xs[prev] - x).abs() < (xs[i] - x).abs() {
                prev
            } else {
                i
            })
        } else {
            None
        }
    };
    let tooltip = |x: f64, y: f64, name: &str| -> String {
        let mut s = format!("{}\n{name}: {y:.2}", format_x(x));
        if let (Some(r), Some(sc)) = (row_at(x), &scores) {
            s.push_str(&format!("\nanomaly score {:.3}", sc.detection.scores[r]));
            if let Some(f) = sc.features.get(sc.top_features[r]) {
                s.push_str(&format!("\ntop feature {f}"));
            }
            for (n, col) in ds.feature_names.iter().zip(&ds.columns) {
                s.push_str(&format!("\n{n} = {:.2}", col[r]));
            }
        }
        s
    };
    let height = (ui.available_height() * 0.62).max(120.0);
    let main = Plot::new("series")
        .height(height)
        .legend(Legend::default())
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .x_axis_formatter(axis_x)
        .label_formatter(|pos| match pos {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(tooltip(position.x, position.y, plot_name)),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .y_axis_label("hits");
    main.show(ui, |plot| {
        if let Some(x) = center {
            let b = plot.plot_bounds();
            let half = (b.max()[0] - b.min()[0]) / 2.0;
            plot.set_plot_bounds_x(x - half..=x + half);
        }
        let b = plot.plot_bounds();
        let (lo, hi) = (b.min()[0], b.max()[0]);
        for (name, col) in ds.feature_names.iter().zip(&ds.columns) {
            let pts: Vec<[f64; 2]> = if col.len() > DECIMATE_ABOVE && sorted {
                min_max(xs, col, lo, hi, width_px)
            } else {
                xs.iter().zip(col).map(|(x, y)| [*x, *y]).collect()
            };
            plot.line(Line::new(name.as_str(), PlotPoints::from(pts)).width(1.2));
        }
        if let Some(sc) = &scores {
            let flagged = sc.detection.flagged_rows();
            let (min, max) = (
                sc.detection.threshold,
                sc.detection.scores.iter().copied().fold(f64::MIN, f64::max),
            );
            // One red marker per flagged row, on its top feature, sized by score.
            let mut by_size: Vec<(f32, Vec<[f64; 2]>)> =
                (0..4).map(|k| (3.0 + 2.0 * k as f32, Vec::new())).collect();
            for r in flagged.into_iter().take(200_000) {
                let feature = sc
                    .features
                    .get(sc.top_features[r])
                    .and_then(|n| ds.feature(n));
                if let Some(col) = feature {
                    let t =
                        ((sc.detection.scores[r] - min) / (max - min).max(1e-12)).clamp(0.0, 0.999);
                    by_size[(t * 4.0) as usize].1.push([xs[r], col[r]]);
                }
            }
            for (radius, pts) in by_size {
                if !pts.is_empty() {
                    plot.points(
                        Points::new("flagged", PlotPoints::from(pts))
                            .radius(radius)
                            .color(Color32::from_rgb(220, 30, 30)),
                    );
                }
            }
        }
    });

    if let Some(sc) = &scores {
        let score_plot = Plot::new("scores")
            .height((ui.available_height() - 4.0).max(80.0))
            .link_axis(link, [true, false])
            .link_cursor(link, [true, false])
            .x_axis_formatter(axis_x)
            .y_axis_label("anomaly score");
        score_plot.show(ui, |plot| {
            let b = plot.plot_bounds();
            let pts: Vec<[f64; 2]> = if sc.detection.scores.len() > DECIMATE_ABOVE && sorted {
                min_max(xs, &sc.detection.scores, b.min()[0], b.max()[0], width_px)
            } else {
                xs.iter()
                    .zip(sc.detection.scores.iter())
                    .map(|(x, y)| [*x, *y])
                    .collect()
            };
            plot.line(
                Line::new("anomaly score", PlotPoints::from(pts))
                    .color(Color32::from_rgb(90, 90, 200)),
            );
            plot.hline(
                HLine::new("threshold", sc.detection.threshold)
                    .color(Color32::from_rgb(220, 30, 30)),
            );
        });
    }
}
