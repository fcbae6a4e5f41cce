//! The watching logic of `trafficlens watch`, apart from following and printing: access-log
//! lines are counted into time buckets per subject ([`buckets`]), every closed bucket is scored
//! causally by one [`SeasonalState`] per subject, and a bucket whose score leaves the seasonal
//! band is "over"; the [`Cooldown`] turns those into one raised and one recovered alert per
//! episode. The whole state (open buckets, detector states, cooldown) is serialisable, so a
//! restart continues where the last run stopped.
//!
//! **Threshold: the seasonal band, not DSPOT on the score.** The seasonal score is already a
//! robust z in MADs of the subject's own recent residuals, with its warm-up widening built in,
//! so the band (5.19 MADs, Iglewicz and Hoaglin's cut-off) means the same from the first scored
//! buckets on. DSPOT would first need 100 or more scores per subject to calibrate (at one-minute
//! buckets, hours without any alert per new subject), and its risk assumes scores that are
//! independent from bucket to bucket, which consecutive buckets of one attack are not.

pub mod buckets;
pub mod threshold;

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::buckets::{Buckets, ClosedBucket, Conn, Records, Tally};
use self::threshold::{BucketThreshold, SubjectThreshold};
use crate::data::formats::access::line::Parsed;
use crate::detect::seasonal::periods::candidate_periods;
use crate::detect::seasonal::state::{PointScore, MIN_RESIDUALS};
use crate::detect::seasonal::{explain, SeasonalError, SeasonalParams, SeasonalState};
use crate::live::alerts::{Alert, AlertKind};
use crate::live::cooldown::Cooldown;
use crate::zone::Zone;

/// The seed of the client-address hash.
const CLIENT_SEED: u64 = 0x7761_7463_685f_636c;

/// How to watch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WatchSettings {
    /// Bucket width in milliseconds.
    pub bucket_ms: i64,
    /// How long after its end a bucket waits for late lines, in milliseconds.
    pub allowance_ms: i64,
    /// The minimum time between two raises of one subject.
    pub cooldown: Duration,
    /// The seasonal baseline's settings (its band is the threshold, or DSPOT's until it is
    /// calibrated).
    pub params: SeasonalParams,
    /// How buckets are judged: the band, or DSPOT over each subject's scores.
    pub threshold: BucketThreshold,
}

/// One subject's detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Subject {
    state: SeasonalState,
    /// Buckets scored so far.
    scored: u64,
    /// The subject's threshold (DSPOT's calibration and tail).
    #[serde(default)]
    threshold: SubjectThreshold,
}

/// One closed bucket of one subject, as scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredBucket {
    /// Start of the bucket (milliseconds since 1970, the log's time).
    pub start_ms: i64,
    /// The subject (`all`, `host NAME`).
    pub subject: String,
    /// requests, bytes, distinct clients, 4xx share, 5xx share (for connections: connections,
    /// bytes, distinct sources, distinct destinations, failed share; for a followed table, its
    /// row's numeric columns).
    pub values: Vec<f64>,
    /// The seasonal score: the largest |z| of the numbers, in MADs (for a followed table, the
    /// row's anomaly score in [0, 1), as `detect --algo seasonal` writes it).
    pub score: f64,
    /// True when the score is over the band (and the subject is past its first buckets).
    pub over: bool,
    /// Each number's expected value and band (in the order of `values`); not written to
    /// `--buckets-out` (the app draws them).
    #[serde(skip)]
    pub points: Vec<PointScore>,
}

/// The watch's detector state: buckets, one seasonal state per subject, the cooldown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watcher {
    bucket_ms: i64,
    params: SeasonalParams,
    buckets: Buckets,
    subjects: BTreeMap<String, Subject>,
    cooldown: Cooldown,
    /// What the buckets count: access-log requests or Zeek connections.
    #[serde(default)]
    records: Records,
    /// How buckets are judged.
    #[serde(default)]
    threshold: BucketThreshold,
    /// The UTC offset of the last line that had one: a bucket without lines is taken to be on
    /// the same clock.
    #[serde(default)]
    offset: Option<i16>,
}

