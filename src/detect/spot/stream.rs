//! The streaming threshold: SPOT and DSPOT (Siffer et al., KDD 2017, algorithms 1 and 3).
//!
//! After a calibration on the first scores ([`Tail::calibrate`]), every new score gets a
//! [`Verdict`]: above the threshold `z_q` it is an alarm and is *not* learned from (an attack
//! must not teach the threshold that attacks are normal); above the initial threshold `t` but
//! not above `z_q` it is a new excess and the tail is fitted again; otherwise it only counts
//! (`n` grows, which lowers `z_q` a little).
//!
//! DSPOT (`depth > 0`) follows a drifting level: each score is taken relative to the mean of
//! the last `depth` scores that were not alarms, and the threshold in score units is
//! `z_q + that mean`. With `depth = 0` it is SPOT.
//!
//! The whole state is [`serde`]-serialisable so a monitor can save it and continue after a
//! restart with the same verdicts it would have given without one.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Risk, SpotError, Tail};

/// What the stream made of one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// At or below the initial threshold: normal, counted.
    Normal,
    /// Above the initial threshold, not above the alarm threshold: normal, learned from (the
    /// tail was fitted again).
    Excess,
    /// Above the alarm threshold: anomalous, not learned from.
    Alarm,
    /// Not a number, or minus infinity: not judged, the state is unchanged (plus infinity is an
    /// alarm).
    Ignored,
}

/// A streaming SPOT / DSPOT threshold: calibrate once, then [`StreamingThreshold::update`]
/// per score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamingThreshold {
    /// The risk `q`.
    risk: Risk,
    /// DSPOT's window depth `d` (0: SPOT, no drift correction).
    depth: usize,
    /// The last `depth` scores that were not alarms.
    window: VecDeque<f64>,
    /// The tail of the (drift-corrected) scores.
    tail: Tail,
    /// The current `z_q` of the drift-corrected scores.
    z: f64,
}

impl StreamingThreshold {
    /// Calibrates on `initial` scores: with `depth = 0` (SPOT) on all of them; with
    /// `depth > 0` (DSPOT) the first `depth` fill the window and the rest, each taken relative
    /// to the mean of the `depth` scores before it, are calibrated on (so `initial` must hold
    /// `depth` more scores than [`Tail::calibrate`] needs).
    pub fn calibrate(initial: &[f64], depth: usize, risk: Risk) -> Result<Self, SpotError> {
        if let Some((index, &value)) = initial.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(SpotError::NotFinite { index, value });
        }
        let (head, rest) = initial.split_at(depth.min(initial.len()));
        let mut window: VecDeque<f64> = head.iter().copied().collect();
        let mut relative = Vec::with_capacity(rest.len());
        for &x in rest {
            relative.push(x - mean(&window));
            if depth > 0 {
                window.pop_front();
                window.push_back(x);
            }
        }
        let tail = Tail::calibrate(&relative).map_err(|e| match e {
            SpotError::TooFewScores { scores, needed } => SpotError::TooFewScores {
                scores: scores + head.len(),
                needed: needed + depth,
            },
            other => other,
        })?;
        let z = tail.threshold(risk);
        Ok(StreamingThreshold {
            risk,
            depth,
            window,
            tail,
            z,
        })
    }

    /// Judges one score and learns from it unless it is an alarm.
    pub fn update(&mut self, score: f64) -> Verdict {
        if score.is_nan() || score == f64::NEG_INFINITY {
            return Verdict::Ignored;
        }
        let x = score - mean(&self.window);
        if x > self.z {
            return Verdict::Alarm;
        }
        let verdict = if x > self.tail.initial() {
            self.tail.add_excess(x - self.tail.initial());
            Verdict::Excess
        } else {
            self.tail.observe();
            Verdict::Normal
        };
        self.z = self.tail.threshold(self.risk);
        if self.depth > 0 {
            self.window.pop_front();
            self.window.push_back(score);
        }
        verdict
    }

    /// The alarm threshold in score units for the next score: a score above it is an alarm.
    pub fn threshold(&self) -> f64 {
        self.z + mean(&self.window)
    }

    /// Sets another risk (the fit stays; only `z_q` moves).
    pub fn set_risk(&mut self, risk: Risk) {
        self.risk = risk;
        self.z = self.tail.threshold(risk);
    }

    /// The tail model (of the drift-corrected scores for DSPOT).
    pub fn tail(&self) -> &Tail {
        &self.tail
    }
}

/// The mean of the window (0 for an empty one, which is SPOT).
fn mean(window: &VecDeque<f64>) -> f64 {
    if window.is_empty() {
        0.0
    } else {
        window.iter().sum::<f64>() / window.len() as f64
    }
}
