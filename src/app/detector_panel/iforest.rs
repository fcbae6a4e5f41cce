//! The detector panel's Isolation Forest settings: trees, sample size and seed.

use egui::Ui;

use crate::detect::{IsolationForestSettings, MaxSamples};

/// Draws the forest's settings; `rows` is the loaded dataset's row count (bounds the sample
/// size slider).
pub fn ui(ui: &mut Ui, settings: &mut IsolationForestSettings, rows: usize) {
    ui.add(egui::Slider::new(&mut settings.n_estimators, 10..=500).text("Trees"));
    let mut auto_samples = settings.max_samples == MaxSamples::Auto;
    let mut samples = match settings.max_samples {
        MaxSamples::Count(n) => n,
        _ => rows.min(256),
    };
    ui.checkbox(&mut auto_samples, "Automatic sample size (min(256, rows))");
    ui.add_enabled(
        !auto_samples,
        egui::Slider::new(&mut samples, 2..=rows.clamp(2, 100_000))
            .logarithmic(true)
            .text("Max samples"),
    );
    settings.max_samples = if auto_samples {
        MaxSamples::Auto
    } else {
        MaxSamples::Count(samples)
    };
    ui.add(egui::DragValue::new(&mut settings.seed).prefix("Seed "));
}
