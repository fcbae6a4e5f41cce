//! The detector panel's seasonal baseline settings: cycles, the count-noise floor, what the
//! score is measured against and the hold-off after an alarm.

use egui::Ui;

use crate::detect::seasonal::ScoreReference;
use crate::detect::SeasonalSettings;

/// Draws the seasonal baseline's settings.
pub fn ui(ui: &mut Ui, settings: &mut SeasonalSettings) {
    ui.add(egui::Slider::new(&mut settings.cycles, 2..=8).text("Cycles"))
        .on_hover_text(
            "How many past days (or weeks) at the same time the expected value is the median of. \
             More is steadier and slower to follow a changed rhythm.",
        );
    ui.add(
        egui::Slider::new(&mut settings.count_floor, 0.0..=3.0)
            .step_by(0.1)
            .text("Count-noise floor"),
    )
    .on_hover_text(
        "The least scale, in MADs of a Poisson count at the expected value, so that a quiet \
         series does not alarm on a few requests more. 0 for series that are not counts.",
    );
    ui.horizontal(|ui| {
        ui.label("Score against");
        ui.radio_value(&mut settings.reference, ScoreReference::Model, "Model")
            .on_hover_text(
                "A normal residual whose MAD is the scale: recurring anomalies stay anomalous.",
            );
        ui.radio_value(&mut settings.reference, ScoreReference::History, "History")
            .on_hover_text(
                "Each series' own earlier z-scores and values: series of very different kinds \
                 become comparable, recurring bursts are learnt as normal, and a new high or low \
                 beyond the recent range counts however slowly it came.",
            );
    });
    ui.horizontal(|ui| {
        ui.label("Hold-off");
        ui.add(
            egui::DragValue::new(&mut settings.hold_off)
                .range(0..=10_000)
                .suffix(" rows"),
        )
        .on_hover_text(
            "One alarm per event: after a feature's value alone makes its row an alarm (score \
             above 0.8, tail probability below 1e-4), that feature's next values count as one decade \
             less likely at most, so a lasting anomaly is flagged on its first row. Each feature \
             holds on its own. 0: off, every row keeps its score.",
        );
    });
    ui.label(
        egui::RichText::new("Needs a time column; works on the values as they are (no scaling).")
            .weak()
            .small(),
    );
}
