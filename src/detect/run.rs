//! What every detector shares, and the one place where the chosen detector is dispatched: the
//! settings ([`DetectorConfig`], holding each detector's own settings type), their validated
//! form ([`DetectorParams`], whose `fit` the analysis session ([`crate::analysis::Session`])
//! calls on a prepared (selected, scaled) matrix), the outcome on the training rows
//! ([`Detection`]), the fitted detector that scores new rows ([`FittedDetector`]) and both
//! together ([`FitOutcome`]). Each `match` here only delegates to the detector's own module.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::explain::RobustExplainer;
use super::iforest::{self, IsolationForestSettings};
use super::lof_settings::{self, LofSettings};
use super::seasonal::settings::{self as seasonal_settings, SeasonalSettings, ValidSeasonalParams};
use super::seasonal::FittedSeasonal;
use super::spot::{Risk, Tail, ThresholdMode};
use super::{
    Contamination, FitError, FittedIsolationForest, FittedLof, Matrix, MaxSamples, NeighbourCache,
    Neighbourhood, ParamsError, Scaling, TrainingScores, ValidIsolationForestParams,
    ValidLofParams,
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
    /// Seasonal baseline: each moment against what is normal for that time (causal).
    Seasonal,
}

impl Algorithm {
    /// Every detector, in the order the GUI lists them.
    pub const ALL: [Algorithm; 3] = [
        Algorithm::IsolationForest,
        Algorithm::Lof,
        Algorithm::Seasonal,
    ];

    /// The detector's name on the command line (`--algo`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Algorithm::IsolationForest => "iforest",
            Algorithm::Lof => "lof",
            Algorithm::Seasonal => "seasonal",
        }
    }

    /// The threshold rule the detector uses unless told otherwise: the contamination for
    /// Isolation Forest and LOF, so their flags stay scikit-learn's; for the seasonal baseline
    /// its band (`--contamination auto`), which does not mask the way a tail fit does when the
    /// anomalies are many (see the README's automatic threshold section).
    pub fn default_threshold(self) -> ThresholdMode {
        match self {
            Algorithm::IsolationForest | Algorithm::Lof | Algorithm::Seasonal => {
                ThresholdMode::Contamination
            }
        }
    }

    /// The highest anomaly score the detector can give, where it has one (Isolation Forest's
    /// scores are in (0, 1], the seasonal baseline's in [0, 1); LOF's are unbounded).
    pub fn max_score(self) -> Option<f64> {
        match self {
            Algorithm::IsolationForest | Algorithm::Seasonal => Some(1.0),
            Algorithm::Lof => None,
        }
    }

    /// A score in the space the automatic threshold fits its tail in. The seasonal baseline's
    /// score is `L / (1 + L)` with `L = -log10(p)` ([`super::seasonal::calibrate`]): bounded by
    /// 1, its top scores crowd below 1 where a generalized Pareto fit extrapolates past 1 and
    /// flags nothing; its tail is fitted on `L = s / (1 - s)` instead, which under the baseline's
    /// model is exponential (the case the fit describes best). Other scores as they are.
    pub fn to_tail_space(self, score: f64) -> f64 {
        match self {
            Algorithm::Seasonal => {
                if score < 1.0 {
                    score / (1.0 - score)
                } else {
                    f64::MAX
                }
            }
            Algorithm::IsolationForest | Algorithm::Lof => score,
        }
    }

    /// A threshold fitted in the tail space ([`Self::to_tail_space`]) as a score.
    pub fn from_tail_space(self, z: f64) -> f64 {
        match self {
            Algorithm::Seasonal => z / (1.0 + z),
            Algorithm::IsolationForest | Algorithm::Lof => z,
        }
    }

    /// The detector's name as shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::IsolationForest => "Isolation Forest",
            Algorithm::Lof => "Local Outlier Factor",
            Algorithm::Seasonal => "Seasonal baseline",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The validated parameters of the chosen detector: what [`DetectorConfig::validate`] returns
/// and what a fit matches on (one arm per detector).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DetectorParams {
    /// Isolation Forest.
    IsolationForest(ValidIsolationForestParams),
    /// Local Outlier Factor.
    Lof(ValidLofParams),
    /// Seasonal baseline.
    Seasonal(ValidSeasonalParams),
}

