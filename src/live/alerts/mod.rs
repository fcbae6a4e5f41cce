//! An alert, and where it goes: printed on standard output ([`print`], escaped: its sample
//! lines are an attacker's bytes), appended to a JSON lines file ([`jsonl`], `--alerts-out`),
//! posted to a webhook ([`webhook`], `--webhook`, from its own thread so that a slow endpoint
//! never stalls reading). [`AlertOutputs`] sends each alert to all the outputs the watch was
//! given.

pub mod jsonl;
pub mod print;
pub mod webhook;

use std::path::PathBuf;
use std::time::Duration;

pub use jsonl::JsonLines;
pub use print::Printer;
pub use webhook::{Undelivered, Webhook, WebhookCounts, WebhookOptions};

/// Sample log lines kept with an alert at most.
pub const SAMPLES: usize = 5;

/// Whether a subject went over its threshold or came back under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// The score went over the threshold.
    Raised,
    /// The score came back under the threshold.
    Recovered,
}

impl AlertKind {
    /// The kind in words, for printing.
    pub fn word(self) -> &'static str {
        match self {
            AlertKind::Raised => "RAISED",
            AlertKind::Recovered => "RECOVERED",
        }
    }
}

/// One alert: a subject (all traffic, a host, a client...) crossed its threshold, or came back.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// When, in the log's time: milliseconds since 1970-01-01 UTC (written as RFC 3339).
    #[serde(with = "rfc3339")]
    pub time: i64,
    /// Raised or recovered.
    pub kind: AlertKind,
    /// What crossed its threshold (`all`, `host www.example.com`, `client 203.0.113.7`...).
    pub subject: String,
    /// Its anomaly score.
    pub score: f64,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// Why, in words (`5xx share 38% against 2% expected`).
    pub reason: String,
    /// A few of the log lines behind it (at most [`SAMPLES`]).
    pub samples: Vec<String>,
}

impl Alert {
    /// The alert as one line of JSON, with its line break.
    pub fn to_json_line(&self) -> Vec<u8> {
        // Serialising this struct cannot fail: every field is a string, a number or a list of
        // strings (a non-finite number is written as null).
        let mut line = serde_json::to_vec(self).unwrap_or_default();
        line.push(b'\n');
        line
    }
}

/// Where the watch's alerts go.
#[derive(Default)]
pub struct AlertOutputs {
    /// Standard output (or another writer), when printing.
    pub print: Option<Printer<Box<dyn std::io::Write + Send>>>,
    /// The `--alerts-out` file.
    pub file: Option<JsonLines>,
    /// The `--webhook` sender.
    pub webhook: Option<Webhook>,
}

impl AlertOutputs {
    /// Sends `alert` to every output. The webhook only queues it (never waits); an error
    /// printing or writing the file is returned after the other outputs had the alert.
    pub fn send(&mut self, alert: &Alert) -> Result<(), AlertError> {
        if let Some(webhook) = &self.webhook {
            webhook.send(alert);
        }
        let printed = match &mut self.print {
            Some(p) => p.send(alert),
            None => Ok(()),
        };
        let written = match &mut self.file {
            Some(f) => f.send(alert),
            None => Ok(()),
        };
        printed.and(written)
    }

    /// Ends the outputs: the webhook gets up to `grace` to deliver what is queued; what it
    /// could not deliver is counted (and was reported on standard error).
    pub fn finish(self, grace: Duration) -> Option<WebhookCounts> {
        self.webhook.map(|w| w.finish(grace))
    }
}

/// Why an alert output failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The alert file breaks an output rule (special file, link, an input...).
    #[error(transparent)]
    Output(#[from] crate::export::ExportError),
    /// Writing the alert file failed.
    #[error("{}: cannot append the alert: {source}; check the disk and the file's permissions", path.display())]
    Write {
        /// The alert file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Printing the alert failed (standard output closed).
    #[error("standard output: cannot print the alert: {0}")]
    Print(std::io::Error),
    /// The webhook address is not one.
    #[error("--webhook {url}: {reason}; give an http:// or https:// address such as https://hooks.example.com/trafficlens")]
    WebhookUrl {
        /// The address given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The webhook's thread could not be started.
    #[error("--webhook: cannot start the sending thread: {0}")]
    Thread(std::io::Error),
}

/// Alert times as RFC 3339 text (`2026-12-02T09:15:00.000Z`).
mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes epoch milliseconds as RFC 3339 in UTC.
    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        match chrono::DateTime::from_timestamp_millis(*ms) {
            Some(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => s.serialize_i64(*ms),
        }
    }

    /// Reads RFC 3339 text back into epoch milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.timestamp_millis())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An alert for tests.
    pub(crate) fn alert(n: usize) -> Alert {
        Alert {
            time: 1_764_666_900_000 + n as i64,
            kind: AlertKind::Raised,
            subject: format!("client 203.0.113.{n}"),
            score: 0.75,
            threshold: 0.6,
            reason: "404 share 90% against 3% expected".into(),
            samples: vec![
                "203.0.113.7 - - [02/Dec/2026:09:15:00 +0000] \"GET /\u{1b}[2J HTTP/1.1\" 404 0"
                    .into(),
            ],
        }
    }

    #[test]
    fn an_alert_is_one_json_line_that_reads_back() {
        let a = alert(7);
        let line = a.to_json_line();
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(line.ends_with(b"\n"));
        let text = std::str::from_utf8(&line).expect("utf8");
        assert!(
            text.contains("\"time\":\"2025-12-02T09:15:00.007Z\""),
            "{text}"
        );
        assert!(text.contains("\"kind\":\"raised\""), "{text}");
        let back: Alert = serde_json::from_slice(&line).expect("JSON");
        assert_eq!(back, a);
    }
}
