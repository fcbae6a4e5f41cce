//! The robust residual scale of one series: the MAD of its recent residuals, with a floor for
//! count noise.
//!
//! **MAD.** The state keeps the absolute one-step-ahead residuals `|y - expected|` of the last
//! `window` learnt rows (128 by default) and uses their median, the median absolute deviation
//! about zero: the baseline is the centre, so a biased baseline widens the scale instead of
//! hiding. Half the window can be anomalous before the scale moves (its breakdown point is 50%).
//! The median is recomputed by selection (O(window)) after each of the first `window` rows and
//! then every `window / 8` rows, so a step costs O(1) amortised with no allocation; between
//! two recomputations the scale of the last one is used.
//!
//! **Floor for count noise.** A quiet series (3 requests an hour, nearly constant) has a MAD near
//! zero, so "+3 requests" would be dozens of MADs. Traffic counts vary at least like a Poisson
//! count, whose standard deviation is `sqrt(mean)` and whose MAD is about
//! `0.6745 * sqrt(mean)`; the scale is never below `count_floor * 0.6745 * sqrt(max(expected, 1))`.
//! With the default `count_floor = 1`, +3 on an expected count of 1 is 4.4 MADs, inside the
//! default band of 5.19 MADs. Series that are not counts (a share, a response time) can turn the
//! floor off with `count_floor = 0`; then only a tiny relative floor keeps the division finite.

use serde::{Deserialize, Serialize};

use super::median::median_in_place;

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
        if self.ring.len() < self.window {
            self.ring.push(a);
            self.recompute();
            return;
        }
        self.ring[self.next] = a;
        self.next = (self.next + 1) % self.window;
        self.since += 1;
        if self.since >= self.refresh() {
            self.recompute();
        }
    }

    fn recompute(&mut self) {
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.ring);
        self.mad = median_in_place(&mut self.scratch);
        self.scratch.clear();
        self.since = 0;
    }

    /// Residuals seen (up to the window).
    pub fn count(&self) -> usize {
        self.ring.len()
    }

    /// The MAD of the recent residuals (0 before any).
    pub fn mad(&self) -> f64 {
        self.mad
    }

    /// The scale to divide a residual at `expected` by: the MAD, at least the count-noise floor.
    pub fn scale(&self, expected: f64, count_floor: f64) -> f64 {
        self.mad.max(floor(expected, count_floor))
    }
}

/// The least scale at `expected`: `count_floor` times a Poisson count's MAD there, and never
/// below a tiny fraction of the value (so a constant series divides by something finite).
pub fn floor(expected: f64, count_floor: f64) -> f64 {
    let poisson = count_floor * MAD_PER_SD * expected.max(1.0).sqrt();
    poisson.max(1e-9 * expected.abs().max(1e-3))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for r in [10.0, -12.0, 11.0, 9.0, -10.0] {
            busy.push(r);
        }
        assert_eq!(busy.scale(1.0, 1.0), 10.0);
    }
}
