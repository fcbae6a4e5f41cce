//! A deterministic generator of realistic regional web traffic with labelled anomalies.
//!
//! Each region has its own base level, growth trend, weekly rhythm (quieter weekends), yearly
//! swell, daily rhythm (for sub-daily steps) and noise. Anomalies of five kinds are injected
//! and labelled: single-region spikes, multi-region surges, outages (traffic near zero), slow
//! ramps and temporary level shifts. Rows are written as they are made, so ten million rows
//! need no more memory than ten.

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_pcg::Pcg64Mcg;

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `2021-03-13` (or `2021-03-13 08:00:00` for sub-daily steps).
    Iso,
    /// `13/3/2021` (or `13/3/2021 08:00` for sub-daily steps), like the reference data.
    DayMonthYear,
}

/// The kinds of injected anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnomalyKind {
    /// One region jumps for one step.
    Spike,
    /// Several regions jump together for one to three steps.
    Surge,
    /// One or two regions drop to near zero.
    Outage,
    /// One region climbs steadily over several steps.
    Ramp,
    /// One to three regions move to another level for a while, then return.
    LevelShift,
}

impl AnomalyKind {
    /// Every kind, in label order.
    pub const ALL: [AnomalyKind; 5] = [
        AnomalyKind::Spike,
        AnomalyKind::Surge,
        AnomalyKind::Outage,
        AnomalyKind::Ramp,
        AnomalyKind::LevelShift,
    ];

    /// The label written to the labels file.
    pub fn label(self) -> &'static str {
        match self {
            AnomalyKind::Spike => "spike",
            AnomalyKind::Surge => "surge",
            AnomalyKind::Outage => "outage",
            AnomalyKind::Ramp => "ramp",
            AnomalyKind::LevelShift => "level_shift",
        }
    }
}

/// Generator settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Number of regions (feature columns).
    pub regions: usize,
    /// Number of rows (time steps).
    pub rows: u64,
    /// Seconds between rows.
    pub step_seconds: i64,
    /// Time of the first row, seconds since 1970-01-01 UTC.
    pub start: i64,
    /// Random seed: the same settings and seed always give the same bytes.
    pub seed: u64,
    /// How dates are written.
    pub date_style: DateStyle,
    /// Probability that an anomaly starts at a row (when none is under way).
    pub anomaly_rate: f64,
    /// Write a UTF-8 byte-order mark first.
    pub bom: bool,
    /// End lines with CRLF instead of LF.
    pub crlf: bool,
    /// End the last line with a line break.
    pub final_newline: bool,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            regions: 6,
            rows: 730,
            step_seconds: 86_400,
            start: 1_609_459_200, // 2021-01-01
            seed: 0,
            date_style: DateStyle::Iso,
            anomaly_rate: 0.015,
            bom: false,
            crlf: false,
            final_newline: true,
        }
    }
}

impl GeneratorConfig {
    /// The shape of the reference file: `d/m/Y` dates, BOM, CRLF, no final newline.
    pub fn seed_shaped(mut self) -> Self {
        self.date_style = DateStyle::DayMonthYear;
        self.bom = true;
        self.crlf = true;
        self.final_newline = false;
        self
    }
}

impl GeneratorConfig {
    /// The time of the last row, seconds since 1970 (wide enough that no step overflows).
    pub fn last_time(&self) -> i128 {
        i128::from(self.start)
            + i128::from(self.step_seconds) * i128::from(self.rows.saturating_sub(1))
    }
}

/// A generated time stamp that TrafficLens could not read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRangeError {
    /// The first time stamp is before 1970.
    #[error("the first time stamp would be {}, before 1970-01-01 (the earliest time TrafficLens reads in a log)", describe_seconds(*.0))]
    BeforeEpoch(i128),
    /// The last time stamp is after 9999.
    #[error("the last time stamp would be {}, after 9999-12-31T23:59:59 (the last time with a four-digit year, which TrafficLens reads)", describe_seconds(*.0))]
    AfterYear9999(i128),
}

