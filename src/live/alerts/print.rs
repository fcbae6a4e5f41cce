//! Printing alerts for a person: one line per alert (time, kind, subject, score against
//! threshold, reason), then its sample log lines indented. Everything that comes from the
//! data (subject, reason, samples) is escaped with [`crate::terminal::escape`], line breaks
//! included, so a crafted log line can neither drive the terminal nor fake an alert line. The
//! watch prints to standard output; the JSON lines file is the form for programs.

use std::io::Write;

use super::{Alert, AlertError};

/// Prints alerts to a writer (standard output in the watch).
pub struct Printer<W: Write> {
    out: W,
}

impl Printer<Box<dyn Write + Send>> {
    /// A printer on standard output.
    pub fn stdout() -> Self {
        Printer::new(Box::new(std::io::stdout()))
    }
}

impl<W: Write> Printer<W> {
    /// A printer on `out`.
    pub fn new(out: W) -> Self {
        Printer { out }
    }

    /// Prints `alert` and flushes.
    pub fn send(&mut self, alert: &Alert) -> Result<(), AlertError> {
        self.out
            .write_all(text(alert).as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(AlertError::Print)
    }

    /// The writer (for tests).
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// The alert as printed: a headline and its samples, each line ending with a line break.
pub fn text(alert: &Alert) -> String {
    let time = chrono::DateTime::from_timestamp_millis(alert.time).map_or_else(
        || alert.time.to_string(),
        // In UTC, labelled: a growing log may change its offset (daylight saving), and alerts
        // from several sources are read side by side.
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    let mut out = format!(
        "{time} {:<9} {}: score {} over threshold {}: {}\n",
        alert.kind.word(),
        safe(&alert.subject),
        number(alert.score),
        number(alert.threshold),
        safe(&alert.reason),
    );
    if alert.kind == super::AlertKind::Recovered {
        out = out.replacen(" over threshold ", " back under threshold ", 1);
    }
    for sample in &alert.samples {
        out.push_str("    | ");
        out.push_str(&safe(sample));
        out.push('\n');
    }
    out
}

/// Data text made safe to print on one line.
fn safe(text: &str) -> String {
    crate::terminal::escape(text).replace('\n', "\\n")
}

/// A score for reading: four significant digits.
fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{x:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::alerts::AlertKind;

    #[test]
    fn printed_alerts_are_escaped_and_one_line_plus_samples() {
        let alert = Alert {
            time: 1_764_666_900_000,
            kind: AlertKind::Raised,
            subject: "client 203.0.113.7\n2025-12-02 09:15:00 RECOVERED fake".into(),
            score: 0.75123,
            threshold: 0.6,
            reason: "scanner \u{202e}".into(),
            samples: vec!["GET /\u{1b}[2J HTTP/1.1".into(), "second".into()],
        };
        let mut printer = Printer::new(Vec::new());
        printer.send(&alert).expect("print");
        let out = String::from_utf8(printer.into_inner()).expect("utf8");
        assert_eq!(
            out,
            "2025-12-02 09:15:00 UTC RAISED    client 203.0.113.7\\n2025-12-02 09:15:00 RECOVERED fake: \
             score 0.7512 over threshold 0.6000: scanner \\u{202e}\n    | GET /\\x1b[2J HTTP/1.1\n    | second\n"
        );
        let recovered = Alert {
            kind: AlertKind::Recovered,
            samples: Vec::new(),
            ..alert
        };
        assert!(text(&recovered).contains("RECOVERED client 203.0.113.7"));
        assert!(text(&recovered).contains("back under threshold 0.6000"));
    }
}
