//! The plots of the client view of an access log (and of the hosts view of a connection log):
//! the picked client's requests (or host's connections) over time, above all of them over time
//! on the same time axis, so a burst or a steady drip stands out against the day.

use egui::{Color32, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::state::AppState;
use super::time_axis;

/// The client plots' own state: the picked client's requests per bucket, made once per pick.
#[derive(Debug, Default)]
pub struct ClientPlot {
    /// (table generation, row) the counts are of, and the counts.
    series: Option<((u64, usize), Vec<f64>)>,
}

impl ClientPlot {
    /// Draws both plots.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState) {
        let Some(ds) = state.dataset.clone() else {
            return;
        };
        // A client of an access log's client view, or a host of a connection log's hosts view.
        let (overall, unit, who) = match (ds.log.as_ref(), ds.network.as_ref()) {
            (Some(table), _) => (table.overall.clone(), "requests", "clients"),
            (None, Some(net)) => (net.overall.clone(), "connections", "hosts"),
            (None, None) => return,
        };
        let Some(overall) = overall else {
            return;
        };
        // Times are shown on the log's own clock.
        let zone = overall.zone;
        let Some(r) = state.selected_client else {
            ui.centered_and_justified(|ui| {
                ui.label(format!(
                    "Pick a {} in the ranking below.",
                    who.trim_end_matches('s')
                ))
            });
            return;
        };
        let key = (state.data_generation, r);
        if self.series.as_ref().is_none_or(|(k, _)| *k != key) {
            let counts = match (ds.log.as_ref(), ds.network.as_ref()) {
                (Some(table), _) => {
                    let lines = table
                        .client_of_row
                        .get(r)
                        .map_or(&[][..], |&c| table.log.by_client.of(c as usize));
                    overall.of_lines(&table.log, lines)
                }
                (None, Some(net)) => net
                    .host_series(r)
                    .unwrap_or_else(|| vec![0.0; overall.counts.len()]),
                (None, None) => return,
            };
            self.series = Some((key, counts));
        }
        let Some((_, counts)) = self.series.as_ref() else {
            return;
        };
        let client = ds
            .row_labels
            .as_ref()
            .and_then(|l| l.values.get(r))
            .cloned()
            .unwrap_or_default();
        let bucket = overall.bucket;
        let points = |ys: &[f64]| -> Vec<[f64; 2]> {
            ys.iter()
                .enumerate()
                .map(|(b, &y)| [overall.x(b), y])
                .collect()
        };
        let link = egui::Id::unique("trafficlens_client_plots");
        let score = state
            .scores
            .as_ref()
            .and_then(|s| s.detection.scores.get(r).copied());
        ui.label(
            egui::RichText::new(format!(
                "{} of {client} per {bucket}{}",
                capitalised(unit),
                score.map_or(String::new(), |s| format!(" (anomaly score {s:.3})"))
            ))
            .strong(),
        );
        let height = (ui.available_height() * 0.55).max(120.0);
        Plot::new("client_requests")
            .height(height)
            .legend(Legend::default())
            .link_axis(link, [true, false])
            .link_cursor(link, [true, false])
            .x_grid_spacer(time_axis::grid_in(zone))
            .x_axis_formatter(time_axis::label_in(zone))
            .label_formatter(|pos| match pos {
                egui_plot::HoverPosition::NearDataPoint { position, .. } => Some(format!(
                    "{}\n{:.0} {unit}",
                    zone.format((position.x * 1000.0).round() as i64),
                    position.y
                )),
                egui_plot::HoverPosition::Elsewhere { .. } => None,
            })
            .y_axis_label(unit)
            .show(ui, |plot| {
                plot.line(
                    Line::new(client.as_str(), PlotPoints::from(points(counts)))
                        .color(Color32::from_rgb(220, 30, 30))
                        .width(1.5),
                );
            });
        ui.label(egui::RichText::new(format!("All {unit} per {bucket}")).weak());
        Plot::new("all_requests")
            .height((ui.available_height() - 4.0).max(80.0))
            .link_axis(link, [true, false])
            .link_cursor(link, [true, false])
            .x_grid_spacer(time_axis::grid_in(zone))
            .x_axis_formatter(time_axis::label_in(zone))
            .y_axis_label(unit)
            .show(ui, |plot| {
                plot.line(
                    Line::new(
                        format!("all {who}"),
                        PlotPoints::from(points(&overall.counts)),
                    )
                    .color(Color32::from_rgb(90, 90, 200)),
                );
            });
    }
}

/// `word` with a capital first letter.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}
