//! The client view of an access log: every client ranked by anomaly score, with the reason in
//! words; picking one shows its requests over time in the plots. The flagged clients' log
//! lines can be exported.

use std::sync::Arc;

use egui::Ui;
use egui_extras::{Column, TableBuilder};

use super::dialogs::SavePurpose;
use super::state::{Action, AppState};
use crate::data::access::clients::col;
use crate::data::access::verdict::{bytes, count, explain, typical};

/// Short headers of [`SHOWN`].
const SHOWN_NAMES: [&str; 4] = ["requests", "paths", "404", "bytes"];

/// Feature columns shown before the explanation, by feature index.
const SHOWN: [usize; 4] = [col::REQUESTS, col::PATHS, col::NOT_FOUND, col::BYTES];

/// The client ranking's own state: the filter typed, and the ranking and typical client made
/// for the detection and the table on screen.
#[derive(Debug, Default)]
pub struct ClientsPanel {
    /// Only clients whose address contains this text are listed.
    filter: String,
    /// Rows ranked by score, highest first, with the detection generation they were made for.
    rank: Option<(u64, Arc<Vec<usize>>)>,
    /// The median of each feature (the typical client), with the table generation it is of.
    typical: Option<(u64, Arc<Vec<f64>>)>,
}

impl ClientsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
        let (Some(ds), Some(sc)) = (state.dataset.clone(), state.scores.clone()) else {
            ui.label("Ranking the clients…");
            return;
        };
        let Some(labels) = ds.row_labels.as_ref() else {
            return;
        };
        // Ranking and the typical client are made once per detection and per table.
        if self.rank.as_ref().is_none_or(|(g, _)| *g != sc.generation) {
            let scores = &sc.detection.scores;
            let mut order: Vec<usize> = (0..scores.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            self.rank = Some((sc.generation, Arc::new(order)));
        }
        if self
            .typical
            .as_ref()
            .is_none_or(|(g, _)| *g != state.data_generation)
        {
            self.typical = Some((state.data_generation, Arc::new(typical(&ds.columns))));
        }
        let (Some((_, order)), Some((_, typ))) = (self.rank.clone(), self.typical.clone()) else {
            return;
        };
        if state.selected_client.is_none() {
            if let Some(&first) = order.first() {
                actions.push(Action::SelectClient(first));
            }
        }
        let flagged = sc.detection.flags.iter().filter(|f| **f).count();
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} clients, {flagged} flagged; highest score first",
                count(ds.n_rows() as f64)
            ));
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("find an address")
                    .desired_width(150.0),
            );
            field.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Find client")
            });
            if ui
                .add_enabled(
                    !state.dialog_open,
                    egui::Button::new("Export flagged clients' log lines…"),
                )
                .on_hover_text("Every log line of the flagged clients, as in the input")
                .clicked()
            {
                let default = format!(
                    "{}_flagged_clients.log",
                    ds.path
                        .file_stem()
                        .map_or("access".into(), |s| s.to_string_lossy().into_owned())
                );
                actions.push(Action::SaveFile(SavePurpose::FlaggedLines, default));
            }
        });
        if let Some(note) = &state.export_note {
            ui.label(note);
        }
        let filter = self.filter.trim().to_string();
        let rows: Vec<(usize, usize)> = order
            .iter()
            .enumerate()
            .filter(|(_, &r)| filter.is_empty() || labels.values[r].contains(&filter))
            .map(|(rank, &r)| (rank, r))
            .collect();
        let mut clicked = None;
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::auto().at_least(36.0))
            .column(Column::auto().at_least(170.0))
            .column(Column::auto().at_least(44.0))
            .column(Column::auto().at_least(44.0))
            .columns(Column::auto().at_least(56.0), SHOWN.len())
            .column(Column::remainder().at_least(200.0).clip(true))
            .header(20.0, |mut header| {
                for name in ["rank", "client", "score", "flagged"] {
                    header.col(|ui| {
                        ui.strong(name);
                    });
                }
                for name in SHOWN_NAMES {
                    header.col(|ui| {
                        ui.strong(name);
                    });
                }
                header.col(|ui| {
                    ui.strong("why");
                });
            })
            .body(|body| {
                body.rows(18.0, rows.len(), |mut row| {
                    let (rank, r) = rows[row.index()];
                    row.set_selected(state.selected_client == Some(r));
                    row.col(|ui| {
                        ui.label((rank + 1).to_string());
                    });
                    row.col(|ui| {
                        let picked = state.selected_client == Some(r);
                        if ui
                            .add(
                                egui::Button::selectable(picked, labels.values[r].as_str())
                                    .frame_when_inactive(false),
                            )
                            .on_hover_text("Show this client's requests over time")
                            .clicked()
                        {
                            clicked = Some(r);
                        }
                    });
                    row.col(|ui| {
                        ui.label(format!("{:.3}", sc.detection.scores[r]));
                    });
                    row.col(|ui| {
                        if sc.detection.flags[r] {
                            ui.colored_label(egui::Color32::from_rgb(220, 30, 30), "yes");
                        } else {
                            ui.label("no");
                        }
                    });
                    for &f in &SHOWN {
                        let v = ds.columns[f][r];
                        row.col(|ui| {
                            ui.label(match f {
                                col::BYTES => bytes(v),
                                col::NOT_FOUND | col::REFUSED => format!("{:.0}%", 100.0 * v),
                                _ => count(v),
                            });
                        });
                    }
                    row.col(|ui| {
                        let top = sc
                            .features
                            .get(sc.top_features[r])
                            .and_then(|n| ds.feature_names.iter().position(|f| f == n))
                            .unwrap_or(col::REQUESTS);
                        let why = explain(&ds.row(r), &typ, top);
                        ui.add(egui::Label::new(why.as_str()).truncate())
                            .on_hover_text(why);
                    });
                    if row.response().clicked() {
                        clicked = Some(r);
                    }
                });
            });
        if let Some(r) = clicked {
            actions.push(Action::SelectClient(r));
        }
    }
}
