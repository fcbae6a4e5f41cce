//! Turning scores into flags: scikit-learn's contamination rule. `auto` uses the detector's fixed
//! offset; a fraction takes the `100 * contamination` percentile (numpy's linear interpolation)
//! of the training `score_samples`. Training scores are kept sorted so that a new contamination
//! costs one percentile lookup, and counting flagged rows one binary search.

use rayon::slice::ParallelSliceMut;
use serde::{Deserialize, Serialize};

use super::ParamsError;
use crate::numeric::percentile_sorted;

/// The expected share of anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum Contamination {
    /// The detector's own fixed offset (-0.5 for Isolation Forest, -1.5 for LOF).
    #[default]
    Auto,
    /// A fraction of the training rows, in (0, 0.5].
    Fraction(f64),
}

impl Contamination {
    /// Checks the rule: a fraction must be in (0, 0.5].
    pub fn validate(self) -> Result<Self, ParamsError> {
        match self {
            Contamination::Fraction(f) if !(f > 0.0 && f <= 0.5) => {
                Err(ParamsError::Contamination(f))
            }
            c => Ok(c),
        }
    }
}

impl std::str::FromStr for Contamination {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(Contamination::Auto);
        }
        let f: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is neither `auto` nor a number"))?;
        Contamination::Fraction(f)
            .validate()
            .map_err(|e| e.to_string())
    }
}

impl std::fmt::Display for Contamination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contamination::Auto => f.write_str("auto"),
            Contamination::Fraction(x) => write!(f, "{x}"),
        }
    }
}

/// The training scores of a fitted detector, sorted, to derive thresholds without refitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// scikit-learn `score_samples` of the training rows, ascending (most anomalous first).
    sorted_scores: Vec<f64>,
    /// The offset for `contamination = auto`.
    auto_offset: f64,
}

impl Threshold {
    /// Keeps the training `score_samples` (any order) and the detector's `auto` offset.
    pub fn new(mut scores: Vec<f64>, auto_offset: f64) -> Self {
        scores.par_sort_unstable_by(f64::total_cmp);
        Threshold {
            sorted_scores: scores,
            auto_offset,
        }
    }

    /// scikit-learn's `offset_`: `decision_function = score_samples - offset`.
    pub fn offset(&self, contamination: Contamination) -> f64 {
        match contamination {
            Contamination::Auto => self.auto_offset,
            Contamination::Fraction(f) => percentile_sorted(&self.sorted_scores, 100.0 * f),
        }
    }

    /// How many training rows `predict` flags (`score_samples < offset`).
    pub fn flagged_count(&self, contamination: Contamination) -> usize {
        let offset = self.offset(contamination);
        self.sorted_scores.partition_point(|&s| s < offset)
    }

    /// The training scores, ascending.
    pub fn sorted_scores(&self) -> &[f64] {
        &self.sorted_scores
    }
}

/// scikit-learn's `predict`: true (an outlier, -1) where `score_samples - offset < 0`.
pub fn is_outlier(score_samples: f64, offset: f64) -> bool {
    score_samples - offset < 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contamination_rules() {
        assert_eq!("auto".parse::<Contamination>(), Ok(Contamination::Auto));
        assert_eq!(
            "0.05".parse::<Contamination>(),
            Ok(Contamination::Fraction(0.05))
        );
        assert!("0".parse::<Contamination>().is_err());
        assert!("0.6".parse::<Contamination>().is_err());
        assert!("x".parse::<Contamination>().is_err());
        assert!("0.5".parse::<Contamination>().is_ok());
        assert!(Contamination::Fraction(f64::NAN).validate().is_err());
    }

    #[test]
    fn offsets_and_counts() {
        // np.percentile([-0.9, -0.7, -0.5, -0.45, -0.4], 25) == -0.7
        let t = Threshold::new(vec![-0.5, -0.9, -0.4, -0.7, -0.45], -0.5);
        assert_eq!(t.offset(Contamination::Auto), -0.5);
        assert!((t.offset(Contamination::Fraction(0.25)) - (-0.7)).abs() < 1e-15);
        assert_eq!(t.flagged_count(Contamination::Fraction(0.25)), 1);
        // np.percentile(..., 30) == -0.66 -> two rows below
        assert!((t.offset(Contamination::Fraction(0.3)) - (-0.66)).abs() < 1e-12);
        assert_eq!(t.flagged_count(Contamination::Fraction(0.3)), 2);
        assert_eq!(t.flagged_count(Contamination::Auto), 2);
        assert!(is_outlier(-0.6, -0.5));
        assert!(!is_outlier(-0.5, -0.5));
    }
}
