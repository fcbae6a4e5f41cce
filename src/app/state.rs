//! What the panels share, apart from drawing: the settings persisted between runs, what the
//! worker has delivered (with the generations that made it, which key every cache of a view of
//! it) and the work under way; and the [`Action`]s panels return. A panel's own fields (typed
//! paths, sorting, selections, caches) live in the panel's module.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::dialogs::{PickPurpose, SavePurpose};
use crate::data::access::LogOptions;
use crate::data::stats::DatasetStats;
use crate::data::Dataset;
use crate::detect::seasonal::SeasonalScores;
use crate::detect::{Detection, DetectorConfig};
use crate::worker::ScoreWork;

/// How many recent files are remembered.
pub const RECENT_FILES: usize = 8;

/// Settings kept between runs (eframe persistence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// Detector settings.
    pub config: DetectorConfig,
    /// The tab shown under the plots.
    pub bottom_tab: BottomTab,
    /// How access logs are read and viewed.
    pub log: LogOptions,
    /// Plot every series scaled to its own range (for features of very different sizes).
    pub scale_series: bool,
    /// How *Follow* watches.
    #[serde(default)]
    pub follow: super::follow_panel::FollowSettings,
    /// Show times written with an offset in UTC instead of on their own clock (`--utc`).
    #[serde(default)]
    pub times_in_utc: bool,
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            recent: Vec::new(),
            config: DetectorConfig::default(),
            bottom_tab: BottomTab::Flagged,
            log: LogOptions::default(),
            scale_series: false,
            follow: super::follow_panel::FollowSettings::default(),
            times_in_utc: false,
        }
    }
}

/// The tabs under the plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BottomTab {
    /// The flagged rows table.
    Flagged,
    /// The statistics table, histogram and correlations.
    Statistics,
    /// The clients of an access log, ranked by score.
    Clients,
    /// The alerts of *Follow*.
    Alerts,
}

/// What a panel asks for; applied after the frame is drawn.
#[derive(Debug, Clone)]
#[must_use]
pub enum Action {
    /// Open a table or an access log.
    Open(PathBuf),
    /// Open the bundled sample data.
    OpenSample,
    /// Score again with the current settings.
    Rescore,
    /// Stop the work under way.
    Cancel,
    /// Write the flagged rows to a file (`true`: replacing it is agreed).
    Export(PathBuf, bool),
    /// Score the "what if" row: one value per feature of the last detection, unscaled.
    WhatIf(Vec<f64>),
    /// Centre the plots on this x (seconds).
    CenterOn(f64),
    /// Read the access log on screen with these options (another view, bucket or grouping).
    LogView(LogOptions),
    /// Show times in UTC (`true`) or on the file's own clock, reading the file again.
    TimesInUtc(bool),
    /// Write the log lines of the flagged clients or buckets (`true`: replacing is agreed).
    ExportLines(PathBuf, bool),
    /// Read a file as an access log in this format (Nginx or Apache syntax, or a name).
    LoadLog(PathBuf, String),
    /// Show this client (a row of the client view) in the plots.
    SelectClient(usize),
    /// Ask for a file to read, in a dialog that runs beside the frame loop.
    PickFile(PickPurpose),
    /// Ask where to write a file (suggesting this name), in a dialog beside the frame loop.
    SaveFile(SavePurpose, String),
    /// Start (`true`) or stop following the opened access log.
    Follow(bool),
    /// New *Follow* settings (a follow under way starts again with them).
    FollowSettings(super::follow_panel::FollowSettings),
    /// Show the subject of this alert (an index into the live alerts).
    FocusAlert(usize),
}

/// Work under way, for the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    /// The request.
    pub generation: u64,
    /// What it is doing.
    pub stage: &'static str,
    /// Share done.
    pub done: f32,
}

