//! Turning scores into flags: scikit-learn's contamination rule. `auto` uses the detector's fixed
//! offset; a fraction takes the `100 * contamination` percentile (numpy's linear interpolation)
//! of the training `score_samples`. Training scores are kept sorted so that a new contamination
//! costs one percentile lookup, and counting flagged rows one binary search.

use rayon::prelude::*;
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

/// The training scores of a fitted detector (scikit-learn's `score_samples` convention: lower is
/// more anomalous), in row order and sorted, with the contamination chosen at fit time. A new
/// contamination costs a percentile lookup and one pass; no refit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingScores {
    /// Scores in row order.
    scores: Vec<f64>,
    /// The same scores, ascending (most anomalous first).
    sorted: Vec<f64>,
    /// The offset for `contamination = auto`.
    auto_offset: f64,
    /// The contamination given at fit time.
    contamination: Contamination,
}

impl TrainingScores {
    /// Keeps the training scores (row order), the detector's `auto` offset and the contamination.
    pub fn new(scores: Vec<f64>, auto_offset: f64, contamination: Contamination) -> Self {
        let mut sorted: Vec<f64> = scores.par_iter().copied().collect();
        sorted.par_sort_unstable_by(f64::total_cmp);
        TrainingScores {
            scores,
            sorted,
            auto_offset,
            contamination,
        }
    }

    /// scikit-learn's `score_samples` (or `negative_outlier_factor_`) of the training rows.
    pub fn score_samples(&self) -> &[f64] {
        &self.scores
    }

    /// The project's anomaly scores of the training rows (`-score_samples`, higher = more anomalous).
    pub fn anomaly_scores(&self) -> Vec<f64> {
        self.scores.par_iter().map(|s| -s).collect()
    }

    /// The contamination given at fit time.
    pub fn contamination(&self) -> Contamination {
        self.contamination
    }

    /// scikit-learn's `offset_` for the contamination given at fit time.
    pub fn offset(&self) -> f64 {
        self.offset_for(self.contamination)
    }

    /// The offset for any contamination: `decision_function = score_samples - offset`.
    pub fn offset_for(&self, contamination: Contamination) -> f64 {
        match contamination {
            Contamination::Auto => self.auto_offset,
            Contamination::Fraction(f) => percentile_sorted(&self.sorted, 100.0 * f),
        }
    }

    /// How many training rows are flagged under `contamination` (`score_samples < offset`).
    pub fn flagged_count(&self, contamination: Contamination) -> usize {
        let offset = self.offset_for(contamination);
        self.sorted.partition_point(|&s| s < offset)
    }

    /// Which training rows are flagged under `contamination`, in row order.
    pub fn flags(&self, contamination: Contamination) -> Vec<bool> {
        let offset = self.offset_for(contamination);
        self.scores
            .par_iter()
            .map(|&s| is_outlier(s, offset))
            .collect()
    }

    /// The training scores, ascending.
    pub fn sorted_scores(&self) -> &[f64] {
        &self.sorted
    }

    /// The one score every training row has, when there are at least two rows and all score
    /// exactly the same (identical rows, for example): then no row can be told apart.
    pub fn common_score(&self) -> Option<f64> {
        match (self.sorted.first(), self.sorted.last()) {
            (Some(&lo), Some(&hi)) if self.sorted.len() > 1 && lo == hi => Some(lo),
            _ => None,
        }
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
        let t = TrainingScores::new(
            vec![-0.5, -0.9, -0.4, -0.7, -0.45],
            -0.5,
            Contamination::Auto,
        );
        assert_eq!(t.offset(), -0.5);
        assert!((t.offset_for(Contamination::Fraction(0.25)) - (-0.7)).abs() < 1e-15);
        assert_eq!(t.flagged_count(Contamination::Fraction(0.25)), 1);
        assert_eq!(
            t.flags(Contamination::Fraction(0.25)),
            vec![false, true, false, false, false]
        );
        // np.percentile(..., 30) == -0.66 -> two rows below
        assert!((t.offset_for(Contamination::Fraction(0.3)) - (-0.66)).abs() < 1e-12);
        assert_eq!(t.flagged_count(Contamination::Fraction(0.3)), 2);
        assert_eq!(t.flagged_count(Contamination::Auto), 2);
        assert!(is_outlier(-0.6, -0.5));
        assert!(!is_outlier(-0.5, -0.5));
        assert_eq!(t.common_score(), None);
    }

    #[test]
    fn equal_scores_are_noticed() {
        let same = TrainingScores::new(vec![-0.5; 4], -0.5, Contamination::Auto);
        assert_eq!(same.common_score(), Some(-0.5));
        let one = TrainingScores::new(vec![-0.5], -0.5, Contamination::Auto);
        assert_eq!(one.common_score(), None);
    }
}
