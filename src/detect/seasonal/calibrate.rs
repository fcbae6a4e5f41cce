//! The row's anomaly score as a probability: how surprising its robust z-scores are, mapped to
//! [0, 1] the same way for every series, so that one threshold means the same on every table.
//!
//! **A feature's tail probability `p`** is the chance that a normal row gives a |z| at least as
//! large, from one of two references (the user's choice, [`ScoreReference`]):
//! - [`ScoreReference::Model`] (the default): the baseline's own model, a normal residual whose
//!   MAD is the scale: `p = 2 Q(0.6745 |z|)`. It holds from the first row, and it does not learn
//!   recurring anomalies as normal, which is what a table of traffic with repeated attacks needs.
//! - [`ScoreReference::History`]: the feature's own earlier |z| (the last [`HISTORY`] learnt ones):
//!   `p = (k + 1) / (n + 1)` when `k` of the `n` earlier |z| are at least as large (the chance
//!   that the newest of `n + 1` exchangeable values has at most `k` of the others at or above
//!   it: a conformal p-value, and the same rule as a new high's one in `n + 1` in
//!   [`super::record`]); beyond the largest `p = 1 / (n + 1) * exp(-(|z| - max) / max)`. This
//!   is the idea of Numenta's anomaly
//!   likelihood (Ahmad, Lavin, Purdy & Agha, "Unsupervised real-time anomaly detection for
//!   streaming data", *Neurocomputing* 262, 2017: the tail probability of a score under a long
//!   rolling distribution of the same detector's earlier scores), with the empirical
//!   distribution in place of their normal fit, since |z| is heavy-tailed. It makes series of
//!   very different kinds comparable (a byte counter that is zero most of the time and bursts to
//!   10^8, a noisy percentage), and it learns recurring bursts as normal: the Numenta Anomaly
//!   Benchmark asks for that; a traffic table whose attacks recur does not. Until
//!   [`MIN_HISTORY`] values are in, `p = 1`. A feature's |z| are learnt only once its shortest
//!   period is in use (or it has none) and its scale has 8 residuals: the warm-up's |z|, made
//!   by a baseline that does not yet know the daily rhythm, would otherwise dwarf every later
//!   anomaly for the history's whole length. Against the history, a feature's `p` is also at
//!   most that of its value against the range of its last [`HISTORY`] values, and of its short
//!   mean and short mean departure from the expected value against the earlier ones
//!   ([`super::record`]: a new high or low is one in `n + 1`,
//!   rarer the further beyond): a slow climb to a level never seen has small z but is still news.
//!
//! **The row** combines its `m` features two ways and keeps the more surprising: the smallest `p`
//! corrected for testing `m` features (Šidák: `1 - (1 - p_min)^m`), so a table of six regions
//! does not raise six times the false alarms of one, and Fisher's combined probability of all
//! `m` (the chi-squared tail of `-2 sum(ln p)`), so that several features unusual together (a
//! midday drop in every region, each one alone inside its band) count as the evidence they are.
//! Taking the smaller of two probabilities at most doubles the chance flags at a given risk. **The score** is `L / (1 + L)` with `L = -log10(p_row)`: 0 for an
//! ordinary row, 0.5 at `p_row = 0.1`, 0.8 at 1e-4, 0.9 at 1e-9; strictly increasing, and below
//! 1 in double precision until `L` is about 1e15, so the most extreme rows stay ordered. A threshold on the score is a threshold on
//! `p_row`, the share of normal rows flagged by chance ([`score_of_risk`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::median::replace_sorted;
use super::scale::MAD_PER_SD;

/// The earlier |z| a feature's history keeps (the reference of [`ScoreReference::History`]):
/// 8,640, the historic window of Numenta's anomaly likelihood (a month of 5-minute data). On the
/// Numenta Anomaly Benchmark a shorter window of 2,048 scored lower (43.5 against 47.7, standard
/// profile, measured with `scripts/nab.sh`'s calibration in Python before this module).
pub const HISTORY: usize = 8640;

/// The fewest earlier |z| before the history gives probabilities (before: `p = 1`).
pub const MIN_HISTORY: usize = 10;

/// What a feature's tail probability is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ScoreReference {
    /// The baseline's normal model of the residual (`2 Q(0.6745 |z|)`).
    #[default]
    Model,
    /// The feature's own earlier |z| (an empirical anomaly likelihood).
    History,
}

