//! When a watched subject's bucket is over its threshold: the seasonal band (a number more than
//! `--band` MADs from its expected value), or DSPOT (Siffer, Fouque, Termier & Largouët,
//! "Anomaly detection in streams with extreme value theory", KDD 2017, algorithm 3) over each
//! of the subject's numbers (`--threshold dspot`, the default): a generalised Pareto tail fitted
//! to that number's own |z|, its threshold at risk `q / m` for the subject's `m` numbers (so the
//! bucket's chance alarms stay about `q`), following a drifting level over the last [`DEPTH`]
//! |z|, and never below the band: DSPOT raises a number's threshold where its own tail is heavier
//! than the band allows (a byte count whose |z| reach tens of MADs at every large download), and
//! leaves the band where it is not. Each number gets its own threshold because their tails
//! differ: one threshold for the largest |z| of all would be set by the heaviest tail and let a
//! doubled request count through.
//!
//! DSPOT needs scores to calibrate on, from a baseline that no longer changes its kind: a number
//! is judged by the band until the subject's daily rhythm is in use (two days of buckets) and
//! [`CALIBRATION`] buckets after that were scored, then by DSPOT. A number with no tail to fit
//! (one that never moves, such as a 5xx share that stays 0, or whose |z| take a few values) is
//! tried again on more buckets, and after [`MAX_CALIBRATION`] keeps the band. Alarms are not learnt (an attack does
//! not teach the threshold that attacks are normal).

use serde::{Deserialize, Serialize};

use crate::detect::spot::{Risk, StreamingThreshold, Verdict};

/// Judged buckets a number's DSPOT is calibrated on (4 hours of one-minute buckets; SPOT's
/// tail needs 100 scores after the window's [`DEPTH`]).
pub const CALIBRATION: usize = 240;

/// Scores after which a number whose tail still cannot be fitted keeps the band (the scores
/// kept to calibrate on stay bounded).
pub const MAX_CALIBRATION: usize = 4 * CALIBRATION;

/// DSPOT's window: the level the |z| are taken relative to is the mean of the last 20 that were
/// not alarms.
pub const DEPTH: usize = 20;

/// How buckets are judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum BucketThreshold {
    /// A number more than the band (in MADs) from its expected value.
    #[default]
    Band,
    /// DSPOT at this risk per bucket over each number's |z|, after the band while it calibrates.
    Dspot(Risk),
}

/// One number's threshold state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NumberThreshold {
    /// The band judges: the |z| gathered so far to calibrate DSPOT on.
    Calibrating(Vec<f64>),
    /// DSPOT judges.
    Dspot(StreamingThreshold),
    /// The band judges for good (the tail could not be fitted on [`MAX_CALIBRATION`] |z|).
    Band,
}

/// What the threshold made of a bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// A number is over its threshold.
    pub over: bool,
    /// Each number's threshold in MADs (the band's, or DSPOT's before this bucket when higher).
    pub thresholds: Vec<f64>,
    /// The number furthest over its threshold (by |z| / threshold), or nearest to it when none
    /// is over: the one the alert speaks of.
    pub top: usize,
}

/// One subject's threshold state: one per number under DSPOT (none under the band).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SubjectThreshold {
    numbers: Vec<NumberThreshold>,
}

impl SubjectThreshold {
    /// Judges a bucket whose numbers have robust z `zs` (in MADs): over when one |z| is over
    /// its threshold. `band` is the band in MADs; `settled` says the subject's daily rhythm is
    /// in use (|z| before it come from a baseline still learning and are not calibrated on).
    pub fn judge(&mut self, zs: &[f64], band: f64, kind: BucketThreshold, settled: bool) -> Judged {
        let m = zs.len();
        let risk = match kind {
            BucketThreshold::Band => None,
            BucketThreshold::Dspot(risk) => {
                // `q / m` per number (a bucket's chance alarms about `q`); `q / m` is a valid
                // risk whenever `q` is.
                Risk::new(risk.get() / m.max(1) as f64).ok()
            }
        };
        let Some(risk) = risk else {
            let over: Vec<bool> = zs.iter().map(|z| z.abs() > band).collect();
            return judged(zs, vec![band; m], &over);
        };
        if self.numbers.len() != m {
            self.numbers = vec![NumberThreshold::Calibrating(Vec::new()); m];
        }
        let mut thresholds = Vec::with_capacity(m);
        let mut over = Vec::with_capacity(m);
        for (state, &z) in self.numbers.iter_mut().zip(zs) {
            let a = z.abs();
            match state {
                NumberThreshold::Band => {
                    thresholds.push(band);
                    over.push(a > band);
                }
                NumberThreshold::Calibrating(scores) => {
                    thresholds.push(band);
                    over.push(a > band);
                    if settled && a.is_finite() {
                        scores.push(a);
                    }
                    if scores.len() >= CALIBRATION && scores.len() % CALIBRATION == 0 {
                        // A tail is fitted only where there is one (a number whose |z| take a
                        // few values has none, and its threshold would be its 98% quantile).
                        match StreamingThreshold::calibrate(scores, DEPTH, risk) {
                            Ok(t) if t.tail().gpd().is_some() => {
                                *state = NumberThreshold::Dspot(t);
                            }
                            _ if scores.len() >= MAX_CALIBRATION => {
                                *state = NumberThreshold::Band;
                            }
                            _ => {}
                        }
                    }
                }
                NumberThreshold::Dspot(t) => {
                    // DSPOT raises a number's threshold above the band where its own tail is
                    // heavier; it never lowers it below the band.
                    let threshold = t.threshold().max(band);
                    thresholds.push(threshold);
                    let alarm = t.update(a) == Verdict::Alarm;
                    over.push(alarm && a > band);
                }
            }
        }
        judged(zs, thresholds, &over)
    }
}

