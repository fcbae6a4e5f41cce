//! The generalized Pareto distribution (GPD) fitted to excesses by maximum likelihood with
//! Grimshaw's method, as SPOT does it (Siffer et al., KDD 2017, section 3.2; S. D. Grimshaw,
//! "Computing Maximum Likelihood Estimates for the Generalized Pareto Distribution",
//! Technometrics 35(2), 1993).
//!
//! The GPD with shape `gamma` and scale `sigma` has the survival function
//! `P(Y > y) = (1 + gamma * y / sigma)^(-1 / gamma)` (`exp(-y / sigma)` for `gamma = 0`).
//! Grimshaw's trick turns the two-parameter likelihood maximisation into one equation in
//! `x = gamma / sigma`: with `u(x) = mean(1 / (1 + x Y_i))` and `v(x) = 1 + mean(ln(1 + x Y_i))`,
//! every stationary point of the likelihood is a root of `w(x) = u(x) v(x) - 1`, and then
//! `gamma = v(x) - 1`, `sigma = gamma / x`. The roots lie in `(-1 / Y_max, 0)` and in
//! `(0, 2 (mean - Y_min) / Y_min^2]` (the paper's upper bound; see [`roots`] on its lower one);
//! `x = 0` is always a root and stands for the exponential (`gamma = 0`, `sigma = mean`). Every
//! root is found and the one with the highest likelihood is kept.
//!
//! Written by hand because it is the core of the automatic threshold and small: no well-kept Rust
//! crate fits a GPD, and a general optimiser would need starting points and could stop at a
//! worse local maximum, where the bracketed roots here are found exhaustively on a dense grid and
//! refined by bisection.
//!
//! **Censoring.** The same reduction holds when the largest `k` of the `N` excesses are only
//! known to lie above `c`, the largest of the `m = N - k` kept ones (type II right censoring):
//! the likelihood is `sum_{i<=m} ln f(Y_i) + k ln S(c)`, for fixed `x` it is maximal at
//! `gamma(x) = (sum_{i<=m} ln(1 + x Y_i) + k ln(1 + x c)) / m`, and its stationary points are the
//! roots of `u(x) gamma(x) - (N - sum_{i<=m} 1 / (1 + x Y_i) - k / (1 + x c)) / m`, with
//! `u(x) = mean_{i<=m}(1 / (1 + x Y_i))`; for `k = 0` this is Grimshaw's `u v - 1`. The exponential
//! root `x = 0` becomes `sigma = (sum_{i<=m} Y_i + k c) / m`. [`super::Tail`] uses it so that a few
//! anomalies among the excesses cannot widen the fitted tail (see there).
//!
//! The method of moments is not needed as a fallback: the exponential root `x = 0` always has a
//! finite likelihood (the excesses are positive and finite), so among the candidates there is
//! always an admissible maximum. Where the excesses are all equal (or there is one), the
//! exponential is the only root and is what the fit returns.

use serde::{Deserialize, Serialize};

/// Points of the grid searched for sign changes of `w` on each side of zero.
const GRID_POINTS: usize = 64;

/// Bisection steps per bracketed root (a grid cell spans at most a factor of about 1.6, so 80
/// halvings reach the precision of `f64`).
const BISECTION_STEPS: usize = 80;

/// A generalized Pareto distribution of excesses over a threshold (location 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gpd {
    /// Shape (scipy's `c`): 0 for an exponential tail, positive for a heavy (Pareto-like) tail,
    /// negative for a bounded one.
    pub gamma: f64,
    /// Scale (scipy's `scale`), positive.
    pub sigma: f64,
}

impl Gpd {
    /// The log-likelihood of `excesses` (all positive) under this distribution; `-inf` where an
    /// excess lies beyond a bounded tail's end.
    pub fn log_likelihood(&self, excesses: &[f64]) -> f64 {
        self.censored_log_likelihood(excesses, 0, 0.0)
    }

    /// The log-likelihood of the `kept` excesses plus `censored` more known only to lie above
    /// `at`: `sum ln f(kept) + censored ln S(at)`.
    pub fn censored_log_likelihood(&self, kept: &[f64], censored: usize, at: f64) -> f64 {
        let (m, k) = (kept.len() as f64, censored as f64);
        if self.gamma == 0.0 {
            let sum: f64 = kept.iter().sum::<f64>() + k * at;
            return -m * self.sigma.ln() - sum / self.sigma;
        }
        let tau = self.gamma / self.sigma;
        let mut logs = 0.0;
        for &y in kept.iter().chain((censored > 0).then_some(&at)) {
            if tau * y <= -1.0 {
                return f64::NEG_INFINITY;
            }
        }
        for &y in kept {
            logs += (tau * y).ln_1p();
        }
        let log_sc = if censored > 0 {
            (tau * at).ln_1p()
        } else {
            0.0
        };
        -m * self.sigma.ln() - (1.0 + 1.0 / self.gamma) * logs - k / self.gamma * log_sc
    }

