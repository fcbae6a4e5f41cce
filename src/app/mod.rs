//! The desktop app (eframe/egui): each panel owns its state and draws what the panels share
//! ([`AppState`]), returning [`Action`]s applied after drawing (the settings' before the views
//! that show their results, the rest after the frame); all loading and scoring runs
//! on the [`Worker`], which asks for a repaint when it has news, and file dialogs wait on a
//! thread of their own. The UI thread never fits a model and never blocks: the one thing it
//! computes itself is a new threshold on a table small enough to flag again within a frame.

mod alerts_panel;
mod client_plot;
mod clients_panel;
mod data_panel;
pub mod decimate;
mod detector_panel;
pub mod dialogs;
mod flagged_panel;
mod follow_panel;
mod hosts_panel;
pub mod live_data;
mod live_plot;
mod markers;
mod plot_panel;
pub mod state;
mod stats_panel;
mod time_axis;
mod whatif_panel;

use std::path::PathBuf;
use std::sync::Arc;

use egui::Ui;

pub use alerts_panel::alert_row;
pub use dialogs::{DialogFuture, DialogRequest, FileDialogs, PickPurpose, SavePurpose};
pub use follow_panel::FollowSettings;
pub use plot_panel::PlotCache;
pub use state::{Action, AppState, BottomTab, Persisted};

use crate::data::access::LogOptions;
use crate::data::access::LogView;
use crate::data::{Dataset, LoadOptions, Source};
use crate::worker::{Event, Job, Worker};
use state::{Busy, Scores};

/// The sample data bundled into the binary, so the app opens on it from any folder.
pub const SAMPLE_CSV: &[u8] = include_bytes!("../../sample_data/web_traffic.csv");

/// The bundled sample as a load source.
pub fn sample_source() -> Source {
    Source::Memory {
        name: "sample web traffic (bundled)".into(),
        bytes: Arc::from(SAMPLE_CSV),
    }
}

/// Every panel with state of its own (the detector panel has none: it edits the persisted
/// detector settings and the features in use).
#[derive(Debug, Default)]
struct Panels {
    data: data_panel::DataPanel,
    whatif: whatif_panel::WhatIfPanel,
    flagged: flagged_panel::FlaggedPanel,
    stats: stats_panel::StatsPanel,
    clients: clients_panel::ClientsPanel,
    hosts: hosts_panel::HostsPanel,
    plot: plot_panel::PlotPanel,
    client_plot: client_plot::ClientPlot,
    live_plot: live_plot::LivePlot,
}

/// The application: what the panels share, the panels, the worker and the file dialogs.
pub struct TrafficLensApp {
    /// What the panels share.
    pub state: AppState,
    panels: Panels,
    worker: Worker,
    dialogs: dialogs::Dialogs,
    /// The path of the load under way, remembered among recent files when it succeeds.
    pending_path: Option<PathBuf>,
    /// What the load under way reads, and what the table on screen was read from.
    pending_source: Option<Source>,
    current_source: Option<Source>,
    /// The log format given for the load under way, and for the log on screen (None: detected).
    pending_format: Option<String>,
    current_format: Option<String>,
}

impl TrafficLensApp {
    /// An app whose worker calls `notify` when it has news, opening `source` first.
    pub fn new(
        persisted: Persisted,
        source: Source,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let mut persisted = persisted;
        // A region file is chosen per session: it may be gone by the next run.
        if matches!(
            persisted.log.group,
            crate::data::access::LogGroup::Regions(_)
        ) {
            persisted.log.group = crate::data::access::LogGroup::All;
        }
        // Nothing is followed at start: the alerts tab would be empty.
        if persisted.bottom_tab == BottomTab::Alerts {
            persisted.bottom_tab = BottomTab::Flagged;
        }
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(notify);
        let repaint = Arc::clone(&notify);
        let mut app = TrafficLensApp {
            state: AppState {
                persisted,
                ..AppState::default()
            },
            panels: Panels::default(),
            worker: Worker::spawn(move || repaint()),
            dialogs: dialogs::Dialogs::new(Arc::new(dialogs::SystemDialogs), notify),
            pending_path: None,
            pending_source: None,
            current_source: None,
            pending_format: None,
            current_format: None,
        };
        app.load(source, None);
        app
    }

