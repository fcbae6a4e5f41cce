//! SPOT's tail model of a set of scores (Siffer et al., KDD 2017, section 3, "peaks over
//! threshold"): an initial threshold `t` at a high empirical quantile, the excesses `X - t` of the
//! scores above it, a generalized Pareto distribution fitted to them, and from it the threshold
//! `z_q` that a normal score exceeds with probability `q` (the risk):
//!
//! `z_q = t + (sigma / gamma) ((q n / N_t)^(-gamma) - 1)`, or `t - sigma ln(q n / N_t)` for
//! `gamma = 0`, with `n` the scores seen and `N_t` the excesses among them.
//!
//! The fit does not depend on `q`, so a new risk costs one formula, not a refit.
//!
//! **Robustness (a deviation from the paper).** SPOT calibrates on scores that may hold the very
//! anomalies to be found. So the largest [`CENSORED_SHARE`] of the excesses enter the fit only as
//! "above the largest kept excess" (type II censoring, see [`super::gpd`]): they still count, so
//! the tail is not shortened, but their values cannot bend it (one score a thousand times beyond
//! the rest no longer makes the tail heavy). Their number still does: anomalies that are a
//! sizeable share of the excesses are taken for the tail itself and the threshold lands above
//! them (masking; five far outliers among 3,000 Isolation Forest scores, 8% of the 60 excesses,
//! are missed, among 20,000 they are found). The automatic threshold is for anomalies that are
//! rare against the top 2% of the scores. On data without anomalies censoring costs a little
//! precision, not bias (the known-tail tests hold at the same tolerance).

use serde::{Deserialize, Serialize};

use super::gpd::{fit_censored, Gpd, GpdFit};
use super::{Risk, SpotError};
use crate::numeric::percentile_sorted;

/// The initial threshold's quantile level when there are enough scores (the paper's 98%).
pub const LEVEL: f64 = 0.98;

/// The fewest excesses the initial level leaves for the fit: on fewer than
/// `MIN_EXCESSES / (1 - LEVEL)` scores the level is lowered to keep this many.
pub const MIN_EXCESSES: usize = 10;

/// The lowest initial level: below it the excesses would no longer be a tail.
pub const MIN_LEVEL: f64 = 0.9;

/// The share of the largest excesses fitted as censored (only "above the largest kept one"):
/// anomalies up to 10% of the excesses (0.2% of the scores at the 98% level) cannot widen the
/// tail. With fewer than 10 excesses nothing is censored.
pub const CENSORED_SHARE: f64 = 0.1;

/// The fewest scores the automatic threshold calibrates on (10 excesses at the 90% level).
pub const MIN_SCORES: usize = 100;

/// The initial quantile level for `n` scores: [`LEVEL`], lowered (down to [`MIN_LEVEL`]) so
/// that at least [`MIN_EXCESSES`] scores lie above it.
pub fn initial_level(n: usize) -> f64 {
    let keeps_enough = 1.0 - MIN_EXCESSES as f64 / n.max(1) as f64;
    keeps_enough.clamp(MIN_LEVEL, LEVEL)
}

/// The tail of a set of scores: the initial threshold, the excesses over it, how many scores
/// were seen, and the GPD fitted to the excesses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tail {
    /// The initial threshold `t`.
    initial: f64,
    /// The excesses `X - t` of the scores above `t` (all positive), ascending.
    excesses: Vec<f64>,
    /// Scores seen, `n` (those at or below `t` and the excesses).
    observations: usize,
    /// The GPD of the excesses; `None` when there is no excess.
    fit: Option<GpdFit>,
}

