//! Local Outlier Factor's settings as the user chooses them (the command line's
//! `--n-neighbors` and `--lof-neighbourhood`; the detector panel's neighbours and neighbourhood),
//! and how they reach a fit: validated into [`ValidLofParams`], fitted into a [`FitOutcome`]
//! from neighbour lists searched on the matrix, or from lists an earlier fit on the same matrix
//! left in [`FitReuse`] (the neighbours slider). The contamination and the scaling are shared
//! by every detector and live in [`DetectorConfig`](crate::detect::DetectorConfig).

use serde::{Deserialize, Serialize};

use super::run::{Detection, FitInput, FitOutcome, FittedDetector};
use super::{Contamination, DetectorConfig, FitError, LofParams, NeighbourCache, Neighbourhood};
use super::{ParamsError, ValidLofParams};

/// LOF's own settings (scikit-learn's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LofSettings {
    /// Neighbours (20).
    pub n_neighbors: usize,
    /// scikit-learn's k nearest rows or Breunig et al.'s k-distance neighbourhood.
    pub neighbourhood: Neighbourhood,
}

impl Default for LofSettings {
    fn default() -> Self {
        let params = LofParams::default();
        LofSettings {
            n_neighbors: params.n_neighbors,
            neighbourhood: params.neighbourhood,
        }
    }
}

impl LofSettings {
    /// LOF's parameters under `contamination`.
    pub fn params(&self, contamination: Contamination) -> LofParams {
        LofParams {
            n_neighbors: self.n_neighbors,
            contamination,
            neighbourhood: self.neighbourhood,
        }
    }

    /// Checks every rule under `contamination`; returns the only type that can fit.
    pub fn validate(&self, contamination: Contamination) -> Result<ValidLofParams, ParamsError> {
        self.params(contamination).validate()
    }

    /// The settings in words, such as `20 neighbours` or `20 neighbours, k-distance
    /// neighbourhood`.
    pub fn describe(&self) -> String {
        match self.neighbourhood {
            Neighbourhood::KNearest => format!("{} neighbours", self.n_neighbors),
            other => format!(
                "{} neighbours, {} neighbourhood",
                self.n_neighbors,
                other.name()
            ),
        }
    }
}

/// LOF on `input`'s matrix: from the neighbour lists an earlier fit on the same matrix left
/// when they hold k neighbours (no new search), else after one search for k, or for
/// [`FitReuse::neighbour_reserve`](super::run::FitReuse) neighbours ahead when that is more, kept
/// for the next k. `config` is what `params` were validated from.
pub fn fit(
    input: FitInput<'_>,
    params: &ValidLofParams,
    config: &DetectorConfig,
) -> Result<FitOutcome, FitError> {
    let k = params.params().n_neighbors;
    let rows = input.x.rows();
    let (cache, reused) = match input.reuse.neighbours.take() {
        Some(cache) if k <= cache.k_max() && cache.rows() == rows => (cache, true),
        _ => {
            let k_max = input.reuse.neighbour_reserve.max(k);
            (
                NeighbourCache::build_with(input.x, k_max, input.control)?,
                false,
            )
        }
    };
    let cache = input.reuse.neighbours.insert(cache);
    if input.control.cancelled() {
        return Err(FitError::Cancelled);
    }
    let lof = cache.fit_params(params.params(), input.control)?;
    Ok(FitOutcome {
        detection: Detection::new(lof.training(), lof.warnings(), config)?,
        detector: FittedDetector::Lof(lof),
        reused,
    })
}
