//! The flagged rows: a sortable table (time, score, top feature, for the seasonal baseline the
//! observed and expected values and why in words, values); clicking a row centres the plots on it; "Export flagged rows…" writes them through the command line's export code.

use std::path::PathBuf;
use std::sync::Arc;

use egui::Ui;
use egui_extras::{Column, TableBuilder};

use super::dialogs::SavePurpose;
use super::state::{Action, AppState};
use crate::detect::seasonal::explain::number;
use crate::detect::Detection;
use crate::zone::Zone;

/// Columns of the flagged rows table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlaggedColumn {
    /// Time (or row).
    #[default]
    Time,
    /// Anomaly score.
    Score,
}

/// The flagged rows panel's own state: sorting, the picked row and the export path.
#[derive(Debug)]
pub struct FlaggedPanel {
    /// Sorting of the table: column and ascending.
    sort: (FlaggedColumn, bool),
    /// The row the user picked (its plots are centred on it).
    picked_row: Option<usize>,
    /// The table (by the request that loaded it) the picked row is in.
    data_generation: u64,
    /// The path typed for export (when no file dialog is available).
    export_path: String,
    /// An export waiting for the user to agree to replace a file.
    confirm_replace: Option<PathBuf>,
    /// The flagged rows in time order when the table's rows are not (sorted once per detection
    /// and table; in time order they are the detection's rows in row order).
    time_order: Option<TimeOrder>,
}

/// The flagged rows of one detection of one table sorted by time (then row).
#[derive(Debug)]
struct TimeOrder {
    /// The detection whose flagged rows these are (held, so it is the same one while kept).
    detection: Arc<Detection>,
    /// The table they are rows of.
    data_generation: u64,
    /// The rows, by time then row.
    rows: Vec<usize>,
}

impl Default for FlaggedPanel {
    fn default() -> Self {
        FlaggedPanel {
            sort: (FlaggedColumn::Time, true),
            picked_row: None,
            data_generation: 0,
            export_path: String::new(),
            confirm_replace: None,
            time_order: None,
        }
    }
}

