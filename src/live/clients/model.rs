//! The client model: an Isolation Forest (scikit-learn's semantics, [`crate::detect::iforest`])
//! fitted on a reference of recent client windows, refitted in the background.
//!
//! The reference is a ring of client-window feature rows taken on a schedule (every active
//! client's window, once a minute of log time), without the clients that are raised at the time,
//! so an attack in progress does not become the norm. [`Refitter`] fits on its own thread: the
//! watch hands it a copy of the reference and goes on reading; the new model is picked up when
//! it is ready ([`Refitter::take`], following live) or at a set point of the log's time later
//! ([`Refitter::wait`], replaying).
//!
//! Counts and amounts enter the forest as `ln(1 + x)`: Isolation Forest draws its split points
//! uniformly between a feature's minimum and maximum, so on raw heavy-tailed counts nearly every
//! split would fall above the typical client and leave the typical range undivided.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use super::window::MODEL_FEATURES;
use crate::data::formats::access::clients::{col, FEATURES};
use crate::detect::iforest::{FittedIsolationForest, IsolationForestParams};
use crate::detect::Matrix;

/// Rows kept in the reference at most (the latest ones).
pub const REFERENCE_ROWS: usize = 4096;

/// Rows the reference needs before a first model is fitted.
pub const MIN_FIT_ROWS: usize = 128;

/// The feature's value as the forest sees it: `ln(1 + x)` for counts and amounts, shares as
/// they are.
fn transform(feature: usize, x: f64) -> f64 {
    match feature {
        col::NOT_FOUND | col::REFUSED | col::POST | col::LOGIN => x,
        _ => x.max(0.0).ln_1p(),
    }
}

/// The names of the model's features.
fn names() -> Vec<String> {
    FEATURES[..MODEL_FEATURES]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The latest client-window rows, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    rows: VecDeque<[f64; MODEL_FEATURES]>,
}

impl Reference {
    /// Adds a row (the oldest goes when the reference is full).
    pub fn push(&mut self, row: [f64; MODEL_FEATURES]) {
        if self.rows.len() >= REFERENCE_ROWS {
            self.rows.pop_front();
        }
        self.rows.push_back(row);
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A copy of the rows, for a fit.
    pub fn rows(&self) -> Vec<[f64; MODEL_FEATURES]> {
        self.rows.iter().copied().collect()
    }
}

/// A fitted client model: the forest and the typical (median) client window of its reference.
#[derive(Debug, Clone)]
pub struct Model {
    forest: FittedIsolationForest,
    /// The median of each feature over the reference (raw, not transformed).
    pub typical: [f64; MODEL_FEATURES],
    /// The 99th percentile of the peak requests in one minute over the reference: what this
    /// site's clients reach, from which a window is called a flood (see
    /// [`crate::data::formats::access::verdict::Calibration`]).
    pub peak_p99: f64,
    /// Reference rows it was fitted on.
    pub rows: usize,
}

impl Model {
    /// Fits a model on `rows` (raw features) with `seed`.
    pub fn fit(rows: &[[f64; MODEL_FEATURES]], seed: u64) -> Result<Model, String> {
        let columns: Vec<Vec<f64>> = (0..MODEL_FEATURES)
            .map(|f| rows.iter().map(|r| transform(f, r[f])).collect())
            .collect();
        let x = Matrix::new(&columns, &names()).map_err(|e| e.to_string())?;
        let params = IsolationForestParams {
            seed,
            ..IsolationForestParams::default()
        };
        let forest = params
            .validate()
            .map_err(|e| e.to_string())?
            .fit(&x)
            .map_err(|e| e.to_string())?;
        let mut typical = [0.0; MODEL_FEATURES];
        for (f, t) in typical.iter_mut().enumerate() {
            let raw: Vec<f64> = rows.iter().map(|r| r[f]).collect();
            *t = crate::numeric::percentiles(&raw, &[50.0])[0];
        }
        let peaks: Vec<f64> = rows.iter().map(|r| r[col::PEAK]).collect();
        let peak_p99 = crate::numeric::percentiles(&peaks, &[99.0])[0];
        Ok(Model {
            forest,
            typical,
            peak_p99: if peak_p99.is_finite() { peak_p99 } else { 1.0 },
            rows: rows.len(),
        })
    }

