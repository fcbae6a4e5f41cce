//! The robust residual scale of one series: the MAD of its recent residuals, with a floor for
//! count noise.
//!
//! **MAD.** The state keeps the absolute one-step-ahead residuals `|y - expected|` of the last
//! `window` learnt rows (128 by default) and uses their median, the median absolute deviation
//! about zero: the baseline is the centre, so a biased baseline widens the scale instead of
//! hiding. Half the window can be anomalous before the scale moves (its breakdown point is 50%).
//! The residuals are also kept sorted (one insertion and one removal per row, a shift of at
//! most `window` values), so the median is read in O(1) after each of the first `window` rows
//! and then every `window / 8` rows, with no allocation; between two readings the scale of the
//! last one is used. (It was found by selection over the ring each time, the same number: a
//! tenth of the seasonal scorer's time.)
//!
//! **Warm-up guard.** A MAD of a handful of residuals can be near zero by chance, and the first
//! rows would then all look extreme. Until `window` residuals are in, the scale is at least the
//! MAD of the values seen so far about their median: the spread of the series itself, which
//! includes its rhythm, so the first rows are judged conservatively. And since a spread of a few
//! values is itself uncertain, the scale is widened, until the window is full, by the ratio of
//! Student's t quantile to the normal one (97.5%, `n - 1` degrees of freedom for `n` values:
//! 6.5 times at two values, 1.4 at five, 1.1 at twenty): the usual prediction interval from a
//! small sample.
//!
//! **Floor for count noise.** A quiet series (3 requests an hour, nearly constant) has a MAD near
//! zero, so "+3 requests" would be dozens of MADs. Traffic counts vary at least like a Poisson
//! count, whose standard deviation is `sqrt(mean)` and whose MAD is about
//! `0.6745 * sqrt(mean)`; the scale is never below `count_floor * 0.6745 * sqrt(max(expected, 1))`.
//! With the default `count_floor = 1`, +3 on an expected count of 1 is 4.4 MADs, inside the
//! default band of 5.19 MADs. Series that are not counts (a share, a response time) can turn the
//! floor off with `count_floor = 0`.
//!
//! **Floor for the resolution.** Whatever the floor above, the scale is never below a quarter
//! of the smallest step seen between two consecutive values (the MAD of the rounding error at
//! that resolution; see [`super::state::resolution_floor`]), so a series that stayed flat is
//! not divided by zero; a tiny relative floor keeps the division finite before any step.

use serde::{Deserialize, Serialize};

use super::median::{median_in_place, replace_sorted};

/// The MAD of a normal distribution in standard deviations (`Φ⁻¹(3/4)`).
pub const MAD_PER_SD: f64 = 0.674_489_750_196_081_7;

/// The robust scale of one series' residuals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidualScale {
    /// The absolute residuals, a ring of at most `window` values.
    ring: Vec<f64>,
    /// The ring's length once full.
    window: usize,
    /// Where the next residual goes once the ring is full.
    next: usize,
    /// Residuals pushed since the MAD was last computed.
    since: usize,
    /// The MAD as last computed.
    mad: f64,
    /// The ring's values ascending, as their bits (`f64::to_bits`: with the sign bit clear, the
    /// bits order as the values do); rebuilt from the ring where a saved state lacks it.
    #[serde(default)]
    sorted: Vec<u64>,
    /// The first `window` values seen, for the warm-up guard.
    values: Vec<f64>,
    /// The MAD of `values` about their median.
    spread: f64,
    /// Working space for the selection (not part of the state).
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl ResidualScale {
    /// A scale over the last `window` residuals (at least 8).
    pub fn new(window: usize) -> Self {
        let window = window.max(8);
        ResidualScale {
            ring: Vec::with_capacity(window),
            window,
            next: 0,
            since: 0,
            mad: 0.0,
            sorted: Vec::with_capacity(window),
            values: Vec::new(),
            spread: 0.0,
            scratch: Vec::new(),
        }
    }

    /// How often the MAD is recomputed once the window is full.
    fn refresh(&self) -> usize {
        (self.window / 8).max(1)
    }

    /// Adds one residual.
    pub fn push(&mut self, residual: f64) {
        let a = residual.abs();
        if self.sorted.len() != self.ring.len() {
            // A state saved before the sorted copy was kept.
            self.sorted = self.ring.iter().map(|v| v.to_bits()).collect();
            self.sorted.sort_unstable();
        }
        let bits = a.to_bits();
        if self.ring.len() < self.window {
            self.ring.push(a);
            let at = self.sorted.partition_point(|&v| v < bits);
            self.sorted.insert(at, bits);
            self.recompute();
            return;
        }
        let old = std::mem::replace(&mut self.ring[self.next], a).to_bits();
        replace_sorted(&mut self.sorted, old, bits);
        // Wrapped by a comparison, not `%`: a division per row was a visible share of a step.
        self.next += 1;
        if self.next >= self.window {
            self.next = 0;
        }
        self.since += 1;
        if self.since >= self.refresh() {
            self.recompute();
        }
    }

    fn recompute(&mut self) {
        // The median of the sorted bits: the values' median (they are absolute values).
        let n = self.sorted.len();
        self.mad = match n {
            0 => 0.0,
            _ if n % 2 == 1 => f64::from_bits(self.sorted[n / 2]),
            _ => {
                (f64::from_bits(self.sorted[n / 2 - 1]) + f64::from_bits(self.sorted[n / 2])) / 2.0
            }
        };
        self.since = 0;
    }

    /// Adds one observed value (kept only until the window is full, for the warm-up guard).
    pub fn push_value(&mut self, y: f64) {
        if self.values.len() >= self.window {
            return;
        }
        self.values.push(y);
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.values);
        let centre = median_in_place(&mut self.scratch);
        for v in self.scratch.iter_mut() {
            *v = (*v - centre).abs();
        }
        self.spread = median_in_place(&mut self.scratch);
        self.scratch.clear();
    }

    /// Residuals seen (up to the window).
    pub fn count(&self) -> usize {
        self.ring.len()
    }

    /// The MAD of the recent residuals (0 before any).
    pub fn mad(&self) -> f64 {
        self.mad
    }

    /// The scale to divide a residual at `expected` by: the MAD, at least the count-noise floor,
    /// and until the window is full at least the spread of the values seen.
    pub fn scale(&self, expected: f64, count_floor: f64) -> f64 {
        let s = self.mad.max(floor(expected, count_floor));
        if self.ring.len() < self.window {
            // One value has no spread: its own size is the only scale there is until a second
            // value gives one (else the second row of a series with no count floor, or of
            // values far above it, is millions of MADs from the first).
            let spread = match self.values.as_slice() {
                [only] => only.abs(),
                _ => self.spread,
            };
            s.max(spread) * small_sample_factor(self.values.len())
        } else {
            s
        }
    }
}