    /// The excess `y` with `P(Y > y) = p`, for `p` in (0, 1]; beyond 1 (a probability the tail
    /// model does not describe) the formula is continued, giving a negative excess.
    pub fn excess_at(&self, p: f64) -> f64 {
        let log_p = p.ln();
        if self.gamma == 0.0 {
            -self.sigma * log_p
        } else {
            // (sigma / gamma) (p^-gamma - 1), with expm1 so a tiny gamma stays accurate.
            self.sigma / self.gamma * (-self.gamma * log_p).exp_m1()
        }
    }
}

/// A fitted GPD and its log-likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpdFit {
    /// The distribution.
    pub gpd: Gpd,
    /// Its log-likelihood on the excesses it was fitted to.
    pub log_likelihood: f64,
}

/// The maximum-likelihood GPD of `excesses` (positive, finite) by Grimshaw's method; `None`
/// when there are none.
pub fn fit_grimshaw(excesses: &[f64]) -> Option<GpdFit> {
    let at = excesses.iter().copied().fold(0.0, f64::max);
    fit_censored(excesses, 0, at)
}

/// The maximum-likelihood GPD of the `kept` excesses (positive, finite) and `censored` more
/// known only to lie above `at` (at least the largest kept one), by Grimshaw's method extended
/// to censoring (see the module documentation); `None` when nothing is kept.
pub fn fit_censored(kept: &[f64], censored: usize, at: f64) -> Option<GpdFit> {
    if kept.is_empty() {
        return None;
    }
    let sample = Censored {
        kept,
        censored,
        at,
        m: kept.len() as f64,
    };
    let mean = kept.iter().sum::<f64>() / sample.m;
    let min = kept.iter().copied().fold(f64::INFINITY, f64::min);
    let max = kept.iter().copied().fold(at, f64::max);
    // x = 0: the exponential, always a root.
    let exponential = Gpd {
        gamma: 0.0,
        sigma: (sample.m * mean + censored as f64 * at) / sample.m,
    };
    let mut best = GpdFit {
        gpd: exponential,
        log_likelihood: exponential.censored_log_likelihood(kept, censored, at),
    };
    for x in sample.roots(mean, min, max) {
        let gamma = sample.gamma(x);
        let sigma = gamma / x;
        if !(gamma.is_finite() && sigma.is_finite() && sigma > 0.0) {
            continue;
        }
        let gpd = Gpd { gamma, sigma };
        let log_likelihood = gpd.censored_log_likelihood(kept, censored, at);
        if log_likelihood.is_finite() && log_likelihood > best.log_likelihood {
            best = GpdFit {
                gpd,
                log_likelihood,
            };
        }
    }
    Some(best)
}

/// Excesses of which the largest `censored` are only known to lie above `at`.
struct Censored<'a> {
    /// The excesses kept.
    kept: &'a [f64],
    /// How many more lie above `at`.
    censored: usize,
    /// The censoring point.
    at: f64,
    /// `kept.len()` as a float.
    m: f64,
}

