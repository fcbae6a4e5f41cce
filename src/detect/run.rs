//! What every detector shares: its settings, its outcome on the training rows ([`Detection`]),
//! the fitted detector that scores new rows ([`FittedDetector`]), both together ([`FitOutcome`])
//! and the fit functions the analysis session
//! ([`crate::analysis::Session`]) calls on a prepared (selected, scaled) matrix.

use serde::{Deserialize, Serialize};

use super::explain::RobustExplainer;
use super::{
    Contamination, FitError, FittedIsolationForest, FittedLof, IsolationForestParams, LofParams,
    Matrix, MaxSamples, NeighbourCache, Neighbourhood, ParamsError, Scaling, TrainingScores,
    ValidIsolationForestParams, ValidLofParams,
};
use crate::control::Control;

/// The detection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Algorithm {
    /// Isolation Forest.
    #[default]
    IsolationForest,
    /// Local Outlier Factor.
    Lof,
}

impl Algorithm {
    /// Every detector, in the order the GUI lists them.
    pub const ALL: [Algorithm; 2] = [Algorithm::IsolationForest, Algorithm::Lof];

    /// The detector's name on the command line (`--algo`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Algorithm::IsolationForest => "iforest",
            Algorithm::Lof => "lof",
        }
    }

    /// The detector's name as shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::IsolationForest => "Isolation Forest",
            Algorithm::Lof => "Local Outlier Factor",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The validated parameters of the chosen detector: what [`DetectorConfig::validate`] returns
/// and what the analysis session matches on (one arm per detector).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DetectorParams {
    /// Isolation Forest.
    IsolationForest(ValidIsolationForestParams),
    /// Local Outlier Factor.
    Lof(ValidLofParams),
}

/// Everything a detection run needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// Which detector.
    pub algorithm: Algorithm,
    /// Expected share of anomalies.
    pub contamination: Contamination,
    /// Isolation Forest: trees.
    pub n_estimators: usize,
    /// Isolation Forest: rows per tree.
    pub max_samples: MaxSamples,
    /// LOF: neighbours.
    pub n_neighbors: usize,
    /// LOF: scikit-learn's k nearest rows or Breunig et al.'s k-distance neighbourhood.
    #[serde(default)]
    pub lof_neighbourhood: Neighbourhood,
    /// Random seed (Isolation Forest).
    pub seed: u64,
    /// Feature scaling before the detector.
    pub scaling: Scaling,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            algorithm: Algorithm::IsolationForest,
            contamination: Contamination::Auto,
            n_estimators: 100,
            max_samples: MaxSamples::Auto,
            n_neighbors: 20,
            lof_neighbourhood: Neighbourhood::KNearest,
            seed: 0,
            scaling: Scaling::None,
        }
    }
}

impl DetectorConfig {
    /// Checks the settings of the chosen detector; returns its validated parameters.
    pub fn validate(&self) -> Result<DetectorParams, ParamsError> {
        Ok(match self.algorithm {
            Algorithm::IsolationForest => {
                DetectorParams::IsolationForest(self.iforest_params().validate()?)
            }
            Algorithm::Lof => DetectorParams::Lof(self.lof_params().validate()?),
        })
    }

    /// The Isolation Forest parameters of these settings.
    pub fn iforest_params(&self) -> IsolationForestParams {
        IsolationForestParams {
            n_estimators: self.n_estimators,
            max_samples: self.max_samples,
            contamination: self.contamination,
            seed: self.seed,
            ..IsolationForestParams::default()
        }
    }

    /// The LOF parameters of these settings.
    pub fn lof_params(&self) -> LofParams {
        LofParams {
            n_neighbors: self.n_neighbors,
            contamination: self.contamination,
            neighbourhood: self.lof_neighbourhood,
        }
    }

    /// A one-line description, such as `Isolation Forest (100 trees, max_samples auto, contamination auto)`.
    pub fn describe(&self) -> String {
        let scaling = if self.scaling == Scaling::None {
            String::new()
        } else {
            format!(", {} scaling", self.scaling)
        };
        match self.algorithm {
            Algorithm::IsolationForest => format!(
                "Isolation Forest ({} trees, max_samples {}, seed {}, contamination {}{scaling})",
                self.n_estimators,
                match self.max_samples {
                    MaxSamples::Auto => "auto".to_string(),
                    MaxSamples::Count(n) => n.to_string(),
                    MaxSamples::Fraction(f) => f.to_string(),
                },
                self.seed,
                self.contamination
            ),
            Algorithm::Lof => {
                let neighbourhood = match self.lof_neighbourhood {
                    Neighbourhood::KNearest => String::new(),
                    other => format!(", {} neighbourhood", other.name()),
                };
                format!(
                    "Local Outlier Factor ({} neighbours{neighbourhood}, contamination {}{scaling})",
                    self.n_neighbors, self.contamination
                )
            }
        }
    }
}

