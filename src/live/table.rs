//! A followed table (a CSV that grows by appended rows, such as a metrics export with a time
//! column): each new row is one moment, scored causally by the seasonal baseline exactly as
//! `trafficlens detect TABLE --algo seasonal` scores that row (one [`SeasonalState`] over the
//! table's numeric columns, updated one row at a time; the batch equals the rows one by one),
//! and a row is *over* under the same automatic threshold (its tail probability across its
//! features below 1e-4, [`default_risk`]) unless a band in MADs is given. The [`Cooldown`]
//! turns the over/under sequence into raised and recovered alerts. Serialisable for `--state`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::data::formats::csv::rows::{TableLine, TableRows};
use crate::detect::seasonal::calibrate::{default_risk, model_band_mads, score_of_risk};
use crate::detect::seasonal::grid::detect_interval;
use crate::detect::seasonal::periods::candidate_periods;
use crate::detect::seasonal::{explain, SeasonalError, SeasonalParams, SeasonalState};
use crate::live::alerts::{Alert, AlertKind};
use crate::live::cooldown::Cooldown;
use crate::live::watch::{Outcome, ScoredBucket};

/// Rows of a table's head after which, when they all share one time, it is refused rather than
/// waited on.
const MAX_HEAD_ROWS: usize = 1_000;

/// How a table's rows are read and its sampling interval, decided from its first lines `head`
/// (its header line first): `Ok(None)` while they are too few to tell (fewer than two rows, or
/// no two distinct times), `Err` with the reason when it is not a table that can be followed.
pub fn decide(
    name: &str,
    head: &[u8],
    time_column: Option<&str>,
) -> Result<Option<(TableRows, i64)>, String> {
    let Some(rows) = TableRows::from_head(name, head, time_column)? else {
        return Ok(None);
    };
    let times: Vec<i64> = head
        .split(|&b| b == b'\n')
        .filter_map(|l| match rows.line(l) {
            Ok(TableLine::Row { time_ms, .. }) => Some(time_ms),
            _ => None,
        })
        .collect();
    // A table followed grows at its end, newest row last: one whose rows go back in time
    // (newest first, or shuffled) would never be scored (and waiting for more rows would read
    // its start again at every line). A row now and then a little late is let through.
    let back = times.windows(2).filter(|w| w[1] < w[0]).count();
    let forward = times.windows(2).filter(|w| w[1] > w[0]).count();
    if back > 0 && back * 4 > forward {
        return Err(format!(
            "its rows go back in time ({back} of its first {} steps from one row to the next): \
             watch follows a table whose rows come in time order, newest last; `detect --algo \
             seasonal` scores one in any order",
            times.len().saturating_sub(1)
        ));
    }
    if times.len() >= MAX_HEAD_ROWS && times.first() == times.last() {
        return Err(format!(
            "its first {} rows all have the same time, so it has no interval",
            times.len()
        ));
    }
    Ok(detect_interval(&times).map(|interval| (rows, interval)))
}

/// When a row is over its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TableThreshold {
    /// `detect`'s default: the row's anomaly score (its tail probability across its features)
    /// over the score of this risk.
    Risk(f64),
    /// A feature more than this many MADs from its expected value (`--band`).
    Band(f64),
}

/// The watch of one followed table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableWatch {
    /// The alerts' subject: `table NAME`.
    subject: String,
    features: Vec<String>,
    state: SeasonalState,
    threshold: TableThreshold,
    cooldown: Cooldown,
}

impl TableWatch {
    /// A watch of the table called `name` with `features` sampled every `interval_ms`; periods
    /// are the day and week of the interval (each in use once two cycles are in).
    pub fn new(
        name: &str,
        features: &[String],
        interval_ms: i64,
        threshold: TableThreshold,
        cooldown: Duration,
        params: SeasonalParams,
    ) -> Result<TableWatch, SeasonalError> {
        let band_mads = match threshold {
            TableThreshold::Risk(risk) => model_band_mads(risk, features.len()),
            TableThreshold::Band(b) => b,
        };
        let params = SeasonalParams {
            band_mads,
            ..params
        };
        let state = SeasonalState::new(
            interval_ms,
            &candidate_periods(interval_ms),
            features.len(),
            params,
        )?;
        Ok(TableWatch {
            subject: format!("table {name}"),
            features: features.to_vec(),
            state,
            threshold,
            cooldown: Cooldown::new(cooldown),
        })
    }

    /// The default threshold: `detect --algo seasonal`'s.
    pub fn default_threshold() -> TableThreshold {
        TableThreshold::Risk(default_risk())
    }

    /// The table's sampling interval in milliseconds.
    pub fn interval_ms(&self) -> i64 {
        self.state.interval_ms()
    }

    /// Learns a row of the table's history (read at start) without judging it; `offset` is
    /// the UTC offset its time was written with (its phase follows a daylight-saving change).
    pub fn learn(
        &mut self,
        time_ms: i64,
        offset: Option<i16>,
        values: &[f64],
    ) -> Result<(), SeasonalError> {
        self.state.update_at(time_ms, offset, values)?;
        Ok(())
    }

    /// Scores one row and learns it, without judging it (a row of the history shown): the
    /// scored row and the feature with the largest |z| (the one an alert speaks of).
    pub fn quiet(
        &mut self,
        time_ms: i64,
        offset: Option<i16>,
        values: &[f64],
    ) -> Result<(ScoredBucket, usize), SeasonalError> {
        let row = self.state.update_at(time_ms, offset, values)?;
        let score = match self.threshold {
            TableThreshold::Risk(_) => row.calibrated,
            TableThreshold::Band(_) => row.score,
        };
        let bucket = ScoredBucket {
            start_ms: time_ms,
            subject: self.subject.clone(),
            values: values.to_vec(),
            score,
            over: score > self.threshold_value(),
            points: row.points,
        };
        Ok((bucket, row.top))
    }

    /// The threshold the score is compared with.
    fn threshold_value(&self) -> f64 {
        match self.threshold {
            TableThreshold::Risk(risk) => score_of_risk(risk),
            TableThreshold::Band(b) => b,
        }
    }

    /// Scores one new row (`raw` is its line, the alert's sample) and learns it.
    pub fn row(
        &mut self,
        time_ms: i64,
        offset: Option<i16>,
        values: &[f64],
        raw: &[u8],
    ) -> Result<Outcome, SeasonalError> {
        let (bucket, top) = self.quiet(time_ms, offset, values)?;
        let Some(kind) = self.cooldown.observe(&self.subject, time_ms, bucket.over) else {
            return Ok(Outcome {
                buckets: vec![bucket],
                alerts: Vec::new(),
            });
        };
        let words = explain::in_words(
            &self.features[top],
            &bucket.points[top],
            time_ms,
            self.state.interval_ms(),
            crate::zone::Zone::Utc,
        );
        let mut out = Outcome::default();
        out.alerts.push(Alert {
            time: time_ms,
            kind,
            subject: self.subject.clone(),
            score: bucket.score,
            threshold: self.threshold_value(),
            reason: match kind {
                AlertKind::Raised => words,
                AlertKind::Recovered => format!("back within the band: {words}"),
            },
            samples: match kind {
                AlertKind::Raised => vec![String::from_utf8_lossy(raw).into_owned()],
                AlertKind::Recovered => Vec::new(),
            },
        });
        out.buckets.push(bucket);
        Ok(out)
    }

    /// Raises held back by the cooldown.
    pub fn held_back(&self) -> u64 {
        self.cooldown.held_back()
    }
}