/// Checks that every time stamp from `first` to `last` (seconds since 1970) is one TrafficLens
/// reads back: from [`MIN_TIME_MS`](crate::data::time::MIN_TIME_MS) to
/// [`MAX_TIME_MS`](crate::data::time::MAX_TIME_MS).
pub fn check_time_range(first: i128, last: i128) -> Result<(), TimeRangeError> {
    use crate::data::time::{MAX_TIME_MS, MIN_TIME_MS};
    if first * 1000 < i128::from(MIN_TIME_MS) {
        return Err(TimeRangeError::BeforeEpoch(first));
    }
    if last * 1000 > i128::from(MAX_TIME_MS) {
        return Err(TimeRangeError::AfterYear9999(last));
    }
    Ok(())
}

/// Seconds since 1970 as a UTC date-time, or in words when no calendar date fits.
fn describe_seconds(secs: i128) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || format!("{secs} seconds after 1970-01-01 (far beyond year 9999)"),
            |dt| dt.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
        )
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateSummary {
    /// Rows written.
    pub rows: u64,
    /// Rows with at least one anomaly label.
    pub anomalous_rows: u64,
    /// Events per kind, in [`AnomalyKind::ALL`] order.
    pub events: [u64; 5],
}

/// One region's normal behaviour.
struct RegionModel {
    base: f64,
    growth_per_year: f64,
    weekend: f64,
    yearly: f64,
    daily: f64,
    peak_hour: f64,
    noise: f64,
}

/// An anomaly under way.
struct Event {
    kind: AnomalyKind,
    first_row: u64,
    len: u64,
    regions: Vec<usize>,
    factor: f64,
}

/// Writes the data CSV to `data` and the labels CSV (`row,kind,regions`) to `labels`.
pub fn generate(
    cfg: &GeneratorConfig,
    data: &mut impl Write,
    labels: &mut impl Write,
) -> io::Result<GenerateSummary> {
    check_time_range(i128::from(cfg.start), cfg.last_time())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed);
    let eol: &[u8] = if cfg.crlf { b"\r\n" } else { b"\n" };
    let models: Vec<RegionModel> = (0..cfg.regions)
        .map(|_| RegionModel {
            base: rng.random_range(90.0..220.0),
            growth_per_year: rng.random_range(0.05..0.35),
            weekend: rng.random_range(0.70..0.92),
            yearly: rng.random_range(0.03..0.10),
            daily: rng.random_range(0.35..0.65),
            peak_hour: rng.random_range(13.0..17.0),
            noise: rng.random_range(0.05..0.10),
        })
        .collect();
    let names: Vec<String> = (1..=cfg.regions).map(|i| format!("Region {i}")).collect();

    if cfg.bom {
        data.write_all(&[0xef, 0xbb, 0xbf])?;
    }
    let time_name = if cfg.step_seconds % 86_400 == 0 {
        "Date"
    } else {
        "Timestamp"
    };
    write!(data, "{time_name},{}", names.join(","))?;
    labels.write_all(b"row,kind,regions\n")?;

    let mut summary = GenerateSummary::default();
    let mut event: Option<Event> = None;
    let mut deck = Deck::default();
    let mut values = vec![0.0f64; cfg.regions];
    let mut whole = vec![false; cfg.regions];
    let steps_per_day = (86_400 / cfg.step_seconds.max(1)).max(1) as u64;
    for row in 0..cfg.rows {
        let t = cfg.start + cfg.step_seconds * row as i64;
        let days = (t - cfg.start) as f64 / 86_400.0;
        let dt = chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .naive_utc();
        let weekday = chrono::Datelike::weekday(&dt).num_days_from_monday();
        let hour = chrono::Timelike::hour(&dt) as f64 + chrono::Timelike::minute(&dt) as f64 / 60.0;
        let sub_daily = cfg.step_seconds < 86_400;
        for (v, m) in values.iter_mut().zip(&models) {
            let trend = 1.0 + m.growth_per_year * days / 365.25;
            let week = if weekday >= 5 { m.weekend } else { 1.0 };
            let year = 1.0 + m.yearly * (std::f64::consts::TAU * days / 365.25).sin();
            let day = if sub_daily {
                (1.0 + m.daily * (std::f64::consts::TAU * (hour - m.peak_hour + 6.0) / 24.0).sin())
                    .max(0.05)
            } else {
                1.0
            };
            let noise: f64 = rng.sample(StandardNormal);
            *v = (m.base * trend * week * year * day * (1.0 + m.noise * noise)).max(0.0);
        }
        whole.fill(false);

        if event.as_ref().is_some_and(|e| row >= e.first_row + e.len) {
            event = None;
        }
        if event.is_none() && row > 0 && rng.random_bool(cfg.anomaly_rate.clamp(0.0, 1.0)) {
            let e = start_event(&mut rng, &mut deck, row, cfg.regions, steps_per_day);
            summary.events[AnomalyKind::ALL
                .iter()
                .position(|k| *k == e.kind)
                .unwrap_or(0)] += 1;
            event = Some(e);
        }
        if let Some(e) = &event {
            let i = row - e.first_row;
            for &r in &e.regions {
                match e.kind {
                    AnomalyKind::Spike | AnomalyKind::Surge => {
                        values[r] = (values[r] * e.factor).round();
                        whole[r] = true;
                    }
                    AnomalyKind::Outage => values[r] *= e.factor,
                    AnomalyKind::Ramp => {
                        values[r] *= 1.0 + (e.factor - 1.0) * (i + 1) as f64 / e.len as f64
                    }
                    AnomalyKind::LevelShift => values[r] *= e.factor,
                }
            }
            let regions: Vec<&str> = e.regions.iter().map(|&r| names[r].as_str()).collect();
            writeln!(labels, "{row},{},{}", e.kind.label(), regions.join(";"))?;
            summary.anomalous_rows += 1;
        }

        data.write_all(eol)?;
        write_time(data, &dt, cfg.date_style, sub_daily)?;
        for (v, is_whole) in values.iter().zip(&whole) {
            if *is_whole {
                write!(data, ",{v:.0}")?;
            } else {
                write!(data, ",{v:.2}")?;
            }
        }
        summary.rows += 1;
    }
    if cfg.final_newline {
        data.write_all(eol)?;
    }
    data.flush()?;
    labels.flush()?;
    Ok(summary)
}