/// The verdict from each number's threshold and whether it is over.
fn judged(zs: &[f64], thresholds: Vec<f64>, over: &[bool]) -> Judged {
    let ratio = |i: usize| {
        let r = zs[i].abs() / thresholds[i];
        if r.is_nan() {
            0.0
        } else {
            r
        }
    };
    let any = over.iter().any(|&o| o);
    // Among the numbers over (or all, when none is), the first with the largest ratio.
    let mut top: Option<usize> = None;
    for i in (0..zs.len()).filter(|&i| over[i] || !any) {
        if top.is_none_or(|t| ratio(i) > ratio(t)) {
            top = Some(i);
        }
    }
    Judged {
        over: any,
        thresholds,
        top: top.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordinary |z| of a number: a few MADs, a heavy-ish tail; `scale` stretches it.
    fn noise(i: usize, scale: f64) -> f64 {
        (0.5 + ((i * 37 % 101) as f64 / 101.0).powi(3) * 4.0) * scale
    }

    #[test]
    fn each_number_gets_its_own_tail_after_the_band_and_a_spike_in_the_quiet_one_is_over() {
        let kind = BucketThreshold::Dspot(Risk::DEFAULT);
        let mut t = SubjectThreshold::default();
        // Two numbers: a quiet one and one whose |z| run ten times larger (a byte count).
        for i in 0..CALIBRATION - 1 {
            let j = t.judge(&[noise(i, 1.0), noise(i + 3, 10.0)], 5.19, kind, true);
            // The band judges while calibrating: the heavy number is over it often.
            assert_eq!(j.thresholds, vec![5.19, 5.19]);
        }
        let j = t.judge(&[noise(7, 1.0), noise(9, 10.0)], 5.19, kind, true);
        assert_eq!(j.thresholds, vec![5.19, 5.19]);
        assert!(t
            .numbers
            .iter()
            .all(|n| matches!(n, NumberThreshold::Dspot(_))));
        let mut alarms = 0;
        for i in 0..2_000 {
            alarms += usize::from(
                t.judge(&[noise(i + 7, 1.0), noise(i + 11, 10.0)], 5.19, kind, true)
                    .over,
            );
        }
        assert!(alarms <= 2, "{alarms} alarms on ordinary buckets");
        // Each number's own threshold: the heavy one's far above the quiet one's.
        let j = t.judge(&[1.0, 1.0], 5.19, kind, true);
        assert!(
            j.thresholds[1] > 5.0 * j.thresholds[0],
            "{:?}",
            j.thresholds
        );
        // 10 MADs in the quiet number is over, and named, though the heavy one's |z| is larger.
        let j = t.judge(&[10.0, 20.0], 5.19, kind, true);
        assert!(j.over && j.top == 0, "{j:?}");
        // The state round-trips (it is saved with --state).
        let json = serde_json::to_string(&t).expect("save");
        let back: SubjectThreshold = serde_json::from_str(&json).expect("load");
        assert_eq!(back, t);
        // Continued under the band, the band judges.
        let j = t.judge(&[10.0, 20.0], 50.0, BucketThreshold::Band, true);
        assert!(!j.over);
        assert_eq!(j.thresholds, vec![50.0, 50.0]);
    }

    #[test]
    fn a_number_that_never_moves_keeps_the_band_and_scores_before_the_day_are_not_learnt() {
        let kind = BucketThreshold::Dspot(Risk::DEFAULT);
        let mut t = SubjectThreshold::default();
        for _ in 0..100 {
            t.judge(&[3.0], 5.19, kind, false);
        }
        assert_eq!(t.numbers, vec![NumberThreshold::Calibrating(Vec::new())]);
        for _ in 0..MAX_CALIBRATION {
            t.judge(&[0.0], 5.19, kind, true);
        }
        assert_eq!(t.numbers, vec![NumberThreshold::Band]);
        assert!(t.judge(&[6.0], 5.19, kind, true).over);
    }
}
