//! The background worker: loading, statistics, fitting and scoring run on one thread of their
//! own, never on the caller's (the GUI's) thread. Requests go in over a channel and events come
//! back over another; after each event the worker calls a `notify` function (the GUI asks egui
//! to repaint there).
//!
//! Every request gets a generation number. A newer request supersedes older ones: requests still
//! queued are skipped, a running fit is cancelled, and the caller drops events of generations it
//! no longer waits for. The analysis itself (what to refit, re-threshold or reuse) is the
//! [`crate::analysis::Session`]'s: the worker holds one session per loaded table and forwards
//! every job to it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::analysis::{AnalysisError, Session};
use crate::control::Control;
use crate::data::access::LogOptions;
use crate::data::stats::{describe, DatasetStats};
use crate::data::{load_source_with, Dataset, LoadError, LoadOptions, Source};
use crate::detect::seasonal::SeasonalScores;
use crate::detect::{Detection, DetectorConfig, FitError};

pub use crate::analysis::{ScoreWork, LOF_CACHE_K, LOF_CACHE_MAX_ROWS};
pub use follow::{FollowFailure, FollowKind, FollowRequest, Increment, BATCH_EVERY};

mod follow;

/// Work for the worker.
#[derive(Debug, Clone)]
pub enum Job {
    /// Load a table and compute its statistics.
    Load {
        /// The table.
        source: Source,
        /// How to read it.
        options: LoadOptions,
    },
    /// Show another view (clients or traffic, bucket, grouping) of the access log already
    /// loaded, without reading it again.
    LogView(LogOptions),
    /// Score the loaded table.
    Detect {
        /// Detector settings.
        config: DetectorConfig,
        /// Features to use, by name (empty: all).
        features: Vec<String>,
    },
    /// Take `detection`, re-thresholded by the caller from the session's current detection
    /// ([`crate::analysis::rethreshold`]), as the session's own, or, when it was not made from
    /// the current fit, score with `config` and `features` as [`Job::Detect`] does.
    Adopt {
        /// The re-thresholded detection.
        detection: Arc<Detection>,
        /// Detector settings (for the fallback).
        config: DetectorConfig,
        /// Features to use, by name (for the fallback).
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
    /// Write the scores of the last detection (`row,anomaly_score,flagged`, as `detect
    /// --scores-out` writes them; atomic).
    ExportScores {
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
        /// The seasonal baseline's expected values and bands, when it made the scores.
        seasonal: Option<Arc<SeasonalScores>>,
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
        /// What was written: `flagged rows`, `scores` or `log lines`.
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
    /// What the followed log gave since the last increment (see [`Worker::follow`]).
    Followed {
        /// The follow request.
        generation: u64,
        /// Buckets, alerts, notes and counts.
        increment: Box<Increment>,
    },
    /// Following could not start (the follow has ended).
    FollowFailed {
        /// The follow request.
        generation: u64,
        /// Why.
        error: FollowFailure,
    },
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
    /// A feature is named twice.
    #[error("`{0}` is named twice")]
    FeatureTwice(String),
    /// "What if" or export was asked for before any detection.
    #[error("nothing has been scored yet")]
    NotScored,
    /// The export failed.
    #[error(transparent)]
    Export(Arc<crate::export::TableError>),
    /// Log lines or a log view were asked for, but the table is not an access log.
    #[error("the table on screen is not an access log or a Zeek conn.log")]
    NotALog,
}

impl From<AnalysisError> for WorkerError {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::NoSuchFeature(name) => WorkerError::NoSuchFeature(name),
            AnalysisError::FeatureTwice(name) => WorkerError::FeatureTwice(name),
            AnalysisError::Fit(e) => WorkerError::Detect(e),
            AnalysisError::NotScored => WorkerError::NotScored,
        }
    }
}