/// Picks an anomaly's kind, length, regions and size.
fn start_event(
    rng: &mut Pcg64Mcg,
    deck: &mut Deck,
    row: u64,
    regions: usize,
    steps_per_day: u64,
) -> Event {
    let kind = deck.draw(rng);
    let short = steps_per_day.clamp(1, 6);
    let (len, chosen) = match kind {
        AnomalyKind::Spike => (1, pick(rng, regions, 1)),
        AnomalyKind::Surge => {
            let n = if regions <= 2 {
                regions
            } else {
                rng.random_range(3..=regions)
            };
            (rng.random_range(1..=3), pick(rng, regions, n))
        }
        AnomalyKind::Outage => {
            let n = rng.random_range(1..=2);
            (rng.random_range(1..=2) * short, pick(rng, regions, n))
        }
        AnomalyKind::Ramp => (rng.random_range(6..=14), pick(rng, regions, 1)),
        AnomalyKind::LevelShift => {
            let n = rng.random_range(1..=3);
            (rng.random_range(8..=20), pick(rng, regions, n))
        }
    };
    let factor = match kind {
        AnomalyKind::Spike => rng.random_range(2.6..5.0),
        AnomalyKind::Surge => rng.random_range(2.2..3.5),
        AnomalyKind::Outage => rng.random_range(0.0..0.03),
        AnomalyKind::Ramp => rng.random_range(1.9..2.8),
        AnomalyKind::LevelShift => {
            if rng.random_bool(0.5) {
                rng.random_range(1.5..1.9)
            } else {
                rng.random_range(0.35..0.55)
            }
        }
    };
    Event {
        kind,
        first_row: row,
        len,
        regions: chosen,
        factor,
    }
}

