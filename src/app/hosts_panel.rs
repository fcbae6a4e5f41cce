//! The hosts view of a connection log or capture: every host ranked by anomaly score, with the
//! reason in words; picking one shows its connections over time above all connections.

use std::sync::Arc;

use egui::Ui;
use egui_extras::{Column, TableBuilder};

use super::dialogs::SavePurpose;
use super::state::{Action, AppState};
use crate::data::access::verdict::{count, pct};
use crate::data::formats::zeek::hosts::col;
use crate::data::formats::zeek::verdict::explain_rows;
use crate::data::FileKind;

/// Feature columns shown before the reason, by feature index.
const SHOWN: [usize; 4] = [
    col::CONNECTIONS,
    col::DEST_HOSTS,
    col::DEST_PORTS,
    col::FAILED,
];

/// The host ranking's own state: the ranking and reasons made for the detection on screen.
#[derive(Debug, Default)]
pub struct HostsPanel {
    /// Rows ranked by score, highest first, and each row's reason, with the detection
    /// generation they were made for.
    rank: Option<(u64, Arc<Ranking>)>,
}

/// Rows by score and their reasons in words.
#[derive(Debug)]
struct Ranking {
    order: Vec<usize>,
    why: Vec<String>,
}

impl HostsPanel {
    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
        let (Some(ds), Some(sc)) = (state.dataset.clone(), state.scores.clone()) else {
            ui.label(state.ranking_note("hosts"));
            return;
        };
        let (Some(labels), Some(net)) = (ds.row_labels.as_ref(), ds.network.as_ref()) else {
            return;
        };
        // The ranking and the reasons are made once per detection.
        if self.rank.as_ref().is_none_or(|(g, _)| *g != sc.generation) {
            let scores = &sc.detection.scores;
            let mut order: Vec<usize> = (0..scores.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            let all: Vec<usize> = (0..scores.len()).collect();
            let why = explain_rows(&ds, &all, &sc.top_features, &sc.features)
                .unwrap_or_else(|| vec![String::new(); all.len()]);
            self.rank = Some((sc.generation, Arc::new(Ranking { order, why })));
        }
        let Some((_, ranking)) = self.rank.clone() else {
            return;
        };
        if state.selected_client.is_none() {
            if let Some(&first) = ranking.order.first() {
                actions.push(Action::SelectClient(first));
            }
        }
        let flagged = sc.detection.flags.iter().filter(|f| **f).count();
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} hosts, {flagged} flagged; highest score first",
                count(ds.n_rows() as f64)
            ));
            export_button(ui, state, &ds.path, net, actions);
        });
        if let Some(note) = &state.export_note {
            ui.label(note);
        }
        if let Some(r) = state.selected_client.filter(|&r| r < labels.values.len()) {
            // The picked host's whole reason, wrapped: the table's column may be too narrow.
            let why = ranking.why.get(r).map_or("", String::as_str);
            if !why.is_empty() {
                ui.add(egui::Label::new(format!("Why {}: {why}", labels.values[r])).wrap());
            }
        }
        let names = crate::data::formats::zeek::hosts::feature_names(net.side);
        let mut clicked = None;
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::auto().at_least(36.0))
            .column(Column::auto().at_least(130.0))
            .column(Column::auto().at_least(44.0))
            .column(Column::auto().at_least(44.0))
            .columns(Column::auto().at_least(56.0), SHOWN.len())
            // The reason takes the width left, never more (so it ends in an ellipsis at the
            // panel's edge instead of being cut there); the other columns can be resized.
            .column(Column::remainder().at_least(60.0).clip(true))
            .header(20.0, |mut header| {
                for name in ["rank", "host", "score", "flagged"] {
                    header.col(|ui| {
                        ui.strong(name);
                    });
                }
                for f in SHOWN {
                    header.col(|ui| {
                        ui.strong(names[f]);
                    });
                }
                header.col(|ui| {
                    ui.strong("why");
                });
            })
            .body(|body| {
                body.rows(18.0, ranking.order.len(), |mut row| {
                    let rank = row.index();
                    let r = ranking.order[rank];
                    row.set_selected(state.selected_client == Some(r));
                    row.col(|ui| {
                        ui.label((rank + 1).to_string());
                    });
                    row.col(|ui| {
                        let picked = state.selected_client == Some(r);
                        let address = labels.values.get(r).map_or("", String::as_str);
                        if ui
                            .add(
                                egui::Button::selectable(picked, address)
                                    .frame_when_inactive(false),
                            )
                            .on_hover_text("Show this host's connections over time")
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
                    for f in SHOWN {
                        let v = ds.columns.get(f).and_then(|c| c.get(r)).copied();
                        row.col(|ui| {
                            ui.label(match (f, v) {
                                (_, None) => String::new(),
                                (col::FAILED, Some(v)) => pct(v),
                                (_, Some(v)) => count(v),
                            });
                        });
                    }
                    row.col(|ui| {
                        let why = ranking.why.get(r).map_or("", String::as_str);
                        ui.add(egui::Label::new(why).truncate()).on_hover_text(why);
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

/// *Export flagged hosts' lines…* (a conn.log or flow records: the header and every line of the
/// flagged hosts' connections) or *packets…* (a capture: a pcap of their packets).
fn export_button(
    ui: &mut Ui,
    state: &AppState,
    path: &std::path::Path,
    net: &crate::data::formats::zeek::HostsTable,
    actions: &mut Vec<Action>,
) {
    let kind = net.conn.as_ref().map(|c| c.kind);
    let (label, hover, extension) = match kind {
        Some(FileKind::Capture { .. }) => (
            "Export flagged hosts' packets…",
            "A pcap file of every packet of the flagged hosts' connections",
            "pcap",
        ),
        Some(FileKind::FlowRecords { .. }) => (
            "Export flagged hosts' lines…",
            "The header and every flow record of the flagged hosts' connections",
            "csv",
        ),
        _ => (
            "Export flagged hosts' lines…",
            "The conn.log's header and every line of the flagged hosts' connections",
            "log",
        ),
    };
    let exportable = kind.is_some();
    let button = ui
        .add_enabled(exportable && !state.dialog_open, egui::Button::new(label))
        .on_hover_text(hover)
        .on_disabled_hover_text(if exportable {
            "A file dialog is open"
        } else {
            "The connections were not kept: export the flagged rows instead"
        });
    if button.clicked() {
        let default = format!(
            "{}_flagged_hosts.{extension}",
            path.file_stem()
                .map_or("conn".into(), |s| s.to_string_lossy().into_owned())
        );
        actions.push(Action::SaveFile(SavePurpose::FlaggedLines, default));
    }
}
