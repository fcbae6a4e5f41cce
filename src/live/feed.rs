//! One followed access log's live pipeline, with no terminal: each line is parsed in the log's
//! format and handed to the same detectors as `trafficlens watch` (the traffic buckets per
//! subject with their seasonal states, and the per-client windows), and what comes out (scored
//! buckets, alerts, malformed lines) is gathered into a [`Batch`] for whoever shows it (the
//! app's worker sends it to the window).
//!
//! The settings are the watch's defaults ([`FeedSettings::live`]): one-minute buckets, ten
//! seconds for late lines, a ten-minute cooldown, DSPOT over each subject's scores (the seasonal
//! band until it is calibrated), clients judged on
//! five-minute windows; a fit of the client model is put in use when it is ready (following
//! live never waits for one).

use std::time::Duration;

use crate::data::formats::access::line::parse_line;
use crate::data::formats::access::LogFormat;
use crate::detect::seasonal::{SeasonalError, SeasonalParams};
use crate::live::alerts::Alert;
use crate::live::clients::{ClientSettings, ClientState, ClientWatch};
use crate::live::watch::{ScoredBucket, WatchSettings, Watcher};

/// Characters of a malformed line kept to show it.
const SAMPLE_CHARS: usize = 160;

/// Buckets of the history (all subjects) sent when it has been read: the newest ones.
pub const HISTORY_BUCKETS: usize = 20_000;

/// How the live pipeline watches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedSettings {
    /// Buckets, allowance for late lines, cooldown, band.
    pub watch: WatchSettings,
    /// Per-client detection (none: traffic buckets only).
    pub clients: Option<ClientSettings>,
}

impl FeedSettings {
    /// The defaults of `trafficlens watch` for following live.
    pub fn live() -> FeedSettings {
        let cooldown = Duration::from_secs(600);
        FeedSettings {
            watch: WatchSettings {
                bucket_ms: 60_000,
                allowance_ms: 10_000,
                cooldown,
                params: SeasonalParams::default(),
                threshold: crate::live::watch::threshold::BucketThreshold::Dspot(
                    crate::detect::spot::Risk::DEFAULT,
                ),
            },
            clients: Some(ClientSettings {
                cooldown,
                repeatable: false,
                ..ClientSettings::default()
            }),
        }
    }
}

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The seasonal settings are not valid.
    #[error("the watch's settings: {0}")]
    Settings(#[from] SeasonalError),
    /// The thread that refits the client model could not be started.
    #[error("cannot start the thread that fits the client model: {0}")]
    Thread(std::io::Error),
}

/// A line that did not parse: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// The source as given.
    pub source: String,
    /// Byte offset of the line in the file it was read from.
    pub offset: u64,
    /// Why it did not parse.
    pub error: String,
    /// Its first characters.
    pub sample: String,
}

impl BadLine {
    /// The malformed line `text` of `source` at byte `offset`, with why it did not parse; its
    /// first characters are kept to show it.
    pub fn new(source: &str, offset: u64, error: String, text: &[u8]) -> BadLine {
        BadLine {
            source: source.to_string(),
            offset,
            error,
            sample: String::from_utf8_lossy(text)
                .chars()
                .take(SAMPLE_CHARS)
                .collect(),
        }
    }
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at byte {}: malformed line ({}), left out: {}",
            self.source, self.offset, self.error, self.sample
        )
    }
}

/// What lines gave since the batch was last emptied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Every subject's closed buckets, scored, oldest first.
    pub buckets: Vec<ScoredBucket>,
    /// Alerts, oldest first.
    pub alerts: Vec<Alert>,
    /// Malformed lines.
    pub bad_lines: Vec<BadLine>,
    /// Detector errors (a line whose numbers could not be scored), in words.
    pub errors: Vec<String>,
}

impl Batch {
    /// Adds what a line gave (its scored buckets and alerts), counted in `counts`.
    pub fn add(&mut self, out: crate::live::watch::Outcome, counts: &mut FeedCounts) {
        counts.buckets += out.buckets.len() as u64;
        counts.alerts += out.alerts.len() as u64;
        self.buckets.extend(out.buckets);
        self.alerts.extend(out.alerts);
    }

    /// True when nothing is in it.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
            && self.alerts.is_empty()
            && self.bad_lines.is_empty()
            && self.errors.is_empty()
    }
}

/// Counts since the pipeline started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCounts {
    /// Lines handed over.
    pub lines: u64,
    /// Lines that did not parse.
    pub malformed: u64,
    /// Lines that came after their bucket had closed.
    pub late: u64,
    /// Buckets scored (all subjects).
    pub buckets: u64,
    /// Alerts made.
    pub alerts: u64,
    /// Raises held back by the cooldown.
    pub held_back: u64,
}

/// The live pipeline of one access log.
pub struct LiveFeed {
    format: LogFormat,
    watcher: Watcher,
    clients: Option<ClientWatch>,
    scratch: Vec<u8>,
    counts: FeedCounts,
    /// Lines starting before this byte offset are the log's history: learnt, no alerts.
    history_end: u64,
    /// The history's newest scored buckets, sent once the history has been read.
    shown: std::collections::VecDeque<ScoredBucket>,
    /// True once the history was sent.
    history_sent: bool,
}