    /// The anomaly score of a client window (`-score_samples`: in (0, 1], above 0.5 is
    /// shorter to isolate than average).
    pub fn score(&self, row: &[f64; MODEL_FEATURES]) -> f64 {
        let mut x = [0.0; MODEL_FEATURES];
        for (f, v) in x.iter_mut().enumerate() {
            *v = transform(f, row[f]);
        }
        // Every value is finite and the width is the model's: scoring cannot fail.
        self.forest.score_one(&x).map_or(0.0, |s| -s)
    }

    /// The feature (in [`FEATURES`] order) that isolates the window most.
    pub fn top_feature(&self, row: &[f64; MODEL_FEATURES]) -> usize {
        let columns: Vec<Vec<f64>> = (0..MODEL_FEATURES)
            .map(|f| vec![transform(f, row[f])])
            .collect();
        Matrix::new(&columns, &names())
            .and_then(|x| self.forest.explain(&x, &[0]))
            .ok()
            .and_then(|t| t.first().copied())
            .unwrap_or(col::REQUESTS)
    }
}

/// Fits client models on a thread of its own.
#[derive(Debug)]
pub struct Refitter {
    send: Option<Sender<(Vec<[f64; MODEL_FEATURES]>, u64)>>,
    receive: Receiver<Result<Model, String>>,
    thread: Option<JoinHandle<()>>,
    /// True while a fit is under way.
    busy: bool,
    /// Fits asked for so far (the seed of the next one).
    asked: u64,
}

impl Refitter {
    /// Starts the fitting thread.
    pub fn start() -> std::io::Result<Refitter> {
        let (send, jobs) = mpsc::channel::<(Vec<[f64; MODEL_FEATURES]>, u64)>();
        let (done, receive) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("client-model".into())
            .spawn(move || {
                for (rows, seed) in jobs {
                    let fitted = std::panic::catch_unwind(|| Model::fit(&rows, seed))
                        .unwrap_or_else(|_| Err("the fit panicked".into()));
                    if done.send(fitted).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Refitter {
            send: Some(send),
            receive,
            thread: Some(thread),
            busy: false,
            asked: 0,
        })
    }

    /// Asks for a fit on `rows` unless one is under way; true when asked.
    pub fn ask(&mut self, rows: Vec<[f64; MODEL_FEATURES]>) -> bool {
        if self.busy {
            return false;
        }
        let Some(send) = &self.send else { return false };
        if send.send((rows, self.asked)).is_err() {
            return false;
        }
        self.asked += 1;
        self.busy = true;
        true
    }

    /// The fit asked last if it is ready (never waits).
    pub fn take(&mut self) -> Option<Result<Model, String>> {
        if !self.busy {
            return None;
        }
        match self.receive.try_recv() {
            Ok(m) => {
                self.busy = false;
                Some(m)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.busy = false;
                Some(Err("the fitting thread has stopped".into()))
            }
        }
    }

    /// Waits for the fit under way, if any.
    pub fn wait(&mut self) -> Option<Result<Model, String>> {
        if !self.busy {
            return None;
        }
        self.busy = false;
        Some(
            self.receive
                .recv()
                .unwrap_or_else(|_| Err("the fitting thread has stopped".into())),
        )
    }
}

impl Drop for Refitter {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop.
        self.send = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refitter_fits_in_the_background_and_the_model_isolates_an_outlier() {
        let mut rows = Vec::new();
        for i in 0..300 {
            let mut r = [0.0; MODEL_FEATURES];
            r[col::REQUESTS] = 5.0 + (i % 7) as f64;
            r[col::PER_MINUTE] = 2.0 + (i % 3) as f64;
            r[col::PEAK] = 3.0 + (i % 4) as f64;
            r[col::PATHS] = 3.0 + (i % 5) as f64;
            r[col::NOT_FOUND] = 0.01 * (i % 3) as f64;
            r[col::BYTES] = 50_000.0 + 1000.0 * (i % 11) as f64;
            r[col::BYTES_PER_REQUEST] = 8_000.0;
            r[col::AGENTS] = 1.0;
            rows.push(r);
        }
        let mut refitter = Refitter::start().expect("thread");
        assert!(refitter.ask(rows.clone()));
        assert!(!refitter.ask(rows.clone()), "one fit at a time");
        let model = refitter.wait().expect("asked").expect("fitted");
        assert_eq!(model.rows, 300);
        let mut scanner = rows[0];
        scanner[col::PATHS] = 60.0;
        scanner[col::NOT_FOUND] = 0.8;
        let typical = model.score(&rows[3]);
        let odd = model.score(&scanner);
        assert!(odd > 0.6 && typical < 0.55, "{odd} {typical}");
        assert!(refitter.ask(rows), "free again");
    }
}
