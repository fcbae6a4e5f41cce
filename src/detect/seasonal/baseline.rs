//! The robust, causal expected value of one series: a level plus one seasonal term per period
//! (a day, a week), each learnt only from the rows before the one being scored.
//!
//! **Seasonal terms: seasonal medians over recent cycles.** For each period `P` and each phase
//! (`bucket mod P`), the state keeps the deviations seen at that phase in the last `cycles`
//! cycles (8 by default) and uses their median. This is the seasonal-median idea of robust
//! decomposition (the "median of cycle-subseries" smoother of STL, Cleveland, Cleveland,
//! McRae & Terpenning, *J. Official Statistics* 6(1), 1990, and the median-based seasonal
//! component of Twitter's S-H-ESD, Hochenbaum, Vallis & Kejariwal, arXiv:1704.07706, 2017),
//! made causal: a spike is one value out of `cycles` at its phase, so it cannot move the median
//! (the breakdown point is half the cycles). Several periods are fitted one after the other,
//! as MSTL does (Bandara, Hyndman & Bergmeir, arXiv:2107.13462, 2021): the weekly term learns
//! what is left after the level and the daily term. A term is used at a phase once that phase has
//! values from at least [`MIN_CYCLES`] cycles, and a longer period starts learning a phase only
//! when the shorter ones are in use there (so the weekly term never holds the daily shape).
//!
//! **Level: robust exponential smoothing.** The level follows the deseasonalised series by
//! exponential smoothing of the one-step-ahead error clipped by Huber's ψ at a multiple of the
//! robust residual scale (Gelper, Fried & Croux, "Robust forecasting with exponential and
//! Holt-Winters smoothing", *J. Forecasting* 29, 2010): a spike moves the level by at most
//! `alpha * clip`. Before `1/alpha` rows have been learnt the weight is `1/n`, a running mean,
//! so the level is usable from the first rows.
//!
//! Each step costs one small median (at most [`MAX_CYCLES`] values, sorted on the stack) per
//! period and O(1) else, with no allocation.

use serde::{Deserialize, Serialize};

use super::median::small_median;

/// The most cycles a seasonal term keeps per phase.
pub const MAX_CYCLES: usize = super::median::SMALL;

/// The fewest cycles a phase needs before its seasonal term is used.
pub const MIN_CYCLES: usize = 2;

/// The most seasonal periods per series.
pub const MAX_PERIODS: usize = 4;

/// One seasonal term: the last `cycles` deviations at every phase of a period, each phase's
/// median (kept up to date as values arrive) and the sum of the squared medians.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SeasonalTerm {
    /// The period in buckets.
    period: usize,
    /// Cycles kept per phase.
    cycles: usize,
    /// `period * cycles` values: phase `p` owns `values[p * cycles..(p + 1) * cycles]`.
    values: Vec<f64>,
    /// How many values each phase holds (at most `cycles`).
    filled: Vec<u8>,
    /// Where each phase writes next (a ring over its `cycles` slots).
    next: Vec<u8>,
    /// Each phase's median (0 until it has [`MIN_CYCLES`] values).
    medians: Vec<f64>,
    /// Phases with a median.
    in_use: usize,
    /// The sum of the squared medians (recomputed exactly once a cycle).
    sum_sq: f64,
}

impl SeasonalTerm {
    fn new(period: usize, cycles: usize) -> Self {
        SeasonalTerm {
            period,
            cycles,
            values: vec![0.0; period * cycles],
            filled: vec![0; period],
            next: vec![0; period],
            medians: vec![0.0; period],
            in_use: 0,
            sum_sq: 0.0,
        }
    }

    fn phase(&self, bucket: i64) -> usize {
        bucket.rem_euclid(self.period as i64) as usize
    }

    /// The seasonal median at `phase` and how many values it has, once it has [`MIN_CYCLES`].
    fn median(&self, phase: usize) -> Option<(f64, usize)> {
        let n = self.filled[phase] as usize;
        (n >= MIN_CYCLES).then(|| (self.medians[phase], n))
    }