impl fmt::Display for ScoreReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScoreReference::Model => "model",
            ScoreReference::History => "history",
        })
    }
}

impl FromStr for ScoreReference {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "model" => Ok(ScoreReference::Model),
            "history" => Ok(ScoreReference::History),
            other => Err(format!(
                "`{other}` is not a score reference; use `model` or `history`"
            )),
        }
    }
}

/// `-log10` of the two-sided normal tail at `|z|` MADs: `-log10(2 Q(0.6745 |z|))`, exact to
/// double precision far beyond where the tail itself underflows.
pub fn model_surprise(z: f64) -> f64 {
    // One product by a constant folded at compile time (a division here sat on every point's
    // critical path).
    let x = z.abs() * (MAD_PER_SD * std::f64::consts::FRAC_1_SQRT_2);
    if x.is_nan() {
        return 0.0;
    }
    // 2 Q(x sqrt 2) = erfc(x).
    if x < 25.0 {
        // `ln` and a product, not `log10`: glibc's `log10` is its `log` and more, and this runs
        // once per point (within an ulp or two of `-log10`).
        return -libm::erfc(x).ln() * std::f64::consts::LOG10_E;
    }
    // erfc(x) = exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - ...) for large x.
    let x2 = x * x;
    let ln =
        -x2 - (x * std::f64::consts::PI.sqrt()).ln() + (1.0 - 0.5 / x2 + 0.75 / (x2 * x2)).ln();
    -ln / std::f64::consts::LN_10
}

/// A feature's earlier |z|, kept sorted over a rolling window (the reference of
/// [`ScoreReference::History`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct History {
    /// The |z| in arrival order, a ring of at most [`HISTORY`].
    ring: Vec<f64>,
    /// Where the next value goes once the ring is full.
    next: usize,
    /// The same values, ascending.
    sorted: Vec<f64>,
}

impl History {
    /// `-log10` of the share of earlier |z| at least as large as `|z|` (see the module's doc).
    pub fn surprise(&self, z: f64) -> f64 {
        let a = z.abs();
        let n = self.sorted.len();
        if n < MIN_HISTORY || a.is_nan() {
            return 0.0;
        }
        // Conformal: (k + 1) / (n + 1). Until the seventh session of 2026-12-04 it was k / n, and
        // 0.5 / (n + 1) beyond the largest; on the Numenta Anomaly Benchmark (`--hold-off 16`,
        // NAB's scorer) 71.4 standard then, 71.7 now (1 / (n + 1) beyond the largest with k / n
        // inside: 71.7 too; 0.25, 0.75, 1.5 and 2 in place of 1 beyond it: 70.7, 71.5, 70.8,
        // 70.8).
        let at_least = n - self.sorted.partition_point(|&v| v < a);
        if at_least > 0 {
            return -((at_least as f64 + 1.0) / (n as f64 + 1.0)).log10();
        }
        let max = self.sorted[n - 1];
        let excess = (a - max) / (max.abs() + 1e-9);
        (n as f64 + 1.0).log10() + excess.min(1e300) / std::f64::consts::LN_10
    }

    /// Learns one |z| (a value that is not finite is not learnt).
    pub fn learn(&mut self, z: f64) {
        let a = z.abs();
        if !a.is_finite() {
            return;
        }
        if self.ring.len() < HISTORY {
            self.ring.push(a);
            let at = self.sorted.partition_point(|&v| v < a);
            self.sorted.insert(at, a);
            return;
        }
        let old = std::mem::replace(&mut self.ring[self.next], a);
        self.next = (self.next + 1) % HISTORY;
        replace_sorted(&mut self.sorted, old, a);
    }

