//! One alarm per event (opt-in: `--hold-off ROWS`, the detector panel's hold-off). A feature's
//! alarm is a value surprising enough to make its row an alarm on its own: a tail probability
//! below the default risk of 1e-4 for the row (score above 0.8, the seasonal baseline's own
//! alarm level and default threshold), corrected for the row's features as
//! [`super::calibrate::sidak_surprise`] does. After it, that feature's next `ROWS` values count
//! as at most one decade less surprising ([`held_surprise`]; a one-feature row then scores at
//! most 0.75). A lasting anomaly (a level that stays shifted, a burst that lasts) is then
//! flagged on its first row rather than on every row of it. A value within the hold-off cannot
//! start a new one; the first alarm after it does. Each feature holds on its own, so a spike in
//! one region is not hidden by another region's alarm a few rows before.
//!
//! Why it exists: against the history, a 16-row mean that takes in an alarm value goes on
//! being a new high for up to 16 rows (see [`super::record`]), and each of those overlapping
//! means is counted as if it were independent, so one event is scored as many. The live
//! monitor's cooldown does the same for alerts (a minimum gap between two raises of one
//! subject). It is causal: whether a value is held depends on the rows before it only, and it
//! is part of each feature's state, so the batch equals the rows one by one. Off by default:
//! `detect`'s per-row scores then show every row of a lasting anomaly; the NAB benchmark
//! (`scripts/nab.sh`) uses 16, the short mean's span, where only the first detection in a
//! labelled window counts and every later row outside it is a false positive (see the
//! README's NAB section).

use serde::{Deserialize, Serialize};

use super::calibrate::{default_risk, feature_risk};

/// The surprise (`-log10 p`) at which one of a row's `features` features alone makes the row
/// an alarm at the default risk: `p = 1 - (1 - risk)^(1/m)` (4 for one feature, 4.78 for six).
pub fn feature_alarm(features: usize) -> f64 {
    -feature_risk(default_risk(), features).log10()
}

/// The alarm level a row of `features` features passes to each feature's [`HoldOff::apply`]
/// under `params`: [`feature_alarm`] with a hold-off, infinity (no value is an alarm) without
/// one, so that a state without a hold-off pays for no logarithms.
pub fn alarm_level(params: &super::SeasonalParams, features: usize) -> f64 {
    if params.hold_off > 0 {
        feature_alarm(features)
    } else {
        f64::INFINITY
    }
}

/// The most a held value counts for: one decade below `alarm` (so that no threshold at or
/// near the alarm level flags its row because of it, while it still shows as unusual).
pub fn held_surprise(alarm: f64) -> f64 {
    alarm - 1.0
}

/// One feature's hold-off: values still held after its last alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HoldOff {
    remaining: usize,
}

impl HoldOff {
    /// The surprise to count for a value of surprise `surprise`, with a hold-off of `rows`
    /// values after each alarm (0: off, the surprise as it is) at `alarm` (see
    /// [`feature_alarm`]); updates the state.
    pub fn apply(&mut self, surprise: f64, rows: usize, alarm: f64) -> f64 {
        if self.remaining > 0 {
            self.remaining -= 1;
            return surprise.min(held_surprise(alarm));
        }
        if rows > 0 && surprise > alarm {
            self.remaining = rows;
        }
        surprise
    }

    /// Values still held after the last alarm.
    #[cfg(test)]
    fn remaining(&self) -> usize {
        self.remaining
    }
}

#[cfg(test)]
mod tests {
    use super::super::calibrate::{row_surprise, score_of_risk, score_of_surprise};
    use super::*;

    #[test]
    fn the_alarm_is_the_rows_default_risk_for_one_feature_alone() {
        for m in [1usize, 2, 6, 20] {
            let alarm = feature_alarm(m);
            // The feature at the alarm level, the others quiet: the row is at the default risk.
            let row = row_surprise(std::iter::once(alarm).chain(std::iter::repeat_n(0.0, m - 1)));
            assert!(
                (score_of_surprise(row) - score_of_risk(default_risk())).abs() < 1e-9,
                "{m} features: row surprise {row}"
            );
        }
        assert!((feature_alarm(1) - 4.0).abs() < 1e-9);
        assert!((score_of_surprise(held_surprise(feature_alarm(1))) - 0.75).abs() < 1e-9);
    }

    #[test]
    fn a_row_that_is_an_alarm_only_through_several_features_starts_no_hold() {
        // Six features each a little below the one-feature level: together (Fisher) the row
        // is far past the default risk, but no feature alone is an alarm.
        let alarm = feature_alarm(6);
        let each = alarm - 0.3;
        let row = row_surprise(std::iter::repeat_n(each, 6));
        assert!(
            score_of_surprise(row) > score_of_risk(default_risk()),
            "{row}"
        );
        let mut h = HoldOff::default();
        assert_eq!(h.apply(each, 16, alarm), each);
        assert_eq!(h.remaining(), 0);
    }

    #[test]
    fn an_alarm_holds_the_next_values_then_the_next_alarm_starts_a_new_hold() {
        let surprises = [0.5, 5.0, 6.0, 1.0, 4.5, 9.0, 2.5, 4.1, 2.0];
        let mut h = HoldOff::default();
        let out: Vec<f64> = surprises.iter().map(|&s| h.apply(s, 3, 4.0)).collect();
        // Value 1 is an alarm; values 2-4 are held (capped at 3, lower ones unchanged); value
        // 5 is the next alarm, values 6-8 are held.
        assert_eq!(out, vec![0.5, 5.0, 3.0, 1.0, 3.0, 9.0, 2.5, 3.0, 2.0]);
        assert_eq!(h.remaining(), 0);
    }

    #[test]
    fn off_and_at_the_alarm_level_nothing_changes() {
        let mut h = HoldOff::default();
        for s in [5.0, 6.0, 9.0] {
            assert_eq!(h.apply(s, 0, 4.0), s);
        }
        // Exactly the alarm level is not an alarm (flags are strictly above it).
        let mut h = HoldOff::default();
        assert_eq!(h.apply(4.0, 5, 4.0), 4.0);
        assert_eq!(h.apply(7.0, 5, 4.0), 7.0);
        assert_eq!(h.remaining(), 5);
    }
}