    fn push(&mut self, phase: usize, value: f64) {
        let slot = self.next[phase] as usize;
        let start = phase * self.cycles;
        self.values[start + slot] = value;
        // Wrapped by a comparison, not `%` (a division per row and period).
        self.next[phase] = if slot + 1 >= self.cycles {
            0
        } else {
            (slot + 1) as u8
        };
        let was = self.filled[phase] as usize;
        let n = (was + 1).min(self.cycles);
        self.filled[phase] = n as u8;
        if n >= MIN_CYCLES {
            let old = self.medians[phase];
            let new = small_median(&self.values[start..start + n]).unwrap_or(0.0);
            self.medians[phase] = new;
            if was < MIN_CYCLES {
                self.in_use += 1;
            }
            self.sum_sq += new * new - old * old;
        }
        if phase + 1 == self.period {
            // Once a cycle, the running sum is made exact again (no drift over long runs).
            self.sum_sq = self.medians.iter().map(|m| m * m).sum();
        }
    }

    /// The phase holds a full `cycles` of values: what a longer period waits for before it
    /// learns what this one leaves.
    fn settled(&self, phase: usize) -> bool {
        self.filled[phase] as usize == self.cycles
    }

    /// The James-Stein factor the medians are shrunk by, given the residual MAD and the
    /// values behind the median at hand.
    fn shrinkage(&self, median: f64, mad: f64, n: usize) -> f64 {
        let se2 = MEDIAN_VARIANCE_PER_MAD2 * mad * mad / n as f64;
        if se2 == 0.0 {
            return 1.0;
        }
        let (excess, spread) = if self.in_use >= 3 {
            ((self.in_use - 2) as f64 * se2, self.sum_sq)
        } else {
            (se2, median * median)
        };
        if !(excess.is_finite() && spread.is_finite()) {
            // Values beyond about 1e154, whose squares overflow (the running sum then turns to
            // inf - inf = NaN, and the expected value with it).
            return self.shrinkage_scaled(median, mad, n);
        }
        shrink(excess, spread)
    }

    /// [`Self::shrinkage`] with every value first multiplied by one power of two (exact) that
    /// brings the largest to about 1, so that no square overflows: the factor is a ratio of
    /// squares, the same at any scale.
    #[cold]
    fn shrinkage_scaled(&self, median: f64, mad: f64, n: usize) -> f64 {
        let largest = self
            .medians
            .iter()
            .fold(median.abs().max(mad.abs()), |a, m| a.max(m.abs()));
        if !largest.is_finite() || largest == 0.0 {
            return 1.0;
        }
        let scale = 2f64.powi(-(largest.log2().ceil() as i32));
        let mad = mad * scale;
        let se2 = MEDIAN_VARIANCE_PER_MAD2 * mad * mad / n as f64;
        if se2 == 0.0 {
            return 1.0;
        }
        let (excess, spread) = if self.in_use >= 3 {
            (
                (self.in_use - 2) as f64 * se2,
                self.medians.iter().map(|m| (m * scale) * (m * scale)).sum(),
            )
        } else {
            (se2, (median * scale) * (median * scale))
        };
        shrink(excess, spread)
    }
}

/// The James-Stein factor for an `excess` (the medians' sampling variance) against their
/// `spread` (their sum of squares): none of the median is kept when the spread is no larger.
fn shrink(excess: f64, spread: f64) -> f64 {
    if spread <= excess {
        0.0
    } else {
        1.0 - excess / spread
    }
}

/// The expected value at one bucket and how it was made.
///
/// Which periods were used, and whether all were, are bits of one word: written and read whole,
/// where an array of flags written byte by byte and then copied with the struct stalled the
/// copy's wide load on the narrow stores (a sixth of a step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expectation {
    /// Level plus the seasonal terms in use; `None` before anything was learnt.
    pub value: Option<f64>,
    /// The level used.
    level: f64,
    /// Each period's seasonal median at this bucket (0 where not in use).
    seasonal: [f64; MAX_PERIODS],
    /// The bucket this was made for.
    bucket: i64,
    /// Bit `i`: period `i` was in use; bit [`COMPLETE`]: every period was.
    flags: u64,
    /// The baseline's periods.
    terms: usize,
}

/// The bit of [`Expectation::flags`] set when every period was in use.
const COMPLETE: u64 = 1 << MAX_PERIODS;

impl Expectation {
    /// Period `i` was in use here.
    fn used(&self, i: usize) -> bool {
        self.flags & (1 << i) != 0
    }

    /// Every period was in use (the baseline is no longer warming up here).
    pub fn complete(&self) -> bool {
        self.flags & COMPLETE != 0
    }

    /// The shortest period was in use here, or the baseline has no period: the expected value
    /// follows the series' main rhythm (a series' earlier |z| are comparable from here on).
    pub fn rhythm_known(&self) -> bool {
        self.value.is_some() && (self.terms == 0 || self.used(0))
    }
}