    /// Values learnt (up to [`HISTORY`]).
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Nothing learnt yet.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// The row's `L = -log10(p_row)` from its features' `-log10 p`: the larger of the Šidák-corrected
/// smallest `p` ([`sidak_surprise`]) and Fisher's combined `p` ([`fisher_surprise`]).
pub fn row_surprise<I: IntoIterator<Item = f64>>(surprises: I) -> f64 {
    let mut m = 0usize;
    let mut best = 0.0f64;
    let mut sum = 0.0f64;
    for s in surprises {
        let s = if s.is_nan() { 0.0 } else { s.max(0.0) };
        m += 1;
        best = best.max(s);
        sum += s;
    }
    if m <= 1 {
        return best;
    }
    sidak_surprise(best, m).max(fisher_surprise(sum, m))
}

/// `-log10` of `1 - (1 - p)^m` for the smallest `p = 10^-best` of `m` features: the chance that
/// any of `m` independent normal features is that far out.
pub fn sidak_surprise(best: f64, m: usize) -> f64 {
    // `exp` and `ln` in place of `powf` and `log10` (once per row; within a few ulps).
    let p = (-best * std::f64::consts::LN_10).exp();
    let p_row = -((m as f64) * (-p).ln_1p()).exp_m1();
    if p_row > 0.0 && p_row.is_finite() {
        (-p_row.ln() * std::f64::consts::LOG10_E).max(0.0)
    } else {
        // p underflowed: p_row = m p to double precision.
        (best - (m as f64).log10()).max(0.0)
    }
}

/// Features up to which [`fisher_surprise`] takes `ln k` from a table (every row of a table
/// pays for it, so the logarithms are not recomputed per row).
const FISHER_TERMS: usize = 64;

/// `ln k` for `k` in `0..FISHER_TERMS` (`ln 0` unused), computed once by `f64::ln`.
fn small_logs() -> &'static [f64; FISHER_TERMS] {
    static TABLE: std::sync::OnceLock<[f64; FISHER_TERMS]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|k| (k as f64).ln()))
}

/// `-log10` of Fisher's combined probability of `m` features whose `-log10 p` sum to `sum`
/// (Fisher, *Statistical Methods for Research Workers*, 1925): `X = -2 sum(ln p)` is chi-squared
/// with `2m` degrees of freedom when the features are normal and independent, and its tail is
/// `exp(-X/2) sum_{k<m} (X/2)^k / k!`, computed here in logarithms.
pub fn fisher_surprise(sum: f64, m: usize) -> f64 {
    let half = sum * std::f64::consts::LN_10; // X / 2
    if half.is_nan() || half <= 0.0 {
        return 0.0;
    }
    if half.is_infinite() {
        return f64::INFINITY;
    }
    let ln_sum = if half < DIRECT_HALF_LIMIT && m <= FISHER_TERMS {
        direct_tail_sum(half, m).ln()
    } else {
        ln_tail_sum(half.ln(), m)
    };
    ((half - ln_sum) / std::f64::consts::LN_10).max(0.0)
}

/// Below this `X / 2`, [`fisher_surprise`] sums its series directly: every term of up to
/// [`FISHER_TERMS`] stays far inside a double (`(1e5)^63 / 63!` is about `1e228`).
const DIRECT_HALF_LIMIT: f64 = 1e5;

/// `sum_{k<m} (X/2)^k / k!` summed term by term, each term the last times `(X/2) / k`: one `ln`
/// per row where the logarithms of [`ln_tail_sum`] took `m` exponentials and two logarithms (a
/// fifth of the seasonal scorer's time). Every term is positive, so the sum is accurate to a
/// few ulps; tested against the logarithmic sum.
fn direct_tail_sum(half: f64, m: usize) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..m {
        term *= half / k as f64;
        sum += term;
    }
    sum
}

/// `ln sum_{k<m} (X/2)^k / k!` from `ln(X/2)`, each term's logarithm built up from the last,
/// summed by log-sum-exp in two passes (no allocation); `ln k` from [`small_logs`] where it
/// has it (the same bits as computing it, tested).
fn ln_tail_sum(ln_half: f64, m: usize) -> f64 {
    let logs = small_logs();
    let ln_terms = || {
        (0..m).scan(0.0f64, move |ln_term, k| {
            if k > 0 {
                let ln_k = logs.get(k).copied().unwrap_or_else(|| (k as f64).ln());
                *ln_term += ln_half - ln_k;
            }
            Some(*ln_term)
        })
    };
    let top = ln_terms().fold(f64::NEG_INFINITY, f64::max);
    top + ln_terms().map(|t| (t - top).exp()).sum::<f64>().ln()
}