impl DetectorParams {
    /// Fits the detector on `input`; `config` is what these parameters were validated from.
    pub fn fit(
        &self,
        input: FitInput<'_>,
        config: &DetectorConfig,
    ) -> Result<FitOutcome, FitError> {
        match self {
            DetectorParams::IsolationForest(p) => {
                iforest::settings::fit(input.x, p, config, input.control)
            }
            DetectorParams::Lof(p) => lof_settings::fit(input, p, config),
            DetectorParams::Seasonal(p) => seasonal_settings::fit(input, p, config),
        }
    }
}

/// Everything a detection run needs: the chosen detector, what every detector shares (the
/// threshold rule, the contamination, the risk, the scaling) and each detector's own settings, kept for all of them so that
/// switching detectors keeps each one's settings.
///
/// Stored settings of an older shape still load (see `StoredDetectorConfig`); a missing
/// field takes its default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredDetectorConfig")]
pub struct DetectorConfig {
    /// Which detector.
    pub algorithm: Algorithm,
    /// How scores become flags: the contamination or the automatic threshold.
    pub threshold: ThresholdMode,
    /// Expected share of anomalies (threshold mode `contamination`).
    pub contamination: Contamination,
    /// The automatic threshold's risk (threshold mode `auto`).
    pub risk: Risk,
    /// Feature scaling before the detector.
    pub scaling: Scaling,
    /// Isolation Forest's settings.
    pub iforest: IsolationForestSettings,
    /// Local Outlier Factor's settings.
    pub lof: LofSettings,
    /// The seasonal baseline's settings.
    pub seasonal: SeasonalSettings,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            algorithm: Algorithm::IsolationForest,
            threshold: ThresholdMode::Contamination,
            contamination: Contamination::Auto,
            risk: Risk::DEFAULT,
            scaling: Scaling::None,
            iforest: IsolationForestSettings::default(),
            lof: LofSettings::default(),
            seasonal: SeasonalSettings::default(),
        }
    }
}

impl DetectorConfig {
    /// Checks the settings of the chosen detector; returns its validated parameters.
    pub fn validate(&self) -> Result<DetectorParams, ParamsError> {
        // A stored risk is read without its rule; check it here.
        Risk::new(self.risk.get()).map_err(|_| ParamsError::Risk(self.risk.get()))?;
        let c = self.contamination;
        Ok(match self.algorithm {
            Algorithm::IsolationForest => {
                DetectorParams::IsolationForest(self.iforest.validate(c)?)
            }
            Algorithm::Lof => DetectorParams::Lof(self.lof.validate(c)?),
            Algorithm::Seasonal => DetectorParams::Seasonal(self.seasonal.validate(c)?),
        })
    }

    /// The scaling the chosen detector works with: the seasonal baseline works on the values
    /// as they are (its expected values and bands are in the data's units); the others use
    /// [`DetectorConfig::scaling`].
    pub fn effective_scaling(&self) -> Scaling {
        match self.algorithm {
            Algorithm::Seasonal => Scaling::None,
            _ => self.scaling,
        }
    }

    /// A one-line description, such as `Isolation Forest (100 trees, max_samples auto, seed 0, contamination auto)`.
    pub fn describe(&self) -> String {
        let scaling = if self.effective_scaling() == Scaling::None {
            String::new()
        } else {
            format!(", {} scaling", self.scaling)
        };
        let settings = match self.algorithm {
            Algorithm::IsolationForest => self.iforest.describe(),
            Algorithm::Lof => self.lof.describe(),
            Algorithm::Seasonal => self.seasonal.describe(),
        };
        let threshold = match self.threshold {
            ThresholdMode::Contamination => format!("contamination {}", self.contamination),
            ThresholdMode::Auto => format!("automatic threshold at risk {}", self.risk),
        };
        format!(
            "{} ({settings}, {threshold}{scaling})",
            self.algorithm.label()
        )
    }
}

