//! The live plot of *Follow*: one number of one subject's buckets (observed, expected, the band
//! the seasonal baseline allows, buckets over the band in red) over a window of the last hours
//! that scrolls as buckets arrive. *Pause* holds the view where it is while data keeps coming
//! (a counter says what arrived meanwhile); *Resume* jumps back to the newest buckets.

use egui::{Color32, Ui};
use egui_plot::{Legend, Line, Plot, PlotBounds, PlotPoints, Points};

use super::state::AppState;
use crate::detect::seasonal::state::MIN_RESIDUALS;
use crate::live::feed::FeedCounts;
use crate::live::watch::buckets::{ALL, FEATURES};
use crate::zone::Zone;

/// The live window's width at first, in hours.
pub const DEFAULT_WINDOW_HOURS: f64 = 3.0;

/// The view held by *Pause*: its x range (seconds) and the counts when it was paused.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Paused {
    range: (f64, f64),
    counts: FeedCounts,
}

/// The live plot's own state.
#[derive(Debug)]
pub struct LivePlot {
    /// Width of the live window, in hours.
    pub window_hours: f64,
    /// The subject shown (`all`, `host NAME`).
    pub subject: String,
    /// The number shown (an index into the buckets' features).
    pub feature: usize,
    /// The held view, while paused.
    paused: Option<Paused>,
    /// The x range (seconds) shown in the last frame.
    pub shown: Option<(f64, f64)>,
    /// The window was widened to a followed table's interval.
    fitted: bool,
}

/// The longest live window, in hours (two years: a daily table's seasons).
pub const MAX_WINDOW_HOURS: f64 = 2.0 * 366.0 * 24.0;

/// Rows of a followed table the window shows at first.
pub const TABLE_WINDOW_ROWS: f64 = 120.0;

impl Default for LivePlot {
    fn default() -> Self {
        LivePlot {
            window_hours: DEFAULT_WINDOW_HOURS,
            subject: ALL.to_string(),
            feature: 0,
            paused: None,
            shown: None,
            fitted: false,
        }
    }
}

impl LivePlot {
    /// True while the view is held.
    pub fn is_paused(&self) -> bool {
        self.paused.is_some()
    }

    /// Holds the view where it is now.
    pub fn pause(&mut self, counts: FeedCounts) {
        if self.paused.is_none() {
            if let Some(range) = self.shown {
                self.paused = Some(Paused { range, counts });
            }
        }
    }

    /// Back to the newest buckets.
    pub fn resume(&mut self) {
        self.paused = None;
    }

    /// Holds the view centred on `t_s` (seconds since 1970), the window's width wide.
    pub fn center_on(&mut self, t_s: f64, counts: FeedCounts) {
        let half = self.window_hours * 3600.0 / 2.0;
        let counts = self.paused.map_or(counts, |p| p.counts);
        self.paused = Some(Paused {
            range: (t_s - half, t_s + half),
            counts,
        });
    }