impl Censored<'_> {
    /// The shape that maximises the likelihood for a given `x = gamma / sigma`.
    fn gamma(&self, x: f64) -> f64 {
        let logs: f64 = self.kept.iter().map(|&y| (x * y).ln_1p()).sum();
        (logs + self.censored as f64 * (x * self.at).ln_1p()) / self.m
    }

    /// Grimshaw's function, extended to censoring: zero at the likelihood's stationary points.
    fn w(&self, x: f64) -> f64 {
        let (mut inv, mut logs) = (0.0, 0.0);
        for &y in self.kept {
            let s = x * y;
            inv += 1.0 / (1.0 + s);
            logs += s.ln_1p();
        }
        let k = self.censored as f64;
        let gamma = (logs + k * (x * self.at).ln_1p()) / self.m;
        let n = self.m + k;
        (inv / self.m) * gamma - (n - inv - k / (1.0 + x * self.at)) / self.m
    }

    /// The nonzero roots of `w`: sign changes on a grid dense near both ends of each side,
    /// each refined by bisection.
    fn roots(&self, mean: f64, min: f64, max: f64) -> Vec<f64> {
        let mut grid = Vec::with_capacity(4 * GRID_POINTS);
        // Negative side, (-1 / max, 0): x = -p / max with p geometric towards 0 and towards 1.
        // Near 0, w is a difference of nearly equal numbers, so the grid stops at p = 1e-6.
        for i in 0..GRID_POINTS {
            let f = i as f64 / (GRID_POINTS - 1) as f64;
            let towards_zero = 1e-6f64.powf(1.0 - f) * 0.5f64.powf(f); // 1e-6 .. 0.5
            let towards_end = 1.0 - 0.5f64.powf(1.0 - f) * 1e-12f64.powf(f); // 0.5 .. 1 - 1e-12
            grid.push(-towards_zero / max);
            grid.push(-towards_end / max);
        }
        grid.sort_by(f64::total_cmp);
        grid.dedup();
        let mut found = self.bracketed(&grid);
        // Positive side, up to the paper's upper bound 2 (mean - min) / min^2 (or 1e6 / mean,
        // whichever is larger, for censored samples); the paper's lower bound,
        // 2 (mean - min) / (mean min), excludes the maximum on heavy-tailed samples (it is above
        // scipy's MLE on tests/fixtures/spot/reference.json), so the search starts near 0.
        // Geometric: the upper end can be many orders of magnitude above the lower one.
        let lo = 1e-6 / max;
        let hi = (2.0 * (mean - min) / (min * min) * 1.01).max(1e6 / mean);
        if hi > lo && hi.is_finite() {
            let ratio = (hi / lo).ln();
            let positive: Vec<f64> = (0..2 * GRID_POINTS)
                .map(|i| lo * (ratio * i as f64 / (2 * GRID_POINTS - 1) as f64).exp())
                .collect();
            found.extend(self.bracketed(&positive));
        }
        found
    }

    /// The roots of `w` between consecutive points of `grid` (ascending) where it changes sign.
    fn bracketed(&self, grid: &[f64]) -> Vec<f64> {
        let values: Vec<f64> = grid.iter().map(|&x| self.w(x)).collect();
        let mut found = Vec::new();
        for i in 1..grid.len() {
            let (fa, fb) = (values[i - 1], values[i]);
            if !(fa.is_finite() && fb.is_finite()) {
                continue;
            }
            if fa == 0.0 {
                found.push(grid[i - 1]);
            } else if fa.signum() != fb.signum() && fb != 0.0 {
                found.push(self.bisect(grid[i - 1], grid[i], fa));
            }
        }
        found
    }

    /// Bisection of `w` on `[a, b]`, where `w(a) = fa` and `w(b)` have opposite signs.
    fn bisect(&self, mut a: f64, mut b: f64, mut fa: f64) -> f64 {
        for _ in 0..BISECTION_STEPS {
            let m = 0.5 * (a + b);
            if m <= a || m >= b {
                break;
            }
            let fm = self.w(m);
            if fm == 0.0 {
                return m;
            }
            if fm.signum() == fa.signum() {
                a = m;
                fa = fm;
            } else {
                b = m;
            }
        }
        0.5 * (a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_log_likelihood_and_quantile() {
        let g = Gpd {
            gamma: 0.0,
            sigma: 2.0,
        };
        // -n ln sigma - sum / sigma
        let ll = g.log_likelihood(&[1.0, 3.0]);
        assert!((ll - (-2.0 * 2f64.ln() - 2.0)).abs() < 1e-12);
        assert!((g.excess_at(0.01) - 2.0 * 100f64.ln()).abs() < 1e-12);
        // A tiny gamma is the exponential's limit.
        let near = Gpd {
            gamma: 1e-12,
            sigma: 2.0,
        };
        assert!((near.excess_at(0.01) - g.excess_at(0.01)).abs() < 1e-9);
    }

    #[test]
    fn bounded_tail_rejects_excesses_beyond_its_end() {
        // gamma = -0.5, sigma = 1: the tail ends at sigma / |gamma| = 2.
        let g = Gpd {
            gamma: -0.5,
            sigma: 1.0,
        };
        assert_eq!(g.log_likelihood(&[2.5]), f64::NEG_INFINITY);
        assert!(g.log_likelihood(&[1.5]).is_finite());
        // p -> 0 approaches the end.
        assert!((g.excess_at(1e-12) - 2.0).abs() < 1e-5);
    }

    #[test]
    fn no_excesses_no_fit_and_equal_excesses_are_exponential() {
        assert_eq!(fit_grimshaw(&[]), None);
        let fit = fit_grimshaw(&[0.5; 7]).expect("fit");
        assert_eq!(fit.gpd.gamma, 0.0);
        assert!((fit.gpd.sigma - 0.5).abs() < 1e-15);
        let one = fit_grimshaw(&[2.0]).expect("fit");
        assert_eq!((one.gpd.gamma, one.gpd.sigma), (0.0, 2.0));
    }

    #[test]
    fn the_chosen_root_is_a_likelihood_maximum() {
        // A heavy-tailed sample (Pareto excesses): the fit beats small moves in every direction.
        let ys: Vec<f64> = (1..=200)
            .map(|i| {
                let u = i as f64 / 201.0;
                (u.powf(-0.4) - 1.0) * 2.5
            })
            .collect();
        let fit = fit_grimshaw(&ys).expect("fit");
        assert!(fit.gpd.gamma > 0.2, "{fit:?}");
        for (dg, ds) in [(1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3)] {
            let moved = Gpd {
                gamma: fit.gpd.gamma + dg,
                sigma: fit.gpd.sigma * (1.0 + ds),
            };
            assert!(moved.log_likelihood(&ys) < fit.log_likelihood, "{dg} {ds}");
        }
    }
}