/// What came of a line or a flush: the scored buckets and the alerts, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Every subject's closed buckets, scored.
    pub buckets: Vec<ScoredBucket>,
    /// The alerts to send.
    pub alerts: Vec<Alert>,
}

impl Watcher {
    /// A watcher of access-log lines with no history.
    pub fn new(settings: &WatchSettings) -> Result<Watcher, SeasonalError> {
        Watcher::of(settings, Records::Requests)
    }

    /// A watcher of `records` with no history.
    pub fn of(settings: &WatchSettings, records: Records) -> Result<Watcher, SeasonalError> {
        let params = settings.params.validate()?;
        Ok(Watcher {
            bucket_ms: settings.bucket_ms.max(1),
            params,
            buckets: Buckets::new(settings.bucket_ms, settings.allowance_ms),
            subjects: BTreeMap::new(),
            cooldown: Cooldown::new(settings.cooldown),
            records,
            threshold: settings.threshold,
            offset: None,
        })
    }

    /// Judges buckets from now on by `threshold` (a state saved under another mode continues
    /// under the one asked for; DSPOT then calibrates from the next settled buckets).
    pub fn set_threshold(&mut self, threshold: BucketThreshold) {
        self.threshold = threshold;
    }

    /// Forgets which subjects are raised (the end of a history learnt without alerts).
    pub fn reset_alerts(&mut self) {
        self.cooldown.reset();
    }

    /// What the buckets count.
    pub fn records(&self) -> Records {
        self.records
    }

    /// The bucket width in milliseconds.
    pub fn bucket_ms(&self) -> i64 {
        self.bucket_ms
    }

    /// Lines that came after their bucket had closed (not counted in any bucket).
    pub fn late(&self) -> u64 {
        self.buckets.late()
    }

    /// Raises held back by the cooldown.
    pub fn held_back(&self) -> u64 {
        self.cooldown.held_back()
    }

    /// Counts one parsed line (`raw` is the line as read, kept as a sample) and scores the
    /// buckets it closes.
    pub fn line(&mut self, parsed: &Parsed<'_>, raw: &[u8]) -> Result<Outcome, SeasonalError> {
        // A fixed seed: the hashes of an open bucket's clients are saved with the state.
        let client = foldhash::fast::FixedState::with_seed(CLIENT_SEED).hash_one(parsed.client);
        let host = (!parsed.vhost.is_empty()).then(|| String::from_utf8_lossy(parsed.vhost));
        self.buckets.note_offset(parsed.time_ms, parsed.offset_min);
        let closed = self.buckets.add(
            parsed.time_ms,
            host.as_deref(),
            client,
            parsed.status,
            parsed.bytes,
            raw,
        );
        self.score(closed)
    }

    /// Counts one Zeek connection starting at `time_ms` (`raw` is its line, kept as a sample)
    /// and scores the buckets it closes.
    pub fn connection(
        &mut self,
        time_ms: i64,
        conn: &Conn,
        raw: &[u8],
    ) -> Result<Outcome, SeasonalError> {
        let closed = self.buckets.add_connection(time_ms, conn, raw);
        self.score(closed)
    }

    /// Closes and scores every open bucket (the input has ended for good).
    pub fn flush(&mut self) -> Result<Outcome, SeasonalError> {
        let closed = self.buckets.close_all();
        self.score(closed)
    }

