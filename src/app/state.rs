//! The application's state, apart from drawing: what is persisted between runs, what the worker
//! has delivered, and what the user is doing. Panels read it and return [`Action`]s.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::data::access::{LogOptions, LogView};
use crate::data::stats::DatasetStats;
use crate::data::Dataset;
use crate::detect::{Detection, DetectorConfig};
use crate::worker::{Event, LoadSource, ScoreWork};

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
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            recent: Vec::new(),
            config: DetectorConfig::default(),
            bottom_tab: BottomTab::Flagged,
            log: LogOptions::default(),
            scale_series: false,
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
}

/// What a panel asks for; applied after the frame is drawn.
#[derive(Debug, Clone)]
pub enum Action {
    /// Load a table.
    Load(LoadSource),
    /// Score again with the current settings.
    Rescore,
    /// Stop the work under way.
    Cancel,
    /// Write the flagged rows to a file (`true`: replacing it is agreed).
    Export(PathBuf, bool),
    /// Score the "what if" row.
    WhatIf,
    /// Centre the plots on this x (seconds).
    CenterOn(f64),
    /// Read the access log on screen with these options (another view, bucket or grouping).
    LogView(LogOptions),
    /// Write the log lines of the flagged clients or buckets (`true`: replacing is agreed).
    ExportLines(PathBuf, bool),
    /// Read a file as an access log in this format (Nginx or Apache syntax, or a name).
    LoadLog(PathBuf, String),
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
    /// Scores, flags and threshold.
    pub detection: Arc<Detection>,
    /// The feature (index into `features`) that explains each row most.
    pub top_features: Arc<Vec<usize>>,
    /// The features used.
    pub features: Arc<Vec<String>>,
    /// How long it took.
    pub elapsed: Duration,
    /// What had to be computed.
    pub work: ScoreWork,
}

/// Everything the panels show.
#[derive(Default)]
pub struct AppState {
    /// Persisted settings.
    pub persisted: Persisted,
    /// The loaded table.
    pub dataset: Option<Arc<Dataset>>,
    /// Its statistics.
    pub stats: Option<Arc<DatasetStats>>,
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
    /// A note about the last export.
    pub export_note: Option<String>,
    /// The path typed for export (when no file dialog is available).
    pub export_path: String,
    /// An export waiting for the user to agree to replace a file.
    pub confirm_replace: Option<PathBuf>,
    /// The path typed in the data panel.
    pub open_path: String,
    /// The "what if" values, one per used feature.
    pub what_if: Vec<f64>,
    /// The verdict on the "what if" row: score and flag.
    pub what_if_verdict: Option<(f64, bool)>,
    /// The statistics row selected for the histogram.
    pub selected_feature: usize,
    /// Sorting of the flagged rows table: column and ascending.
    pub flagged_sort: (FlaggedColumn, bool),
    /// Where the plots should centre next frame.
    pub center_on: Option<f64>,
    /// Series hidden in the plot legend are handled by egui_plot; the row the user picked.
    pub picked_row: Option<usize>,
    /// Generations whose answers are awaited, per kind.
    pub awaiting: Awaiting,
    /// Decimated plot series of the last frame, reused while nothing changes.
    pub plot_cache: Option<PlotCache>,
    /// The x range the plots showed in the last frame.
    pub plot_view: Option<(f64, f64)>,
    /// Client view: the dataset row of the client picked in the ranking.
    pub selected_client: Option<usize>,
    /// Client view: the picked client's requests per bucket (row, counts), made once per pick.
    pub client_series: Option<(usize, Vec<f64>)>,
    /// The region table typed in the data panel (traffic per region).
    pub regions_path: String,
    /// The access-log format typed in the data panel.
    pub log_format: String,
    /// Client view: rows ranked by score, highest first, for the detection they were made from.
    pub client_rank: Option<(usize, Arc<Vec<usize>>)>,
    /// Client view: the median of each feature (the typical client), for explanations.
    pub client_typical: Option<Arc<Vec<f64>>>,
    /// Client view: only clients whose address contains this text are listed.
    pub client_filter: String,
}