    /// Draws the controls and the plot.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState) {
        let live = &state.live;
        let names: Vec<String> = match &live.features {
            Some(f) => f.clone(),
            None => FEATURES.iter().map(|f| f.to_string()).collect(),
        };
        if live.features.is_some() {
            // A table's subject is its name, and its rows may be hours or days apart: the
            // window shows its latest rows.
            if !live.subjects.contains_key(&self.subject) {
                if let Some(first) = live.subjects.keys().next() {
                    self.subject = first.clone();
                }
            }
            if !self.fitted && live.bucket_ms > 0 {
                self.fitted = true;
                self.window_hours = (TABLE_WINDOW_ROWS * live.bucket_ms as f64 / 3.6e6)
                    .clamp(DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS);
            }
        }
        ui.horizontal(|ui| {
            ui.strong("Live");
            egui::ComboBox::from_label("subject")
                .selected_text(self.subject.as_str())
                .show_ui(ui, |ui| {
                    for name in live.subjects.keys() {
                        ui.selectable_value(&mut self.subject, name.clone(), name.as_str());
                    }
                });
            egui::ComboBox::from_label("number")
                .selected_text(names.get(self.feature).map_or("?", String::as_str))
                .show_ui(ui, |ui| {
                    for (i, name) in names.iter().enumerate() {
                        ui.selectable_value(&mut self.feature, i, name.as_str());
                    }
                });
            let hours = ui.add(
                egui::DragValue::new(&mut self.window_hours)
                    .range(0.25..=MAX_WINDOW_HOURS)
                    .speed(0.1)
                    .suffix(" h"),
            );
            hours.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Live window (hours)")
            });
            hours.on_hover_text("How many hours of the log's time the live plot shows");
            match self.paused {
                None => {
                    if ui
                        .button("Pause")
                        .on_hover_text("Hold the view; data keeps arriving")
                        .clicked()
                    {
                        self.pause(live.counts);
                    }
                }
                Some(p) => {
                    if ui
                        .button("Resume")
                        .on_hover_text("Back to the newest buckets")
                        .clicked()
                    {
                        self.resume();
                    }
                    ui.label(paused_text(p.counts, live.counts));
                }
            }
        });
        let Some(series) = live.subjects.get(&self.subject) else {
            ui.label(
                egui::RichText::new(match live.latest_ms {
                    None => "Waiting for the first complete minute of new lines…",
                    Some(_) => "No buckets of this subject yet.",
                })
                .weak(),
            );
            self.shown = None;
            return;
        };
        let bucket_s = live.bucket_ms as f64 / 1000.0;
        let range = match self.paused {
            Some(p) => p.range,
            None => {
                let hi = live.latest_ms.unwrap_or(0) as f64 / 1000.0;
                (hi - self.window_hours * 3600.0, hi)
            }
        };
        let f = self.feature.min(names.len().saturating_sub(1));
        let (mut observed, mut expected, mut lower, mut upper, mut over) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // A table's row is flagged across all its columns: where this column is inside its band,
        // the flag came from another column (or several together) and is drawn apart.
        let mut flagged_elsewhere = Vec::new();
        let table = live.features.is_some();
        let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        // Bucket points at their middle; only those in (or next to) the view.
        let first = series.partition_point(|b| (b.start_ms as f64 / 1000.0 + bucket_s) < range.0);
        for (i, b) in series.iter().enumerate().skip(first) {
            let x = b.start_ms as f64 / 1000.0 + bucket_s / 2.0;
            if x - bucket_s > range.1 {
                break;
            }
            let Some(&y) = b.values.get(f) else {
                continue;
            };
            observed.push([x, y]);
            (y_lo, y_hi) = (y_lo.min(y), y_hi.max(y));
            if b.over {
                let inside = b
                    .points
                    .get(f)
                    .is_some_and(|p| y >= p.lower && y <= p.upper);
                if table && inside {
                    flagged_elsewhere.push([x, y]);
                } else {
                    over.push([x, y]);
                }
            }
            // The band from the first judged bucket on (a daily period's baseline warms up for
            // a day, but the band is the threshold from the ninth bucket on).
            let judged = i > MIN_RESIDUALS;
            if let Some(p) = b.points.get(f).filter(|p| judged || !p.warm_up) {
                expected.push([x, p.expected]);
                lower.push([x, p.lower]);
                upper.push([x, p.upper]);
                (y_lo, y_hi) = (y_lo.min(p.lower), y_hi.max(p.upper));
            }
        }
        if !y_lo.is_finite() {
            (y_lo, y_hi) = (0.0, 1.0);
        }
        let pad = ((y_hi - y_lo) * 0.08).max(1e-9);
        let bounds = PlotBounds::from_min_max([range.0, y_lo - pad], [range.1, y_hi + pad]);
        // Live times are shown in UTC, labelled (as the alerts are).
        let axis_x = super::time_axis::label_in(Zone::Utc);
        let color = Color32::from_rgb(40, 110, 190);
        let response = Plot::new("live")
            .height(ui.available_height().max(100.0))
            .legend(Legend::default().position(egui_plot::Corner::LeftTop))
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .x_grid_spacer(super::time_axis::grid_in(Zone::Utc))
            .x_axis_formatter(axis_x)
            .label_formatter(|pos| match pos {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => Some(format!(
                    "{plot_name}\n{}\n{:.3}",
                    Zone::Utc.format((position.x * 1000.0).round() as i64),
                    position.y
                )),
                egui_plot::HoverPosition::Elsewhere { .. } => None,
            })
            .y_axis_label(names.get(f).map_or("", String::as_str))
            .show(ui, |plot| {
                plot.set_plot_bounds(bounds);
                plot.line(Line::new("observed", PlotPoints::from(observed)).color(color));
                plot.line(
                    Line::new("expected", PlotPoints::from(expected))
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_dense()),
                );
                for edge in [lower, upper] {
                    plot.line(
                        Line::new("band", PlotPoints::from(edge))
                            .color(Color32::from_rgb(150, 150, 150))
                            .width(0.7),
                    );
                }
                plot.points(
                    Points::new("over the band", PlotPoints::from(over))
                        .radius(4.0)
                        .color(Color32::from_rgb(220, 30, 30)),
                );
                if table {
                    plot.points(
                        Points::new(
                            "row flagged by other columns",
                            PlotPoints::from(flagged_elsewhere),
                        )
                        .radius(3.0)
                        .filled(false)
                        .color(Color32::from_rgb(230, 150, 40)),
                    );
                }
            });
        let b = response.transform.bounds();
        self.shown = Some((b.min()[0], b.max()[0]));
    }
}

/// What arrived since the view was paused, in words.
pub fn paused_text(at_pause: FeedCounts, now: FeedCounts) -> String {
    format!(
        "paused: {} buckets and {} alerts arrived since",
        now.buckets.saturating_sub(at_pause.buckets),
        now.alerts.saturating_sub(at_pause.alerts)
    )
}