/// The robust causal baseline of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The level, once a value was learnt.
    level: Option<f64>,
    /// Values learnt so far.
    learnt: u64,
    /// Smoothing weight of the level.
    alpha: f64,
    /// One term per period, shortest first.
    terms: Vec<SeasonalTerm>,
    /// The phases of the last bucket placed (not part of the state).
    #[serde(skip)]
    phases: Phases,
}

/// The phases of the last bucket placed, so that the next bucket's follow by one addition each
/// instead of a division each (two 64-bit divisions were a tenth of a step). Working space, not
/// state: equal whatever it holds, and not saved.
#[derive(Debug, Clone, Default)]
struct Phases {
    /// The bucket placed, if any.
    bucket: Option<i64>,
    /// Its phase in each period.
    at: [usize; MAX_PERIODS],
}

impl PartialEq for Phases {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Baseline {
    /// A baseline with `periods` (ascending, at most [`MAX_PERIODS`]), `cycles` per phase (2 to
    /// [`MAX_CYCLES`]) and a level smoothed over about `level_window` rows.
    pub fn new(periods: &[usize], cycles: usize, level_window: usize) -> Self {
        let cycles = cycles.clamp(MIN_CYCLES, MAX_CYCLES);
        Baseline {
            level: None,
            learnt: 0,
            alpha: 2.0 / (level_window.max(1) as f64 + 1.0),
            terms: periods
                .iter()
                .take(MAX_PERIODS)
                .map(|&p| SeasonalTerm::new(p.max(1), cycles))
                .collect(),
            phases: Phases::default(),
        }
    }

    /// The expected value at `bucket` from what was learnt so far; `mad` is the residual MAD
    /// the seasonal medians are shrunk by (0: no shrinkage).
    pub fn expect(&mut self, bucket: i64, mad: f64) -> Expectation {
        self.place(bucket);
        let mut e = Expectation {
            value: None,
            level: 0.0,
            seasonal: [0.0; MAX_PERIODS],
            bucket,
            flags: 0,
            terms: self.terms.len(),
        };
        let Some(level) = self.level else {
            return e;
        };
        let mut value = level;
        let mut flags = COMPLETE;
        for (i, term) in self.terms.iter().enumerate() {
            match term.median(self.phases.at[i]) {
                Some((median, n)) => {
                    let s = median * term.shrinkage(median, mad, n);
                    e.seasonal[i] = s;
                    flags |= 1 << i;
                    value += s;
                }
                None => flags &= !COMPLETE,
            }
        }
        e.flags = flags;
        e.level = level;
        e.value = Some(value);
        e
    }

    /// Sets [`Self::phases`] to `bucket`'s: from the last bucket's by one addition each when
    /// `bucket` follows it, else by a division each.
    fn place(&mut self, bucket: i64) {
        let follows = match self.phases.bucket {
            Some(last) if last == bucket => return,
            Some(last) => bucket.checked_sub(last) == Some(1),
            None => false,
        };
        for (phase, term) in self.phases.at.iter_mut().zip(&self.terms) {
            *phase = if !follows {
                term.phase(bucket)
            } else if *phase + 1 >= term.period {
                0
            } else {
                *phase + 1
            };
        }
        self.phases.bucket = Some(bucket);
    }

    /// Learns `y`, given the expectation `e` made for its bucket before: each seasonal term
    /// stores what the level and the shorter terms leave, and the level moves by the error
    /// clipped to `±clip`.
    pub fn learn(&mut self, y: f64, e: &Expectation, clip: f64) {
        self.place(e.bucket);
        self.learnt += 1;
        let level = match e.value {
            Some(_) => e.level,
            None => y,
        };
        let mut left = y - level;
        let mut shorter_settled = true;
        for (i, term) in self.terms.iter_mut().enumerate() {
            let phase = self.phases.at[i];
            if shorter_settled {
                term.push(phase, left);
            }
            if e.used(i) {
                left -= e.seasonal[i];
            }
            shorter_settled &= term.settled(phase);
        }
        // `left` is now y minus the expected value: the one-step-ahead error.
        let weight = self.alpha.max(1.0 / self.learnt as f64);
        self.level = Some(level + weight * left.clamp(-clip, clip));
    }

