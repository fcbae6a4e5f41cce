//! The detector panel's Local Outlier Factor settings: neighbours and neighbourhood.

use egui::Ui;

use crate::detect::{LofSettings, Neighbourhood};

/// Draws LOF's settings.
pub fn ui(ui: &mut Ui, settings: &mut LofSettings) {
    ui.add(egui::Slider::new(&mut settings.n_neighbors, 1..=100).text("Neighbours"));
    egui::ComboBox::from_label("Neighbourhood")
        .selected_text(settings.neighbourhood.name())
        .show_ui(ui, |ui| {
            ui.selectable_value(
                &mut settings.neighbourhood,
                Neighbourhood::KNearest,
                "k-nearest (scikit-learn)",
            );
            ui.selectable_value(
                &mut settings.neighbourhood,
                Neighbourhood::KDistance,
                "k-distance (Breunig et al. 2000, ties included)",
            );
        })
        .response
        .on_hover_text(
            "k-nearest: exactly k neighbours, ties broken by row index (scikit-learn). \
             k-distance: every row within the k-distance, so the scores do not depend on row order.",
        );
}
