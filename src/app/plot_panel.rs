//! The plots: every feature over time with the flagged points as red markers (sized by score)
//! and, for the seasonal baseline, the band it allows (dashed, in the series' colour; the legend
//! entry hides or shows a series with its band), and the anomaly score over time with the
//! threshold. Large series are decimated per pixel column.

use std::borrow::Cow;
use std::sync::Arc;

use egui::{Color32, Ui};
use egui_plot::{HLine, Legend, Line, Plot, PlotPoint, PlotPoints, Points};

use super::decimate::min_max;
use super::markers::{MarkerInput, Markers};
use super::state::AppState;
use crate::zone::Zone;

/// The colour of feature `f`'s series (and of its band): hues spread by the golden ratio, as
/// egui_plot spreads its automatic colours.
fn series_color(f: usize) -> Color32 {
    let hue = (f as f32 * 0.618_034).fract();
    egui::ecolor::Hsva::new(hue, 0.85, 0.5, 1.0).into()
}

/// Above this many rows, series are decimated to the visible range.
const DECIMATE_ABOVE: usize = 100_000;

/// Plot series decimated for one view; reused while the view, the width and the data are the same.
#[derive(Debug, Clone)]
pub struct PlotCache {
    /// What the series were made for: visible x range (bits), width in pixels, the generation
    /// of the table, and whether series are scaled to their range.
    key: (u64, u64, usize, u64, bool),
    /// The scores of the fit they were made for (held, so the same scores while kept): a new
    /// threshold on the same fit keeps them.
    fit_scores: Option<Arc<[f64]>>,
    /// One series per feature.
    pub series: Vec<Vec<PlotPoint>>,
    /// Per feature, the seasonal baseline's band (lower and upper ends), when it scored.
    pub bands: Vec<Option<[Vec<PlotPoint>; 2]>>,
    /// The anomaly scores.
    pub scores: Vec<PlotPoint>,
}

/// The plots' own state: the decimated series, the view and where to centre next.
#[derive(Debug, Default)]
pub struct PlotPanel {
    /// Decimated series of the last frame, reused while nothing changes.
    pub cache: Option<PlotCache>,
    /// The flagged markers of the last frame, reused while the detection and view stay.
    markers: Option<Markers>,
    /// The x range the plots showed in the last frame.
    view: Option<(f64, f64)>,
    /// Where the plots should centre next frame.
    pub center_on: Option<f64>,
}