/// [`DetectorConfig`] as stored (the app's persisted settings): today's shape, each detector's
/// settings in its own field, or the flat shape before it (`n_estimators`, `max_samples`,
/// `seed`, `n_neighbors`, `lof_neighbourhood` side by side), whose values are carried over.
/// Whatever is missing takes its default.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredDetectorConfig {
    algorithm: Algorithm,
    threshold: ThresholdMode,
    contamination: Contamination,
    risk: Risk,
    scaling: Scaling,
    #[serde(deserialize_with = "present")]
    iforest: Option<IsolationForestSettings>,
    #[serde(deserialize_with = "present")]
    lof: Option<LofSettings>,
    #[serde(deserialize_with = "present")]
    seasonal: Option<SeasonalSettings>,
    #[serde(deserialize_with = "present")]
    n_estimators: Option<usize>,
    #[serde(deserialize_with = "present")]
    max_samples: Option<MaxSamples>,
    #[serde(deserialize_with = "present")]
    seed: Option<u64>,
    #[serde(deserialize_with = "present")]
    n_neighbors: Option<usize>,
    #[serde(deserialize_with = "present")]
    lof_neighbourhood: Option<Neighbourhood>,
}

/// A field that is there (`None` only when it is missing): the stored value is written plain,
/// not as an option (RON would otherwise expect `Some(..)`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

impl From<StoredDetectorConfig> for DetectorConfig {
    fn from(s: StoredDetectorConfig) -> Self {
        let mut iforest = s.iforest.unwrap_or_default();
        let mut lof = s.lof.unwrap_or_default();
        if s.iforest.is_none() {
            iforest.n_estimators = s.n_estimators.unwrap_or(iforest.n_estimators);
            iforest.max_samples = s.max_samples.unwrap_or(iforest.max_samples);
            iforest.seed = s.seed.unwrap_or(iforest.seed);
        }
        if s.lof.is_none() {
            lof.n_neighbors = s.n_neighbors.unwrap_or(lof.n_neighbors);
            lof.neighbourhood = s.lof_neighbourhood.unwrap_or(lof.neighbourhood);
        }
        DetectorConfig {
            algorithm: s.algorithm,
            threshold: s.threshold,
            contamination: s.contamination,
            risk: s.risk,
            scaling: s.scaling,
            iforest,
            lof,
            seasonal: s.seasonal.unwrap_or_default(),
        }
    }
}

/// Scores, flags and threshold of the training rows under one threshold rule: what a fit
/// reports, and what re-thresholding changes without a refit. The scores are shared between the
/// detections of one fit (a re-threshold copies none of them).
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The training scores, kept to re-threshold without refitting.
    pub training: TrainingScores,
    /// Anomaly score per row (higher = more anomalous).
    pub scores: Arc<[f64]>,
    /// Flag per row under the configured threshold.
    pub flags: Vec<bool>,
    /// The threshold on the anomaly score: rows scoring above it are flagged.
    pub threshold: f64,
    /// The tail of the anomaly scores, fitted the first time the automatic threshold is asked
    /// for and kept, so that another risk costs one formula.
    pub tail: Option<Tail>,
    /// Warnings from fitting (such as parameters clamped to the data), then those of the
    /// threshold rule in use.
    pub warnings: Vec<String>,
    /// The fit's own warnings, from which re-thresholding rebuilds `warnings`.
    fit_warnings: Vec<String>,
    /// The flagged rows in row order.
    flagged: Arc<[usize]>,
    /// The flagged rows by score when a rule over the rows flagged more than the threshold does
    /// ([`Detection::flag_more`]); `None` when the flagged rows are those above the threshold.
    grouped: Option<Arc<[usize]>>,
    /// Rows flagged by that rule besides those above the threshold.
    added: usize,
    /// The `score_samples` offset below which rows are flagged (`-threshold`).
    offset: f64,
    /// The settings used.
    pub config: DetectorConfig,
}

impl Detection {
    /// Builds the outcome from a fitted detector's training scores, flagged under `config`'s
    /// threshold rule. When every row scores the same, a warning says so: the flags then say
    /// nothing about the data. Fails only for the automatic threshold on too few rows.
    pub fn new(
        training: &TrainingScores,
        warnings: &[String],
        config: &DetectorConfig,
    ) -> Result<Self, FitError> {
        let mut warnings = warnings.to_vec();
        if let Some(score) = training.common_score() {
            warnings.push(same_score_warning(-score, training.score_samples().len()));
        }
        let mut detection = Detection {
            scores: training.anomaly_scores().into(),
            flags: Vec::new(),
            threshold: f64::NAN,
            tail: None,
            training: training.clone(),
            warnings: warnings.clone(),
            fit_warnings: warnings,
            flagged: Arc::from([]),
            grouped: None,
            added: 0,
            offset: f64::NAN,
            config: *config,
        };
        detection.rethreshold(config)?;
        Ok(detection)
    }

