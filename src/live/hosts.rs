//! The hosts of a followed Zeek conn.log (`trafficlens watch`): every source address keeps the
//! connections it opened in the last `window` of log time, and once its window holds enough
//! connections for a pattern, at most once a second of log time, the batch hosts view's own
//! facts ([`hosts::features`] over the window's connections) are put to the count rules of its
//! reasons ([`verdict::burst`]: vertical and horizontal port scans, brute force on a login port,
//! a DNS flood). A host is raised when one fits, in the batch reasons' words, and recovers when
//! none fits any more or it goes quiet for a whole window; the [`Cooldown`] keeps a flapping
//! host from raising more than once per cooldown.
//!
//! Patterns that need a longer history (beacons, slow exfiltration) or a typical host (the
//! detectors' features) are the batch view's only.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::data::formats::zeek::record::Record;
use crate::data::formats::zeek::verdict::{self, BRUTE_FORCE, SCAN_HOSTS, SCAN_PORTS};
use crate::data::formats::zeek::{hosts, is_failed, ConnLog, HostSide};
use crate::data::FileKind;
use crate::live::alerts::{Alert, AlertKind, SAMPLES};
use crate::live::cooldown::Cooldown;

/// Connections a window needs before its patterns are looked for: the smallest count any rule
/// asks for.
const MIN_CONNECTIONS: usize = {
    let a = if SCAN_PORTS < SCAN_HOSTS {
        SCAN_PORTS
    } else {
        SCAN_HOSTS
    };
    if a < BRUTE_FORCE {
        a
    } else {
        BRUTE_FORCE
    }
};

/// How to watch the hosts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostSettings {
    /// The window of each host, in milliseconds of log time.
    pub window_ms: i64,
    /// The minimum time between two raises of one host.
    pub cooldown: Duration,
    /// Hosts watched at once at most (connections of new hosts beyond are counted and left
    /// out).
    pub max_hosts: usize,
    /// Connections kept per host at most (the oldest go first).
    pub max_connections: usize,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings {
            window_ms: 5 * 60_000,
            cooldown: Duration::from_secs(600),
            max_hosts: 1_000_000,
            max_connections: 4096,
        }
    }
}

/// One connection in a host's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    ts: f64,
    resp: String,
    port: u16,
    duration: f64,
    orig_bytes: u64,
    resp_bytes: u64,
    failed: bool,
}

/// One host's window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Window {
    seen: VecDeque<Seen>,
    /// The last lines, for an alert's samples.
    samples: VecDeque<String>,
    /// When its patterns were last looked for (ms of log time).
    checked_ms: Option<i64>,
}

/// What the host watch counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCounts {
    /// Hosts watched now.
    pub tracked: usize,
    /// Hosts let go after a window without a connection.
    pub evicted: u64,
    /// Connections of new hosts left out at the cap.
    pub untracked: u64,
}

/// The hosts' windows and their cooldown; serialisable for `--state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostWatch {
    window_ms: i64,
    max_hosts: usize,
    max_connections: usize,
    hosts: HashMap<String, Window>,
    cooldown: Cooldown,
    /// Log time of the latest connection (ms).
    now_ms: i64,
    /// When idle hosts were last let go (ms of log time).
    swept_ms: i64,
    counts: HostCounts,
}

impl HostWatch {
    /// A host watch with no history.
    pub fn new(settings: &HostSettings) -> HostWatch {
        HostWatch {
            window_ms: settings.window_ms.max(1),
            max_hosts: settings.max_hosts,
            max_connections: settings.max_connections.max(1),
            hosts: HashMap::new(),
            cooldown: Cooldown::new(settings.cooldown),
            now_ms: i64::MIN,
            swept_ms: i64::MIN,
            counts: HostCounts::default(),
        }
    }

    /// What was counted so far.
    pub fn counts(&self) -> HostCounts {
        HostCounts {
            tracked: self.hosts.len(),
            ..self.counts
        }
    }

    /// Takes one connection (`raw` is its line) and gives the alerts it causes.
    pub fn connection(&mut self, r: &Record<'_>, raw: &[u8]) -> Vec<Alert> {
        let time_ms = (r.ts * 1000.0).floor() as i64;
        self.now_ms = self.now_ms.max(time_ms);
        let mut alerts = self.let_go_idle();
        if !self.hosts.contains_key(r.orig) && self.hosts.len() >= self.max_hosts {
            self.counts.untracked += 1;
            return alerts;
        }
        let window = self.hosts.entry(r.orig.to_string()).or_default();
        window.seen.push_back(Seen {
            ts: r.ts,
            resp: r.resp.to_string(),
            port: r.resp_port,
            duration: r.duration,
            orig_bytes: r.orig_bytes,
            resp_bytes: r.resp_bytes,
            failed: is_failed(r.state),
        });
        window
            .samples
            .push_back(String::from_utf8_lossy(raw).into_owned());
        if window.samples.len() > SAMPLES {
            window.samples.pop_front();
        }
        let start = self.now_ms.saturating_sub(self.window_ms) as f64 / 1000.0;
        while window.seen.len() > self.max_connections
            || window.seen.front().is_some_and(|s| s.ts < start)
        {
            window.seen.pop_front();
        }
        let due = window
            .checked_ms
            .is_none_or(|t| time_ms.saturating_sub(t) >= 1000);
        let raised = self.cooldown.is_raised(&subject(r.orig));
        // A raised host is looked at again to see it recover; others once they could fit a rule.
        if due && (raised || window.seen.len() >= MIN_CONNECTIONS) {
            window.checked_ms = Some(time_ms);
            let found = pattern(r.orig, &window.seen);
            let name = subject(r.orig);
            if let Some(kind) = self.cooldown.observe(&name, time_ms, found.is_some()) {
                alerts.push(Alert {
                    time: time_ms,
                    kind,
                    subject: name,
                    score: found.as_ref().map_or(0.0, |b| b.count),
                    threshold: found.as_ref().map_or(0.0, |b| b.threshold),
                    reason: match (kind, found) {
                        (AlertKind::Raised, Some(b)) => format!(
                            "{} (in the last {})",
                            b.words,
                            verdict::duration(self.window_ms as f64 / 1000.0)
                        ),
                        _ => {
                            "no port scan, brute force or flood in its recent connections any more"
                                .to_string()
                        }
                    },
                    samples: match kind {
                        AlertKind::Raised => window.samples.iter().cloned().collect(),
                        AlertKind::Recovered => Vec::new(),
                    },
                });
            }
        }
        alerts
    }

