//! Anomaly detectors: pure functions over a column-major matrix of finite numbers. No GUI, no
//! file I/O. Every detector follows scikit-learn's semantics; the project-wide convention is that
//! an **anomaly score is higher for more anomalous rows**.

mod error;
pub mod explain;
pub mod iforest;
pub mod knn;
pub mod lof;
pub mod lof_memory;
mod matrix;
pub mod metrics;
pub mod run;
pub mod scale;
pub mod seasonal;
pub mod threshold;

pub use error::{FitError, ParamsError};
pub use iforest::{
    FittedIsolationForest, IsolationForestParams, MaxSamples, ValidIsolationForestParams,
};
pub use lof::{FittedLof, LofParams, NeighbourCache, Neighbourhood, ValidLofParams};
pub use matrix::Matrix;
pub use run::{Algorithm, Detection, DetectorConfig, DetectorParams};
pub use scale::{Scaler, Scaling};
pub use threshold::{Contamination, TrainingScores};
