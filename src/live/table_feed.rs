//! One followed CSV table's live pipeline for the app, with no terminal: the table is read from
//! its start; the rows already there when following started are its history (learnt by its
//! [`TableWatch`] without alerts; the last [`HISTORY_SHOWN`] of them are sent scored, so the
//! live plot opens on the table's recent past with its band), and every row appended after is
//! scored and judged as `trafficlens watch` judges it. What comes out goes into a [`Batch`],
//! like an access log's [`super::feed::LiveFeed`].

use std::time::Duration;

use crate::data::formats::csv::rows::{TableLine, TableRows};
use crate::detect::seasonal::SeasonalParams;
use crate::live::feed::{BadLine, Batch, FeedCounts};
use crate::live::table::{decide, TableWatch};
use crate::live::watch::ScoredBucket;

/// Rows of the history sent scored when following starts.
pub const HISTORY_SHOWN: usize = 2_000;

/// Lines gathered before the table's columns are decided (fewer when its history ends first).
const DECIDE_LINES: usize = 20;

/// The live pipeline of one table.
pub struct TableFeed {
    /// The file's name in messages and the alerts' subject.
    name: String,
    time_column: Option<String>,
    cooldown: Duration,
    /// The file's length when following started: lines before it are history.
    history_end: u64,
    /// Lines before the columns are decided: offset and text.
    pending: Vec<(u64, Vec<u8>)>,
    rows: Option<TableRows>,
    watch: Option<TableWatch>,
    /// The history's latest scored rows, sent when the history has been read.
    shown: std::collections::VecDeque<ScoredBucket>,
    /// True once the history was sent.
    history_sent: bool,
    /// The table cannot be followed (said once, in the batch's errors).
    refused: bool,
    counts: FeedCounts,
}

impl TableFeed {
    /// A pipeline for the table called `name`, read from its start, whose first `history_end`
    /// bytes were there when following started; `time_column` as the user chose it.
    pub fn new(
        name: &str,
        time_column: Option<String>,
        history_end: u64,
        cooldown: Duration,
    ) -> TableFeed {
        TableFeed {
            name: name.to_string(),
            time_column,
            cooldown,
            history_end,
            pending: Vec::new(),
            rows: None,
            watch: None,
            shown: std::collections::VecDeque::new(),
            history_sent: false,
            refused: false,
            counts: FeedCounts::default(),
        }
    }

    /// The counts so far (history rows are not counted as lines).
    pub fn counts(&self) -> FeedCounts {
        FeedCounts {
            held_back: self.watch.as_ref().map_or(0, TableWatch::held_back),
            ..self.counts
        }
    }

    /// The table's sampling interval in milliseconds (0 before it is known).
    pub fn bucket_ms(&self) -> i64 {
        self.watch.as_ref().map_or(0, TableWatch::interval_ms)
    }

    /// The names of a row's numbers (empty before the columns are decided).
    pub fn features(&self) -> Vec<String> {
        self.rows
            .as_ref()
            .map_or_else(Vec::new, |r| r.features().to_vec())
    }

    /// Takes one line read at byte `offset`; what it gives goes into `batch`.
    pub fn line(&mut self, offset: u64, text: &[u8], batch: &mut Batch) {
        if offset >= self.history_end {
            self.counts.lines += 1;
        }
        if self.rows.is_none() {
            if self.refused {
                self.counts.malformed += u64::from(offset >= self.history_end);
                return;
            }
            self.pending.push((offset, text.to_vec()));
            if self.pending.len() >= DECIDE_LINES || offset >= self.history_end {
                self.decide(batch);
            }
            return;
        }
        self.row(offset, text, batch);
    }

    /// Nothing more to read for now: decides on the lines there are, and sends the history's
    /// rows once it has been read.
    pub fn idle(&mut self, batch: &mut Batch) {
        if self.rows.is_none() && !self.refused && !self.pending.is_empty() {
            self.decide(batch);
        }
        self.send_history(batch);
    }

    /// Decides the columns and the interval from the pending lines, then reads them.
    fn decide(&mut self, batch: &mut Batch) {
        let mut head = Vec::new();
        for (_, l) in &self.pending {
            head.extend_from_slice(l);
            head.push(b'\n');
        }
        let (rows, interval) = match decide(&self.name, &head, self.time_column.as_deref()) {
            Ok(Some(decided)) => decided,
            Ok(None) => return,
            Err(why) => {
                batch.errors.push(format!(
                    "{} cannot be followed as a table: {why}",
                    self.name
                ));
                self.refused = true;
                return;
            }
        };
        let watch = match TableWatch::new(
            &self.name,
            rows.features(),
            interval,
            TableWatch::default_threshold(),
            self.cooldown,
            SeasonalParams::default(),
        ) {
            Ok(w) => w,
            Err(e) => {
                batch
                    .errors
                    .push(format!("{} cannot be followed: {e}", self.name));
                self.refused = true;
                return;
            }
        };
        self.rows = Some(rows);
        self.watch = Some(watch);
        for (offset, text) in std::mem::take(&mut self.pending) {
            self.row(offset, &text, batch);
        }
    }

