//! When a watched subject's bucket is over its threshold: the seasonal band (a number more than
//! `--band` MADs from its expected value, the default), or DSPOT (Siffer, Fouque, Termier &
//! Largouët, "Anomaly detection in streams with extreme value theory", KDD 2017, algorithm 3)
//! over the subject's bucket scores (`--threshold dspot`): a generalised Pareto tail fitted to
//! the subject's own scores, the threshold at risk `q`, following a drifting level over the last
//! [`DEPTH`] scores. DSPOT needs scores to calibrate on, from a baseline that no longer changes
//! its kind: a subject is judged by the band until its daily rhythm is in use (two days of
//! buckets) and [`CALIBRATION`] buckets after that were scored, then by DSPOT. Alarms are not learnt (an attack does not
//! teach the threshold that attacks are normal).

use serde::{Deserialize, Serialize};

use crate::detect::spot::{Risk, StreamingThreshold, Verdict};

/// Judged buckets a subject's DSPOT is calibrated on (4 hours of one-minute buckets; SPOT's
/// tail needs 100 scores after the window's [`DEPTH`]).
pub const CALIBRATION: usize = 240;

/// DSPOT's window: the level the scores are taken relative to is the mean of the last 20 that
/// were not alarms.
pub const DEPTH: usize = 20;

/// How buckets are judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum BucketThreshold {
    /// A number more than the band (in MADs) from its expected value.
    #[default]
    Band,
    /// DSPOT at this risk over the subject's scores, after the band while it calibrates.
    Dspot(Risk),
}

/// One subject's threshold state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum SubjectThreshold {
    /// The band judges; the scores gathered so far to calibrate DSPOT on.
    #[default]
    Band,
    /// Calibrating DSPOT: the scores so far (the band judges meanwhile).
    Calibrating(Vec<f64>),
    /// DSPOT judges.
    Dspot(StreamingThreshold),
}

impl SubjectThreshold {
    /// The state a new subject starts in.
    pub fn new(kind: BucketThreshold) -> SubjectThreshold {
        match kind {
            BucketThreshold::Band => SubjectThreshold::Band,
            BucketThreshold::Dspot(_) => SubjectThreshold::Calibrating(Vec::new()),
        }
    }

    /// Judges a bucket's `score` (its largest |z| in MADs): whether it is over, and the
    /// threshold it was compared with. `band` is the band in MADs; `settled` says the subject's
    /// daily rhythm is in use (scores before it come from a baseline still learning and are not
    /// calibrated on).
    pub fn judge(
        &mut self,
        score: f64,
        band: f64,
        kind: BucketThreshold,
        settled: bool,
    ) -> (bool, f64) {
        if kind == BucketThreshold::Band {
            return (score > band, band);
        }
        if *self == SubjectThreshold::Band {
            // A state saved under the band, continued under DSPOT: it starts calibrating.
            *self = SubjectThreshold::Calibrating(Vec::new());
        }
        match self {
            SubjectThreshold::Band => (score > band, band),
            SubjectThreshold::Calibrating(scores) => {
                if score.is_finite() && settled {
                    scores.push(score);
                }
                let over = score > band;
                if let (BucketThreshold::Dspot(risk), true) = (kind, scores.len() >= CALIBRATION) {
                    // A tail that cannot be fitted (a flat series) keeps calibrating on more.
                    if let Ok(t) = StreamingThreshold::calibrate(scores, DEPTH, risk) {
                        *self = SubjectThreshold::Dspot(t);
                    }
                }
                (over, band)
            }
            SubjectThreshold::Dspot(t) => {
                let threshold = t.threshold();
                (t.update(score) == Verdict::Alarm, threshold)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_judges_until_dspot_is_calibrated_then_dspot_raises_a_spike_and_not_noise() {
        let kind = BucketThreshold::Dspot(Risk::DEFAULT);
        let mut t = SubjectThreshold::new(kind);
        // Scores of ordinary buckets: |z| of a few MADs, a heavy-ish tail.
        let noise = |i: usize| 0.5 + ((i * 37 % 101) as f64 / 101.0).powi(3) * 4.0;
        for i in 0..CALIBRATION - 1 {
            assert_eq!(t.judge(noise(i), 5.19, kind, true), (false, 5.19));
        }
        // Before calibration a score over the band is over.
        assert!(t.judge(6.0, 5.19, kind, true).0);
        assert!(matches!(t, SubjectThreshold::Dspot(_)));
        let mut alarms = 0;
        for i in 0..2_000 {
            alarms += usize::from(t.judge(noise(i + 7), 5.19, kind, true).0);
        }
        assert!(alarms <= 2, "{alarms} alarms on ordinary scores");
        let (over, threshold) = t.judge(40.0, 5.19, kind, true);
        assert!(over && threshold > 4.0 && threshold < 40.0, "{threshold}");
        // The state round-trips (it is saved with --state).
        let json = serde_json::to_string(&t).expect("save");
        let back: SubjectThreshold = serde_json::from_str(&json).expect("load");
        assert_eq!(back, t);
        // Continued under the band, the band judges.
        assert_eq!(
            t.judge(40.0, 50.0, BucketThreshold::Band, true),
            (false, 50.0)
        );
    }

    #[test]
    fn a_state_saved_under_the_band_calibrates_when_continued_under_dspot() {
        let mut t = SubjectThreshold::new(BucketThreshold::Band);
        let kind = BucketThreshold::Dspot(Risk::DEFAULT);
        assert_eq!(t.judge(1.0, 5.19, kind, true), (false, 5.19));
        assert_eq!(t, SubjectThreshold::Calibrating(vec![1.0]));
    }
}