    /// A detection of the same fit under `config`'s threshold rule (see
    /// [`Detection::rethreshold`]), sharing this one's scores: no score is copied.
    pub fn rethresholded(&self, config: &DetectorConfig) -> Result<Self, FitError> {
        let mut next = Detection {
            training: self.training.clone(),
            scores: Arc::clone(&self.scores),
            flags: Vec::new(),
            threshold: self.threshold,
            tail: self.tail.clone(),
            warnings: Vec::new(),
            fit_warnings: self.fit_warnings.clone(),
            flagged: Arc::from([]),
            grouped: None,
            added: 0,
            offset: self.offset,
            config: self.config,
        };
        next.rethreshold(config)?;
        Ok(next)
    }

    /// Flags the rows again under `config`'s threshold rule (its mode, contamination and risk;
    /// the rest of `config` is not looked at): for the contamination one percentile lookup and
    /// one pass; for the automatic threshold a fit of the scores' tail the first time, then one
    /// formula and one pass. No refit of the detector.
    pub fn rethreshold(&mut self, config: &DetectorConfig) -> Result<(), FitError> {
        match config.threshold {
            ThresholdMode::Contamination => {
                self.flags = self.training.flags(config.contamination);
                self.offset = self.training.offset_for(config.contamination);
                self.threshold = -self.offset;
                self.warnings = self.fit_warnings.clone();
            }
            ThresholdMode::Auto => {
                let algorithm = self.config.algorithm;
                let tail = match self.tail.take() {
                    Some(tail) => tail,
                    None => {
                        let in_tail_space: Vec<f64> = self
                            .scores
                            .par_iter()
                            .map(|&s| algorithm.to_tail_space(s))
                            .collect();
                        Tail::calibrate(&in_tail_space)?
                    }
                };
                self.threshold = algorithm.from_tail_space(tail.threshold(config.risk));
                let z = self.threshold;
                // `-s > z` exactly where `s < -z` (negation is exact): `offset` is `-z`.
                self.offset = -z;
                self.flags = self.scores.par_iter().map(|&s| s > z).collect();
                self.warnings = self.fit_warnings.clone();
                if self.training.common_score().is_none() {
                    self.warnings.extend(tail.warning());
                }
                if let Some(max) = self.config.algorithm.max_score().filter(|&m| z >= m) {
                    self.warnings
                        .push(above_every_score_warning(self.config.algorithm, z, max));
                }
                self.tail = Some(tail);
            }
        }
        self.index_flags();
        self.grouped = None;
        self.added = 0;
        self.config.threshold = config.threshold;
        self.config.contamination = config.contamination;
        self.config.risk = config.risk;
        Ok(())
    }

    /// The flagged rows in row order from the flags.
    fn index_flags(&mut self) {
        self.flagged = self
            .flags
            .par_iter()
            .enumerate()
            .filter(|(_, f)| **f)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
            .into();
    }

    /// Flags more rows than the threshold does, by a rule over the rows that `more` applies to
    /// the flags (such as the members of a flood flagged together) and returns how many it
    /// added; the flagged rows and their order by score follow. The next re-threshold starts
    /// again from the threshold alone.
    pub fn flag_more(&mut self, more: impl FnOnce(&mut [bool]) -> usize) -> usize {
        let added = more(&mut self.flags);
        if added > 0 {
            self.index_flags();
            // The flagged table's order: by anomaly score, highest first, equal scores later
            // row first (a stable ascending sort, reversed).
            let scores = &self.scores;
            let mut by_score = self.flagged.to_vec();
            by_score.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
            by_score.reverse();
            self.grouped = Some(by_score.into());
            self.added += added;
        }
        added
    }

    /// Rows flagged by a rule over the rows ([`Detection::flag_more`]) besides those scoring
    /// above the threshold.
    pub fn flagged_by_rule(&self) -> usize {
        self.added
    }

    /// Indices of the flagged rows.
    pub fn flagged_rows(&self) -> Vec<usize> {
        self.flagged.to_vec()
    }

