//! Turning scores into flags: scikit-learn's contamination rule. `auto` uses the detector's fixed
//! offset; a fraction takes the `100 * contamination` percentile (numpy's linear interpolation)
//! of the training `score_samples`. Training scores are kept sorted, with the rows in that order,
//! so that a new contamination costs one percentile lookup, and finding the flagged rows (a prefix
//! of that order) one binary search.

use std::sync::{Arc, OnceLock};

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
            Contamination::Fraction(x) => f.write_str(&super::setting_text::setting_text(*x)),
        }
    }
}

/// The training scores of a fitted detector (scikit-learn's `score_samples` convention: lower is
/// more anomalous), in row order and, once something needs it, sorted, with the rows in score
/// order and the contamination chosen at fit time. A new contamination costs a percentile lookup
/// and a binary search: the rows it flags are a prefix of [`TrainingScores::order`]. The sort is
/// made the first time a share of the rows or the order is asked for (or
/// [`TrainingScores::prepare_order`]), so a scoring under `contamination = auto` that lists no
/// rows by score does not pay for it. Clones share the scores and the order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "StoredTrainingScores", into = "StoredTrainingScores")]
pub struct TrainingScores {
    /// Scores in row order.
    scores: Arc<[f64]>,
    /// The rows in score order, made once when first needed.
    ordered: OnceLock<Ordered>,
    /// The offset for `contamination = auto`.
    auto_offset: f64,
    /// The contamination given at fit time.
    contamination: Contamination,
}

/// The training scores sorted, and the rows in that order.
#[derive(Debug, Clone)]
struct Ordered {
    /// The scores, ascending (most anomalous first; `f64::total_cmp`).
    sorted: Arc<[f64]>,
    /// The rows in the order of `sorted`; rows with equal scores later row first.
    order: Arc<[usize]>,
    /// How many scores at the start of `sorted` are NaN (a NaN with its sign bit set sorts
    /// first); no row among them is ever flagged.
    leading_nan: usize,
}

impl Ordered {
    /// Sorts the rows of `scores` by score once.
    fn of(scores: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.par_sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)));
        let sorted: Arc<[f64]> = order
            .par_iter()
            .map(|&r| scores[r])
            .collect::<Vec<_>>()
            .into();
        let leading_nan = sorted.iter().take_while(|s| s.is_nan()).count();
        Ordered {
            sorted,
            order: order.into(),
            leading_nan,
        }
    }
}

/// Equal when the scores (as `==` compares them), the `auto` offset and the contamination are:
/// the order is made from the scores, whether made yet or not.
impl PartialEq for TrainingScores {
    fn eq(&self, other: &Self) -> bool {
        self.scores == other.scores
            && self.auto_offset == other.auto_offset
            && self.contamination == other.contamination
    }
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
    /// Keeps the training scores (row order), the detector's `auto` offset and the contamination
    /// (the rows are sorted by score when first needed).
    pub fn new(scores: Vec<f64>, auto_offset: f64, contamination: Contamination) -> Self {
        TrainingScores {
            scores: scores.into(),
            ordered: OnceLock::new(),
            auto_offset,
            contamination,
        }
    }

    /// Sorts the rows by score now, if not done yet: an interactive session does it after a fit,
    /// on its worker, so that moving the contamination costs a lookup wherever it is done.
    pub fn prepare_order(&self) {
        self.ordered();
    }

    /// The rows in score order, sorted the first time.
    fn ordered(&self) -> &Ordered {
        self.ordered.get_or_init(|| Ordered::of(&self.scores))
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
            Contamination::Fraction(f) => percentile_sorted(&self.ordered().sorted, 100.0 * f),
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
        let o = self.ordered();
        let rest = &o.sorted[o.leading_nan..];
        let end = o.leading_nan + rest.partition_point(|&s| s < offset);
        &o.order[o.leading_nan..end]
    }

    /// The training scores, ascending.
    pub fn sorted_scores(&self) -> &[f64] {
        &self.ordered().sorted
    }

    /// The rows in the order of [`TrainingScores::sorted_scores`] (equal scores later row first).
    pub fn order(&self) -> &[usize] {
        &self.ordered().order
    }

    /// The lowest score that is not NaN (the highest anomaly score is its negation): from the
    /// order when it is made, else by one pass.
    pub fn lowest(&self) -> Option<f64> {
        if let Some(o) = self.ordered.get() {
            return o.sorted.get(o.leading_nan).copied().filter(|s| !s.is_nan());
        }
        self.scores
            .par_iter()
            .copied()
            .filter(|s| !s.is_nan())
            .min_by(f64::total_cmp)
    }

    /// The one score every training row has, when there are at least two rows and all score
    /// exactly the same (identical rows, for example): then no row can be told apart. (As the
    /// ends of the sorted scores compare: a NaN anywhere means none; -0.0 and 0.0 are the same
    /// score, -0.0 returned.)
    pub fn common_score(&self) -> Option<f64> {
        if self.scores.len() < 2 {
            return None;
        }
        let min = |a: f64, b: f64| if b.total_cmp(&a).is_lt() { b } else { a };
        let max = |a: f64, b: f64| if b.total_cmp(&a).is_gt() { b } else { a };
        let (lo, hi) = self
            .scores
            .par_iter()
            .map(|&s| (s, s))
            .reduce_with(|(a, b), (c, d)| (min(a, c), max(b, d)))?;
        (lo == hi).then_some(lo)
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
        // Shown as it was given, tiny shares with an exponent; what is shown parses back.
        for (c, shown) in [
            (0.05, "0.05"),
            (0.0001, "0.0001"),
            (1e-9, "1e-9"),
            (1e-300, "1e-300"),
        ] {
            assert_eq!(Contamination::Fraction(c).to_string(), shown);
            assert_eq!(
                shown.parse::<Contamination>(),
                Ok(Contamination::Fraction(c))
            );
        }
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
