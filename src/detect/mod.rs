//! Anomaly detectors: pure functions over a column-major matrix of finite numbers. No GUI, no
//! file I/O. Every detector follows scikit-learn's semantics; the project-wide convention is that
//! an **anomaly score is higher for more anomalous rows**.
//!
//! # Adding a detector
//!
//! A detector is its own module (here `iforest/` with `iforest/settings.rs`, and `lof.rs` with
//! `lof_settings.rs`) plus one arm in each `match` of [`run`], which only delegates:
//!
//! 1. `src/detect/<name>.rs` (or a folder): the algorithm, its settings type
//!    (`#[serde(default)]`, with `validate(contamination)` returning its validated parameters and
//!    `describe()`), and `fit(FitInput, &params, &DetectorConfig) -> FitOutcome`. Anything a fit
//!    needs beyond the feature matrix (the rows' timestamps for a seasonal baseline) is a field of
//!    [`run::FitInput`], filled by the analysis session; anything it keeps for the next fit on
//!    the same matrix is a field of [`run::FitReuse`].
//! 2. `src/detect/run.rs`: a variant of `Algorithm` (and in `ALL`, `cli_name`, `label`), a field
//!    of `DetectorConfig` holding its settings (and arms in `validate`, `describe`), a variant of
//!    `DetectorParams` (and its arm in `fit`), a variant of `FittedDetector` (and arms in
//!    `anomaly_score`, `explain`).
//! 3. `src/cli/args.rs`: its flags in `DetectArgs` and their mapping in
//!    `DetectArgs::detector_config` (`--algo` takes every `Algorithm` by itself).
//! 4. `src/app/detector_panel/<name>.rs`: a function drawing its settings, and one arm in
//!    `detector_panel/mod.rs`.
//!
//! Nothing else changes: the analysis session, the worker, the exports and the other panels
//! see only `DetectorConfig`, `DetectorParams::fit`, `Detection` and `FittedDetector`. A new
//! threshold mode (beside the contamination) belongs to what every detector shares:
//! `DetectorConfig`'s shared fields and `threshold` ([`TrainingScores`], used by
//! `Detection::new` and `Detection::rethreshold`).

mod error;
pub mod explain;
pub mod iforest;
pub mod knn;
mod knn_brute;
mod knn_vector;
pub mod lof;
pub mod lof_memory;
pub mod lof_settings;
mod matrix;
pub mod metrics;
pub mod run;
pub mod scale;
pub mod seasonal;
pub mod setting_text;
pub mod spot;
pub mod threshold;

pub use error::{FitError, ParamsError};
pub use iforest::{
    FittedIsolationForest, IsolationForestParams, IsolationForestSettings, MaxSamples,
    ValidIsolationForestParams,
};
pub use lof::{FittedLof, LofParams, NeighbourCache, Neighbourhood, ValidLofParams};
pub use lof_settings::LofSettings;
pub use matrix::Matrix;
pub use run::{Algorithm, Detection, DetectorConfig, DetectorParams};
pub use scale::{Scaler, Scaling};
pub use seasonal::settings::SeasonalSettings;
pub use threshold::{Contamination, TrainingScores};