/// The job under way, shared between the caller and the worker thread.
struct CurrentJob {
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
            Job::Load { .. } | Job::LogView(_) => JobKind::Load,
            Job::Detect { .. } | Job::Adopt { .. } => JobKind::Detect,
            Job::WhatIf { .. }
            | Job::Export { .. }
            | Job::ExportLines { .. }
            | Job::ExportScores { .. } => JobKind::Other,
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
    cancel: Arc<Mutex<CurrentJob>>,
    next_generation: u64,
    thread: Option<JoinHandle<()>>,
    /// Sends an event and asks for a repaint (for the follow thread).
    send: Arc<dyn Fn(Event) + Send + Sync>,
    /// The follow under way, and follows stopped whose threads may still be ending.
    following: Option<follow::Following>,
    stopping: Vec<follow::Following>,
}

impl Worker {
    /// Starts the worker thread; `notify` is called after every event it sends.
    pub fn spawn(notify: impl Fn() + Send + Sync + 'static) -> Worker {
        let (req_tx, req_rx) = channel::<Request>();
        let (ev_tx, ev_rx) = channel::<Event>();
        let notify = Arc::new(notify);
        let follow_send: Arc<dyn Fn(Event) + Send + Sync> = {
            let (tx, notify) = (Mutex::new(ev_tx.clone()), Arc::clone(&notify));
            Arc::new(move |e: Event| {
                if let Ok(tx) = tx.lock() {
                    let _ = tx.send(e);
                }
                notify();
            })
        };
        let cancel = Arc::new(Mutex::new(CurrentJob {
            kind: JobKind::Other,
            flag: Arc::new(AtomicBool::new(false)),
            cancelled_through: 0,
        }));
        let thread_cancel = Arc::clone(&cancel);
        let thread = std::thread::Builder::new()
            .name("trafficlens-worker".into())
            .spawn(move || {
                let mut session: Option<Session> = None;
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
                        .rposition(|r| matches!(r.job, Job::Load { .. } | Job::LogView(_)));
                    let newest_detect = queue
                        .iter()
                        .rposition(|r| matches!(r.job, Job::Detect { .. } | Job::Adopt { .. }));
                    let newest_what_if = queue
                        .iter()
                        .rposition(|r| matches!(r.job, Job::WhatIf { .. }));
                    for (i, req) in queue.into_iter().enumerate() {
                        let keep = match req.job {
                            Job::Load { .. } | Job::LogView(_) => Some(i) == newest_load,
                            Job::Detect { .. } | Job::Adopt { .. } => Some(i) == newest_detect,
                            Job::WhatIf { .. } => Some(i) == newest_what_if,
                            Job::Export { .. }
                            | Job::ExportLines { .. }
                            | Job::ExportScores { .. } => true,
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
                        let event = handle(&mut session, req.generation, req.job, &flag, &send);
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
            send: follow_send,
            following: None,
            stopping: Vec::new(),
        }
    }

    /// Starts following an access log on a thread of its own (loads and fits go on beside
    /// it); returns its generation. Its increments come as [`Event::Followed`], at most one
    /// per [`BATCH_EVERY`]. A follow under way is stopped first.
    pub fn follow(&mut self, request: FollowRequest) -> u64 {
        self.stop_follow();
        let generation = self.next_generation;
        self.next_generation += 1;
        self.following = Some(follow::start(generation, request, Arc::clone(&self.send)));
        generation
    }

    /// Stops the follow under way, if any (within one poll; never waits for it).
    pub fn stop_follow(&mut self) {
        self.stopping.retain(|f| !f.finished());
        if let Some(f) = self.following.take() {
            f.stop();
            self.stopping.push(f);
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
        self.stop_follow();
        for f in self.stopping.drain(..) {
            f.join();
        }
        self.cancel_current();
        self.requests = None; // closes the channel: the thread's loop ends
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs one job on the session held by the worker thread (`None` until a table is loaded).
fn handle(
    session: &mut Option<Session>,
    generation: u64,
    job: Job,
    cancel: &AtomicBool,
    send: &(impl Fn(Event) + Sync),
) -> Event {
    let started = Instant::now();
    let result = match job {
        Job::Load { source, options } => load(session, generation, source, &options, cancel, send),
        Job::LogView(options) => log_view(session, generation, &options, cancel, send),
        Job::Detect { config, features } => session
            .as_mut()
            .ok_or(WorkerError::NoData)
            .and_then(|s| detect(s, generation, &config, &features, cancel, send, started)),
        Job::Adopt {
            detection,
            config,
            features,
        } => session
            .as_mut()
            .ok_or(WorkerError::NoData)
            .and_then(|s| match s.adopt(detection) {
                Ok(detection) => {
                    scored(s, generation, detection, ScoreWork::Rethresholded, started)
                }
                Err(_) => detect(s, generation, &config, &features, cancel, send, started),
            }),
        Job::WhatIf { values } => session
            .as_ref()
            .ok_or(WorkerError::NotScored)
            .and_then(|s| Ok(s.what_if(&values)?))
            .map(|w| Event::WhatIf {
                generation,
                score: w.score,
                flagged: w.flagged,
            }),
        Job::Export { path, overwrite } => {
            export_with(session, ExportKind::Flagged, generation, path, overwrite)
        }
        Job::ExportScores { path, overwrite } => {
            export_with(session, ExportKind::Scores, generation, path, overwrite)
        }
        Job::ExportLines { path, overwrite } => {
            export_with(session, ExportKind::LogLines, generation, path, overwrite)
        }
    };
    match result {
        Ok(event) => event,
        Err(WorkerError::Detect(FitError::Cancelled)) => Event::Cancelled { generation },
        Err(error) => Event::Failed { generation, error },
    }
}

/// Loads a table; on success the session starts over with it.
fn load(
    session: &mut Option<Session>,
    generation: u64,
    source: Source,
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
    let control = Control {
        cancel: Some(cancel),
        progress: Some(&report),
    };
    let loaded = load_source_with(source, options, control);
    if matches!(&loaded, Err(e) if e.is_cancelled()) {
        return Err(WorkerError::Detect(FitError::Cancelled));
    }
    start_session(session, generation, loaded, cancel, send)
}

/// Another view of the access log (or connection log) the session holds; on success the session starts over with
/// it.
fn log_view(
    session: &mut Option<Session>,
    generation: u64,
    options: &LogOptions,
    cancel: &AtomicBool,
    send: &(impl Fn(Event) + Sync),
) -> Result<Event, WorkerError> {
    let dataset = session
        .as_ref()
        .map(|s| Arc::clone(s.dataset()))
        .ok_or(WorkerError::NotALog)?;
    let log = dataset.log.as_ref().map(|t| Arc::clone(&t.log));
    let network = dataset
        .network
        .as_ref()
        .and_then(|n| Some(Arc::clone(n.conn.as_ref()?)));
    if log.is_none() && network.is_none() {
        return Err(WorkerError::NotALog);
    }
    send(Event::Progress {
        generation,
        stage: "loading",
        done: 0.0,
    });
    let viewed = match (log, network) {
        (Some(log), _) => crate::data::access::view(log, options),
        (None, Some(conn)) => {
            let net = crate::data::formats::zeek::NetView {
                side: options.hosts_by,
                view: options.view,
                bucket: options.bucket,
            };
            crate::data::formats::zeek::view_of(conn, &net)
        }
        (None, None) => return Err(WorkerError::NotALog),
    };
    start_session(session, generation, viewed, cancel, send)
}

/// Computes the statistics of a loaded table and starts a session on it (unless cancelled:
/// then the current table stays).
fn start_session(
    session: &mut Option<Session>,
    generation: u64,
    loaded: Result<Dataset, LoadError>,
    cancel: &AtomicBool,
    send: &(impl Fn(Event) + Sync),
) -> Result<Event, WorkerError> {
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
    *session = Some(Session::interactive(Arc::clone(&dataset)));
    Ok(Event::Loaded {
        generation,
        dataset,
        stats,
    })
}

/// Scores the session's table; the session decides what must be recomputed.
fn detect(
    session: &mut Session,
    generation: u64,
    config: &DetectorConfig,
    features: &[String],
    cancel: &AtomicBool,
    send: &(impl Fn(Event) + Sync),
    started: Instant,
) -> Result<Event, WorkerError> {
    let progress = |done: f32| {
        send(Event::Progress {
            generation,
            stage: "scoring",
            done,
        })
    };
    let control = Control {
        cancel: Some(cancel),
        progress: Some(&progress),
    };
    let scored_now = session.score(config, features, control)?;
    // The contamination slider (here or on the UI thread) then costs a lookup, not a sort.
    scored_now.detection.training.prepare_order();
    scored(
        session,
        generation,
        scored_now.detection,
        scored_now.work,
        started,
    )
}

/// The event of a detection now the session's: with the top feature of every row (computed
/// once per fit), the feature names and the seasonal baseline's bands.
fn scored(
    session: &mut Session,
    generation: u64,
    detection: Arc<Detection>,
    work: ScoreWork,
    started: Instant,
) -> Result<Event, WorkerError> {
    let top_features = session.explain_all()?;
    Ok(Event::Scored {
        generation,
        detection,
        top_features,
        features: Arc::new(session.feature_names().to_vec()),
        seasonal: session.seasonal(),
        elapsed: started.elapsed(),
        work,
    })
}

/// The export error as the worker reports it.
fn export_error(e: crate::export::TableError) -> WorkerError {
    WorkerError::Export(Arc::new(e))
}

/// `path` checked as an output beside the inputs of `ds` (replaced only with `overwrite`).
fn output(
    ds: &Dataset,
    path: &std::path::Path,
    overwrite: bool,
) -> Result<crate::export::Target, WorkerError> {
    crate::export::OutputPlan::new(&ds.input_files(), overwrite)
        .file(path)
        .map_err(|e| export_error(e.into()))
}

/// Runs an export job on the session, if there is one.
fn export_with(
    session: &Option<Session>,
    kind: ExportKind,
    generation: u64,
    path: PathBuf,
    overwrite: bool,
) -> Result<Event, WorkerError> {
    let session = session.as_ref().ok_or(WorkerError::NotScored)?;
    export(session, kind, generation, path, overwrite)
}

/// What an export job writes.
#[derive(Debug, Clone, Copy)]
enum ExportKind {
    /// The flagged rows with their original cells.
    Flagged,
    /// Every row's score and flag.
    Scores,
    /// The log lines of the flagged clients or buckets.
    LogLines,
}

/// Writes what `kind` asks for of the session's detection to `path`.
fn export(
    session: &Session,
    kind: ExportKind,
    generation: u64,
    path: PathBuf,
    overwrite: bool,
) -> Result<Event, WorkerError> {
    let ds = session.dataset();
    let detection = session.detection().ok_or(WorkerError::NotScored)?;
    let (rows, what) = match kind {
        ExportKind::Flagged => {
            let flagged = session.flagged()?;
            crate::export::write_flagged_to(
                &output(ds, &path, overwrite)?,
                ds,
                &flagged.rows,
                &flagged.scores,
                &flagged.top_features,
                flagged.words.as_deref(),
            )
            .map_err(export_error)?;
            (flagged.rows.len(), "flagged rows")
        }
        ExportKind::Scores => {
            let target = output(ds, &path, overwrite)?;
            crate::export::write_scores_to(&target, ds, &detection.scores, &detection.flags)
                .map_err(export_error)?;
            (detection.scores.len(), "scores")
        }
        ExportKind::LogLines => {
            let rows = detection.flagged_rows();
            let n = if let (Some(table), Some(filter)) = (
                ds.log.as_ref(),
                crate::export::LineFilter::for_rows(ds, &rows),
            ) {
                let target = output(ds, &path, overwrite)?;
                crate::export::write_log_lines_to(&target, &table.log, &filter)
                    .map_err(export_error)?
                    .written
            } else if let Some((log, filter)) = crate::export::ConnFilter::for_rows(ds, &rows) {
                let target = output(ds, &path, overwrite)?;
                crate::export::write_host_records_to(&target, &log, &filter)
                    .map_err(export_error)?
                    .written
            } else {
                return Err(WorkerError::NotALog);
            };
            (
                usize::try_from(n).unwrap_or(usize::MAX),
                match ds
                    .network
                    .as_ref()
                    .and_then(|n| n.conn.as_ref())
                    .map(|c| c.kind)
                {
                    Some(crate::data::FileKind::Capture { .. }) => "packets",
                    Some(crate::data::FileKind::FlowRecords { .. }) => "flow record lines",
                    Some(_) => "connection lines",
                    None => "log lines",
                },
            )
        }
    };
    Ok(Event::Exported {
        generation,
        path,
        rows,
        what,
    })
}