/// Anomaly kinds dealt from a shuffled deck, so that even a short file gets every kind (spikes
/// and surges more often than the rest).
#[derive(Default)]
struct Deck {
    cards: Vec<AnomalyKind>,
}

impl Deck {
    /// The deck's contents before shuffling.
    const FULL: [AnomalyKind; 8] = [
        AnomalyKind::Spike,
        AnomalyKind::Spike,
        AnomalyKind::Spike,
        AnomalyKind::Surge,
        AnomalyKind::Surge,
        AnomalyKind::Outage,
        AnomalyKind::Ramp,
        AnomalyKind::LevelShift,
    ];

    fn draw(&mut self, rng: &mut Pcg64Mcg) -> AnomalyKind {
        if self.cards.is_empty() {
            self.cards = Self::FULL.to_vec();
            for i in (1..self.cards.len()).rev() {
                let j = rng.random_range(0..=i);
                self.cards.swap(i, j);
            }
        }
        self.cards.pop().unwrap_or(AnomalyKind::Spike)
    }
}

/// Picks `n` distinct regions of `regions` at random, in ascending order.
fn pick(rng: &mut Pcg64Mcg, regions: usize, n: usize) -> Vec<usize> {
    let n = n.min(regions);
    let mut all: Vec<usize> = (0..regions).collect();
    for i in 0..n {
        let j = rng.random_range(i..regions);
        all.swap(i, j);
    }
    let mut chosen = all[..n].to_vec();
    chosen.sort_unstable();
    chosen
}

/// Writes one timestamp.
fn write_time(
    w: &mut impl Write,
    dt: &chrono::NaiveDateTime,
    style: DateStyle,
    with_time: bool,
) -> io::Result<()> {
    use chrono::{Datelike, Timelike};
    match (style, with_time) {
        (DateStyle::Iso, false) => write!(w, "{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day()),
        (DateStyle::Iso, true) => write!(
            w,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        (DateStyle::DayMonthYear, false) => write!(w, "{}/{}/{}", dt.day(), dt.month(), dt.year()),
        (DateStyle::DayMonthYear, true) => write!(
            w,
            "{}/{}/{} {:02}:{:02}",
            dt.day(),
            dt.month(),
            dt.year(),
            dt.hour(),
            dt.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cfg: &GeneratorConfig) -> (String, String, GenerateSummary) {
        let (mut d, mut l) = (Vec::new(), Vec::new());
        let s = generate(cfg, &mut d, &mut l).expect("generate");
        (
            String::from_utf8(d).unwrap_or_default(),
            String::from_utf8(l).unwrap_or_default(),
            s,
        )
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let cfg = GeneratorConfig::default();
        let a = run(&cfg);
        assert_eq!(a, run(&cfg));
        let b = run(&GeneratorConfig { seed: 1, ..cfg });
        assert_ne!(a.0, b.0);
    }

    #[test]
    fn shape_and_labels() {
        let cfg = GeneratorConfig {
            rows: 2000,
            ..GeneratorConfig::default()
        };
        let (data, labels, summary) = run(&cfg);
        let lines: Vec<&str> = data.lines().collect();
        assert_eq!(
            lines[0],
            "Date,Region 1,Region 2,Region 3,Region 4,Region 5,Region 6"
        );
        assert_eq!(lines.len(), 2001);
        assert!(lines[1].starts_with("2021-01-01,"));
        assert_eq!(summary.anomalous_rows as usize, labels.lines().count() - 1);
        assert!(
            summary.events.iter().all(|&n| n > 0),
            "every kind occurs: {:?}",
            summary.events
        );
        let share = summary.anomalous_rows as f64 / 2000.0;
        assert!((0.02..0.15).contains(&share), "anomalous share {share}");
    }

    #[test]
    fn seed_shape_has_bom_crlf_and_no_final_newline() {
        let (data, _, _) = run(&GeneratorConfig::default().seed_shaped());
        assert!(data.starts_with('\u{feff}'));
        assert!(data.contains("\r\n1/1/2021,") || data.contains("\r\n1/1/2021,"));
        assert!(!data.ends_with('\n'));
    }
}