    /// Lets go of the hosts without a connection for a whole window (a raised one recovers),
    /// looking at most once a window of log time.
    fn let_go_idle(&mut self) -> Vec<Alert> {
        if self.now_ms.saturating_sub(self.swept_ms) < self.window_ms {
            return Vec::new();
        }
        self.swept_ms = self.now_ms;
        let start = self.now_ms.saturating_sub(self.window_ms) as f64 / 1000.0;
        let idle: Vec<String> = self
            .hosts
            .iter()
            .filter(|(_, w)| w.seen.back().is_none_or(|s| s.ts < start))
            .map(|(h, _)| h.clone())
            .collect();
        let mut alerts = Vec::new();
        for host in idle {
            self.hosts.remove(&host);
            self.counts.evicted += 1;
            let name = subject(&host);
            if self.cooldown.observe(&name, self.now_ms, false) == Some(AlertKind::Recovered) {
                alerts.push(Alert {
                    time: self.now_ms,
                    kind: AlertKind::Recovered,
                    subject: name,
                    score: 0.0,
                    threshold: 0.0,
                    reason: format!(
                        "no connection for {}: no longer watched",
                        verdict::duration(self.window_ms as f64 / 1000.0)
                    ),
                    samples: Vec::new(),
                });
            }
        }
        alerts
    }
}

/// The alert subject of source address `host`.
fn subject(host: &str) -> String {
    format!("source {host}")
}

/// The first count rule the window's connections of `host` fit, judged by the batch hosts
/// view's facts over them.
fn pattern(host: &str, seen: &VecDeque<Seen>) -> Option<verdict::Burst> {
    let mut log = ConnLog::empty(
        std::path::PathBuf::new(),
        FileKind::ZeekConn {
            gzip: false,
            writer: crate::data::formats::zeek::Writer::Tsv,
        },
    );
    log.addresses.push(host.to_string());
    let mut ids: HashMap<&str, u32> = HashMap::new();
    for s in seen {
        let next = log.addresses.len() as u32;
        let resp = *ids.entry(s.resp.as_str()).or_insert_with(|| {
            log.addresses.push(s.resp.clone());
            next
        });
        log.orig.push(0);
        log.resp.push(resp);
        log.ts.push(s.ts);
        log.resp_port.push(s.port);
        log.duration.push(s.duration);
        log.orig_bytes.push(s.orig_bytes);
        log.resp_bytes.push(s.resp_bytes);
        log.failed.push(s.failed);
    }
    let (rows, _, details) = hosts::features(&log, HostSide::Source);
    let row = rows.iter().position(|&h| h == 0)?;
    verdict::burst(details.get(row)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection from `orig` to `resp:port` at `ts`.
    fn conn<'a>(ts: f64, orig: &'a str, resp: &'a str, port: u16, state: &'a str) -> Record<'a> {
        Record {
            ts,
            orig,
            resp,
            resp_port: port,
            duration: 0.1,
            orig_bytes: 0,
            resp_bytes: 0,
            state,
        }
    }

    #[test]
    fn a_port_scan_raises_once_in_the_batch_words_and_recovers_when_idle() {
        let mut w = HostWatch::new(&HostSettings::default());
        let mut alerts = Vec::new();
        // A visitor browsing: never a pattern.
        for i in 0..300 {
            let t = 1_000.0 + f64::from(i);
            alerts.extend(w.connection(&conn(t, "10.0.0.7", "93.184.215.14", 443, "SF"), b"ok"));
        }
        assert!(alerts.is_empty(), "{alerts:?}");
        // 150 ports of one host in 15 s, rejected.
        for p in 0..150u16 {
            let t = 1_300.0 + f64::from(p) * 0.1;
            alerts.extend(w.connection(&conn(t, "10.0.0.66", "10.0.0.5", 1 + p, "REJ"), b"scan"));
        }
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].kind, AlertKind::Raised);
        assert_eq!(alerts[0].subject, "source 10.0.0.66");
        assert!(
            alerts[0]
                .reason
                .starts_with("vertical port scan: 100 ports of 10.0.0.5 in 10 s, 100% failed"),
            "{}",
            alerts[0].reason
        );
        assert_eq!(alerts[0].samples.len(), SAMPLES);
        // Saved and restored: the same state.
        let json = serde_json::to_string(&w).expect("save");
        let restored: HostWatch = serde_json::from_str(&json).expect("restore");
        assert_eq!(restored, w);
        // Quiet for longer than the window: the scanner recovers and is let go.
        let later = w.connection(
            &conn(2_000.0, "10.0.0.7", "93.184.215.14", 443, "SF"),
            b"ok",
        );
        assert_eq!(later.len(), 1, "{later:?}");
        assert_eq!(later[0].kind, AlertKind::Recovered);
        assert_eq!(later[0].subject, "source 10.0.0.66");
        // The visitor was let go too (its connections were all older than the window), and
        // came back with the new one.
        assert_eq!(w.counts().evicted, 2);
        assert_eq!(w.counts().tracked, 1);
    }
}
