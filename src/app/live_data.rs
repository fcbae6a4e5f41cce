//! What *Follow* has delivered so far: the followed log's scored buckets per subject, its
//! alerts, the latest notes and counts. The worker's increments are added here (those of an
//! older follow are dropped); the live plot and the alerts panel draw from it.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use crate::live::alerts::Alert;
use crate::live::feed::FeedCounts;
use crate::live::watch::ScoredBucket;
use crate::worker::Increment;

/// Buckets kept per subject (two weeks of one-minute buckets); older ones are let go.
pub const MAX_BUCKETS: usize = 20_160;

/// Alerts kept (older ones are let go).
pub const MAX_ALERTS: usize = 10_000;

/// Notes kept (the newest).
pub const MAX_NOTES: usize = 8;

/// The followed log's live results.
#[derive(Debug, Default)]
pub struct LiveData {
    /// The follow whose increments are awaited (0: not following).
    pub generation: u64,
    /// The file followed.
    pub path: Option<PathBuf>,
    /// Scored buckets per subject (`all`, `host NAME`), oldest first.
    pub subjects: BTreeMap<String, VecDeque<ScoredBucket>>,
    /// Alerts, oldest first.
    pub alerts: VecDeque<Alert>,
    /// Counts since the follow started.
    pub counts: FeedCounts,
    /// The newest notes (follow started, file vanished, malformed lines), oldest first.
    pub notes: VecDeque<String>,
    /// The bucket width in milliseconds (0 before the first increment; a table's interval).
    pub bucket_ms: i64,
    /// A followed table's column names, the numbers of its rows (`None`: an access log's five).
    pub features: Option<Vec<String>>,
    /// Why following failed, when it did.
    pub failed: Option<String>,
    /// The end of the newest bucket, milliseconds since 1970 (the log's time).
    pub latest_ms: Option<i64>,
    /// Grows with every change (keys the views' caches).
    pub revision: u64,
    /// Increments received.
    pub increments: u64,
    /// What clicking an alert could not show, in words.
    pub focus_note: Option<String>,
    /// List raised alerts only (not recoveries).
    pub raised_only: bool,
}

impl LiveData {
    /// True while a follow is under way.
    pub fn following(&self) -> bool {
        self.generation != 0
    }

    /// A new follow: what the last one delivered is let go.
    pub fn start(&mut self, generation: u64, path: PathBuf) {
        *self = LiveData {
            generation,
            path: Some(path),
            revision: self.revision + 1,
            raised_only: self.raised_only,
            ..LiveData::default()
        };
    }

    /// The follow stopped: its increments are no longer awaited (its alerts stay listed).
    pub fn stop(&mut self) {
        self.generation = 0;
        self.revision += 1;
    }

    /// Adds an increment of follow `generation`; false when it is not the one awaited.
    pub fn apply(&mut self, generation: u64, increment: Increment) -> bool {
        if generation == 0 || generation != self.generation {
            return false;
        }
        self.increments += 1;
        self.revision += 1;
        self.counts = increment.counts;
        self.bucket_ms = increment.bucket_ms;
        if increment.features.is_some() {
            self.features = increment.features;
        }
        for b in increment.buckets {
            let end = b.start_ms + self.bucket_ms;
            self.latest_ms = Some(self.latest_ms.map_or(end, |l| l.max(end)));
            let series = self.subjects.entry(b.subject.clone()).or_default();
            series.push_back(b);
            if series.len() > MAX_BUCKETS {
                series.pop_front();
            }
        }
        self.alerts.extend(increment.alerts);
        while self.alerts.len() > MAX_ALERTS {
            self.alerts.pop_front();
        }
        self.notes.extend(increment.notes);
        while self.notes.len() > MAX_NOTES {
            self.notes.pop_front();
        }
        true
    }

    /// Follow `generation` could not start or went wrong for good.
    pub fn fail(&mut self, generation: u64, why: String) {
        if generation == self.generation {
            self.failed = Some(why);
            self.generation = 0;
            self.revision += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(start_ms: i64) -> ScoredBucket {
        ScoredBucket {
            start_ms,
            subject: "all".into(),
            values: vec![1.0; 5],
            score: 0.0,
            over: false,
            points: Vec::new(),
        }
    }

    #[test]
    fn increments_of_another_follow_are_dropped_and_the_newest_bucket_is_tracked() {
        let mut live = LiveData::default();
        live.start(7, "x.log".into());
        let inc = Increment {
            buckets: vec![bucket(0), bucket(60_000)],
            notes: vec!["hello".into()],
            bucket_ms: 60_000,
            ..Increment::default()
        };
        assert!(!live.apply(6, inc.clone()));
        assert!(live.subjects.is_empty());
        assert!(live.apply(7, inc));
        assert_eq!(live.subjects["all"].len(), 2);
        assert_eq!(live.latest_ms, Some(120_000));
        assert_eq!(live.notes, ["hello"]);
        live.stop();
        assert!(!live.following());
        assert!(!live.apply(7, Increment::default()));
    }

    #[test]
    fn a_failed_follow_ends_it_with_its_reason_and_an_older_failure_is_ignored() {
        let mut live = LiveData::default();
        live.start(3, "x.log".into());
        live.fail(2, "old".into());
        assert!(live.following());
        live.fail(3, "cannot follow x.log: gone".into());
        assert!(!live.following());
        assert_eq!(live.failed.as_deref(), Some("cannot follow x.log: gone"));
    }
}
