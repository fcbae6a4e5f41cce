//! One alarm per event (opt-in: `--hold-off ROWS`, the detector panel's hold-off): after an
//! alarm, a row whose tail probability across its features is below the default risk (1e-4,
//! score above 0.8: the seasonal baseline's own alarm level, its default threshold), the next
//! `ROWS` rows score at most [`held_score`] (one decade less likely: 0.75), so a lasting anomaly
//! (a level that stays shifted, a burst that lasts) is flagged on its first row rather than on
//! every row of it. A row within the hold-off cannot start a new one; the first alarm after it
//! does.
//!
//! Why it exists: against the history, a 16-row mean that takes in an alarm row goes on being
//! a new high for up to 16 rows (see [`super::record`]), and each of those overlapping means is
//! counted as if it were independent, so one event is scored as many. The live monitor's
//! cooldown does the same for alerts (a minimum gap between two raises of one subject). It is
//! causal: whether a row is held depends on the rows before it only, and it is part of the
//! state, so the batch equals the rows one by one. Off by default: `detect`'s per-row scores
//! then show every row of a lasting anomaly; the NAB benchmark (`scripts/nab.sh`) uses 16, the
//! short mean's span, where only the first detection in a labelled window counts and every
//! later row outside it is a false positive (see the README's NAB section).

use serde::{Deserialize, Serialize};

use super::calibrate::{default_risk, score_of_risk, score_of_surprise};

/// The score above which a row is an alarm: the default risk's ([`score_of_risk`], 0.8).
pub fn alarm_score() -> f64 {
    score_of_risk(default_risk())
}

/// The most a held row scores: one decade of tail probability below the alarm level (0.75 at
/// the default risk of 1e-4), so that no threshold at or near the alarm level flags it, while
/// it still shows as unusual.
pub fn held_score() -> f64 {
    score_of_surprise(-default_risk().log10() - 1.0)
}

/// The hold-off's state: rows still held after the last alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HoldOff {
    remaining: usize,
}

impl HoldOff {
    /// The score to report for a row scored `score` (in [0, 1)) with a hold-off of `rows` rows
    /// after each alarm (0: off, the score as it is); updates the state.
    pub fn apply(&mut self, score: f64, rows: usize) -> f64 {
        if self.remaining > 0 {
            self.remaining -= 1;
            return score.min(held_score());
        }
        if rows > 0 && score > alarm_score() {
            self.remaining = rows;
        }
        score
    }

    /// Rows still held after the last alarm.
    pub fn remaining(&self) -> usize {
        self.remaining
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_the_default_risk_and_one_decade_less() {
        assert!((alarm_score() - 0.8).abs() < 1e-12);
        assert!((held_score() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn an_alarm_holds_the_next_rows_then_the_next_alarm_starts_a_new_hold() {
        let scores = [0.1, 0.9, 0.95, 0.3, 0.85, 0.99, 0.7, 0.81, 0.5];
        let mut h = HoldOff::default();
        let out: Vec<f64> = scores.iter().map(|&s| h.apply(s, 3)).collect();
        // Row 1 is an alarm; rows 2-4 are held (capped at 0.75, lower scores unchanged);
        // row 5 is the next alarm, rows 6-8 held.
        assert_eq!(out, vec![0.1, 0.9, 0.75, 0.3, 0.75, 0.99, 0.7, 0.75, 0.5]);
        assert_eq!(h.remaining(), 0);
    }

    #[test]
    fn off_and_at_the_alarm_level_nothing_changes() {
        let mut h = HoldOff::default();
        for s in [0.9, 0.95, 0.99] {
            assert_eq!(h.apply(s, 0), s);
        }
        // Exactly the alarm level is not an alarm (flags are strictly above it).
        let mut h = HoldOff::default();
        assert_eq!(h.apply(alarm_score(), 5), alarm_score());
        assert_eq!(h.apply(0.9, 5), 0.9);
        assert_eq!(h.remaining(), 5);
    }
}