    /// The flagged rows in row order, without a copy.
    pub fn flagged_in_row_order(&self) -> &[usize] {
        &self.flagged
    }

    /// The flagged rows by anomaly score, highest first (equal scores later row first, so the
    /// reverse lists them lowest first with equal scores in row order): a part of the order
    /// sorted once at fit time, found by a binary search; the same rows as
    /// [`Detection::flagged_in_row_order`].
    pub fn flagged_by_score(&self) -> &[usize] {
        if let Some(grouped) = &self.grouped {
            return grouped;
        }
        self.training.below(self.offset)
    }

    /// The highest anomaly score of a row (NaN scores left out), without a pass over the rows.
    pub fn max_score(&self) -> Option<f64> {
        self.training.lowest().map(|s| -s)
    }
}

/// The warning for an automatic threshold `z` at or above `max`, the highest score `algorithm`
/// can give: nothing can be flagged, and the likely reason is masking.
fn above_every_score_warning(algorithm: Algorithm, z: f64, max: f64) -> String {
    format!(
        "the automatic threshold ({z:.4}) is at or above {max}, the highest score {algorithm} can \
         give, so nothing is flagged: the highest scores are probably anomalies numerous enough \
         to make up the tail the threshold is fitted to (the automatic threshold is for anomalies \
         that are rare against the top 2% of the rows); choose the share to flag instead \
         (`--threshold contamination`; in the app, Threshold: Contamination)"
    )
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
    /// Seasonal baseline (a new row is scored as the interval after the last row).
    Seasonal(Arc<FittedSeasonal>),
}

impl FittedDetector {
    /// The anomaly score (higher = more anomalous) of one row, scaled like the training rows.
    pub fn anomaly_score(&self, row: &[f64]) -> Result<f64, FitError> {
        Ok(-match self {
            FittedDetector::Forest(f) => f.score_one(row)?,
            FittedDetector::Lof(l) => l.score_one(row)?,
            FittedDetector::Seasonal(s) => return Ok(s.score_next(row)?),
        })
    }

    /// The feature that explains each of `rows` most (an index into the columns of `x`, the
    /// matrix the detector was fitted on): the forest's own splits, the largest robust
    /// z-score for LOF, the largest |z| against the baseline for the seasonal baseline.
    pub fn explain(&self, x: &Matrix, rows: &[usize]) -> Result<Vec<usize>, FitError> {
        match self {
            FittedDetector::Forest(f) => f.explain(x, rows),
            FittedDetector::Lof(_) => Ok(RobustExplainer::fit(x).top_features(x, rows)),
            FittedDetector::Seasonal(s) => Ok(s.top_features(rows)),
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
    /// Whether the fit reused what an earlier fit on the same matrix left in [`FitReuse`]
    /// (LOF: the neighbour lists) instead of searching or growing anew.
    pub reused: bool,
}

/// What a fit gets besides its parameters: the prepared (selected, scaled) matrix, the rows'
/// times, what earlier fits on the same matrix left, and the cancel flag and progress.
pub struct FitInput<'a> {
    /// The feature matrix, already selected and scaled.
    pub x: &'a Matrix<'a>,
    /// Each row's time (epoch milliseconds) when the data has a time column.
    pub times: Option<&'a [i64]>,
    /// Where the UTC offset the times were written with changed (daylight saving), when known.
    pub clock: Option<&'a crate::clock::LocalClock>,
    /// What earlier fits on this matrix left for later ones.
    pub reuse: &'a mut FitReuse,
    /// Cancel flag and progress.
    pub control: Control<'a>,
}

/// What fits on one feature matrix keep for later fits on the same matrix (the analysis
/// session holds one per matrix and drops it with the matrix).
#[derive(Debug, Default)]
pub struct FitReuse {
    /// How many LOF neighbours a search finds ahead of the k asked for (0: only k), so that the
    /// neighbours slider needs no new search.
    pub neighbour_reserve: usize,
    /// The LOF neighbour lists searched on the matrix.
    pub neighbours: Option<NeighbourCache>,
}

impl FitReuse {
    /// Nothing kept yet; LOF searches `neighbour_reserve` neighbours ahead.
    pub fn new(neighbour_reserve: usize) -> Self {
        FitReuse {
            neighbour_reserve,
            neighbours: None,
        }
    }
}
