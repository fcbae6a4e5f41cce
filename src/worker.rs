//! The background worker: loading, statistics, fitting and scoring run on one thread of their
//! own, never on the caller's (the GUI's) thread. Requests go in over a channel and events come
//! back over another; after each event the worker calls a `notify` function (the GUI asks egui
//! to repaint there).
//!
//! Every request gets a generation number. A newer request supersedes older ones: requests still
//! queued are skipped, a running fit is cancelled, and the caller drops events of generations it
//! no longer waits for. Changing the contamination re-thresholds the last detection without a
//! refit; changing only the LOF neighbours reuses the cached neighbour lists.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::data::access::LogControl;
use crate::data::stats::{describe, DatasetStats};
use crate::data::{load_source_with, Dataset, LoadError, LoadOptions, Source};
use crate::detect::iforest::Control;
use crate::detect::run::{fit_forest, fit_lof_cached, Model};
use crate::detect::{
    Algorithm, Detection, DetectorConfig, FitError, Matrix, NeighbourCache, Scaling,
};

/// The largest k kept in the neighbour cache of the LOF slider.
pub const LOF_CACHE_K: usize = 100;

/// Above this many rows the LOF cache holds only the k asked for (lists of 100 would be too big).
pub const LOF_CACHE_MAX_ROWS: usize = 200_000;

/// Where a table comes from.
#[derive(Debug, Clone)]
pub enum LoadSource {
    /// A file.
    Path(PathBuf),
    /// Bytes in memory, such as the bundled sample.
    Bytes {
        /// Name shown in messages.
        name: String,
        /// The content.
        bytes: Arc<[u8]>,
    },
}

/// Work for the worker.
#[derive(Debug, Clone)]
pub enum Job {
    /// Load a table and compute its statistics.
    Load {
        /// The table.
        source: LoadSource,
        /// How to read it.
        options: LoadOptions,
    },
    /// Score the loaded table.
    Detect {
        /// Detector settings.
        config: DetectorConfig,
        /// Features to use, by name (empty: all).
        features: Vec<String>,
    },
    /// Score one new row with the last fitted model ("what if").
    WhatIf {
        /// One value per feature of the last detection, unscaled.
        values: Vec<f64>,
    },
    /// Write the log lines of the clients or buckets flagged by the last detection (atomic).
    ExportLines {
        /// The file to write.
        path: PathBuf,
        /// Replace it if it exists (the user has agreed).
        overwrite: bool,
    },
    /// Write the rows flagged by the last detection (original cells, formula-safe, atomic).
    Export {
        /// The file to write.
        path: PathBuf,
        /// Replace it if it exists (the user has agreed).
        overwrite: bool,
    },
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// Work under way: `done` from 0 to 1.
    Progress {
        /// The request.
        generation: u64,
        /// What is being done.
        stage: &'static str,
        /// Share done.
        done: f32,
    },
    /// A table was loaded.
    Loaded {
        /// The request.
        generation: u64,
        /// The table.
        dataset: Arc<Dataset>,
        /// Its statistics.
        stats: Arc<DatasetStats>,
    },
    /// The table was scored.
    Scored {
        /// The request.
        generation: u64,
        /// Scores, flags and threshold.
        detection: Arc<Detection>,
        /// The feature (index into `features`) that explains each row most.
        top_features: Arc<Vec<usize>>,
        /// The features used.
        features: Arc<Vec<String>>,
        /// How long the work took.
        elapsed: Duration,
        /// What had to be computed.
        work: ScoreWork,
    },
    /// The verdict on one new row.
    WhatIf {
        /// The request.
        generation: u64,
        /// Its anomaly score (higher = more anomalous).
        score: f64,
        /// Whether the model would flag it.
        flagged: bool,
    },
    /// Flagged rows were written.
    Exported {
        /// The request.
        generation: u64,
        /// The file.
        path: PathBuf,
        /// How many rows (or log lines).
        rows: usize,
        /// What was written: `flagged rows` or `log lines`.
        what: &'static str,
    },
    /// The request failed; nothing else changed.
    Failed {
        /// The request.
        generation: u64,
        /// Why.
        error: WorkerError,
    },
    /// The request was cancelled or superseded before it finished.
    Cancelled {
        /// The request.
        generation: u64,
    },
}

