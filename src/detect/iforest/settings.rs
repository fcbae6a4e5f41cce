//! Isolation Forest's settings as the user chooses them (the command line's `--n-estimators`,
//! `--max-samples`, `--seed`; the detector panel's trees, samples and seed), and how they reach
//! a fit: validated into [`ValidIsolationForestParams`], fitted into a [`FitOutcome`].
//! The contamination and the scaling are shared by every detector and live in
//! [`DetectorConfig`](crate::detect::DetectorConfig).

use serde::{Deserialize, Serialize};

use super::{IsolationForestParams, MaxSamples, ValidIsolationForestParams};
use crate::control::Control;
use crate::detect::run::{Detection, FitOutcome, FittedDetector};
use crate::detect::{Contamination, DetectorConfig, FitError, Matrix, ParamsError};

/// Isolation Forest's own settings (scikit-learn's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IsolationForestSettings {
    /// Number of trees (100).
    pub n_estimators: usize,
    /// Rows per tree (`auto`).
    pub max_samples: MaxSamples,
    /// Random seed (0).
    pub seed: u64,
}

impl Default for IsolationForestSettings {
    fn default() -> Self {
        let params = IsolationForestParams::default();
        IsolationForestSettings {
            n_estimators: params.n_estimators,
            max_samples: params.max_samples,
            seed: params.seed,
        }
    }
}

impl IsolationForestSettings {
    /// The forest's parameters under `contamination`.
    pub fn params(&self, contamination: Contamination) -> IsolationForestParams {
        IsolationForestParams {
            n_estimators: self.n_estimators,
            max_samples: self.max_samples,
            contamination,
            seed: self.seed,
            ..IsolationForestParams::default()
        }
    }

    /// Checks every rule under `contamination`; returns the only type that can fit.
    pub fn validate(
        &self,
        contamination: Contamination,
    ) -> Result<ValidIsolationForestParams, ParamsError> {
        self.params(contamination).validate()
    }

    /// The settings in words, such as `100 trees, max_samples auto, seed 0`.
    pub fn describe(&self) -> String {
        let max_samples = match self.max_samples {
            MaxSamples::Auto => "auto".to_string(),
            MaxSamples::Count(n) => n.to_string(),
            MaxSamples::Fraction(f) => crate::detect::setting_text::setting_text(f),
        };
        format!(
            "{} trees, max_samples {max_samples}, seed {}",
            self.n_estimators, self.seed
        )
    }
}

/// Grows the forest on `x` (already selected and scaled) and scores its rows; `config` is what
/// `params` were validated from.
pub fn fit(
    x: &Matrix,
    params: &ValidIsolationForestParams,
    config: &DetectorConfig,
    control: Control,
) -> Result<FitOutcome, FitError> {
    let forest = params.fit_with(x, control)?;
    Ok(FitOutcome {
        detection: Detection::new(forest.training(), forest.warnings(), config)?,
        detector: FittedDetector::Forest(forest),
        reused: false,
    })
}