impl Tail {
    /// Calibrates on `scores` (higher = more anomalous): `t` is their
    /// [`initial_level`] percentile (numpy's linear interpolation), the excesses those strictly
    /// above it. Needs at least [`MIN_SCORES`] finite scores.
    pub fn calibrate(scores: &[f64]) -> Result<Tail, SpotError> {
        if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(SpotError::NotFinite { index, value });
        }
        if scores.len() < MIN_SCORES {
            return Err(SpotError::TooFewScores {
                scores: scores.len(),
                needed: MIN_SCORES,
            });
        }
        let mut sorted = scores.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let initial = percentile_sorted(&sorted, 100.0 * initial_level(scores.len()));
        let above = sorted.partition_point(|&s| s <= initial);
        let excesses: Vec<f64> = sorted[above..].iter().map(|&s| s - initial).collect();
        Ok(Tail::with_initial(initial, excesses, scores.len()))
    }

    /// The tail above a given initial threshold `initial`: `excesses` (positive) out of
    /// `observations` scores. This is what a stream reaches after its calibration plus every
    /// non-alarm score, so batch and stream can be compared.
    pub fn with_initial(initial: f64, mut excesses: Vec<f64>, observations: usize) -> Tail {
        excesses.sort_unstable_by(f64::total_cmp);
        let fit = fit(&excesses);
        Tail {
            initial,
            excesses,
            observations,
            fit,
        }
    }

    /// The threshold at risk `q`: `z_q` from the formula above, never below `t` (a risk above
    /// `N_t / n`, possible when scores tie at `t`, would put it inside the bulk of the scores,
    /// which the tail model does not describe). With no excess to fit, `t` itself.
    pub fn threshold(&self, risk: Risk) -> f64 {
        match &self.fit {
            Some(fit) => z_q(
                self.initial,
                fit.gpd,
                risk,
                self.observations,
                self.excesses.len(),
            ),
            None => self.initial,
        }
    }

    /// One more score at or below `t` (the stream's normal case): `n` grows, no refit.
    pub fn observe(&mut self) {
        self.observations += 1;
    }

    /// One more excess (a score above `t`, not an alarm): it joins the excesses and the GPD is
    /// fitted again.
    pub fn add_excess(&mut self, excess: f64) {
        let at = self.excesses.partition_point(|&y| y <= excess);
        self.excesses.insert(at, excess);
        self.observations += 1;
        self.fit = fit(&self.excesses);
    }

    /// The initial threshold `t`.
    pub fn initial(&self) -> f64 {
        self.initial
    }

    /// The fitted GPD of the excesses (`None` when there are none).
    pub fn gpd(&self) -> Option<Gpd> {
        self.fit.map(|f| f.gpd)
    }

    /// The excesses over `t`, ascending.
    pub fn excesses(&self) -> &[f64] {
        &self.excesses
    }

    /// Scores seen, `n`.
    pub fn observations(&self) -> usize {
        self.observations
    }

    /// A warning when the threshold says nothing about a tail: no score lies above `t` (the top
    /// scores tie), so the threshold is the highest score and nothing above it was ever seen.
    pub fn warning(&self) -> Option<String> {
        self.fit.is_none().then(|| {
            format!(
                "no score lies above the initial threshold {} (the highest scores are all equal), \
                 so there is no tail to fit: the automatic threshold is the highest score and \
                 flags nothing here; check that the scores vary, or choose the share to flag \
                 (threshold mode `contamination`)",
                self.initial
            )
        })
    }
}

/// The GPD of `sorted` excesses with the largest [`CENSORED_SHARE`] censored.
fn fit(sorted: &[f64]) -> Option<GpdFit> {
    let censored = (sorted.len() as f64 * CENSORED_SHARE).floor() as usize;
    let kept = &sorted[..sorted.len() - censored];
    fit_censored(kept, censored, *kept.last()?)
}

/// SPOT's threshold at risk `q` over `n` scores of which `n_t` exceed `initial`, never below
/// `initial`.
fn z_q(initial: f64, gpd: Gpd, risk: Risk, n: usize, n_t: usize) -> f64 {
    let r = risk.get() * n as f64 / n_t as f64;
    initial + gpd.excess_at(r).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_keeps_enough_excesses() {
        assert_eq!(initial_level(10_000), LEVEL);
        assert_eq!(initial_level(500), LEVEL);
        assert!((initial_level(200) - 0.95).abs() < 1e-12);
        assert_eq!(initial_level(100), MIN_LEVEL);
        assert_eq!(initial_level(50), MIN_LEVEL);
    }

    #[test]
    fn too_few_or_bad_scores_are_errors() {
        assert_eq!(
            Tail::calibrate(&[1.0; 99]),
            Err(SpotError::TooFewScores {
                scores: 99,
                needed: MIN_SCORES
            })
        );
        let mut s = vec![1.0; 200];
        s[7] = f64::NAN;
        assert!(matches!(
            Tail::calibrate(&s),
            Err(SpotError::NotFinite { index: 7, .. })
        ));
        assert!(SpotError::TooFewScores {
            scores: 5,
            needed: MIN_SCORES
        }
        .to_string()
        .contains("contamination"));
    }

    #[test]
    fn equal_scores_have_no_tail_and_flag_nothing() {
        let tail = Tail::calibrate(&[0.5; 1000]).expect("calibrate");
        assert_eq!(tail.gpd(), None);
        assert_eq!(tail.threshold(Risk::default()), 0.5);
        assert!(tail.warning().is_some());
        // Ties at the top only: the same.
        let mut s: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
        s[950..].fill(2.0);
        let tail = Tail::calibrate(&s).expect("calibrate");
        assert_eq!(tail.threshold(Risk::default()), 2.0);
        assert!(s.iter().all(|&x| x <= tail.threshold(Risk::default())));
    }

    #[test]
    fn the_excesses_are_those_above_the_initial_threshold() {
        let s: Vec<f64> = (0..1000).map(f64::from).collect();
        let tail = Tail::calibrate(&s).expect("calibrate");
        // np.percentile(range(1000), 98) == 979.02
        assert!((tail.initial() - 979.02).abs() < 1e-9);
        assert_eq!(tail.excesses().len(), 20);
        assert_eq!(tail.observations(), 1000);
        assert!(tail.warning().is_none());
        // A smaller risk is a higher threshold, and both are above t.
        let (lo, hi) = (
            tail.threshold(Risk::new(1e-2).expect("risk")),
            tail.threshold(Risk::new(1e-5).expect("risk")),
        );
        assert!(tail.initial() <= lo && lo < hi, "{lo} {hi}");
    }
}
