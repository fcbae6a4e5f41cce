//! The desktop app (eframe/egui): panels draw [`AppState`] and return [`Action`]s, applied after
//! each frame; all loading and scoring runs on the [`Worker`], which asks for a repaint when it
//! has news. The UI thread never fits a model and never blocks.

mod client_plot;
mod clients_panel;
mod data_panel;
pub mod decimate;
mod detector_panel;
mod flagged_panel;
mod plot_panel;
pub mod state;
mod stats_panel;
mod time_axis;
mod whatif_panel;

use std::path::PathBuf;
use std::sync::Arc;

use egui::Ui;

pub use state::{Action, AppState, BottomTab, Persisted};

use crate::data::access::LogOptions;
use crate::data::LoadOptions;
use crate::worker::{Job, LoadSource, Worker};

/// The sample data bundled into the binary, so the app opens on it from any folder.
pub const SAMPLE_CSV: &[u8] = include_bytes!("../../sample_data/web_traffic.csv");

/// The bundled sample as a load source.
pub fn sample_source() -> LoadSource {
    LoadSource::Bytes {
        name: "sample web traffic (bundled)".into(),
        bytes: Arc::from(SAMPLE_CSV),
    }
}

/// The application: state, the worker, and the x values of the plotted rows.
pub struct TrafficLensApp {
    /// What the panels show.
    pub state: AppState,
    worker: Worker,
    /// x value (seconds or row) of each row, made once per loaded table.
    xs: Vec<f64>,
    /// The path of the load under way, remembered among recent files when it succeeds.
    pending_path: Option<PathBuf>,
    /// What the load under way reads, and what the table on screen was read from.
    pending_source: Option<LoadSource>,
    current_source: Option<LoadSource>,
    /// The log format given for the load under way, and for the log on screen (None: detected).
    pending_format: Option<String>,
    current_format: Option<String>,
}

impl TrafficLensApp {
    /// An app whose worker calls `notify` when it has news, opening `source` first.
    pub fn new(
        persisted: Persisted,
        source: LoadSource,
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
        let mut app = TrafficLensApp {
            state: AppState {
                persisted,
                ..AppState::default()
            },
            worker: Worker::spawn(notify),
            xs: Vec::new(),
            pending_path: None,
            pending_source: None,
            current_source: None,
            pending_format: None,
            current_format: None,
        };
        app.apply(Action::Load(source));
        app
    }

    /// Draws one frame into `ui` (the whole window).
    pub fn ui_frame(&mut self, ui: &mut Ui) {
        for event in self.worker.poll() {
            if self.state.apply(event) {
                self.on_loaded();
            }
        }
        if let Some(path) = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .find(|p| !p.as_os_str().is_empty())
        }) {
            self.apply(Action::Load(LoadSource::Path(path)));
        }
        let mut actions = Vec::new();
        let state = &mut self.state;
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
            });
        });
        egui::Panel::left("left")
            .resizable(true)
            .default_size(290.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    data_panel::ui(ui, state, &mut actions);
                    ui.separator();
                    detector_panel::ui(ui, state, &mut actions);
                });
            });
        egui::Panel::right("right")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                whatif_panel::ui(ui, state, &mut actions);
            });
        egui::Panel::bottom("bottom")
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if state
                        .dataset
                        .as_ref()
                        .and_then(|d| d.log.as_ref())
                        .is_some_and(|t| t.view == crate::data::access::LogView::Clients)
                    {
                        ui.selectable_value(
                            &mut state.persisted.bottom_tab,
                            BottomTab::Clients,
                            "Ranked clients",
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
                });
                ui.separator();
                match state.persisted.bottom_tab {
                    BottomTab::Flagged => flagged_panel::ui(ui, state, &self.xs, &mut actions),
                    BottomTab::Statistics => stats_panel::ui(ui, state),
                    BottomTab::Clients => clients_panel::ui(ui, state, &mut actions),
                }
            });
        let client_view = state
            .dataset
            .as_ref()
            .and_then(|d| d.log.as_ref())
            .is_some_and(|t| t.view == crate::data::access::LogView::Clients);
        egui::CentralPanel::default().show(ui, |ui| {
            if client_view {
                client_plot::ui(ui, state);
            } else {
                plot_panel::ui(ui, state, &self.xs);
            }
        });
        for action in actions {
            self.apply(action);
        }
    }

    /// A table arrived: prepare the plot's x values, remember the file, score it.
    fn on_loaded(&mut self) {
        self.xs = plot_panel::x_values(&self.state);
        if let Some(path) = self.pending_path.take() {
            self.state.remember(path);
        }
        if let Some(source) = self.pending_source.take() {
            self.current_source = Some(source);
            self.current_format = self.pending_format.take();
        }
        self.apply(Action::Rescore);
    }

    /// Asks the worker to read `source` (as a log in `format` when given), with the log view
    /// options of the settings.
    fn load(&mut self, source: LoadSource, format: Option<String>) {
        let s = &mut self.state;
        self.pending_path = match &source {
            LoadSource::Path(p) => Some(p.clone()),
            LoadSource::Bytes { .. } => None,
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
                ..LoadOptions::default()
            },
        });
        s.loading = Some(state::Busy {
            generation: s.awaiting.load,
            stage: "loading",
            done: 0.0,
        });
    }

    /// Carries out an action.
    pub fn apply(&mut self, action: Action) {
        let s = &mut self.state;
        match action {
            Action::Load(source) => self.load(source, None),
            Action::LoadLog(path, format) => self.load(LoadSource::Path(path), Some(format)),
            Action::LogView(options) => {
                s.persisted.log = LogOptions {
                    format: None,
                    ..options
                };
                // The file being read; else the table on screen; else the file whose reading
                // failed (say, because a region file is gone), so another choice can be tried.
                let pending = self
                    .pending_source
                    .clone()
                    .map(|p| (p, self.pending_format.clone()));
                let current = self
                    .current_source
                    .clone()
                    .map(|c| (c, self.current_format.clone()));
                let log_on_screen = s.dataset.as_ref().is_some_and(|d| d.log.is_some());
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
                let target = if s.loading.is_some() {
                    pending
                } else {
                    current.or(pending)
                };
                if let Some((source, format)) = target {
                    self.load(source, format);
                }
            }
            Action::Rescore => {
                if s.dataset.is_none() || !s.use_feature.iter().any(|on| *on) {
                    return;
                }
                s.awaiting.detect = self.worker.submit(Job::Detect {
                    config: s.persisted.config,
                    features: s.features_in_use(),
                });
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
            Action::WhatIf => {
                let (Some(stats), Some(scores)) = (&s.stats, &s.scores) else {
                    return;
                };
                let values: Vec<f64> = scores
                    .features
                    .iter()
                    .map(|name| {
                        stats
                            .features
                            .iter()
                            .position(|f| &f.name == name)
                            .and_then(|i| s.what_if.get(i).copied())
                            .unwrap_or(0.0)
                    })
                    .collect();
                s.awaiting.what_if = self.worker.submit(Job::WhatIf { values });
            }
            Action::CenterOn(x) => s.center_on = Some(x),
            Action::ExportLines(path, overwrite) => {
                s.export_note = Some(format!("Writing {}…", path.display()));
                s.awaiting.export = self.worker.submit(Job::ExportLines { path, overwrite });
            }
        }
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
            let source = file.map_or_else(sample_source, LoadSource::Path);
            Ok(Box::new(DesktopApp(TrafficLensApp::new(
                persisted,
                source,
                move || ctx.request_repaint(),
            ))))
        }),
    )
}