impl FlaggedPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
        let (Some(ds), Some(sc)) = (state.dataset.clone(), state.scores.clone()) else {
            ui.label("Nothing scored yet.");
            return;
        };
        if self.data_generation != state.data_generation {
            self.picked_row = None;
            self.data_generation = state.data_generation;
        }
        let xs = state.xs.as_slice();
        let flagged = sc.detection.flagged_in_row_order();
        ui.horizontal(|ui| {
            ui.label(format!("{} flagged rows", flagged.len()));
            if ui
                .add_enabled(
                    !state.dialog_open,
                    egui::Button::new("Export flagged rows…"),
                )
                .clicked()
            {
                let default = format!(
                    "{}_flagged.csv",
                    ds.path
                        .file_stem()
                        .map_or("traffic".into(), |s| s.to_string_lossy().into_owned())
                );
                actions.push(Action::SaveFile(SavePurpose::FlaggedRows, default));
            }
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.export_path)
                    .hint_text("or a path")
                    .desired_width(200.0),
            );
            field.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Export path")
            });
            if ui.button("Export to path").clicked() && !self.export_path.trim().is_empty() {
                let path = PathBuf::from(self.export_path.trim());
                if path.exists() {
                    self.confirm_replace = Some(path);
                } else {
                    actions.push(Action::Export(path, false));
                }
            }
        });
        if let Some(path) = self.confirm_replace.clone() {
            ui.horizontal(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("{} exists. Replace it?", path.display()),
                );
                if ui.button("Replace").clicked() {
                    actions.push(Action::Export(path, true));
                    self.confirm_replace = None;
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_replace = None;
                }
            });
        }
        if let Some(note) = &state.export_note {
            ui.label(note);
        }

        let (column, ascending) = self.sort;
        // No sort per frame: by score the rows are a part of the order sorted at fit time; by
        // time they are the rows in row order when the table is in time order, else sorted
        // once for this detection.
        let (list, reversed): (&[usize], bool) = match column {
            FlaggedColumn::Score => (sc.detection.flagged_by_score(), ascending),
            FlaggedColumn::Time => (
                by_time(&mut self.time_order, state, &sc.detection),
                !ascending,
            ),
        };
        let at = |i: usize| {
            if reversed {
                list[list.len() - 1 - i]
            } else {
                list[i]
            }
        };
        let header_label = |c: FlaggedColumn, name: &str| {
            if c == column {
                format!("{name} {}", if ascending { "^" } else { "v" })
            } else {
                name.to_string()
            }
        };
        // The seasonal baseline: its top feature's observed and expected values, and why, in
        // words (computed for the rows on screen only).
        let seasonal = sc.seasonal.as_ref().map(|s| {
            let columns: Vec<&[f64]> = sc
                .features
                .iter()
                .map(|n| ds.feature(n).unwrap_or(&[]))
                .collect();
            (s, columns)
        });
        let seasonal_columns = if seasonal.is_some() { 3 } else { 0 };
        let mut clicked_header = None;
        let mut clicked_row = None;
        // Scrolled sideways: with the seasonal baseline's three columns the features' own
        // columns go past the panel's right edge.
        egui::ScrollArea::horizontal()
            .id_salt("flagged rows")
            .show(ui, |ui| {
                TableBuilder::new(ui)
                    .striped(true)
                    .sense(egui::Sense::click())
                    .column(Column::auto().at_least(90.0))
                    .column(Column::auto().at_least(60.0))
                    .column(Column::auto().at_least(80.0))
                    .columns(Column::auto().at_least(70.0), seasonal_columns.min(2))
                    .columns(
                        // A fixed width the words wrap in (an automatic one would be a single line as
                        // wide as the longest explanation, the scroll area giving it any width).
                        Column::initial(340.0).at_least(200.0).resizable(true),
                        seasonal_columns.saturating_sub(2),
                    )
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
                        if seasonal.is_some() {
                            for name in ["observed", "expected", "why"] {
                                header.col(|ui| {
                                    ui.strong(name);
                                });
                            }
                        }
                        for name in &ds.feature_names {
                            header.col(|ui| {
                                ui.strong(name);
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(18.0, list.len(), |mut row| {
                            let r = at(row.index());
                            row.set_selected(self.picked_row == Some(r));
                            row.col(|ui| {
                                ui.label(match (&ds.time, &ds.row_labels) {
                                    (Some(t), _) => t.show(t.millis[r]),
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
                            if let Some((s, columns)) = &seasonal {
                                let f = s.top[r];
                                let observed = columns.get(f).and_then(|c| c.get(r)).copied();
                                let point = observed.map(|o| s.point(f, r, o));
                                row.col(|ui| {
                                    ui.label(observed.map_or(String::new(), number));
                                });
                                row.col(|ui| {
                                    ui.label(point.map_or(String::new(), |p| {
                                        format!(
                                            "{} ({}..{})",
                                            number(p.expected),
                                            number(p.lower),
                                            number(p.upper)
                                        )
                                    }));
                                });
                                row.col(|ui| {
                                    let (t, zone) = ds
                                        .time
                                        .as_ref()
                                        .map_or((0, Zone::Unstated), |t| (t.millis[r], t.zone));
                                    ui.label(s.row_in_words(r, &sc.features, columns, t, zone));
                                });
                            }
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
            });
        if let Some(c) = clicked_header {
            self.sort = if c == column {
                (c, !ascending)
            } else {
                (c, c == FlaggedColumn::Time)
            };
        }
        if let Some(r) = clicked_row {
            self.picked_row = Some(r);
            actions.push(Action::CenterOn(xs[r]));
        }
    }
}

/// The flagged rows of `detection` by time, then row (ascending).
fn by_time<'a>(
    cache: &'a mut Option<TimeOrder>,
    state: &AppState,
    detection: &'a Arc<Detection>,
) -> &'a [usize] {
    let in_time_order = state
        .stats
        .as_ref()
        .and_then(|s| s.time.as_ref())
        .is_none_or(|t| t.sorted);
    if in_time_order {
        *cache = None;
        return detection.flagged_in_row_order();
    }
    let kept = cache.as_ref().is_some_and(|t| {
        Arc::ptr_eq(&t.detection, detection) && t.data_generation == state.data_generation
    });
    if !kept {
        let xs = state.xs.as_slice();
        let mut rows = detection.flagged_in_row_order().to_vec();
        rows.sort_by(|&a, &b| {
            let x = |r: usize| xs.get(r).copied().unwrap_or(f64::NAN);
            x(a).total_cmp(&x(b)).then(a.cmp(&b))
        });
        *cache = Some(TimeOrder {
            detection: Arc::clone(detection),
            data_generation: state.data_generation,
            rows,
        });
    }
    cache.as_ref().map_or(&[], |t| t.rows.as_slice())
}