    /// Scores closed buckets, subject by subject, and asks the cooldown what they mean.
    fn score(&mut self, closed: Vec<ClosedBucket>) -> Result<Outcome, SeasonalError> {
        let mut out = Outcome::default();
        for bucket in closed {
            self.offset = bucket.offset.or(self.offset);
            for (name, tally) in bucket.subjects {
                // Connections are one subject, named apart from an access log's `all`.
                let name = match self.records {
                    Records::Connections => "all connections".to_string(),
                    Records::Requests => name,
                };
                self.score_one(bucket.start_ms, name, tally, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Scores one subject's bucket.
    fn score_one(
        &mut self,
        start_ms: i64,
        name: String,
        tally: Tally,
        out: &mut Outcome,
    ) -> Result<(), SeasonalError> {
        let subject = match self.subjects.get_mut(&name) {
            Some(s) => s,
            None => {
                let periods = candidate_periods(self.bucket_ms);
                let state = SeasonalState::new(self.bucket_ms, &periods, 5, self.params)?;
                self.subjects.entry(name.clone()).or_insert(Subject {
                    state,
                    scored: 0,
                    threshold: SubjectThreshold::default(),
                })
            }
        };
        let values = tally.values_of(self.records);
        let features = self.records.features();
        // Scored on the log's local clock: its phase follows a daylight-saving change.
        let mut row = subject.state.update_at(start_ms, self.offset, &values)?;
        subject.scored += 1;
        // The first buckets of a subject have too few residuals for any scale: not judged.
        let judged = subject.scored > MIN_RESIDUALS as u64 && !row.repeat;
        let zs: Vec<f64> = row.points.iter().map(|p| p.z).collect();
        let verdict = if judged {
            // The daily rhythm is in use after two days of buckets (none: at once).
            let settle = candidate_periods(self.bucket_ms)
                .first()
                .map_or(0, |&day| 2 * day as u64);
            Some(subject.threshold.judge(
                &zs,
                self.params.band_mads,
                self.threshold,
                subject.scored > settle,
            ))
        } else {
            None
        };
        let over = verdict.as_ref().is_some_and(|v| v.over);
        if let Some(v) = &verdict {
            // Where DSPOT judged a number, the band drawn and quoted is its threshold.
            for (i, (p, &t)) in row.points.iter_mut().zip(&v.thresholds).enumerate() {
                if t != self.params.band_mads {
                    subject.state.rebound(i, p, t);
                }
            }
        }
        let end_ms = start_ms + self.bucket_ms;
        out.buckets.push(ScoredBucket {
            start_ms,
            subject: name.clone(),
            values: values.to_vec(),
            score: row.score,
            over,
            points: row.points.clone(),
        });
        if !judged {
            return Ok(());
        }
        let Some(kind) = self.cooldown.observe(&name, end_ms, over) else {
            return Ok(());
        };
        let (top, threshold) = match &verdict {
            Some(v) => (v.top, v.thresholds[v.top]),
            None => (row.top, self.params.band_mads),
        };
        let point = &row.points[top];
        let reason = match kind {
            AlertKind::Raised => {
                explain::in_words(features[top], point, start_ms, self.bucket_ms, Zone::Utc)
            }
            AlertKind::Recovered => format!(
                "back within the band: {}",
                explain::in_words(features[top], point, start_ms, self.bucket_ms, Zone::Utc)
            ),
        };
        out.alerts.push(Alert {
            time: end_ms,
            kind,
            subject: name,
            score: zs[top].abs(),
            threshold,
            reason,
            samples: match kind {
                AlertKind::Raised => tally.samples,
                AlertKind::Recovered => Vec::new(),
            },
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::access::Method;
    use crate::detect::seasonal::DEFAULT_BAND_MADS;

    const MIN: i64 = 60_000;

    /// A request from client `c` at `t_ms`.
    fn request(t_ms: i64, c: u8, status: u16) -> Parsed<'static> {
        const CLIENTS: [&[u8]; 4] = [b"10.0.0.1", b"10.0.0.2", b"10.0.0.3", b"10.0.0.4"];
        Parsed {
            client: CLIENTS[usize::from(c) % 4],
            time_ms: t_ms,
            offset_min: None,
            method: Method::Get,
            path: b"/",
            query: b"",
            status,
            bytes: 1000,
            user_agent: b"-",
            referer: b"",
            vhost: b"",
            request_ms: 0.0,
        }
    }

    /// Feeds `per_minute(m)` requests in each minute `m` of `minutes`; returns the alerts.
    fn feed(
        w: &mut Watcher,
        minutes: std::ops::Range<i64>,
        per_minute: impl Fn(i64) -> u32,
    ) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for m in minutes {
            for i in 0..per_minute(m) {
                let t = m * MIN + i64::from(i) * 100;
                let out = w.line(&request(t, i as u8, 200), b"line").expect("score");
                alerts.extend(out.alerts);
            }
        }
        alerts
    }

    #[test]
    fn with_dspot_calm_days_raise_little_and_a_burst_on_the_third_raises_once() {
        let settings = WatchSettings {
            bucket_ms: MIN,
            allowance_ms: 0,
            cooldown: Duration::from_secs(600),
            params: SeasonalParams::default(),
            threshold: BucketThreshold::Dspot(crate::detect::spot::Risk::DEFAULT),
        };
        let mut w = Watcher::new(&settings).expect("watcher");
        // Three days of a daily rhythm (10 to 50 requests a minute) with a little noise.
        let day = 1440;
        let normal = |m: i64| {
            let phase = (m % day) as f64 / day as f64 * std::f64::consts::TAU;
            (30.0 + 20.0 * phase.sin()) as u32 + (m * 7 % 5) as u32
        };
        let calm = feed(&mut w, 0..3 * day, normal);
        let late_calm = calm
            .iter()
            .filter(|a| a.time > (2 * day + 240) * MIN)
            .count();
        assert!(late_calm <= 2, "{calm:?}");
        // A burst on the third day raises.
        let burst = |m: i64| {
            if (3 * day + 100..3 * day + 103).contains(&m) {
                400
            } else {
                normal(m)
            }
        };
        let a = feed(&mut w, 3 * day..3 * day + 130, burst);
        let raised: Vec<&Alert> = a.iter().filter(|x| x.kind == AlertKind::Raised).collect();
        assert_eq!(raised.len(), 1, "{a:?}");
        assert_eq!(raised[0].time, (3 * day + 101) * MIN);
        // These counts take a few values each, so they have no tail for DSPOT to fit: the
        // band stays their threshold (threshold.rs tests numbers that have one).
        assert!(raised[0].threshold >= DEFAULT_BAND_MADS, "{:?}", raised[0]);
        assert!(raised[0].score > raised[0].threshold);
    }

    #[test]
    fn a_burst_raises_once_and_recovers_once_and_the_state_round_trips() {
        let settings = WatchSettings {
            bucket_ms: MIN,
            allowance_ms: 0,
            cooldown: Duration::from_secs(600),
            params: SeasonalParams::default(),
            threshold: BucketThreshold::Band,
        };
        let mut w = Watcher::new(&settings).expect("watcher");
        // Steady traffic with a little noise, then three minutes of twenty times as much.
        let normal = |m: i64| 20 + (m * 7 % 5) as u32;
        let calm = feed(&mut w, 0..120, normal);
        assert!(calm.is_empty(), "{calm:?}");
        // Saved and restored half-way: the same verdicts as without.
        let json = serde_json::to_string(&w).expect("save");
        let mut restored: Watcher = serde_json::from_str(&json).expect("restore");
        assert_eq!(restored, w);
        let burst = |m: i64| {
            if (125..128).contains(&m) {
                400
            } else {
                normal(m)
            }
        };
        let a = feed(&mut w, 120..150, burst);
        let b = feed(&mut restored, 120..150, burst);
        assert_eq!(a, b);
        let kinds: Vec<AlertKind> = a.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [AlertKind::Raised, AlertKind::Recovered], "{a:?}");
        assert_eq!(a[0].subject, "all");
        assert!(a[0].reason.contains("MADs above"), "{}", a[0].reason);
        assert_eq!(a[0].samples.len(), crate::live::alerts::SAMPLES);
    }
}
