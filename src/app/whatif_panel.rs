//! "What if": one slider per feature (ranging over the data), and the fitted model's verdict on
//! that row: the seed's Gradio app, inside ours.

use egui::{Color32, Ui};

use super::state::{Action, AppState};

/// Draws the panel.
pub fn ui(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.heading("What if");
    let (Some(stats), Some(scores)) = (state.stats.clone(), state.scores.clone()) else {
        ui.label("Load and score a table first.");
        return;
    };
    ui.label("Set one value per feature and see the model's verdict.");
    let mut changed = false;
    if state.what_if.len() != stats.features.len() {
        state.what_if = stats.features.iter().map(|f| f.median).collect();
        changed = true;
    }
    for (f, v) in stats.features.iter().zip(state.what_if.iter_mut()) {
        if !scores.features.contains(&f.name) {
            continue;
        }
        let (lo, hi) = (f.min.min(0.0), f.max * 1.5);
        changed |= ui
            .add(egui::Slider::new(v, lo..=hi.max(lo + 1.0)).text(&f.name))
            .changed();
    }
    if changed || state.what_if_verdict.is_none() {
        actions.push(Action::WhatIf);
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