    /// Shows file dialogs with `backend` instead of the system's (tests script them).
    pub fn set_file_dialogs(&mut self, backend: Arc<dyn FileDialogs>) {
        self.dialogs.set_backend(backend);
    }

    /// The plot series as decimated for the last frame.
    pub fn plot_cache(&self) -> Option<&PlotCache> {
        self.panels.plot.cache.as_ref()
    }

    /// The x range (seconds) the live plot showed in the last frame.
    pub fn live_view(&self) -> Option<(f64, f64)> {
        self.panels.live_plot.shown
    }

    /// The subject the live plot shows.
    pub fn live_subject(&self) -> &str {
        &self.panels.live_plot.subject
    }

    /// The name of the number the live plot shows (a followed table's column, or one of an
    /// access log's five).
    pub fn live_feature_name(&self) -> Option<String> {
        let f = self.panels.live_plot.feature;
        match &self.state.live.features {
            Some(names) => names.get(f).cloned(),
            None => crate::live::watch::buckets::FEATURES
                .get(f)
                .map(|n| n.to_string()),
        }
    }

    /// True while the live plot's view is held (paused).
    pub fn live_paused(&self) -> bool {
        self.panels.live_plot.is_paused()
    }

    /// Applies an event as if the worker had sent it (the frame loop does this with every
    /// event; tests feed follow increments this way).
    pub fn apply_worker_event(&mut self, event: Event) {
        if apply_event(&mut self.state, event) {
            self.on_loaded();
        }
    }