/// Plot series decimated for one view; reused while the view, the width and the data are the same.
#[derive(Debug, Clone)]
pub struct PlotCache {
    /// What the series were made for: visible x range (bits), width in pixels, data identity,
    /// and whether series are scaled to their range.
    pub key: (u64, u64, usize, usize, usize, bool),
    /// One series per feature.
    pub series: Vec<Vec<egui_plot::PlotPoint>>,
    /// The anomaly scores.
    pub scores: Vec<egui_plot::PlotPoint>,
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

/// Columns of the flagged rows table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlaggedColumn {
    /// Time (or row).
    #[default]
    Time,
    /// Anomaly score.
    Score,
}

impl AppState {
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

    /// Applies one event from the worker; returns true when the scores must be refreshed.
    pub fn apply(&mut self, event: Event) -> bool {
        match event {
            Event::Progress {
                generation,
                stage,
                done,
            } => {
                let busy = Some(Busy {
                    generation,
                    stage,
                    done,
                });
                if generation == self.awaiting.load {
                    self.loading = busy;
                } else if generation == self.awaiting.detect {
                    self.scoring = busy;
                }
                false
            }
            Event::Loaded {
                generation,
                dataset,
                stats,
            } => {
                if generation != self.awaiting.load {
                    return false;
                }
                self.loading = None;
                self.error = None;
                self.use_feature = vec![true; dataset.n_features()];
                self.what_if = stats.features.iter().map(|f| f.median).collect();
                self.what_if_verdict = None;
                self.selected_feature = 0;
                self.scores = None;
                self.picked_row = None;
                self.selected_client = None;
                self.client_series = None;
                self.client_rank = None;
                self.client_typical = None;
                let clients = dataset
                    .log
                    .as_ref()
                    .is_some_and(|t| t.view == LogView::Clients);
                if clients {
                    self.persisted.bottom_tab = BottomTab::Clients;
                } else if self.persisted.bottom_tab == BottomTab::Clients {
                    self.persisted.bottom_tab = BottomTab::Flagged;
                }
                self.dataset = Some(dataset);
                self.stats = Some(stats);
                true
            }
            Event::Scored {
                generation,
                detection,
                top_features,
                features,
                elapsed,
                work,
            } => {
                if generation != self.awaiting.detect {
                    return false;
                }
                self.scoring = None;
                self.error = None;
                self.scores = Some(Scores {
                    detection,
                    top_features,
                    features,
                    elapsed,
                    work,
                });
                false
            }
            Event::WhatIf {
                generation,
                score,
                flagged,
            } => {
                if generation == self.awaiting.what_if {
                    self.what_if_verdict = Some((score, flagged));
                }
                false
            }
            Event::Exported {
                generation,
                path,
                rows,
                what,
            } => {
                if generation == self.awaiting.export {
                    self.export_note = Some(format!("Wrote {rows} {what} to {}", path.display()));
                }
                false
            }
            Event::Failed { generation, error } => {
                if generation == self.awaiting.load {
                    self.loading = None;
                } else if generation == self.awaiting.detect {
                    self.scoring = None;
                } else if generation == self.awaiting.export {
                    self.export_note = Some(format!("Export failed: {error}"));
                    return false;
                } else if generation != self.awaiting.what_if {
                    return false;
                }
                self.error = Some(error.to_string());
                false
            }
            Event::Cancelled { generation } => {
                if self
                    .loading
                    .as_ref()
                    .is_some_and(|b| b.generation == generation)
                {
                    self.loading = None;
                }
                if self
                    .scoring
                    .as_ref()
                    .is_some_and(|b| b.generation == generation)
                {
                    self.scoring = None;
                }
                false
            }
        }
    }
}
