//! Exploration statistics: a table per feature, a histogram of the selected feature and the
//! correlation matrix as a coloured grid.

use egui::{Color32, Ui};
use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Plot};

use super::state::AppState;

/// The statistics panel's own state: the feature whose histogram is shown.
#[derive(Debug, Default)]
pub struct StatsPanel {
    /// The selected row of the statistics table.
    selected_feature: usize,
    /// The table (by the request that loaded it) the selection is for.
    data_generation: u64,
}

impl StatsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState) {
        let Some(stats) = state.stats.clone() else {
            ui.label("No table loaded.");
            return;
        };
        if self.data_generation != state.data_generation {
            self.selected_feature = 0;
            self.data_generation = state.data_generation;
        }
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_max_width(ui.available_width() * 0.55);
                TableBuilder::new(ui)
                    .id_salt("stats_table")
                    .striped(true)
                    .sense(egui::Sense::click())
                    .column(Column::auto().at_least(70.0))
                    .columns(Column::auto().at_least(52.0), 9)
                    .header(20.0, |mut h| {
                        for name in [
                            "feature", "mean", "std", "min", "25%", "50%", "75%", "99%", "max",
                            "MAD",
                        ] {
                            h.col(|ui| {
                                ui.strong(name);
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(18.0, stats.features.len(), |mut row| {
                            let i = row.index();
                            let f = &stats.features[i];
                            row.set_selected(self.selected_feature == i);
                            row.col(|ui| {
                                ui.label(&f.name);
                            });
                            for v in [
                                f.mean, f.std, f.min, f.p25, f.median, f.p75, f.p99, f.max, f.mad,
                            ] {
                                row.col(|ui| {
                                    ui.label(format!("{v:.1}"));
                                });
                            }
                            if row.response().clicked() {
                                self.selected_feature = i;
                            }
                        });
                    });
            });
            ui.separator();
            ui.vertical(|ui| {
                if let Some(f) = stats.features.get(self.selected_feature) {
                    ui.label(format!(
                        "Histogram of {} ({} bins)",
                        f.name,
                        f.histogram.counts.len()
                    ));
                    let h = &f.histogram;
                    let bars: Vec<Bar> = h
                        .counts
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let (a, b) = (h.edges[i], h.edges[i + 1]);
                            Bar::new((a + b) / 2.0, *c as f64).width(b - a)
                        })
                        .collect();
                    Plot::new("histogram")
                        .height(140.0)
                        .width(260.0)
                        .show(ui, |p| {
                            p.bar_chart(
                                BarChart::new(f.name.as_str(), bars)
                                    .color(Color32::from_rgb(90, 130, 200)),
                            );
                        });
                }
                if !stats.correlation.is_empty() {
                    ui.label("Correlation");
                    correlation_grid(
                        ui,
                        &stats.correlation,
                        &stats
                            .features
                            .iter()
                            .map(|f| f.name.clone())
                            .collect::<Vec<_>>(),
                    );
                }
            });
        });
    }
}

/// A grid of coloured cells: blue for negative, red for positive correlation.
fn correlation_grid(ui: &mut Ui, corr: &[Vec<f64>], names: &[String]) {
    let n = corr.len().min(40);
    let cell = 22.0;
    egui::Grid::new("correlation")
        .spacing([1.0, 1.0])
        .show(ui, |ui| {
            for (i, row) in corr.iter().take(n).enumerate() {
                for (j, v) in row.iter().take(n).enumerate() {
                    let (rect, response) =
                        ui.allocate_exact_size(egui::vec2(cell, cell), egui::Sense::hover());
                    let color = if v.is_nan() {
                        Color32::GRAY
                    } else if *v >= 0.0 {
                        Color32::from_rgb(255, (255.0 * (1.0 - v)) as u8, (255.0 * (1.0 - v)) as u8)
                    } else {
                        Color32::from_rgb((255.0 * (1.0 + v)) as u8, (255.0 * (1.0 + v)) as u8, 255)
                    };
                    ui.painter().rect_filled(rect, 2.0, color);
                    response.on_hover_text(format!("{} / {}: {v:.3}", names[i], names[j]));
                }
                ui.end_row();
            }
        });
}
