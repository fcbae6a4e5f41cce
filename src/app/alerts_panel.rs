//! The alerts of *Follow*, newest first: time, kind, subject, score and reason; clicking one
//! focuses its subject (a client: its row in the ranked clients and its plot; all traffic or a
//! host: the live plot, held and centred on the alert's time). Below them, the follow's counts
//! and its latest notes (a vanished file, malformed lines with their byte offsets).

use egui::{Color32, RichText, Ui};

use super::live_plot::LivePlot;
use super::state::{Action, AppState, BottomTab};
use crate::data::access::LogView;
use crate::live::alerts::{Alert, AlertKind};
use crate::zone::Zone;

/// Alerts listed at most (the newest).
const SHOWN: usize = 1_000;

/// An alert's row as listed (and as the accessibility tree names it).
pub fn alert_row(alert: &Alert) -> String {
    format!(
        "{}  {}  {}  score {:.2}  {}",
        // Alert times are in UTC, labelled: a growing log may change its offset.
        Zone::Utc.format(alert.time),
        alert.kind.word(),
        alert.subject,
        alert.score,
        alert.reason
    )
}

/// Draws the alerts, counts and notes.
pub fn ui(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{} alerts", state.live.alerts.len()));
        ui.checkbox(&mut state.live.raised_only, "Raised only")
            .on_hover_text("Leave out the recoveries");
        ui.separator();
        let c = state.live.counts;
        ui.label(
            RichText::new(format!(
                "{} lines, {} malformed, {} late, {} buckets scored, {} raises held back",
                c.lines, c.malformed, c.late, c.buckets, c.held_back
            ))
            .weak(),
        );
    });
    let live = &state.live;
    if let Some(note) = &live.focus_note {
        ui.label(RichText::new(note).italics());
    }
    if live.alerts.is_empty() {
        ui.label(
            RichText::new(if live.following() {
                "No alerts yet. Buckets are judged from their ninth on (about ten minutes of new \
                 lines at one-minute buckets)."
            } else {
                "Turn on Follow in the top bar to watch the opened access log as it grows."
            })
            .weak(),
        );
    }
    let notes_height = 18.0 * live.notes.len().min(4) as f32 + 8.0;
    let rows_height = (ui.available_height() - notes_height).max(60.0);
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    // Newest first.
    let listed: Vec<usize> = (0..live.alerts.len())
        .rev()
        .filter(|&i| !live.raised_only || live.alerts[i].kind == AlertKind::Raised)
        .take(SHOWN)
        .collect();
    // One line per alert (rows of one height), scrolled sideways when long.
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
    egui::ScrollArea::both()
        .id_salt("alerts")
        .max_height(rows_height)
        .auto_shrink([false, true])
        .show_rows(ui, row_h, listed.len(), |ui, rows| {
            for &index in &listed[rows] {
                let alert = &live.alerts[index];
                let color = match alert.kind {
                    AlertKind::Raised => Color32::from_rgb(220, 30, 30),
                    AlertKind::Recovered => Color32::from_rgb(40, 150, 60),
                };
                let row = ui
                    .add(egui::Button::selectable(
                        false,
                        RichText::new(alert_row(alert)).color(color),
                    ))
                    .on_hover_text("Show its subject");
                if row.clicked() {
                    actions.push(Action::FocusAlert(index));
                }
            }
        });
    ui.style_mut().wrap_mode = None;
    for note in live.notes.iter().rev().take(4) {
        ui.label(RichText::new(note).small().weak());
    }
}

/// Focuses the subject of alert `index`: a client is selected in the ranked clients (when the
/// table on screen has it), a bucket subject is shown in the live plot, held and centred on the
/// alert's time (for a followed table, on the column the alert names). Returns the action that
/// selects the client.
pub fn focus(index: usize, state: &mut AppState, plot: &mut LivePlot) -> Option<Action> {
    let alert = state.live.alerts.get(index)?.clone();
    state.live.focus_note = None;
    plot.center_on(alert.time as f64 / 1000.0, state.live.counts);
    if let Some(address) = alert.subject.strip_prefix("client ") {
        let row = state.dataset.as_ref().and_then(|ds| {
            let table = ds.log.as_ref().filter(|t| t.view == LogView::Clients)?;
            table.client_of_row.iter().position(|&c| {
                table.log.clients.get(c as usize).map(String::as_str) == Some(address)
            })
        });
        return match row {
            Some(r) => {
                state.persisted.bottom_tab = BottomTab::Clients;
                Some(Action::SelectClient(r))
            }
            None => {
                state.live.focus_note = Some(format!(
                    "{address} is not among the ranked clients on screen (it came after the log \
                     was opened, or the traffic view is on): open the log again in the clients \
                     view to rank it."
                ));
                None
            }
        };
    }
    if state.live.subjects.contains_key(&alert.subject) {
        plot.subject = alert.subject.clone();
    }
    // A table's alert names the column it is about first: that column is shown.
    if let Some(names) = &state.live.features {
        let reason = alert
            .reason
            .strip_prefix("back within the band: ")
            .unwrap_or(&alert.reason);
        if let Some(f) = names
            .iter()
            .position(|n| reason.starts_with(&format!("{n} = ")))
        {
            plot.feature = f;
        }
    }
    None
}