/// The latest scores.
#[derive(Debug, Clone)]
pub struct Scores {
    /// The request that made them: caches of views of these scores are keyed by it.
    pub generation: u64,
    /// Scores, flags and threshold.
    pub detection: Arc<Detection>,
    /// The feature (index into `features`) that explains each row most.
    pub top_features: Arc<Vec<usize>>,
    /// The features used.
    pub features: Arc<Vec<String>>,
    /// The seasonal baseline's expected values and bands (per feature in `features`), when it
    /// made the scores.
    pub seasonal: Option<Arc<SeasonalScores>>,
    /// How long it took.
    pub elapsed: Duration,
    /// What had to be computed.
    pub work: ScoreWork,
}

/// What the panels share: the persisted settings, what the worker delivered (with the
/// generations it was made by) and the work under way. What one panel alone uses lives in that
/// panel's own state.
#[derive(Default)]
pub struct AppState {
    /// Persisted settings.
    pub persisted: Persisted,
    /// The loaded table.
    pub dataset: Option<Arc<Dataset>>,
    /// The request that loaded the table: caches of views of the table are keyed by it.
    pub data_generation: u64,
    /// Its statistics.
    pub stats: Option<Arc<DatasetStats>>,
    /// The x value (seconds since 1970, or the row) of each row of the table.
    pub xs: Arc<Vec<f64>>,
    /// Which features are used (one flag per feature of the table).
    pub use_feature: Vec<bool>,
    /// The latest scores.
    pub scores: Option<Scores>,
    /// Work under way: loading.
    pub loading: Option<Busy>,
    /// Work under way: scoring.
    pub scoring: Option<Busy>,
    /// The last error, shown until the next success.
    pub error: Option<String>,
    /// A note about the last export (or why no file dialog could be shown).
    pub export_note: Option<String>,
    /// The verdict on the "what if" row: score and flag.
    pub what_if_verdict: Option<(f64, bool)>,
    /// Client view: the dataset row of the client shown in the plots.
    pub selected_client: Option<usize>,
    /// A file dialog is open (only one at a time; its buttons wait).
    pub dialog_open: bool,
    /// Generations whose answers are awaited, per kind.
    pub awaiting: Awaiting,
    /// What *Follow* has delivered.
    pub live: super::live_data::LiveData,
}

/// The newest generation sent for each kind of request; older answers are dropped.
#[derive(Debug, Default, Clone, Copy)]
pub struct Awaiting {
    /// Loads.
    pub load: u64,
    /// Scoring.
    pub detect: u64,
    /// "What if".
    pub what_if: u64,
    /// Exports.
    pub export: u64,
}

impl AppState {
    /// What a ranking panel says while it has nothing to rank (`what`: `clients`, `hosts`):
    /// that the work is under way, or that it failed and where the error is.
    pub fn ranking_note(&self, what: &str) -> String {
        if self.loading.is_some() || self.scoring.is_some() {
            format!("Ranking the {what}…")
        } else if self.error.is_some() {
            format!("The {what} are not ranked: see the error in the data panel.")
        } else {
            format!("The {what} are not ranked yet.")
        }
    }

    /// Names of the features in use.
    pub fn features_in_use(&self) -> Vec<String> {
        match &self.dataset {
            Some(ds) => ds
                .feature_names
                .iter()
                .zip(&self.use_feature)
                .filter(|(_, on)| **on)
                .map(|(n, _)| n.clone())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Remembers a file among the recent ones.
    pub fn remember(&mut self, path: PathBuf) {
        self.persisted.recent.retain(|p| p != &path);
        self.persisted.recent.insert(0, path);
        self.persisted.recent.truncate(RECENT_FILES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranking_panel_says_whether_work_is_under_way_or_failed() {
        let mut state = AppState::default();
        assert_eq!(
            state.ranking_note("clients"),
            "The clients are not ranked yet."
        );
        state.scoring = Some(Busy {
            generation: 1,
            stage: "scoring",
            done: 0.0,
        });
        assert_eq!(state.ranking_note("clients"), "Ranking the clients…");
        state.scoring = None;
        state.error = Some("the seasonal baseline scores a series over time".into());
        assert_eq!(
            state.ranking_note("hosts"),
            "The hosts are not ranked: see the error in the data panel."
        );
    }
}
