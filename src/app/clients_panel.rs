//! The client view of an access log: every client ranked (the flagged ones first, attacks
//! first among them, then by anomaly score), with the reason in words; picking one shows its requests over time in the plots and the lines in which attack
//! patterns were found (escaped, as attacker text). The flagged clients' log lines can be
//! exported.

use std::sync::Arc;

use egui::Ui;
use egui_extras::{Column, TableBuilder};

use super::dialogs::SavePurpose;
use super::state::{Action, AppState};
use crate::data::access::attack_patterns;
use crate::data::access::clients::col;
use crate::data::access::verdict::{bytes, count, Verdicts};
use crate::terminal::escape;

/// Short headers of [`SHOWN`].
const SHOWN_NAMES: [&str; 5] = ["requests", "page views", "paths", "attacks", "bytes"];

/// Feature columns shown before the explanation, by feature index.
const SHOWN: [usize; 5] = [
    col::REQUESTS,
    col::PAGE_VIEWS,
    col::PATHS,
    col::ATTACKS,
    col::BYTES,
];

/// Lines with attack patterns listed for the selected client.
const ATTACK_LINES_SHOWN: usize = 200;

/// The client ranking's own state: the filter typed, and the ranking and typical client made
/// for the detection and the table on screen.
#[derive(Debug, Default)]
pub struct ClientsPanel {
    /// Only clients whose address contains this text are listed.
    filter: String,
    /// Rows in the order an analyst reads them ([`Verdicts::ranking`]: flagged first, attacks
    /// first among them, then by score), with the detection generation they were made for.
    rank: Option<(u64, Arc<Vec<usize>>)>,
    /// Reasons in words calibrated to the log, with the table generation they are of.
    verdicts: Option<(u64, Arc<Verdicts>)>,
}

impl ClientsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
        let (Some(ds), Some(sc)) = (state.dataset.clone(), state.scores.clone()) else {
            ui.label(state.ranking_note("clients"));
            return;
        };
        let Some(labels) = ds.row_labels.as_ref() else {
            return;
        };
        // The typical client and the ranking are made once per table and per detection.
        let Some(table) = ds.log.as_ref() else {
            return;
        };
        let new_table = self
            .verdicts
            .as_ref()
            .is_none_or(|(g, _)| *g != state.data_generation);
        if new_table {
            let verdicts = Verdicts::new(Arc::clone(&table.log), &ds.columns);
            self.verdicts = Some((state.data_generation, Arc::new(verdicts)));
        }
        if new_table || self.rank.as_ref().is_none_or(|(g, _)| *g != sc.generation) {
            if let Some((_, verdicts)) = &self.verdicts {
                let order = verdicts.ranking(
                    &ds.columns,
                    &table.client_of_row,
                    &sc.detection.scores,
                    &sc.detection.flags,
                );
                self.rank = Some((sc.generation, Arc::new(order)));
            }
        }
        let (Some((_, order)), Some((_, verdicts))) = (self.rank.clone(), self.verdicts.clone())
        else {
            return;
        };
        let client_of = |r: usize| {
            ds.log
                .as_ref()
                .and_then(|t| t.client_of_row.get(r))
                .map_or(r, |&c| c as usize)
        };
        if state.selected_client.is_none() {
            if let Some(&first) = order.first() {
                actions.push(Action::SelectClient(first));
            }
        }
        let flagged = sc.detection.flagged_in_row_order().len();
        // Wrapped: a row wider than the panel would widen everything below it past the edge.
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} clients, {flagged} flagged (listed first, attacks first), then by score",
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
        let why_of = |r: usize| {
            let top = sc
                .top_features
                .get(r)
                .and_then(|&t| sc.features.get(t))
                .and_then(|n| ds.feature_names.iter().position(|f| f == n))
                .unwrap_or(col::REQUESTS);
            verdicts.explain(client_of(r), &ds.row(r), top)
        };
        if let Some(r) = state.selected_client.filter(|&r| r < labels.values.len()) {
            // The selected client's whole reason, wrapped: the table's column may be too narrow.
            ui.add(
                egui::Label::new(format!("Why {}: {}", escape(&labels.values[r]), why_of(r)))
                    .wrap(),
            );
            attack_lines_ui(ui, &verdicts, client_of(r), &labels.values[r]);
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
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::auto().at_least(36.0))
            .column(Column::auto().at_least(170.0))
            .column(Column::auto().at_least(44.0))
            .column(Column::auto().at_least(44.0))
            .columns(Column::auto().at_least(56.0), SHOWN.len())
            // The reason takes the width left, never more (so it ends in an ellipsis at the
            // panel's edge instead of running past it); the other columns can be resized.
            .column(Column::remainder().at_least(60.0).clip(true))
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
                                col::ATTACKS => count(v * ds.columns[col::REQUESTS][r]),
                                _ => count(v),
                            });
                        });
                    }
                    row.col(|ui| {
                        // Cut to the column's width with an ellipsis; the hover and the line
                        // above the table show it whole.
                        let why = why_of(r);
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

/// The selected client's lines with attack patterns, escaped (they are the attacker's text:
/// control and bidirectional characters are shown as escapes, not obeyed).
fn attack_lines_ui(ui: &mut Ui, verdicts: &Verdicts, client: usize, address: &str) {
    let lines = verdicts.attack_lines(client);
    if lines.is_empty() {
        return;
    }
    let facts = verdicts.facts(client);
    let title = format!(
        "Attack patterns of {}: {} in {} of {} requests",
        escape(address),
        attack_patterns::names(facts.attack_classes),
        count(facts.attack_hits as f64),
        count(facts.requests as f64)
    );
    egui::CollapsingHeader::new(title)
        .id_salt("attack lines")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .max_height(140.0)
                .id_salt("attack lines scroll")
                .show(ui, |ui| {
                    for l in lines.iter().take(ATTACK_LINES_SHOWN) {
                        ui.add(
                            egui::Label::new(
                                egui::RichText::new(format!("{}: {}", l.line, escape(&l.text)))
                                    .monospace(),
                            )
                            .truncate(),
                        );
                    }
                    if lines.len() > ATTACK_LINES_SHOWN {
                        ui.label(format!(
                            "… and {} more (export the flagged clients' log lines for all)",
                            count((lines.len() - ATTACK_LINES_SHOWN) as f64)
                        ));
                    }
                });
        });
}
