//! "What if": one slider per feature (ranging over the data), and the fitted model's verdict on
//! that row: the seed's Gradio app, inside ours.

use egui::{Color32, Ui};

use super::state::{Action, AppState};

/// The "what if" panel's own state: the values of its sliders.
#[derive(Debug, Default)]
pub struct WhatIfPanel {
    /// One value per feature of the table; the medians when a table arrives.
    values: Vec<f64>,
    /// The table (by the request that loaded it) the values are for.
    data_generation: u64,
}

impl WhatIfPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
        ui.heading("What if");
        let (Some(stats), Some(scores)) = (state.stats.clone(), state.scores.clone()) else {
            ui.label("Load and score a table first.");
            return;
        };
        ui.label("Set one value per feature and see the model's verdict.");
        let mut changed = false;
        if self.data_generation != state.data_generation
            || self.values.len() != stats.features.len()
        {
            self.values = stats.features.iter().map(|f| f.median).collect();
            self.data_generation = state.data_generation;
            changed = true;
        }
        for (f, v) in stats.features.iter().zip(self.values.iter_mut()) {
            if !scores.features.contains(&f.name) {
                continue;
            }
            let (lo, hi) = (f.min.min(0.0), f.max * 1.5);
            changed |= ui
                .add(egui::Slider::new(v, lo..=hi.max(lo + 1.0)).text(&f.name))
                .changed();
        }
        if changed || state.what_if_verdict.is_none() {
            // One value per feature of the detection, in its order.
            let values = scores
                .features
                .iter()
                .map(|name| {
                    stats
                        .features
                        .iter()
                        .position(|f| &f.name == name)
                        .and_then(|i| self.values.get(i).copied())
                        .unwrap_or(0.0)
                })
                .collect();
            actions.push(Action::WhatIf(values));
        }
        ui.separator();
        match state.what_if_verdict {
            Some((score, weird)) => {
                let (text, color) = if weird {
                    ("Weird traffic", Color32::from_rgb(220, 30, 30))
                } else {
                    ("Normal traffic", Color32::from_rgb(30, 150, 60))
                };
                ui.label(egui::RichText::new(text).size(22.0).color(color).strong());
                ui.label(format!(
                    "anomaly score {score:.3} (flagged above {:.3})",
                    scores.detection.threshold
                ));
            }
            None => {
                ui.label("…");
            }
        }
    }
}
