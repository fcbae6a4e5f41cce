//! One entry point for every detector, used by the command line and the GUI: validated settings
//! in, anomaly scores (higher = more anomalous), flags and explanations out.

use serde::{Deserialize, Serialize};

use super::explain::RobustExplainer;
use super::iforest::Control;
use super::{
    Contamination, FitError, FittedIsolationForest, FittedLof, IsolationForestParams, LofParams,
    Matrix, MaxSamples, NeighbourCache, Neighbourhood, ParamsError, Scaler, Scaling,
    TrainingScores,
};

/// The detection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Algorithm {
    /// Isolation Forest.
    #[default]
    IsolationForest,
    /// Local Outlier Factor.
    Lof,
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::IsolationForest => "Isolation Forest",
            Algorithm::Lof => "Local Outlier Factor",
        })
    }
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
    /// Checks the settings of the chosen detector.
    pub fn validate(&self) -> Result<(), ParamsError> {
        match self.algorithm {
            Algorithm::IsolationForest => self.iforest_params().validate().map(|_| ()),
            Algorithm::Lof => self.lof_params().validate().map(|_| ()),
        }
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

/// The outcome of a detection run over the training rows.
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

/// A fitted model, kept to score new rows ("what if").
#[derive(Debug, Clone)]
pub enum Model {
    /// Isolation Forest.
    Forest(FittedIsolationForest),
    /// Local Outlier Factor (novelty scoring against the training rows).
    Lof(FittedLof),
}

impl Model {
    /// The anomaly score (higher = more anomalous) of one row, scaled like the training rows.
    pub fn anomaly_score(&self, row: &[f64]) -> Result<f64, FitError> {
        Ok(-match self {
            Model::Forest(f) => f.score_one(row)?,
            Model::Lof(l) => l.score_one(row)?,
        })
    }
}

/// The outcome of a fit: scores and flags, the top feature of the rows asked for, the model.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Scores, flags and threshold of the training rows.
    pub detection: Detection,
    /// The top feature of each row the `explain` function listed, in its order.
    pub top_features: Vec<usize>,
    /// The model.
    pub model: Model,
}

/// Scales `x` as configured, fits the detector and scores every row; `explain` lists the rows
/// whose top feature is wanted (returned in the same order).
pub fn run(
    x: &Matrix,
    names: &[String],
    config: &DetectorConfig,
    explain: impl FnOnce(&Detection) -> Vec<usize>,
    control: Control,
) -> Result<Fitted, FitError> {
    let scaled;
    let x = if config.scaling == Scaling::None {
        *x
    } else {
        scaled = Scaler::fit(x, config.scaling).transform(x)?;
        Matrix::new(&scaled, names)?
    };
    match config.algorithm {
        Algorithm::IsolationForest => fit_forest(&x, config, explain, control),
        Algorithm::Lof => {
            let params = config.lof_params().validate().map_err(FitError::Params)?;
            let cache = NeighbourCache::build(&x, params.params().n_neighbors)?;
            fit_lof_cached(&cache, &x, config, explain)
        }
    }
}

/// Isolation Forest on `x`, already scaled.
pub fn fit_forest(
    x: &Matrix,
    config: &DetectorConfig,
    explain: impl FnOnce(&Detection) -> Vec<usize>,
    control: Control,
) -> Result<Fitted, FitError> {
    let params = config
        .iforest_params()
        .validate()
        .map_err(FitError::Params)?;
    let forest = params.fit_with(x, control)?;
    let detection = Detection::new(forest.training(), forest.warnings(), config);
    let top_features = forest.explain(x, &explain(&detection))?;
    Ok(Fitted {
        detection,
        top_features,
        model: Model::Forest(forest),
    })
}

/// LOF from neighbour lists searched earlier (the neighbours slider): `x` is the matrix the
/// cache was built on, already scaled.
pub fn fit_lof_cached(
    cache: &NeighbourCache,
    x: &Matrix,
    config: &DetectorConfig,
    explain: impl FnOnce(&Detection) -> Vec<usize>,
) -> Result<Fitted, FitError> {
    let params = config.lof_params().validate().map_err(FitError::Params)?;
    let lof = cache.fit_params(params.params())?;
    let detection = Detection::new(lof.training(), lof.warnings(), config);
    let top_features = RobustExplainer::fit(x).top_features(x, &explain(&detection));
    Ok(Fitted {
        detection,
        top_features,
        model: Model::Lof(lof),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_detectors_flag_the_planted_outlier() {
        let mut a: Vec<f64> = (0..200).map(|i| f64::from(i % 13)).collect();
        let b: Vec<f64> = (0..200).map(|i| f64::from(i % 7)).collect();
        a[42] = 500.0;
        let cols = vec![a, b];
        let names = vec!["a".to_string(), "b".to_string()];
        let x = Matrix::new(&cols, &names).expect("matrix");
        for algorithm in [Algorithm::IsolationForest, Algorithm::Lof] {
            for scaling in [Scaling::None, Scaling::Robust] {
                let config = DetectorConfig {
                    algorithm,
                    scaling,
                    contamination: Contamination::Fraction(0.01),
                    ..DetectorConfig::default()
                };
                let Fitted {
                    detection: d,
                    top_features: top,
                    ..
                } = run(
                    &x,
                    &names,
                    &config,
                    |d| d.flagged_rows(),
                    Control::default(),
                )
                .expect("run");
                assert!(d.flags[42], "{algorithm}, {scaling}");
                let at = d
                    .flagged_rows()
                    .iter()
                    .position(|&r| r == 42)
                    .expect("flagged");
                assert_eq!(top[at], 0, "{algorithm}");
                assert!(d.scores[42] > d.threshold);
            }
        }
        // Re-thresholding equals fitting with that contamination.
        let base = DetectorConfig::default();
        let mut d = run(&x, &names, &base, |_| Vec::new(), Control::default())
            .expect("run")
            .detection;
        let other = DetectorConfig {
            contamination: Contamination::Fraction(0.1),
            ..base
        };
        let refit = run(&x, &names, &other, |_| Vec::new(), Control::default())
            .expect("run")
            .detection;
        d.rethreshold(Contamination::Fraction(0.1));
        assert_eq!(d.flags, refit.flags);
        assert_eq!(d.threshold, refit.threshold);
        let bad = DetectorConfig {
            n_neighbors: 0,
            algorithm: Algorithm::Lof,
            ..DetectorConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
