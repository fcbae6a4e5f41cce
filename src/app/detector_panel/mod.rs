//! The detector panel: algorithm, threshold rule (contamination or automatic, with its risk),
//! trees, samples, neighbours, seed, features and scaling. Every change sends the settings; the analysis session decides whether to refit,
//! re-threshold or reuse the neighbour lists. Each detector's own settings are drawn by its
//! file here (`iforest`, `lof`, `seasonal`).

mod iforest;
mod lof;
mod seasonal;

use egui::Ui;

use super::state::{Action, AppState};
use crate::detect::spot::{Risk, ThresholdMode};
use crate::detect::{Algorithm, Contamination, DetectorConfig, Scaling};

/// Draws the panel.
pub fn ui(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.heading("Detector");
    let before = (state.persisted.config, state.use_feature.clone());
    let config = &mut state.persisted.config;

    let algorithm = config.algorithm;
    egui::ComboBox::from_label("Algorithm")
        .selected_text(config.algorithm.to_string())
        .show_ui(ui, |ui| {
            for algorithm in Algorithm::ALL {
                ui.selectable_value(&mut config.algorithm, algorithm, algorithm.label());
            }
        });
    if config.algorithm != algorithm {
        // Each detector starts with its own threshold rule.
        config.threshold = config.algorithm.default_threshold();
    }

    threshold_ui(ui, config);

    // One function per detector, in the detector's own file.
    match config.algorithm {
        Algorithm::IsolationForest => {
            let rows = state.dataset.as_ref().map_or(256, |d| d.n_rows()).max(1);
            iforest::ui(ui, &mut config.iforest, rows);
        }
        Algorithm::Lof => lof::ui(ui, &mut config.lof),
        Algorithm::Seasonal => seasonal::ui(ui, &mut config.seasonal),
    }

    // The seasonal baseline works on the values as they are.
    if config.algorithm != Algorithm::Seasonal {
        egui::ComboBox::from_label("Scaling")
            .selected_text(config.scaling.to_string())
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut config.scaling, Scaling::None, "none");
                ui.selectable_value(&mut config.scaling, Scaling::Standard, "standard");
                ui.selectable_value(&mut config.scaling, Scaling::Robust, "robust");
            });
    }

    if let Some(ds) = &state.dataset {
        ui.label("Features");
        for (name, on) in ds.feature_names.iter().zip(state.use_feature.iter_mut()) {
            ui.checkbox(on, name);
        }
        if !state.use_feature.iter().any(|on| *on) {
            ui.colored_label(ui.visuals().warn_fg_color, "Select at least one feature.");
        }
    }

    ui.horizontal(|ui| {
        if ui.button("Score now").clicked() {
            actions.push(Action::Rescore);
        }
        if let Some(busy) = &state.scoring {
            ui.add(
                egui::ProgressBar::new(busy.done)
                    .text(busy.stage)
                    .desired_width(120.0),
            );
            if ui.button("Cancel").clicked() {
                actions.push(Action::Cancel);
            }
        }
    });
    if let Some(s) = &state.scores {
        let flagged = s.detection.flagged_in_row_order().len();
        ui.label(format!(
            "{flagged} of {} rows flagged",
            s.detection.flags.len()
        ));
        ui.label(
            egui::RichText::new(format!(
                "{:?} in {:.0} ms",
                s.work,
                s.elapsed.as_secs_f64() * 1000.0
            ))
            .weak()
            .small(),
        );
        for w in &s.detection.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, w);
        }
    }

    if (state.persisted.config, state.use_feature.clone()) != before
        && state.use_feature.iter().any(|on| *on)
    {
        actions.push(Action::Rescore);
    }
}

/// The threshold rule: a choice of contamination or automatic, then the contamination
/// (automatic or a share) or the risk. Moving either only re-thresholds (no refit).
fn threshold_ui(ui: &mut Ui, config: &mut DetectorConfig) {
    egui::ComboBox::from_label("Threshold")
        .selected_text(config.threshold.label())
        .show_ui(ui, |ui| {
            for mode in ThresholdMode::ALL {
                ui.selectable_value(&mut config.threshold, mode, mode.label());
            }
        })
        .response
        .on_hover_text(
            "Contamination: scikit-learn's rule, a share of the rows. Automatic: the score a \
             normal row exceeds with probability Risk, from a fit of the scores' own tail (SPOT).",
        );
    match config.threshold {
        ThresholdMode::Contamination => {
            let mut auto = config.contamination == Contamination::Auto;
            let mut fraction = match config.contamination {
                Contamination::Fraction(f) => f,
                Contamination::Auto => 0.05,
            };
            ui.checkbox(&mut auto, "Automatic contamination")
                .on_hover_text(
                "scikit-learn's fixed offset: -0.5 for Isolation Forest, -1.5 for LOF; for the \
                     seasonal baseline a row's tail probability below 1e-4 (score 0.8)",
            );
            ui.add_enabled(
                !auto,
                egui::Slider::new(&mut fraction, 0.001..=0.5)
                    .logarithmic(true)
                    .text("Contamination")
                    .custom_formatter(|v, _| format!("{:.1}%", v * 100.0)),
            );
            config.contamination = if auto {
                Contamination::Auto
            } else {
                Contamination::Fraction(fraction)
            };
        }
        ThresholdMode::Auto => {
            let mut risk = config.risk.get();
            ui.add(
                egui::Slider::new(&mut risk, 1e-6..=1e-2)
                    .logarithmic(true)
                    .text("Risk")
                    .custom_formatter(|v, _| format!("{v:.0e}")),
            )
            .on_hover_text(
                "The probability that a normal row scores above the threshold: about Risk times \
                 the normal rows are flagged by chance (default 1e-4)",
            );
            config.risk = Risk::new(risk).unwrap_or_default();
        }
    }
}
