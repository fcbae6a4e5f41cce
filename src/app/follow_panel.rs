//! The *Follow* toggle in the top bar and the follow's state beside it; and the request the
//! worker gets when it is turned on (the opened access log, in the format it was read with, or
//! the opened table; what is there learnt as history, then judged from its current end, with
//! the watch's default settings).

use egui::{RichText, Ui};

use super::state::{Action, AppState};
use crate::data::follow::Start;
use crate::data::FileKind;
use crate::live::feed::FeedSettings;
use crate::worker::{FollowKind, FollowRequest};

/// What the worker is asked to follow for the table on screen, or why it cannot be followed.
pub fn request(state: &AppState) -> Result<FollowRequest, &'static str> {
    let ds = state.dataset.as_ref().ok_or("nothing is open")?;
    if !ds.path.is_file() {
        return Err("the file on screen was not read from a file");
    }
    let kind = match (&ds.log, ds.kind) {
        (Some(table), _) => {
            if table.log.gzip {
                return Err("a compressed log does not grow: Follow works on plain access logs");
            }
            FollowKind::Log(table.log.format.clone())
        }
        (None, FileKind::Csv { .. }) => {
            let time = ds.time.as_ref().ok_or(
                "Follow needs a time column to judge a table's new rows (this table has none)",
            )?;
            if ds.layout == crate::data::Layout::Long {
                return Err("Follow works on wide tables (this one was pivoted from a long table)");
            }
            FollowKind::Table {
                time_column: Some(time.name.clone()),
            }
        }
        _ => return Err("Follow works on access logs and CSV tables with a time column"),
    };
    Ok(FollowRequest {
        path: ds.path.clone(),
        kind,
        settings: FeedSettings::live(),
        start: Start::End,
        learn_history: true,
    })
}

/// Draws the toggle and, while following, what has arrived.
pub fn top_bar(ui: &mut Ui, state: &AppState, actions: &mut Vec<Action>) {
    let live = &state.live;
    let followable = request(state);
    let mut on = live.following();
    let toggle = ui.add_enabled_ui(on || followable.is_ok(), |ui| {
        ui.toggle_value(&mut on, "Follow")
    });
    let response = toggle.inner.on_hover_text(match &followable {
        Ok(_) => "Watch the opened file as lines are appended: live plot and alerts",
        Err(why) => why,
    });
    if response.changed() {
        actions.push(Action::Follow(on));
    }
    if live.following() {
        let c = live.counts;
        ui.label(
            RichText::new(format!(
                "live: {} new lines, {} alerts",
                c.lines,
                live.alerts.len()
            ))
            .color(egui::Color32::from_rgb(40, 150, 60)),
        );
    } else if let Some(why) = &live.failed {
        ui.colored_label(ui.visuals().error_fg_color, why);
    }
}
