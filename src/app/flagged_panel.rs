//! The flagged rows: a sortable table (time, score, top feature, values); clicking a row centres
//! the plots on it; "Export flagged rows…" writes them through the command line's export code.

use egui::Ui;
use egui_extras::{Column, TableBuilder};

use super::state::{Action, AppState, FlaggedColumn};
use crate::data::format_millis;

/// Draws the panel.
pub fn ui(ui: &mut Ui, state: &mut AppState, xs: &[f64], actions: &mut Vec<Action>) {
    let (Some(ds), Some(sc)) = (state.dataset.clone(), state.scores.clone()) else {
        ui.label("Nothing scored yet.");
        return;
    };
    let mut rows = sc.detection.flagged_rows();
    ui.horizontal(|ui| {
        ui.label(format!("{} flagged rows", rows.len()));
        if ui.button("Export flagged rows…").clicked() {
            let default = format!(
                "{}_flagged.csv",
                ds.path
                    .file_stem()
                    .map_or("traffic".into(), |s| s.to_string_lossy().into_owned())
            );
            // The system dialog asks before replacing a file.
            if let Some(path) = rfd::FileDialog::new()
                .set_file_name(default)
                .add_filter("CSV", &["csv"])
                .save_file()
            {
                actions.push(Action::Export(path, true));
            }
        }
        let field = ui.add(
            egui::TextEdit::singleline(&mut state.export_path)
                .hint_text("or a path")
                .desired_width(200.0),
        );
        field.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Export path"));
        if ui.button("Export to path").clicked() && !state.export_path.trim().is_empty() {
            let path = std::path::PathBuf::from(state.export_path.trim());
            if path.exists() {
                state.confirm_replace = Some(path);
            } else {
                actions.push(Action::Export(path, false));
            }
        }
    });
    if let Some(path) = state.confirm_replace.clone() {
        ui.horizontal(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{} exists. Replace it?", path.display()),
            );
            if ui.button("Replace").clicked() {
                actions.push(Action::Export(path, true));
                state.confirm_replace = None;
            }
            if ui.button("Keep it").clicked() {
                state.confirm_replace = None;
            }
        });
    }
    if let Some(note) = &state.export_note {
        ui.label(note);
    }

    let (column, ascending) = state.flagged_sort;
    match column {
        FlaggedColumn::Time => rows.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]).then(a.cmp(&b))),
        FlaggedColumn::Score => {
            rows.sort_by(|&a, &b| sc.detection.scores[a].total_cmp(&sc.detection.scores[b]))
        }
    }
    if !ascending {
        rows.reverse();
    }
    let header_label = |c: FlaggedColumn, name: &str| {
        if c == column {
            format!("{name} {}", if ascending { "^" } else { "v" })
        } else {
            name.to_string()
        }
    };
    let mut clicked_header = None;
    let mut clicked_row = None;
    TableBuilder::new(ui)
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(80.0))
        .columns(Column::auto().at_least(60.0), ds.n_features())
        .header(20.0, |mut header| {
            header.col(|ui| {
                if ui
                    .button(header_label(
                        FlaggedColumn::Time,
                        match (&ds.time, &ds.row_labels) {
                            (Some(_), _) => "time",
                            (None, Some(l)) => l.name.as_str(),
                            (None, None) => "row",
                        },
                    ))
                    .clicked()
                {
                    clicked_header = Some(FlaggedColumn::Time);
                }
            });
            header.col(|ui| {
                if ui
                    .button(header_label(FlaggedColumn::Score, "score"))
                    .clicked()
                {
                    clicked_header = Some(FlaggedColumn::Score);
                }
            });
            header.col(|ui| {
                ui.strong("top feature");
            });
            for name in &ds.feature_names {
                header.col(|ui| {
                    ui.strong(name);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, rows.len(), |mut row| {
                let r = rows[row.index()];
                row.set_selected(state.picked_row == Some(r));
                row.col(|ui| {
                    ui.label(match (&ds.time, &ds.row_labels) {
                        (Some(t), _) => format_millis(t.millis[r]),
                        (None, Some(l)) => l.values[r].clone(),
                        (None, None) => ds.row_numbers[r].to_string(),
                    });
                });
                row.col(|ui| {
                    ui.label(format!("{:.3}", sc.detection.scores[r]));
                });
                row.col(|ui| {
                    ui.label(
                        sc.features
                            .get(sc.top_features[r])
                            .map_or("", String::as_str),
                    );
                });
                for col in &ds.columns {
                    row.col(|ui| {
                        ui.label(format!("{:.2}", col[r]));
                    });
                }
                if row.response().clicked() {
                    clicked_row = Some(r);
                }
            });
        });
    if let Some(c) = clicked_header {
        state.flagged_sort = if c == column {
            (c, !ascending)
        } else {
            (c, c == FlaggedColumn::Time)
        };
    }
    if let Some(r) = clicked_row {
        state.picked_row = Some(r);
        actions.push(Action::CenterOn(xs[r]));
    }
}