/// Scores, flags and threshold of the training rows under one contamination: what a fit
/// reports, and what re-thresholding changes without a refit.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The training scores, kept to re-threshold without refitting.
    pub training: TrainingScores,
    /// Anomaly score per row (higher = more anomalous).
    pub scores: Vec<f64>,
    /// Flag per row under the configured contamination.
    pub flags: Vec<bool>,
    /// The threshold on the anomaly score: rows scoring above it are flagged.
    pub threshold: f64,
    /// Warnings from fitting (such as parameters clamped to the data).
    pub warnings: Vec<String>,
    /// The settings used.
    pub config: DetectorConfig,
}

impl Detection {
    /// Builds the outcome from a fitted detector's training scores. When every row scores the
    /// same, a warning says so: the flags are then scikit-learn's (all rows or none, decided by
    /// rounding), which say nothing about the data.
    pub fn new(training: &TrainingScores, warnings: &[String], config: &DetectorConfig) -> Self {
        let mut warnings = warnings.to_vec();
        if let Some(score) = training.common_score() {
            warnings.push(same_score_warning(-score, training.score_samples().len()));
        }
        Detection {
            scores: training.anomaly_scores(),
            flags: training.flags(config.contamination),
            threshold: -training.offset(),
            training: training.clone(),
            warnings,
            config: *config,
        }
    }

    /// Flags the rows again under another contamination: one percentile lookup and one pass,
    /// no refit.
    pub fn rethreshold(&mut self, contamination: Contamination) {
        self.config.contamination = contamination;
        self.flags = self.training.flags(contamination);
        self.threshold = -self.training.offset_for(contamination);
    }

    /// Indices of the flagged rows.
    pub fn flagged_rows(&self) -> Vec<usize> {
        self.flags
            .iter()
            .enumerate()
            .filter(|(_, f)| **f)
            .map(|(i, _)| i)
            .collect()
    }
}

/// The warning for `rows` rows that all have the anomaly score `score`.
fn same_score_warning(score: f64, rows: usize) -> String {
    format!(
        "every row scores the same (anomaly score {score} for all {rows} rows); nothing can be told \
         apart, so the flags (all rows or none, as scikit-learn gives them) say nothing about the \
         data; check that the features vary between rows"
    )
}

/// A fitted detector: what a fit keeps beyond the [`Detection`] of its training rows, to score
/// new rows ("what if") and to say which feature explains a row most.
#[derive(Debug, Clone)]
pub enum FittedDetector {
    /// Isolation Forest.
    Forest(FittedIsolationForest),
    /// Local Outlier Factor (novelty scoring against the training rows).
    Lof(FittedLof),
}

impl FittedDetector {
    /// The anomaly score (higher = more anomalous) of one row, scaled like the training rows.
    pub fn anomaly_score(&self, row: &[f64]) -> Result<f64, FitError> {
        Ok(-match self {
            FittedDetector::Forest(f) => f.score_one(row)?,
            FittedDetector::Lof(l) => l.score_one(row)?,
        })
    }

    /// The feature that explains each of `rows` most (an index into the columns of `x`, the
    /// matrix the detector was fitted on): the forest's own splits, or the largest robust
    /// z-score for LOF.
    pub fn explain(&self, x: &Matrix, rows: &[usize]) -> Result<Vec<usize>, FitError> {
        match self {
            FittedDetector::Forest(f) => f.explain(x, rows),
            FittedDetector::Lof(_) => Ok(RobustExplainer::fit(x).top_features(x, rows)),
        }
    }
}

/// What one fit produces: the [`Detection`] of the training rows and the [`FittedDetector`]
/// that made it.
#[derive(Debug, Clone)]
pub struct FitOutcome {
    /// Scores, flags and threshold of the training rows.
    pub detection: Detection,
    /// The fitted detector.
    pub detector: FittedDetector,
}

/// Isolation Forest on `x`, already scaled; `config` is what `params` were validated from.
pub fn fit_forest(
    x: &Matrix,
    params: &ValidIsolationForestParams,
    config: &DetectorConfig,
    control: Control,
) -> Result<FitOutcome, FitError> {
    let forest = params.fit_with(x, control)?;
    Ok(FitOutcome {
        detection: Detection::new(forest.training(), forest.warnings(), config),
        detector: FittedDetector::Forest(forest),
    })
}

/// LOF from neighbour lists searched earlier (the neighbours slider); `config` is what `params`
/// were validated from.
pub fn fit_lof_cached(
    cache: &NeighbourCache,
    params: &ValidLofParams,
    config: &DetectorConfig,
) -> Result<FitOutcome, FitError> {
    let lof = cache.fit_params(params.params())?;
    Ok(FitOutcome {
        detection: Detection::new(lof.training(), lof.warnings(), config),
        detector: FittedDetector::Lof(lof),
    })
}