impl PlotPanel {
    /// Draws both plots.
    pub fn ui(&mut self, ui: &mut Ui, state: &mut AppState) {
        let xs = Arc::clone(&state.xs);
        let xs = xs.as_slice();
        let Some(ds) = state.dataset.clone() else {
            ui.centered_and_justified(|ui| {
                ui.label("Open a file, drop one here, or load the sample data.")
            });
            return;
        };
        let has_time = ds.time.is_some();
        // Times are shown on the file's own clock.
        let zone = ds.time.as_ref().map_or(Zone::Unstated, |t| t.zone);
        let format_x = move |x: f64| {
            if has_time {
                zone.format((x * 1000.0).round() as i64)
            } else {
                format!("row {x:.0}")
            }
        };
        // Axis marks: dates only when the visible span is longer than a few days.
        let axis_x = move |mark: egui_plot::GridMark, range: &std::ops::RangeInclusive<f64>| {
            if has_time {
                super::time_axis::label_in(zone)(mark, range)
            } else {
                format_x(mark.value)
            }
        };
        let link = egui::Id::unique("trafficlens_plots");
        let width_px = ui.available_width().max(100.0) as usize;
        let center = self.center_on.take();
        let scores = state.scores.clone();
        // Rows are plotted in time order when the table is; decimation needs that.
        let sorted = state
            .stats
            .as_ref()
            .and_then(|s| s.time.as_ref())
            .is_none_or(|t| t.sorted);
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
        let scale = state.persisted.scale_series;
        // Each series to 0..1 of its own range, when asked (a bytes column dwarfs a rate otherwise).
        let ranges: Vec<(f64, f64)> = state.stats.as_ref().map_or_else(Vec::new, |st| {
            st.features
                .iter()
                .map(|f| (f.min, (f.max - f.min).max(1e-12)))
                .collect()
        });
        let to_plot = move |feature: usize, y: f64| -> f64 {
            match ranges.get(feature) {
                Some(&(min, span)) if scale => (y - min) / span,
                _ => y,
            }
        };
        ui.horizontal(|ui| {
        ui.checkbox(&mut state.persisted.scale_series, "Scale each series to its range")
            .on_hover_text("Plot every feature from its minimum (0) to its maximum (1); hover shows the real values");
    });
        let height = (ui.available_height() * 0.62).max(120.0);
        let spacer = move |input: egui_plot::GridInput| {
            if has_time {
                super::time_axis::grid_in(zone)(input)
            } else {
                egui_plot::log_grid_spacer(10)(input)
            }
        };
        let main = Plot::new("series")
            .x_grid_spacer(spacer)
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
            .y_axis_label(if scale { "share of range" } else { "value" });
        // Decimate for the view of the previous frame (the first frame shows everything), and keep
        // the result while the view, the width and the data stay the same.
        let (lo, hi) = self.view.unwrap_or((
            xs.first().copied().unwrap_or(0.0),
            xs.last().copied().unwrap_or(1.0),
        ));
        let key = (
            lo.to_bits(),
            hi.to_bits(),
            width_px,
            state.data_generation,
            scale,
        );
        let fit_scores = scores.as_ref().map(|s| Arc::clone(&s.detection.scores));
        let same_fit = |c: &PlotCache| match (&c.fit_scores, &fit_scores) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if self
            .cache
            .as_ref()
            .is_none_or(|c| c.key != key || !same_fit(c))
        {
            let decimate_from = |xs: &[f64], ys: &[f64]| -> Vec<PlotPoint> {
                let pts = if ys.len() > DECIMATE_ABOVE && sorted {
                    min_max(xs, ys, lo, hi, width_px)
                } else {
                    xs.iter().zip(ys).map(|(x, y)| [*x, *y]).collect()
                };
                pts.into_iter().map(|[x, y]| PlotPoint::new(x, y)).collect()
            };
            let decimate = |ys: &[f64]| decimate_from(xs, ys);
            self.cache = Some(PlotCache {
                key,
                fit_scores,
                series: ds
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(f, c)| {
                        let mut pts = decimate(c);
                        for p in &mut pts {
                            p.y = to_plot(f, p.y);
                        }
                        pts
                    })
                    .collect(),
                scores: scores
                    .as_ref()
                    .map_or_else(Vec::new, |s| decimate(&s.detection.scores)),
                bands: ds
                    .feature_names
                    .iter()
                    .enumerate()
                    .map(|(f, name)| {
                        let sc = scores.as_ref()?;
                        let seasonal = sc.seasonal.as_ref()?;
                        let j = sc.features.iter().position(|n| n == name)?;
                        // From the first row past the warm-up: the first rows' bands are wide
                        // on purpose (little history) and would squash the plot.
                        let rows = seasonal.expected.get(j)?.len();
                        // In time order: a table that is not (newest row first, shuffled) was
                        // scored in time order, so its warm-up rows need not be its first ones.
                        let (band_xs, lower, upper): (Cow<[f64]>, Vec<f64>, Vec<f64>) =
                            match seasonal.rows_in_time_order() {
                                None => {
                                    let from = seasonal.warm_up.iter().position(|w| !w)?;
                                    let (lower, upper) =
                                        (from..rows).map(|r| seasonal.band(j, r)).unzip();
                                    (Cow::Borrowed(xs.get(from..)?), lower, upper)
                                }
                                Some(order) => {
                                    let from = order.iter().position(|&r| !seasonal.warm_up[r])?;
                                    let mut band_xs = Vec::with_capacity(rows - from);
                                    let mut lower = Vec::with_capacity(rows - from);
                                    let mut upper = Vec::with_capacity(rows - from);
                                    for &r in &order[from..] {
                                        let (lo, hi) = seasonal.band(j, r);
                                        band_xs.push(*xs.get(r)?);
                                        lower.push(lo);
                                        upper.push(hi);
                                    }
                                    (Cow::Owned(band_xs), lower, upper)
                                }
                            };
                        Some([lower, upper].map(|ys| {
                            let mut pts = decimate_from(&band_xs, &ys);
                            for p in &mut pts {
                                p.y = to_plot(f, p.y);
                            }
                            pts
                        }))
                    })
                    .collect(),
            });
        }
        // The flagged markers: built once per detection (threshold) and view, not per frame.
        if let Some(sc) = &scores {
            let marker_key = (
                state.data_generation,
                lo.to_bits(),
                hi.to_bits(),
                width_px,
                scale,
            );
            if self
                .markers
                .as_ref()
                .is_none_or(|m| !m.holds(&sc.detection, marker_key))
            {
                // The top feature of each of the detection's features, as a column of the table.
                let column_of: Vec<Option<usize>> = sc
                    .features
                    .iter()
                    .map(|n| ds.feature_names.iter().position(|f| f == n))
                    .collect();
                let top_column = |r: usize| {
                    let top = *sc.top_features.get(r)?;
                    column_of.get(top).copied().flatten()
                };
                let input = MarkerInput {
                    detection: &sc.detection,
                    top_column: &top_column,
                    xs,
                    columns: &ds.columns,
                    to_plot: &to_plot,
                    sorted,
                    view: (lo, hi, width_px),
                };
                self.markers = Some(Markers::build(&input, marker_key));
            }
        } else {
            self.markers = None;
        }
        let (Some(cache), markers) = (self.cache.as_ref(), self.markers.as_ref()) else {
            return;
        };
        let response = main.show(ui, |plot| {
            if let Some(x) = center {
                let b = plot.plot_bounds();
                let half = (b.max()[0] - b.min()[0]) / 2.0;
                plot.set_plot_bounds_x(x - half..=x + half);
            }
            for (f, (name, pts)) in ds.feature_names.iter().zip(&cache.series).enumerate() {
                let color = series_color(f);
                plot.line(
                    Line::new(name.as_str(), PlotPoints::Borrowed(pts))
                        .width(1.2)
                        .color(color),
                );
                // The band the seasonal baseline allows, under the series' own name so that its
                // legend entry shows and hides both.
                if let Some(Some(band)) = cache.bands.get(f) {
                    for edge in band {
                        plot.line(
                            Line::new(name.as_str(), PlotPoints::Borrowed(edge))
                                .width(0.7)
                                .color(color)
                                .style(egui_plot::LineStyle::dashed_dense()),
                        );
                    }
                }
            }
            // One red marker per flagged row, on its top feature, sized by score.
            for (radius, pts) in markers.map_or(&[][..], |m| m.classes.as_slice()) {
                if !pts.is_empty() {
                    plot.points(
                        Points::new("flagged", PlotPoints::Borrowed(pts))
                            .radius(*radius)
                            .color(Color32::from_rgb(220, 30, 30)),
                    );
                }
            }
        });
        let shown = response.transform.bounds();
        let view = (shown.min()[0], shown.max()[0]);

        if let Some(sc) = &scores {
            let score_plot = Plot::new("scores")
                .x_grid_spacer(spacer)
                .height((ui.available_height() - 4.0).max(80.0))
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .x_axis_formatter(axis_x)
                .y_axis_label("anomaly score");
            score_plot.show(ui, |plot| {
                plot.line(
                    Line::new("anomaly score", PlotPoints::Borrowed(&cache.scores))
                        .color(Color32::from_rgb(90, 90, 200)),
                );
                plot.hline(
                    HLine::new("threshold", sc.detection.threshold)
                        .color(Color32::from_rgb(220, 30, 30)),
                );
            });
        }
        self.view = Some(view);
    }
}