impl LiveFeed {
    /// A pipeline with no history for lines in `format`.
    pub fn new(format: LogFormat, settings: &FeedSettings) -> Result<LiveFeed, FeedError> {
        let watcher = Watcher::new(&settings.watch)?;
        let clients = match settings.clients {
            Some(s) => {
                Some(ClientWatch::new(s, ClientState::default(), true).map_err(FeedError::Thread)?)
            }
            None => None,
        };
        Ok(LiveFeed {
            format,
            watcher,
            clients,
            scratch: Vec::new(),
            counts: FeedCounts::default(),
            history_end: 0,
            shown: std::collections::VecDeque::new(),
            history_sent: true,
        })
    }

    /// The same pipeline, reading the log from its start: the lines before byte `history_end`
    /// (what was there when following started) are its history, learnt by the detectors (the
    /// buckets' seasonal states, the clients' windows and model) without alerts; the newest
    /// [`HISTORY_BUCKETS`] of its buckets are sent once it has been read.
    pub fn with_history(mut self, history_end: u64) -> LiveFeed {
        self.history_end = history_end;
        self.history_sent = history_end == 0;
        self
    }

    /// Nothing more to read for now: the history's buckets are sent once it has been read.
    pub fn idle(&mut self, batch: &mut Batch) {
        self.send_history(batch);
    }

    /// Sends the history's buckets, once; what the history raised was never shown, so it is
    /// forgotten (a subject still over is raised at its next bucket).
    fn send_history(&mut self, batch: &mut Batch) {
        if !self.history_sent {
            self.history_sent = true;
            batch.buckets.extend(self.shown.drain(..));
            self.watcher.reset_alerts();
            if let Some(c) = &mut self.clients {
                c.reset_alerts();
            }
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> FeedCounts {
        FeedCounts {
            late: self.watcher.late(),
            held_back: self.watcher.held_back(),
            ..self.counts
        }
    }

    /// The bucket width in milliseconds.
    pub fn bucket_ms(&self) -> i64 {
        self.watcher.bucket_ms()
    }

    /// Takes one line of `source` read at byte `offset`; what it gives goes into `batch`.
    pub fn line(&mut self, source: &str, offset: u64, text: &[u8], batch: &mut Batch) {
        let history = offset < self.history_end;
        if !history {
            self.send_history(batch);
            self.counts.lines += 1;
        }
        let parsed = match parse_line(&self.format, text, &mut self.scratch) {
            Ok(p) => p,
            Err(e) => {
                if history {
                    return;
                }
                self.counts.malformed += 1;
                batch
                    .bad_lines
                    .push(BadLine::new(source, offset, e.to_string(), text));
                return;
            }
        };
        match self.watcher.line(&parsed, text) {
            Ok(out) if history => {
                self.shown.extend(out.buckets);
                while self.shown.len() > HISTORY_BUCKETS {
                    self.shown.pop_front();
                }
            }
            Ok(out) => batch.add(out, &mut self.counts),
            Err(e) => batch
                .errors
                .push(format!("{source} at byte {offset}: cannot score: {e}")),
        }
        if let Some(c) = &mut self.clients {
            let alerts = c.line(&parsed, text);
            if !history {
                self.counts.alerts += alerts.len() as u64;
                batch.alerts.extend(alerts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::access::format::COMBINED;

    /// A combined-format line of client `c` at minute `m`, second `s` of 2 Dec 2026, 00:00.
    fn line(c: u32, m: u32, s: u32) -> String {
        format!(
            "10.0.0.{c} - - [02/Dec/2026:{:02}:{:02}:{s:02} +0000] \"GET /a HTTP/1.1\" 200 512 \"-\" \"agent\"",
            m / 60,
            m % 60
        )
    }

    #[test]
    fn lines_close_scored_buckets_and_a_bad_line_is_reported_with_its_offset() {
        let format = LogFormat::parse(COMBINED).expect("format");
        let settings = FeedSettings {
            clients: None,
            ..FeedSettings::live()
        };
        let mut feed = LiveFeed::new(format, &settings).expect("feed");
        let mut batch = Batch::default();
        for m in 0..5 {
            for c in 0..3 {
                feed.line("x.log", 0, line(c, m, c * 10).as_bytes(), &mut batch);
            }
        }
        feed.line("x.log", 4242, b"not a log line", &mut batch);
        // Buckets 0..3 closed (bucket 3 once a line is past its end plus ten seconds).
        assert_eq!(batch.buckets.len(), 4, "{:?}", batch.buckets);
        assert!(batch.buckets.iter().all(|b| b.subject == "all"));
        assert_eq!(batch.buckets[0].values[0], 3.0);
        assert_eq!(batch.buckets[0].points.len(), 5);
        assert_eq!(batch.bad_lines.len(), 1);
        assert_eq!(batch.bad_lines[0].offset, 4242);
        assert!(
            batch.bad_lines[0]
                .to_string()
                .starts_with("x.log at byte 4242: malformed line"),
            "{}",
            batch.bad_lines[0]
        );
        let counts = feed.counts();
        assert_eq!((counts.lines, counts.malformed, counts.buckets), (16, 1, 4));
    }
}