/// The least scale at `expected`: `count_floor` times a Poisson count's MAD there, and never
/// below a tiny fraction of the value (so a constant series divides by something finite).
pub fn floor(expected: f64, count_floor: f64) -> f64 {
    let poisson = count_floor * MAD_PER_SD * expected.max(1.0).sqrt();
    poisson.max(1e-9 * expected.abs().max(1e-3))
}

/// Student's t 97.5% quantiles for 1 to 30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// How much wider a scale from `n` values is taken: `t(0.975, n - 1) / z(0.975)` (one value
/// counts as two); beyond 30 degrees of freedom `1 + 2.4 / (1.96 df)`, within 0.1% of the
/// quantile ratio.
pub fn small_sample_factor(n: usize) -> f64 {
    let df = n.max(2) - 1;
    match T975.get(df - 1) {
        Some(t) => t / 1.96,
        None => 1.0 + 2.4 / (1.96 * df as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sorted_window_gives_the_selected_median_bit_for_bit() {
        // Residuals with ties, zeros, negative zeros and infinities, through the warm-up and
        // many wraps of the ring; the MAD read after each push equals a selection over the
        // ring (as it was computed before the sorted copy), and so does a state saved
        // without the sorted copy once it continues.
        let mut s = ResidualScale::new(16);
        let mut x: u64 = 7;
        for i in 0..2_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = match x >> 60 {
                0 => 0.0,
                1 => -0.0,
                2 => f64::INFINITY,
                _ => ((x >> 20) % 40) as f64 - 20.0,
            };
            s.push(r);
            if s.since == 0 {
                let mut bits: Vec<u64> = s.ring.iter().map(|v| v.to_bits()).collect();
                let want = crate::detect::seasonal::median::median_of_non_negative(&mut bits);
                assert_eq!(s.mad().to_bits(), want.to_bits(), "push {i}");
            }
            if i == 1_000 {
                s.sorted.clear();
            }
        }
        assert_eq!(s.sorted.len(), 16);
        assert!(s.sorted.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn the_mad_ignores_a_minority_of_huge_residuals() {
        let mut s = ResidualScale::new(64);
        for i in 0..200 {
            let r = if i % 5 == 0 {
                1e6
            } else {
                [-2.0, 1.0, 2.0][i % 3]
            };
            s.push(r);
        }
        assert!(s.mad() <= 2.0, "{}", s.mad());
        assert_eq!(s.count(), 64);
    }

    #[test]
    fn the_count_floor_keeps_quiet_series_calm() {
        // A series that was exactly 1 every time: MAD 0.
        let mut s = ResidualScale::new(64);
        for _ in 0..100 {
            s.push(0.0);
        }
        assert_eq!(s.mad(), 0.0);
        let scale = s.scale(1.0, 1.0);
        let z = 3.0 / scale;
        assert!(z < 5.19 && z > 4.0, "+3 on 1 is {z} MADs");
        // A busy series: the floor is sqrt(10000) * 0.6745 = 67.4.
        assert!((s.scale(10_000.0, 1.0) - 67.448_975).abs() < 1e-3);
        // Without the count floor, only the tiny relative floor is left.
        assert!(s.scale(1.0, 0.0) < 1e-8 && s.scale(1.0, 0.0) > 0.0);
        // A MAD above the floor wins.
        let mut busy = ResidualScale::new(8);
        for r in [10.0, -12.0, 11.0, 9.0, -10.0, 10.0, -10.0, 10.0] {
            busy.push(r);
        }
        assert_eq!(busy.scale(1.0, 1.0), 10.0);
    }

    #[test]
    fn until_the_window_is_full_the_spread_of_the_values_guards_the_scale() {
        let mut s = ResidualScale::new(8);
        for (y, r) in [(100.0, 0.0), (140.0, 1.0), (60.0, 1.0)] {
            s.push_value(y);
            s.push(r);
        }
        // Values 60, 100, 140: median 100, MAD 40; the residual MAD is 1; three values widen
        // the scale by t(0.975, 2) / 1.96.
        assert_eq!(s.mad(), 1.0);
        assert_eq!(s.scale(100.0, 0.0), 40.0 * 4.303 / 1.96);
        assert!((small_sample_factor(40) - 2.023 / 1.96).abs() < 2e-3);
        assert!((small_sample_factor(31) - 2.042 / 1.96).abs() < 2e-3);
        for _ in 0..5 {
            s.push_value(100.0);
            s.push(1.0);
        }
        assert_eq!(s.scale(100.0, 0.0), 1.0);
    }
}