/// How much work a score update took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreWork {
    /// The model was fitted and every row scored.
    Fitted,
    /// Only the contamination changed: the last scores were re-thresholded.
    Rethresholded,
    /// LOF for another k from neighbour lists searched before (no new search).
    NeighboursReused,
}

/// Why a request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WorkerError {
    /// The file could not be loaded.
    #[error(transparent)]
    Load(Arc<LoadError>),
    /// The detector could not run.
    #[error(transparent)]
    Detect(#[from] FitError),
    /// Scoring was asked for before any table was loaded.
    #[error("no table is loaded")]
    NoData,
    /// A feature name is not in the table.
    #[error("no numeric column named `{0}`")]
    NoSuchFeature(String),
    /// "What if" or export was asked for before any detection.
    #[error("nothing has been scored yet")]
    NotScored,
    /// The export failed.
    #[error(transparent)]
    Export(Arc<crate::export::TableError>),
    /// Log lines were asked for, but the table is not an access log.
    #[error("the table on screen is not an access log")]
    NotALog,
}

/// The job under way, shared between the caller and the worker thread.
struct Running {
    /// Its kind.
    kind: JobKind,
    /// Set to cancel it.
    flag: Arc<AtomicBool>,
    /// Every generation up to this one is cancelled (also while still queued).
    cancelled_through: u64,
}

/// Kinds of job, for deciding what a new request supersedes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Load,
    Detect,
    Other,
}

impl JobKind {
    fn of(job: &Job) -> Self {
        match job {
            Job::Load { .. } => JobKind::Load,
            Job::Detect { .. } => JobKind::Detect,
            Job::WhatIf { .. } | Job::Export { .. } | Job::ExportLines { .. } => JobKind::Other,
        }
    }
}

/// A request as queued.
struct Request {
    generation: u64,
    job: Job,
}

/// The caller's handle on the worker thread.
pub struct Worker {
    requests: Option<Sender<Request>>,
    events: Receiver<Event>,
    /// The work under way and how to cancel it.
    cancel: Arc<Mutex<Running>>,
    next_generation: u64,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread; `notify` is called after every event it sends.
    pub fn spawn(notify: impl Fn() + Send + Sync + 'static) -> Worker {
        let (req_tx, req_rx) = channel::<Request>();
        let (ev_tx, ev_rx) = channel::<Event>();
        let cancel = Arc::new(Mutex::new(Running {
            kind: JobKind::Other,
            flag: Arc::new(AtomicBool::new(false)),
            cancelled_through: 0,
        }));
        let thread_cancel = Arc::clone(&cancel);
        let thread = std::thread::Builder::new()
            .name("trafficlens-worker".into())
            .spawn(move || {
                let mut state = State::default();
                let send = |e: Event| {
                    let _ = ev_tx.send(e);
                    notify();
                };
                while let Ok(first) = req_rx.recv() {
                    // Coalesce: of the queued loads and detections, only the newest of each runs
                    // (a load also makes older detections pointless).
                    let mut queue = vec![first];
                    queue.extend(req_rx.try_iter());
                    let newest_load = queue
                        .iter()
                        .rposition(|r| matches!(r.job, Job::Load { .. }));
                    let newest_detect = queue
                        .iter()
                        .rposition(|r| matches!(r.job, Job::Detect { .. }));
                    let newest_what_if = queue
                        .iter()
                        .rposition(|r| matches!(r.job, Job::WhatIf { .. }));
                    for (i, req) in queue.into_iter().enumerate() {
                        let keep = match req.job {
                            Job::Load { .. } => Some(i) == newest_load,
                            Job::Detect { .. } => Some(i) == newest_detect,
                            Job::WhatIf { .. } => Some(i) == newest_what_if,
                            Job::Export { .. } | Job::ExportLines { .. } => true,
                        };
                        if !keep {
                            send(Event::Cancelled {
                                generation: req.generation,
                            });
                            continue;
                        }
                        let flag = Arc::new(AtomicBool::new(false));
                        if let Ok(mut c) = thread_cancel.lock() {
                            // Cancelled while it waited in the queue.
                            flag.store(req.generation <= c.cancelled_through, Ordering::Relaxed);
                            c.kind = JobKind::of(&req.job);
                            c.flag = Arc::clone(&flag);
                        }
                        if flag.load(Ordering::Relaxed) {
                            send(Event::Cancelled {
                                generation: req.generation,
                            });
                            continue;
                        }
                        let event = state.handle(req.generation, req.job, &flag, &send);
                        send(event);
                    }
                }
            })
            .ok();
        Worker {
            requests: Some(req_tx),
            events: ev_rx,
            cancel,
            next_generation: 1,
            thread,
        }
    }