    /// Draws one frame into `ui` (the whole window).
    pub fn ui_frame(&mut self, ui: &mut Ui) {
        for event in self.worker.poll() {
            self.apply_worker_event(event);
        }
        if let Some((request, path)) = self.dialogs.poll() {
            self.chosen(request, path);
        }
        self.state.dialog_open = self.dialogs.is_open();
        if let Some(path) = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .find(|p| !p.as_os_str().is_empty())
        }) {
            self.apply(Action::Open(path));
        }
        let mut actions = Vec::new();
        let state = &mut self.state;
        let panels = &mut self.panels;
        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("TrafficLens");
                ui.label(egui::RichText::new("anomalous web traffic").weak());
                if let Some(ds) = &state.dataset {
                    ui.separator();
                    ui.label(ds.file_name());
                }
                if state.loading.is_some() || state.scoring.is_some() {
                    ui.separator();
                    ui.spinner();
                }
                if state.dialog_open {
                    ui.separator();
                    ui.label("Waiting for the file dialog…");
                }
                ui.separator();
                follow_panel::top_bar(ui, state, &mut actions);
            });
        });
        egui::Panel::left("left")
            .resizable(true)
            .default_size(290.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    panels.data.ui(ui, state, &mut actions);
                    ui.separator();
                    detector_panel::ui(ui, state, &mut actions);
                });
            });
        // The settings' actions are applied before the panels that show their results are
        // drawn: a new threshold (re-thresholded here when small enough) shows in this frame.
        let shown = self.state.scores.as_ref().map(|s| s.generation);
        for action in actions.drain(..) {
            self.apply(action);
        }
        if self.state.scores.as_ref().map(|s| s.generation) != shown {
            // The panels drawn before (the flagged count) show the new threshold next frame.
            ui.ctx().request_repaint();
        }
        let state = &mut self.state;
        let panels = &mut self.panels;
        egui::Panel::right("right")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                panels.whatif.ui(ui, state, &mut actions);
            });
        let client_view = state
            .dataset
            .as_ref()
            .and_then(|d| d.log.as_ref())
            .is_some_and(|t| t.view == crate::data::access::LogView::Clients);
        let host_view = state
            .dataset
            .as_ref()
            .and_then(|d| d.network.as_ref())
            .is_some_and(|n| n.overall.is_some());
        egui::Panel::bottom("bottom")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if client_view || host_view {
                        ui.selectable_value(
                            &mut state.persisted.bottom_tab,
                            BottomTab::Clients,
                            if host_view {
                                "Ranked hosts"
                            } else {
                                "Ranked clients"
                            },
                        );
                    }
                    ui.selectable_value(
                        &mut state.persisted.bottom_tab,
                        BottomTab::Flagged,
                        "Flagged rows",
                    );
                    ui.selectable_value(
                        &mut state.persisted.bottom_tab,
                        BottomTab::Statistics,
                        "Statistics",
                    );
                    if state.live.following() || !state.live.alerts.is_empty() {
                        let title = format!("Alerts ({})", state.live.alerts.len());
                        ui.selectable_value(
                            &mut state.persisted.bottom_tab,
                            BottomTab::Alerts,
                            title,
                        );
                    }
                });
                ui.separator();
                match state.persisted.bottom_tab {
                    BottomTab::Flagged => panels.flagged.ui(ui, state, &mut actions),
                    BottomTab::Statistics => panels.stats.ui(ui, state),
                    BottomTab::Clients if host_view => panels.hosts.ui(ui, state, &mut actions),
                    BottomTab::Clients => panels.clients.ui(ui, state, &mut actions),
                    BottomTab::Alerts => alerts_panel::ui(ui, state, &mut actions),
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if state.live.following() {
                let size = egui::vec2(ui.available_width(), ui.available_height() * 0.45);
                ui.allocate_ui(size, |ui| {
                    ui.set_min_height(size.y);
                    panels.live_plot.ui(ui, state);
                });
                ui.separator();
            }
            if client_view || host_view {
                panels.client_plot.ui(ui, state);
            } else {
                panels.plot.ui(ui, state);
            }
        });
        for action in actions {
            self.apply(action);
        }
    }

    /// A dialog closed with a path: carry out what it was opened for.
    fn chosen(&mut self, request: DialogRequest, path: PathBuf) {
        let action = match request {
            DialogRequest::Pick(PickPurpose::Open) => Action::Open(path),
            DialogRequest::Pick(PickPurpose::Regions) => {
                self.panels.data.regions_path = path.display().to_string();
                Action::LogView(crate::data::access::LogOptions {
                    group: crate::data::access::LogGroup::Regions(path),
                    ..self.state.persisted.log.clone()
                })
            }
            DialogRequest::Save(SavePurpose::FlaggedRows, _) => Action::Export(path, true),
            DialogRequest::Save(SavePurpose::FlaggedLines, _) => Action::ExportLines(path, true),
        };
        self.apply(action);
    }

    /// A table arrived: remember the file, score it.
    fn on_loaded(&mut self) {
        if let Some(path) = self.pending_path.take() {
            self.state.remember(path);
        }
        if let Some(source) = self.pending_source.take() {
            self.current_source = Some(source);
            self.current_format = self.pending_format.take();
        }
        self.apply(Action::Rescore);
    }

    /// Starts or stops following the opened access log (on the worker's follow thread).
    fn set_follow(&mut self, on: bool) {
        self.worker.stop_follow();
        self.state.live.stop();
        if !on {
            return;
        }
        match follow_panel::request(&self.state) {
            Ok(request) => {
                let path = request.path.clone();
                let generation = self.worker.follow(request);
                self.state.live.start(generation, path);
                self.panels.live_plot.resume();
                self.state.persisted.bottom_tab = BottomTab::Alerts;
            }
            Err(why) => self.state.live.failed = Some(why.to_string()),
        }
    }

    /// Asks the worker to read `source` (as a log in `format` when given), with the log view
    /// options of the settings. A follow under way stops: it followed the file on screen.
    fn load(&mut self, source: Source, format: Option<String>) {
        if self.state.live.following() {
            self.set_follow(false);
        }
        let s = &mut self.state;
        self.pending_path = match &source {
            Source::File(p) => Some(p.clone()),
            Source::Memory { .. } => None,
        };
        self.pending_source = Some(source.clone());
        self.pending_format = format.clone();
        s.awaiting.load = self.worker.submit(Job::Load {
            source,
            options: LoadOptions {
                log: LogOptions {
                    format,
                    ..s.persisted.log.clone()
                },
                utc: s.persisted.times_in_utc,
                ..LoadOptions::default()
            },
        });
        s.loading = Some(state::Busy {
            generation: s.awaiting.load,
            stage: "loading",
            done: 0.0,
        });
    }

    /// The file to read again under new reading options, with the log format it was asked in:
    /// the one being read; else the one on screen; else the one whose reading failed (say,
    /// because a region file is gone), so that another choice can be tried.
    fn source_to_read_again(&self) -> Option<(Source, Option<String>)> {
        let pending = self
            .pending_source
            .clone()
            .map(|p| (p, self.pending_format.clone()));
        let current = self
            .current_source
            .clone()
            .map(|c| (c, self.current_format.clone()));
        if self.state.loading.is_some() {
            pending.or(current)
        } else {
            current.or(pending)
        }
    }

    /// Carries out an action.
    pub fn apply(&mut self, action: Action) {
        let s = &mut self.state;
        match action {
            Action::Open(path) => self.load(Source::File(path), None),
            Action::OpenSample => self.load(sample_source(), None),
            Action::LoadLog(path, format) => self.load(Source::File(path), Some(format)),
            Action::LogView(options) => {
                s.persisted.log = LogOptions {
                    format: None,
                    ..options
                };
                let log_on_screen = s.dataset.as_ref().is_some_and(|d| {
                    d.log.is_some() || d.network.as_ref().is_some_and(|n| n.conn.is_some())
                });
                if s.loading.is_none() && log_on_screen {
                    // Another view of the log the worker holds: no reading.
                    s.awaiting.load = self.worker.submit(Job::LogView(s.persisted.log.clone()));
                    s.loading = Some(state::Busy {
                        generation: s.awaiting.load,
                        stage: "loading",
                        done: 0.0,
                    });
                    return;
                }
                if let Some((source, format)) = self.source_to_read_again() {
                    self.load(source, format);
                }
            }
            Action::TimesInUtc(on) => {
                s.persisted.times_in_utc = on;
                if let Some((source, format)) = self.source_to_read_again() {
                    self.load(source, format);
                }
            }
            Action::Rescore => {
                if s.dataset.is_none() || !s.use_feature.iter().any(|on| *on) {
                    return;
                }
                let config = s.persisted.config;
                let features = s.features_in_use();
                if let (Some((detection, elapsed)), Some(scores)) =
                    (local_rethreshold(s), &mut s.scores)
                {
                    // Shown now; the worker's session takes the same detection (or, were its fit
                    // another, scores again), and its answer (this generation) ends the wait.
                    let detection = Arc::new(detection);
                    s.awaiting.detect = self.worker.submit(Job::Adopt {
                        detection: Arc::clone(&detection),
                        config,
                        features,
                    });
                    *scores = Scores {
                        generation: s.awaiting.detect,
                        detection,
                        elapsed,
                        work: crate::worker::ScoreWork::Rethresholded,
                        ..scores.clone()
                    };
                    return;
                }
                s.awaiting.detect = self.worker.submit(Job::Detect { config, features });
                s.scoring = Some(state::Busy {
                    generation: s.awaiting.detect,
                    stage: "scoring",
                    done: 0.0,
                });
            }
            Action::Cancel => {
                // The work stops; whatever it still sends is no longer awaited, and the table and
                // scores on screen stay as they were.
                self.worker.cancel_current();
                if s.loading.take().is_some() {
                    s.awaiting.load = 0;
                    self.pending_path = None;
                    self.pending_source = None;
                    self.pending_format = None;
                }
                if s.scoring.take().is_some() {
                    s.awaiting.detect = 0;
                }
            }
            Action::Export(path, overwrite) => {
                s.export_note = Some(format!("Writing {}…", path.display()));
                s.awaiting.export = self.worker.submit(Job::Export { path, overwrite });
            }
            Action::WhatIf(values) => {
                s.awaiting.what_if = self.worker.submit(Job::WhatIf { values });
            }
            Action::CenterOn(x) => self.panels.plot.center_on = Some(x),
            Action::SelectClient(row) => s.selected_client = Some(row),
            Action::PickFile(purpose) => self.open_dialog(DialogRequest::Pick(purpose)),
            Action::SaveFile(purpose, name) => {
                self.open_dialog(DialogRequest::Save(purpose, name));
            }
            Action::ExportLines(path, overwrite) => {
                s.export_note = Some(format!("Writing {}…", path.display()));
                s.awaiting.export = self.worker.submit(Job::ExportLines { path, overwrite });
            }
            Action::Follow(on) => self.set_follow(on),
            Action::FollowSettings(settings) => {
                self.state.persisted.follow = settings;
                if self.state.live.following() {
                    self.set_follow(true);
                }
            }
            Action::FocusAlert(index) => {
                if let Some(action) =
                    alerts_panel::focus(index, &mut self.state, &mut self.panels.live_plot)
                {
                    self.apply(action);
                }
            }
        }
    }

    /// Opens a file dialog beside the frame loop; says why when none can be opened.
    fn open_dialog(&mut self, request: DialogRequest) {
        match self.dialogs.open(request) {
            Ok(()) => self.state.dialog_open = true,
            Err(e) => self.state.error = Some(e.to_string()),
        }
    }
}

