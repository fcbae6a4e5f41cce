//! The data panel: open a file (dialog, typed path, drag and drop, recent files, the sample) and
//! what is loaded.

use egui::Ui;

use super::state::{Action, AppState};
use crate::data::{format_millis, stats::interval_name};
use crate::worker::LoadSource;

/// Draws the panel.
pub fn ui(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.heading("Data");
    ui.horizontal(|ui| {
        if ui
            .button("Open…")
            .on_hover_text("Open a CSV or Parquet file")
            .clicked()
        {
            if let Some(path) = rfd::FileDialog::new()
                .add_filter("Tables", &["csv", "tsv", "txt", "parquet"])
                .pick_file()
            {
                actions.push(Action::Load(LoadSource::Path(path)));
            }
        }
        if ui.button("Sample data").clicked() {
            actions.push(Action::Load(super::sample_source()));
        }
    });
    ui.horizontal(|ui| {
        let field = ui.add(
            egui::TextEdit::singleline(&mut state.open_path)
                .hint_text("or type a path")
                .desired_width(170.0),
        );
        field
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Path to open"));
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Load").clicked() || enter) && !state.open_path.trim().is_empty() {
            actions.push(Action::Load(LoadSource::Path(
                state.open_path.trim().into(),
            )));
        }
    });
    ui.label(
        egui::RichText::new("Drop a file on the window to open it.")
            .weak()
            .small(),
    );

    if let Some(busy) = &state.loading {
        ui.horizontal(|ui| {
            ui.add(
                egui::ProgressBar::new(busy.done)
                    .text(busy.stage)
                    .desired_width(180.0),
            );
            if ui.button("Cancel").clicked() {
                actions.push(Action::Cancel);
            }
        });
    }
    if let Some(err) = &state.error {
        ui.colored_label(ui.visuals().error_fg_color, err);
    }

    if let Some(ds) = &state.dataset {
        ui.separator();
        egui::Grid::new("data_info")
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                ui.label("File");
                ui.label(ds.file_name())
                    .on_hover_text(ds.path.display().to_string());
                ui.end_row();
                ui.label("Rows");
                ui.label(format!("{} rows", ds.n_rows()));
                ui.end_row();
                ui.label("Columns");
                ui.label(format!("{} features", ds.n_features()));
                ui.end_row();
                if let (Some(t), Some(ts)) =
                    (&ds.time, state.stats.as_ref().and_then(|s| s.time.as_ref()))
                {
                    ui.label("Time");
                    ui.label(format!(
                        "{} to {}",
                        format_millis(ts.start),
                        format_millis(ts.end)
                    ))
                    .on_hover_text(format!("column `{}`, {}", t.name, t.format));
                    ui.end_row();
                    ui.label("Interval");
                    ui.label(ts.interval_ms.map_or("unknown".into(), interval_name));
                    ui.end_row();
                }
                ui.label("Left out");
                ui.label(format!(
                    "{} rows with missing values",
                    ds.missing.rows_left_out
                ));
                ui.end_row();
                ui.label("Loaded in");
                ui.label(format!("{:.0} ms", ds.load_time.as_secs_f64() * 1000.0));
                ui.end_row();
            });
        for w in &ds.warnings {
            ui.label(egui::RichText::new(w).weak().small());
        }
    }

    if !state.persisted.recent.is_empty() {
        ui.separator();
        ui.label("Recent files");
        for path in state.persisted.recent.clone() {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            if ui
                .link(name)
                .on_hover_text(path.display().to_string())
                .clicked()
            {
                actions.push(Action::Load(LoadSource::Path(path)));
            }
        }
    }
}