    /// Queues a job; returns its generation number. A running job that the new one makes
    /// pointless is cancelled: a load cancels a load or a scoring, a scoring cancels a scoring.
    pub fn submit(&mut self, job: Job) -> u64 {
        let generation = self.next_generation;
        self.next_generation += 1;
        let new = JobKind::of(&job);
        if let Ok(c) = self.cancel.lock() {
            let supersedes = matches!(
                (new, c.kind),
                (JobKind::Load, JobKind::Load | JobKind::Detect)
                    | (JobKind::Detect, JobKind::Detect)
            );
            if supersedes {
                c.flag.store(true, Ordering::Relaxed);
            }
        }
        if let Some(tx) = &self.requests {
            let _ = tx.send(Request { generation, job });
        }
        generation
    }

    /// Cancels the work under way and everything queued so far (each reports
    /// [`Event::Cancelled`]).
    pub fn cancel_current(&self) {
        if let Ok(mut c) = self.cancel.lock() {
            c.flag.store(true, Ordering::Relaxed);
            c.cancelled_through = self.next_generation - 1;
        }
    }

    /// Every event sent since the last call, oldest first; never blocks.
    pub fn poll(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event (for tests and the command line).
    pub fn wait(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.cancel_current();
        self.requests = None; // closes the channel: the thread's loop ends
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the worker keeps between requests.
#[derive(Default)]
struct State {
    dataset: Option<Arc<Dataset>>,
    /// The matrix last prepared for detection, with what it was made from.
    prepared: Option<Prepared>,
    /// The last detection, to re-threshold without a refit.
    last: Option<LastScores>,
    /// The last fitted model, for "what if".
    model: Option<Model>,
}

/// The last scores sent, with what produced them.
struct LastScores {
    config: DetectorConfig,
    features: Arc<Vec<String>>,
    detection: Arc<Detection>,
    top: Arc<Vec<usize>>,
}

/// Selected and scaled columns, and the LOF neighbour lists searched on them.
struct Prepared {
    features: Vec<String>,
    scaling: Scaling,
    scaler: Option<crate::detect::Scaler>,
    columns: Vec<Vec<f64>>,
    lof: Option<NeighbourCache>,
}

impl State {
    fn handle(
        &mut self,
        generation: u64,
        job: Job,
        cancel: &AtomicBool,
        send: &(impl Fn(Event) + Sync),
    ) -> Event {
        let started = Instant::now();
        let result = match job {
            Job::Load { source, options } => self.load(generation, source, &options, cancel, send),
            Job::Detect { config, features } => {
                self.detect(generation, config, features, cancel, send, started)
            }
            Job::WhatIf { values } => self.what_if(generation, &values),
            Job::Export { path, overwrite } => self.export(generation, path, overwrite),
            Job::ExportLines { path, overwrite } => self.export_lines(generation, path, overwrite),
        };
        match result {
            Ok(event) => event,
            Err(WorkerError::Detect(FitError::Cancelled)) => Event::Cancelled { generation },
            Err(error) => Event::Failed { generation, error },
        }
    }

    fn load(
        &mut self,
        generation: u64,
        source: LoadSource,
        options: &LoadOptions,
        cancel: &AtomicBool,
        send: &(impl Fn(Event) + Sync),
    ) -> Result<Event, WorkerError> {
        send(Event::Progress {
            generation,
            stage: "loading",
            done: 0.0,
        });
        let report = |done: f32| {
            send(Event::Progress {
                generation,
                stage: "reading",
                done: done * 0.9,
            })
        };
        let control = LogControl {
            cancel: Some(cancel),
            progress: Some(&report),
        };
        let loaded = match source {
            // Another view of the log on screen: no need to read it again.
            LoadSource::Path(p) => match self.log_on_screen(&p, options) {
                Some(log) => crate::data::access::view(log, &options.log),
                None => load_source_with(Source::File(p), options, control),
            },
            LoadSource::Bytes { name, bytes } => load_source_with(
                Source::Memory {
                    name: name.into(),
                    bytes,
                },
                options,
                control,
            ),
        };
        if matches!(&loaded, Err(e) if e.is_cancelled()) {
            return Err(WorkerError::Detect(FitError::Cancelled));
        }
        let dataset = Arc::new(loaded.map_err(|e| WorkerError::Load(Arc::new(e)))?);
        send(Event::Progress {
            generation,
            stage: "statistics",
            done: 0.5,
        });
        let stats = Arc::new(describe(&dataset));
        // A cancelled load leaves the current table in place.
        if cancel.load(Ordering::Relaxed) {
            return Err(WorkerError::Detect(FitError::Cancelled));
        }
        self.dataset = Some(Arc::clone(&dataset));
        self.prepared = None;
        self.last = None;
        self.model = None;
        Ok(Event::Loaded {
            generation,
            dataset,
            stats,
        })
    }

    /// The parsed log on screen when `path` is its file, unchanged on disk, and `options` ask
    /// for the same format.
    fn log_on_screen(
        &self,
        path: &std::path::Path,
        options: &LoadOptions,
    ) -> Option<Arc<crate::data::access::AccessLog>> {
        let log = &self.dataset.as_ref()?.log.as_ref()?.log;
        let same_format = match &options.log.format {
            Some(f) => crate::data::access::LogFormat::parse(f)
                .is_ok_and(|f| f.pieces == log.format.pieces),
            None => true,
        };
        let unchanged = log.source.fingerprint().is_ok_and(|f| f == log.fingerprint);
        (log.source.path() == path && same_format && unchanged).then(|| Arc::clone(log))
    }

    fn detect(
        &mut self,
        generation: u64,
        config: DetectorConfig,
        features: Vec<String>,
        cancel: &AtomicBool,
        send: &(impl Fn(Event) + Sync),
        started: Instant,
    ) -> Result<Event, WorkerError> {
        let ds = self.dataset.clone().ok_or(WorkerError::NoData)?;
        let features = if features.is_empty() {
            ds.feature_names.clone()
        } else {
            features
        };
        let scored = |detection: Arc<Detection>,
                      top: Arc<Vec<usize>>,
                      features: Arc<Vec<String>>,
                      work: ScoreWork| Event::Scored {
            generation,
            detection,
            top_features: top,
            features,
            elapsed: started.elapsed(),
            work,
        };

        // Only the contamination changed: re-threshold, no refit.
        if let Some(last) = &self.last {
            let same_model = DetectorConfig {
                contamination: config.contamination,
                ..last.config
            } == config;
            if same_model && *last.features == features {
                let mut d = (*last.detection).clone();
                d.rethreshold(config.contamination);
                let next = LastScores {
                    config,
                    features: Arc::clone(&last.features),
                    detection: Arc::new(d),
                    top: Arc::clone(&last.top),
                };
                let event = scored(
                    Arc::clone(&next.detection),
                    Arc::clone(&next.top),
                    Arc::clone(&next.features),
                    ScoreWork::Rethresholded,
                );
                self.last = Some(next);
                return Ok(event);
            }
        }

        let prepared_fits = self
            .prepared
            .as_ref()
            .is_some_and(|p| p.features == features && p.scaling == config.scaling);
        if !prepared_fits {
            let mut columns = Vec::with_capacity(features.len());
            for name in &features {
                let col = ds
                    .feature(name)
                    .ok_or_else(|| WorkerError::NoSuchFeature(name.clone()))?;
                columns.push(col.to_vec());
            }
            let x = Matrix::new(&columns, &features)?;
            let scaler = (config.scaling != Scaling::None)
                .then(|| crate::detect::Scaler::fit(&x, config.scaling));
            let columns = match &scaler {
                Some(s) => s.transform(&x)?,
                None => columns,
            };
            self.prepared = Some(Prepared {
                features: features.clone(),
                scaling: config.scaling,
                scaler,
                columns,
                lof: None,
            });
        }
        let Some(prepared) = self.prepared.as_mut() else {
            return Err(WorkerError::NoData);
        };
        let x = Matrix::new(&prepared.columns, &prepared.features)?;
        let all_rows = |d: &Detection| (0..d.scores.len()).collect::<Vec<usize>>();
        let progress = |done: f32| {
            send(Event::Progress {
                generation,
                stage: "scoring",
                done,
            })
        };
        let mut work = ScoreWork::Fitted;
        let fitted = match config.algorithm {
            Algorithm::IsolationForest => {
                let control = Control {
                    cancel: Some(cancel),
                    progress: Some(&progress),
                };
                fit_forest(&x, &config, all_rows, control)?
            }
            Algorithm::Lof => {
                let k = config.n_neighbors;
                let rows = x.rows();
                let cached = prepared.lof.as_ref().is_some_and(|c| k <= c.k_max());
                if cached {
                    work = ScoreWork::NeighboursReused;
                } else {
                    progress(0.0);
                    let k_max = if rows <= LOF_CACHE_MAX_ROWS {
                        LOF_CACHE_K.max(k)
                    } else {
                        k
                    };
                    prepared.lof = Some(NeighbourCache::build(&x, k_max)?);
                }
                if cancel.load(Ordering::Relaxed) {
                    return Err(WorkerError::Detect(FitError::Cancelled));
                }
                let Some(cache) = prepared.lof.as_ref() else {
                    return Err(WorkerError::NoData);
                };
                fit_lof_cached(cache, &x, &config, all_rows)?
            }
        };
        let (detection, top) = (fitted.detection, fitted.top_features);
        self.model = Some(fitted.model);
        let last = LastScores {
            config,
            features: Arc::new(features),
            detection: Arc::new(detection),
            top: Arc::new(top),
        };
        let event = scored(
            Arc::clone(&last.detection),
            Arc::clone(&last.top),
            Arc::clone(&last.features),
            work,
        );
        self.last = Some(last);
        Ok(event)
    }

    fn what_if(&mut self, generation: u64, values: &[f64]) -> Result<Event, WorkerError> {
        let (Some(model), Some(last)) = (&self.model, &self.last) else {
            return Err(WorkerError::NotScored);
        };
        let row = match self.prepared.as_ref().and_then(|p| p.scaler.as_ref()) {
            Some(s) => s.transform_row(values)?,
            None => values.to_vec(),
        };
        let score = model.anomaly_score(&row)?;
        Ok(Event::WhatIf {
            generation,
            score,
            flagged: score > last.detection.threshold,
        })
    }

    fn export(
        &mut self,
        generation: u64,
        path: PathBuf,
        overwrite: bool,
    ) -> Result<Event, WorkerError> {
        let (Some(ds), Some(last)) = (&self.dataset, &self.last) else {
            return Err(WorkerError::NotScored);
        };
        let rows = last.detection.flagged_rows();
        let scores: Vec<f64> = rows.iter().map(|&r| last.detection.scores[r]).collect();
        let tops: Vec<String> = rows
            .iter()
            .map(|&r| last.features.get(last.top[r]).cloned().unwrap_or_default())
            .collect();
        let top_idx: Vec<usize> = rows.iter().map(|&r| last.top[r]).collect();
        let why = crate::data::access::verdict::explain_rows(ds, &rows, &top_idx, &last.features);
        let export = |e| WorkerError::Export(Arc::new(e));
        let target = crate::export::OutputPlan::new(&ds.input_files(), overwrite)
            .file(&path)
            .map_err(|e| export(e.into()))?;
        crate::export::write_flagged_to(&target, ds, &rows, &scores, &tops, why.as_deref())
            .map_err(export)?;
        Ok(Event::Exported {
            generation,
            path,
            rows: rows.len(),
            what: "flagged rows",
        })
    }

    fn export_lines(
        &mut self,
        generation: u64,
        path: PathBuf,
        overwrite: bool,
    ) -> Result<Event, WorkerError> {
        let (Some(ds), Some(last)) = (&self.dataset, &self.last) else {
            return Err(WorkerError::NotScored);
        };
        let (Some(table), Some(filter)) = (
            ds.log.as_ref(),
            crate::export::LineFilter::for_rows(ds, &last.detection.flagged_rows()),
        ) else {
            return Err(WorkerError::NotALog);
        };
        let export = |e| WorkerError::Export(Arc::new(e));
        let target = crate::export::OutputPlan::new(&ds.input_files(), overwrite)
            .file(&path)
            .map_err(|e| export(e.into()))?;
        let n = crate::export::write_log_lines_to(&target, &table.log, &filter).map_err(export)?;
        Ok(Event::Exported {
            generation,
            path,
            rows: usize::try_from(n.written).unwrap_or(usize::MAX),
            what: "log lines",
        })
    }
}
