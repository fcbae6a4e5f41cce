//! The *Follow* toggle in the top bar and the follow's state beside it; and the request the
//! worker gets when it is turned on (the opened access log, in the format it was read with, or
//! the opened table; what is there learnt as history, then judged from its current end, with
//! the watch's default settings).

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};

use super::state::{Action, AppState};
use crate::data::follow::Start;
use crate::data::FileKind;
use crate::detect::seasonal::DEFAULT_BAND_MADS;
use crate::detect::spot::Risk;
use crate::live::feed::FeedSettings;
use crate::live::watch::threshold::BucketThreshold;
use crate::worker::{FollowKind, FollowRequest};

/// The bucket widths offered, in minutes.
pub const BUCKET_MINUTES: [u32; 5] = [1, 5, 15, 60, 1440];

/// How *Follow* watches an access log: the settings of `trafficlens watch` it offers (a table
/// is judged by `detect`'s threshold, with the cooldown).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowSettings {
    /// Bucket width in minutes (`--bucket`).
    pub bucket_minutes: u32,
    /// DSPOT over each subject's scores after the band (`--threshold dspot`), or the band alone.
    pub dspot: bool,
    /// The band's half-width in MADs (`--band`).
    pub band_mads: f64,
    /// Watch each client's window (not `--no-clients`).
    pub clients: bool,
    /// The clients' anomaly score threshold (`--client-threshold`).
    pub client_threshold: f64,
}

impl Default for FollowSettings {
    fn default() -> Self {
        let live = FeedSettings::live();
        FollowSettings {
            bucket_minutes: 1,
            dspot: true,
            band_mads: DEFAULT_BAND_MADS,
            clients: true,
            client_threshold: live.clients.map_or(0.7, |c| c.threshold),
        }
    }
}

impl FollowSettings {
    /// The live pipeline's settings: the watch's defaults with these changes.
    pub fn feed_settings(&self) -> FeedSettings {
        let mut s = FeedSettings::live();
        s.watch.bucket_ms = i64::from(self.bucket_minutes.max(1)) * 60_000;
        s.watch.threshold = if self.dspot {
            BucketThreshold::Dspot(Risk::DEFAULT)
        } else {
            BucketThreshold::Band
        };
        if self.band_mads.is_finite() && self.band_mads > 0.0 {
            s.watch.params.band_mads = self.band_mads;
        }
        s.clients = match (self.clients, s.clients) {
            (true, Some(c)) => Some(crate::live::clients::ClientSettings {
                threshold: self.client_threshold.clamp(0.5, 0.99),
                ..c
            }),
            _ => None,
        };
        s
    }
}

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
        settings: state.persisted.follow.feed_settings(),
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
    let mut settings = state.persisted.follow;
    ui.menu_button("Follow settings", |ui| settings_ui(ui, &mut settings))
        .response
        .on_hover_text("How Follow watches a log (changing them while following starts it again)");
    if settings != state.persisted.follow {
        actions.push(Action::FollowSettings(settings));
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

/// The settings' widgets (each labelled).
fn settings_ui(ui: &mut Ui, s: &mut FollowSettings) {
    let minutes = |m: u32| match m {
        1440 => "1 day".to_string(),
        60 => "1 hour".to_string(),
        m => format!("{m} min"),
    };
    ui.horizontal(|ui| {
        ui.label("Bucket:");
        for m in BUCKET_MINUTES {
            ui.selectable_value(&mut s.bucket_minutes, m, minutes(m));
        }
    });
    ui.checkbox(
        &mut s.dspot,
        "DSPOT after the band (each subject's own tail)",
    )
    .on_hover_text(
        "Judge a subject by DSPOT over its own scores once its day is known and 240 buckets \
             are calibrated on; the band until then. Off: the band alone.",
    );
    ui.add(
        egui::Slider::new(&mut s.band_mads, 3.0..=10.0)
            .text("Band (MADs)")
            .fixed_decimals(2),
    );
    ui.checkbox(&mut s.clients, "Watch clients");
    ui.add_enabled(
        s.clients,
        egui::Slider::new(&mut s.client_threshold, 0.5..=0.95)
            .text("Client threshold")
            .fixed_decimals(2),
    );
    if ui.button("Defaults").clicked() {
        *s = FollowSettings::default();
    }
}