    /// How many values were learnt.
    pub fn learnt(&self) -> u64 {
        self.learnt
    }
}

/// `π / 2 / 0.6745²`: the variance of a median of normal values per MAD² (times `1 / n`).
const MEDIAN_VARIANCE_PER_MAD2: f64 =
    std::f64::consts::FRAC_PI_2 / (super::scale::MAD_PER_SD * super::scale::MAD_PER_SD);

#[cfg(test)]
mod tests {
    use super::*;

    /// A daily shape (24 hourly buckets) on a level of 100.
    fn shape(bucket: i64) -> f64 {
        100.0 + 50.0 * ((bucket % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
    }

    fn run(spikes: &[i64], rows: i64) -> Baseline {
        let mut b = Baseline::new(&[24], 5, 48);
        for t in 0..rows {
            let y = if spikes.contains(&t) {
                shape(t) + 5_000.0
            } else {
                shape(t)
            };
            let e = b.expect(t, 0.0);
            b.learn(y, &e, 30.0);
        }
        b
    }

    #[test]
    fn the_seasonal_shape_is_learnt_and_spikes_do_not_bend_it() {
        let clean = run(&[], 24 * 20);
        // Spikes at the very phase checked, on two of the last five days, and elsewhere.
        let spiky = run(
            &[24 * 16 + 7, 24 * 18 + 7, 24 * 17 + 3, 24 * 19 + 12],
            24 * 20,
        );
        let mut reference = clean.clone();
        for mut b in [clean, spiky] {
            for t in 24 * 20..24 * 21 {
                let got = b.expect(t, 0.0).value.expect("learnt");
                assert!((got - shape(t)).abs() < 3.0, "t {t}: {got} vs {}", shape(t));
                assert!(b.expect(t, 0.0).complete());
                let clean_value = reference.expect(t, 0.0).value.expect("learnt");
                // A mean over the five cycles kept here would be 1,000 off.
                assert!(
                    (got - clean_value).abs() < 3.0,
                    "t {t}: {got} vs {clean_value}"
                );
            }
        }
    }

    #[test]
    fn weak_seasonality_is_shrunk_and_strong_kept() {
        // Seven phases, five cycles each: a strong rhythm (±200) and pure noise (about ±10).
        let mut strong = SeasonalTerm::new(7, 5);
        let mut noise = SeasonalTerm::new(7, 5);
        for i in 0..35 {
            let phase = i % 7;
            // Noise that differs from cycle to cycle at every phase.
            let wobble = [-9.0, 4.0, 11.0, -6.0, 2.0, -12.0, 7.0][(i * 3 + i / 7) % 7];
            strong.push(phase, if phase < 4 { 200.0 } else { -200.0 } + wobble);
            noise.push(phase, wobble);
        }
        // MAD 10 over 5 cycles: se = sqrt(pi/2) * 14.83 / sqrt(5) = 8.3.
        let (m, n) = strong.median(0).expect("in use");
        assert!(strong.shrinkage(m, 10.0, n) > 0.99);
        let (m, n) = noise.median(0).expect("in use");
        assert!(
            noise.shrinkage(m, 10.0, n) < 0.3,
            "{}",
            noise.shrinkage(m, 10.0, n)
        );
        assert_eq!(noise.shrinkage(m, 0.0, n), 1.0);
        // The running sum stays the exact sum.
        let exact: f64 = strong.medians.iter().map(|m| m * m).sum();
        assert_eq!(strong.sum_sq, exact);
    }

    #[test]
    fn a_term_is_used_only_after_two_cycles_at_its_phase() {
        let mut b = run(&[], 24 + 5);
        // Rows 0..29: phases 0 to 4 were seen twice, phase 5 once.
        let weekly = {
            let mut b = Baseline::new(&[24, 168], 3, 48);
            for t in 0..24 * 3 {
                let e = b.expect(t, 0.0);
                b.learn(shape(t), &e, 30.0);
            }
            b
        };
        // The daily term holds three days at every phase only after day 2: the weekly term
        // learnt from day 2 on, one value per phase so far.
        assert_eq!(weekly.terms[1].filled[24 * 2], 1);
        assert_eq!(weekly.terms[1].filled[24], 0);
        assert!(b.expect(48 + 4, 0.0).complete(), "phase 4 seen twice");
        assert!(!b.expect(48 + 5, 0.0).complete(), "phase 5 seen once");
        assert_eq!(Baseline::new(&[24], 5, 48).expect(0, 0.0).value, None);
    }
}