    /// Reads one line once the columns are known.
    fn row(&mut self, offset: u64, text: &[u8], batch: &mut Batch) {
        let Some(rows) = &self.rows else {
            return;
        };
        let parsed = rows.line(text);
        let history = offset < self.history_end;
        if !history {
            self.send_history(batch);
        }
        let Some(watch) = &mut self.watch else {
            return;
        };
        match parsed {
            Ok(TableLine::Row {
                time_ms,
                offset: zone_offset,
                values,
            }) => {
                if history {
                    match watch.quiet(time_ms, zone_offset, &values) {
                        Ok((bucket, _)) => {
                            self.shown.push_back(bucket);
                            if self.shown.len() > HISTORY_SHOWN {
                                self.shown.pop_front();
                            }
                        }
                        Err(e) => batch
                            .errors
                            .push(format!("{} at byte {offset}: cannot score: {e}", self.name)),
                    }
                    return;
                }
                match watch.row(time_ms, zone_offset, &values, text) {
                    Ok(out) => batch.add(out, &mut self.counts),
                    Err(e) => batch
                        .errors
                        .push(format!("{} at byte {offset}: cannot score: {e}", self.name)),
                }
            }
            Ok(TableLine::Missing { column }) => {
                if !history {
                    batch.errors.push(format!(
                        "{} at byte {offset}: a row without a value in `{column}`, left out",
                        self.name
                    ));
                }
            }
            Ok(TableLine::Header | TableLine::Blank) => {}
            Err(e) => {
                if !history {
                    self.counts.malformed += 1;
                    batch
                        .bad_lines
                        .push(BadLine::new(&self.name, offset, e, text));
                }
            }
        }
    }

    /// Sends the history's shown rows, once.
    fn send_history(&mut self, batch: &mut Batch) {
        if self.history_sent || self.watch.is_none() {
            return;
        }
        self.history_sent = true;
        batch.buckets.extend(self.shown.drain(..));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An hourly table of two columns with a daily rhythm; row `h` is hour `h`.
    fn row(h: i64, spike: bool) -> String {
        let t = 1_700_000_000 / 3600 * 3600 + h * 3600;
        let daily = 100.0 + 50.0 * ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).sin();
        let a = daily + (h * 7 % 5) as f64 + if spike { 900.0 } else { 0.0 };
        format!("{t},{a},{}", 20 + h % 3)
    }

    #[test]
    fn the_history_is_learnt_quietly_and_new_rows_are_judged() {
        let mut text = String::from("ts,requests,errors\n");
        for h in 0..24 * 7 {
            text.push_str(&row(h, false));
            text.push('\n');
        }
        let history_end = text.len() as u64;
        let mut feed = TableFeed::new("t.csv", None, history_end, Duration::from_secs(600));
        let mut batch = Batch::default();
        let mut offset = 0u64;
        for line in text.lines() {
            feed.line(offset, line.as_bytes(), &mut batch);
            offset += line.len() as u64 + 1;
        }
        feed.idle(&mut batch);
        // The whole week of history is shown (fewer rows than HISTORY_SHOWN), with no alert.
        assert_eq!(batch.buckets.len(), 24 * 7);
        assert!(batch.alerts.is_empty());
        assert_eq!(feed.bucket_ms(), 3_600_000);
        assert_eq!(feed.features(), ["requests", "errors"]);
        assert_eq!(feed.counts().lines, 0);
        let mut batch = Batch::default();
        for (h, spike) in [(168, false), (169, true), (170, false)] {
            let l = row(h, spike);
            feed.line(offset, l.as_bytes(), &mut batch);
            offset += l.len() as u64 + 1;
        }
        feed.line(offset, b"1,2", &mut batch);
        let kinds: Vec<_> = batch.alerts.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                crate::live::alerts::AlertKind::Raised,
                crate::live::alerts::AlertKind::Recovered
            ],
            "{:?}",
            batch.alerts
        );
        assert_eq!(batch.alerts[0].subject, "table t.csv");
        assert!(
            batch.alerts[0].reason.starts_with("requests = "),
            "{}",
            batch.alerts[0].reason
        );
        assert_eq!(batch.buckets.len(), 3);
        assert_eq!(batch.bad_lines.len(), 1);
        let c = feed.counts();
        assert_eq!((c.lines, c.malformed, c.buckets, c.alerts), (4, 1, 3, 2));
    }
}
