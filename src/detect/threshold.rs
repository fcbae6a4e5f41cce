//! Turning scores into flags: scikit-learn's contamination rule. `auto` uses the detector's fixed
//! offset; a fraction takes the `100 * contamination` percentile (numpy's linear interpolation)
//! of the training `score_samples`. Training scores are kept sorted, with the rows in that order,
//! so that a new contamination costs one percentile lookup, and finding the flagged rows (a prefix
//! of that order) one binary search.

use std::sync::Arc;

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
/// more anomalous), in row order and sorted, with the rows in score order and the contamination
/// chosen at fit time. A new contamination costs a percentile lookup and a binary search: the
/// rows it flags are a prefix of [`TrainingScores::order`]. Clones share the scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredTrainingScores", into = "StoredTrainingScores")]
pub struct TrainingScores {
    /// Scores in row order.
    scores: Arc<[f64]>,
    /// The same scores, ascending (most anomalous first; `f64::total_cmp`).
    sorted: Arc<[f64]>,
    /// The rows in the order of `sorted`; rows with equal scores later row first.
    order: Arc<[usize]>,
    /// How many scores at the start of `sorted` are NaN (a NaN with its sign bit set sorts
    /// first); no row among them is ever flagged.
    leading_nan: usize,
    /// The offset for `contamination = auto`.
    auto_offset: f64,
    /// The contamination given at fit time.
    contamination: Contamination,
}

/// What a [`TrainingScores`] is stored as: the order is recomputed on reading.
#[derive(Serialize, Deserialize)]
struct StoredTrainingScores {
    scores: Vec<f64>,
    auto_offset: f64,
    contamination: Contamination,
}

impl From<StoredTrainingScores> for TrainingScores {
    fn from(s: StoredTrainingScores) -> Self {
        TrainingScores::new(s.scores, s.auto_offset, s.contamination)
    }
}

impl From<TrainingScores> for StoredTrainingScores {
    fn from(t: TrainingScores) -> Self {
        StoredTrainingScores {
            scores: t.scores.to_vec(),
            auto_offset: t.auto_offset,
            contamination: t.contamination,
        }
    }
}

impl TrainingScores {
    /// Keeps the training scores (row order), the detector's `auto` offset and the contamination;
    /// sorts the rows by score once.
    pub fn new(scores: Vec<f64>, auto_offset: f64, contamination: Contamination) -> Self {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.par_sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)));
        let sorted: Arc<[f64]> = order
            .par_iter()
            .map(|&r| scores[r])
            .collect::<Vec<_>>()
            .into();
        let leading_nan = sorted.iter().take_while(|s| s.is_nan()).count();
        TrainingScores {
            scores: scores.into(),
            sorted,
            order: order.into(),
            leading_nan,
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
        self.below(self.offset_for(contamination)).len()
    }

    /// Which training rows are flagged under `contamination`, in row order.
    pub fn flags(&self, contamination: Contamination) -> Vec<bool> {
        let offset = self.offset_for(contamination);
        self.scores
            .par_iter()
            .map(|&s| is_outlier(s, offset))
            .collect()
    }

    /// The rows scoring below `offset` (what [`is_outlier`] flags), most anomalous first (equal
    /// scores later row first): a part of [`TrainingScores::order`] found by a binary search.
    pub fn below(&self, offset: f64) -> &[usize] {
        let rest = &self.sorted[self.leading_nan..];
        let end = self.leading_nan + rest.partition_point(|&s| s < offset);
        &self.order[self.leading_nan..end]
    }

    /// The training scores, ascending.
    pub fn sorted_scores(&self) -> &[f64] {
        &self.sorted
    }

    /// The rows in the order of [`TrainingScores::sorted_scores`] (equal scores later row first).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The lowest score that is not NaN (the highest anomaly score is its negation).
    pub fn lowest(&self) -> Option<f64> {
        self.sorted
            .get(self.leading_nan)
            .copied()
            .filter(|s| !s.is_nan())
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