/// Above this many rows a new threshold is left to the worker: flagging them again would take
/// more than a frame's time on the UI thread.
const LOCAL_RETHRESHOLD_MAX_ROWS: usize = 2_000_000;

/// The detection on screen flagged again under the settings, computed here on the UI thread,
/// when only the threshold rule changed (the same model, features and scaling), no fit is under
/// way, the table is small enough ([`LOCAL_RETHRESHOLD_MAX_ROWS`]) and no tail fit is needed
/// (the automatic threshold once its tail is fitted). It is what the worker's session makes of
/// the same settings ([`crate::analysis::rethreshold`]); with it the frame that moves the
/// contamination slider shows the new flags. `None` leaves the work to the worker.
fn local_rethreshold(state: &AppState) -> Option<(crate::detect::Detection, std::time::Duration)> {
    let started = std::time::Instant::now();
    let (dataset, scores) = (state.dataset.as_ref()?, state.scores.as_ref()?);
    let detection = &scores.detection;
    let config = state.persisted.config;
    let same_model = crate::detect::DetectorConfig {
        threshold: config.threshold,
        contamination: config.contamination,
        risk: config.risk,
        ..detection.config
    } == config;
    let tail_ready = match config.threshold {
        crate::detect::spot::ThresholdMode::Contamination => true,
        crate::detect::spot::ThresholdMode::Auto => detection.tail.is_some(),
    };
    if state.scoring.is_some()
        || !same_model
        || !tail_ready
        || dataset.n_rows() > LOCAL_RETHRESHOLD_MAX_ROWS
        || *scores.features != state.features_in_use()
    {
        return None;
    }
    let detection = crate::analysis::rethreshold(dataset, detection, &config).ok()?;
    Some((detection, started.elapsed()))
}