/// The per-row risk of the default (`auto`) threshold: the share of normal rows flagged by
/// chance, the automatic threshold's default ([`crate::detect::spot::Risk::DEFAULT`], 1e-4).
pub fn default_risk() -> f64 {
    crate::detect::spot::Risk::DEFAULT.get()
}

/// The chance per feature that makes a row of `features` independent features reach `risk`:
/// `1 - (1 - risk)^(1/m)` (Šidák), computed without cancellation for small risks.
pub fn feature_risk(risk: f64, features: usize) -> f64 {
    let m = features.max(1) as f64;
    -((-risk).ln_1p() / m).exp_m1()
}

/// The half-width in MADs at which one of `features` normal features leaves its band with
/// probability `risk` per row under the model: `2 Q(0.6745 z) = 1 - (1 - risk)^(1/m)`. A row is
/// then flagged at [`score_of_risk`] exactly when one of its features leaves its band (with
/// [`ScoreReference::Model`]). Six features at 1e-4: 6.38 MADs (4.30 standard deviations).
pub fn model_band_mads(risk: f64, features: usize) -> f64 {
    let target = -feature_risk(risk, features).log10();
    let (mut lo, mut hi) = (0.0f64, 100.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if model_surprise(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The score of a row with `L = -log10(p_row)`: `L / (1 + L)`, in [0, 1).
pub fn score_of_surprise(l: f64) -> f64 {
    let l = l.max(0.0);
    if l.is_infinite() {
        return 1.0;
    }
    l / (1.0 + l)
}

/// The score at which a row's `p_row` is `risk`.
pub fn score_of_risk(risk: f64) -> f64 {
    score_of_surprise(-risk.log10())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tabled_fisher_sum_is_the_computed_one_bit_for_bit() {
        // The sum as it was written before the table: `ln k` computed for every term.
        let computed = |ln_half: f64, m: usize| {
            let ln_terms = || {
                (0..m).scan(0.0f64, move |ln_term, k| {
                    if k > 0 {
                        *ln_term += ln_half - (k as f64).ln();
                    }
                    Some(*ln_term)
                })
            };
            let top = ln_terms().fold(f64::NEG_INFINITY, f64::max);
            top + ln_terms().map(|t| (t - top).exp()).sum::<f64>().ln()
        };
        for m in 1..=FISHER_TERMS + 2 {
            for half in [1e-300, 1e-6, 0.3, 1.0, 2.5, 17.0, 300.0, 1e6, 1e300] {
                let ln_half = f64::ln(half);
                assert_eq!(
                    ln_tail_sum(ln_half, m).to_bits(),
                    computed(ln_half, m).to_bits(),
                    "m {m}, X/2 {half}"
                );
            }
        }
    }

    #[test]
    fn the_direct_fisher_sum_is_the_logarithmic_one() {
        for m in 1..=FISHER_TERMS {
            for half in [1e-300, 1e-6, 0.3, 1.0, 2.5, 17.0, 300.0, 9e4] {
                let direct = direct_tail_sum(half, m).ln();
                let logs = ln_tail_sum(half.ln(), m);
                let tolerance = 1e-13 * logs.abs().max(1.0);
                assert!(
                    (direct - logs).abs() <= tolerance,
                    "m {m}, X/2 {half}: {direct} {logs}"
                );
            }
        }
        // Both sides of the switch agree.
        let below = fisher_surprise(
            DIRECT_HALF_LIMIT * (1.0 - 1e-12) / std::f64::consts::LN_10,
            6,
        );
        let above = fisher_surprise(
            DIRECT_HALF_LIMIT * (1.0 + 1e-12) / std::f64::consts::LN_10,
            6,
        );
        assert!((below - above).abs() < 1e-6 * above, "{below} {above}");
    }

    #[test]
    fn the_model_tail_is_the_normal_tail_in_mads() {
        // 1.96 sd = 2.906 MADs: p = 0.05.
        assert!((model_surprise(1.96 / MAD_PER_SD) - (-(0.05f64).log10())).abs() < 1e-4);
        assert_eq!(model_surprise(0.0), 0.0);
        // Continuous across the switch to the asymptotic form, and finite far beyond it.
        let at = 25.0 * std::f64::consts::SQRT_2 / MAD_PER_SD;
        let below = model_surprise(at * (1.0 - 1e-9));
        let above = model_surprise(at * (1.0 + 1e-9));
        assert!((below - above).abs() < 1e-5, "{below} {above}");
        assert!(model_surprise(5e8).is_finite() && model_surprise(5e8) > 1e16);
        assert!(model_surprise(100.0) > model_surprise(99.0));
    }

    #[test]
    fn the_history_ranks_a_value_among_the_earlier_ones() {
        let mut h = History::default();
        for i in 0..9 {
            h.learn(i as f64);
        }
        assert_eq!(h.surprise(100.0), 0.0, "too little history");
        h.learn(9.0);
        // 0..=9: three values at least 7, so p = (3 + 1) / (10 + 1).
        assert!((h.surprise(7.0) - (-(4.0f64 / 11.0).log10())).abs() < 1e-12);
        // At the largest: one value at least as large, p = 2 / 11.
        assert!((h.surprise(9.0) - (-(2.0f64 / 11.0).log10())).abs() < 1e-12);
        assert!((h.surprise(-7.0) - h.surprise(7.0)).abs() < 1e-12);
        // Beyond the largest: 1 / (n + 1) and less, further out is more surprising.
        assert!(h.surprise(9.0 + 1e-9) >= 11f64.log10() && h.surprise(9.5) > 11f64.log10());
        assert!(h.surprise(20.0) > h.surprise(9.5));
    }

    #[test]
    fn the_rolling_history_stays_sorted_and_forgets_the_oldest() {
        let mut h = History::default();
        let mut all = Vec::new();
        let mut x = 7u64;
        for _ in 0..HISTORY + 500 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let v = (x >> 40) as f64 / 1e3;
            h.learn(v);
            all.push(v);
        }
        let mut want = all[all.len() - HISTORY..].to_vec();
        want.sort_by(f64::total_cmp);
        assert_eq!(h.sorted, want);
        assert_eq!(h.len(), HISTORY);
    }

    #[test]
    fn rows_are_corrected_for_their_features_and_scores_are_ordered() {
        // One feature: p itself; one of six at p = 1e-5: p_row = 6e-5 (nearly).
        assert_eq!(row_surprise([3.0]), 3.0);
        let six = row_surprise([5.0, 0.1, 0.0, 0.2, 1.0, 0.3]);
        assert!((six - (-(6e-5f64).log10())).abs() < 1e-4, "{six}");
        // Underflow: m p.
        assert!((sidak_surprise(400.0, 2) - (400.0 - 2f64.log10())).abs() < 1e-9);
        assert_eq!(row_surprise([0.0, 0.0]), 0.0);
        // Fisher: two features at p = 0.01 each: X = 18.42, chi-squared(4) tail
        // exp(-9.21) (1 + 9.21) = 1.0210e-3 (scipy.stats.chi2.sf(18.4207, 4)).
        let both = fisher_surprise(4.0, 2);
        assert!((both - (-(1.0210e-3f64).log10())).abs() < 1e-3, "{both}");
        assert!(row_surprise([2.0, 2.0]) > sidak_surprise(2.0, 2));
        // Six features each at 1e-3, none alone past 1e-4 after Šidák: together far past it.
        assert!(sidak_surprise(3.0, 6) < 4.0 && row_surprise([3.0; 6]) > 10.0);
        // One feature: Fisher is p itself.
        assert!((fisher_surprise(7.0, 1) - 7.0).abs() < 1e-12);
        assert_eq!(score_of_surprise(0.0), 0.0);
        assert!((score_of_risk(1e-4) - 0.8).abs() < 1e-12);
        assert!(score_of_surprise(300.0) < score_of_surprise(301.0));
        assert!(score_of_surprise(1e12) < 1.0);
        // The band at the default risk: one feature 5.77 MADs (3.89 sd), six 6.38 (4.30 sd).
        assert!((model_band_mads(1e-4, 1) * MAD_PER_SD - 3.8906).abs() < 1e-3);
        let six = model_band_mads(1e-4, 6);
        assert!((six * MAD_PER_SD - 4.3048).abs() < 1e-3, "{six}");
        let at = row_surprise([model_surprise(six), 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert!((score_of_surprise(at) - score_of_risk(1e-4)).abs() < 1e-9);
        assert_eq!(
            "history".parse::<ScoreReference>(),
            Ok(ScoreReference::History)
        );
        assert!("x".parse::<ScoreReference>().is_err());
    }
}
