//! When a subject raises an alert and when it recovers: one "raised" when its score crosses
//! its threshold, one "recovered" when it comes back under, and no new "raised" for the same
//! subject until a minimum gap has passed since its last one, so a subject that flaps around
//! its threshold does not flood the outputs. A raise held back by the gap is not lost: if the
//! subject is still over its threshold once the gap has passed, it is raised then.
//!
//! The watch calls [`Cooldown::observe`] with every new score of every subject (in the log's
//! time) and turns what it returns into an [`Alert`](super::alerts::Alert); the cooldown is
//! saved with the detector state. Only subjects raised recently are kept, so memory follows
//! the number of alerting subjects, not of subjects seen ([`Cooldown::forget`] lets go of the
//! ones whose gap has passed).

use std::collections::HashMap;
use std::time::Duration;

use super::alerts::AlertKind;

/// What the cooldown knows of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Subject {
    /// True while raised (over its threshold, not yet recovered).
    raised: bool,
    /// When it was last raised (milliseconds, the log's time).
    last_raised: i64,
    /// True while a raise is being held back by the gap (counted once).
    held: bool,
}

/// Raised and recovered transitions per subject, with a minimum gap between two raises.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cooldown {
    /// The minimum time between two raises of one subject, in milliseconds.
    gap: i64,
    subjects: HashMap<String, Subject>,
    /// Raises held back by the gap.
    held_back: u64,
}

impl Cooldown {
    /// A cooldown with `gap` as the minimum time between two raises of one subject.
    pub fn new(gap: Duration) -> Cooldown {
        Cooldown {
            gap: i64::try_from(gap.as_millis()).unwrap_or(i64::MAX),
            subjects: HashMap::new(),
            held_back: 0,
        }
    }

    /// Takes the subject's new state at `time` (milliseconds): `over` when its score is over
    /// its threshold. Returns the alert to send, if any.
    pub fn observe(&mut self, subject: &str, time: i64, over: bool) -> Option<AlertKind> {
        let Some(s) = self.subjects.get_mut(subject) else {
            if !over {
                return None;
            }
            self.subjects.insert(
                subject.to_string(),
                Subject {
                    raised: true,
                    last_raised: time,
                    held: false,
                },
            );
            return Some(AlertKind::Raised);
        };
        match (s.raised, over) {
            (true, false) => {
                s.raised = false;
                Some(AlertKind::Recovered)
            }
            (false, true) if time.saturating_sub(s.last_raised) >= self.gap => {
                *s = Subject {
                    raised: true,
                    last_raised: time,
                    held: false,
                };
                Some(AlertKind::Raised)
            }
            (false, true) => {
                if !std::mem::replace(&mut s.held, true) {
                    self.held_back += 1;
                }
                None
            }
            (false, false) => {
                s.held = false;
                None
            }
            (true, true) => None,
        }
    }

    /// True while `subject` is raised.
    pub fn is_raised(&self, subject: &str) -> bool {
        self.subjects.get(subject).is_some_and(|s| s.raised)
    }

    /// Raises held back by the gap so far (each held stretch counted once).
    pub fn held_back(&self) -> u64 {
        self.held_back
    }

    /// Subjects remembered.
    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    /// True when no subject is remembered.
    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    /// Lets go of the subjects that have recovered and whose gap has passed at `time`: they
    /// would be raised again at once, as if new.
    pub fn forget(&mut self, time: i64) {
        let gap = self.gap;
        self.subjects
            .retain(|_, s| s.raised || time.saturating_sub(s.last_raised) < gap);
    }

    /// Forgets every subject (what was learnt as history raised nothing that anyone saw): a
    /// subject still over its threshold is raised at its next score, and none recovers without
    /// a raise that was sent.
    pub fn reset(&mut self) {
        self.subjects.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn after_a_reset_a_subject_still_over_is_raised_and_none_recovers_unseen() {
        let mut c = Cooldown::new(Duration::from_secs(600));
        assert_eq!(c.observe("a", 0, true), Some(AlertKind::Raised));
        assert_eq!(c.observe("b", 0, true), Some(AlertKind::Raised));
        c.reset();
        assert_eq!(c.observe("a", MIN, true), Some(AlertKind::Raised));
        assert_eq!(c.observe("b", MIN, false), None);
    }

    #[test]
    fn raised_once_recovered_once() {
        let mut c = Cooldown::new(Duration::from_secs(600));
        assert_eq!(c.observe("a", 0, false), None, "never over: nothing");
        assert!(c.is_empty(), "subjects never over are not kept");
        assert_eq!(c.observe("a", MIN, true), Some(AlertKind::Raised));
        assert_eq!(
            c.observe("a", 2 * MIN, true),
            None,
            "still over: no second alert"
        );
        assert!(c.is_raised("a"));
        assert_eq!(c.observe("a", 3 * MIN, false), Some(AlertKind::Recovered));
        assert_eq!(c.observe("a", 4 * MIN, false), None, "still under: nothing");
        assert!(!c.is_raised("a"));
    }

    #[test]
    fn a_flapping_subject_is_raised_again_only_after_the_gap() {
        let mut c = Cooldown::new(Duration::from_secs(600));
        let mut alerts = Vec::new();
        // Over and under every minute for an hour.
        for m in 0..60 {
            if let Some(kind) = c.observe("flappy", m * MIN, m % 2 == 0) {
                alerts.push((m, kind));
            }
        }
        let raised: Vec<i64> = alerts
            .iter()
            .filter(|(_, k)| *k == AlertKind::Raised)
            .map(|(m, _)| *m)
            .collect();
        assert_eq!(
            raised,
            vec![0, 10, 20, 30, 40, 50],
            "one raise per 10-minute gap"
        );
        let recovered = alerts.len() - raised.len();
        assert_eq!(recovered, 6, "each raise recovers once");
        assert_eq!(
            c.held_back(),
            24,
            "the other over-threshold minutes were held back"
        );
    }

    #[test]
    fn a_raise_held_back_comes_once_the_gap_has_passed_if_still_over() {
        let mut c = Cooldown::new(Duration::from_secs(600));
        assert_eq!(c.observe("a", 0, true), Some(AlertKind::Raised));
        assert_eq!(c.observe("a", MIN, false), Some(AlertKind::Recovered));
        assert_eq!(c.observe("a", 2 * MIN, true), None, "held back");
        assert_eq!(c.observe("a", 9 * MIN, true), None, "still within the gap");
        assert_eq!(c.observe("a", 10 * MIN, true), Some(AlertKind::Raised));
        assert_eq!(c.held_back(), 1);
    }

    #[test]
    fn subjects_are_independent_and_forgotten_after_their_gap() {
        let mut c = Cooldown::new(Duration::from_secs(600));
        assert_eq!(c.observe("a", 0, true), Some(AlertKind::Raised));
        assert_eq!(c.observe("b", 0, true), Some(AlertKind::Raised));
        assert_eq!(c.observe("a", MIN, false), Some(AlertKind::Recovered));
        c.forget(5 * MIN);
        assert_eq!(c.len(), 2, "a's gap has not passed");
        c.forget(10 * MIN);
        assert_eq!(c.len(), 1, "a forgotten, b still raised");
        assert!(c.is_raised("b"));
        assert_eq!(c.observe("a", 10 * MIN, true), Some(AlertKind::Raised));
        let saved = serde_json::to_string(&c).expect("to JSON");
        let back: Cooldown = serde_json::from_str(&saved).expect("from JSON");
        assert_eq!(back, c, "kept in the watch's state");
    }
}