/// Applies one event from the worker to what the panels share; returns true when a table
/// arrived (to be remembered and scored).
fn apply_event(state: &mut AppState, event: Event) -> bool {
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
            if generation == state.awaiting.load {
                state.loading = busy;
            } else if generation == state.awaiting.detect {
                state.scoring = busy;
            }
            false
        }
        Event::Loaded {
            generation,
            dataset,
            stats,
        } => {
            if generation != state.awaiting.load {
                return false;
            }
            state.loading = None;
            state.error = None;
            state.use_feature = vec![true; dataset.n_features()];
            state.what_if_verdict = None;
            state.scores = None;
            state.selected_client = None;
            state.data_generation = generation;
            state.xs = Arc::new(x_values(&dataset));
            let clients = dataset
                .log
                .as_ref()
                .is_some_and(|t| t.view == LogView::Clients);
            let hosts = dataset
                .network
                .as_ref()
                .is_some_and(|n| n.overall.is_some());
            let was_clients = state
                .dataset
                .as_ref()
                .and_then(|d| d.log.as_ref())
                .is_some_and(|t| t.view == LogView::Clients);
            if clients {
                state.persisted.bottom_tab = BottomTab::Clients;
                // A log's clients (100 or more: enough to learn a tail from) open under the
                // automatic threshold, a short list; the detector panel can switch to a
                // contamination, kept while clients stay on screen.
                if !was_clients && dataset.n_rows() >= crate::detect::spot::MIN_SCORES {
                    state.persisted.config.threshold = crate::detect::spot::ThresholdMode::Auto;
                    state.persisted.config.risk = crate::detect::spot::Risk::CLIENTS;
                }
            } else if hosts {
                // Hosts open on their ranking, as a log's clients do.
                state.persisted.bottom_tab = BottomTab::Clients;
            } else if state.persisted.bottom_tab == BottomTab::Clients {
                state.persisted.bottom_tab = BottomTab::Flagged;
            }
            state.dataset = Some(dataset);
            state.stats = Some(stats);
            true
        }
        Event::Scored {
            generation,
            detection,
            top_features,
            features,
            seasonal,
            elapsed,
            work,
        } => {
            if generation != state.awaiting.detect {
                return false;
            }
            state.scoring = None;
            state.error = None;
            if state
                .scores
                .as_ref()
                .is_some_and(|s| s.generation == generation)
                && work == crate::worker::ScoreWork::Rethresholded
            {
                // Re-thresholded here already (`local_rethreshold`): the same flags, and the
                // views built of them stay.
                return false;
            }
            state.scores = Some(Scores {
                generation,
                detection,
                top_features,
                features,
                seasonal,
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
            if generation == state.awaiting.what_if {
                state.what_if_verdict = Some((score, flagged));
            }
            false
        }
        Event::Exported {
            generation,
            path,
            rows,
            what,
        } => {
            if generation == state.awaiting.export {
                state.export_note = Some(format!("Wrote {rows} {what} to {}", path.display()));
            }
            false
        }
        Event::Failed { generation, error } => {
            if generation == state.awaiting.load {
                state.loading = None;
            } else if generation == state.awaiting.detect {
                state.scoring = None;
            } else if generation == state.awaiting.export {
                state.export_note = Some(format!("Export failed: {error}"));
                return false;
            } else if generation != state.awaiting.what_if {
                return false;
            }
            state.error = Some(error.to_string());
            false
        }
        Event::Followed {
            generation,
            increment,
        } => {
            state.live.apply(generation, *increment);
            false
        }
        Event::FollowFailed { generation, error } => {
            state.live.fail(generation, error.to_string());
            false
        }
        Event::Cancelled { generation } => {
            if state
                .loading
                .as_ref()
                .is_some_and(|b| b.generation == generation)
            {
                state.loading = None;
            }
            if state
                .scoring
                .as_ref()
                .is_some_and(|b| b.generation == generation)
            {
                state.scoring = None;
            }
            false
        }
    }
}

/// The x value of each row: seconds since 1970 when there is a time column, else the row.
fn x_values(ds: &Dataset) -> Vec<f64> {
    match &ds.time {
        Some(t) => t.millis.iter().map(|&ms| ms as f64 / 1000.0).collect(),
        None => (0..ds.n_rows()).map(|r| r as f64).collect(),
    }
}

/// The eframe wrapper: persistence and the window.
struct DesktopApp(TrafficLensApp);

impl eframe::App for DesktopApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.0.ui_frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.0.state.persisted);
    }
}

/// Opens the window on `file`, or on the bundled sample data.
pub fn run(file: Option<PathBuf>) -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("TrafficLens")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([900.0, 600.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "TrafficLens",
        options,
        Box::new(move |cc| {
            let persisted: Persisted = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            let ctx = cc.egui_ctx.clone();
            let source = file.map_or_else(sample_source, Source::File);
            Ok(Box::new(DesktopApp(TrafficLensApp::new(
                persisted,
                source,
                move || ctx.request_repaint(),
            ))))
        }),
    )
}
